//! Evaluating a rule set on a dataset: applicability, skipping rules whose columns are absent,
//! one fused scan for every row-level check, one query per set-level check, then composites and
//! dependencies.

use crate::check::outcome::{Outcome, Status};
use crate::engine::clean_error;
use crate::engine::{guard, quote_ident, view, Dataset, Sample, SOURCE_TABLE};
use crate::rules::{Applicability, Check, Rule, RuleSet, COLUMN_PLACEHOLDER};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

pub mod examples;
pub mod lint;
mod native;
pub mod outcome;
pub mod progress;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub applicability: Applicability,
    pub sample_rows: usize,
    pub concurrency: usize,
    /// The progress line (hidden by default).
    pub progress: progress::Progress,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            applicability: Applicability::None,
            sample_rows: 5,
            concurrency: 2,
            progress: progress::Progress::default(),
        }
    }
}

/// The outcome of every rule, plus facts about the scan.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub outcomes: BTreeMap<String, Outcome>,
    pub rows: u64,
}

/// A row-level check ready to fuse.
#[derive(Debug, Clone)]
pub(crate) struct RowCheck {
    id: String,
    /// TRUE exactly on offending rows.
    violation: String,
    /// The same, for the fused scan (`unguarded_violation_expr`).
    fused: String,
    /// Columns to show for offending rows.
    show: Vec<String>,
}

/// Every name the rules of `set` could read a column by: the identifiers and double-quoted
/// names of their SQL (a `X__raw` as X), and the columns they name. A superset (words of
/// string literals too), so that a column a rule reads is never left out of a wide CSV's copy.
pub fn named_columns(set: &RuleSet) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    let mut add = |text: &str| {
        for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !w.is_empty() {
                out.insert(w.strip_suffix(view::RAW_SUFFIX).unwrap_or(w).to_string());
                out.insert(w.to_string());
            }
        }
        for (i, quoted) in text.split('"').enumerate() {
            if i % 2 == 1 {
                out.insert(quoted.to_string());
                out.insert(
                    quoted
                        .strip_suffix(view::RAW_SUFFIX)
                        .unwrap_or(quoted)
                        .to_string(),
                );
            }
        }
    };
    for rule in &set.rules {
        match &rule.check {
            Check::Row { expr, when, each } => {
                add(expr);
                when.iter().for_each(|w| add(w));
                each.iter().for_each(|c| add(c));
            }
            Check::Sql { query } => add(query),
            Check::Present { column } => add(column),
            Check::Type { column, when, .. } | Check::Format { column, when, .. } => {
                add(column);
                when.iter().for_each(|w| add(w));
            }
            _ => {}
        }
    }
    out
}

/// Catalog columns a piece of SQL mentions (a `X__raw` mention counts as X).
/// What a rule's FOCUS version knows beyond the dataset being checked: its datasets and the
/// columns of all of them (a rule naming another dataset's column is skipped, not an error).
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    pub datasets: Vec<String>,
    pub columns: BTreeSet<String>,
}

impl Known {
    pub fn of(set: &RuleSet) -> Known {
        Known {
            datasets: set.dataset_names(),
            columns: set
                .datasets
                .iter()
                .flat_map(|(_, c)| c.columns.iter().map(|d| d.name.clone()))
                .collect(),
        }
    }
}

fn mentioned_columns(ds: &Dataset, sql: &str, known: &Known) -> BTreeSet<String> {
    guard::words(sql)
        .into_iter()
        .map(|w| {
            w.strip_suffix(view::RAW_SUFFIX)
                .map(str::to_string)
                .unwrap_or(w)
        })
        .filter(|w| ds.catalog.column(w).is_some() || known.columns.contains(w))
        .collect()
}

/// Why a check cannot run: the columns it names that are not present (a query may also read
/// the columns of datasets registered beside this one: `across`).
fn absent_reason(ds: &Dataset, cols: &BTreeSet<String>, across: bool) -> Option<String> {
    let missing: Vec<&str> = cols
        .iter()
        .filter(|c| !(ds.has_column(c) || (across && ds.attached_columns.contains(*c))))
        .map(|s| s.as_str())
        .collect();
    match missing.as_slice() {
        [] => None,
        [one] => Some(format!("column {one} is not present")),
        many => Some(format!("columns {} are not present", many.join(", "))),
    }
}

