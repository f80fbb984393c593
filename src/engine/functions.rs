//! SQL functions focus-sql adds to DataFusion (`focus_is_numeric`, `focus_json_get`, ...),
//! thin wrappers over `engine::formats`. NULL in, NULL out.

use super::formats;
use super::json;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Float64Array, Int64Builder,
    ListBuilder, StringBuilder,
};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Visit each value of a string array of any string type.
fn each_str(array: &ArrayRef, mut f: impl FnMut(Option<&str>)) -> Result<()> {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().for_each(&mut f),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().for_each(&mut f),
        DataType::Utf8View => array.as_string_view().iter().for_each(&mut f),
        DataType::Null => (0..array.len()).for_each(|_| f(None)),
        other => return exec_err!("expected a string argument, got {other}"),
    }
    Ok(())
}

/// `f` of each non-null value (NULL stays NULL), as a bitmap built in one pass.
fn predicate<'a>(array: &'a ArrayRef, mut f: impl FnMut(&'a str) -> bool) -> Result<BooleanArray> {
    fn over<'a>(
        len: usize,
        nulls: Option<&datafusion::arrow::buffer::NullBuffer>,
        value: impl Fn(usize) -> &'a str,
        f: &mut impl FnMut(&'a str) -> bool,
    ) -> BooleanArray {
        let values = BooleanBuffer::collect_bool(len, |i| {
            nulls.is_none_or(|n| n.is_valid(i)) && f(value(i))
        });
        BooleanArray::new(values, nulls.cloned())
    }
    let n = array.len();
    Ok(match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            over(n, a.nulls(), |i| a.value(i), &mut f)
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            over(n, a.nulls(), |i| a.value(i), &mut f)
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            over(n, a.nulls(), |i| a.value(i), &mut f)
        }
        DataType::Null => BooleanArray::new_null(n),
        other => return exec_err!("expected a string argument, got {other}"),
    })
}

/// The [`formats::json_facts`] of each value of `array` (0 for NULL), each distinct value
/// parsed once. The last few arrays seen on this thread keep theirs: the JSON checks of one
/// column call several functions on the same array of a batch, which then share one parse.
/// A kept array is held, so no other array can take its address while it is kept.
fn json_facts_of(array: &ArrayRef) -> Result<Arc<Vec<u8>>> {
    use std::cell::RefCell;
    const KEPT: usize = 4;
    thread_local! {
        static SEEN: RefCell<Vec<(ArrayRef, Arc<Vec<u8>>)>> = const { RefCell::new(Vec::new()) };
    }
    let hit = SEEN.with(|s| {
        s.borrow()
            .iter()
            .find(|(a, _)| Arc::ptr_eq(a, array))
            .map(|(_, f)| f.clone())
    });
    if let Some(facts) = hit {
        return Ok(facts);
    }
    let facts = Arc::new(per_value(array, 0, formats::json_facts)?);
    SEEN.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() == KEPT {
            s.remove(0);
        }
        s.push((array.clone(), facts.clone()));
    });
    Ok(facts)
}

/// `f` of each value, where a value's 16-byte view (its length and first bytes) mostly shows
/// that `f` is FALSE without reading the text: `open(view)` tells, without a branch, the rows
/// the view leaves open, 64 rows per word; every other row is FALSE, and only the open rows
/// are read and tested. Other string arrays are tested row by row.
fn predicate_by_view(
    array: &ArrayRef,
    open: impl Fn(u128) -> bool,
    f: impl Fn(&str) -> bool,
) -> Result<BooleanArray> {
    if array.data_type() != &DataType::Utf8View {
        return predicate(array, f);
    }
    let a = array.as_string_view();
    let views = a.views();
    let n = a.len();
    let open = BooleanBuffer::collect_bool(n, |i| open(views[i]));
    let open = match a.nulls() {
        Some(nulls) => &open & nulls.inner(),
        None => open,
    };
    let mut words: Vec<u64> = Vec::with_capacity(n.div_ceil(64));
    for (w, mut bits) in open.bit_chunks().iter_padded().enumerate() {
        let mut out = 0u64;
        while bits != 0 {
            let j = bits.trailing_zeros() as usize;
            if f(a.value(w * 64 + j)) {
                out |= 1 << j;
            }
            bits &= bits - 1;
        }
        words.push(out);
    }
    let values = BooleanBuffer::new(datafusion::arrow::buffer::Buffer::from_vec(words), 0, n);
    Ok(BooleanArray::new(values, a.nulls().cloned()))
}

