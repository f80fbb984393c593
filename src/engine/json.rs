//! JSON object columns checked as JSON, per element: a duplicate-keeping JSON tree, a small
//! path language (`$`, `.Key`, `[*]`, `.*`) and the tests `focus_json_all` applies to what a
//! path selects. The SQL functions are in `functions`; everything here is plain Rust.

use super::formats;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON value whose objects keep every member in document order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Number(n.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Number(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
                Ok(Json::Number(n.to_string()))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Json, E> {
                Ok(Json::String(s))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<Json>()? {
                    out.push(v);
                }
                Ok(Json::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    out.push((k, v));
                }
                Ok(Json::Object(out))
            }
        }
        d.deserialize_any(V)
    }
}

thread_local! {
    /// Values parsed lately on this thread. One row's object is read by several checks of the
    /// fused scan (types, keys, depth…); each parses it once.
    static PARSED: std::cell::RefCell<std::collections::HashMap<String, Option<std::rc::Rc<Json>>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The parsed value of `text` (None when it is not JSON), from the thread's cache when an
/// earlier check of the same rows parsed it already.
pub fn parse_cached(text: &str) -> Option<std::rc::Rc<Json>> {
    PARSED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(hit) = cache.get(text) {
            return hit.clone();
        }
        // Bounded: a batch's worth of distinct values, then start again.
        if cache.len() >= 16_384 {
            cache.clear();
        }
        let parsed = Json::parse(text).map(std::rc::Rc::new);
        cache.insert(text.to_string(), parsed.clone());
        parsed
    })
}

impl Json {
    pub fn parse(text: &str) -> Option<Json> {
        serde_json::from_str(text).ok()
    }

    /// The last member named `key` (JSON semantics for duplicates).
    fn member(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Nesting depth: a scalar is 0, an object or array one more than its deepest value.
    pub fn depth(&self) -> u64 {
        match self {
            Json::Array(items) => 1 + items.iter().map(Json::depth).max().unwrap_or(0),
            Json::Object(m) => 1 + m.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// No object at any depth names a key twice.
    pub fn unique_keys(&self) -> bool {
        match self {
            Json::Array(items) => items.iter().all(Json::unique_keys),
            Json::Object(m) => {
                let mut keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
                keys.sort_unstable();
                keys.windows(2).all(|w| w[0] != w[1]) && m.iter().all(|(_, v)| v.unique_keys())
            }
            _ => true,
        }
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Json::Array(_) | Json::Object(_))
    }
}

impl fmt::Display for Json {
    /// The value as compact JSON text (members in order, duplicates kept).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => f.write_str(n),
            Json::String(s) => f.write_str(&quoted(s)),
            Json::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Json::Object(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{v}", quoted(k))?;
                }
                f.write_str("}")
            }
        }
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Each,
    Members,
}

/// A path such as `$.Elements[*].ContractId`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path(Vec<Step>);

impl Path {
    pub fn parse(text: &str) -> Result<Path, String> {
        let rest = text
            .trim()
            .strip_prefix('$')
            .ok_or_else(|| format!("a JSON path starts with $: `{text}`"))?;
        let mut steps = Vec::new();
        let mut s = rest;
        while !s.is_empty() {
            if let Some(r) = s.strip_prefix("[*]") {
                steps.push(Step::Each);
                s = r;
            } else if let Some(r) = s.strip_prefix(".*") {
                steps.push(Step::Members);
                s = r;
            } else if let Some(r) = s.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if end == 0 {
                    return Err(format!("empty key in JSON path `{text}`"));
                }
                steps.push(Step::Key(r[..end].to_string()));
                s = &r[end..];
            } else {
                return Err(format!("cannot read JSON path `{text}` at `{s}`"));
            }
        }
        Ok(Path(steps))
    }

    /// The values the path selects.
    pub fn select<'a>(&self, root: &'a Json) -> Vec<&'a Json> {
        let mut cur = vec![root];
        for step in &self.0 {
            cur = cur
                .into_iter()
                .flat_map(|v| -> Vec<&Json> {
                    match (step, v) {
                        (Step::Key(k), v) => v.member(k).into_iter().collect(),
                        (Step::Each, Json::Array(items)) => items.iter().collect(),
                        (Step::Members, Json::Object(m)) => m.iter().map(|(_, v)| v).collect(),
                        _ => Vec::new(),
                    }
                })
                .collect();
        }
        cur
    }

    /// For `present`: the parents of the last key, and that key.
    fn parents_and_key<'a>(&self, root: &'a Json) -> Option<(Vec<&'a Json>, &str)> {
        let (last, init) = self.0.split_last()?;
        let Step::Key(key) = last else { return None };
        Some((Path(init.to_vec()).select(root), key.as_str()))
    }
}

