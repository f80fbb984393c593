//! Command-line interface: argument parsing and one function per subcommand.

use crate::engine::{Dataset, EngineOptions};
use crate::input;
use crate::output;
use crate::report::{DatasetInfo, Report, ReportFormat};
use crate::rules::{Check, RuleSet};
use crate::runner::{self, Applicability, RunOptions};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;

const EXIT_CODES: &str = "Exit codes:
  0  success: no MUST / MUST NOT requirement failed (validate), all examples passed (rules test)
  1  problems found: at least one MUST / MUST NOT requirement failed, or an example/lint failed
  2  the run could not proceed: unreadable input, bad arguments, broken rule files";

#[derive(Parser, Debug)]
#[command(name = "focus-sql", version, about = "Validate FinOps FOCUS cost-and-usage exports and query them with SQL", after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check an export against every FOCUS requirement and print a scorecard
    #[command(after_help = EXIT_CODES)]
    Validate(ValidateArgs),
    /// List, show, test and lint the rules
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Run SQL over an export (the typed table is CostAndUsage)
    #[command(after_help = EXIT_CODES)]
    Query(QueryArgs),
    /// The library of saved FinOps queries (queries/*.sql)
    #[command(subcommand)]
    Queries(QueriesCommand),
    /// Convert an export to a typed Parquet file (FOCUS types; custom columns kept)
    #[command(after_help = EXIT_CODES)]
    Convert(ConvertArgs),
    /// Write a synthetic conformant export of N rows (for benchmarks), replicating a template
    #[command(after_help = EXIT_CODES)]
    Synth(SynthArgs),
    /// Validate every dataset of a corpus and compare each requirement's outcome with a baseline
    #[command(after_help = REGRESS_EXIT_CODES)]
    Regress(RegressArgs),
    /// Draft a Conformance Gap Report and a column mapping reference (Markdown or HTML)
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// Anonymize a sample: keyed hashes for account and resource ids and names, tag values removed
    #[command(after_help = EXIT_CODES)]
    Scrub(ScrubArgs),
}

#[derive(Args, Debug)]
pub struct ScrubArgs {
    /// The export to scrub (files, a directory or a glob forming one dataset)
    #[arg(required = true, value_name = "IN")]
    pub input: Vec<String>,
    /// Where to write the scrubbed copy: .csv, .csv.gz or .parquet (written atomically)
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// File holding the secret key (keep it to scrub later samples the same way); or set
    /// FOCUS_SQL_SCRUB_KEY
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub source: RuleSource,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Export files, directories or globs forming one dataset (the certification sample)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// The provider's declaration (YAML)
    #[arg(long, value_name = "FILE")]
    pub declaration: PathBuf,
    /// Invoice totals (CSV: InvoiceId, currency, total) for the invoice alignment check
    #[arg(long, value_name = "FILE")]
    pub invoices: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = crate::gapreport::GapFormat::Markdown)]
    pub format: crate::gapreport::GapFormat,
    /// Write the report to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Applicability criteria beyond the declaration's: all, none, or A,B,...
    #[arg(long, default_value = "none", value_name = "all|none|A,B,...")]
    pub applicability: String,
    #[command(flatten)]
    pub source: RuleSource,
    #[command(flatten)]
    pub engine: EngineArgs,
}

const REGRESS_EXIT_CODES: &str = "Exit status: 0 no regression, 1 at least one regression (a requirement newly fails or errors, \
or a dataset can no longer be read), 2 the run could not proceed (bad manifest or baseline, rule files that do not load).";

#[derive(Args, Debug)]
pub struct RegressArgs {
    /// The corpus: a directory holding corpus.yaml, or a manifest file
    #[arg(value_name = "CORPUS")]
    pub corpus: PathBuf,
    /// The baseline to compare with (default: baseline.json beside the manifest)
    #[arg(long, value_name = "FILE.json")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the baseline (atomically) with this run's results
    #[arg(long)]
    pub update_baseline: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = crate::regress::render::RegressFormat::Table)]
    pub format: crate::regress::render::RegressFormat,
    /// Write the report to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Datasets validated at once; the memory budget is shared between them
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
    #[command(flatten)]
    pub source: RuleSource,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Subcommand, Debug)]
