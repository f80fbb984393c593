//! Row functions evaluated once per distinct value of a batch.
//!
//! Export columns that rules test with regular expressions or JSON functions (units, categories,
//! JSON objects) repeat a few values over millions of rows. [`PerDistinct`] wraps a row
//! function: when a batch gives it one string column and otherwise constants, it calls the
//! wrapped function on the distinct values of that column only and spreads the answers back over
//! the rows. The wrapped function computes every answer, so the results are the same as calling
//! it on each row; a column with few repeats in a batch is passed straight through. For
//! `regexp_like` and `regexp_replace` the wrapper answers with patterns compiled once per run
//! ([`super::regex`]) instead of calling DataFusion's, which compiles them for every batch.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt32Array};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Batches shorter than this are passed through: deduplicating them costs more than it saves.
const MIN_ROWS: usize = 64;

/// After this many rows, a column with more than a quarter of them distinct is passed through.
const SAMPLE: usize = 256;

#[derive(Debug)]
pub struct PerDistinct {
    inner: Arc<dyn ScalarUDFImpl>,
    /// Set for the regular-expression functions answered from the pattern cache.
    regex: Option<super::regex::Kind>,
}

impl PartialEq for PerDistinct {
    fn eq(&self, other: &Self) -> bool {
        self.inner.name() == other.inner.name() && self.inner.signature() == other.inner.signature()
    }
}

impl Eq for PerDistinct {}

impl Hash for PerDistinct {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.name().hash(state);
    }
}

/// The functions worth evaluating per distinct value: regular expressions and the JSON
/// functions that parse a value, the costly tests rules apply to repetitive columns. The JSON
/// facts (`focus_is_json`, `focus_is_key_value`, duplicate and nested tests) are left alone:
/// they already share one parse per distinct value among themselves, which relies on being
/// handed the batch's own array.
pub fn worth_wrapping(name: &str) -> bool {
    name.starts_with("regexp_")
        || (name.starts_with("focus_json")
            && !matches!(
                name,
                "focus_json_has_duplicate_keys"
                    | "focus_json_has_nested_value"
                    | "focus_json_schema"
            ))
}

/// `f`, evaluated per distinct value of its string column.
pub fn per_distinct(f: &ScalarUDF) -> ScalarUDF {
    ScalarUDF::new_from_impl(PerDistinct {
        inner: f.inner().clone(),
        regex: super::regex::Kind::of(f.name()),
    })
}

impl PerDistinct {
    /// The wrapped function's answer (from the pattern cache where it can be).
    fn call(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match self.regex.and_then(|k| k.evaluate(&args)) {
            Some(answer) => answer,
            None => self.inner.invoke_with_args(args),
        }
    }
}

/// The distinct values of a batch's column: for each row the index of its value, and the row
/// where each distinct value (a null counts as one) first appears.
type Dedup = Arc<(UInt32Array, UInt32Array)>;

/// Indexes rows by a key; `None` once the keys look mostly distinct (no gain).
fn index_by<K: std::hash::Hash + Eq>(
    n: usize,
    key: impl Fn(usize) -> K,
) -> Option<(UInt32Array, UInt32Array)> {
    let mut seen: datafusion::common::HashMap<K, u32> = Default::default();
    let mut keys = Vec::with_capacity(n);
    let mut firsts = Vec::new();
    for i in 0..n {
        let next = firsts.len() as u32;
        let k = *seen.entry(key(i)).or_insert_with(|| {
            firsts.push(i as u32);
            next
        });
        keys.push(k);
        // Mostly distinct values: no gain; the first rows tell early.
        if firsts.len() * 2 > n || (i == SAMPLE && firsts.len() * 4 > SAMPLE) {
            return None;
        }
    }
    Some((UInt32Array::from(keys), UInt32Array::from(firsts)))
}

fn dedup_uncached(values: &ArrayRef) -> Option<(UInt32Array, UInt32Array)> {
    let n = values.len();
    let view = cast(values, &DataType::Utf8View).ok()?;
    let view = view.as_string_view();
    // Equal 16-byte views are equal strings (same bytes inline, or the same place in the same
    // buffer, as a Parquet dictionary page decodes them); equal strings stored apart are then
    // told by their text.
    let raw = view.views();
    index_by(n, |i| (!view.is_null(i)).then(|| raw[i]))
        .or_else(|| index_by(n, |i| (!view.is_null(i)).then(|| view.value(i))))
}

thread_local! {
    /// The last columns deduplicated on this thread, with the arrays themselves (kept alive, so
    /// an address seen here cannot have been reused by another array).
    static RECENT: std::cell::RefCell<Vec<(ArrayRef, Identity, Option<Dedup>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// How many recent columns each thread remembers: the checks of a batch test a few columns
/// each, one after the other.
const RECENT_COLUMNS: usize = 8;

/// The distinct values of `values`, shared by every check that tests the same column of the
/// same batch; `None` when it is not a string column or repeats too little to be worth it.
fn dedup(values: &ArrayRef) -> Option<Dedup> {
    let n = values.len();
    if n < MIN_ROWS
        || !matches!(
            values.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        )
    {
        return None;
    }
    let id = identity(values);
    if let Some(hit) = RECENT.with(|r| {
        r.borrow()
            .iter()
            .find(|(_, seen, _)| *seen == id)
            .map(|(_, _, d)| d.clone())
    }) {
        return hit;
    }
    let found = dedup_uncached(values).map(Arc::new);
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() == RECENT_COLUMNS {
            r.remove(0);
        }
        r.push((values.clone(), id, found.clone()));
    });
    found
}

