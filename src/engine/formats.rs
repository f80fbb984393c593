//! Pure text predicates for the FOCUS value formats (NumericFormat, DateTimeFormat,
//! CurrencyFormat, UnitFormat, KeyValueFormat). Exposed to SQL by `engine::functions`.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// NumericFormat: an integer, a decimal, or E notation "mEn" with a sign on n only when negative.
/// No leading '+', no commas, no spaces, no fractions, no symbols.
pub fn is_numeric(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int = digits(&mut i);
    let mut frac = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        frac = digits(&mut i);
        if frac == 0 {
            return false;
        }
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'E' || b[i] == b'e') {
        i += 1;
        if i < b.len() && b[i] == b'-' {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The Decimal data type: any finite number in a common notation (sign, exponent sign allowed).
pub fn is_decimal(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() || t.len() != s.len() {
        return false;
    }
    if !t
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return false;
    }
    t.parse::<f64>().map(|v| v.is_finite()).unwrap_or(false)
}

fn two(b: &[u8], at: usize) -> Option<u32> {
    let (x, y) = (*b.get(at)?, *b.get(at + 1)?);
    if x.is_ascii_digit() && y.is_ascii_digit() {
        Some(u32::from(x - b'0') * 10 + u32::from(y - b'0'))
    } else {
        None
    }
}

fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `YYYY-MM-DD?hh:mm` at the start of `b` (any byte at the date/time separator): a real date
/// and a real time of day.
fn date_hour_minute(b: &[u8]) -> bool {
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' {
        return false;
    }
    let (Some(y1), Some(y2), Some(mo), Some(d), Some(h), Some(mi)) = (
        two(b, 0),
        two(b, 2),
        two(b, 5),
        two(b, 8),
        two(b, 11),
        two(b, 14),
    ) else {
        return false;
    };
    valid_date(y1 * 100 + y2, mo, d) && h < 24 && mi < 60
}

/// DateTimeFormat: exactly `YYYY-MM-DDTHH:mm:ssZ`, a real date and time.
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[10] == b'T'
        && b[16] == b':'
        && b[19] == b'Z'
        && date_hour_minute(b)
        && two(b, 17).is_some_and(|se| se < 60)
}

/// The Date/Time data type: an ISO 8601 date and time with a UTC designator or offset,
/// seconds optional, fractional seconds allowed, 'T' or space between date and time.
pub fn parses_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 17 || !(b[10] == b'T' || b[10] == b' ') || !date_hour_minute(b) {
        return false;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        match two(b, i + 1) {
            Some(sec) if sec < 61 => i += 3,
            _ => return false,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    let rest = &s[i..];
    if rest == "Z" {
        return true;
    }
    let rb = rest.as_bytes();
    // +HH:MM, +HHMM or +HH
    if !rb.is_empty() && (rb[0] == b'+' || rb[0] == b'-') {
        let ok_h = two(rb, 1).is_some_and(|h| h < 24);
        return ok_h
            && match rb.len() {
                3 => true,
                5 => two(rb, 3).is_some_and(|m| m < 60),
                6 => rb[3] == b':' && two(rb, 4).is_some_and(|m| m < 60),
                _ => false,
            };
    }
    false
}

/// ISO 4217 active national currency codes (funds and precious-metal codes excluded), sorted.
static ISO_4217: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    include_str!("iso4217.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::trim)
        .collect()
});

/// The place of a three-capital-letter code among all 26³ of them.
fn code3_index(s: &str) -> Option<usize> {
    match s.as_bytes() {
        [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
            Some(((*a - b'A') as usize * 26 + (*b - b'A') as usize) * 26 + (*c - b'A') as usize)
        }
        _ => None,
    }
}

/// ISO_4217 as one bit per possible code: a lookup is one load, not a search (the test runs on
/// every row of the currency columns).
static ISO_4217_BITS: std::sync::LazyLock<Vec<u64>> = std::sync::LazyLock::new(|| {
    let mut bits = vec![0u64; (26 * 26 * 26usize).div_ceil(64)];
    for i in ISO_4217.iter().filter_map(|c| code3_index(c)) {
        bits[i / 64] |= 1 << (i % 64);
    }
    bits
});

