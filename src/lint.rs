//! `focus-sql rules lint`: structural problems, SQL that does not plan against the FOCUS
//! columns, and examples that do not behave.

use crate::engine::{view, Dataset};
use crate::rules::{Check, RuleSet};
use crate::runner::{Applicability, RunOptions};

/// Every problem found, one line each, naming the file and line.
pub async fn lint(set: &RuleSet) -> Vec<String> {
    let mut problems: Vec<String> = set
        .structural_problems()
        .iter()
        .map(|e| e.to_string())
        .collect();

    // Plan every check against an empty dataset that has every catalog column.
    let columns: Vec<String> = set.catalog.columns.iter().map(|c| c.name.clone()).collect();
    match Dataset::from_text_rows(&columns, &[], &Default::default(), &set.catalog).await {
        Ok(ds) => {
            let _ = RunOptions {
                applicability: Applicability::All,
                ..RunOptions::default()
            };
            for r in &set.rules {
                let at = format!(
                    "{}:{}: {}",
                    r.origin.path.display(),
                    r.origin.check_line,
                    r.id
                );
                let sql = match &r.check {
                    Check::Row { expr, when, each } => {
                        let first = each.first().map(String::as_str).unwrap_or("");
                        let expr = &expr.replace(crate::rules::COLUMN_PLACEHOLDER, first);
                        let when = &when
                            .as_ref()
                            .map(|w| w.replace(crate::rules::COLUMN_PLACEHOLDER, first));
                        for c in each {
                            if set.catalog.column(c).is_none() && !c.starts_with("x_") {
                                problems.push(format!(
                                    "{at}: for_each names {c}, which is not a FOCUS {} column",
                                    set.version
                                ));
                            }
                        }
                        for part in std::iter::once(expr).chain(when.iter()) {
                            if let Err(e) = crate::engine::guard::check_expr(part) {
                                problems.push(format!("{at}: {e}"));
                            }
                        }
                        Some(format!(
                            "SELECT ({expr}) AND COALESCE(({}), TRUE) FROM {}",
                            when.as_deref().unwrap_or("TRUE"),
                            crate::engine::quote_ident(&set.catalog.dataset)
                        ))
                    }
                    Check::Type { when: Some(w), .. } | Check::Format { when: Some(w), .. } => {
                        Some(format!(
                            "SELECT ({w}) FROM {}",
                            crate::engine::quote_ident(&set.catalog.dataset)
                        ))
                    }
                    Check::Sql { query } => {
                        if let Err(e) = crate::engine::guard::check_query(query) {
                            problems.push(format!("{at}: {e}"));
                            None
                        } else {
                            Some(query.clone())
                        }
                    }
                    Check::Type { column, .. }
                    | Check::Format { column, .. }
                    | Check::Present { column } => {
                        if set.catalog.column(column).is_none() && !column.starts_with("x_") {
                            problems.push(format!(
                                "{at}: {column} is not a FOCUS {} column",
                                set.version
                            ));
                        }
                        None
                    }
                    _ => None,
                };
                if let Some(sql) = sql {
                    if let Err(e) = ds.plan(&sql).await {
                        let msg = crate::input::clean_error(&e.to_string());
                        problems.push(format!(
                            "{at}: SQL does not plan: {}",
                            crate::query::explain_message(&set.catalog, &msg)
                        ));
                    }
                }
            }
            let _ = view::RAW_SUFFIX;
        }
        Err(e) => problems.push(format!("cannot build the lint dataset: {e}")),
    }

    let summary = crate::ruletest::run(set, &[]).await;
    problems.extend(summary.failures.iter().map(|f| f.to_string()));
    problems
}