/// What `focus_json_all` asks of each selected value.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Present,
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
    NotNull,
    Scalar,
    Numeric,
    Decimal,
    Unit,
    Currency,
    DateTime,
    KeyValue,
    UniqueKeys,
    PascalCaseKeys,
    /// Every key is one of these or starts with `x_`.
    KeysXOr(Vec<String>),
}

impl Test {
    pub fn parse(text: &str) -> Result<Test, String> {
        if let Some(list) = text.strip_prefix("keys_x_or:") {
            return Ok(Test::KeysXOr(
                list.split(',').map(|k| k.trim().to_string()).collect(),
            ));
        }
        Ok(match text {
            "present" => Test::Present,
            "object" => Test::Object,
            "array" => Test::Array,
            "string" => Test::String,
            "number" => Test::Number,
            "boolean" => Test::Boolean,
            "null" => Test::Null,
            "not_null" => Test::NotNull,
            "scalar" => Test::Scalar,
            "numeric" => Test::Numeric,
            "decimal" => Test::Decimal,
            "unit" => Test::Unit,
            "currency" => Test::Currency,
            "datetime" => Test::DateTime,
            "key_value" => Test::KeyValue,
            "unique_keys" => Test::UniqueKeys,
            "pascal_case_keys" => Test::PascalCaseKeys,
            other => return Err(format!("unknown JSON test `{other}`")),
        })
    }

    /// Whether one selected value passes (JSON nulls pass every type and format test).
    fn passes(&self, v: &Json) -> bool {
        let keys = |f: &dyn Fn(&str) -> bool| match v {
            Json::Object(m) => m.iter().all(|(k, _)| f(k)),
            _ => false,
        };
        match (self, v) {
            (Test::Null, v) => *v == Json::Null,
            (Test::NotNull, v) => *v != Json::Null,
            (Test::Present, _) => true,
            (_, Json::Null) => true,
            (Test::Object, v) => matches!(v, Json::Object(_)),
            (Test::Array, v) => matches!(v, Json::Array(_)),
            (Test::String, v) => matches!(v, Json::String(_)),
            (Test::Number | Test::Decimal, v) => matches!(v, Json::Number(_)),
            (Test::Boolean, v) => matches!(v, Json::Bool(_)),
            (Test::Scalar, v) => v.is_scalar(),
            (Test::Numeric, Json::Number(_)) => true,
            (Test::Numeric, Json::String(s)) => formats::is_numeric(s),
            (Test::Unit, Json::String(s)) => formats::is_unit(s),
            (Test::Currency, Json::String(s)) => formats::is_currency(s),
            (Test::DateTime, Json::String(s)) => formats::is_datetime(s),
            (Test::Numeric | Test::Unit | Test::Currency | Test::DateTime, _) => false,
            (Test::KeyValue, Json::Object(m)) => {
                v.unique_keys() && m.iter().all(|(_, x)| x.is_scalar())
            }
            (Test::KeyValue, _) => false,
            (Test::UniqueKeys, v) => matches!(v, Json::Object(_)) && v.unique_keys(),
            (Test::PascalCaseKeys, _) => keys(&|k| k.starts_with("x_") || is_pascal_case(k)),
            (Test::KeysXOr(allowed), _) => {
                keys(&|k| k.starts_with("x_") || allowed.iter().any(|a| a == k))
            }
        }
    }
}

