//! Command-line arguments: every subcommand's flags, parsed once into typed values (enums,
//! sizes, applicability, FOCUS versions) so the commands receive no raw strings.

use crate::certify::gap::GapFormat;
use crate::engine::EngineOptions;
use crate::query::QueryFormat;
use crate::regress::render::RegressFormat;
use crate::report::ReportFormat;
use crate::rules::{Applicability, FocusVersion};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "Exit codes:
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

impl Command {
    /// The engine flags of a command that reads exports.
    pub fn engine(&self) -> Option<&EngineArgs> {
        match self {
            Command::Validate(a) => Some(&a.engine),
            Command::Query(a) => Some(&a.engine),
            Command::Regress(a) => Some(&a.engine),
            Command::Report(a) => Some(&a.engine),
            _ => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct ScrubArgs {
    /// The export to scrub (files, a directory or a glob forming one dataset)
    #[arg(required = true, value_name = "IN")]
    pub input: Vec<String>,
    /// Where to write the scrubbed copy: .csv, .csv.gz or .parquet (written atomically); for a
    /// bundle, a new folder holding one file per dataset
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Another dataset of the bundle (FOCUS 1.3+), e.g. --dataset InvoiceDetail=id.csv
    /// (repeatable; a bundle folder needs none)
    #[arg(long = "dataset", value_name = "NAME=PATH", value_parser = parse_pair)]
    pub datasets: Vec<(String, String)>,
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
    #[arg(long, value_enum, default_value_t = GapFormat::Markdown)]
    pub format: GapFormat,
    /// Write the report to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Applicability criteria beyond the declaration's: all, none, or A,B,...
    #[arg(long, default_value = "none", value_name = "all|none|A,B,...")]
    pub applicability: Applicability,
    /// Another dataset of the bundle (FOCUS 1.3+), e.g. --dataset ContractCommitment=cc.csv
    /// (repeatable; a bundle folder needs none)
    #[arg(long = "dataset", value_name = "NAME=PATH", value_parser = parse_pair)]
    pub datasets: Vec<(String, String)>,
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
    #[arg(long, value_enum, default_value_t = RegressFormat::Table)]
    pub format: RegressFormat,
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
    /// A conformant CSV export whose rows are the starting points (default: the bundled sample)
    #[arg(long, value_name = "FILE.csv")]
    pub template: Option<PathBuf>,
    /// Whose export to resemble: provider-like ids, regions, tags and charge mix (`replicate`
    /// repeats the template instead)
    #[arg(long, value_enum, default_value = "aws")]
    pub profile: crate::tools::synth::Profile,
    /// Seed of the generator: the same seed writes the same file
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
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
    /// FOCUS version of the rules (default: detected from the data's columns; 1.2 for the
    /// `rules` commands)
    #[arg(long = "focus-version", global = true)]
    pub focus_version: Option<FocusVersion>,
}

#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// Memory budget for the query engine (e.g. 512M, 4G); operators spill to disk beyond it
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub memory_limit: usize,
    /// Worker threads for scanning (default: number of cores)
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Longest CSV record or JSON line read (e.g. 256M); a longer one is refused with its file
    /// and line before it is held in memory
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_line_size: usize,
}

impl RuleSource {
    /// The version asked for, or FOCUS 1.2 where there is no data to detect it from.
    pub fn version_or_default(&self) -> FocusVersion {
        self.focus_version
            .clone()
            .unwrap_or_else(|| FocusVersion::parse("1.2").expect("1.2 is embedded"))
    }
}

impl EngineArgs {
    pub fn options(&self) -> EngineOptions {
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

/// `NAME=VALUE`, split at the first `=`.
fn parse_pair(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, found `{s}`"))?;
    Ok((k.trim().to_string(), v.to_string()))
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
    /// Export files (CSV, CSV.gz, Parquet, NDJSON), directories or globs forming one dataset;
    /// or s3://, gs://, az://, abfss:// or https:// locations (objects, prefixes, globs)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub source: RuleSource,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Applicability criteria the provider declares: all, none, or a comma-separated list
    /// such as COMMITMENT_DISCOUNT_SUPPORTED,TAGGING_SUPPORTED
    #[arg(long, default_value = "none", value_name = "all|none|A,B,...")]
    pub applicability: Applicability,
    /// Offending rows shown per failing requirement
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub sample_rows: usize,
    /// Only evaluate requirements whose id starts with one of these (plus what they need)
    #[arg(long, value_name = "PREFIX")]
    pub only: Vec<String>,
    /// Colour in the table view
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// The provider's declaration (YAML): feature areas, attestations, deviations, KILs. Adds the
    /// certification verdict to the report
    #[arg(long, value_name = "FILE")]
    pub declaration: Option<PathBuf>,
    /// Invoice totals (CSV: InvoiceId, currency, total) for the invoice alignment check
    #[arg(long, value_name = "FILE")]
    pub invoices: Option<PathBuf>,
    /// Another dataset of the bundle (FOCUS 1.3+), e.g. --dataset ContractCommitment=cc.csv:
    /// validated with its own requirements and read by those that span both (repeatable)
    #[arg(long = "dataset", value_name = "NAME=PATH", value_parser = parse_pair)]
    pub datasets: Vec<(String, String)>,
    /// Of a provider's delivery (AWS Data Exports, Azure cost export, OCI reports), validate
    /// only this billing period; without it each period is validated as a dataset of its own
    #[arg(long, value_name = "YYYY-MM")]
    pub billing_period: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the rules
    List {
        #[command(flatten)]
        source: RuleSource,
        /// Output format
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
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
    /// Check the rules: the rule schema, references, SQL plans against the FOCUS columns,
    /// examples
    Lint {
        #[command(flatten)]
        source: RuleSource,
        /// Leave the examples out (`rules test` runs them)
        #[arg(long)]
        no_examples: bool,
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
    /// Export files, directories, globs or object-store locations (registered as CostAndUsage)
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Of a provider's delivery (AWS Data Exports, Azure cost export, OCI reports), read only
    /// this billing period (default: every period, each as delivered)
    #[arg(long, value_name = "YYYY-MM")]
    pub billing_period: Option<String>,
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
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub params: Vec<(String, String)>,
    /// Add or override saved queries from this directory
    #[arg(long, value_name = "DIR")]
    pub queries: Option<PathBuf>,
    /// Also register another export as table NAME (repeatable), e.g. --table prev=2026-04/
    #[arg(long = "table", value_name = "NAME=PATH", value_parser = parse_pair)]
    pub tables: Vec<(String, String)>,
    /// Another dataset of the bundle (FOCUS 1.3+), e.g. --dataset InvoiceDetail=id.csv: the
    /// table of its name, typed as that dataset (repeatable; a bundle folder needs none)
    #[arg(long = "dataset", value_name = "NAME=PATH", value_parser = parse_pair)]
    pub datasets: Vec<(String, String)>,
    /// Output format (parquet needs --output)
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
    /// Write the result to this file (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub source: RuleSource,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// When the table view is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

/// Output of `rules list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}
