//! Parsing rule YAML into [`Rule`]s, with errors that name the file and line.

use super::catalog::{Catalog, ColumnDef};
use super::error::{line_of_key, LoadError};
use super::example::{build_examples, expect_lines_after, RawExample};
use super::generic::GenericExamples;
use super::model::*;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    /// Default: the column or attribute the id names.
    #[serde(default)]
    entity: Option<String>,
    keyword: String,
    requirement: String,
    /// static or dynamic
    kind: String,
    function: String,
    #[serde(default)]
    applicability: Vec<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    note: Option<String>,
    /// The requirement is no longer in this version's text (the model marks it Removed): its id
    /// is reported, as skipped with this reason, and its check never runs.
    #[serde(default)]
    removed: Option<String>,
    /// The later versions this file is carried into, unchanged but for the ids (see
    /// [`super::carry`]).
    #[serde(default)]
    carried_into: Vec<String>,
    /// A mapping (one shape key plus options), or one word: `present`, `type`, `format` (the
    /// entity's catalog column, type and format) or `permission` (the requirement's own text).
    check: serde_yaml::Value,
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
    dataset: Option<String>,
    overlap: Option<RawOverlap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlap {
    keys: String,
    sql: String,
}

/// What a rule file needs from its version: the catalogs of its datasets and the shared
/// example sets.
pub struct Context<'a> {
    pub version: &'a str,
    /// (id prefix, catalog) of each dataset of the version.
    pub datasets: &'a [(String, Catalog)],
    pub generic: &'a GenericExamples,
}

impl Context<'_> {
    /// The dataset a requirement id belongs to: the one whose prefix it carries; None for an
    /// id without a known prefix (an attribute requirement).
    fn dataset_of(&self, prefix: Option<&str>) -> Option<&Catalog> {
        self.datasets
            .iter()
            .find(|(p, _)| prefix.is_some_and(|x| !p.is_empty() && p == x))
            .map(|(_, c)| c)
    }

    /// The catalog a rule's columns come from: its dataset's, else the first dataset's.
    fn catalog_for(&self, prefix: Option<&str>) -> Option<&Catalog> {
        self.dataset_of(prefix)
            .or_else(|| self.datasets.first().map(|(_, c)| c))
    }
}

/// The parts of a requirement id: `[PREFIX-]Entity-T-NNN-L`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdParts<'a> {
    /// The dataset prefix (`CAU`, `CCT`…; none in FOCUS 1.2).
    pub prefix: Option<&'a str>,
    pub entity: &'a str,
    pub entity_type: EntityType,
}

/// Split a requirement id, or None when it has not the FOCUS shape.
pub fn parse_id(id: &str) -> Option<IdParts<'_>> {
    let parts: Vec<&str> = id.split('-').collect();
    let n = parts.len();
    if n < 4 {
        return None;
    }
    let (letter, number, level) = (parts[n - 3], parts[n - 2], parts[n - 1]);
    let entity_type = match letter {
        "C" => EntityType::Column,
        "A" => EntityType::Attribute,
        "D" => EntityType::Dataset,
        "O" => EntityType::Object,
        _ => return None,
    };
    if number.len() != 3 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !matches!(level, "M" | "C" | "O" | "R") {
        return None;
    }
    let (prefix, entity) = match &parts[..n - 3] {
        [entity] => (None, *entity),
        [prefix, entity] if prefix.len() == 3 && prefix.bytes().all(|b| b.is_ascii_uppercase()) => {
            (Some(*prefix), *entity)
        }
        _ => return None,
    };
    if entity.is_empty() || !entity.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(IdParts {
        prefix,
        entity,
        entity_type,
    })
}

/// The 1-based lines of each `- expect:` item under `examples:`.
fn example_lines(text: &str) -> Vec<usize> {
    expect_lines_after(text, line_of_key(text, "examples", 1).unwrap_or(usize::MAX))
}

/// Parse one rule file. `display_path` is what errors show; its stem is the rule's id.
pub fn parse_rule(
    text: &str,
    display_path: &Path,
    ctx: &Context,
    embedded: bool,
) -> Result<Rule, LoadError> {
    let stem = display_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    parse_file(text, display_path, stem, ctx, embedded, None)
}