/// CurrencyFormat for national currencies: an ISO 4217 three-letter code.
pub fn is_currency(s: &str) -> bool {
    code3_index(s).is_some_and(|i| ISO_4217_BITS[i / 64] & (1 << (i % 64)) != 0)
}

const DATA_SIZE: &[&str] = &[
    "b", "B", "Kb", "KB", "Mb", "MB", "Gb", "GB", "Tb", "TB", "Pb", "PB", "Eb", "EB", "Kib", "KiB",
    "Mib", "MiB", "Gib", "GiB", "Tib", "TiB", "Pib", "PiB", "Eib", "EiB",
];
const TIME_SINGULAR: &[&str] = &["Year", "Month", "Day", "Hour", "Minute", "Second"];
const TIME_PLURAL: &[&str] = &["Years", "Months", "Days", "Hours", "Minutes", "Seconds"];

/// A unit noun: a data-size abbreviation or a capitalised word (count- or time-based).
fn is_unit_word(w: &str) -> bool {
    if DATA_SIZE.contains(&w) {
        return true;
    }
    let mut chars = w.chars();
    match chars.next() {
        Some(c) if c.is_ascii_uppercase() => chars.all(|c| c.is_ascii_alphabetic()),
        _ => false,
    }
}

fn is_whole(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// UnitFormat: one of the forms of the attribute, with an optional whole-number quantity.
/// `GB`, `Seconds`, `GB-Hours`, `GB/Hour`, `1000 Tokens`, `Units/3 Months`.
pub fn is_unit(s: &str) -> bool {
    if s.is_empty() || s.trim() != s || s.contains("  ") {
        return false;
    }
    // Optional leading quantity: "<quantity> <units...>"
    let body = match s.split_once(' ') {
        Some((q, rest)) if is_whole(q) => rest,
        _ => s,
    };
    if let Some((left, right)) = body.split_once('/') {
        if !is_unit_word(left) && !unit_hyphenated(left) {
            return false;
        }
        // "<singular-time-unit>" or "<interval> <plural-time-units>"
        return match right.split_once(' ') {
            Some((n, unit)) => is_whole(n) && TIME_PLURAL.contains(&unit),
            None => TIME_SINGULAR.contains(&right),
        };
    }
    if body.contains(' ') {
        return false;
    }
    is_unit_word(body) || unit_hyphenated(body)
}

fn unit_hyphenated(s: &str) -> bool {
    match s.split_once('-') {
        Some((unit, time)) => is_unit_word(unit) && TIME_PLURAL.contains(&time),
        None => false,
    }
}

/// A JSON object's members in document order, duplicates kept.
pub struct Members(pub Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Parse a JSON object keeping duplicate keys; None when the text is not a JSON object.
pub fn object_members(s: &str) -> Option<Vec<(String, Value)>> {
    serde_json::from_str::<Members>(s).ok().map(|m| m.0)
}

pub fn is_json(s: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
}

pub fn is_json_object(s: &str) -> bool {
    json_facts(s) & json_fact::OBJECT != 0
}

/// KeyValueFormat: a JSON object with unique keys whose values are scalars (no objects/arrays).
pub fn is_key_value(s: &str) -> bool {
    json_facts(s) & json_fact::KEY_VALUE != 0
}

/// TRUE for an empty or blank string, or a placeholder written in place of a null
/// ("N/A", "NA", "Not Applicable", "NULL", "None", "-"; any case, surrounding blanks ignored).
/// TRUE when the text is empty or consists solely of spaces (as `trim(text) = ''` in SQL, without
/// building the trimmed copy).
pub fn is_spaces(s: &str) -> bool {
    s.bytes().all(|b| b == b' ')
}

/// TRUE when the text holds U+FFFD, the replacement character a decoder writes for bytes that
/// were not valid in the source encoding (the trace of a wrong encoding).
pub fn has_replacement_char(s: &str) -> bool {
    // U+FFFD is EF BF BD in UTF-8; the byte EF is rare, and memchr finds it with SIMD.
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(0xEF, &b[from..]) {
        if b[from + i..].starts_with(&[0xEF, 0xBF, 0xBD]) {
            return true;
        }
        from += i + 1;
    }
    false
}

pub fn is_null_placeholder(s: &str) -> bool {
    // Most values start and end with a visible ASCII character: nothing to trim, so only a
    // placeholder itself (n/a, na, not applicable, null, none, -) can match.
    if let (Some(&first), Some(&last)) = (s.as_bytes().first(), s.as_bytes().last()) {
        if first.is_ascii_graphic() && last.is_ascii_graphic() {
            return matches!(first, b'n' | b'N' | b'-') && s.len() <= 14 && placeholder_word(s);
        }
    }
    // The longest placeholder is "not applicable" (14 bytes); longer text can only be one when
    // padded with whitespace, which trim() removes below.
    if s.len() > 14 && !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace) {
        return false;
    }
    let t = s.trim();
    t.is_empty() || placeholder_word(t)
}

fn placeholder_word(t: &str) -> bool {
    ["n/a", "na", "not applicable", "null", "none", "-"]
        .iter()
        .any(|p| t.eq_ignore_ascii_case(p))
}

/// TRUE when the text is a JSON object naming some key twice.
pub fn has_duplicate_keys(s: &str) -> bool {
    json_facts(s) & json_fact::DUPLICATE_KEYS != 0
}

/// TRUE when the text is a JSON object with an object or array as some value.
pub fn has_nested_value(s: &str) -> bool {
    json_facts(s) & json_fact::NESTED_VALUE != 0
}

/// Facts about a text as JSON, from one parse: what the JSON predicates ask of one value.
pub mod json_fact {
    pub const JSON: u8 = 1;
    pub const OBJECT: u8 = 2;
    pub const KEY_VALUE: u8 = 4;
    pub const DUPLICATE_KEYS: u8 = 8;
    pub const NESTED_VALUE: u8 = 16;
}

/// [`json_fact`] bits of `s`: `is_json`, `is_json_object`, `is_key_value`,
/// `has_duplicate_keys` and `has_nested_value` at once.
///
/// The object is read by serde_json exactly as [`object_members`] reads it (every value through
/// `deserialize_any`, so numbers, strings and nesting are accepted and refused alike), but
/// nothing is kept of a value except whether it is an object or an array, and keys without
/// escapes are borrowed from the text: no allocation for most tags.
pub fn json_facts(s: &str) -> u8 {
    use json_fact::*;
    match serde_json::from_str::<ObjectShape>(s) {
        Ok(ObjectShape { mut keys, nested }) => {
            keys.sort_unstable();
            object_facts(keys.windows(2).any(|w| w[0] == w[1]), nested)
        }
        Err(_) if is_json(s) => JSON,
        Err(_) => 0,
    }
}

/// The [`json_fact`] bits of a JSON object with or without duplicate keys and nested values.
fn object_facts(duplicate: bool, nested: bool) -> u8 {
    use json_fact::*;
    let mut f = JSON | OBJECT;
    if duplicate {
        f |= DUPLICATE_KEYS;
    }
    if nested {
        f |= NESTED_VALUE;
    }
    if !duplicate && !nested {
        f |= KEY_VALUE;
    }
    f
}

/// A JSON object's keys (borrowed where the text has no escapes) and whether some value is an
/// object or an array.
struct ObjectShape<'de> {
    keys: Vec<std::borrow::Cow<'de, str>>,
    nested: bool,
}