/// What makes two arrays the same values: type, offset, length, the buffers they read and
/// their validity (the same strings with other rows null, as `focus_null_word` makes them, are
/// other values).
type Identity = (DataType, usize, usize, Vec<usize>);

fn identity(a: &ArrayRef) -> Identity {
    let data = a.to_data();
    let mut buffers: Vec<usize> = data.buffers().iter().map(|b| b.as_ptr() as usize).collect();
    if let Some(nulls) = a.nulls() {
        buffers.extend([nulls.buffer().as_ptr() as usize, nulls.offset()]);
    }
    (a.data_type().clone(), a.offset(), a.len(), buffers)
}

impl ScalarUDFImpl for PerDistinct {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.schema_name(args)
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn is_strict(&self) -> bool {
        self.inner.is_strict()
    }

    // No `simplify`: the wrapped function's rewrites (regexp_like to the `~` operator) would
    // leave the per-distinct evaluation behind.

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let mut arrays = args
            .args
            .iter()
            .enumerate()
            .filter(|(_, a)| matches!(a, ColumnarValue::Array(_)));
        let (column, values) = match (arrays.next(), arrays.next()) {
            (Some((i, ColumnarValue::Array(a))), None) => (i, a.clone()),
            _ => return self.call(args),
        };
        let Some(d) = dedup(&values) else {
            return self.call(args);
        };
        let (keys, firsts) = (&d.0, &d.1);
        let distinct = take(&values, firsts, None)?;
        let mut inner_args = args.args.clone();
        inner_args[column] = ColumnarValue::Array(distinct);
        let answers = self.call(ScalarFunctionArgs {
            args: inner_args,
            arg_fields: args.arg_fields.clone(),
            number_rows: firsts.len(),
            return_field: args.return_field.clone(),
            config_options: args.config_options.clone(),
        })?;
        Ok(match answers {
            ColumnarValue::Array(a) => ColumnarValue::Array(take(&a, keys, None)?),
            scalar @ ColumnarValue::Scalar(_) => scalar,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, StringArray};
    use datafusion::prelude::SessionContext;

    /// The same query with the built-in and with the wrapped function gives the same rows.
    #[tokio::test]
    async fn per_distinct_answers_equal_the_row_by_row_ones() {
        let units = ["GB-Hours", "Hours", "hrs", "", "GiB"];
        let values: Vec<Option<&str>> = (0..1000)
            .map(|i| (i % 7 != 0).then(|| units[i % units.len()]))
            .collect();
        let batch = datafusion::arrow::record_batch::RecordBatch::try_from_iter(vec![(
            "u",
            Arc::new(StringArray::from(values)) as ArrayRef,
        )])
        .unwrap();
        let sql =
            "SELECT regexp_like(u, '(?i)hours?|hrs'), regexp_replace(u, 'Hours', 'h', 'g') FROM t";
        let run = |wrap: bool| {
            let batch = batch.clone();
            async move {
                let ctx = SessionContext::new();
                if wrap {
                    for name in ["regexp_like", "regexp_replace"] {
                        let f = ctx.state().scalar_functions()[name].clone();
                        ctx.register_udf(per_distinct(&f));
                    }
                }
                ctx.register_batch("t", batch).unwrap();
                ctx.sql(sql).await.unwrap().collect().await.unwrap()
            }
        };
        let plain = run(false).await;
        let wrapped = run(true).await;
        assert_eq!(plain, wrapped);
        let first = wrapped[0]
            .column(0)
            .as_any()
            .downcast_ref::<BooleanArray>()
            .unwrap();
        assert_eq!(first.len(), 1000);
        assert!(first.is_null(0), "a null unit stays null");
        assert!(first.value(1), "Hours matches");
    }

    #[test]
    fn mostly_distinct_columns_are_passed_through() {
        let distinct: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..100).map(|i| format!("v{i}")),
        ));
        assert!(dedup(&distinct).is_none());
        let repeated: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..100).map(|i| format!("v{}", i % 3)),
        ));
        let d = dedup(&repeated).unwrap();
        let (keys, firsts) = (&d.0, &d.1);
        assert_eq!(firsts.values(), &[0, 1, 2]);
        assert_eq!(keys.value(4), 1);
    }

    /// A column and the same strings with some rows made null are told apart: the second is
    /// not answered with the first one's distinct values.
    #[test]
    fn the_same_values_with_other_nulls_are_another_column() {
        let values = StringArray::from_iter_values((0..100).map(|i| format!("v{}", i % 3)));
        let a: ArrayRef = Arc::new(values.clone());
        let nulls = datafusion::arrow::buffer::NullBuffer::from(
            (0..100).map(|i| i % 2 == 0).collect::<Vec<_>>(),
        );
        let b: ArrayRef = Arc::new(StringArray::new(
            values.offsets().clone(),
            values.values().clone(),
            Some(nulls),
        ));
        assert_ne!(identity(&a), identity(&b));
        assert_eq!(dedup(&a).unwrap().1.len(), 3);
        assert_eq!(dedup(&b).unwrap().1.len(), 4, "three values and NULL");
    }
}