/// Whether [`formats::is_null_placeholder`] could hold for the value of `view`: it is empty, or
/// its first byte is not visible ASCII or is `n`, `N` or `-` (trimming removes only whitespace,
/// so a visible first byte starts the trimmed text, and every placeholder starts with one of
/// those three). `&` and `|`, not `&&` and `||`: no branch per row.
fn placeholder_open(view: u128) -> bool {
    let first = (view >> 32) as u8;
    let settled =
        (first.wrapping_sub(0x21) < 0x5e) & (first != b'n') & (first != b'N') & (first != b'-');
    (view as u32 == 0) | !settled
}

/// Whether [`formats::is_spaces`] could hold for the value of `view`: it is empty or starts with
/// a space.
fn spaces_open(view: u128) -> bool {
    (view as u32 == 0) | ((view >> 32) as u8 == b' ')
}

/// `f` of each value of a string array (`null` for NULL), computed once per distinct value. On a
/// view array, equal 16-byte views are equal strings (the same bytes inline, or the same place
/// in the same buffer, as a Parquet dictionary page decodes them): a repeat is found by its view
/// without reading or hashing its text; equal strings stored apart are then found by their text.
fn per_value<'a, T: Copy>(
    array: &'a ArrayRef,
    null: T,
    f: impl Fn(&'a str) -> T,
) -> Result<Vec<T>> {
    use datafusion::common::HashMap;
    fn by_text<'a, T: Copy>(
        values: impl Iterator<Item = Option<&'a str>>,
        len: usize,
        null: T,
        f: impl Fn(&'a str) -> T,
    ) -> Vec<T> {
        let mut memo: HashMap<&'a str, T> = HashMap::new();
        let mut out = Vec::with_capacity(len);
        for v in values {
            out.push(match v {
                Some(v) => *memo.entry(v).or_insert_with(|| f(v)),
                None => null,
            });
        }
        out
    }
    let n = array.len();
    Ok(match array.data_type() {
        DataType::Utf8View => {
            let a = array.as_string_view();
            let views = a.views();
            let mut by_view: HashMap<u128, T> = HashMap::new();
            let mut by_text: HashMap<&'a str, T> = HashMap::new();
            let mut out = Vec::with_capacity(n);
            let mut last: Option<(u128, T)> = None;
            // Plain-encoded pages store every value apart: views then repeat no more than rows
            // do, and after the first rows tell so, values are found by their text only.
            let mut views_repeat = true;
            for (i, &view) in views.iter().enumerate() {
                if i == 256 && by_view.len() > 128 {
                    views_repeat = false;
                }
                if a.is_null(i) {
                    out.push(null);
                    continue;
                }
                let mut by_its_text = || {
                    let text = a.value(i);
                    *by_text.entry(text).or_insert_with(|| f(text))
                };
                let answer = match last {
                    Some((seen, answer)) if seen == view => answer,
                    _ if views_repeat => *by_view.entry(view).or_insert_with(by_its_text),
                    _ => by_its_text(),
                };
                last = Some((view, answer));
                out.push(answer);
            }
            out
        }
        DataType::Utf8 => by_text(array.as_string::<i32>().iter(), n, null, f),
        DataType::LargeUtf8 => by_text(array.as_string::<i64>().iter(), n, null, f),
        DataType::Null => vec![null; n],
        other => return exec_err!("expected a string argument, got {other}"),
    })
}

/// Whether no value of a string array can contain `needle`: none of the bytes the values are
/// stored in holds it (inline short values of a view array included). Bytes no value uses can
/// only make this answer false, never wrongly true.
fn absent(array: &ArrayRef, needle: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(needle);
    let none_in = |b: &[u8]| finder.find(b).is_none();
    match array.data_type() {
        DataType::Utf8 => none_in(array.as_string::<i32>().value_data()),
        DataType::LargeUtf8 => none_in(array.as_string::<i64>().value_data()),
        DataType::Utf8View => {
            let a = array.as_string_view();
            let views = a.views().inner().as_slice();
            none_in(views) && a.data_buffers().iter().all(|b| none_in(b.as_slice()))
        }
        _ => false,
    }
}