fn violation_expr(pred: &str, when: Option<&str>) -> String {
    // Three-valued logic does the work: a NULL `when` or `pred` makes the whole expression NULL,
    // which CASE WHEN and WHERE treat as "not a violation". (No IS TRUE / IS FALSE: DataFusion 55
    // disagrees with itself about their nullability once common subexpressions are extracted.)
    match when {
        Some(w) => format!("(({w}) AND NOT ({pred}))"),
        None => format!("(NOT ({pred}))"),
    }
}

/// The same violation for the fused scan: `focus_and` is SQL's AND without DataFusion's
/// pre-selection, which, for a selective `when`, copies every column of the batch to evaluate
/// the right side on the selected rows only. In a scan of hundreds of checks those copies cost
/// more than evaluating the (cheap) predicates on every row. Neither form is a guard: DataFusion's
/// AND also evaluates the right side on every row unless `when` holds on under a fifth of the
/// batch, so a predicate must not raise an error on rows its `when` excludes. One that does fails
/// the fused scan, and each check is then rerun alone, so only the faulty one reports the error.
fn unguarded_violation_expr(pred: &str, when: Option<&str>) -> String {
    match when {
        Some(w) => format!("focus_and(({w}), NOT ({pred}))"),
        None => format!("(NOT ({pred}))"),
    }
}

/// What a rule needs before its composite/dependency resolution.
pub(crate) enum Plan {
    Done(Outcome),
    Row(RowCheck),
    Sql(String),
    Composite,
}

/// The other datasets of the version that `sql` reads but `ds` does not have registered.
fn missing_datasets(ds: &Dataset, sql: &str, datasets: &[String]) -> Vec<String> {
    let words = guard::words(sql);
    datasets
        .iter()
        .filter(|d| **d != ds.catalog.dataset && !ds.attached.contains(d))
        .filter(|d| words.iter().any(|w| w == *d))
        .cloned()
        .collect()
}

/// Decide how to evaluate one rule (no data is read here). `datasets` names every dataset of
/// the rule's FOCUS version, so that a query across datasets can say which one it lacks.
pub(crate) fn plan_rule(rule: &Rule, ds: &Dataset, opts: &RunOptions, known: &Known) -> Plan {
    match plan_as_written(rule, ds, opts, known) {
        // Text tests on natively typed columns are decided by the type (`native`).
        Plan::Row(mut check) => {
            check.violation = native::simplify(ds, &check.violation);
            check.fused = native::simplify(ds, &check.fused);
            Plan::Row(check)
        }
        other => other,
    }
}

