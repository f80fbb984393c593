//! The one "validate a dataset" sequence: declaration and applicability, the input, the engine
//! session, the checks, the scorecard and, with a declaration, the certification verdict.
//! `validate`, `report` and `regress` all go through [`Pipeline`]; none repeats a step.
//!
//! ```text
//! declaration ─► applicability ─┐
//! paths ─► input ─► typed view ─┴─► fused scan + set checks ─► outcomes ─► composites
//!                                                   ─► scorecard ─► certification ─► renderers
//! ```

use crate::certify::{self, Certification};
use crate::check::{self, RunOptions};
use crate::engine::input::{self, Input};
use crate::engine::{Dataset, EngineOptions};
use crate::output;
use crate::report::{DatasetInfo, Report, ReportFormat};
use crate::rules::declaration::Declaration;
use crate::rules::{Applicability, RuleSet};
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to validate and how; every command fills the same request.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub set: &'a RuleSet,
    /// Export files, directories or globs forming one dataset.
    pub paths: Vec<String>,
    /// Criteria declared on the command line; a declaration adds its own.
    pub applicability: Applicability,
    /// The provider's declaration: adds the certification verdict.
    pub declaration: Option<PathBuf>,
    /// Invoice totals for the invoice alignment evidence check (default: the declaration's).
    pub invoices: Option<PathBuf>,
    /// Offending rows kept per failing requirement.
    pub sample_rows: usize,
    pub engine: EngineOptions,
    /// A user rules directory (its `evidence/` folder adds evidence checks).
    pub rules_dir: Option<PathBuf>,
    /// Where the caller will write its result: refused when it is one of the inputs.
    pub output: Option<PathBuf>,
    /// Which of the version's datasets `paths` is (default: recognised by its columns).
    pub dataset: Option<String>,
    /// The bundle's other datasets (`--dataset NAME=PATH`): each validated with its own
    /// requirements, and registered beside the main one for the requirements that read both.
    pub with: Vec<(String, String)>,
    /// Datasets registered beside the main one but not validated (a companion's view of the
    /// main dataset).
    pub beside: Vec<(String, Vec<String>)>,
    /// Show a progress line on standard error (when it is a terminal).
    pub progress: bool,
}

/// A request whose declaration is read and whose input is resolved: nothing opened yet.
pub struct Prepared<'a> {
    pub request: Request<'a>,
    /// The requirements of the input's dataset (and the attribute requirements).
    pub set: Cow<'a, RuleSet>,
    pub declaration: Option<Declaration>,
    pub applicability: Applicability,
    pub input: Input,
}

/// A validated dataset: the scorecard, the verdict, and the open dataset for further queries.
pub struct Validation {
    /// The files read.
    pub input: Input,
    /// The registered dataset, still open (the gap report profiles its columns).
    pub dataset: Dataset,
    /// The scorecard.
    pub report: Report,
    /// The declaration read, if one was given.
    pub declaration: Option<Declaration>,
    /// The verdict, with a declaration.
    pub certification: Option<Certification>,
    /// The scorecards of the bundle's other datasets.
    pub companions: Vec<Report>,
    /// What could not be validated (an unreadable second dataset); the rest was.
    pub problems: Vec<String>,
}

/// The machine-readable result: the scorecard, then the certification when there is one.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    certification: Option<&'a Certification>,
    /// The bundle's other datasets.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    datasets: &'a [Report],
}

fn timing() -> bool {
    std::env::var_os("FOCUS_SQL_TIMING").is_some()
}

/// Read a declaration and check it against the rule set: same FOCUS version, known ids.
pub fn load_declaration(path: &Path, set: &RuleSet) -> Result<Declaration> {
    let d = Declaration::load(path)?;
    if d.focus_version != set.version.as_str() {
        bail!(
            "{}: declares FOCUS {} but the rules are FOCUS {} (use --focus-version)",
            path.display(),
            d.focus_version,
            set.version
        );
    }
    let known = crate::rules::declaration::Feature::of_version(set.version.as_str());
    if let Some(f) = d.features.iter().find(|f| !known.contains(f)) {
        bail!(
            "{}: the feature area \"{}\" is not one of FOCUS {}",
            path.display(),
            f.name(),
            set.version
        );
    }
    let unknown = d.unknown_requirements(&|id: &str| set.get(id).is_some());
    if !unknown.is_empty() {
        bail!(
            "{}: unknown requirement id(s): {}",
            path.display(),
            unknown.join(", ")
        );
    }
    Ok(d)
}

impl<'a> Request<'a> {
    /// Validate `paths` with `set`: no criteria or declaration, five offending rows shown.
    pub fn new(set: &'a RuleSet, paths: Vec<String>, engine: EngineOptions) -> Request<'a> {
        Request {
            set,
            paths,
            applicability: Applicability::None,
            declaration: None,
            invoices: None,
            sample_rows: 5,
            engine,
            rules_dir: None,
            output: None,
            dataset: None,
            with: Vec::new(),
            beside: Vec::new(),
            progress: false,
        }
    }

    /// Read the declaration, settle applicability, resolve the input files and pick the
    /// requirements of the dataset they are.
    pub async fn prepare(self) -> Result<Prepared<'a>> {
        let declaration = match &self.declaration {
            Some(p) => Some(load_declaration(p, self.set)?),
            None => None,
        };
        let applicability = match &declaration {
            Some(d) => d.applicability(&self.applicability),
            None => self.applicability.clone(),
        };
        let input = input::resolve(&self.paths)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        if let Some(out) = &self.output {
            output::check_not_input(out, &input.files)?;
        }
        let set = if self.set.datasets.len() > 1 {
            let name = match &self.dataset {
                Some(n) => n.clone(),
                None => {
                    let columns = input::column_names(&input)
                        .await
                        .map_err(|e| anyhow!("{e}"))?;
                    self.set.detect_dataset(&columns).dataset.clone()
                }
            };
            Cow::Owned(self.set.for_dataset(&name).ok_or_else(|| {
                anyhow!(
                    "FOCUS {} has no dataset {name} (it has {})",
                    self.set.version,
                    self.set.dataset_names().join(", ")
                )
            })?)
        } else {
            Cow::Borrowed(self.set)
        };
        Ok(Prepared {
            request: self,
            set,
            declaration,
            applicability,
            input,
        })
    }