pub enum QueriesCommand {
    /// List the saved queries with their parameters
    List {
        /// Add or override saved queries from this directory
        #[arg(long, value_name = "DIR")]
        queries: Option<PathBuf>,
    },
    /// Show a saved query: title, description, parameters and SQL
    Show {
        name: String,
        /// Add or override saved queries from this directory
        #[arg(long, value_name = "DIR")]
        queries: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Export files, directories or globs forming one dataset
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// The Parquet file to write
    #[arg(short, long, value_name = "FILE.parquet")]
    pub output: PathBuf,
    #[command(flatten)]
    pub source: RuleSource,
}

#[derive(Args, Debug)]
pub struct SynthArgs {
    /// Number of rows to write
    #[arg(long, value_name = "N")]
    pub rows: u64,
    /// A conformant CSV export to replicate (default: the bundled sample)
    #[arg(long, value_name = "FILE.csv")]
    pub template: Option<PathBuf>,
    /// Output file: .csv, .csv.gz or .parquet
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub source: RuleSource,
}

#[derive(Args, Debug, Clone)]
pub struct RuleSource {
    /// Add or override rules from this directory (e.g. rules.d)
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Option<PathBuf>,
    /// FOCUS version of the rules
    #[arg(long = "focus-version", default_value = "1.2", global = true)]
    pub focus_version: String,
}

#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// Memory budget for the query engine (e.g. 512M, 4G); operators spill to disk beyond it
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub memory_limit: usize,
    /// Worker threads for scanning (default: number of cores)
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

impl EngineArgs {
    fn options(&self) -> EngineOptions {
        let mut o = EngineOptions {
            memory_limit: self.memory_limit,
            ..EngineOptions::default()
        };
        if let Some(t) = self.threads {
            o.target_partitions = t.max(1);
        }
        o
    }
}

fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (
            &s[..i],
            match s[i..]
                .to_ascii_uppercase()
                .trim_end_matches('B')
                .trim_end_matches('I')
            {
                "" => 1usize,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                "T" => 1 << 40,
                other => return Err(format!("unknown size unit `{other}` (use K, M, G or T)")),
            },
        ),
        None => (s, 1),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: `{s}`"))?;
    if n <= 0.0 {
        return Err("size must be positive".into());
    }
    Ok((n * mult as f64) as usize)
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Export files (CSV, CSV.gz, Parquet, NDJSON), directories or globs forming one dataset
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub source: RuleSource,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output format
    #[arg(long, default_value = "table")]
    pub format: ReportFormat,
    /// Write the report to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Applicability criteria the provider declares: all, none, or a comma-separated list
    /// such as COMMITMENT_DISCOUNT_SUPPORTED,TAGGING_SUPPORTED
    #[arg(long, default_value = "none", value_name = "all|none|A,B,...")]
    pub applicability: String,
    /// Offending rows shown per failing requirement
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub sample_rows: usize,
    /// Only evaluate requirements whose id starts with one of these (plus what they need)
    #[arg(long, value_name = "PREFIX")]
    pub only: Vec<String>,
    /// Colour: auto, always, never
    #[arg(long, default_value = "auto")]
    pub color: String,
    /// The provider's declaration (YAML): feature areas, attestations, deviations, KILs. Adds the
    /// certification verdict to the report
    #[arg(long, value_name = "FILE")]
    pub declaration: Option<PathBuf>,
    /// Invoice totals (CSV: InvoiceId, currency, total) for the invoice alignment check
    #[arg(long, value_name = "FILE")]
    pub invoices: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the rules
    List {
        #[command(flatten)]
        source: RuleSource,
        /// table or json
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Show one rule: requirement, check and examples
    Show {
        id: String,
        #[command(flatten)]
        source: RuleSource,
    },
    /// Run every rule against its own examples
    Test {
        /// Only rules whose id starts with one of these
        prefixes: Vec<String>,
        #[command(flatten)]
        source: RuleSource,
    },
    /// Check the rules: parse, references, SQL plans against the FOCUS columns, examples
    Lint {
        #[command(flatten)]
        source: RuleSource,
    },
    /// Compare the rules with a requirements-model JSON: ids missing on either side, keyword
    /// and text changes (exit 1 when they differ)
    Sync {
        /// The FOCUS requirements model (JSON with a `ModelRules` object)
        #[arg(long, value_name = "FILE.json")]
        model: PathBuf,
        #[command(flatten)]
        source: RuleSource,
    },
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// Export files, directories or globs (registered as CostAndUsage)
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// SQL to run
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub command: Option<String>,
    /// File of SQL to run
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Run a saved query (see `focus-sql queries list`)
    #[arg(long, value_name = "NAME")]
    pub saved: Option<String>,
    /// A saved query's parameter, NAME=VALUE (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Add or override saved queries from this directory
    #[arg(long, value_name = "DIR")]
    pub queries: Option<PathBuf>,
    /// Also register another export as table NAME (repeatable), e.g. --table prev=2026-04/
    #[arg(long = "table", value_name = "NAME=PATH")]
    pub tables: Vec<String>,
    /// Output format (parquet needs --output)
    #[arg(long, value_enum, default_value_t = crate::query::QueryFormat::Table)]
    pub format: crate::query::QueryFormat,
    /// Write the result to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub source: RuleSource,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Exit status of a command.
pub type Code = i32;

pub fn main() -> Code {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("focus-sql: error: cannot start the runtime: {e}");
            return 2;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("focus-sql: error: {e:#}");
            2
        }
    }
}