fn plan_as_written(rule: &Rule, ds: &Dataset, opts: &RunOptions, known: &Known) -> Plan {
    if let Some(why) = &rule.removed {
        return Plan::Done(Outcome::with(Status::Skip, format!("removed: {why}")));
    }
    let missing: Vec<&str> = rule
        .applicability
        .iter()
        .filter(|c| !opts.applicability.declares(c))
        .map(|s| s.as_str())
        .collect();
    if !missing.is_empty() {
        return Plan::Done(Outcome::not_applicable(&missing));
    }
    match &rule.check {
        Check::Evidence(text) => Plan::Done(Outcome::with(Status::NeedsEvidence, text.clone())),
        Check::Permission(text) => Plan::Done(Outcome::with(
            Status::Skip,
            format!("permission ({}): {text}", rule.keyword),
        )),
        Check::AllOf(_) | Check::AnyOf(_) => Plan::Composite,
        Check::Dataset(name) => {
            if ds.catalog.dataset == *name || ds.attached.contains(name) {
                Plan::Done(Outcome::pass())
            } else {
                let mut o = Outcome::fail(1, None);
                o.reason = Some(format!("the {name} dataset was not supplied"));
                Plan::Done(o)
            }
        }
        Check::Present { column } => {
            if ds.has_column(column) {
                Plan::Done(Outcome::pass())
            } else {
                let mut o = Outcome::fail(1, None);
                o.reason = Some(format!("column {column} is not present"));
                Plan::Done(o)
            }
        }
        Check::Row { expr, when, each } if !each.is_empty() => {
            let present: Vec<&String> = each.iter().filter(|c| ds.has_column(c)).collect();
            if present.is_empty() {
                return Plan::Done(Outcome::with(
                    Status::Skip,
                    format!("none of {} is present", each.join(", ")),
                ));
            }
            let mut parts = Vec::new();
            let mut fused_parts = Vec::new();
            let mut show: BTreeSet<String> = BTreeSet::new();
            let format = native::attribute_format(rule);
            for c in present {
                if let Some(decided) = format.and_then(|f| native::format_part(ds, c, f)) {
                    if let Some(pred) = decided {
                        show.insert(c.clone());
                        parts.push(violation_expr(&pred, None));
                        fused_parts.push(violation_expr(&pred, None));
                    }
                    continue;
                }
                let e = expr.replace(COLUMN_PLACEHOLDER, c);
                let w = when.as_ref().map(|w| w.replace(COLUMN_PLACEHOLDER, c));
                for part in std::iter::once(&e).chain(w.iter()) {
                    if let Err(err) = guard::check_expr(part) {
                        return Plan::Done(Outcome::with(Status::Error, err));
                    }
                }
                let cols =
                    mentioned_columns(ds, &format!("{e} {}", w.as_deref().unwrap_or("")), known);
                if let Some(reason) = absent_reason(ds, &cols, false) {
                    return Plan::Done(Outcome::with(Status::Skip, reason));
                }
                show.extend(cols);
                parts.push(violation_expr(&e, w.as_deref()));
                fused_parts.push(unguarded_violation_expr(&e, w.as_deref()));
            }
            if parts.is_empty() {
                return Plan::Done(Outcome::pass());
            }
            Plan::Row(RowCheck {
                id: rule.id.clone(),
                violation: format!("({})", parts.join(" OR ")),
                fused: format!("({})", fused_parts.join(" OR ")),
                show: show.into_iter().collect(),
            })
        }
        Check::Row { expr, when, .. } => {
            for part in std::iter::once(expr).chain(when.iter()) {
                if let Err(e) = guard::check_expr(part) {
                    return Plan::Done(Outcome::with(Status::Error, e));
                }
            }
            let cols = mentioned_columns(
                ds,
                &format!("{expr} {}", when.as_deref().unwrap_or("")),
                known,
            );
            if let Some(reason) = absent_reason(ds, &cols, false) {
                return Plan::Done(Outcome::with(Status::Skip, reason));
            }
            Plan::Row(RowCheck {
                id: rule.id.clone(),
                violation: violation_expr(expr, when.as_deref()),
                fused: unguarded_violation_expr(expr, when.as_deref()),
                show: cols.into_iter().collect(),
            })
        }
        Check::Type { column, when, .. } | Check::Format { column, when, .. } => {
            let Some(source) = ds.column(column) else {
                return Plan::Done(Outcome::with(
                    Status::Skip,
                    format!("column {column} is not present"),
                ));
            };
            let pred = match &rule.check {
                Check::Type { ty, .. } => view::type_predicate(source, *ty),
                Check::Format { format, .. } => view::format_predicate(source, *format),
                _ => unreachable!(),
            };
            let mut cols: BTreeSet<String> = BTreeSet::from([column.clone()]);
            if let Some(w) = when {
                if let Err(e) = guard::check_expr(w) {
                    return Plan::Done(Outcome::with(Status::Error, e));
                }
                cols.extend(mentioned_columns(ds, w, known));
                if let Some(reason) = absent_reason(ds, &cols, false) {
                    return Plan::Done(Outcome::with(Status::Skip, reason));
                }
            }
            let mut show: Vec<String> = vec![column.clone()];
            show.extend(cols.into_iter().filter(|c| c != column));
            Plan::Row(RowCheck {
                id: rule.id.clone(),
                violation: violation_expr(&pred, when.as_deref()),
                fused: unguarded_violation_expr(&pred, when.as_deref()),
                show,
            })
        }
        Check::Sql { query } => {
            if let Err(e) = guard::check_query(query) {
                return Plan::Done(Outcome::with(Status::Error, e));
            }
            let missing = missing_datasets(ds, query, &known.datasets);
            if !missing.is_empty() {
                return Plan::Done(Outcome::with(
                    Status::Skip,
                    format!(
                        "needs the {} dataset too (validate with --dataset {}=PATH)",
                        missing.join(" and "),
                        missing[0]
                    ),
                ));
            }
            let cols = mentioned_columns(ds, query, known);
            if let Some(reason) = absent_reason(ds, &cols, true) {
                return Plan::Done(Outcome::with(Status::Skip, reason));
            }
            Plan::Sql(query.clone())
        }
    }
}