    /// Prepare and run.
    pub async fn run(self) -> Result<Validation> {
        self.prepare().await?.run().await
    }
}

impl Prepared<'_> {
    /// Open the input, evaluate every rule, build the scorecard and the verdict.
    pub async fn run(self) -> Result<Validation> {
        let Prepared {
            request,
            set,
            declaration,
            applicability,
            input,
        } = self;
        let set: &RuleSet = &set;
        let started = Instant::now();
        let progress = if request.progress {
            check::progress::Progress::terminal()
        } else {
            check::progress::Progress::default()
        };
        progress.phase(&format!("reading {} file(s)", input.files.len()));
        let mut dataset = Dataset::open(&input, &set.catalog, &request.engine)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        // The bundle's other datasets: registered beside this one, and validated on their own
        // (each with this one registered beside it).
        let mut companions = Vec::new();
        let mut problems = Vec::new();
        let mut unreadable = Vec::new();
        let others = request
            .with
            .iter()
            .map(|(n, p)| (n.clone(), vec![p.clone()]))
            .chain(request.beside.iter().cloned());
        for (name, paths) in others {
            let catalog = request.set.dataset(&name).ok_or_else(|| {
                anyhow!(
                    "--dataset {name}: FOCUS {} has no such dataset (it has {})",
                    request.set.version,
                    request.set.dataset_names().join(", ")
                )
            })?;
            // An unreadable second dataset is reported; the first is still validated (the
            // requirements that read both then say which dataset they lack).
            let attached = match input::resolve(&paths).await {
                Ok(other) => dataset
                    .attach_as(&name, &other, catalog, crate::engine::view::ViewKind::Rules)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = attached {
                problems.push(format!("the {name} dataset cannot be read: {e}"));
                unreadable.push(name);
            }
        }
        for (name, path) in &request.with {
            if unreadable.contains(name) {
                continue;
            }
            let mut alone = Request::new(request.set, vec![path.clone()], request.engine.clone());
            alone.applicability = applicability.clone();
            alone.dataset = Some(name.clone());
            alone.sample_rows = request.sample_rows;
            alone.beside = vec![(set.catalog.dataset.clone(), request.paths.clone())];
            match Box::pin(alone.run()).await {
                Ok(v) => companions.push(v.report),
                Err(e) => problems.push(format!("the {name} dataset: {e:#}")),
            }
        }
        if timing() {
            eprintln!("timing: opening the input: {:.2?}", started.elapsed());
        }
        let opts = RunOptions {
            applicability: applicability.clone(),
            sample_rows: request.sample_rows,
            concurrency: 2,
            progress: progress.clone(),
        };
        let started = Instant::now();
        let result = check::run(set, &dataset, &opts).await;
        progress.finish();
        let result = result.map_err(|e| anyhow!("{e}"))?;
        if timing() {
            eprintln!("timing: evaluating the rules: {:.2?}", started.elapsed());
        }
        let info = DatasetInfo {
            paths: input
                .files
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            format: input.format,
            rows: result.rows,
            columns: dataset.columns.len(),
        };
        let report = Report::build(set, &result.outcomes, info, applicability.describe());
        let certification = match &declaration {
            Some(d) => {
                // Invoices named in the declaration are relative to the declaration's folder.
                let invoices = request.invoices.clone().or_else(|| {
                    let dir = request
                        .declaration
                        .as_deref()
                        .and_then(Path::parent)
                        .unwrap_or(Path::new(""));
                    d.invoices.as_ref().map(|i| dir.join(i))
                });
                Some(
                    certify::certify(
                        &dataset,
                        &report,
                        set,
                        d,
                        invoices.as_deref(),
                        request.rules_dir.as_deref(),
                    )
                    .await?,
                )
            }
            None => None,
        };
        Ok(Validation {
            input,
            dataset,
            report,
            declaration,
            certification,
            companions,
            problems,
        })
    }
}

impl Validation {
    /// No MUST / MUST NOT requirement failed, in any dataset of the bundle.
    pub fn conformant(&self) -> bool {
        self.report.summary.conformant && self.companions.iter().all(|r| r.summary.conformant)
    }

    /// Write the scorecard (and the verdict) in `format`.
    pub fn render(
        &self,
        format: ReportFormat,
        out: &mut dyn std::io::Write,
        color: bool,
    ) -> std::io::Result<()> {
        match format {
            ReportFormat::Table => {
                crate::report::table::render_scorecard(&self.report, out, color)?;
                if let Some(c) = &self.certification {
                    certify::table::render(c, out, color)?;
                }
                crate::report::table::render_result(&self.report, out)?;
                for other in &self.companions {
                    writeln!(out)?;
                    crate::report::table::render_scorecard(other, out, color)?;
                    crate::report::table::render_result(other, out)?;
                }
                Ok(())
            }
            ReportFormat::Json => {
                let doc = Document {
                    report: &self.report,
                    certification: self.certification.as_ref(),
                    datasets: &self.companions,
                };
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)
            }
            ReportFormat::Junit => crate::report::junit::render(&self.report, out),
        }
    }
}
