//! Rules as text for people: `rules show` (one rule whole) and `rules list` (a table or JSON).

use super::{Check, Rule, RuleSet};

/// Every rule, one row each, with the rule count.
pub fn list_table(set: &RuleSet) -> String {
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
    format!("{t}\n{} rules for FOCUS {}", set.rules.len(), set.version)
}

/// Every rule as a JSON array of objects.
pub fn list_json(set: &RuleSet) -> serde_json::Result<String> {
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
    serde_json::to_string_pretty(&items)
}

/// Which file a requirement comes from: its own, or the earlier version's it is carried from.
pub fn source(r: &Rule) -> String {
    let path = r.origin.path.display();
    match &r.origin.carried_from {
        Some(from) => format!(
            "defined in {path} (FOCUS {} {}), carried into {} as {}",
            from.version, from.id, r.focus_version, r.id
        ),
        None if !r.origin.carried_into.is_empty() => format!(
            "{path} (also carried into FOCUS {})",
            r.origin.carried_into.join(", ")
        ),
        None => path.to_string(),
    }
}

/// A rule as `rules show` prints it: requirement, check, examples.
pub fn show(r: &Rule) -> String {
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
    let _ = writeln!(s, "source:      {}", source(r));
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
            if let Some(o) = &r.overlap {
                let _ = writeln!(s, "  keys shared by the datasets ({}), counted by:", o.keys);
                for l in o.sql.lines() {
                    let _ = writeln!(s, "    {l}");
                }
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
        Check::Dataset(d) => {
            let _ = writeln!(s, "  the {d} dataset is part of the bundle");
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