fn sample_sql(ds: &Dataset, check: &RowCheck, limit: usize) -> String {
    let cols: Vec<String> = check
        .show
        .iter()
        .map(|c| {
            if ds.catalog.column(c).is_some() {
                format!("{} AS {}", quote_ident(&view::raw_name(c)), quote_ident(c))
            } else {
                quote_ident(c)
            }
        })
        .collect();
    let cols = if cols.is_empty() {
        "*".to_string()
    } else {
        cols.join(", ")
    };
    format!(
        "SELECT {cols} FROM {} WHERE {} LIMIT {limit}",
        quote_ident(&ds.catalog.dataset),
        check.violation
    )
}

/// The fused scan as a plan: one aggregate counting each check's violations. Built from the
/// parsed expressions rather than from one SELECT of hundreds of items, which DataFusion's SQL
/// planner handles in time quadratic in the item count. Each expression is checked read-only
/// (`guard::check_expr`) when the rule is planned.
pub(crate) async fn fused_frame(
    ds: &Dataset,
    checks: &[&RowCheck],
) -> datafusion::common::Result<datafusion::prelude::DataFrame> {
    let df = ds
        .ctx
        .table(datafusion::common::TableReference::bare(
            ds.catalog.dataset.as_str(),
        ))
        .await?;
    let exprs = distinct_scan_exprs(checks).0;
    // First the columns the checks read: the expressions are then resolved against those, not
    // against every column of a wide file (a linear search each). Should one not resolve, the
    // whole table is planned instead, so that an error reads as it always has.
    let names: std::collections::HashSet<&str> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let mut read: Vec<String> = exprs
        .iter()
        .flat_map(|t| guard::words(t))
        .filter(|w| names.contains(w.as_str()))
        .collect();
    read.sort();
    read.dedup();
    let read: Vec<&str> = read.iter().map(String::as_str).collect();
    let narrow = df.clone().select_columns(&read)?;
    match aggregate_checks(ds, narrow, &exprs) {
        Ok(frame) => Ok(frame),
        Err(_) => aggregate_checks(ds, df, &exprs),
    }
}

/// One aggregate over `df` counting where each expression is TRUE (and every row, as `n`).
fn aggregate_checks(
    ds: &Dataset,
    df: datafusion::prelude::DataFrame,
    exprs: &[&str],
) -> datafusion::common::Result<datafusion::prelude::DataFrame> {
    let schema = df.schema().clone();
    let count = crate::engine::functions::count_true();
    let mut aggregates = vec![count.call(vec![datafusion::prelude::lit(true)]).alias("n")];
    for (i, text) in exprs.iter().enumerate() {
        let e = ds.ctx.parse_sql_expr(text, &schema)?;
        aggregates.push(count.call(vec![e]).alias(format!("c{i}")));
    }
    df.aggregate(vec![], aggregates)
}

/// The distinct violations of a fused scan, and for each check the one it counts with. Checks
/// that ask the same of the data once planned (the parts of a format attribute that a native
/// column type settles, say) are counted once: DataFusion does not always merge identical
/// aggregate arguments.
fn distinct_scan_exprs<'a>(checks: &[&'a RowCheck]) -> (Vec<&'a str>, Vec<usize>) {
    let mut exprs: Vec<&'a str> = Vec::new();
    let mut index: HashMap<&'a str, usize> = HashMap::new();
    let slots = checks
        .iter()
        .map(|c| {
            let text = scan_expr(c, checks.len());
            *index.entry(text).or_insert_with(|| {
                exprs.push(text);
                exprs.len() - 1
            })
        })
        .collect();
    (exprs, slots)
}

/// The violation a scan of `n` checks evaluates: a check alone (a rerun after the fused scan
/// failed, an example) keeps its `when` as a guard.
fn scan_expr<'a>(c: &'a RowCheck, n: usize) -> &'a str {
    if n > 1 {
        &c.fused
    } else {
        &c.violation
    }
}

/// The key of a fused scan's plan in the plan cache.
fn fused_key(checks: &[&RowCheck]) -> String {
    let mut key = String::from("fused scan\n");
    for c in checks {
        key.push_str(scan_expr(c, checks.len()));
        key.push('\n');
    }
    key
}

/// The physical plan of a fused scan (optimized once per shape of data).
async fn fused_plan(
    ds: &Dataset,
    checks: &[&RowCheck],
) -> datafusion::common::Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
    ds.physical_plan(&fused_key(checks), fused_frame(ds, checks))
        .await
}

/// Counts for fused checks: Ok(counts in order, row count) or the error of the fused scan.
async fn run_fused(
    ds: &Dataset,
    checks: &[&RowCheck],
) -> datafusion::common::Result<(Vec<u64>, u64)> {
    let plan = fused_plan(ds, checks).await?;
    counts_watched(ds, plan, checks, &progress::Progress::default()).await
}

