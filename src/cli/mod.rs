//! The command line: parse ([`args`]), dispatch, and one short function per command that
//! calls the library and maps its result to the documented exit code.

pub mod args;
mod panic;

use crate::output;
use crate::pipeline::Request;
use crate::query::{QueryFormat, SqlSource};
use crate::rules::{self, RuleSet};
use anyhow::{bail, Result};
use args::*;
use clap::Parser;
use std::io::IsTerminal;

/// Exit status of a command: 0 success, 1 problems found, 2 the run could not proceed.
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
    panic::install_hook();
    let code = panic::guard(|| match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("focus-sql: error: {e:#}");
            2
        }
    });
    // Tasks still running after a panic must not hold the process: stop without waiting.
    runtime.shutdown_background();
    code
}

async fn run(cli: Cli) -> Result<Code> {
    // The line limit holds for the whole process: input checks read it before any session.
    if let Some(e) = cli.command.engine() {
        crate::engine::bounded::set_max_line(e.max_line_size as u64);
    }
    match cli.command {
        Command::Validate(a) => validate(a).await,
        Command::Rules(cmd) => rules(cmd).await,
        Command::Query(a) => query(a).await,
        Command::Queries(cmd) => queries(cmd),
        Command::Regress(a) => regress(a).await,
        Command::Report(a) => gap_report(a).await,
        Command::Scrub(a) => scrub(a).await,
        Command::Convert(a) => convert(a).await,
        Command::Synth(a) => synth(a).await,
    }
}

/// Load the rule set of the version asked for (1.2 by default); files that fail to load are
/// reported on stderr and counted.
fn load_rules(source: &RuleSource) -> Result<(RuleSet, usize)> {
    load_version(&source.version_or_default(), source)
}

/// Load the rule set of the version asked for, or of the version `paths` are in (detected from
/// their columns, and said on stderr).
async fn load_rules_for(source: &RuleSource, paths: &[String]) -> Result<(RuleSet, usize)> {
    let version = match &source.focus_version {
        Some(v) => v.clone(),
        None => {
            let columns = columns_of(paths).await?;
            let (v, why) = rules::detect_version(&columns)?;
            eprintln!("focus-sql: FOCUS {v} ({why}; --focus-version chooses another)");
            v
        }
    };
    load_version(&version, source)
}

/// The columns of `paths`; for a folder whose files are of different datasets (a FOCUS 1.3+
/// bundle), every column of any of its files.
async fn columns_of(paths: &[String]) -> Result<Vec<String>> {
    use crate::engine::input;
    let whole = match input::resolve(paths).await {
        Ok(i) => input::column_names(&i).await,
        Err(e) => Err(e),
    };
    let err = match whole {
        Ok(columns) => return Ok(columns),
        Err(e) => e,
    };
    let files = match input::local_files(paths) {
        Ok(Some(f)) if f.len() > 1 => f,
        _ => bail!("{err}"),
    };
    let mut columns: Vec<String> = Vec::new();
    for f in files {
        let one = input::resolve(&[f.display().to_string()])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for c in input::column_names(&one)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
    }
    Ok(columns)
}

fn load_version(version: &rules::FocusVersion, source: &RuleSource) -> Result<(RuleSet, usize)> {
    let loaded = RuleSet::load(version, source.rules.as_deref())?;
    for e in &loaded.errors {
        eprintln!("focus-sql: rule error: {e}");
    }
    Ok((loaded.set, loaded.errors.len()))
}

fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !to_file && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

