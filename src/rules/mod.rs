//! Rules: the model, loading from the embedded rules.d and from user directories, and the
//! structural checks `rules lint` performs (ids, references, cycles, examples).

pub mod load;
pub mod model;

pub use load::LoadError;
pub use model::*;

use crate::catalog::Catalog;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// The saved queries embedded at build time: (name, text).
pub fn embedded_queries() -> &'static [(&'static str, &'static str)] {
    embedded::EMBEDDED_QUERIES
}

/// The bundled sample export (testdata/sample.csv) as embedded at build time; empty if absent.
pub fn embedded_sample() -> &'static str {
    embedded::SAMPLE_CSV
}

/// The folder of rules.d holding certification evidence checks (`certify::EvidenceCheck`).
pub const EVIDENCE_DIR: &str = "evidence";

/// (path relative to rules.d, contents) of the embedded evidence checks.
pub fn embedded_evidence() -> Vec<(&'static str, &'static str)> {
    embedded::EMBEDDED_RULES
        .iter()
        .filter(|(p, _)| p.starts_with("evidence/"))
        .copied()
        .collect()
}

/// The FOCUS versions whose rules are embedded.
pub fn embedded_versions() -> Vec<String> {
    let mut v: Vec<String> = embedded::EMBEDDED_RULES
        .iter()
        .filter_map(|(p, _)| p.split('/').next())
        .filter_map(|d| d.strip_prefix("focus-"))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// All rules of one FOCUS version, indexed by id.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub version: String,
    pub catalog: Catalog,
    pub rules: Vec<Rule>,
    index: HashMap<String, usize>,
}

/// A rule set plus the files that failed to load (reported, not fatal).
#[derive(Debug)]
pub struct Loaded {
    pub set: RuleSet,
    pub errors: Vec<LoadError>,
}

struct Source {
    display: PathBuf,
    text: String,
    embedded: bool,
}

fn version_of(rel: &Path) -> Option<String> {
    rel.components()
        .filter_map(|c| c.as_os_str().to_str())
        .filter_map(|c| c.strip_prefix("focus-"))
        .next_back()
        .map(str::to_string)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
    Ok(())
}

