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
use crate::rules::{Applicability, Check, RuleSet};
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
    /// The bundle's other datasets (`--dataset NAME=PATH`, or the files of a bundle folder):
    /// each validated with its own requirements, and registered beside the main one for the
    /// requirements that read both.
    pub with: Vec<(String, Vec<String>)>,
    /// Datasets registered beside the main one but not validated (a companion's view of the
    /// main dataset).
    pub beside: Vec<(String, Vec<String>)>,
    /// The columnar copy of a dataset in `beside` that was read from CSV (the main dataset's,
    /// made when it was opened), read in its place so a companion does not parse the CSV again.
    pub beside_copy: Option<(String, std::path::PathBuf)>,
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

/// A bundle's files grouped by dataset: the main dataset (the first of the version's datasets
/// present; None: recognised later by its columns) and the others in the version's order.
#[derive(Debug)]
pub struct Bundle {
    pub dataset: Option<String>,
    pub paths: Vec<String>,
    pub others: Vec<(String, Vec<String>)>,
}

impl Bundle {
    /// Whether the bundle was split from a folder or given with `--dataset`.
    pub fn is_split(&self) -> bool {
        self.dataset.is_some() || !self.others.is_empty()
    }

    /// One line about the split, for stderr.
    pub fn describe(&self) -> String {
        format!(
            "focus-sql: a bundle: {} ({} file(s)){}",
            self.dataset.as_deref().unwrap_or("the main dataset"),
            self.paths.len(),
            self.others
                .iter()
                .map(|(n, f)| format!(", {n} ({} file(s))", f.len()))
                .collect::<String>()
        )
    }
}

/// How every command that reads an export is given a bundle: a folder (split by its manifest,
/// else by the columns of its files), or the main dataset's paths plus `--dataset NAME=PATH`
/// for the others (repeated names gather their paths).
pub async fn bundle(
    set: &RuleSet,
    paths: &[String],
    datasets: &[(String, String)],
) -> Result<Bundle> {
    if datasets.is_empty() {
        if let Some(b) = split_bundle(set, paths).await? {
            return Ok(b);
        }
    }
    let mut others: Vec<(String, Vec<String>)> = Vec::new();
    for (name, path) in datasets {
        if set.dataset(name).is_none() {
            bail!(
                "--dataset {name}: FOCUS {} has no such dataset (it has {})",
                set.version,
                set.dataset_names().join(", ")
            );
        }
        match others.iter_mut().find(|(n, _)| n == name) {
            Some((_, p)) => p.push(path.clone()),
            None => others.push((name.clone(), vec![path.clone()])),
        }
    }
    Ok(Bundle {
        dataset: None,
        paths: paths.to_vec(),
        others,
    })
}

/// The version's dataset a manifest's name means: "Cost and Usage" is CostAndUsage.
fn dataset_named(set: &RuleSet, written: &str) -> Option<String> {
    let key: String = written
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    set.dataset_names()
        .into_iter()
        .find(|n| n.to_ascii_lowercase() == key)
}

/// The files of a bundle grouped by dataset: as the folder's manifest names them (every file it
/// lists must be there), else by the dataset their columns make them when `paths` (on the
/// local file system) hold files of more than one of the version's datasets. None when there is
/// no manifest and the version has one dataset, the paths are in an object store, or every file
/// is of one dataset.
pub async fn split_bundle(set: &RuleSet, paths: &[String]) -> Result<Option<Bundle>> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let manifest = match paths {
        [one] => crate::store::bundle_files(one)
            .await
            .map_err(|e| anyhow!("{e}"))?,
        _ => None,
    };
    if let Some(files) = manifest {
        for (path, written) in files {
            let name = dataset_named(set, &written).ok_or_else(|| {
                anyhow!(
                    "{}: the manifest names the dataset \"{written}\", which FOCUS {} does not have \
                     (it has {}; --focus-version chooses another)",
                    paths[0],
                    set.version,
                    set.dataset_names().join(", ")
                )
            })?;
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, g)) => g.push(path),
                None => groups.push((name, vec![path])),
            }
        }
        if groups.is_empty() {
            bail!("{}: the manifest lists no data file", paths[0]);
        }
    } else {
        if set.datasets.len() < 2 {
            return Ok(None);
        }
        let Some(files) = input::local_files(paths).map_err(|e| anyhow!("{e}"))? else {
            return Ok(None);
        };
        for f in files {
            let path = f.display().to_string();
            let one = input::resolve(std::slice::from_ref(&path))
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let columns = input::column_names(&one)
                .await
                .map_err(|e| anyhow!("{e}"))?;
            let name = set.detect_dataset(&columns).dataset.clone();
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, g)) => g.push(path),
                None => groups.push((name, vec![path])),
            }
        }
        if groups.len() < 2 {
            return Ok(None);
        }
    }
    let order = set.dataset_names();
    groups.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
    let (dataset, paths) = groups.remove(0);
    Ok(Some(Bundle {
        dataset: Some(dataset),
        paths,
        others: groups,
    }))
}

