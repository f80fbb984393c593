//! Rule examples as written in YAML (rows of cells, physical types, expectations) turned into
//! typed [`Example`]s, with the line of each.

use super::model::{Example, Expect, PhysicalType, TableRows};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExample {
    expect: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    violations: Option<u64>,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    types: BTreeMap<String, String>,
    #[serde(default)]
    rows: Vec<serde_yaml::Mapping>,
    /// Rows of the version's other datasets, by dataset name (for requirements across datasets).
    #[serde(default)]
    with: BTreeMap<String, Vec<serde_yaml::Mapping>>,
}

/// Rows as written (mappings of column to cell) as columns in first-seen order (after
/// `columns`) and cells aligned with them.
#[allow(clippy::type_complexity)]
fn table(
    raw: &[serde_yaml::Mapping],
    mut columns: Vec<String>,
) -> Result<(Vec<String>, Vec<Vec<Option<String>>>), String> {
    let mut maps: Vec<BTreeMap<String, Option<String>>> = Vec::new();
    for row in raw {
        let mut map = BTreeMap::new();
        for (k, v) in row {
            let key = match k {
                serde_yaml::Value::String(s) => s.clone(),
                other => {
                    return Err(format!(
                        "example column name must be a string, found {other:?}"
                    ))
                }
            };
            let value = cell(v).map_err(|m| format!("column {key}: {m}"))?;
            if !columns.contains(&key) {
                columns.push(key.clone());
            }
            map.insert(key, value);
        }
        maps.push(map);
    }
    let rows = maps
        .into_iter()
        .map(|m| {
            columns
                .iter()
                .map(|c| m.get(c).cloned().flatten())
                .collect()
        })
        .collect();
    Ok((columns, rows))
}

/// The 1-based lines of the `- expect:` items after line `start`.
pub(crate) fn expect_lines_after(text: &str, start: usize) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(i, l)| i + 1 > start && l.trim_start().starts_with("- expect:"))
        .map(|(i, _)| i + 1)
        .collect()
}

fn cell(value: &serde_yaml::Value) -> Result<Option<String>, String> {
    use serde_yaml::Value;
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(format!(
            "example cell must be a string, number, boolean or null, found {}",
            match other {
                Value::Sequence(_) => "a list",
                Value::Mapping(_) => "a mapping",
                _ => "a tagged value",
            }
        )),
    }
}

/// Turn raw examples into [`Example`]s; `lines` are the 1-based lines of their `- expect:` items.
pub(crate) fn build_examples(
    raw: Vec<RawExample>,
    lines: &[usize],
    fallback_line: usize,
) -> Result<Vec<Example>, (usize, String)> {
    let mut examples = Vec::new();
    for (i, ex) in raw.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(fallback_line);
        let err = |m: String| (line, m);
        let expect = Expect::parse_as(&ex.expect, "expect").map_err(err)?;
        if ex.violations.is_some() && expect == Expect::Pass {
            return Err(err(
                "`violations` is only meaningful on a fail example".into()
            ));
        }
        if ex.violations == Some(0) {
            return Err(err(
                "a fail example needs at least one violation; use expect: pass".into(),
            ));
        }
        let mut types = BTreeMap::new();
        for (col, t) in &ex.types {
            let ty = PhysicalType::parse(t).ok_or_else(|| {
                err(format!("column {col}: unknown physical type `{t}`, expected one of string, double, int64, boolean, timestamp"))
            })?;
            types.insert(col.clone(), ty);
        }
        let (columns, rows) = table(&ex.rows, ex.columns.clone()).map_err(err)?;
        let mut with = Vec::new();
        for (name, rows) in &ex.with {
            let (c, r) = table(rows, Vec::new()).map_err(|m| err(format!("with {name}: {m}")))?;
            with.push(TableRows {
                dataset: name.clone(),
                columns: c,
                rows: r,
            });
        }
        if let Some(col) = types.keys().find(|c| !columns.contains(c)) {
            return Err(err(format!(
                "`types` names {col}, which is not a column of this example"
            )));
        }
        examples.push(Example {
            expect,
            note: ex.note,
            violations: ex.violations,
            columns,
            types,
            rows,
            with,
            line,
            path: None,
        });
    }
    Ok(examples)
}