/// Execute a fused scan, reporting the rows read on `progress`.
async fn counts_watched(
    ds: &Dataset,
    plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    checks: &[&RowCheck],
    progress: &progress::Progress,
) -> datafusion::common::Result<(Vec<u64>, u64)> {
    let _watch = progress.watch_scan(
        &format!("row checks ({} in one scan)", checks.len()),
        plan.clone(),
    );
    let batches = datafusion::physical_plan::collect(plan, ds.ctx.task_ctx()).await?;
    let batch = batches.first().ok_or_else(|| {
        datafusion::common::DataFusionError::Execution("aggregate returned no row".into())
    })?;
    let get = |i: usize| -> u64 {
        let col = batch.column(i);
        let col =
            datafusion::arrow::compute::cast(col, &datafusion::arrow::datatypes::DataType::Int64)
                .unwrap_or_else(|_| col.clone());
        let a = col.as_primitive::<Int64Type>();
        if a.is_null(0) {
            0
        } else {
            a.value(0).max(0) as u64
        }
    };
    let rows = get(0);
    let slots = distinct_scan_exprs(checks).1;
    Ok((slots.iter().map(|&i| get(i + 1)).collect(), rows))
}

/// Why a fused scan failed: the input itself (unreadable rows), or one of the checks.
async fn input_problem(ds: &Dataset) -> Option<String> {
    let sql = format!("SELECT * FROM {}", quote_ident(SOURCE_TABLE));
    let df = match ds.ctx.sql(&sql).await {
        Ok(df) => df,
        Err(e) => return Some(clean_error(&e.to_string())),
    };
    let mut stream = match df.execute_stream().await {
        Ok(s) => s,
        Err(e) => return Some(clean_error(&e.to_string())),
    };
    while let Some(b) = stream.next().await {
        if let Err(e) = b {
            return Some(clean_error(&e.to_string()));
        }
    }
    None
}

