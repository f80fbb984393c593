//! `focus-sql regress`: validate every dataset of a corpus with the current rules and compare
//! each requirement's outcome and violation count with a committed baseline.

pub mod baseline;
pub mod diff;
pub mod manifest;
pub mod render;

use crate::engine::{Dataset, EngineOptions};
use crate::input;
use crate::report::{DatasetInfo, Report};
use crate::rules::RuleSet;
use crate::runner::{self, Applicability, RunOptions};
use baseline::{Baseline, DatasetState, RuleState};
use diff::{Change, ChangeKind};
use futures::StreamExt;
use manifest::{Corpus, DatasetSpec};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// One dataset's run.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetRun {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    pub focus_version: String,
    pub applicability: String,
    pub expected_conformant: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    pub seconds: f64,
    /// None when the dataset could not be validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conformant: Option<bool>,
    pub mandatory_failures: u64,
    /// Why the dataset could not be validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub state: DatasetState,
}

impl DatasetRun {
    pub fn rows_per_second(&self) -> Option<f64> {
        self.rows
            .filter(|_| self.seconds > 0.0)
            .map(|r| r as f64 / self.seconds)
    }

    /// The verdict differs from what the manifest expects.
    pub fn unexpected(&self) -> bool {
        self.conformant
            .is_some_and(|c| c != self.expected_conformant)
    }
}

/// Everything `regress` found.
#[derive(Debug, Clone, Serialize)]
pub struct RegressReport {
    pub corpus: String,
    pub baseline: String,
    pub baseline_updated: bool,
    pub datasets: Vec<DatasetRun>,
    pub changes: Vec<Change>,
    /// Regressions that are root causes (not composites following from a changed child).
    pub regressions: usize,
    /// Regressions of composite requirements that follow from a root regression.
    pub derived_regressions: usize,
    pub improvements: usize,
}

impl RegressReport {
    pub fn new(
        corpus: String,
        baseline: String,
        baseline_updated: bool,
        datasets: Vec<DatasetRun>,
        changes: Vec<Change>,
    ) -> Self {
        let count = |k, derived: bool| {
            changes
                .iter()
                .filter(|c| c.kind == k && c.via.is_some() == derived)
                .count()
        };
        let (regressions, derived_regressions) = (
            count(ChangeKind::Regression, false),
            count(ChangeKind::Regression, true),
        );
        let improvements =
            count(ChangeKind::Improvement, false) + count(ChangeKind::Improvement, true);
        RegressReport {
            corpus,
            baseline,
            baseline_updated,
            datasets,
            changes,
            regressions,
            derived_regressions,
            improvements,
        }
    }
}

/// How to run the corpus.
#[derive(Debug, Clone)]
pub struct RegressOptions {
    /// Datasets validated at once.
    pub jobs: usize,
    /// Memory for all datasets together; each running dataset gets an equal share.
    pub memory_limit: usize,
    pub threads: Option<usize>,
    pub progress: bool,
}

/// Each requirement's composite children and dependencies, for `diff::compare`.
pub fn links(sets: &BTreeMap<String, RuleSet>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for set in sets.values() {
        for r in &set.rules {
            let e = out.entry(r.id.clone()).or_default();
            e.extend(r.check.children().iter().cloned());
            e.extend(r.depends_on.iter().cloned());
        }
    }
    out
}

/// The current results as a baseline.
pub fn current_state(runs: &[DatasetRun]) -> Baseline {
    Baseline::new(
        runs.iter()
            .map(|r| (r.name.clone(), r.state.clone()))
            .collect(),
    )
}

async fn run_one(
    corpus: &Corpus,
    spec: &DatasetSpec,
    sets: &BTreeMap<String, RuleSet>,
    engine: &EngineOptions,
) -> DatasetRun {
    let started = Instant::now();
    let mut run = DatasetRun {
        name: spec.name.clone(),
        provider: spec.provider.clone(),
        focus_version: spec.focus_version.clone(),
        applicability: spec.applicability.as_arg(),
        expected_conformant: spec.conformant,
        format: None,
        rows: None,
        seconds: 0.0,
        conformant: None,
        mandatory_failures: 0,
        error: None,
        state: DatasetState::default(),
    };
    let result: Result<(), String> = async {
        let set = sets
            .get(&spec.focus_version)
            .ok_or_else(|| format!("no rules for FOCUS {}", spec.focus_version))?;
        let mut applicability = Applicability::parse(&spec.applicability.as_arg())?;
        if let Some(decl) = &spec.declaration {
            let d = crate::declaration::Declaration::load(&corpus.resolve_file(decl))
                .map_err(|e| e.to_string())?;
            applicability = d.applicability(&applicability);
        }
        let input = input::resolve(&corpus.resolve_paths(spec)).map_err(|e| e.to_string())?;
        run.format = Some(input.format.as_str().to_string());
        let ds = Dataset::open(&input, &set.catalog, engine)
            .await
            .map_err(|e| e.to_string())?;
        let opts = RunOptions {
            applicability: applicability.clone(),
            sample_rows: 0,
            concurrency: 2,
        };
        let result = runner::run(set, &ds, &opts)
            .await
            .map_err(|e| e.to_string())?;
        let info = DatasetInfo {
            paths: input
                .files
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            format: input.format.as_str().to_string(),
            rows: result.rows,
            columns: ds.columns.len(),
        };
        let report = Report::build(set, &result.outcomes, info, applicability.describe());
        run.rows = Some(result.rows);
        run.conformant = Some(report.summary.conformant);
        run.mandatory_failures = report.summary.mandatory_failures;
        run.state = DatasetState {
            readable: true,
            rows: Some(result.rows),
            conformant: Some(report.summary.conformant),
            rules: report
                .rules
                .iter()
                .map(|r| {
                    (
                        r.id.clone(),
                        RuleState {
                            status: r.status,
                            violations: r.violations,
                        },
                    )
                })
                .collect(),
        };
        Ok(())
    }
    .await;
    if let Err(e) = result {
        run.error = Some(e);
        run.state = DatasetState {
            readable: false,
            ..Default::default()
        };
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

/// Validate every dataset of the corpus, `jobs` at a time; results in manifest order.
pub async fn run_corpus(
    corpus: &Corpus,
    sets: &BTreeMap<String, RuleSet>,
    opts: &RegressOptions,
) -> Vec<DatasetRun> {
    let jobs = opts.jobs.max(1).min(corpus.manifest.datasets.len().max(1));
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let engine = EngineOptions {
        memory_limit: (opts.memory_limit / jobs).max(64 << 20),
        target_partitions: opts.threads.unwrap_or((cores / jobs).max(1)),
    };
    let bar = if opts.progress {
        let pb = indicatif::ProgressBar::new(corpus.manifest.datasets.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} datasets  {elapsed}  {msg}",
        ) {
            pb.set_style(style);
        }
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut runs: Vec<(usize, DatasetRun)> =
        futures::stream::iter(corpus.manifest.datasets.iter().enumerate())
            .map(|(i, spec)| {
                let engine = engine.clone();
                let bar = bar.clone();
                async move {
                    let run = run_one(corpus, spec, sets, &engine).await;
                    bar.inc(1);
                    bar.set_message(spec.name.clone());
                    (i, run)
                }
            })
            .buffer_unordered(jobs)
            .collect()
            .await;
    bar.finish_and_clear();
    runs.sort_by_key(|(i, _)| *i);
    runs.into_iter().map(|(_, r)| r).collect()
}