/// PascalCase: an upper-case letter, then letters and digits.
fn is_pascal_case(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// `focus_json_all`: every value `path` selects in `text` passes `test`; None when `text` is not
/// JSON.
pub fn all(text: &str, path: &Path, test: &Test) -> Option<bool> {
    let root = parse_cached(text)?;
    if *test == Test::Present {
        return Some(match path.parents_and_key(&root) {
            Some((parents, key)) => parents.iter().all(|p| p.member(key).is_some()),
            None => true,
        });
    }
    Some(path.select(&root).into_iter().all(|v| test.passes(v)))
}

/// `focus_json_count`: how many values `path` selects.
pub fn count(text: &str, path: &Path) -> Option<u64> {
    let root = parse_cached(text)?;
    Some(path.select(&root).len() as u64)
}

/// `focus_json_elements`: every value `path` selects, as JSON text (to `unnest` in a query that
/// relates properties of one element, e.g. its ContractId and ContractCommitmentId).
pub fn values_at(text: &str, path: &Path) -> Option<Vec<String>> {
    let root = parse_cached(text)?;
    Some(
        path.select(&root)
            .into_iter()
            .map(|v| v.to_string())
            .collect(),
    )
}

/// `focus_json_keys_at`: the keys of every object `path` selects, in order.
pub fn keys_at(text: &str, path: &Path) -> Option<Vec<String>> {
    let root = parse_cached(text)?;
    Some(
        path.select(&root)
            .into_iter()
            .flat_map(|v| match v {
                Json::Object(m) => m.iter().map(|(k, _)| k.clone()).collect(),
                _ => Vec::new(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLIED: &str = r#"{"Elements":[
        {"ContractId":"c-1","ContractCommitmentId":"cc-1","ContractCommitmentAppliedCost":12.5,
         "ContractCommitmentAppliedQuantity":3,"ContractCommitmentAppliedUnit":"Hours"},
        {"ContractId":"c-1","ContractCommitmentId":"cc-2","ContractCommitmentAppliedCost":"oops",
         "ContractCommitmentAppliedQuantity":null,"x_Note":"n"}]}"#;

    fn all_of(path: &str, test: &str) -> Option<bool> {
        all(
            APPLIED,
            &Path::parse(path).unwrap(),
            &Test::parse(test).unwrap(),
        )
    }

    #[test]
    fn paths_select_elements_and_members() {
        let root = Json::parse(APPLIED).unwrap();
        assert_eq!(Path::parse("$.Elements[*]").unwrap().select(&root).len(), 2);
        assert_eq!(
            Path::parse("$.Elements[*].ContractId")
                .unwrap()
                .select(&root)
                .len(),
            2
        );
        assert_eq!(
            Path::parse("$.Elements[*].*").unwrap().select(&root).len(),
            10
        );
        assert_eq!(Path::parse("$.Missing[*]").unwrap().select(&root).len(), 0);
        assert!(Path::parse("Elements").is_err());
        assert!(Path::parse("$..x").is_err());
    }

    #[test]
    fn tests_apply_to_each_selected_value() {
        assert_eq!(all_of("$.Elements", "array"), Some(true));
        assert_eq!(all_of("$.Elements[*]", "object"), Some(true));
        assert_eq!(all_of("$.Elements[*].ContractId", "present"), Some(true));
        assert_eq!(
            all_of("$.Elements[*].ContractCommitmentAppliedUnit", "present"),
            Some(false)
        );
        assert_eq!(
            all_of("$.Elements[*].ContractCommitmentAppliedCost", "decimal"),
            Some(false)
        );
        // A JSON null passes type tests; nullability is its own test.
        assert_eq!(
            all_of("$.Elements[*].ContractCommitmentAppliedQuantity", "decimal"),
            Some(true)
        );
        assert_eq!(
            all_of(
                "$.Elements[*].ContractCommitmentAppliedQuantity",
                "not_null"
            ),
            Some(false)
        );
        assert_eq!(all_of("$.Elements[*]", "pascal_case_keys"), Some(true));
        assert_eq!(
            all_of(
                "$.Elements[*]",
                "keys_x_or:ContractId,ContractCommitmentId,ContractCommitmentAppliedCost,ContractCommitmentAppliedQuantity,ContractCommitmentAppliedUnit"
            ),
            Some(true)
        );
        assert_eq!(all_of("$.Elements[*]", "keys_x_or:ContractId"), Some(false));
        assert_eq!(
            all(
                "not json",
                &Path::parse("$").unwrap(),
                &Test::parse("object").unwrap()
            ),
            None
        );
    }

    #[test]
    fn depth_duplicates_and_counts() {
        assert_eq!(Json::parse("1").unwrap().depth(), 0);
        assert_eq!(Json::parse(r#"{"a":1}"#).unwrap().depth(), 1);
        assert_eq!(Json::parse(r#"{"a":{"b":[1]}}"#).unwrap().depth(), 3);
        assert!(!Json::parse(r#"{"a":{"b":1,"b":2}}"#).unwrap().unique_keys());
        assert!(Json::parse(r#"{"a":{"b":1},"c":[{"b":2}]}"#)
            .unwrap()
            .unique_keys());
        assert_eq!(
            count(APPLIED, &Path::parse("$.Elements[*]").unwrap()),
            Some(2)
        );
        assert_eq!(
            keys_at(
                r#"{"E":[{"a":1},{"b":2}]}"#,
                &Path::parse("$.E[*]").unwrap()
            ),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert!(Test::parse("sometimes").is_err());
        assert_eq!(
            values_at(
                r#"{"E":[{"a":1,"a":"x\"y"},null]}"#,
                &Path::parse("$.E[*]").unwrap()
            ),
            Some(vec![
                r#"{"a":1,"a":"x\"y"}"#.to_string(),
                "null".to_string()
            ])
        );
    }
}
