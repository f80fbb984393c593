//! Tools around validation: scrubbing a sample, converting to typed Parquet, synthesizing
//! exports for benchmarks.

pub mod convert;
pub mod scrub;
pub mod synth;

use crate::engine::{input, Dataset, EngineOptions};
use crate::rules::catalog::Catalog;
use anyhow::anyhow;
use std::path::Path;

/// Open `paths` as a dataset for a tool that writes `out`, refusing an `out` that is an input.
async fn open_input(paths: &[String], out: &Path, catalog: &Catalog) -> anyhow::Result<Dataset> {
    let input = input::resolve(paths).await.map_err(|e| anyhow!("{e}"))?;
    crate::output::check_not_input(out, &input.files)?;
    Dataset::open(&input, catalog, &EngineOptions::default())
        .await
        .map_err(|e| anyhow!("{e}"))
}
