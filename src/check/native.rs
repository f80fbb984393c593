//! Checks whose verdict follows from a column's native type. A value-format requirement is about
//! how a value is written as text; a column stored as a Parquet DOUBLE or TIMESTAMP is not
//! written as text at all, and the typed view renders it (`<Column>__raw`) only so that text
//! rules can read it. Formatting every native value to text and then re-parsing it to test a
//! format would cost more than the scan itself, for a verdict known in advance. So, for a native
//! column, the planner replaces:
//! - a format-attribute part of a `for_each` rule (NumericFormat, DateTimeFormat) by what the
//!   native type leaves open: a DOUBLE must be finite (NaN and infinity are not numbers in
//!   NumericFormat); a UTC TIMESTAMP always is a DateTimeFormat value;
//! - `focus_is_numeric(<C>__raw)` / `focus_is_decimal(<C>__raw)` by the same finiteness test,
//!   `focus_is_datetime(<C>__raw)` / `focus_parses_datetime(<C>__raw)` by a null test, with the
//!   same three-valued results (NULL on NULL);
//! - `<C>__raw IS [NOT] NULL` by `<C> IS [NOT] NULL` (the rendering is NULL exactly when the
//!   value is).
//!
//! Only where the typed column is the stored value itself: a native number in a Decimal column,
//! a native UTC timestamp in a Date/Time column. Text columns (every CSV column, text Parquet
//! columns) and native columns of another FOCUS type (which the typed view shows as NULL) are
//! left as they are.

use crate::engine::view::{self, NativeKind};
use crate::engine::{quote_ident, Dataset};
use crate::rules::{EntityType, FocusType, Rule, ValueFormat};

/// The value format a format-attribute rule is about (`NumericFormat-A-006-M` → numeric).
/// Every row check of these attributes tests how a value is written (the model files some as
/// `validation`, e.g. DateTimeFormat-A-001-M on UTC, but they read the text all the same).
pub(crate) fn attribute_format(rule: &Rule) -> Option<ValueFormat> {
    if rule.entity_type != EntityType::Attribute {
        return None;
    }
    Some(match rule.entity.as_str() {
        "NumericFormat" => ValueFormat::Numeric,
        "DateTimeFormat" => ValueFormat::DateTime,
        _ => return None,
    })
}

/// TRUE exactly when a native numeric value is finite; NULL on NULL.
fn finite(column: &str) -> String {
    let c = quote_ident(column);
    format!("({c} - {c} = 0)")
}

/// How `column` is stored when the typed view shows its value as stored: a native number in a
/// Decimal column, a native UTC timestamp in a Date/Time column; None otherwise.
fn faithful(ds: &Dataset, column: &str) -> Option<NativeKind> {
    let kind = view::native_kind(ds.column(column)?)?;
    match (kind, ds.catalog.column(column)?.ty) {
        (NativeKind::Number, FocusType::Decimal)
        | (NativeKind::UtcInstant, FocusType::DateTime) => Some(kind),
        _ => None,
    }
}

/// What a `for_each` part about `format` becomes for `column`, when its native type decides:
/// `Some(None)` = nothing left to check, `Some(Some(pred))` = check `pred` instead, `None` = the
/// part is checked as written.
pub(crate) fn format_part(
    ds: &Dataset,
    column: &str,
    format: ValueFormat,
) -> Option<Option<String>> {
    match (faithful(ds, column)?, format) {
        (NativeKind::Number, ValueFormat::Numeric) => Some(Some(finite(column))),
        (NativeKind::UtcInstant, ValueFormat::DateTime) => Some(None),
        _ => None,
    }
}

/// Is `text[at..]` preceded by a character that could continue an identifier?
fn joined_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '"')
}