impl RuleSet {
    /// Load the embedded rules of `version`, then add or override them with the rules in `extra`.
    pub fn load(version: &str, extra: Option<&Path>) -> Result<Loaded, LoadError> {
        let mut catalog_src: Option<Source> = None;
        let mut sources: BTreeMap<String, Source> = BTreeMap::new();
        for (rel, text) in embedded::EMBEDDED_RULES {
            let rel_path = Path::new(rel);
            if version_of(rel_path).as_deref() != Some(version) {
                continue;
            }
            let src = Source {
                display: Path::new("rules.d").join(rel_path),
                text: text.to_string(),
                embedded: true,
            };
            if rel_path.file_name().is_some_and(|f| f == "columns.yaml") {
                catalog_src = Some(src);
            } else {
                let stem = rel_path.file_stem().unwrap().to_string_lossy().to_string();
                sources.insert(stem, src);
            }
        }
        if let Some(dir) = extra {
            if !dir.is_dir() {
                return Err(LoadError {
                    path: dir.to_path_buf(),
                    line: None,
                    message: "rules directory not found".into(),
                });
            }
            let mut files = Vec::new();
            walk(dir, &mut files).map_err(|e| LoadError {
                path: dir.to_path_buf(),
                line: None,
                message: e.to_string(),
            })?;
            for f in files {
                let rel = f.strip_prefix(dir).unwrap_or(&f);
                // evidence/ holds certification evidence checks, not requirements.
                if rel
                    .components()
                    .next()
                    .is_some_and(|c| c.as_os_str() == EVIDENCE_DIR)
                {
                    continue;
                }
                // Files outside any focus-X.Y folder belong to the requested version.
                let v = version_of(rel)
                    .or_else(|| version_of(dir))
                    .unwrap_or_else(|| version.to_string());
                if v != version {
                    continue;
                }
                let text = std::fs::read_to_string(&f).map_err(|e| LoadError {
                    path: f.clone(),
                    line: None,
                    message: format!("cannot read: {e}"),
                })?;
                let src = Source {
                    display: f.clone(),
                    text,
                    embedded: false,
                };
                if f.file_name().is_some_and(|n| n == "columns.yaml") {
                    catalog_src = Some(src);
                } else {
                    let stem = f.file_stem().unwrap().to_string_lossy().to_string();
                    sources.insert(stem, src);
                }
            }
        }
        let catalog_src = catalog_src.ok_or_else(|| LoadError {
            path: PathBuf::from(format!("rules.d/focus-{version}/columns.yaml")),
            line: None,
            message: format!(
                "no column catalog for FOCUS {version} (known versions: {})",
                embedded_versions().join(", ")
            ),
        })?;
        let catalog = Catalog::parse(&catalog_src.text, &catalog_src.display)?;

        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for src in sources.into_values() {
            match load::parse_rule(&src.text, &src.display, version, src.embedded) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.push(e),
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let index = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Ok(Loaded {
            set: RuleSet {
                version: version.to_string(),
                catalog,
                rules,
                index,
            },
            errors,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.index.get(id).map(|&i| &self.rules[i])
    }

    /// Keep only the rules whose id starts with one of `prefixes`, plus what they reference.
    pub fn retain_prefixes(&mut self, prefixes: &[String]) {
        if prefixes.is_empty() {
            return;
        }
        let mut keep: HashSet<String> = self
            .rules
            .iter()
            .filter(|r| prefixes.iter().any(|p| r.id.starts_with(p.as_str())))
            .map(|r| r.id.clone())
            .collect();
        let mut stack: Vec<String> = keep.iter().cloned().collect();
        while let Some(id) = stack.pop() {
            if let Some(r) = self.get(&id) {
                for d in r.check.children().iter().chain(r.depends_on.iter()) {
                    if keep.insert(d.clone()) {
                        stack.push(d.clone());
                    }
                }
            }
        }
        self.rules.retain(|r| keep.contains(&r.id));
        self.index = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    /// Structural problems: unknown references, cycles, missing examples.
    pub fn structural_problems(&self) -> Vec<LoadError> {
        let mut out = Vec::new();
        for r in &self.rules {
            let at = |m: String| LoadError {
                path: r.origin.path.clone(),
                line: Some(r.origin.check_line),
                message: m,
            };
            for child in r.check.children() {
                if self.get(child).is_none() {
                    out.push(at(format!(
                        "{} refers to unknown requirement {child}",
                        r.check.shape()
                    )));
                }
            }
            for dep in &r.depends_on {
                if self.get(dep).is_none() {
                    out.push(at(format!(
                        "depends_on refers to unknown requirement {dep}"
                    )));
                }
            }
            if r.check.is_data_check() {
                let pass = r.examples.iter().any(|e| e.expect == Expect::Pass);
                let fail = r.examples.iter().any(|e| e.expect == Expect::Fail);
                if !pass || !fail {
                    out.push(at(format!(
                        "a {} check needs at least one passing and one failing example (has {} passing, {} failing)",
                        r.check.shape(),
                        r.examples.iter().filter(|e| e.expect == Expect::Pass).count(),
                        r.examples.iter().filter(|e| e.expect == Expect::Fail).count()
                    )));
                }
            }
            if let Some(cycle) = self.cycle_from(&r.id) {
                out.push(at(format!("reference cycle: {}", cycle.join(" -> "))));
            }
        }
        out
    }

    fn cycle_from(&self, start: &str) -> Option<Vec<String>> {
        fn visit(
            set: &RuleSet,
            id: &str,
            path: &mut Vec<String>,
            start: &str,
            seen: &mut HashSet<String>,
        ) -> bool {
            let Some(r) = set.get(id) else { return false };
            for next in r.check.children().iter().chain(r.depends_on.iter()) {
                if next == start {
                    path.push(next.clone());
                    return true;
                }
                if seen.insert(next.clone()) {
                    path.push(next.clone());
                    if visit(set, next, path, start, seen) {
                        return true;
                    }
                    path.pop();
                }
            }
            false
        }
        let mut path = vec![start.to_string()];
        let mut seen = HashSet::new();
        if visit(self, start, &mut path, start, &mut seen) {
            Some(path)
        } else {
            None
        }
    }
}
