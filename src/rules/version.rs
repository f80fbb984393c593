//! FOCUS versions: the rule sets under `rules.d/focus-X.Y/`, each described by a small
//! manifest (`version.yaml`) naming its datasets, their column catalogs, their id prefixes and
//! the version it inherits unchanged requirements from.

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
    /// The id prefix of attribute requirements (`ATT` in 1.4; none before).
    #[serde(default)]
    pub attribute_prefix: String,
    /// The version whose requirement files may be carried into this one (`carried_into` in the
    /// file); their ids are mapped by [`IdMap::between`](super::carry::IdMap::between) the two manifests.
    #[serde(default)]
    pub inherits: Option<String>,
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

/// The embedded manifest of `version`, if it has one that parses.
pub fn embedded_manifest(version: &str) -> Option<VersionManifest> {
    let rel = format!("focus-{version}/{MANIFEST}");
    let (_, text) = super::embedded::all().iter().find(|(p, _)| *p == rel)?;
    VersionManifest::parse(text, Path::new(&rel)).ok()
}

/// The versions that inherit from `version`, nearest first (1.2: 1.3, 1.4), following the
/// embedded manifests' `inherits`.
pub fn successors(version: &str) -> Vec<String> {
    let manifests: Vec<(String, VersionManifest)> = embedded_versions()
        .into_iter()
        .filter_map(|v| embedded_manifest(&v).map(|m| (v, m)))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut at = version.to_string();
    while let Some((next, _)) = manifests
        .iter()
        .find(|(v, m)| m.inherits.as_deref() == Some(at.as_str()) && !out.contains(v))
    {
        out.push(next.clone());
        at = next.clone();
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_versions_inherit_in_a_chain() {
        assert_eq!(
            successors("1.2"),
            vec!["1.3".to_string(), "1.4".to_string()]
        );
        assert_eq!(successors("1.3"), vec!["1.4".to_string()]);
        assert!(successors("1.4").is_empty());
    }
}