/// Parse a rule file of a version's sources, `id` being its id in the version (a carried file's
/// mapped id; otherwise its stem).
pub fn parse_source(src: &super::Source, id: &str, ctx: &Context) -> Result<Rule, LoadError> {
    parse_file(
        &src.text,
        &src.display,
        id,
        ctx,
        src.embedded,
        src.carried_from.clone(),
    )
}

fn parse_file(
    text: &str,
    display_path: &Path,
    stem: &str,
    ctx: &Context,
    embedded: bool,
    carried_from: Option<CarriedFrom>,
) -> Result<Rule, LoadError> {
    let err = |line: Option<usize>, message: String| LoadError {
        path: display_path.to_path_buf(),
        line,
        message,
    };
    let raw: RawRule = serde_yaml::from_str(text).map_err(|e| LoadError::yaml(display_path, &e))?;
    let key_line = |key: &str| line_of_key(text, key, 1);

    if raw.id != stem {
        return Err(err(
            key_line("id"),
            format!("id `{}` does not match the file name `{stem}.yaml`", raw.id),
        ));
    }
    let parts = parse_id(&raw.id).ok_or_else(|| {
        err(
            key_line("id"),
            format!(
                "id `{}` is not a FOCUS requirement id ([PREFIX-]Name-C|A|D|O-NNN-M|C|O|R)",
                raw.id
            ),
        )
    })?;
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
    let rule_type = RuleType::parse_as(&raw.kind, "kind").map_err(|m| err(key_line("kind"), m))?;
    let function =
        Function::parse_as(&raw.function, "function").map_err(|m| err(key_line("function"), m))?;
    let entity = raw.entity.unwrap_or_else(|| parts.entity.to_string());
    let entity_type = parts.entity_type;
    let dataset = ctx.dataset_of(parts.prefix).map(|c| c.dataset.clone());
    let requirement = raw.requirement.trim().to_string();

    let check_line = key_line("check").unwrap_or(1);
    let catalog = ctx.catalog_for(parts.prefix);
    let (check, screen, overlap) = build_check(raw.check, &entity, &requirement, catalog)
        .map_err(|m| err(Some(check_line), m))?;

    // Type, format and presence checks run the shared examples of their kind first.
    let generic = ctx.generic.for_check(&check);
    let own = build_examples(raw.examples, &example_lines(text), check_line)
        .map_err(|(line, m)| err(Some(line), m))?;
    let mut examples = generic;
    examples.extend(own);

    Ok(Rule {
        id: raw.id,
        focus_version: ctx.version.to_string(),
        dataset,
        entity,
        entity_type,
        keyword,
        requirement,
        rule_type,
        function,
        applicability: raw.applicability,
        depends_on: raw.depends_on,
        note: raw.note.map(|n| n.trim().to_string()),
        removed: raw.removed.map(|n| n.trim().to_string()),
        check,
        screen,
        overlap,
        examples,
        origin: Origin {
            path: display_path.to_path_buf(),
            check_line,
            embedded,
            carried_from,
            carried_into: raw.carried_into,
        },
    })
}