/// The scorecard of a dataset the bundle lacks, when one of its requirements that applies says
/// it must be present: that requirement fails, the others are skipped as not supplied.
fn absent_report(set: &RuleSet, name: &str, applicability: &Applicability) -> Option<Report> {
    use crate::check::outcome::{Outcome, Status};
    let sub = set.for_dataset(name)?;
    let undeclared = |r: &crate::rules::Rule| -> Vec<String> {
        r.applicability
            .iter()
            .filter(|c| !applicability.declares(c))
            .cloned()
            .collect()
    };
    let required = sub.rules.iter().any(|r| {
        matches!(&r.check, Check::Dataset(d) if d == name)
            && r.removed.is_none()
            && undeclared(r).is_empty()
    });
    if !required {
        return None;
    }
    let mut base = std::collections::HashMap::new();
    for r in &sub.rules {
        let missing = undeclared(r);
        let outcome = if let Some(why) = &r.removed {
            Outcome::with(Status::Skip, format!("removed: {why}"))
        } else if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(String::as_str).collect();
            Outcome::not_applicable(&names)
        } else if matches!(&r.check, Check::Dataset(d) if d == name) {
            let mut o = Outcome::fail(1, None);
            o.reason = Some(format!("the {name} dataset was not supplied"));
            o
        } else if r.check.children().is_empty() {
            Outcome::with(Status::Skip, format!("the {name} dataset was not supplied"))
        } else {
            continue;
        };
        base.insert(r.id.clone(), outcome);
    }
    let outcomes = crate::check::resolve(&sub, base);
    let info = DatasetInfo {
        name: name.to_string(),
        paths: Vec::new(),
        format: crate::engine::input::InputFormat::Csv,
        rows: 0,
        columns: 0,
    };
    Some(Report::build(
        &sub,
        &outcomes,
        info,
        applicability.describe(),
    ))
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
    let unknown = d.unknown_requirements(&|id: &str| set.knows(id));
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
            beside_copy: None,
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
        // Without a declaration nothing but the rules reads the data (the gap report profiles
        // every column): a wide CSV is then read for the columns they name.
        let mut dataset = match &declaration {
            None => {
                let read = check::named_columns(set);
                Dataset::open_for_rules(&input, &set.catalog, &request.engine, &read).await
            }
            Some(_) => Dataset::open(&input, &set.catalog, &request.engine).await,
        }
        .map_err(|e| anyhow!("{e}"))?;
        // The bundle's other datasets: registered beside this one, and validated on their own
        // (each with this one registered beside it).
        let mut companions = Vec::new();
        let mut problems = Vec::new();
        let mut unreadable = Vec::new();
        let others = request
            .with
            .iter()
            .cloned()
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
            let copy = request
                .beside_copy
                .as_ref()
                .filter(|(n, _)| *n == name)
                .map(|(_, p)| vec![p.display().to_string()]);
            let attached = match input::resolve(copy.as_ref().unwrap_or(&paths)).await {
                Ok(other) => dataset
                    .attach_read_as(
                        &name,
                        &other,
                        copy.is_some() || other.format.is_text(),
                        catalog,
                        crate::engine::view::ViewKind::Rules,
                    )
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = attached {
                problems.push(format!("the {name} dataset cannot be read: {e}"));
                unreadable.push(name);
            }
        }
        for (name, paths) in &request.with {
            if unreadable.contains(name) {
                continue;
            }
            let mut alone = Request::new(request.set, paths.clone(), request.engine.clone());
            alone.applicability = applicability.clone();
            alone.dataset = Some(name.clone());
            alone.sample_rows = request.sample_rows;
            // Every other dataset of the bundle is registered beside it.
            alone.beside_copy = dataset
                .staged_copy()
                .map(|p| (set.catalog.dataset.clone(), p.to_path_buf()));
            alone.beside = std::iter::once((set.catalog.dataset.clone(), request.paths.clone()))
                .chain(
                    request
                        .with
                        .iter()
                        .filter(|(n, _)| n != name && !unreadable.contains(n))
                        .cloned(),
                )
                .collect();
            match Box::pin(alone.run()).await {
                Ok(v) => companions.push(v.report),
                Err(e) => problems.push(format!("the {name} dataset: {e:#}")),
            }
        }
        // The version's datasets the bundle lacks: reported where a requirement that applies
        // says they must be present (FOCUS 1.4: BillingPeriod and InvoiceDetail with payable
        // invoices).
        if request.beside.is_empty() {
            for name in request.set.dataset_names() {
                let given =
                    name == set.catalog.dataset || request.with.iter().any(|(n, _)| *n == name);
                if given {
                    continue;
                }
                if let Some(r) = absent_report(request.set, &name, &applicability) {
                    companions.push(r);
                }
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
            name: set.catalog.dataset.clone(),
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
        for r in report.rules.iter().filter(|r| r.note.is_some()) {
            eprintln!(
                "focus-sql: note: {} {}: {}",
                report.dataset.name,
                r.id,
                r.note.as_deref().unwrap_or_default()
            );
        }
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
                        &companions,
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
