//! Synthetic exports for benchmarks and tests: replicate a conformant template (by default the
//! bundled sample) to any number of rows, giving every replica its own resources, so that the
//! output stays conformant while having realistic cardinality.

use crate::engine::input::{self, InputFormat};
use crate::engine::{format_rows, Dataset, EngineOptions};
use crate::rules::catalog::Catalog;
use anyhow::{anyhow, bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Columns whose values are made distinct per replica (consistently, so that per-resource
/// consistency requirements still hold).
const PER_REPLICA: &[&str] = &["ResourceId", "ResourceName", "CommitmentDiscountId"];

/// How many distinct replicas of each resource at most (keeps the cardinality realistic).
const RESOURCE_CARDINALITY: u64 = 50_000;

pub struct SynthOptions {
    pub rows: u64,
    pub template: Option<PathBuf>,
    pub output: PathBuf,
}

/// A CSV cell, quoted when needed (RFC 4180).
fn csv_cell(v: &Option<String>) -> String {
    match v {
        None => String::new(),
        Some(s) if s.contains([',', '"', '\n', '\r']) || s.is_empty() => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Some(s) => s.clone(),
    }
}

async fn load_template(
    template: Option<&Path>,
    catalog: &Catalog,
) -> Result<(Vec<String>, Vec<Vec<Option<String>>>)> {
    let tmp;
    let path = match template {
        Some(p) => p.to_path_buf(),
        None => {
            let text = crate::rules::embedded_sample();
            if text.is_empty() {
                bail!("no template: this build has no bundled sample; pass --template FILE");
            }
            tmp = tempfile::Builder::new().suffix(".csv").tempfile()?;
            std::fs::write(tmp.path(), text)?;
            tmp.path().to_path_buf()
        }
    };
    let input = input::resolve(&[path.display().to_string()]).map_err(|e| anyhow!("{e}"))?;
    if input.format != InputFormat::Csv {
        bail!("{}: the template must be a CSV file", path.display());
    }
    let ds = Dataset::open(&input, catalog, &EngineOptions::default())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let sql = format!("SELECT * FROM {}", crate::engine::SOURCE_TABLE);
    let batches = ds.ctx.sql(&sql).await?.collect().await?;
    let columns = ds.columns.iter().map(|c| c.name.clone()).collect();
    let mut rows = Vec::new();
    for b in &batches {
        rows.extend(format_rows(b, usize::MAX)?);
    }
    Ok((columns, rows))
}

/// Write `rows` rows of CSV, replicating the template.
fn write_csv(
    w: &mut dyn Write,
    columns: &[String],
    template: &[Vec<Option<String>>],
    rows: u64,
) -> std::io::Result<()> {
    let replica_cols: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| PER_REPLICA.contains(&c.as_str()))
        .map(|(i, _)| i)
        .collect();
    writeln!(
        w,
        "{}",
        columns
            .iter()
            .map(|c| csv_cell(&Some(c.clone())))
            .collect::<Vec<_>>()
            .join(",")
    )?;
    let mut line = String::new();
    for n in 0..rows {
        let t = &template[(n % template.len() as u64) as usize];
        let replica = (n / template.len() as u64) % RESOURCE_CARDINALITY;
        line.clear();
        for (i, cell) in t.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            if replica > 0 && replica_cols.contains(&i) {
                line.push_str(&csv_cell(&cell.as_ref().map(|v| format!("{v}-r{replica}"))));
            } else {
                line.push_str(&csv_cell(cell));
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

pub async fn synth(opts: &SynthOptions, catalog: &Catalog) -> Result<()> {
    let (columns, template) = load_template(opts.template.as_deref(), catalog).await?;
    if template.is_empty() {
        bail!("the template has no rows");
    }
    let format = InputFormat::of(&opts.output).ok_or_else(|| {
        anyhow!(
            "{}: unknown output format: expected .csv, .csv.gz or .parquet",
            opts.output.display()
        )
    })?;
    let dir = opts
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match format {
        InputFormat::Csv | InputFormat::CsvGz => {
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("{}: cannot create a file", dir.display()))?;
            {
                let file = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
                if format == InputFormat::CsvGz {
                    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                    write_csv(&mut gz, &columns, &template, opts.rows)?;
                    gz.finish()?.flush()?;
                } else {
                    let mut file = file;
                    write_csv(&mut file, &columns, &template, opts.rows)?;
                    file.flush()?;
                }
            }
            crate::output::readable_by_all(tmp.as_file());
            tmp.persist(&opts.output)
                .map_err(|e| anyhow!("{}: {}", opts.output.display(), e.error))?;
        }
        InputFormat::Parquet => {
            let csv = tempfile::Builder::new().suffix(".csv").tempfile_in(dir)?;
            {
                let mut w = std::io::BufWriter::with_capacity(1 << 20, csv.as_file());
                write_csv(&mut w, &columns, &template, opts.rows)?;
                w.flush()?;
            }
            crate::tools::convert::to_parquet(
                &[csv.path().display().to_string()],
                &opts.output,
                catalog,
            )
            .await?;
        }
        InputFormat::NdJson => bail!(
            "{}: synth writes CSV, CSV.gz or Parquet",
            opts.output.display()
        ),
    }
    Ok(())
}