/// The text with the word NULL (any case) made NULL: the values are shared, only the validity
/// bitmap is new. CSV has no null of its own and exporters write one so.
fn null_word(array: &ArrayRef) -> Result<ArrayRef> {
    let word = |s: &str| s.len() == 4 && s.eq_ignore_ascii_case("null");
    let is_word = predicate(array, word)?;
    if is_word.true_count() == 0 {
        return Ok(array.clone());
    }
    let keep = !is_word.values();
    let nulls = match array.nulls() {
        Some(n) => n.inner() & &keep,
        None => keep,
    };
    let data = array
        .to_data()
        .into_builder()
        .nulls(Some(datafusion::arrow::buffer::NullBuffer::new(nulls)))
        .build()?;
    Ok(datafusion::arrow::array::make_array(data))
}

fn str_at(array: &ArrayRef, i: usize) -> Option<&str> {
    if array.is_null(i) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Some(array.as_string::<i64>().value(i)),
        DataType::Utf8View => Some(array.as_string_view().value(i)),
        _ => None,
    }
}

/// The predicates [`predicate_by_view`] answers, named so that each call is compiled with its
/// own tests inlined (no call through a pointer per row).
#[derive(Debug, Clone, Copy)]
enum ByView {
    Placeholder,
    Spaces,
}

#[derive(Debug)]
enum Kind {
    Pred(fn(&str) -> bool),
    /// A predicate that costs more than hashing its input (it parses JSON or a date): evaluated
    /// once per distinct value of a batch. Low-cardinality columns (SKU details, tags, charge
    /// periods) repeat their values many times per batch.
    PredPerValue(fn(&str) -> bool),
    /// A predicate that can only hold for a value containing `needle`: when no byte of the
    /// batch's string buffers starts the needle, every value is FALSE without looking at each
    /// one (the encoding check over every text column finds nothing on almost every batch).
    PredNeedle(fn(&str) -> bool, &'static [u8]),
    /// A cheap predicate that the 16-byte view of a value mostly shows FALSE (by its length and
    /// first bytes): the text is read only where the view leaves it open
    /// ([`predicate_by_view`]); `focus_is_null_placeholder` and `focus_is_spaces`.
    PredByView(ByView),
    /// A JSON predicate, one bit of [`formats::json_facts`]: every JSON fact of a value comes
    /// from one parse, shared by the functions called on the same array of a batch.
    JsonFact(u8),
    JsonKeys,
    JsonGet,
    JsonGetStr,
    JsonType,
    ApproxEq,
    /// `focus_json_all(json, path, test)`
    JsonAll,
    /// `focus_json_count(json, path)`
    JsonCount,
    /// `focus_json_depth(json)`
    JsonDepth,
    /// `focus_json_keys_at(json, path)`
    JsonKeysAt,
    /// `focus_json_elements(json, path)`
    JsonElements,
    /// `focus_null_word(text)`: the text, NULL where it is the word NULL (any case).
    NullWord,
    /// `focus_to_json(value)`: a nested value (a Parquet MAP or struct) as JSON text, so that
    /// key-value and JSON checks read it as they read JSON written as text.
    ToJson,
}

#[derive(Debug)]
struct FocusFn {
    name: &'static str,
    kind: Kind,
    signature: Signature,
}

impl PartialEq for FocusFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for FocusFn {}
impl Hash for FocusFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state)
    }
}