/// The check, for a screen (`row`/`sql` with `evidence`) the evidence still needed when the
/// data shows no violation, and for a query across datasets how to count the keys they share.
fn build_check(
    value: serde_yaml::Value,
    entity: &str,
    requirement: &str,
    catalog: Option<&Catalog>,
) -> Result<(Check, Option<String>, Option<Overlap>), String> {
    let mut raw: RawCheck = match value {
        serde_yaml::Value::String(word) => {
            return word_check(&word, entity, requirement, catalog).map(|c| (c, None, None))
        }
        v @ serde_yaml::Value::Mapping(_) => {
            serde_yaml::from_value(v).map_err(|e| format!("check: {e}"))?
        }
        _ => {
            return Err(
                "check is a mapping, or one of the words present, type, format, permission".into(),
            )
        }
    };
    let screen = if raw.evidence.is_some() && (raw.row.is_some() || raw.sql.is_some()) {
        let text = raw.evidence.take().unwrap_or_default();
        if text.trim().is_empty() {
            return Err("`evidence` is empty".into());
        }
        Some(text.trim().to_string())
    } else {
        None
    };
    let nonempty = |s: String, what: &str| {
        if s.trim().is_empty() {
            Err(format!("`{what}` is empty"))
        } else {
            Ok(s.trim().to_string())
        }
    };
    let overlap = match raw.overlap.take() {
        None => None,
        Some(_) if raw.sql.is_none() => {
            return Err("`overlap` goes with `sql` (a query across two datasets)".into())
        }
        Some(o) => Some(Overlap {
            keys: nonempty(o.keys, "overlap.keys")?,
            sql: nonempty(o.sql, "overlap.sql")?
                .trim_end_matches(';')
                .to_string(),
        }),
    };
    build_shape(raw, entity, catalog).map(|c| (c, screen, overlap))
}

/// The catalog entry of `column`, or an error naming the version's catalog.
fn catalog_column<'a>(catalog: Option<&'a Catalog>, column: &str) -> Result<&'a ColumnDef, String> {
    let catalog = catalog.ok_or("no column catalog for this rule's dataset")?;
    catalog.column(column).ok_or_else(|| {
        format!(
            "{column} is not a column of the FOCUS {} {} catalog",
            catalog.version, catalog.dataset
        )
    })
}

/// A one-word check: everything it needs comes from the catalog or the requirement.
fn word_check(
    word: &str,
    entity: &str,
    requirement: &str,
    catalog: Option<&Catalog>,
) -> Result<Check, String> {
    Ok(match word {
        "present" => {
            catalog_column(catalog, entity)?;
            Check::Present {
                column: entity.to_string(),
            }
        }
        "type" => Check::Type {
            column: entity.to_string(),
            ty: catalog_column(catalog, entity)?.ty,
            when: None,
        },
        "format" => {
            let def = catalog_column(catalog, entity)?;
            Check::Format {
                column: entity.to_string(),
                format: def
                    .format
                    .ok_or_else(|| format!("the catalog gives {entity} no format"))?,
                when: None,
            }
        }
        "permission" => Check::Permission(requirement.to_string()),
        other => {
            return Err(format!(
                "unknown check `{other}`: one word is present, type, format or permission; \
                 anything else is a mapping (row, sql, all_of, any_of, evidence…)"
            ))
        }
    })
}