/// The run could not proceed (the data cannot be read).
#[derive(Debug, Clone)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Evaluate every rule of `set` on `ds`.
pub async fn run(set: &RuleSet, ds: &Dataset, opts: &RunOptions) -> Result<RunResult, RunError> {
    let timing = std::env::var_os("FOCUS_SQL_TIMING").is_some();
    let planning_rules = std::time::Instant::now();
    let mut base: HashMap<String, Outcome> = HashMap::new();
    let mut rows_checks: Vec<RowCheck> = Vec::new();
    let mut sql_checks: Vec<(String, String)> = Vec::new();
    let known = Known::of(set);
    for rule in &set.rules {
        match plan_rule(rule, ds, opts, &known) {
            Plan::Done(o) => {
                base.insert(rule.id.clone(), o);
            }
            Plan::Row(rc) => rows_checks.push(rc),
            Plan::Sql(q) => sql_checks.push((rule.id.clone(), q)),
            Plan::Composite => {}
        }
    }

    if timing {
        eprintln!(
            "timing: planning each rule: {:.2?}",
            planning_rules.elapsed()
        );
    }
    // Plan the fused query; on a planning error, find the culprits and leave them out.
    let planning = std::time::Instant::now();
    let mut fused: Vec<&RowCheck> = rows_checks.iter().collect();
    let planned = fused_plan(ds, &fused).await.ok();
    if timing {
        eprintln!(
            "timing: planning the fused query: {:.2?}",
            planning.elapsed()
        );
    }
    if planned.is_none() {
        let mut ok = Vec::new();
        for c in fused {
            match fused_plan(ds, &[c]).await {
                Ok(_) => ok.push(c),
                Err(e) => {
                    base.insert(
                        c.id.clone(),
                        Outcome::with(Status::Error, clean_error(&e.to_string())),
                    );
                }
            }
        }
        fused = ok;
    }
    if std::env::var_os("FOCUS_SQL_PROFILE_CHECKS").is_some() {
        // Development aid: the cost of each row check alone, above an empty scan.
        let t = std::time::Instant::now();
        let _ = run_fused(ds, &[]).await;
        let empty = t.elapsed();
        for c in &fused {
            let t = std::time::Instant::now();
            let _ = run_fused(ds, &[*c]).await;
            eprintln!(
                "check-cost {:>9.1} ms {} {}",
                (t.elapsed().as_secs_f64() - empty.as_secs_f64()) * 1e3,
                c.id,
                c.violation.chars().take(160).collect::<String>()
            );
        }
    }
    let started = std::time::Instant::now();
    let fused_result = match planned {
        Some(plan) => counts_watched(ds, plan, &fused, &opts.progress).await,
        None => run_fused(ds, &fused).await,
    };
    if timing {
        eprintln!(
            "timing: fused scan of {} row checks ({} distinct): {:.2?}",
            fused.len(),
            distinct_scan_exprs(&fused).0.len(),
            started.elapsed()
        );
    }
    let rows = match fused_result {
        Ok((counts, rows)) => {
            for (c, n) in fused.iter().zip(counts) {
                base.insert(c.id.clone(), Outcome::counted(n, None));
            }
            rows
        }
        Err(e) => {
            if let Some(problem) = input_problem(ds).await {
                return Err(RunError(format!(
                    "{}: cannot read the data: {problem}",
                    ds.label
                )));
            }
            if timing {
                eprintln!(
                    "timing: the fused scan failed ({e}); evaluating {} checks one by one",
                    fused.len()
                );
            }
            // A check fails at run time: evaluate each on its own so the others still count.
            let mut rows = 0;
            for c in &fused {
                match run_fused(ds, &[*c]).await {
                    Ok((counts, n)) => {
                        rows = n;
                        base.insert(c.id.clone(), Outcome::counted(counts[0], None));
                    }
                    Err(e) => {
                        base.insert(
                            c.id.clone(),
                            Outcome::with(Status::Error, clean_error(&e.to_string())),
                        );
                    }
                }
            }
            rows
        }
    };

    if timing {
        eprintln!(
            "timing: after the fused scan: {:.2?}",
            planning_rules.elapsed()
        );
    }
    // Sample rows of failing row checks.
    opts.progress.phase("sampling offending rows");
    if opts.sample_rows > 0 {
        for c in &fused {
            let failing = base.get(&c.id).is_some_and(|o| o.status == Status::Fail);
            if failing {
                if let Ok((_, sample)) = ds
                    .count_and_sample(&sample_sql(ds, c, opts.sample_rows), opts.sample_rows)
                    .await
                {
                    if let Some(o) = base.get_mut(&c.id) {
                        o.sample = Some(sample);
                    }
                }
            }
        }
    }

    if timing {
        eprintln!("timing: after sampling: {:.2?}", planning_rules.elapsed());
    }
    // Set-level checks, a few at a time.
    let keep = opts.sample_rows;
    let total = sql_checks.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let done = &done;
    let progress = &opts.progress;
    progress.phase(&format!("set-level checks: 0/{total}"));
    let results: Vec<(String, Outcome)> =
        futures::stream::iter(sql_checks.into_iter().map(|(id, q)| async move {
            let started = std::time::Instant::now();
            let result = ds.count_and_sample(&q, keep).await;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.phase(&format!("set-level checks: {n}/{total} ({id})"));
            if timing {
                eprintln!("timing: {id}: {:.2?}", started.elapsed());
            }
            let outcome = match result {
                Ok((n, sample)) => Outcome::counted(
                    n,
                    if n > 0 && keep > 0 {
                        Some(sample)
                    } else {
                        None
                    },
                ),
                Err(e) => Outcome::with(Status::Error, clean_error(&e.to_string())),
            };
            Ok::<_, RunError>((id, outcome))
        }))
        .buffer_unordered(opts.concurrency.max(1))
        .try_collect()
        .await?;
    base.extend(results);

    // A query across two datasets that passed without one shared key compared nothing.
    for r in &set.rules {
        let (Some(overlap), Some(o)) = (&r.overlap, base.get_mut(&r.id)) else {
            continue;
        };
        if o.status == Status::Pass {
            o.note = overlap_note(ds, overlap, &known).await;
        }
    }

    // A screen that found nothing still needs its evidence.
    for r in &set.rules {
        if let (Some(text), Some(o)) = (&r.screen, base.get_mut(&r.id)) {
            if o.status == Status::Pass {
                let note = o.note.take();
                *o = Outcome::with(
                    Status::NeedsEvidence,
                    format!("no violation found in the data; still needed: {text}"),
                );
                o.note = note;
            }
        }
    }

    if timing {
        eprintln!(
            "timing: after the set-level checks: {:.2?}",
            planning_rules.elapsed()
        );
    }
    let outcomes = resolve(set, base);
    if timing {
        eprintln!(
            "timing: after resolving composites: {:.2?}",
            planning_rules.elapsed()
        );
    }
    Ok(RunResult { outcomes, rows })
}