async fn run(cli: Cli) -> Result<Code> {
    match cli.command {
        Command::Validate(args) => validate(args).await,
        Command::Rules(cmd) => rules(cmd).await,
        Command::Query(args) => query(args).await,
        Command::Queries(cmd) => queries(cmd),
        Command::Regress(args) => regress(args).await,
        Command::Report(args) => gap_report(args).await,
        Command::Scrub(args) => {
            let (set, _) = load_rules(&args.source)?;
            let key = match (&args.key_file, std::env::var("FOCUS_SQL_SCRUB_KEY")) {
                (Some(f), _) => std::fs::read(f)
                    .with_context(|| format!("{}: cannot read the key", f.display()))?,
                (None, Ok(k)) => k.into_bytes(),
                (None, Err(_)) => {
                    bail!("give the secret key with --key-file FILE or FOCUS_SQL_SCRUB_KEY")
                }
            };
            let key: Vec<u8> = key.trim_ascii().to_vec();
            let rows = crate::scrub::scrub(&args.input, &args.output, &key, &set.catalog).await?;
            eprintln!(
                "focus-sql: wrote {rows} scrubbed rows to {}",
                args.output.display()
            );
            Ok(0)
        }
        Command::Convert(args) => {
            let (set, _) = load_rules(&args.source)?;
            if crate::input::InputFormat::of(&args.output)
                != Some(crate::input::InputFormat::Parquet)
            {
                bail!(
                    "{}: convert writes Parquet; name the output FILE.parquet",
                    args.output.display()
                );
            }
            let rows = crate::convert::to_parquet(&args.paths, &args.output, &set.catalog).await?;
            eprintln!("focus-sql: wrote {rows} rows to {}", args.output.display());
            Ok(0)
        }
        Command::Synth(args) => {
            let (set, _) = load_rules(&args.source)?;
            let opts = crate::synth::SynthOptions {
                rows: args.rows,
                template: args.template,
                output: args.output.clone(),
            };
            crate::synth::synth(&opts, &set.catalog).await?;
            eprintln!(
                "focus-sql: wrote {} rows to {}",
                args.rows,
                args.output.display()
            );
            Ok(0)
        }
    }
}