fn build_shape(raw: RawCheck, entity: &str, catalog: Option<&Catalog>) -> Result<Check, String> {
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
        ("dataset", raw.dataset.is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| name)
    .collect();
    if shapes.len() != 1 {
        return Err(format!(
            "check must have exactly one of row, sql, present, type, format, all_of, any_of, evidence, permission, dataset; found {}",
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
            let ty = FocusType::parse_as(&t, "type")?;
            let def = catalog_column(catalog, &column)?;
            if def.ty != ty {
                return Err(format!(
                    "type `{t}` disagrees with the catalog, which types {column} as {}",
                    def.ty
                ));
            }
            Check::Type {
                column,
                ty,
                when: raw.when,
            }
        }
        "format" => {
            let f = raw.format.unwrap();
            let format = ValueFormat::parse_as(&f, "format")?;
            let def = catalog_column(catalog, &column)?;
            if def.format != Some(format) {
                return Err(format!(
                    "format `{f}` disagrees with the catalog, which gives {column} {}",
                    def.format
                        .map_or("no format".to_string(), |f| format!("the {f} format"))
                ));
            }
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
        "dataset" => Check::Dataset(nonempty(raw.dataset.unwrap(), "dataset")?),
        _ => unreachable!("shape list above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::GenericExamples;

    const GOOD: &str = "id: X-C-001-M
entity: X
keyword: MUST NOT
requirement: X MUST NOT be null.
kind: static
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

    const CATALOG: &str = "version: \"9.9\"
dataset: CostAndUsage
columns:
  - { name: X, type: decimal, level: mandatory, nullable: false, format: numeric }
  - { name: Y, type: string, level: optional, nullable: true }
";

    const GENERIC: &str = "type:
  decimal:
    - expect: pass
      rows:
        - { \"{column}\": \"1\" }
    - expect: fail
      rows:
        - { \"{column}\": \"one\" }
";

    fn parse(text: &str) -> Result<Rule, LoadError> {
        let catalog = Catalog::parse(CATALOG, Path::new("columns.yaml")).unwrap();
        let generic = GenericExamples::parse(GENERIC, Path::new("generic/examples.yaml")).unwrap();
        let datasets = vec![(String::new(), catalog)];
        let ctx = Context {
            version: "9.9",
            datasets: &datasets,
            generic: &generic,
        };
        parse_rule(
            text,
            Path::new("rules.d/focus-9.9/X/X-C-001-M.yaml"),
            &ctx,
            false,
        )
    }

    #[test]
    fn parses_a_rule_with_examples() {
        let r = parse(GOOD).unwrap();
        assert_eq!(r.keyword, Keyword::MustNot);
        assert_eq!(r.entity_type, EntityType::Column);
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
        assert_eq!(r.examples[1].line, 13);
        assert_eq!(r.origin.check_line, 7);
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let text = GOOD.replace(
            "function: nullability",
            "function: nullability\nseverity: high",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(
            e.message.contains("unknown field `severity`"),
            "{}",
            e.message
        );
        assert!(
            e.to_string()
                .starts_with("rules.d/focus-9.9/X/X-C-001-M.yaml:7: "),
            "{e}"
        );
    }

    #[test]
    fn bad_keyword_and_two_shapes_are_errors() {
        let e = parse(&GOOD.replace("keyword: MUST NOT", "keyword: MUSTN'T")).unwrap_err();
        assert_eq!(e.line, Some(3));
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

    #[test]
    fn word_checks_take_column_type_and_format_from_the_catalog() {
        let base = "id: X-C-001-M\nkeyword: MUST\nrequirement: X MUST be of type Decimal.\nkind: static\nfunction: type\n";
        let r = parse(&format!("{base}check: type\n")).unwrap();
        assert_eq!(r.entity, "X", "entity defaults to the id's name");
        assert_eq!(
            r.check,
            Check::Type {
                column: "X".into(),
                ty: FocusType::Decimal,
                when: None
            }
        );
        // The shared decimal examples, written for X.
        assert_eq!(r.examples.len(), 2);
        assert_eq!(r.examples[0].columns, vec!["X".to_string()]);
        assert_eq!(
            r.examples[0].path.as_deref(),
            Some(Path::new("generic/examples.yaml"))
        );
        let r = parse(&format!("{base}check: format\n")).unwrap();
        assert!(matches!(
            r.check,
            Check::Format {
                format: ValueFormat::Numeric,
                ..
            }
        ));
        let r = parse(&format!("{base}check: permission\n")).unwrap();
        assert_eq!(
            r.check,
            Check::Permission("X MUST be of type Decimal.".into())
        );
        let e = parse(&format!("{base}check:\n  type: string\n")).unwrap_err();
        assert!(e.message.contains("disagrees with the catalog"), "{e}");
        assert_eq!(e.line, Some(6));
        let e = parse(&format!("{base}check: typo\n")).unwrap_err();
        assert!(e.message.contains("unknown check `typo`"), "{e}");
    }

    #[test]
    fn ids_split_into_prefix_entity_and_type() {
        let p = parse_id("CAU-BilledCost-C-003-M").unwrap();
        assert_eq!(p.prefix, Some("CAU"));
        assert_eq!(p.entity, "BilledCost");
        assert_eq!(p.entity_type, EntityType::Column);
        let p = parse_id("ContractAppliedObject-O-001-M").unwrap();
        assert_eq!((p.prefix, p.entity_type), (None, EntityType::Object));
        assert!(parse_id("BilledCost-X-003-M").is_none());
        assert!(parse_id("BilledCost-C-3-M").is_none());
        assert!(parse_id("billed cost").is_none());
    }
}