/// The note of a cross-dataset query that passed: None when the datasets share a key (the
/// rule's `overlap` query counts more than none), else what was not compared.
async fn overlap_note(
    ds: &Dataset,
    overlap: &crate::rules::Overlap,
    known: &Known,
) -> Option<String> {
    if let Err(e) = guard::check_query(&overlap.sql) {
        return Some(format!("the overlap query is refused: {e}"));
    }
    let words = guard::words(&overlap.sql);
    let others: Vec<&str> = known
        .datasets
        .iter()
        .filter(|d| **d != ds.catalog.dataset && words.iter().any(|w| w == *d))
        .map(String::as_str)
        .collect();
    let count = async {
        let batches = ds.collect(&overlap.sql).await?;
        let first = batches
            .iter()
            .find(|b| b.num_rows() > 0 && b.num_columns() > 0);
        let Some(b) = first else {
            return Ok::<u64, datafusion::common::DataFusionError>(0);
        };
        let col = datafusion::arrow::compute::cast(
            b.column(0),
            &datafusion::arrow::datatypes::DataType::Int64,
        )?;
        let a = col.as_primitive::<Int64Type>();
        Ok(if a.is_null(0) {
            0
        } else {
            a.value(0).max(0) as u64
        })
    };
    match count.await {
        Ok(0) => Some(format!(
            "no {} of the {} dataset is found in the {} dataset: the check had nothing to compare, \
             so passing it says nothing",
            overlap.keys,
            ds.catalog.dataset,
            if others.is_empty() {
                "other".to_string()
            } else {
                others.join(" and ")
            }
        )),
        Ok(_) => None,
        Err(e) => Some(format!(
            "the overlap query failed: {}",
            clean_error(&e.to_string())
        )),
    }
}

/// Combine composites from their children and apply `depends_on`.
pub fn resolve(set: &RuleSet, mut base: HashMap<String, Outcome>) -> BTreeMap<String, Outcome> {
    fn visit(
        set: &RuleSet,
        id: &str,
        base: &mut HashMap<String, Outcome>,
        done: &mut BTreeMap<String, Outcome>,
        stack: &mut Vec<String>,
    ) -> Outcome {
        if let Some(o) = done.get(id) {
            return o.clone();
        }
        let Some(rule) = set.get(id) else {
            return Outcome::with(Status::Error, format!("unknown requirement {id}"));
        };
        if stack.iter().any(|s| s == id) {
            return Outcome::with(Status::Error, format!("reference cycle through {id}"));
        }
        stack.push(id.to_string());
        let mut outcome = match base.remove(id) {
            Some(o) => o,
            None => {
                let children: Vec<(String, Outcome)> = rule
                    .check
                    .children()
                    .iter()
                    .map(|c| {
                        let o = visit(set, c, base, done, stack);
                        // A SHOULD/MAY part cannot make a MUST requirement fail or wait on evidence:
                        // the scorecard reports it under its own keyword.
                        let advisory = set.get(c).is_some_and(|r| !r.keyword.is_mandatory());
                        if rule.keyword.is_mandatory() && advisory && o.status != Status::Pass {
                            (
                                c.clone(),
                                Outcome::with(
                                    Status::Skip,
                                    format!("advisory part ({})", o.status),
                                ),
                            )
                        } else {
                            (c.clone(), o)
                        }
                    })
                    .collect();
                combine(&rule.check, &children)
            }
        };
        // Applicability skips stand; otherwise a dependency that did not pass skips the rule.
        if !outcome.not_applicable {
            for dep in &rule.depends_on {
                let d = visit(set, dep, base, done, stack);
                if matches!(d.status, Status::Skip | Status::Error) {
                    outcome = Outcome::with(
                        Status::Skip,
                        format!("depends on {dep}, which is {}", d.status),
                    );
                    break;
                }
            }
        }
        stack.pop();
        done.insert(id.to_string(), outcome.clone());
        outcome
    }
    let mut done = BTreeMap::new();
    for r in &set.rules {
        let mut stack = Vec::new();
        visit(set, &r.id, &mut base, &mut done, &mut stack);
    }
    done
}

