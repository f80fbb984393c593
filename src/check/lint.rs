//! `focus-sql rules lint`: rule files against the rule JSON Schema, their `carried_into`, copies
//! of a requirement the version would inherit, structural problems, and checks that do not plan
//! against the FOCUS columns (planned exactly as a run plans them). The command adds the
//! examples' verdicts unless told not to.

use super::{fused_frame, plan_rule, Known, Plan, RunOptions};
use crate::check::outcome::Status;
use crate::engine::Dataset;
use crate::rules::{carry, Applicability, Check, FocusVersion, RuleSet, Sources};
use std::path::Path;

/// Each rule file of `version` (embedded, or overridden from `extra`) checked against the rule
/// JSON Schema and for its `carried_into`, and every file of the version that is a copy of the
/// one it would inherit: one line per problem, naming the file and the offending key.
pub fn lint_files(version: &FocusVersion, extra: Option<&Path>) -> anyhow::Result<Vec<String>> {
    let Some(schema) = crate::rules::embedded_rule_schema() else {
        anyhow::bail!("rules.d/{} is not embedded", crate::rules::SCHEMA_FILE);
    };
    let schema: serde_json::Value = serde_json::from_str(schema)?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| anyhow::anyhow!("rules.d/{}: {e}", crate::rules::SCHEMA_FILE))?;
    let mut sources = Sources::gather(version, extra)?;
    let inherited = sources.inherited_by(version, extra)?;
    sources.take_support(version)?;
    let mut problems = Vec::new();
    if let Some((earlier, before, map)) = inherited {
        problems.extend(inherited_copies(version, &sources, &earlier, &before, &map));
    }
    // Carried files are linted in the version whose folder holds them.
    for src in sources
        .version
        .values()
        .filter(|s| s.carried_from.is_none())
    {
        problems.extend(carried_into_problems(version, src));
        let value: serde_json::Value = match serde_yaml::from_str(&src.text) {
            Ok(v) => v,
            // Files that are not YAML are reported by the loader, with their line.
            Err(_) => continue,
        };
        for e in validator.iter_errors(&value) {
            let at = e.instance_path().to_string();
            // An unexpected key is located at its own line.
            let pointer = match e.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected
                        .first()
                        .map(|k| format!("{at}/{k}"))
                        .unwrap_or_else(|| at.clone())
                }
                _ => at.clone(),
            };
            let line = key_line(&src.text, &pointer);
            problems.push(format!(
                "{}:{}: schema: {}{e}",
                src.display.display(),
                line.unwrap_or(1),
                if at.is_empty() {
                    String::new()
                } else {
                    format!("at {at}: ")
                },
            ));
        }
        if !src.text.starts_with(crate::rules::SCHEMA_COMMENT_PREFIX) {
            problems.push(format!(
                "{}:1: the first line should be `{}{}` so editors check the file",
                src.display.display(),
                crate::rules::SCHEMA_COMMENT_PREFIX,
                crate::rules::SCHEMA_REFERENCE
            ));
        }
    }
    Ok(problems)
}

/// A `carried_into` lists the versions that inherit from the file's, in order, nearest first.
fn carried_into_problems(version: &FocusVersion, src: &crate::rules::Source) -> Option<String> {
    let listed = carry::carried_into(&src.text);
    if listed.is_empty() {
        return None;
    }
    let chain = crate::rules::version::successors(version.as_str());
    if chain.len() >= listed.len() && chain[..listed.len()] == listed[..] {
        return None;
    }
    Some(format!(
        "{}:{}: carried_into lists {}, but a FOCUS {version} requirement can be carried only into \
         the versions that inherit from it, nearest first: {}",
        src.display.display(),
        crate::rules::error::line_of_key(&src.text, carry::CARRIED_INTO, 1).unwrap_or(1),
        listed.join(", "),
        if chain.is_empty() {
            "none".to_string()
        } else {
            chain.join(", ")
        }
    ))
}

