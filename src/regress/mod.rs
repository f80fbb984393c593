//! `focus-sql regress`: validate every dataset of a corpus with the current rules and compare
//! each requirement's outcome and violation count with a committed baseline.

pub mod baseline;
pub mod diff;
pub mod manifest;
pub mod render;

use crate::engine::EngineOptions;
use crate::output;
use crate::pipeline::Request;
use crate::rules::{FocusVersion, RuleSet};
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
    let result: anyhow::Result<()> = async {
        let set = sets
            .get(&spec.focus_version)
            .ok_or_else(|| anyhow::anyhow!("no rules for FOCUS {}", spec.focus_version))?;
        // A bundle: a folder (each dataset validated as what its manifest or columns make it),
        // or the main dataset's paths plus `datasets:`.
        let paths = corpus.resolve_paths(spec);
        let b = crate::pipeline::bundle(set, &paths, &corpus.resolve_datasets(spec)).await?;
        let mut request = Request::new(set, b.paths, engine.clone());
        request.dataset = b.dataset;
        request.with = b.others;
        request.applicability = spec
            .applicability
            .as_arg()
            .parse()
            .map_err(anyhow::Error::msg)?;
        request.declaration = spec.declaration.as_ref().map(|d| corpus.resolve_file(d));
        request.sample_rows = 0;
        let prepared = request.prepare().await?;
        run.format = Some(prepared.input.format.as_str().to_string());
        let v = prepared.run().await?;
        let report = &v.report;
        let conformant = v.conformant();
        run.rows = Some(report.dataset.rows);
        run.conformant = Some(conformant);
        run.mandatory_failures = std::iter::once(report)
            .chain(&v.companions)
            .map(|r| r.summary.mandatory_failures)
            .sum();
        // The bundle's other datasets: their requirements keyed `Dataset:Id` (attribute
        // requirements are reported in each dataset).
        let rules =
            report
                .rules
                .iter()
                .map(|r| (r.id.clone(), r))
                .chain(v.companions.iter().flat_map(|c| {
                    c.rules
                        .iter()
                        .map(move |r| (format!("{}:{}", c.dataset.name, r.id), r))
                }));
        run.state = DatasetState {
            readable: true,
            rows: Some(report.dataset.rows),
            conformant: Some(conformant),
            rules: rules
                .map(|(key, r)| {
                    (
                        key,
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
        run.error = Some(format!("{e:#}"));
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
        plans: crate::engine::PlanCache::default(),
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

/// What `regress` was asked to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A directory holding corpus.yaml, or a manifest file.
    pub corpus: std::path::PathBuf,
    /// Default: baseline.json beside the manifest.
    pub baseline: Option<std::path::PathBuf>,
    pub update_baseline: bool,
    /// A user rules directory adding to or overriding the embedded rules.
    pub rules_dir: Option<std::path::PathBuf>,
    pub run: RegressOptions,
}

/// The outcome of `regress`: the report, and how many rule files failed to load.
pub struct Regress {
    pub report: RegressReport,
    pub rule_errors: usize,
}

impl Regress {
    /// 1 for a regression (unless the baseline was just rewritten), 2 when rule files did not
    /// load, otherwise 0.
    pub fn exit_code(&self) -> i32 {
        let r = &self.report;
        if r.regressions + r.derived_regressions > 0 && !r.baseline_updated {
            1
        } else if self.rule_errors > 0 {
            2
        } else {
            0
        }
    }
}

/// Run the corpus, compare with the baseline and, when asked and every rule loaded, rewrite it.
pub async fn regress(settings: &Settings) -> anyhow::Result<Regress> {
    let corpus = Corpus::load(&settings.corpus)?;
    let baseline_path = settings
        .baseline
        .clone()
        .unwrap_or_else(|| corpus.dir.join("baseline.json"));
    let before = if baseline_path.exists() {
        Baseline::read(&baseline_path)?
    } else if settings.update_baseline {
        Baseline::new(Default::default())
    } else {
        anyhow::bail!(
            "{}: no baseline yet; create it with --update-baseline",
            baseline_path.display()
        );
    };
    let mut sets = BTreeMap::new();
    let mut rule_errors = 0;
    let versions: std::collections::BTreeSet<&String> = corpus
        .manifest
        .datasets
        .iter()
        .map(|d| &d.focus_version)
        .collect();
    for v in versions {
        let loaded = FocusVersion::parse(v)
            .map_err(|e| crate::rules::LoadError {
                path: corpus.manifest_path.clone(),
                line: None,
                message: e,
            })
            .and_then(|fv| RuleSet::load(&fv, settings.rules_dir.as_deref()));
        match loaded {
            Ok(loaded) => {
                for e in &loaded.errors {
                    eprintln!("focus-sql: rule error: {e}");
                }
                rule_errors += loaded.errors.len();
                sets.insert(v.clone(), loaded.set);
            }
            Err(e) => eprintln!("focus-sql: FOCUS {v}: {e}"),
        }
    }
    let runs = run_corpus(&corpus, &sets, &settings.run).await;
    let current = current_state(&runs);
    let changes = diff::compare(&before, &current, &links(&sets));
    let update = settings.update_baseline && rule_errors == 0;
    if settings.update_baseline && !update {
        eprintln!("focus-sql: not rewriting the baseline: {rule_errors} rule file(s) did not load");
    }
    if update {
        output::write_output(Some(&baseline_path), |w| current.write(w))?;
    }
    Ok(Regress {
        report: RegressReport::new(
            corpus.manifest_path.display().to_string(),
            baseline_path.display().to_string(),
            update,
            runs,
            changes,
        ),
        rule_errors,
    })
}