fn combine(check: &Check, children: &[(String, Outcome)]) -> Outcome {
    let with = |s: Status| {
        children
            .iter()
            .filter(|(_, o)| o.status == s)
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>()
    };
    let (fail, error, evidence, pass) = (
        with(Status::Fail),
        with(Status::Error),
        with(Status::NeedsEvidence),
        with(Status::Pass),
    );
    let list = |ids: &[&str]| ids.join(", ");
    match check {
        Check::AnyOf(_) => {
            if !pass.is_empty() {
                Outcome::pass()
            } else if !evidence.is_empty() {
                Outcome::with(
                    Status::NeedsEvidence,
                    format!("needs evidence for {}", list(&evidence)),
                )
            } else if !error.is_empty() {
                Outcome::with(Status::Error, format!("errors in {}", list(&error)))
            } else if !fail.is_empty() {
                let mut o = Outcome::fail(fail.len() as u64, None);
                o.reason = Some(format!("none passed; failing: {}", list(&fail)));
                o
            } else {
                Outcome::with(Status::Skip, "every alternative was skipped")
            }
        }
        _ => {
            if !fail.is_empty() {
                let mut o = Outcome::fail(fail.len() as u64, None);
                o.reason = Some(format!("failing: {}", list(&fail)));
                o
            } else if !error.is_empty() {
                Outcome::with(Status::Error, format!("errors in {}", list(&error)))
            } else if !evidence.is_empty() {
                Outcome::with(
                    Status::NeedsEvidence,
                    format!("needs evidence for {}", list(&evidence)),
                )
            } else if !pass.is_empty() {
                Outcome::pass()
            } else {
                Outcome::with(Status::Skip, "every part was skipped")
            }
        }
    }
}

/// Evaluate one rule alone on a (small) dataset: used by `rules test` for examples.
pub async fn run_single(rule: &Rule, ds: &Dataset) -> Outcome {
    let opts = RunOptions {
        applicability: Applicability::All,
        sample_rows: 5,
        concurrency: 1,
        progress: progress::Progress::default(),
    };
    match plan_rule(rule, ds, &opts, &Known::default()) {
        Plan::Done(o) => o,
        Plan::Composite => Outcome::with(Status::Skip, "composite"),
        Plan::Row(rc) => match run_fused(ds, &[&rc]).await {
            Ok((counts, _)) => {
                let mut o = Outcome::counted(counts[0], None);
                if o.status == Status::Fail {
                    o.sample = ds
                        .count_and_sample(&sample_sql(ds, &rc, 5), 5)
                        .await
                        .ok()
                        .map(|(_, s): (u64, Sample)| s);
                }
                o
            }
            Err(e) => Outcome::with(Status::Error, clean_error(&e.to_string())),
        },
        Plan::Sql(q) => match ds.count_and_sample(&q, 5).await {
            Ok((n, s)) => Outcome::counted(n, Some(s)),
            Err(e) => Outcome::with(Status::Error, clean_error(&e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::FocusVersion;

    fn check(id: &str, pred: &str, when: Option<&str>) -> RowCheck {
        RowCheck {
            id: id.into(),
            violation: violation_expr(pred, when),
            fused: unguarded_violation_expr(pred, when),
            show: Vec::new(),
        }
    }

    #[tokio::test]
    async fn the_fused_form_counts_what_the_plain_form_counts() {
        let set = RuleSet::load(&FocusVersion::parse("1.2").unwrap(), None)
            .unwrap()
            .set;
        let rows: Vec<Vec<Option<String>>> = ["1", "x", "7", "-2"]
            .iter()
            .map(|v| vec![Some(v.to_string())])
            .collect();
        let ds = Dataset::from_text_rows(
            &["BillingAccountId".to_string()],
            &rows,
            &Default::default(),
            &set.catalog,
        )
        .await
        .unwrap();
        let plain = check("plain", "BillingAccountId__raw <> '7'", None);
        // A predicate that fails on a row makes the fused scan fail (each check is then rerun
        // alone by `run`), whatever its `when`.
        let risky = check(
            "risky",
            "CAST(BillingAccountId__raw AS INT) > 0",
            Some("BillingAccountId__raw <> 'x'"),
        );
        assert!(run_fused(&ds, &[&risky, &plain]).await.is_err());
        // Where nothing can fail, the fused form counts exactly what the plain form counts.
        let safe = check(
            "safe",
            "BillingAccountId__raw IN ('1', '7')",
            Some("BillingAccountId__raw <> 'x'"),
        );
        let (fused, rows) = run_fused(&ds, &[&safe, &plain]).await.unwrap();
        assert_eq!(rows, 4);
        assert_eq!(fused, vec![1, 1]);
        assert_eq!(run_fused(&ds, &[&safe]).await.unwrap().0, vec![1]);
    }
}
