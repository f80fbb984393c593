//! FOCUS versions: the rule sets under `rules.d/focus-X.Y/`, each described by a small
//! manifest (`version.yaml`) naming its datasets, their column catalogs and their id prefixes.

use super::error::LoadError;
use serde::Deserialize;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// A FOCUS version that has a rule set (checked when parsed, so a typo is an error that lists
/// the known versions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FocusVersion(String);

impl FocusVersion {
    pub fn parse(s: &str) -> Result<FocusVersion, String> {
        let known = embedded_versions();
        if known.iter().any(|v| v == s) {
            Ok(FocusVersion(s.to_string()))
        } else {
            Err(format!(
                "unknown FOCUS version `{s}` (known versions: {})",
                known.join(", ")
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The folder of this version's rules inside rules.d.
    pub fn folder(&self) -> String {
        format!("focus-{}", self.0)
    }
}

impl FromStr for FocusVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        FocusVersion::parse(s)
    }
}

impl fmt::Display for FocusVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One dataset of a version: its name, its column catalog file, and the id prefix of its
/// requirements (`CAU-` in 1.3; none in 1.2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetDef {
    pub name: String,
    /// The column catalog, relative to the version's folder.
    pub catalog: String,
    #[serde(default)]
    pub id_prefix: String,
}

/// `rules.d/focus-X.Y/version.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionManifest {
    pub focus_version: String,
    pub datasets: Vec<DatasetDef>,
    /// Shared example sets per data type, format and presence, relative to rules.d.
    pub generic_examples: String,
}

/// The file name of a version's manifest.
pub const MANIFEST: &str = "version.yaml";

impl VersionManifest {
    pub fn parse(text: &str, path: &Path) -> Result<VersionManifest, LoadError> {
        let m: VersionManifest =
            serde_yaml::from_str(text).map_err(|e| LoadError::yaml(path, &e))?;
        if m.datasets.is_empty() {
            return Err(LoadError {
                path: path.to_path_buf(),
                line: None,
                message: "a FOCUS version needs at least one dataset".into(),
            });
        }
        Ok(m)
    }
}

/// The FOCUS versions whose rules are embedded (each `focus-X.Y/` folder with a manifest).
pub fn embedded_versions() -> Vec<String> {
    let mut v: Vec<String> = super::embedded::all()
        .iter()
        .filter_map(|(p, _)| p.strip_suffix(&format!("/{}", MANIFEST)))
        .filter_map(|d| d.strip_prefix("focus-"))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}