/// `regress`: run the corpus, compare with the baseline, maybe rewrite it, report.
async fn regress(args: RegressArgs) -> Result<Code> {
    use crate::regress::{self, baseline::Baseline, manifest::Corpus};
    use std::io::IsTerminal;
    let corpus = Corpus::load(&args.corpus)?;
    let baseline_path = args
        .baseline
        .clone()
        .unwrap_or_else(|| corpus.dir.join("baseline.json"));
    let before = if baseline_path.exists() {
        Baseline::read(&baseline_path)?
    } else if args.update_baseline {
        Baseline::new(Default::default())
    } else {
        bail!(
            "{}: no baseline yet; create it with --update-baseline",
            baseline_path.display()
        );
    };
    let mut sets = std::collections::BTreeMap::new();
    let mut rule_errors = 0;
    let versions: std::collections::BTreeSet<&String> = corpus
        .manifest
        .datasets
        .iter()
        .map(|d| &d.focus_version)
        .collect();
    for v in versions {
        match crate::rules::RuleSet::load(v, args.source.rules.as_deref()) {
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
    let opts = regress::RegressOptions {
        jobs: args.jobs,
        memory_limit: args.engine.memory_limit,
        threads: args.engine.threads,
        progress: std::io::stderr().is_terminal(),
    };
    let runs = regress::run_corpus(&corpus, &sets, &opts).await;
    let current = regress::current_state(&runs);
    let changes = regress::diff::compare(&before, &current, &regress::links(&sets));
    let update = args.update_baseline && rule_errors == 0;
    if args.update_baseline && !update {
        eprintln!("focus-sql: not rewriting the baseline: {rule_errors} rule file(s) did not load");
    }
    if update {
        output::write_output(Some(&baseline_path), |w| current.write(w))?;
    }
    let report = regress::RegressReport::new(
        corpus.manifest_path.display().to_string(),
        baseline_path.display().to_string(),
        update,
        runs,
        changes,
    );
    output::write_output(args.output.as_deref(), |w| {
        regress::render::render(&report, args.format, w)
    })?;
    Ok(
        if report.regressions + report.derived_regressions > 0 && !update {
            1
        } else if rule_errors > 0 {
            2
        } else {
            0
        },
    )
}

/// Load the rule set; files that fail to load are reported on stderr.
fn load_rules(source: &RuleSource) -> Result<(RuleSet, usize)> {
    let loaded = RuleSet::load(&source.focus_version, source.rules.as_deref())
        .map_err(|e| anyhow!("{e}"))?;
    for e in &loaded.errors {
        eprintln!("focus-sql: rule error: {e}");
    }
    Ok((loaded.set, loaded.errors.len()))
}

fn use_color(setting: &str, to_file: bool) -> Result<bool> {
    Ok(match setting {
        "always" => true,
        "never" => false,
        "auto" => {
            !to_file && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
        other => bail!("unknown --color `{other}` (expected auto, always or never)"),
    })
}

async fn validate(args: ValidateArgs) -> Result<Code> {
    let (mut set, rule_errors) = load_rules(&args.source)?;
    set.retain_prefixes(&args.only);
    let mut applicability = Applicability::parse(&args.applicability).map_err(|e| anyhow!(e))?;
    let declaration = match &args.declaration {
        Some(p) => Some(load_declaration(p, &set)?),
        None => None,
    };
    if let Some(d) = &declaration {
        applicability = d.applicability(&applicability);
    }
    let color = use_color(&args.color, args.output.is_some())?;
    let input = input::resolve(&args.paths).map_err(|e| anyhow!("{e}"))?;
    if let Some(out) = &args.output {
        output::check_not_input(out, &input.files)?;
    }
    let timing = std::env::var_os("FOCUS_SQL_TIMING").is_some();
    let started = std::time::Instant::now();
    let ds = Dataset::open(&input, &set.catalog, &args.engine.options())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    if timing {
        eprintln!("timing: opening the input: {:.2?}", started.elapsed());
    }
    let opts = RunOptions {
        applicability: applicability.clone(),
        sample_rows: args.sample_rows,
        concurrency: 2,
    };
    let started = std::time::Instant::now();
    let result = runner::run(&set, &ds, &opts)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    if timing {
        eprintln!("timing: evaluating the rules: {:.2?}", started.elapsed());
    }
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
    let mut report = Report::build(&set, &result.outcomes, info, applicability.describe());
    if let Some(d) = &declaration {
        let invoices = args.invoices.clone().or_else(|| {
            let dir = args
                .declaration
                .as_deref()
                .and_then(|p| p.parent())
                .unwrap_or(std::path::Path::new(""));
            d.invoices.as_ref().map(|i| dir.join(i))
        });
        report.certification = Some(
            certify(
                &ds,
                &report,
                &set,
                d,
                invoices.as_deref(),
                args.source.rules.as_deref(),
            )
            .await?,
        );
    }
    output::write_output(args.output.as_deref(), |w| {
        report.render(args.format, w, color)
    })?;
    if rule_errors > 0 {
        eprintln!("focus-sql: {rule_errors} rule file(s) could not be loaded (see above)");
    }
    // A failed MUST is a finding (1); otherwise a verdict with unloadable rules is incomplete (2).
    Ok(if !report.summary.conformant {
        1
    } else if rule_errors > 0 {
        2
    } else {
        0
    })
}

/// `report`: validate the sample with the declaration, profile its columns, write the draft.
async fn gap_report(args: ReportArgs) -> Result<Code> {
    let (set, rule_errors) = load_rules(&args.source)?;
    if rule_errors > 0 {
        bail!(
            "{rule_errors} rule file(s) could not be loaded: a gap report needs the whole rule set"
        );
    }
    let d = load_declaration(&args.declaration, &set)?;
    let applicability =
        d.applicability(&Applicability::parse(&args.applicability).map_err(|e| anyhow!(e))?);
    let input = input::resolve(&args.paths).map_err(|e| anyhow!("{e}"))?;
    if let Some(out) = &args.output {
        output::check_not_input(out, &input.files)?;
    }
    let ds = Dataset::open(&input, &set.catalog, &args.engine.options())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let opts = RunOptions {
        applicability: applicability.clone(),
        sample_rows: 0,
        concurrency: 2,
    };
    let result = runner::run(&set, &ds, &opts)
        .await
        .map_err(|e| anyhow!("{e}"))?;
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
    let report = Report::build(&set, &result.outcomes, info, applicability.describe());
    let invoices = args.invoices.clone().or_else(|| {
        d.invoices.as_ref().map(|i| {
            args.declaration
                .parent()
                .unwrap_or(std::path::Path::new(""))
                .join(i)
        })
    });
    let cert = certify(
        &ds,
        &report,
        &set,
        &d,
        invoices.as_deref(),
        args.source.rules.as_deref(),
    )
    .await?;
    let columns = crate::gapreport::profile(&ds, result.rows)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let g = crate::gapreport::GapReport {
        report: &report,
        cert: &cert,
        declaration: &d,
        columns: &columns,
        generated: format!("focus-sql {}", env!("CARGO_PKG_VERSION")),
    };
    output::write_output(args.output.as_deref(), |w| {
        crate::gapreport::render(&g, args.format, w)
    })?;
    Ok(0)
}

/// Read a declaration and check that the requirements it names exist.
fn load_declaration(
    path: &std::path::Path,
    set: &crate::rules::RuleSet,
) -> Result<crate::declaration::Declaration> {
    let d = crate::declaration::Declaration::load(path)?;
    if d.focus_version != set.version {
        bail!(
            "{}: declares FOCUS {} but the rules are FOCUS {} (use --focus-version)",
            path.display(),
            d.focus_version,
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

/// The certification verdict for a validated dataset.
async fn certify(
    ds: &Dataset,
    report: &Report,
    set: &crate::rules::RuleSet,
    d: &crate::declaration::Declaration,
    invoices: Option<&std::path::Path>,
    rules_dir: Option<&std::path::Path>,
) -> Result<crate::certify::Certification> {
    if let Some(i) = invoices {
        crate::certify::register_invoices(ds, i).await?;
    }
    crate::certify::register_third_party_issuers(ds, &d.third_party_invoice_issuers)?;
    let checks = crate::certify::load_checks(rules_dir)?;
    let evidence = crate::certify::run_checks(ds, &checks, invoices.is_some()).await;
    let sufficiency = crate::certify::sufficiency(ds, report.dataset.rows).await;
    Ok(crate::certify::Certification::build(
        report,
        set,
        d,
        evidence,
        sufficiency,
    ))
}

async fn rules(cmd: RulesCommand) -> Result<Code> {
    match cmd {
        RulesCommand::List { source, format } => {
            let (set, errors) = load_rules(&source)?;
            match format.as_str() {
                "json" => {
                    let items: Vec<serde_json::Value> = set
                        .rules
                        .iter()
                        .map(|r| {
                            serde_json::json!({
                                "id": r.id, "keyword": r.keyword, "entity": r.entity, "function": r.function,
                                "type": r.rule_type, "check": r.check.shape(), "requirement": r.requirement,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&items)?);
                }
                "table" => {
                    let mut t = comfy_table::Table::new();
                    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                        .set_header(["id", "keyword", "check", "requirement"]);
                    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                        .set_width(140);
                    for r in &set.rules {
                        t.add_row(vec![
                            r.id.clone(),
                            r.keyword.to_string(),
                            r.check.shape().to_string(),
                            r.requirement.clone(),
                        ]);
                    }
                    println!("{t}");
                    println!("{} rules for FOCUS {}", set.rules.len(), set.version);
                }
                other => bail!("unknown --format `{other}` (expected table or json)"),
            }
            Ok(if errors > 0 { 2 } else { 0 })
        }
        RulesCommand::Show { id, source } => {
            let (set, _) = load_rules(&source)?;
            let Some(r) = set.get(&id) else {
                let close = set
                    .rules
                    .iter()
                    .map(|r| (crate::catalog::edit_distance(&r.id, &id), &r.id))
                    .min();
                let hint = close
                    .map(|(_, c)| format!(" (did you mean {c}?)"))
                    .unwrap_or_default();
                bail!("no rule with id {id}{hint}");
            };
            print!("{}", show_rule(r));
            Ok(0)
        }
        RulesCommand::Test { prefixes, source } => {
            let (set, errors) = load_rules(&source)?;
            let summary = crate::ruletest::run(&set, &prefixes).await;
            for f in &summary.failures {
                println!("FAIL {f}");
            }
            println!("rules tested: {}", summary.rules);
            println!(
                "examples: {} passed, {} failed",
                summary.passed,
                summary.failures.len()
            );
            Ok(if errors > 0 {
                2
            } else if summary.failures.is_empty() {
                0
            } else {
                1
            })
        }
        RulesCommand::Lint { source } => {
            let (set, errors) = load_rules(&source)?;
            let problems = crate::lint::lint(&set).await;
            for p in &problems {
                println!("{p}");
            }
            println!(
                "{} rules, {} load error(s), {} problem(s)",
                set.rules.len(),
                errors,
                problems.len()
            );
            Ok(if errors + problems.len() == 0 { 0 } else { 1 })
        }
        RulesCommand::Sync { model, source } => {
            let (set, errors) = load_rules(&source)?;
            let model = crate::sync::read_model(&model)?;
            let drift = crate::sync::compare(&set, &model);
            output::write_output(None, |w| crate::sync::render(&drift, w))?;
            Ok(if errors > 0 {
                2
            } else if drift.is_empty() {
                0
            } else {
                1
            })
        }
    }
}

fn show_rule(r: &crate::rules::Rule) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}  [{}]  {} {} ({})",
        r.id, r.keyword, r.entity_type, r.entity, r.rule_type
    );
    let _ = writeln!(s, "requirement: {}", r.requirement);
    let _ = writeln!(s, "function:    {}", r.function);
    if !r.applicability.is_empty() {
        let _ = writeln!(s, "applies when: {}", r.applicability.join(", "));
    }
    if !r.depends_on.is_empty() {
        let _ = writeln!(s, "depends on:  {}", r.depends_on.join(", "));
    }
    if let Some(n) = &r.note {
        let _ = writeln!(s, "note:        {n}");
    }
    let _ = writeln!(s, "source:      {}", r.origin.path.display());
    let _ = writeln!(s, "check ({}):", r.check.shape());
    if let Some(e) = &r.screen {
        let _ = writeln!(
            s,
            "  (a screen: when it finds no violation, evidence is still needed: {e})"
        );
    }
    match &r.check {
        Check::Row { expr, when, each } => {
            if !each.is_empty() {
                let _ = writeln!(s, "  for each of: {}", each.join(", "));
            }
            if let Some(w) = when {
                let _ = writeln!(s, "  when: {w}");
            }
            let _ = writeln!(s, "  row:  {expr}");
        }
        Check::Sql { query } => {
            for l in query.lines() {
                let _ = writeln!(s, "  {l}");
            }
        }
        Check::Present { column } => {
            let _ = writeln!(s, "  column {column} is present");
        }
        Check::Type { column, ty, when } => {
            let _ = writeln!(
                s,
                "  {column} is of type {ty}{}",
                when.as_ref()
                    .map(|w| format!(" when {w}"))
                    .unwrap_or_default()
            );
        }
        Check::Format {
            column,
            format,
            when,
        } => {
            let _ = writeln!(
                s,
                "  {column} follows the {format} format{}",
                when.as_ref()
                    .map(|w| format!(" when {w}"))
                    .unwrap_or_default()
            );
        }
        Check::AllOf(ids) => {
            let _ = writeln!(s, "  all of: {}", ids.join(", "));
        }
        Check::AnyOf(ids) => {
            let _ = writeln!(s, "  any of: {}", ids.join(", "));
        }
        Check::Evidence(t) => {
            let _ = writeln!(s, "  needs evidence: {t}");
        }
        Check::Permission(t) => {
            let _ = writeln!(s, "  permission: {t}");
        }
    }
    for (i, ex) in r.examples.iter().enumerate() {
        let _ = writeln!(
            s,
            "example {} (must {}{}){}:",
            i + 1,
            ex.expect,
            ex.violations
                .map(|v| format!(", {v} violation(s)"))
                .unwrap_or_default(),
            ex.note
                .as_ref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
        let _ = writeln!(s, "  {}", ex.columns.join(" | "));
        for row in &ex.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| c.clone().unwrap_or_else(|| "NULL".into()))
                .collect();
            let _ = writeln!(s, "  {}", cells.join(" | "));
        }
    }
    s
}

fn queries(cmd: QueriesCommand) -> Result<Code> {
    match cmd {
        QueriesCommand::List { queries } => {
            let all = crate::saved::load(queries.as_deref())?;
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_header(["name", "title", "parameters", "description"]);
            for q in &all {
                t.add_row([
                    q.name.clone(),
                    q.title.clone(),
                    q.param_list(),
                    q.description.clone(),
                ]);
            }
            println!("{t}");
            Ok(0)
        }
        QueriesCommand::Show { name, queries } => {
            let all = crate::saved::load(queries.as_deref())?;
            let q = crate::saved::find(&all, &name)?;
            println!(
                "{}: {}\n{}\nparameters: {}\n\n{}",
                q.name,
                q.title,
                q.description,
                q.param_list(),
                q.sql
            );
            Ok(0)
        }
    }
}

/// The SQL `query` was given, or None for the interactive shell.
fn query_sql(args: &QueryArgs) -> Result<Option<String>> {
    let given = [
        args.command.is_some(),
        args.file.is_some(),
        args.saved.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given > 1 {
        bail!("give one of -c SQL, -f FILE or --saved NAME");
    }
    if !args.params.is_empty() && args.saved.is_none() {
        bail!("--param goes with --saved NAME");
    }
    if let Some(c) = &args.command {
        return Ok(Some(c.clone()));
    }
    if let Some(f) = &args.file {
        return Ok(Some(
            std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?,
        ));
    }
    if let Some(name) = &args.saved {
        let all = crate::saved::load(args.queries.as_deref())?;
        let q = crate::saved::find(&all, name)?;
        let mut values = std::collections::BTreeMap::new();
        for p in &args.params {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| anyhow!("--param {p}: expected NAME=VALUE"))?;
            values.insert(k.trim().to_string(), v.to_string());
        }
        return Ok(Some(q.bind(&values)?));
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let mut sql = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut sql)?;
    Ok(Some(sql))
}

async fn query(args: QueryArgs) -> Result<Code> {
    use crate::query::QueryFormat;
    let sql = query_sql(&args)?;
    if args.paths.is_empty() {
        bail!("give at least one export PATH");
    }
    if args.format == QueryFormat::Parquet && args.output.is_none() {
        bail!("--format parquet writes a file: give --output FILE.parquet");
    }
    let (set, _) = load_rules(&args.source)?;
    let input = input::resolve(&args.paths).map_err(|e| anyhow!("{e}"))?;
    let mut extra = Vec::new();
    for t in &args.tables {
        let (name, path) = t
            .split_once('=')
            .ok_or_else(|| anyhow!("--table {t}: expected NAME=PATH"))?;
        extra.push((
            name.trim().to_string(),
            input::resolve(&[path.to_string()]).map_err(|e| anyhow!("{e}"))?,
        ));
    }
    if let Some(out) = &args.output {
        output::check_not_input(out, &input.files)?;
        for (_, i) in &extra {
            output::check_not_input(out, &i.files)?;
        }
    }
    let kind = crate::engine::view::ViewKind::Query;
    let mut ds = Dataset::open_as(&input, &set.catalog, &args.engine.options(), kind)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    for (name, i) in &extra {
        ds.attach(name, i).await.map_err(|e| anyhow!("{e}"))?;
    }
    let Some(sql) = sql else {
        return crate::shell::run(&ds, args.format).await;
    };
    let statements = crate::query::split_statements(&sql);
    if statements.is_empty() {
        bail!("no SQL statement given");
    }
    let mut last = Vec::new();
    for stmt in &statements {
        let stmt = stmt.trim_matches(|c: char| c == '\n' || c == '\r');
        crate::engine::guard::check_user_query(stmt).map_err(|e| {
            anyhow!(
                "{}",
                crate::query::error_with_position(&ds, stmt, &e.to_string())
            )
        })?;
        last = ds.collect(stmt).await.map_err(|e| {
            anyhow!(
                "{}",
                crate::query::error_with_position(&ds, stmt, &e.to_string())
            )
        })?;
    }
    if args.format == QueryFormat::Parquet {
        crate::query::write_parquet(&last, args.output.as_deref().expect("checked above"))?;
        return Ok(0);
    }
    output::write_output(args.output.as_deref(), |w| {
        crate::query::render(&last, args.format, w)
    })?;
    Ok(0)
}
