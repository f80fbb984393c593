//! Files that travel with an export but are not data: manifests and other JSON documents,
//! checksum lists, run logs and markers. A folder as a converter or provider delivers it holds
//! them beside the data; they are recognised here (by name, and for `.json` by their first
//! bytes), left out of the dataset, and named in one note. Pure functions of a name and a
//! file's first bytes, so that a local folder and an object-store prefix are judged alike.

use std::fmt;

/// What a file beside the data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sidecar {
    /// A JSON document that is not JSON lines (a manifest, run metadata).
    JsonDocument,
    /// A list of checksums (`SHA256SUMS`, `x.csv.sha256`, `x.md5`).
    Checksums,
    /// A run log or marker (`*.log`, `_SUCCESS`, a README).
    RunLog,
    /// Anything else without a data file's name ending (a declaration, notes).
    Other,
}

impl fmt::Display for Sidecar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sidecar::JsonDocument => "JSON document",
            Sidecar::Checksums => "checksums",
            Sidecar::RunLog => "run log",
            Sidecar::Other => "not a data file",
        })
    }
}

/// Bytes of a `.json` file read to tell JSON lines from a JSON document.
pub const JSON_PROBE: usize = 1 << 20;

/// A file that is not data by its name alone (None: it may be data, or is a `.json` whose first
/// bytes decide, see [`json_kind`]).
pub fn by_name(name: &str) -> Option<Sidecar> {
    let lower = name.to_ascii_lowercase();
    let ends = |s: &[&str]| s.iter().any(|e| lower.ends_with(e));
    if crate::engine::input::InputFormat::of(std::path::Path::new(name)).is_some() {
        // A JSON file named as a manifest is one, whatever its layout.
        return (lower.ends_with(".json") && lower.contains("manifest"))
            .then_some(Sidecar::JsonDocument);
    }
    if ends(&[".sha256", ".sha1", ".sha512", ".md5", ".crc", ".crc32"])
        || lower.ends_with("sums")
        || lower.starts_with("checksum")
    {
        Some(Sidecar::Checksums)
    } else if ends(&[".log"])
        || lower == "_success"
        || lower == "_failure"
        || lower.starts_with("readme")
    {
        Some(Sidecar::RunLog)
    } else {
        Some(Sidecar::Other)
    }
}

/// Whether a `.json` file holds JSON lines (Ok(true)), is one JSON document (Ok(false)), or is
/// neither (Err: why). `head` is its first bytes (up to [`JSON_PROBE`]); `whole` says whether
/// they are the whole file. JSON lines start with a line that is a JSON object on its own; a
/// pretty-printed document's first line (`{`) is not. A first line longer than the probe is
/// taken as JSON lines (the scan then judges it).
pub fn json_kind(head: &[u8], whole: bool) -> Result<bool, String> {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let rest = &text[start..];
    let Some(end) = rest.iter().position(|&b| b == b'\n') else {
        // One line (or a first line longer than the probe).
        return if !whole || parses_as_object(rest) {
            Ok(true)
        } else if serde_json::from_slice::<serde::de::IgnoredAny>(rest).is_ok() {
            Ok(false)
        } else {
            Err("neither JSON lines (line 1 is not a JSON object) nor a JSON document".into())
        };
    };
    if parses_as_object(&rest[..end]) {
        return Ok(true);
    }
    if !whole {
        // A document longer than the probe: its opening cannot be a line of JSON lines.
        return match rest.first() {
            Some(b'{') | Some(b'[') => Ok(false),
            _ => Err("line 1 is not a JSON object: not JSON lines".into()),
        };
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(rest) {
        Ok(_) => Ok(false),
        Err(e) => Err(format!(
            "neither JSON lines (line 1 is not a JSON object) nor a JSON document ({e})"
        )),
    }
}

fn parses_as_object(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.first() == Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok()
}

/// The one note about the files of `dir` left out: `(relative name, kind)`.
pub fn note(dir: &str, skipped: &[(String, Sidecar)]) -> Option<String> {
    if skipped.is_empty() {
        return None;
    }
    let names: Vec<String> = skipped.iter().map(|(n, k)| format!("{n} ({k})")).collect();
    Some(format!(
        "focus-sql: note: {dir}: {} file(s) that are not data left out: {}",
        skipped.len(),
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_json_layouts() {
        assert_eq!(by_name("SHA256SUMS"), Some(Sidecar::Checksums));
        assert_eq!(by_name("part-1.csv.md5"), Some(Sidecar::Checksums));
        assert_eq!(by_name("run.log"), Some(Sidecar::RunLog));
        assert_eq!(by_name("_SUCCESS"), Some(Sidecar::RunLog));
        assert_eq!(by_name("README.md"), Some(Sidecar::RunLog));
        assert_eq!(by_name("declaration.yaml"), Some(Sidecar::Other));
        assert_eq!(
            by_name("focus_1_4_manifest.json"),
            Some(Sidecar::JsonDocument)
        );
        assert_eq!(by_name("data.csv"), None);
        assert_eq!(by_name("rows.json"), None);
        assert_eq!(by_name("rows.ndjson"), None);

        assert_eq!(json_kind(b"{\"a\":1}\n{\"a\":2}\n", true), Ok(true));
        assert_eq!(json_kind(b"{\"a\":1}", true), Ok(true));
        assert_eq!(json_kind(b"{\n  \"files\": []\n}\n", true), Ok(false));
        assert_eq!(json_kind(b"[\n  1,\n  2\n]", true), Ok(false));
        assert!(json_kind(b"{\n  \"files\": [\n", true).is_err());
        assert!(json_kind(b"not json\n{}", true).is_err());
        assert!(json_kind(b"not json", true).is_err());
        assert_eq!(json_kind(b"[1, 2]", true), Ok(false));
        // A probe that is only the start of a long document.
        assert_eq!(json_kind(b"{\n  \"files\": [", false), Ok(false));
        // A first line longer than the probe: left to the scan.
        assert_eq!(json_kind(b"{\"a\":\"xxxx", false), Ok(true));
    }
}
