//! Converting an export to a typed Parquet file: the columns of the CostAndUsage view (FOCUS
//! types: decimals as DOUBLE, date/times as UTC timestamps, text as UTF-8; custom columns as read).
//! The file is written next to its destination and renamed into place, never over an input.

use crate::engine::input;
use crate::engine::quote_ident;
use crate::rules::catalog::Catalog;
use anyhow::{anyhow, bail, Context, Result};
use datafusion::dataframe::DataFrameWriteOptions;
use std::path::Path;

/// Write the typed view of `paths` to `out` (Parquet). Returns the number of rows written.
pub async fn to_parquet(paths: &[String], out: &Path, catalog: &Catalog) -> Result<u64> {
    if input::InputFormat::of(out) != Some(input::InputFormat::Parquet) {
        bail!(
            "{}: convert writes Parquet; name the output FILE.parquet",
            out.display()
        );
    }
    let ds = super::open_input(paths, out, catalog).await?;
    let columns: Vec<String> = ds.columns.iter().map(|c| quote_ident(&c.name)).collect();
    if columns.is_empty() {
        bail!("{}: no columns", ds.label);
    }
    let sql = format!(
        "SELECT {} FROM {}",
        columns.join(", "),
        quote_ident(&catalog.dataset)
    );
    let df = ds.plan(&sql).await?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".focus-sql-")
        .suffix(".parquet")
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a file", dir.display()))?;
    let tmp_path = tmp.path().to_path_buf();
    // Row groups of 128Ki rows let readers scan a file on several cores.
    let mut parquet = datafusion::config::TableParquetOptions::default();
    parquet.global.max_row_group_size = 128 * 1024;
    parquet.global.compression = Some("zstd(3)".into());
    let batches = df
        .write_parquet(
            &tmp_path.display().to_string(),
            DataFrameWriteOptions::new().with_single_file_output(true),
            Some(parquet),
        )
        .await
        .with_context(|| format!("{}: cannot write Parquet", out.display()))?;
    let rows = batches
        .first()
        .and_then(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::UInt64Array>()
                .map(|a| a.value(0))
        })
        .unwrap_or(0);
    tmp.persist(out)
        .map_err(|e| anyhow!("{}: cannot write: {}", out.display(), e.error))?;
    Ok(rows)
}