impl<'de> serde::Deserialize<'de> for ObjectShape<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectShape<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = Vec::new();
                let mut nested = false;
                while let Some((Key(k), shape)) = map.next_entry::<Key<'de>, Shape>()? {
                    keys.push(k);
                    nested |= shape == Shape::Nested;
                }
                Ok(ObjectShape { keys, nested })
            }
        }
        d.deserialize_map(V)
    }
}

/// An object key, borrowed from the text when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// What [`json_facts`] keeps of a member's value: read through `deserialize_any` as a
/// `serde_json::Value` would be (the same numbers and strings refused), contents dropped.
#[derive(PartialEq)]
enum Shape {
    Scalar,
    Nested,
}

impl<'de> serde::Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
                Ok(Shape::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
                Ok(Shape::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
                Ok(Shape::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
                Ok(Shape::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
                Ok(Shape::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Shape, E> {
                Ok(Shape::Scalar)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Shape, A::Error> {
                while seq.next_element::<Shape>()?.is_some() {}
                Ok(Shape::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                while map.next_entry::<Key<'de>, Shape>()?.is_some() {}
                Ok(Shape::Nested)
            }
        }
        d.deserialize_any(V)
    }
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The last member named `key` (JSON semantics for duplicates).
pub fn json_member<'a>(members: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub fn approx_eq(a: f64, b: f64) -> bool {
    let tol = (1e-6 * a.abs().max(b.abs())).max(0.01);
    (a - b).abs() <= tol
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_characters_are_found_anywhere() {
        assert!(has_replacement_char("\u{FFFD}"));
        assert!(has_replacement_char("caf\u{FFFD}"));
        assert!(has_replacement_char("\u{F000}x\u{FFFD}"));
        assert!(!has_replacement_char("\u{F000}\u{FFFC}\u{FFFE} café 東京"));
        assert!(!has_replacement_char(""));
    }

    #[test]
    fn spaces_are_only_spaces() {
        for v in ["", " ", "    "] {
            assert!(is_spaces(v), "{v:?}");
        }
        for v in ["\t", " a ", "\u{a0}", "x"] {
            assert!(!is_spaces(v), "{v:?}");
        }
    }

    #[test]
    fn null_placeholders() {
        for p in [
            "",
            "  ",
            "N/A",
            "not applicable",
            " NULL ",
            "None",
            "-",
            "      Not Applicable\t",
            "\u{0B}null",
            "n/a\u{00A0}",
            "NA",
        ] {
            assert!(is_null_placeholder(p), "{p:?}");
        }
        for v in [
            "Nancy",
            "-5",
            "Usage",
            "NAS",
            "not applicable!",
            "arn:aws:ec2:us-east-1:1:i-0",
            "none of these",
            "-\u{00A0}x",
        ] {
            assert!(!is_null_placeholder(v), "{v:?}");
        }
    }

    /// The facts as a full parse into `serde_json::Value`s gives them, on texts where the two
    /// could part: escaped keys, numbers out of range, deep nesting, bad escapes, trailing text.
    #[test]
    fn json_facts_agree_with_a_full_parse() {
        fn reference(s: &str) -> u8 {
            match object_members(s) {
                Some(members) => {
                    let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
                    keys.sort_unstable();
                    let nested = members
                        .iter()
                        .any(|(_, v)| matches!(v, Value::Object(_) | Value::Array(_)));
                    object_facts(keys.windows(2).any(|w| w[0] == w[1]), nested)
                }
                None if is_json(s) => json_fact::JSON,
                None => 0,
            }
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        let deep_ok = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        let texts = [
            r#"{"a":1,"\u0061":2}"#,
            r#"{"a\"b":1,"a\"b":2}"#,
            r#"{"x":1e400}"#,
            r#"{"x":-1e400}"#,
            r#"{"x":1e-400}"#,
            r#"{"x":123456789012345678901234567890}"#,
            r#"{"x":"\ud800"}"#,
            r#"{"\ud800":1}"#,
            r#"{"x":"\q"}"#,
            r#"{"x":1} x"#,
            r#"  {"x":1}  "#,
            r#"{"x":01}"#,
            r#"{"x":[1,{"y":1e400}]}"#,
            r#"{"x":{"y":1,"y":2}}"#,
            r#"{"x":null,"y":true,"z":false,"w":"s","v":-0.5}"#,
            r#"{}"#,
            r#"{"a":[]}"#,
            r#"{"a":{}}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{1:1}"#,
            "[1,2]",
            "\"text\"",
            "1e400",
            "null",
            "",
            "{",
            &deep,
            &deep_ok,
        ];
        for text in texts {
            assert_eq!(json_facts(text), reference(text), "{text}");
        }
    }

    #[test]
    fn key_value_problems_are_told_apart() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":1}"#,
            "[1]",
            "3",
            "{",
            "",
            r#"{"a":[1],"a":2}"#,
        ] {
            let f = json_facts(text);
            assert_eq!(f & json_fact::JSON != 0, is_json(text), "{text}");
            assert_eq!(f & json_fact::OBJECT != 0, is_json_object(text), "{text}");
            assert_eq!(f & json_fact::KEY_VALUE != 0, is_key_value(text), "{text}");
            assert_eq!(
                f & json_fact::DUPLICATE_KEYS != 0,
                has_duplicate_keys(text),
                "{text}"
            );
            assert_eq!(
                f & json_fact::NESTED_VALUE != 0,
                has_nested_value(text),
                "{text}"
            );
        }
        assert!(has_duplicate_keys(r#"{"a":1,"a":2}"#));
        assert!(!has_duplicate_keys(r#"{"a":1,"b":{"a":2}}"#));
        assert!(has_nested_value(r#"{"a":[1]}"#));
        assert!(!has_nested_value(r#"{"a":1,"a":null}"#));
        assert!(!has_duplicate_keys("[1,1]") && !has_nested_value("[[1]]"));
    }

    #[test]
    fn numeric_format_follows_the_spec_examples() {
        for ok in ["-100.2", "-3", "4", "35.2E-7", "1.234", "0", "0.5", "1e-3"] {
            assert!(is_numeric(ok), "{ok} should be numeric");
        }
        for bad in [
            "1 1/2",
            "35.2E+7",
            "35.24 x 10^7",
            "[3,5,8]",
            "[4:5]",
            "5i + 4",
            "sqrt(2)",
            "2.3^3",
            "32 GiB",
            "$32",
            "3,432,342",
            "+333",
            "",
            "-",
            ".",
            "1.",
            "E5",
            " 1",
            "NaN",
            "inf",
        ] {
            assert!(!is_numeric(bad), "{bad} should not be numeric");
        }
    }

    #[test]
    fn decimal_type_accepts_any_finite_notation() {
        for ok in ["+333", "1e+5", "-0.5", "12"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in [
            "NaN",
            "inf",
            "-Infinity",
            "1,000",
            "12 USD",
            "",
            " 1",
            "0x10",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn datetime_format_is_strict_utc_seconds() {
        assert!(is_datetime("2024-02-29T23:59:59Z"));
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00.000Z",
            "2024-01-01T00:00:00+00:00",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01",
        ] {
            assert!(!is_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn datetime_type_accepts_iso_with_offset() {
        for ok in [
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.123Z",
            "2024-01-01 00:00:00+02:00",
            "2024-01-01T00:00Z",
            "2024-01-01T00:00:00-0500",
        ] {
            assert!(parses_datetime(ok), "{ok}");
        }
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00:00",
            "01/02/2024 00:00",
            "2024-02-30T00:00:00Z",
            "2024-01-01T00:00:00 UTC",
        ] {
            assert!(!parses_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn currency_codes() {
        assert!(
            ISO_4217.windows(2).all(|w| w[0] < w[1]),
            "the list stays sorted and without repeats"
        );
        assert!(
            ISO_4217.iter().all(|c| code3_index(c).is_some()),
            "every code is three capital letters"
        );
        // Every listed code is found, and nothing else.
        let set_bits: u32 = ISO_4217_BITS.iter().map(|w| w.count_ones()).sum();
        assert_eq!(set_bits as usize, ISO_4217.len());
        assert!(ISO_4217.iter().all(|c| is_currency(c)));
        assert!(is_currency("USD") && is_currency("EUR") && is_currency("JPY"));
        assert!(
            !is_currency("usd")
                && !is_currency("US$")
                && !is_currency("XAU")
                && !is_currency("CREDITS")
        );
    }

    #[test]
    fn unit_format_forms() {
        for ok in [
            "GB",
            "Seconds",
            "GB-Hours",
            "MB-Days",
            "GB/Hour",
            "PB/Day",
            "1000 Tokens",
            "Units/3 Months",
            "Requests/Day",
            "Count",
            "KiB",
        ] {
            assert!(is_unit(ok), "{ok}");
        }
        for bad in [
            "gigabyte-seconds",
            "GB per Hour",
            "GB/Hours",
            "GB-Hour",
            "1.5 Tokens",
            "requests",
            " GB",
            "GB/3 Month",
            "",
        ] {
            assert!(!is_unit(bad), "{bad}");
        }
    }

    #[test]
    fn key_value_format() {
        assert!(is_key_value(r#"{"env":"prod","n":1,"b":true,"z":null}"#));
        assert!(is_key_value("{}"));
        for bad in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"a":[1]}"#,
            r#"["a"]"#,
            "env=prod",
            r#""x""#,
        ] {
            assert!(!is_key_value(bad), "{bad}");
        }
    }
}
