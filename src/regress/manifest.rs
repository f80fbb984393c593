//! The corpus manifest (`corpus.yaml`): the datasets of a regression corpus, each with its
//! files, FOCUS version, provider, declared applicability and whether it should conform.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// File name of the manifest inside a corpus directory.
pub const MANIFEST_FILE: &str = "corpus.yaml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub description: Option<String>,
    pub datasets: Vec<DatasetSpec>,
}

/// `paths:` may be one string or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    pub fn list(&self) -> Vec<String> {
        match self {
            Paths::One(p) => vec![p.clone()],
            Paths::Many(v) => v.clone(),
        }
    }
}

/// `applicability:` is `all`, `none`, or a list of criteria.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ApplicabilitySpec {
    Word(String),
    Criteria(Vec<String>),
}

impl Default for ApplicabilitySpec {
    fn default() -> Self {
        ApplicabilitySpec::Word("none".into())
    }
}

impl ApplicabilitySpec {
    pub fn as_arg(&self) -> String {
        match self {
            ApplicabilitySpec::Word(w) => w.clone(),
            ApplicabilitySpec::Criteria(c) => c.join(","),
        }
    }
}

fn default_version() -> String {
    "1.2".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    pub name: String,
    pub paths: Paths,
    #[serde(default = "default_version")]
    pub focus_version: String,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub applicability: ApplicabilitySpec,
    /// A declaration file (YAML, as for `validate --declaration`): feature areas, attestations.
    #[serde(default)]
    pub declaration: Option<String>,
    /// Whether the dataset is expected to conform (no MUST / MUST NOT failure).
    pub conformant: bool,
    /// The bundle's other datasets by name, when `paths` is the main dataset's (as
    /// `validate --dataset NAME=PATH`); a bundle folder needs none.
    #[serde(default)]
    pub datasets: std::collections::BTreeMap<String, Paths>,
}

/// A loaded manifest with the directory its relative paths start from.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub manifest_path: PathBuf,
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Corpus {
    /// Load `corpus.yaml` from a directory, or a manifest file given directly.
    pub fn load(path: &Path) -> Result<Corpus> {
        let manifest_path = if path.is_dir() {
            path.join(MANIFEST_FILE)
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&manifest_path).with_context(|| {
            format!(
                "{}: cannot read the corpus manifest",
                manifest_path.display()
            )
        })?;
        let manifest: Manifest = serde_yaml::from_str(&text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            anyhow::anyhow!("{}{at}: {e}", manifest_path.display())
        })?;
        let mut seen = std::collections::HashSet::new();
        for d in &manifest.datasets {
            if d.name.trim().is_empty()
                || !d
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                bail!(
                    "{}: dataset name `{}`: use letters, digits, - _ and .",
                    manifest_path.display(),
                    d.name
                );
            }
            if !seen.insert(d.name.clone()) {
                bail!(
                    "{}: dataset `{}` is listed twice",
                    manifest_path.display(),
                    d.name
                );
            }
            if d.paths.list().is_empty() {
                bail!(
                    "{}: dataset `{}` has no paths",
                    manifest_path.display(),
                    d.name
                );
            }
        }
        if manifest.datasets.is_empty() {
            bail!("{}: no datasets listed", manifest_path.display());
        }
        let dir = manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(Corpus {
            manifest_path,
            dir,
            manifest,
        })
    }

    /// A dataset's paths, relative ones taken from the manifest's directory (object-store
    /// locations as written).
    pub fn resolve_paths(&self, d: &DatasetSpec) -> Vec<String> {
        d.paths
            .list()
            .iter()
            .map(|p| self.resolve_path(p))
            .collect()
    }

    /// `(name, path)` of each file of the bundle's other datasets (`datasets:`).
    pub fn resolve_datasets(&self, d: &DatasetSpec) -> Vec<(String, String)> {
        d.datasets
            .iter()
            .flat_map(|(name, paths)| {
                paths
                    .list()
                    .into_iter()
                    .map(move |p| (name.clone(), self.resolve_path(&p)))
            })
            .collect()
    }

    fn resolve_path(&self, p: &str) -> String {
        if Path::new(p).is_absolute() || crate::store::is_remote(p) {
            p.to_string()
        } else {
            self.dir.join(p).display().to_string()
        }
    }

    pub fn resolve_file(&self, p: &str) -> PathBuf {
        if Path::new(p).is_absolute() {
            PathBuf::from(p)
        } else {
            self.dir.join(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let error_of = |manifest: &str| {
            std::fs::write(dir.path().join(MANIFEST_FILE), manifest).unwrap();
            Corpus::load(dir.path()).unwrap_err().to_string()
        };
        let e = error_of("datasets:\n  - name: a\n    paths: a.csv\n    conformant: yes-ish\n");
        assert!(e.contains("corpus.yaml:4:"), "{e}");
        let e = error_of(
            "datasets:\n  - name: a\n    paths: a.csv\n    conformant: true\n    colour: red\n",
        );
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = error_of("datasets:\n  - {name: a, paths: a.csv, conformant: true}\n  - {name: a, paths: [b.csv], conformant: false}\n");
        assert!(e.contains("listed twice"), "{e}");
    }

    #[test]
    fn paths_and_applicability_forms() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            "datasets:\n  - {name: a, paths: a.csv, conformant: true, applicability: all}\n  - {name: b, paths: [b1.csv, /abs/b2.csv], conformant: false, applicability: [TAGGING_SUPPORTED, REGION_SUPPORTED]}\n",
        )
        .unwrap();
        let c = Corpus::load(dir.path()).unwrap();
        let b = &c.manifest.datasets[1];
        assert_eq!(
            c.resolve_paths(b),
            vec![
                dir.path().join("b1.csv").display().to_string(),
                "/abs/b2.csv".to_string()
            ]
        );
        assert_eq!(
            b.applicability.as_arg(),
            "TAGGING_SUPPORTED,REGION_SUPPORTED"
        );
        assert_eq!(c.manifest.datasets[0].applicability.as_arg(), "all");
        assert_eq!(b.focus_version, "1.2");
    }
}