/// Replace every standalone occurrence of `from` by `to`.
fn replace_standalone(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(from) {
        if at < rest {
            continue;
        }
        out.push_str(&text[rest..at]);
        if joined_before(text, at) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = at + from.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// Rewrite the text-level tests of `sql` on native columns (see the module comment).
pub(crate) fn simplify(ds: &Dataset, sql: &str) -> String {
    if !sql.contains(view::RAW_SUFFIX) {
        return sql.to_string();
    }
    let mut out = sql.to_string();
    // Only catalog columns have a `__raw` companion: visit those present, in file order (not
    // every column of a wide file for every check).
    let mut present: Vec<(usize, &String)> = ds
        .catalog
        .columns
        .iter()
        .filter_map(|d| ds.position(&d.name).map(|i| (i, &d.name)))
        .collect();
    present.sort();
    present.dedup();
    for (_, name) in present {
        let raw = view::raw_name(name);
        if !out.contains(&raw) {
            continue;
        }
        let Some(kind) = faithful(ds, name) else {
            continue;
        };
        let q = quote_ident(name);
        let (tests, to): (&[&str], String) = match kind {
            NativeKind::Number => (&["focus_is_numeric", "focus_is_decimal"], finite(name)),
            _ => (
                &["focus_is_datetime", "focus_parses_datetime"],
                format!("({q} IS NOT NULL OR NULL)"),
            ),
        };
        for raw_ref in [raw.clone(), quote_ident(&raw)] {
            for test in ["IS NOT NULL", "IS NULL"] {
                out =
                    replace_standalone(&out, &format!("{raw_ref} {test}"), &format!("{q} {test}"));
            }
            for f in tests {
                out = replace_standalone(&out, &format!("{f}({raw_ref})"), &to);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_standalone_names_are_replaced() {
        assert_eq!(
            replace_standalone(
                "A__raw IS NULL AND xA__raw IS NULL",
                "A__raw IS NULL",
                "\"A\" IS NULL"
            ),
            "\"A\" IS NULL AND xA__raw IS NULL"
        );
        assert_eq!(replace_standalone("f(A) OR f(A)", "f(A)", "T"), "T OR T");
    }

    #[tokio::test]
    async fn only_columns_whose_typed_value_is_the_stored_one_are_rewritten() {
        use crate::rules::{FocusVersion, PhysicalType, RuleSet};
        let set = RuleSet::load(&FocusVersion::parse("1.2").unwrap(), None)
            .unwrap()
            .set;
        let columns: Vec<String> = [
            "BilledCost",
            "ListCost",
            "ChargePeriodStart",
            "BillingAccountId",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        // BilledCost: a DOUBLE (rewritten); ListCost: a timestamp in a Decimal column (the typed
        // view shows NULL there, so its text tests stay); BillingAccountId: text.
        let types = [
            ("BilledCost".to_string(), PhysicalType::Double),
            ("ListCost".to_string(), PhysicalType::Timestamp),
            ("ChargePeriodStart".to_string(), PhysicalType::Timestamp),
        ]
        .into_iter()
        .collect();
        let ds = Dataset::from_text_rows(&columns, &[], &types, &set.catalog)
            .await
            .unwrap();
        assert_eq!(
            simplify(
                &ds,
                "BilledCost__raw IS NULL OR focus_is_numeric(BilledCost__raw)"
            ),
            "\"BilledCost\" IS NULL OR (\"BilledCost\" - \"BilledCost\" = 0)"
        );
        assert_eq!(
            simplify(&ds, "focus_is_datetime(ChargePeriodStart__raw)"),
            "(\"ChargePeriodStart\" IS NOT NULL OR NULL)"
        );
        for unchanged in [
            "ListCost__raw IS NULL OR focus_is_numeric(ListCost__raw)",
            "BillingAccountId__raw IS NOT NULL",
        ] {
            assert_eq!(simplify(&ds, unchanged), unchanged);
        }
        assert_eq!(format_part(&ds, "ListCost", ValueFormat::Numeric), None);
        assert_eq!(
            format_part(&ds, "ChargePeriodStart", ValueFormat::DateTime),
            Some(None)
        );
    }
}
