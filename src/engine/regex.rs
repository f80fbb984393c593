//! `regexp_like` and `regexp_replace` with their patterns compiled once per run.
//!
//! DataFusion's own implementations compile a literal pattern again for every batch. Rules test
//! unit and identifier columns with long Unicode-aware patterns, where compiling costs more than
//! matching a batch, so the wrapper of costly functions ([`super::distinct`]) answers these two
//! here, keeping each compiled pattern for the process. The answers follow the built-ins' meaning: flags are prepended as `(?flags)`,
//! `g` makes `regexp_replace` replace every match (otherwise the first), `\1` in a replacement is
//! capture group 1, an empty `regexp_like` pattern matches everything and a null value gives
//! null. Any other form (a pattern taken from a column, a null pattern) goes to the built-in.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err, DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};
use regex::Regex;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The compiled pattern of `pattern`, from the process-wide cache.
fn compiled(pattern: &str) -> Result<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache.lock().expect("regex cache").get(pattern) {
        return Ok(re.clone());
    }
    let re = Regex::new(pattern).map_err(|e| {
        DataFusionError::Execution(format!("Regular expression did not compile: {e:?}"))
    })?;
    cache
        .lock()
        .expect("regex cache")
        .insert(pattern.to_string(), re.clone());
    Ok(re)
}

/// A replacement's `\N` (or `\\N`) group references in the `${N}` form the regex crate reads.
fn rust_groups(replacement: &str) -> String {
    static GROUPS: OnceLock<Regex> = OnceLock::new();
    GROUPS
        .get_or_init(|| Regex::new(r"\\{1,2}(\d+)").expect("a valid pattern"))
        .replace_all(replacement, "$${$1}")
        .into_owned()
}

/// The regular-expression functions answered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Like,
    Replace,
}

impl Kind {
    /// The kind of the built-in `name`; `None` for other functions.
    pub fn of(name: &str) -> Option<Kind> {
        match name {
            "regexp_like" => Some(Kind::Like),
            "regexp_replace" => Some(Kind::Replace),
            _ => None,
        }
    }
}

/// A literal string argument; `None` when the argument is a column or null.
fn literal(v: &ColumnarValue) -> Option<&str> {
    match v {
        ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
        ) => Some(s),
        _ => None,
    }
}

impl Kind {
    /// The answer when the values are a column and the other arguments literals; `None` for
    /// any other form (the built-in answers those).
    pub fn evaluate(self, args: &ScalarFunctionArgs) -> Option<Result<ColumnarValue>> {
        let ColumnarValue::Array(values) = &args.args[0] else {
            return None;
        };
        if !matches!(
            values.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            return None;
        }
        let pattern = literal(args.args.get(1)?)?;
        Some(match self {
            Kind::Like => {
                let flags = match args.args.get(2) {
                    None => None,
                    Some(f) => Some(literal(f)?),
                };
                like(values, pattern, flags)
            }
            Kind::Replace => {
                let replacement = literal(args.args.get(2)?)?;
                let flags = match args.args.get(3) {
                    None => None,
                    Some(f) => Some(literal(f)?),
                };
                replace(
                    values,
                    pattern,
                    replacement,
                    flags,
                    args.return_field.data_type(),
                )
            }
        })
    }
}

fn like(values: &ArrayRef, pattern: &str, flags: Option<&str>) -> Result<ColumnarValue> {
    if flags.is_some_and(|f| f.contains('g')) {
        return plan_err!("regexp_like() does not support the \"global\" option");
    }
    let pattern = match flags {
        Some(f) => format!("(?{f}){pattern}"),
        None => pattern.to_string(),
    };
    let view = cast(values, &DataType::Utf8View)?;
    let view = view.as_string_view();
    let out: BooleanArray = if pattern.is_empty() {
        view.iter().map(|v| v.map(|_| true)).collect()
    } else {
        let re = compiled(&pattern)?;
        view.iter().map(|v| v.map(|s| re.is_match(s))).collect()
    };
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn replace(
    values: &ArrayRef,
    pattern: &str,
    replacement: &str,
    flags: Option<&str>,
    out_type: &DataType,
) -> Result<ColumnarValue> {
    let (pattern, limit) = match flags {
        Some("g") => (pattern.to_string(), 0),
        Some(f) => (
            format!("(?{}){pattern}", f.replace('g', "")),
            usize::from(!f.contains('g')),
        ),
        None => (pattern.to_string(), 1),
    };
    let re = compiled(&pattern)?;
    let replacement = rust_groups(replacement);
    let view = cast(values, &DataType::Utf8View)?;
    let view = view.as_string_view();
    let out: StringArray = view
        .iter()
        .map(|v| v.map(|s| re.replacen(s, limit, replacement.as_str())))
        .collect();
    let out: ArrayRef = Arc::new(out);
    if out.data_type() == out_type {
        return Ok(ColumnarValue::Array(out));
    }
    match out_type {
        DataType::Utf8View | DataType::LargeUtf8 => Ok(ColumnarValue::Array(cast(&out, out_type)?)),
        other => exec_err!("regexp_replace: unexpected return type {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    /// Every form the rules use gives what the built-ins give, nulls and flags included.
    #[tokio::test]
    async fn cached_versions_answer_as_the_built_ins() {
        let values: Vec<Option<&str>> = vec![
            Some("GB-Hours"),
            Some("Hours"),
            None,
            Some(""),
            Some("1000 Requests per Second"),
            Some("abc abc"),
        ];
        let batch = datafusion::arrow::record_batch::RecordBatch::try_from_iter(vec![(
            "u",
            Arc::new(StringArray::from(values)) as ArrayRef,
        )])
        .unwrap();
        let sql = r"SELECT regexp_like(u, '(?i)hours?'), regexp_like(u, 'HOURS', 'i'),
                   regexp_like(u, ''), regexp_replace(u, '(?i)\s+per\s+', '/', 'g'),
                   regexp_replace(u, 'b', 'B'), regexp_replace(u, '(a)(b)', '\2\1', 'g'),
                   regexp_replace(CAST(u AS VARCHAR), 'c', 'C', 'gi'), u
            FROM t";
        let run = |wrap: bool| {
            let batch = batch.clone();
            async move {
                let ctx = SessionContext::new();
                if wrap {
                    for name in ["regexp_like", "regexp_replace"] {
                        let f = ctx.state().scalar_functions()[name].clone();
                        ctx.register_udf(super::super::distinct::per_distinct(&f));
                    }
                }
                ctx.register_batch("t", batch).unwrap();
                ctx.sql(sql).await.unwrap().collect().await.unwrap()
            }
        };
        let plain = run(false).await;
        let wrapped = run(true).await;
        assert_eq!(plain, wrapped);
        let replaced = wrapped[0].column(5).as_string::<i32>();
        assert_eq!(replaced.value(5), "bac bac");
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_it() {
        let values: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
        let e = like(&values, "(", None).unwrap_err().to_string();
        assert!(e.contains("did not compile"), "{e}");
    }
}