async fn validate(a: ValidateArgs) -> Result<Code> {
    let parts = crate::store::by_period(&a.paths, a.billing_period.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    if let [part] = &parts[..] {
        let (v, rule_errors) = validate_one(&a, part.paths.clone()).await?;
        let color = use_color(a.color, a.output.is_some());
        output::write_output(a.output.as_deref(), |w| v.render(a.format, w, color))?;
        return Ok(finish_validation(&[(v, rule_errors)]));
    }
    if a.format == crate::report::ReportFormat::Junit {
        bail!(
            "{} holds {} billing periods: --format junit reports one (add --billing-period)",
            a.paths[0],
            parts.len()
        );
    }
    // Each billing period of a delivery is a dataset of its own.
    let mut runs = Vec::new();
    for part in &parts {
        runs.push(validate_one(&a, part.paths.clone()).await?);
    }
    let color = use_color(a.color, a.output.is_some());
    output::write_output(a.output.as_deref(), |w| {
        if a.format == crate::report::ReportFormat::Json {
            let mut items = Vec::new();
            for (part, (v, _)) in parts.iter().zip(&runs) {
                let mut buf = Vec::new();
                v.render(a.format, &mut buf, false)?;
                let report: serde_json::Value = serde_json::from_slice(&buf)?;
                let (period, provider) = part.period.clone().expect("a layout's part");
                items.push(serde_json::json!({
                    "billing_period": period,
                    "provider": provider.to_string(),
                    "validation": report,
                }));
            }
            serde_json::to_writer_pretty(
                &mut *w,
                &serde_json::json!({ "billing_periods": items }),
            )?;
            return writeln!(w);
        }
        for (i, (part, (v, _))) in parts.iter().zip(&runs).enumerate() {
            let (period, provider) = part.period.clone().expect("a layout's part");
            if i > 0 {
                writeln!(w)?;
            }
            writeln!(
                w,
                "== Billing period {period} ({provider}, {} file(s))",
                part.paths.len()
            )?;
            v.render(a.format, w, color)?;
        }
        Ok(())
    })?;
    Ok(finish_validation(&runs))
}

/// Validate one dataset as `a` asks.
async fn validate_one(
    a: &ValidateArgs,
    paths: Vec<String>,
) -> Result<(crate::pipeline::Validation, usize)> {
    let (mut set, rule_errors) = load_rules_for(&a.source, &paths).await?;
    set.retain_prefixes(&a.only);
    // A bundle: a folder (each file validated as the dataset its manifest or columns make it),
    // or the main dataset plus --dataset NAME=PATH.
    let b = crate::pipeline::bundle(&set, &paths, &a.datasets).await?;
    if b.dataset.is_some() {
        eprintln!("{}", b.describe());
    }
    let mut request = Request::new(&set, b.paths, a.engine.options());
    request.dataset = b.dataset;
    request.applicability = a.applicability.clone();
    request.declaration = a.declaration.clone();
    request.invoices = a.invoices.clone();
    request.sample_rows = a.sample_rows;
    request.rules_dir = a.source.rules.clone();
    request.output = a.output.clone();
    request.with = b.others;
    request.progress = std::io::stderr().is_terminal();
    let v = request.run().await?;
    Ok((v, rule_errors))
}

/// Report what kept the verdicts incomplete and pick the exit code: a failed MUST is a finding
/// (1); otherwise a verdict with unloadable rules or datasets is incomplete (2).
fn finish_validation(runs: &[(crate::pipeline::Validation, usize)]) -> Code {
    let mut code = 0;
    for (v, rule_errors) in runs {
        if *rule_errors > 0 {
            eprintln!("focus-sql: {rule_errors} rule file(s) could not be loaded (see above)");
        }
        for p in &v.problems {
            eprintln!("focus-sql: error: {p}");
        }
        let this = if !v.conformant() {
            1
        } else if *rule_errors > 0 || !v.problems.is_empty() {
            2
        } else {
            0
        };
        code = match (code, this) {
            (1, _) | (_, 1) => 1,
            (a, b) => a.max(b),
        };
    }
    code
}

/// `report`: validate the sample with the declaration, profile its columns, write the draft.
async fn gap_report(a: ReportArgs) -> Result<Code> {
    let (set, rule_errors) = load_rules_for(&a.source, &a.paths).await?;
    if rule_errors > 0 {
        bail!(
            "{rule_errors} rule file(s) could not be loaded: a gap report needs the whole rule set"
        );
    }
    let b = crate::pipeline::bundle(&set, &a.paths, &a.datasets).await?;
    if b.dataset.is_some() {
        eprintln!("{}", b.describe());
    }
    let mut request = Request::new(&set, b.paths, a.engine.options());
    request.dataset = b.dataset;
    request.applicability = a.applicability;
    request.declaration = Some(a.declaration);
    request.invoices = a.invoices;
    request.sample_rows = 0;
    request.rules_dir = a.source.rules.clone();
    request.output = a.output.clone();
    request.with = b.others;
    request.progress = std::io::stderr().is_terminal();
    let v = request.run().await?;
    let (Some(cert), Some(declaration)) = (&v.certification, &v.declaration) else {
        bail!("a gap report needs the declaration's verdict");
    };
    let draft =
        crate::certify::gap::build(&v.dataset, &v.report, cert, declaration, &v.companions).await?;
    output::write_output(a.output.as_deref(), |w| {
        crate::certify::gap::render(&draft, a.format, w)
    })?;
    Ok(0)
}

async fn regress(a: RegressArgs) -> Result<Code> {
    let settings = crate::regress::Settings {
        corpus: a.corpus,
        baseline: a.baseline,
        update_baseline: a.update_baseline,
        rules_dir: a.source.rules,
        run: crate::regress::RegressOptions {
            jobs: a.jobs,
            memory_limit: a.engine.memory_limit,
            threads: a.engine.threads,
            progress: std::io::stderr().is_terminal(),
        },
    };
    let r = crate::regress::regress(&settings).await?;
    output::write_output(a.output.as_deref(), |w| {
        crate::regress::render::render(&r.report, a.format, w)
    })?;
    Ok(r.exit_code())
}

async fn rules(cmd: RulesCommand) -> Result<Code> {
    match cmd {
        RulesCommand::List { source, format } => {
            let (set, errors) = load_rules(&source)?;
            match format {
                ListFormat::Json => println!("{}", rules::show::list_json(&set)?),
                ListFormat::Table => println!("{}", rules::show::list_table(&set)),
            }
            Ok(if errors > 0 { 2 } else { 0 })
        }
        RulesCommand::Show { id, source } => {
            let (set, _) = load_rules(&source)?;
            let Some(r) = set.get(&id) else {
                let hint = set
                    .closest_id(&id)
                    .map(|c| format!(" (did you mean {c}?)"))
                    .unwrap_or_default();
                bail!("no rule with id {id}{hint}");
            };
            print!("{}", rules::show::show(r));
            Ok(0)
        }
        RulesCommand::Test { prefixes, source } => {
            let (set, errors) = load_rules(&source)?;
            let summary = crate::check::examples::run(&set, &prefixes).await;
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
        RulesCommand::Lint {
            source,
            no_examples,
        } => {
            let (set, errors) = load_rules(&source)?;
            let mut problems = crate::check::lint::lint_files(
                &source.version_or_default(),
                source.rules.as_deref(),
            )?;
            problems.extend(crate::check::lint::lint(&set).await);
            if !no_examples {
                let summary = crate::check::examples::run(&set, &[]).await;
                problems.extend(summary.failures.iter().map(|f| f.to_string()));
            }
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
            let model = rules::sync::read_model(&model)?;
            let drift = rules::sync::compare(&set, &model);
            output::write_output(None, |w| rules::sync::render(&drift, w))?;
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

fn queries(cmd: QueriesCommand) -> Result<Code> {
    use crate::query::saved;
    match cmd {
        QueriesCommand::List { queries } => {
            println!("{}", saved::list_table(&saved::load(queries.as_deref())?));
        }
        QueriesCommand::Show { name, queries } => {
            let all = saved::load(queries.as_deref())?;
            println!("{}", saved::find(&all, &name)?);
        }
    }
    Ok(0)
}

/// Where `query` takes its SQL from: at most one of -c, -f and --saved.
fn sql_source(a: &QueryArgs) -> Result<SqlSource> {
    if !a.params.is_empty() && a.saved.is_none() {
        bail!("--param goes with --saved NAME");
    }
    Ok(match (&a.command, &a.file, &a.saved) {
        (Some(c), None, None) => SqlSource::Text(c.clone()),
        (None, Some(f), None) => SqlSource::File(f.clone()),
        (None, None, Some(name)) => SqlSource::Saved {
            name: name.clone(),
            params: a.params.clone(),
            dir: a.queries.clone(),
        },
        (None, None, None) => SqlSource::StdinOrShell,
        _ => bail!("give one of -c SQL, -f FILE or --saved NAME"),
    })
}

async fn query(a: QueryArgs) -> Result<Code> {
    let sql = sql_source(&a)?.read()?;
    if a.paths.is_empty() {
        bail!("give at least one export PATH");
    }
    if a.format == QueryFormat::Parquet && a.output.is_none() {
        bail!("--format parquet writes a file: give --output FILE.parquet");
    }
    let paths = match &a.billing_period {
        Some(p) => {
            let parts = crate::store::by_period(&a.paths, Some(p))
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            parts.into_iter().flat_map(|p| p.paths).collect()
        }
        None => a.paths.clone(),
    };
    let (set, _) = load_rules_for(&a.source, &paths).await?;
    // A bundle (a folder, or --dataset NAME=PATH): each dataset is the table of its name.
    let b = if a.tables.is_empty() || !a.datasets.is_empty() {
        crate::pipeline::bundle(&set, &paths, &a.datasets).await?
    } else {
        crate::pipeline::Bundle {
            dataset: None,
            paths: paths.clone(),
            others: Vec::new(),
        }
    };
    let paths = b.paths;
    let mut tables: Vec<(String, Vec<String>)> = b.others;
    tables.extend(a.tables.iter().map(|(n, p)| (n.clone(), vec![p.clone()])));
    // A Contract Commitment file is the table ContractCommitment, typed as such.
    let detected = match b.dataset.as_deref().and_then(|n| set.dataset(n)) {
        Some(d) => d,
        None => {
            let input = crate::engine::input::resolve(&paths)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let columns = crate::engine::input::column_names(&input)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            set.detect_dataset(&columns)
        }
    };
    let ds = crate::query::open(
        &paths,
        &tables,
        &set,
        detected,
        &a.engine.options(),
        a.output.as_deref(),
    )
    .await?;
    let Some(sql) = sql else {
        return crate::query::shell::run(&ds, a.format).await;
    };
    let batches = crate::query::run_script(&ds, &sql).await?;
    match (&a.output, a.format) {
        (Some(out), QueryFormat::Parquet) => crate::query::write_parquet(&batches, out)?,
        (out, format) => output::write_output(out.as_deref(), |w| {
            crate::query::render(&batches, format, w)
        })?,
    }
    Ok(0)
}

async fn scrub(a: ScrubArgs) -> Result<Code> {
    use crate::tools::scrub;
    let (set, _) = load_rules_for(&a.source, &a.input).await?;
    let key = scrub::read_key(a.key_file.as_deref())?;
    let b = crate::pipeline::bundle(&set, &a.input, &a.datasets).await?;
    if b.others.is_empty() {
        // One dataset: one file.
        let catalog = match b.dataset.as_deref().and_then(|n| set.dataset(n)) {
            Some(c) => c,
            None => &set.catalog,
        };
        let rows = scrub::scrub(&b.paths, &a.output, &key, catalog).await?;
        eprintln!(
            "focus-sql: wrote {rows} scrubbed rows to {}",
            a.output.display()
        );
        return Ok(0);
    }
    // A bundle: a folder with one file per dataset.
    eprintln!("{}", b.describe());
    let main = match b.dataset.clone() {
        Some(n) => n,
        None => {
            let columns = columns_of(&b.paths).await?;
            set.detect_dataset(&columns).dataset.clone()
        }
    };
    let mut parts = Vec::new();
    for (name, paths) in std::iter::once((main, b.paths)).chain(b.others) {
        let catalog = set
            .dataset(&name)
            .ok_or_else(|| anyhow::anyhow!("FOCUS {} has no dataset {name}", set.version))?;
        let file_name = scrub_file_name(&name, &paths);
        if parts.iter().any(|p: &scrub::Part| p.file_name == file_name) {
            bail!("two datasets of the bundle would both be written to {file_name}");
        }
        parts.push(scrub::Part {
            catalog,
            paths,
            file_name,
        });
    }
    let rows = scrub::scrub_bundle(&parts, &a.output, &key).await?;
    for (p, n) in parts.iter().zip(rows) {
        eprintln!(
            "focus-sql: wrote {n} scrubbed rows of {} to {}",
            p.catalog.dataset,
            a.output.join(&p.file_name).display()
        );
    }
    Ok(0)
}

/// The file a bundle's dataset is scrubbed into: the name of its one file when that is a format
/// scrub writes, else the dataset's name in kebab case (`cost-and-usage`) with the input's
/// ending (CSV for JSON lines).
fn scrub_file_name(dataset: &str, paths: &[String]) -> String {
    use crate::engine::input::InputFormat;
    let name = |p: &String| {
        p.trim_end_matches('/')
            .rsplit('/')
            .next()
            .map(str::to_string)
    };
    let format = paths
        .first()
        .and_then(|p| InputFormat::of(std::path::Path::new(p)));
    if let ([one], Some(f)) = (paths, format) {
        if f != InputFormat::NdJson {
            if let Some(n) = name(one) {
                return n;
            }
        }
    }
    let mut kebab = String::new();
    for (i, c) in dataset.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(c.to_ascii_lowercase());
    }
    let ext = match format {
        Some(f) if f != InputFormat::NdJson => f.extension(),
        _ => ".csv",
    };
    format!("{kebab}{ext}")
}

async fn convert(a: ConvertArgs) -> Result<Code> {
    let (set, _) = load_rules_for(&a.source, &a.paths).await?;
    let rows = crate::tools::convert::to_parquet(&a.paths, &a.output, &set.catalog).await?;
    eprintln!("focus-sql: wrote {rows} rows to {}", a.output.display());
    Ok(0)
}

async fn synth(a: SynthArgs) -> Result<Code> {
    let (set, _) = load_rules(&a.source)?;
    let opts = crate::tools::synth::SynthOptions {
        rows: a.rows,
        template: a.template,
        output: a.output.clone(),
        profile: a.profile,
        seed: a.seed,
    };
    crate::tools::synth::synth(&opts, &set.catalog).await?;
    eprintln!("focus-sql: wrote {} rows to {}", a.rows, a.output.display());
    Ok(0)
}