/// The files of `version` that are the earlier version's file of the same requirement, byte for
/// byte once its ids are mapped (and `carried_into` left aside): the earlier file should list the
/// version under `carried_into` instead.
fn inherited_copies(
    version: &FocusVersion,
    sources: &Sources,
    earlier: &FocusVersion,
    before: &Sources,
    map: &carry::IdMap,
) -> Vec<String> {
    let mut out = Vec::new();
    for (id, src) in &before.version {
        let here = map.id(id).unwrap_or_else(|| id.clone());
        let Some(own) = sources.version.get(&here) else {
            continue;
        };
        if own.carried_from.is_some() {
            continue;
        }
        if carry::without_carried_into(&own.text)
            == carry::without_carried_into(&map.text(&src.text))
        {
            out.push(format!(
                "{}:1: {here} is the FOCUS {earlier} requirement of {} unchanged (but for its ids): \
                 delete this file and list \"{version}\" under carried_into there",
                own.display.display(),
                src.display.display()
            ));
        }
    }
    out
}

/// The line of the first key of a JSON pointer such as `/check/when`.
fn key_line(text: &str, pointer: &str) -> Option<usize> {
    let mut line = 1;
    for key in pointer.split('/').filter(|k| !k.is_empty()) {
        if key.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        line = crate::rules::error::line_of_key(text, key, line)?;
    }
    Some(line)
}

/// Every problem found, one line each, naming the file and line: structure, catalog columns,
/// checks that do not plan. (Examples are [`crate::check::examples::run`]'s job.)
pub async fn lint(set: &RuleSet) -> Vec<String> {
    let mut problems: Vec<String> = set
        .structural_problems()
        .iter()
        .map(|e| e.to_string())
        .collect();

    // Plan every check against an empty dataset of its own catalog, with every column.
    let opts = RunOptions {
        applicability: Applicability::All,
        ..RunOptions::default()
    };
    let known = Known::of(set);
    let mut empty = std::collections::BTreeMap::new();
    for (_, catalog) in &set.datasets {
        let columns: Vec<String> = catalog.columns.iter().map(|c| c.name.clone()).collect();
        match Dataset::from_text_rows(&columns, &[], &Default::default(), catalog).await {
            Ok(ds) => {
                empty.insert(catalog.dataset.clone(), ds);
            }
            Err(e) => problems.push(format!(
                "cannot build the {} lint dataset: {e}",
                catalog.dataset
            )),
        }
    }
    for r in &set.rules {
        let catalog = set.catalog_of(r);
        let Some(ds) = empty.get(&catalog.dataset) else {
            continue;
        };
        let at = format!(
            "{}:{}: {}",
            r.origin.path.display(),
            r.origin.check_line,
            r.id
        );
        let named: Vec<&String> = match &r.check {
            Check::Row { each, .. } => each.iter().collect(),
            Check::Type { column, .. }
            | Check::Format { column, .. }
            | Check::Present { column } => {
                vec![column]
            }
            _ => Vec::new(),
        };
        for c in named {
            // An attribute requirement may name the columns of any dataset of its version.
            let known = match &r.dataset {
                Some(_) => catalog.column(c).is_some(),
                None => set.datasets.iter().any(|(_, k)| k.column(c).is_some()),
            };
            if !known && !c.starts_with("x_") {
                problems.push(format!(
                    "{at}: {c} is not a FOCUS {} {} column",
                    set.version, catalog.dataset
                ));
            }
        }
        if let Some(o) = &r.overlap {
            if let Err(e) = crate::engine::guard::check_query(&o.sql) {
                problems.push(format!("{at}: overlap: {e}"));
            }
        }
        // Row checks are planned the way the fused scan plans them.
        let planned = match plan_rule(r, ds, &opts, &known) {
            Plan::Done(o) if o.status == Status::Error => {
                problems.push(format!("{at}: {}", o.reason.unwrap_or_default()));
                None
            }
            Plan::Row(check) => Some(fused_frame(ds, &[&check]).await.map(|_| ())),
            Plan::Sql(query) => Some(ds.plan(&query).await.map(|_| ())),
            Plan::Done(_) | Plan::Composite => None,
        };
        if let Some(Err(e)) = planned {
            let msg = crate::engine::clean_error(&e.to_string());
            problems.push(format!(
                "{at}: SQL does not plan: {}",
                crate::engine::error::explain_message(catalog, &msg)
            ));
        }
    }
    problems
}
