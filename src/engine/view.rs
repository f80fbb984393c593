//! The typed FOCUS view: `CostAndUsage` exposes each FOCUS column in its FOCUS type (Decimal as
//! DOUBLE, Date/Time as TIMESTAMP, String/JSON as VARCHAR) plus `<Column>__raw`, its value as
//! text. Also generates the row predicates behind the `type:` and `format:` rule shapes, which
//! depend on how the file stores each column (text as written vs native Parquet types).

use super::{quote_ident, SourceColumn};
use crate::rules::catalog::Catalog;
use crate::rules::{FocusType, ValueFormat};
use datafusion::arrow::datatypes::DataType;

/// Suffix of the text-as-written companion of every FOCUS column.
pub const RAW_SUFFIX: &str = "__raw";

pub fn raw_name(column: &str) -> String {
    format!("{column}{RAW_SUFFIX}")
}

fn is_numeric(t: &DataType) -> bool {
    t.is_numeric()
}

fn is_temporal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64
    )
}

fn is_nested(t: &DataType) -> bool {
    t.is_nested()
}

fn utc_timestamp(t: &DataType) -> bool {
    match t {
        DataType::Timestamp(_, None) => true,
        DataType::Timestamp(_, Some(tz)) => {
            matches!(tz.as_ref(), "UTC" | "utc" | "+00:00" | "Z" | "Etc/UTC")
        }
        _ => false,
    }
}

/// What a natively typed (not text) source column holds, as far as text-format rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeKind {
    /// Integers, floats, decimals.
    Number,
    /// Timestamps in UTC (or without a zone, which FOCUS readers take as UTC), and dates.
    UtcInstant,
    /// Timestamps in another zone.
    Instant,
    /// Booleans, nested types and the rest: their `__raw` rendering is not equivalent.
    Other,
}

/// How `column` is stored, when not as text.
pub fn native_kind(column: &SourceColumn) -> Option<NativeKind> {
    if column.is_text() {
        return None;
    }
    let t = &column.data_type;
    Some(if is_numeric(t) {
        NativeKind::Number
    } else if utc_timestamp(t) || matches!(t, DataType::Date32 | DataType::Date64) {
        NativeKind::UtcInstant
    } else if is_temporal(t) {
        NativeKind::Instant
    } else {
        NativeKind::Other
    })
}

/// What the typed view is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// For rules: decimals as DOUBLE (fast to compare), plus `<Column>__raw` text companions.
    Rules,
    /// For people (`focus-sql query`): decimals as DECIMAL(38, 12) so sums come out exact, no
    /// `__raw` companions.
    Query,
}

/// Precision and scale of Decimal columns in the query view.
pub const QUERY_DECIMAL: &str = "DECIMAL(38, 12)";

/// How one column of the typed view is computed from its source column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ViewExpr {
    /// The source column as it is (a custom column of a self-describing format).
    Plain,
    /// `focus_null_word(column)`: a custom text column of a CSV.
    NullWord,
    /// Any other expression over the source column, as SQL (the typed FOCUS columns).
    Sql(String),
}

/// One column of the typed view: its name, the source column it reads (by position) and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewItem {
    pub name: String,
    pub source: usize,
    pub expr: ViewExpr,
}

impl ViewItem {
    /// The item's expression as SQL (without its alias).
    pub fn sql(&self, columns: &[SourceColumn]) -> String {
        let name = quote_ident(&columns[self.source].name);
        match &self.expr {
            ViewExpr::Plain => name,
            ViewExpr::NullWord => format!("focus_null_word({name})"),
            ViewExpr::Sql(s) => s.clone(),
        }
    }
}