impl ScalarUDFImpl for FocusFn {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Pred(_)
            | Kind::PredPerValue(_)
            | Kind::PredByView(..)
            | Kind::PredNeedle(..)
            | Kind::JsonFact(_)
            | Kind::ApproxEq
            | Kind::JsonAll => DataType::Boolean,
            Kind::NullWord => return Ok(_args.first().cloned().unwrap_or(DataType::Utf8)),
            Kind::JsonKeys | Kind::JsonKeysAt | Kind::JsonElements => {
                DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
            }
            Kind::JsonCount | Kind::JsonDepth => DataType::Int64,
            Kind::JsonGet | Kind::JsonGetStr | Kind::JsonType | Kind::ToJson => DataType::Utf8,
        })
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<Result<_>>()?;
        let out: ArrayRef = match &self.kind {
            Kind::NullWord => null_word(&arrays[0])?,
            Kind::ToJson => to_json(&arrays[0])?,
            Kind::Pred(f) => Arc::new(predicate(&arrays[0], *f)?),
            Kind::PredNeedle(f, needle) => {
                if absent(&arrays[0], needle) {
                    let a = &arrays[0];
                    Arc::new(BooleanArray::new(
                        BooleanBuffer::new_unset(a.len()),
                        a.logical_nulls(),
                    ))
                } else {
                    Arc::new(predicate(&arrays[0], *f)?)
                }
            }
            Kind::JsonFact(bit) => {
                let a = &arrays[0];
                let facts = json_facts_of(a)?;
                let values = BooleanBuffer::collect_bool(a.len(), |i| facts[i] & bit != 0);
                Arc::new(BooleanArray::new(values, a.logical_nulls()))
            }
            Kind::PredPerValue(f) => {
                let a = &arrays[0];
                let answers = per_value(a, false, *f)?;
                Arc::new(BooleanArray::new(
                    BooleanBuffer::from(answers),
                    a.logical_nulls(),
                ))
            }
            Kind::PredByView(ByView::Placeholder) => Arc::new(predicate_by_view(
                &arrays[0],
                placeholder_open,
                formats::is_null_placeholder,
            )?),
            Kind::PredByView(ByView::Spaces) => Arc::new(predicate_by_view(
                &arrays[0],
                spaces_open,
                formats::is_spaces,
            )?),
            Kind::JsonKeys => {
                // Each distinct text parsed once (SKU price details repeat across rows).
                let mut b = ListBuilder::new(StringBuilder::new());
                let mut memo: std::collections::HashMap<String, Option<Vec<String>>> =
                    std::collections::HashMap::new();
                each_str(&arrays[0], |v| {
                    let keys = v.and_then(|v| {
                        if !memo.contains_key(v) {
                            let keys = formats::object_members(v)
                                .map(|m| m.into_iter().map(|(k, _)| k).collect());
                            memo.insert(v.to_string(), keys);
                        }
                        memo[v].as_ref()
                    });
                    match keys {
                        Some(keys) => {
                            for k in keys {
                                b.values().append_value(k);
                            }
                            b.append(true);
                        }
                        None => b.append(false),
                    }
                })?;
                Arc::new(b.finish())
            }
            Kind::JsonGet | Kind::JsonGetStr | Kind::JsonType => {
                let mut b = StringBuilder::new();
                for i in 0..n {
                    let (Some(text), Some(key)) = (str_at(&arrays[0], i), str_at(&arrays[1], i))
                    else {
                        b.append_null();
                        continue;
                    };
                    let members = formats::object_members(text);
                    let value = members
                        .as_deref()
                        .and_then(|m| formats::json_member(m, key));
                    match (value, &self.kind) {
                        (None, _) => b.append_null(),
                        (Some(v), Kind::JsonGet) => b.append_value(v.to_string()),
                        (Some(v), Kind::JsonType) => b.append_value(formats::json_type(v)),
                        (Some(serde_json::Value::String(s)), _) => b.append_value(s),
                        (
                            Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))),
                            _,
                        ) => b.append_value(v.to_string()),
                        (Some(_), _) => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::JsonAll => {
                let mut b = BooleanBuilder::with_capacity(n);
                let mut parsed = Parsed::default();
                for i in 0..n {
                    let (Some(text), Some(path), Some(test)) = (
                        str_at(&arrays[0], i),
                        str_at(&arrays[1], i),
                        str_at(&arrays[2], i),
                    ) else {
                        b.append_null();
                        continue;
                    };
                    let (path, test) = parsed.get(path, Some(test))?;
                    b.append_option(json::all(text, path, test.expect("a test")));
                }
                Arc::new(b.finish())
            }
            Kind::JsonCount | Kind::JsonDepth => {
                let mut b = Int64Builder::with_capacity(n);
                let mut parsed = Parsed::default();
                for i in 0..n {
                    let Some(text) = str_at(&arrays[0], i) else {
                        b.append_null();
                        continue;
                    };
                    let value = if matches!(self.kind, Kind::JsonDepth) {
                        json::parse_cached(text).map(|j| j.depth())
                    } else {
                        let Some(path) = str_at(&arrays[1], i) else {
                            b.append_null();
                            continue;
                        };
                        json::count(text, parsed.get(path, None)?.0)
                    };
                    b.append_option(value.map(|v| v as i64));
                }
                Arc::new(b.finish())
            }
            Kind::JsonKeysAt | Kind::JsonElements => {
                let mut b = ListBuilder::new(StringBuilder::new());
                let mut parsed = Parsed::default();
                for i in 0..n {
                    let (Some(text), Some(path)) = (str_at(&arrays[0], i), str_at(&arrays[1], i))
                    else {
                        b.append(false);
                        continue;
                    };
                    let path = parsed.get(path, None)?.0;
                    let found = if matches!(self.kind, Kind::JsonElements) {
                        json::values_at(text, path)
                    } else {
                        json::keys_at(text, path)
                    };
                    match found {
                        Some(keys) => {
                            for k in &keys {
                                b.values().append_value(k);
                            }
                            b.append(true);
                        }
                        None => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
            Kind::ApproxEq => {
                let a = arrays[0].as_any().downcast_ref::<Float64Array>();
                let c = arrays[1].as_any().downcast_ref::<Float64Array>();
                let (Some(a), Some(c)) = (a, c) else {
                    return exec_err!("focus_approx_eq expects numbers");
                };
                let mut b = BooleanBuilder::with_capacity(n);
                for i in 0..n {
                    if a.is_null(i) || c.is_null(i) {
                        b.append_null();
                    } else {
                        b.append_value(formats::approx_eq(a.value(i), c.value(i)));
                    }
                }
                Arc::new(b.finish())
            }
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// The path and test of the previous row, parsed once and reused while they repeat (they are
/// almost always literals).
#[derive(Default)]
struct Parsed {
    key: Option<(String, Option<String>)>,
    value: Option<(json::Path, Option<json::Test>)>,
}

impl Parsed {
    fn get(
        &mut self,
        path: &str,
        test: Option<&str>,
    ) -> Result<(&json::Path, Option<&json::Test>)> {
        let key = (path.to_string(), test.map(str::to_string));
        if self.key.as_ref() != Some(&key) {
            let p = json::Path::parse(path).or_else(|e| exec_err!("{e}"))?;
            let t = match test {
                Some(t) => Some(json::Test::parse(t).or_else(|e| exec_err!("{e}"))?),
                None => None,
            };
            self.value = Some((p, t));
            self.key = Some(key);
        }
        let (p, t) = self.value.as_ref().expect("set above");
        Ok((p, t.as_ref()))
    }
}

fn udf(name: &'static str, kind: Kind) -> ScalarUDF {
    let signature = match kind {
        Kind::NullWord => Signature::uniform(
            1,
            vec![DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8],
            Volatility::Immutable,
        ),
        Kind::Pred(_)
        | Kind::PredPerValue(_)
        | Kind::PredByView(..)
        | Kind::PredNeedle(..)
        | Kind::JsonFact(_)
        | Kind::JsonKeys
        | Kind::JsonDepth => Signature::string(1, Volatility::Immutable),
        Kind::JsonGet
        | Kind::JsonGetStr
        | Kind::JsonType
        | Kind::JsonCount
        | Kind::JsonKeysAt
        | Kind::JsonElements => Signature::string(2, Volatility::Immutable),
        Kind::JsonAll => Signature::string(3, Volatility::Immutable),
        Kind::ApproxEq => Signature::uniform(2, vec![DataType::Float64], Volatility::Immutable),
        Kind::ToJson => Signature::any(1, Volatility::Immutable),
    };
    ScalarUDF::from(FocusFn {
        name,
        kind,
        signature,
    })
}

/// Every function focus-sql adds, by name (also listed in CONTRIBUTING.md).
pub fn all() -> Vec<ScalarUDF> {
    vec![
        udf("focus_is_numeric", Kind::Pred(formats::is_numeric)),
        udf("focus_is_decimal", Kind::Pred(formats::is_decimal)),
        udf(
            "focus_is_datetime",
            Kind::PredPerValue(formats::is_datetime),
        ),
        udf(
            "focus_parses_datetime",
            Kind::PredPerValue(formats::parses_datetime),
        ),
        udf("focus_is_currency", Kind::Pred(formats::is_currency)),
        udf("focus_is_unit", Kind::PredPerValue(formats::is_unit)),
        udf("focus_is_spaces", Kind::PredByView(ByView::Spaces)),
        udf(
            "focus_has_replacement_char",
            Kind::PredNeedle(formats::has_replacement_char, "\u{FFFD}".as_bytes()),
        ),
        udf("focus_is_json", Kind::JsonFact(formats::json_fact::JSON)),
        udf(
            "focus_is_json_object",
            Kind::JsonFact(formats::json_fact::OBJECT),
        ),
        udf(
            "focus_is_key_value",
            Kind::JsonFact(formats::json_fact::KEY_VALUE),
        ),
        udf(
            "focus_is_null_placeholder",
            Kind::PredByView(ByView::Placeholder),
        ),
        udf(
            "focus_json_has_duplicate_keys",
            Kind::JsonFact(formats::json_fact::DUPLICATE_KEYS),
        ),
        udf(
            "focus_json_has_nested_value",
            Kind::JsonFact(formats::json_fact::NESTED_VALUE),
        ),
        udf("focus_json_keys", Kind::JsonKeys),
        udf("focus_json_get", Kind::JsonGet),
        udf("focus_json_get_str", Kind::JsonGetStr),
        udf("focus_json_type", Kind::JsonType),
        udf("focus_approx_eq", Kind::ApproxEq),
        udf("focus_json_all", Kind::JsonAll),
        udf("focus_json_count", Kind::JsonCount),
        udf("focus_json_depth", Kind::JsonDepth),
        udf("focus_json_keys_at", Kind::JsonKeysAt),
        udf("focus_json_elements", Kind::JsonElements),
        udf("focus_null_word", Kind::NullWord),
        udf("focus_to_json", Kind::ToJson),
    ]
}

/// Each value of `array` as JSON text (NULL stays NULL). Map keys become object keys, in the
/// order stored (a repeated key stays repeated, for KeyValueFormat to report).
fn to_json(array: &ArrayRef) -> Result<ArrayRef> {
    use datafusion::arrow::datatypes::Schema;
    use datafusion::arrow::json::LineDelimitedWriter;
    use datafusion::arrow::record_batch::RecordBatch;
    let schema = Arc::new(Schema::new(vec![Field::new(
        "v",
        array.data_type().clone(),
        true,
    )]));
    let batch = RecordBatch::try_new(schema, vec![array.clone()])?;
    let mut buf = Vec::new();
    {
        let mut w = LineDelimitedWriter::new(&mut buf);
        w.write(&batch)?;
        w.finish()?;
    }
    let text = String::from_utf8(buf).map_err(|e| {
        datafusion::common::DataFusionError::Execution(format!("focus_to_json: {e}"))
    })?;
    let mut out = StringBuilder::with_capacity(array.len(), text.len());
    let mut lines = text.lines();
    for i in 0..array.len() {
        let line = lines.next().unwrap_or("{}");
        match line
            .strip_prefix("{\"v\":")
            .and_then(|l| l.strip_suffix('}'))
        {
            Some(v) if !array.is_null(i) => out.append_value(v),
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

pub fn register(ctx: &SessionContext) {
    for f in all() {
        ctx.register_udf(f);
    }
    ctx.register_udaf(count_true());
    ctx.register_udf(and());
    ctx.register_udf(super::schema::udf());
    // Costly row functions run once per distinct value of a batch (built-ins included).
    let costly: Vec<_> = ctx
        .state()
        .scalar_functions()
        .values()
        .filter(|f| {
            super::distinct::worth_wrapping(f.name())
                && f.signature().volatility == Volatility::Immutable
        })
        .cloned()
        .collect();
    for f in costly {
        ctx.register_udf(super::distinct::per_distinct(&f));
    }
}

/// `focus_and(a, b)`: SQL's three-valued AND, evaluating both sides on every row (DataFusion's
/// own AND may first copy the rows where `a` holds, to evaluate `b` on them only).
pub fn and() -> ScalarUDF {
    datafusion::logical_expr::create_udf(
        "focus_and",
        vec![DataType::Boolean, DataType::Boolean],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let n = args
                .iter()
                .find_map(|a| match a {
                    ColumnarValue::Array(a) => Some(a.len()),
                    ColumnarValue::Scalar(_) => None,
                })
                .unwrap_or(1);
            let (a, b) = (args[0].to_array(n)?, args[1].to_array(n)?);
            let (Some(a), Some(b)) = (a.as_boolean_opt(), b.as_boolean_opt()) else {
                return exec_err!("focus_and expects booleans");
            };
            let out = datafusion::arrow::compute::kernels::boolean::and_kleene(a, b)?;
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    )
}

/// `focus_count_true(b)`: how many rows `b` is TRUE on (NULL and FALSE do not count). The fused
/// scan counts each check's violations with it: one pass over a bitmap per check and batch.
pub fn count_true() -> datafusion::logical_expr::AggregateUDF {
    datafusion::logical_expr::create_udaf(
        "focus_count_true",
        vec![DataType::Boolean],
        Arc::new(DataType::Int64),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(CountTrue(0)))),
        Arc::new(vec![DataType::Int64]),
    )
}

#[derive(Debug)]
struct CountTrue(i64);

impl datafusion::logical_expr::Accumulator for CountTrue {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(b) = values.first().and_then(|v| v.as_boolean_opt()) else {
            return match values.first().map(|v| v.data_type()) {
                Some(DataType::Null) | None => Ok(()),
                Some(other) => exec_err!("focus_count_true expects a boolean, got {other}"),
            };
        };
        let set = match b.nulls() {
            Some(nulls) => (b.values() & nulls.inner()).count_set_bits(),
            None => b.values().count_set_bits(),
        };
        self.0 += set as i64;
        Ok(())
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        if let Some(a) = states.first() {
            let a = a.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            self.0 += a.iter().flatten().sum::<i64>();
        }
        Ok(())
    }
    fn state(&mut self) -> Result<Vec<datafusion::scalar::ScalarValue>> {
        Ok(vec![datafusion::scalar::ScalarValue::Int64(Some(self.0))])
    }
    fn evaluate(&mut self) -> Result<datafusion::scalar::ScalarValue> {
        Ok(datafusion::scalar::ScalarValue::Int64(Some(self.0)))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Int64Array};
    use datafusion::prelude::SessionContext;

    async fn column(sql: &str) -> Vec<datafusion::arrow::array::ArrayRef> {
        let ctx = SessionContext::new();
        super::register(&ctx);
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        batches.iter().map(|b| b.column(0).clone()).collect()
    }

    #[tokio::test]
    async fn focus_and_is_sql_and() {
        let c = column(
            "SELECT focus_and(a, b) = (a AND b) OR (focus_and(a, b) IS NULL AND (a AND b) IS NULL) \
             FROM (VALUES (true, true), (true, false), (true, NULL), (false, NULL), (NULL, NULL), \
             (NULL, true), (false, false)) AS t(a, b)",
        )
        .await;
        let all: Vec<Option<bool>> = c
            .iter()
            .flat_map(|a| a.as_boolean().iter().collect::<Vec<_>>())
            .collect();
        assert_eq!(all.len(), 7);
        assert!(all.iter().all(|v| *v == Some(true)), "{all:?}");
    }

    #[test]
    fn placeholder_on_views_agrees_with_the_text_test() {
        use datafusion::arrow::array::{Array, ArrayRef, StringArray, StringViewArray};
        use std::sync::Arc;
        let texts = [
            Some(""),
            Some("n/a"),
            Some("  NULL "),
            Some("none"),
            Some("-"),
            Some("not applicable"),
            Some("\u{0B}null"),
            Some("Usage"),
            Some("nothing to see here, a long value"),
            Some("-5"),
            Some(" x"),
            None,
            Some("a fairly long value that is not inline"),
        ];
        let view: ArrayRef = Arc::new(StringViewArray::from(texts.to_vec()));
        let plain: ArrayRef = Arc::new(StringArray::from(texts.to_vec()));
        let got = super::predicate_by_view(
            &view,
            super::placeholder_open,
            super::formats::is_null_placeholder,
        )
        .unwrap();
        let want = super::predicate_by_view(
            &plain,
            super::placeholder_open,
            super::formats::is_null_placeholder,
        )
        .unwrap();
        assert_eq!(got, want);
        assert_eq!(got.value(1), true);
        assert_eq!(got.value(7), false);
        assert!(got.is_null(11));
    }

    #[tokio::test]
    async fn count_true_counts_only_true() {
        let c = column(
            "SELECT focus_count_true(x) FROM (VALUES (true), (false), (NULL), (true)) AS t(x)",
        )
        .await;
        let a = c[0].as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(a.value(0), 2);
        let c = column("SELECT focus_count_true(x) FROM (VALUES (false)) AS t(x) WHERE x").await;
        let a = c[0].as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(a.value(0), 0);
    }

    /// The view shortcuts (placeholder and blank tests from the view, answers per distinct view
    /// or text) give each row the answer of the plain text test: over several 64-row words,
    /// past the row where repeats by view are judged, with NULLs, on a slice, from views that
    /// share their strings (as a Parquet dictionary page decodes them) and views that do not.
    #[test]
    fn view_shortcuts_agree_with_the_text_tests() {
        use super::formats;
        use datafusion::arrow::array::{Array, ArrayRef, StringArray, StringViewBuilder};
        use std::sync::Arc;
        let pool = [
            "",
            "   ",
            " x",
            "n/a",
            "Usage",
            "none",
            "-",
            "GB-Hours",
            "Hours",
            "not a unit at all, and long",
            r#"{"env":"prod","team":"a"}"#,
            r#"{"env":"prod","env":"dev"}"#,
            r#"{"a":{"b":1}}"#,
            "not json",
        ];
        let texts: Vec<Option<String>> = (0..700)
            .map(|i: usize| {
                (i % 11 != 3).then(|| {
                    let v = pool[(i * 7 + i / 13) % pool.len()];
                    if i % 5 == 0 {
                        format!("{v} distinct value number {i}")
                    } else {
                        v.to_string()
                    }
                })
            })
            .collect();
        let plain: ArrayRef = Arc::new(StringArray::from(texts.clone()));
        let mut apart = StringViewBuilder::new();
        let mut shared = StringViewBuilder::new().with_deduplicate_strings();
        for t in &texts {
            apart.append_option(t.as_deref());
            shared.append_option(t.as_deref());
        }
        let apart: ArrayRef = Arc::new(apart.finish());
        let shared: ArrayRef = Arc::new(shared.finish());
        for views in [
            apart.clone(),
            shared.clone(),
            apart.slice(37, 600),
            shared.slice(5, 300),
        ] {
            let offset = if views.len() == 700 {
                0
            } else if views.len() == 600 {
                37
            } else {
                5
            };
            let text = plain.slice(offset, views.len());
            assert_eq!(
                super::predicate_by_view(
                    &views,
                    super::placeholder_open,
                    formats::is_null_placeholder
                )
                .unwrap(),
                super::predicate(&text, formats::is_null_placeholder).unwrap()
            );
            assert_eq!(
                super::predicate_by_view(&views, super::spaces_open, formats::is_spaces).unwrap(),
                super::predicate(&text, formats::is_spaces).unwrap()
            );
            let want_json: Vec<u8> = (0..text.len())
                .map(|i| {
                    if text.is_null(i) {
                        0
                    } else {
                        formats::json_facts(text.as_string::<i32>().value(i))
                    }
                })
                .collect();
            assert_eq!(
                super::per_value(&views, 0, formats::json_facts).unwrap(),
                want_json
            );
            assert_eq!(
                super::per_value(&text, 0, formats::json_facts).unwrap(),
                want_json
            );
            let want_unit: Vec<bool> = (0..text.len())
                .map(|i| !text.is_null(i) && formats::is_unit(text.as_string::<i32>().value(i)))
                .collect();
            assert_eq!(
                super::per_value(&views, false, formats::is_unit).unwrap(),
                want_unit
            );
        }
        let na = texts
            .iter()
            .position(|t| t.as_deref() == Some("n/a"))
            .unwrap();
        assert!(
            super::predicate_by_view(
                &shared,
                super::placeholder_open,
                formats::is_null_placeholder
            )
            .unwrap()
            .value(na),
            "n/a is a placeholder"
        );
    }

    #[tokio::test]
    async fn per_value_predicates_keep_nulls_and_repeat_answers() {
        let c = column(
            r#"SELECT focus_is_key_value(x) FROM (VALUES ('{"a":1}'), ('{"a":[1]}'), ('{"a":1}'), (NULL)) AS t(x)"#,
        )
        .await;
        let got: Vec<Option<bool>> = c
            .iter()
            .flat_map(|a| a.as_boolean().iter().collect::<Vec<_>>())
            .collect();
        assert_eq!(got, vec![Some(true), Some(false), Some(true), None]);
        let c = column(
            "SELECT focus_has_replacement_char(x) FROM (VALUES ('caf\u{FFFD}'), ('café'), (NULL)) AS t(x)",
        )
        .await;
        let got: Vec<Option<bool>> = c
            .iter()
            .flat_map(|a| a.as_boolean().iter().collect::<Vec<_>>())
            .collect();
        assert_eq!(got, vec![Some(true), Some(false), None]);
    }
}
