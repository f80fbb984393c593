//! Running every rule against its own examples (`focus-sql rules test`, and `cargo test`).

use crate::check::outcome::Status;
use crate::check::run_single;
use crate::engine::Dataset;
use crate::rules::{Expect, Rule, RuleSet};
use futures::StreamExt;
use std::path::PathBuf;

/// An example whose rule did not behave as the example says.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub rule: String,
    pub path: PathBuf,
    pub line: usize,
    pub index: usize,
    pub message: String,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} example {}: {}",
            self.path.display(),
            self.line,
            self.rule,
            self.index + 1,
            self.message
        )
    }
}

#[derive(Debug, Default)]
pub struct TestSummary {
    pub rules: usize,
    pub passed: usize,
    pub failures: Vec<ExampleFailure>,
}

async fn run_example(set: &RuleSet, rule: &Rule, index: usize) -> Option<ExampleFailure> {
    let ex = &rule.examples[index];
    let fail = |message: String| ExampleFailure {
        rule: rule.id.clone(),
        path: rule.origin.path.clone(),
        line: ex.line,
        index,
        message,
    };
    let mut ds =
        match Dataset::from_text_rows(&ex.columns, &ex.rows, &ex.types, set.catalog_of(rule)).await
        {
            Ok(ds) => ds,
            Err(e) => return Some(fail(format!("cannot build the example dataset: {e}"))),
        };
    for t in &ex.with {
        let Some(catalog) = set.dataset(&t.dataset) else {
            return Some(fail(format!(
                "`with` names {}, which is not a dataset of FOCUS {}",
                t.dataset, set.version
            )));
        };
        if let Err(e) = ds
            .attach_rows(&t.dataset, &t.columns, &t.rows, catalog)
            .await
        {
            return Some(fail(format!("cannot build the {} rows: {e}", t.dataset)));
        }
    }
    let outcome = run_single(rule, &ds).await;
    let reason = outcome
        .reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    match (ex.expect, outcome.status) {
        (Expect::Pass, Status::Pass) => None,
        (Expect::Pass, Status::Fail) => {
            let rows = outcome
                .sample
                .map(|s| {
                    s.rows
                        .iter()
                        .map(|r| format!("{r:?}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            Some(fail(format!(
                "expected pass, got fail with {} violation(s){reason} {rows}",
                outcome.violations
            )))
        }
        (Expect::Fail, Status::Fail) => match ex.violations {
            Some(n) if n != outcome.violations => Some(fail(format!(
                "expected {n} violation(s), got {}",
                outcome.violations
            ))),
            _ => None,
        },
        (expect, status) => Some(fail(format!("expected {expect}, got {status}{reason}"))),
    }
}

/// Run the examples of every rule (of those whose id starts with one of `prefixes`).
pub async fn run(set: &RuleSet, prefixes: &[String]) -> TestSummary {
    let selected: Vec<&Rule> = set
        .rules
        .iter()
        .filter(|r| prefixes.is_empty() || prefixes.iter().any(|p| r.id.starts_with(p.as_str())))
        .filter(|r| !r.examples.is_empty() && r.removed.is_none())
        .collect();
    let jobs: Vec<(&Rule, usize)> = selected
        .iter()
        .flat_map(|r| (0..r.examples.len()).map(move |i| (*r, i)))
        .collect();
    let total = jobs.len();
    let failures: Vec<ExampleFailure> =
        futures::stream::iter(jobs.into_iter().map(|(r, i)| run_example(set, r, i)))
            .buffer_unordered(8)
            .filter_map(|f| async { f })
            .collect()
            .await;
    let mut failures = failures;
    failures.sort_by(|a, b| (&a.rule, a.index).cmp(&(&b.rule, b.index)));
    TestSummary {
        rules: selected.len(),
        passed: total - failures.len(),
        failures,
    }
}
