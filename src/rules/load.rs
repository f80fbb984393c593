//! Parsing rule YAML into [`Rule`]s, with errors that name the file and line.

use super::model::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A rule file that could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for LoadError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    entity: String,
    entity_type: String,
    keyword: String,
    requirement: String,
    #[serde(rename = "type")]
    rule_type: String,
    function: String,
    #[serde(default)]
    applicability: Vec<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    note: Option<String>,
    check: RawCheck,
    #[serde(default)]
    examples: Vec<RawExample>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    row: Option<String>,
    when: Option<String>,
    for_each: Option<Vec<String>>,
    sql: Option<String>,
    present: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    format: Option<String>,
    column: Option<String>,
    all_of: Option<Vec<String>>,
    any_of: Option<Vec<String>>,
    evidence: Option<String>,
    permission: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
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
}

/// 1-based line of the first line that starts (after indentation) with `key:`.
pub fn line_of_key(text: &str, key: &str, from_line: usize) -> Option<usize> {
    let needle = format!("{key}:");
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with(&needle)
        })
        .map(|(i, _)| i + 1)
}

/// The 1-based lines of each `- expect:` item under `examples:`.
fn example_lines(text: &str) -> Vec<usize> {
    let start = line_of_key(text, "examples", 1).unwrap_or(usize::MAX);
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

/// Parse one rule file. `display_path` is what errors show; `version` comes from the folder.
pub fn parse_rule(
    text: &str,
    display_path: &Path,
    version: &str,
    embedded: bool,
) -> Result<Rule, LoadError> {
    let err = |line: Option<usize>, message: String| LoadError {
        path: display_path.to_path_buf(),
        line,
        message,
    };
    let raw: RawRule = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let msg = e.to_string();
        // serde_yaml appends " at line X column Y"; keep the message short since we print the line.
        let msg = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        err(line, msg)
    })?;
    let key_line = |key: &str| line_of_key(text, key, 1);

    let stem = display_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if raw.id != stem {
        return Err(err(
            key_line("id"),
            format!("id `{}` does not match the file name `{stem}.yaml`", raw.id),
        ));
    }
    let keyword = Keyword::parse(&raw.keyword).ok_or_else(|| {
        err(
            key_line("keyword"),
            format!(
                "unknown keyword `{}`, expected one of: {}",
                raw.keyword,
                Keyword::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let entity_type = EntityType::parse(&raw.entity_type).ok_or_else(|| {
        err(
            key_line("entity_type"),
            format!(
                "unknown entity_type `{}`, expected one of: {}",
                raw.entity_type,
                EntityType::expected()
            ),
        )
    })?;
    let rule_type = RuleType::parse(&raw.rule_type).ok_or_else(|| {
        err(
            key_line("type"),
            format!(
                "unknown type `{}`, expected one of: {}",
                raw.rule_type,
                RuleType::expected()
            ),
        )
    })?;
    let function = Function::parse(&raw.function).ok_or_else(|| {
        err(
            key_line("function"),
            format!(
                "unknown function `{}`, expected one of: {}",
                raw.function,
                Function::expected()
            ),
        )
    })?;

    let check_line = key_line("check").unwrap_or(1);
    let (check, screen) =
        build_check(raw.check, &raw.entity).map_err(|m| err(Some(check_line), m))?;

    let lines = example_lines(text);
    let mut examples = Vec::new();
    for (i, ex) in raw.examples.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(check_line);
        let expect = Expect::parse(&ex.expect).ok_or_else(|| {
            err(
                Some(line),
                format!("unknown expect `{}`, expected pass or fail", ex.expect),
            )
        })?;
        if ex.violations.is_some() && expect == Expect::Pass {
            return Err(err(
                Some(line),
                "`violations` is only meaningful on a fail example".into(),
            ));
        }
        if ex.violations == Some(0) {
            return Err(err(
                Some(line),
                "a fail example needs at least one violation; use expect: pass".into(),
            ));
        }
        let mut types = BTreeMap::new();
        for (col, t) in &ex.types {
            let ty = PhysicalType::parse(t).ok_or_else(|| {
                err(Some(line), format!("column {col}: unknown physical type `{t}`, expected one of string, double, int64, boolean, timestamp"))
            })?;
            types.insert(col.clone(), ty);
        }
        let mut columns: Vec<String> = ex.columns.clone();
        let mut maps: Vec<BTreeMap<String, Option<String>>> = Vec::new();
        for row in &ex.rows {
            let mut map = BTreeMap::new();
            for (k, v) in row {
                let key = match k {
                    serde_yaml::Value::String(s) => s.clone(),
                    other => {
                        return Err(err(
                            Some(line),
                            format!("example column name must be a string, found {other:?}"),
                        ))
                    }
                };
                let value = cell(v).map_err(|m| err(Some(line), format!("column {key}: {m}")))?;
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
        if let Some(col) = types.keys().find(|c| !columns.contains(c)) {
            return Err(err(
                Some(line),
                format!("`types` names {col}, which is not a column of this example"),
            ));
        }
        examples.push(Example {
            expect,
            note: ex.note,
            violations: ex.violations,
            columns,
            types,
            rows,
            line,
        });
    }

    Ok(Rule {
        id: raw.id,
        focus_version: version.to_string(),
        entity: raw.entity,
        entity_type,
        keyword,
        requirement: raw.requirement.trim().to_string(),
        rule_type,
        function,
        applicability: raw.applicability,
        depends_on: raw.depends_on,
        note: raw.note.map(|n| n.trim().to_string()),
        check,
        screen,
        examples,
        origin: Origin {
            path: display_path.to_path_buf(),
            check_line,
            embedded,
        },
    })
}

/// The check, and for a screen (`row`/`sql` with `evidence`) the evidence still needed when the
/// data shows no violation.
fn build_check(mut raw: RawCheck, entity: &str) -> Result<(Check, Option<String>), String> {
    let screen = if raw.evidence.is_some() && (raw.row.is_some() || raw.sql.is_some()) {
        let text = raw.evidence.take().unwrap_or_default();
        if text.trim().is_empty() {
            return Err("`evidence` is empty".into());
        }
        Some(text.trim().to_string())
    } else {
        None
    };
    build_shape(raw, entity).map(|c| (c, screen))
}

fn build_shape(raw: RawCheck, entity: &str) -> Result<Check, String> {
    let shapes: Vec<&str> = [
        ("row", raw.row.is_some()),
        ("sql", raw.sql.is_some()),
        ("present", raw.present.is_some()),
        ("type", raw.ty.is_some()),
        ("format", raw.format.is_some()),
        ("all_of", raw.all_of.is_some()),
        ("any_of", raw.any_of.is_some()),
        ("evidence", raw.evidence.is_some()),
        ("permission", raw.permission.is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| name)
    .collect();
    if shapes.len() != 1 {
        return Err(format!(
            "check must have exactly one of row, sql, present, type, format, all_of, any_of, evidence, permission; found {}",
            if shapes.is_empty() { "none".to_string() } else { shapes.join(", ") }
        ));
    }
    let shape = shapes[0];
    if raw.when.is_some() && !matches!(shape, "row" | "type" | "format") {
        return Err(format!(
            "`when` applies to row, type and format checks, not to `{shape}`"
        ));
    }
    if raw.column.is_some() && !matches!(shape, "type" | "format") {
        return Err(format!(
            "`column` applies to type and format checks, not to `{shape}`"
        ));
    }
    let nonempty = |s: String, what: &str| {
        if s.trim().is_empty() {
            Err(format!("`{what}` is empty"))
        } else {
            Ok(s.trim().to_string())
        }
    };
    if raw.for_each.is_some() && shape != "row" {
        return Err(format!(
            "`for_each` applies to row checks, not to `{shape}`"
        ));
    }
    let each = raw.for_each.clone().unwrap_or_default();
    if let Some(e) = &raw.for_each {
        if e.is_empty() {
            return Err("`for_each` lists no column".into());
        }
        if !raw
            .row
            .as_deref()
            .unwrap_or("")
            .contains(COLUMN_PLACEHOLDER)
        {
            return Err(format!(
                "a `for_each` row check writes {COLUMN_PLACEHOLDER} where each column goes"
            ));
        }
    }
    let column = raw.column.clone().unwrap_or_else(|| entity.to_string());
    Ok(match shape {
        "row" => Check::Row {
            expr: nonempty(raw.row.unwrap(), "row")?,
            when: raw.when.map(|w| w.trim().to_string()),
            each,
        },
        "sql" => Check::Sql {
            query: nonempty(raw.sql.unwrap(), "sql")?
                .trim_end_matches(';')
                .to_string(),
        },
        "present" => Check::Present {
            column: nonempty(raw.present.unwrap(), "present")?,
        },
        "type" => {
            let t = raw.ty.unwrap();
            let ty = FocusType::parse(&t).ok_or_else(|| {
                format!(
                    "unknown type `{t}`, expected one of: {}",
                    FocusType::expected()
                )
            })?;
            Check::Type {
                column,
                ty,
                when: raw.when,
            }
        }
        "format" => {
            let f = raw.format.unwrap();
            let format = ValueFormat::parse(&f).ok_or_else(|| {
                format!(
                    "unknown format `{f}`, expected one of: {}",
                    ValueFormat::expected()
                )
            })?;
            Check::Format {
                column,
                format,
                when: raw.when,
            }
        }
        "all_of" | "any_of" => {
            let ids = if shape == "all_of" {
                raw.all_of.clone().unwrap()
            } else {
                raw.any_of.clone().unwrap()
            };
            if ids.is_empty() {
                return Err(format!("`{shape}` needs at least one requirement id"));
            }
            if shape == "all_of" {
                Check::AllOf(ids)
            } else {
                Check::AnyOf(ids)
            }
        }
        "evidence" => Check::Evidence(nonempty(raw.evidence.unwrap(), "evidence")?),
        "permission" => Check::Permission(nonempty(raw.permission.unwrap(), "permission")?),
        _ => unreachable!("shape list above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "id: X-C-001-M
entity: X
entity_type: column
keyword: MUST NOT
requirement: X MUST NOT be null.
type: static
function: nullability
check:
  row: X IS NOT NULL
examples:
  - expect: pass
    rows:
      - { X: \"1.50\" }
  - expect: fail
    violations: 1
    rows:
      - { X: null, Y: 2 }
";

    fn parse(text: &str) -> Result<Rule, LoadError> {
        parse_rule(
            text,
            Path::new("rules.d/focus-1.2/X/X-C-001-M.yaml"),
            "1.2",
            false,
        )
    }

    #[test]
    fn parses_a_rule_with_examples() {
        let r = parse(GOOD).unwrap();
        assert_eq!(r.keyword, Keyword::MustNot);
        assert_eq!(
            r.check,
            Check::Row {
                expr: "X IS NOT NULL".into(),
                when: None,
                each: vec![]
            }
        );
        assert_eq!(r.examples.len(), 2);
        assert_eq!(r.examples[0].rows, vec![vec![Some("1.50".to_string())]]);
        assert_eq!(
            r.examples[1].columns,
            vec!["X".to_string(), "Y".to_string()]
        );
        assert_eq!(r.examples[1].rows, vec![vec![None, Some("2".to_string())]]);
        assert_eq!(r.examples[1].line, 14);
        assert_eq!(r.origin.check_line, 8);
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let text = GOOD.replace(
            "function: nullability",
            "function: nullability\nseverity: high",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, Some(8));
        assert!(
            e.message.contains("unknown field `severity`"),
            "{}",
            e.message
        );
        assert!(
            e.to_string()
                .starts_with("rules.d/focus-1.2/X/X-C-001-M.yaml:8: "),
            "{e}"
        );
    }

    #[test]
    fn bad_keyword_and_two_shapes_are_errors() {
        let e = parse(&GOOD.replace("keyword: MUST NOT", "keyword: MUSTN'T")).unwrap_err();
        assert_eq!(e.line, Some(4));
        assert!(e.message.contains("unknown keyword"));
        let e = parse(&GOOD.replace(
            "  row: X IS NOT NULL",
            "  row: X IS NOT NULL\n  sql: SELECT 1",
        ))
        .unwrap_err();
        assert!(e.message.contains("exactly one of"), "{}", e.message);
        assert!(e.message.contains("row, sql"), "{}", e.message);
    }

    #[test]
    fn id_must_match_file_name() {
        let e = parse(&GOOD.replace("id: X-C-001-M", "id: X-C-002-M")).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("does not match the file name"));
    }
}
