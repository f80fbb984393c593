//! Shared example sets (`rules.d/generic/examples.yaml`): one list of examples per FOCUS data
//! type, per value format and for presence, written for the placeholder column `{column}`.
//! Every type, format and presence check runs the set of its kind with its own column, before
//! any examples of its own (as dbt's generic tests do).

use super::error::{line_of_key, LoadError};
use super::example::{build_examples, expect_lines_after, RawExample};
use super::model::{Check, Example, FocusType, ValueFormat, COLUMN_PLACEHOLDER};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenericExamples {
    pub path: PathBuf,
    pub types: BTreeMap<FocusType, Vec<Example>>,
    pub formats: BTreeMap<ValueFormat, Vec<Example>>,
    pub present: Vec<Example>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneric {
    #[serde(default, rename = "type")]
    types: BTreeMap<String, Vec<RawExample>>,
    #[serde(default)]
    format: BTreeMap<String, Vec<RawExample>>,
    #[serde(default)]
    present: Vec<RawExample>,
}

impl GenericExamples {
    pub fn parse(text: &str, path: &Path) -> Result<GenericExamples, LoadError> {
        let err = |line: Option<usize>, message: String| LoadError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let raw: RawGeneric = serde_yaml::from_str(text).map_err(|e| LoadError::yaml(path, &e))?;
        // Each list starts after its own key (`  decimal:` under `type:`), searched from its section.
        let list = |section: &str, key: Option<&str>, raw: Vec<RawExample>| {
            let from = line_of_key(text, section, 1).unwrap_or(1);
            let from = match key {
                Some(k) => line_of_key(text, k, from).unwrap_or(from),
                None => from,
            };
            build_examples(raw, &expect_lines_after(text, from), from)
                .map(|mut v| {
                    for e in &mut v {
                        e.path = Some(path.to_path_buf());
                    }
                    v
                })
                .map_err(|(line, m)| err(Some(line), m))
        };
        let mut out = GenericExamples {
            path: path.to_path_buf(),
            ..Default::default()
        };
        for (name, examples) in raw.types {
            let ty = FocusType::parse_as(&name, "type")
                .map_err(|m| err(line_of_key(text, &name, 1), m))?;
            out.types.insert(ty, list("type", Some(&name), examples)?);
        }
        for (name, examples) in raw.format {
            let f = ValueFormat::parse_as(&name, "format")
                .map_err(|m| err(line_of_key(text, &name, 1), m))?;
            out.formats
                .insert(f, list("format", Some(&name), examples)?);
        }
        out.present = list("present", None, raw.present)?;
        Ok(out)
    }

    /// The shared examples of a check's kind, written for its column.
    pub fn for_check(&self, check: &Check) -> Vec<Example> {
        let (set, column) = match check {
            Check::Type { ty, column, .. } => (self.types.get(ty), column),
            Check::Format { format, column, .. } => (self.formats.get(format), column),
            Check::Present { column } => (Some(&self.present), column),
            _ => return Vec::new(),
        };
        set.map(|examples| examples.iter().map(|e| instantiate(e, column)).collect())
            .unwrap_or_default()
    }
}

/// An example with `{column}` replaced by `column` in its column names, types and note.
fn instantiate(e: &Example, column: &str) -> Example {
    let name = |c: &String| c.replace(COLUMN_PLACEHOLDER, column);
    Example {
        columns: e.columns.iter().map(name).collect(),
        types: e.types.iter().map(|(c, t)| (name(c), *t)).collect(),
        note: e.note.as_ref().map(name),
        ..e.clone()
    }
}