/// The columns of the typed view over `columns`, in order: each source column, and for a FOCUS
/// column of the rules view its `__raw` companion right after it.
///
/// With `csv_null_word`, a text cell that is exactly the word NULL (any case) is NULL: CSV has no
/// null of its own and exporters (and the FOCUS spec's own examples) write one so. Placeholders
/// such as "N/A" stay text, for NullHandling-A-002-M to report.
pub fn view_items(
    columns: &[SourceColumn],
    catalog: &Catalog,
    csv_null_word: bool,
    kind: ViewKind,
) -> Vec<ViewItem> {
    let by_name = catalog.by_name();
    let mut items = Vec::with_capacity(columns.len() + by_name.len());
    for (i, c) in columns.iter().enumerate() {
        let null_word = csv_null_word && c.is_text();
        let Some(def) = by_name.get(c.name.as_str()) else {
            items.push(ViewItem {
                name: c.name.clone(),
                source: i,
                expr: if null_word {
                    ViewExpr::NullWord
                } else {
                    ViewExpr::Plain
                },
            });
            continue;
        };
        let name = quote_ident(&c.name);
        let q = if null_word {
            format!("focus_null_word({name})")
        } else {
            name.clone()
        };
        let text = c.is_text();
        let typed = match (def.ty, text, kind) {
            // Text such as 1.5e-3 does not cast to a decimal directly: go through DOUBLE then.
            (FocusType::Decimal, true, ViewKind::Query) => {
                format!("COALESCE(TRY_CAST({q} AS {QUERY_DECIMAL}), TRY_CAST(TRY_CAST({q} AS DOUBLE) AS {QUERY_DECIMAL}))")
            }
            (FocusType::Decimal, false, ViewKind::Query) if is_numeric(&c.data_type) => {
                format!("TRY_CAST({q} AS {QUERY_DECIMAL})")
            }
            (FocusType::Decimal, false, ViewKind::Query) => {
                format!("CAST(NULL AS {QUERY_DECIMAL})")
            }
            (ty, text, _) => match (ty, text) {
                (FocusType::Decimal, true) => format!("TRY_CAST({q} AS DOUBLE)"),
                (FocusType::Decimal, false) if is_numeric(&c.data_type) => {
                    format!("CAST({q} AS DOUBLE)")
                }
                (FocusType::Decimal, false) => "CAST(NULL AS DOUBLE)".to_string(),
                (FocusType::DateTime, true) => format!("TRY_CAST({q} AS TIMESTAMP)"),
                (FocusType::DateTime, false) if is_temporal(&c.data_type) => {
                    format!("CAST({q} AS TIMESTAMP)")
                }
                (FocusType::DateTime, false) => "CAST(NULL AS TIMESTAMP)".to_string(),
                (FocusType::String | FocusType::Json, true) => format!("CAST({q} AS VARCHAR)"),
                (FocusType::Json, false) if is_nested(&c.data_type) => {
                    format!("focus_to_json({q})")
                }
                (FocusType::String, false) if is_nested(&c.data_type) => {
                    "CAST(NULL AS VARCHAR)".to_string()
                }
                (FocusType::String | FocusType::Json, false) => format!("CAST({q} AS VARCHAR)"),
            },
        };
        let raw_expr = if text {
            format!("CAST({q} AS VARCHAR)")
        } else if is_temporal(&c.data_type) {
            // Native date/times are instants: show them in the FOCUS form, in UTC.
            format!("to_char(CAST({q} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ')")
        } else if is_nested(&c.data_type) && def.ty == FocusType::Json {
            // A MAP or struct holding a JSON column: its JSON text, checked as written text is.
            format!("focus_to_json({q})")
        } else if is_nested(&c.data_type) {
            "CAST(NULL AS VARCHAR)".to_string()
        } else {
            format!("CAST({q} AS VARCHAR)")
        };
        items.push(ViewItem {
            name: c.name.clone(),
            source: i,
            expr: ViewExpr::Sql(typed),
        });
        if kind == ViewKind::Rules {
            items.push(ViewItem {
                name: raw_name(&c.name),
                source: i,
                expr: ViewExpr::Sql(raw_expr),
            });
        }
    }
    items
}

/// The SELECT that defines the typed view over `source` (the same columns as [`view_items`]).
pub fn view_sql(
    columns: &[SourceColumn],
    catalog: &Catalog,
    csv_null_word: bool,
    kind: ViewKind,
    source: &str,
) -> String {
    let items: Vec<String> = view_items(columns, catalog, csv_null_word, kind)
        .iter()
        .map(|item| format!("{} AS {}", item.sql(columns), quote_ident(&item.name)))
        .collect();
    format!("SELECT {} FROM {}", items.join(", "), quote_ident(source))
}

/// The row predicate behind `type: T` for a column stored as `source`.
pub fn type_predicate(column: &SourceColumn, ty: FocusType) -> String {
    let raw = quote_ident(&raw_name(&column.name));
    let fail_non_null = format!("{raw} IS NULL");
    let t = &column.data_type;
    if column.is_text() {
        return match ty {
            FocusType::Decimal => format!("focus_is_decimal({raw})"),
            FocusType::DateTime => format!("focus_parses_datetime({raw})"),
            FocusType::String => "TRUE".into(),
            FocusType::Json => format!("focus_is_json({raw})"),
        };
    }
    let ok = match ty {
        FocusType::Decimal => is_numeric(t),
        FocusType::DateTime => is_temporal(t),
        FocusType::String => false,
        FocusType::Json => matches!(t, DataType::Struct(_) | DataType::Map(_, _)),
    };
    if ok {
        "TRUE".into()
    } else {
        fail_non_null
    }
}

/// The row predicate behind `format: F` for a column stored as `source`.
pub fn format_predicate(column: &SourceColumn, format: ValueFormat) -> String {
    let raw = quote_ident(&raw_name(&column.name));
    let t = &column.data_type;
    if column.is_text() {
        let f = match format {
            ValueFormat::Numeric => "focus_is_numeric",
            ValueFormat::DateTime => "focus_is_datetime",
            ValueFormat::Currency => "focus_is_currency",
            ValueFormat::Unit => "focus_is_unit",
            ValueFormat::KeyValue => "focus_is_key_value",
            ValueFormat::JsonObject => "focus_is_json_object",
        };
        return format!("{f}({raw})");
    }
    // A MAP or struct is shown as its JSON text in `__raw`: checked as JSON written as text
    // (a MAP may repeat a key, or hold nested values).
    match format {
        ValueFormat::KeyValue if is_nested(t) => return format!("focus_is_key_value({raw})"),
        ValueFormat::JsonObject if is_nested(t) => return format!("focus_is_json_object({raw})"),
        _ => {}
    }
    let ok = match format {
        ValueFormat::Numeric => is_numeric(t),
        ValueFormat::DateTime => utc_timestamp(t),
        ValueFormat::Currency | ValueFormat::Unit => false,
        ValueFormat::KeyValue | ValueFormat::JsonObject => false,
    };
    if ok {
        "TRUE".into()
    } else {
        format!("{raw} IS NULL")
    }
}
