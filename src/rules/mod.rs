//! Rules: the model, loading from the embedded rules.d and from user directories, and the
//! structural checks `rules lint` performs (ids, references, cycles, examples).

pub mod applicability;
pub mod carry;
pub mod catalog;
pub mod declaration;
pub mod embedded;
pub mod error;
pub mod example;
pub mod generic;
pub mod load;
pub mod model;
pub mod schemas;
pub mod show;
pub mod sync;
pub mod version;

pub use applicability::Applicability;
pub use generic::GenericExamples;
pub use version::{FocusVersion, VersionManifest};

pub use error::LoadError;
pub use model::*;

use catalog::{Catalog, FeatureLevel};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use embedded::{
    embedded_evidence, embedded_queries, embedded_rule_schema, embedded_sample, EVIDENCE_DIR,
    SCHEMA_COMMENT_PREFIX, SCHEMA_FILE,
};
pub use version::embedded_versions;

/// The relative path from a rule file to rules.d/rule.schema.json (rules sit two folders down:
/// `focus-X.Y/Column/`).
pub const SCHEMA_REFERENCE: &str = "../../rule.schema.json";

/// All rules of one FOCUS version, indexed by id.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub version: FocusVersion,
    /// The catalog of the version's first dataset (Cost and Usage): the one an export is
    /// validated as.
    pub catalog: Catalog,
    /// Every dataset of the version: (id prefix, catalog).
    pub datasets: Vec<(String, Catalog)>,
    pub rules: Vec<Rule>,
    index: HashMap<String, usize>,
    /// Requirements of the version left out by `retain_prefixes` (`--only`): still known, so a
    /// declaration that attests one of them is not in error.
    left_out: HashSet<String>,
}

/// A rule set plus the files that failed to load (reported, not fatal).
#[derive(Debug)]
pub struct Loaded {
    pub set: RuleSet,
    pub errors: Vec<LoadError>,
}

/// One file of a rule set, embedded or from a user's directory.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path as shown to users.
    pub display: PathBuf,
    pub text: String,
    pub embedded: bool,
    /// Set when the file is written in an earlier version's folder and carried into this one
    /// (`text` is then the file with its ids mapped to this version's).
    pub carried_from: Option<CarriedFrom>,
}

fn version_of(rel: &Path) -> Option<String> {
    rel.components()
        .filter_map(|c| c.as_os_str().to_str())
        .filter_map(|c| c.strip_prefix("focus-"))
        .next_back()
        .map(str::to_string)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    walk_ext(dir, &["yaml", "yml"], out)
}

fn walk_ext(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk_ext(&p, exts, out)?;
        } else if p.extension().is_some_and(|e| exts.iter().any(|x| e == *x)) {
            out.push(p);
        }
    }
    Ok(())
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// The files of one version: its own folder (by file stem) and the rule files of earlier
/// versions carried into it (by their id in this version), and the version-independent files at
/// the root of rules.d (by relative path), the embedded ones overridden by `extra`'s.
#[derive(Debug, Default)]
pub struct Sources {
    pub version: BTreeMap<String, Source>,
    pub root: BTreeMap<String, Source>,
    /// A requirement both carried into the version and written in its folder, from the same
    /// place (both embedded or both in `extra`): reported, the version's own file kept.
    pub errors: Vec<LoadError>,
}

impl Sources {
    /// The files of `version`, with those carried into it from the version it inherits from.
    pub fn gather(version: &FocusVersion, extra: Option<&Path>) -> Result<Sources, LoadError> {
        Sources::gather_for(version, extra, version, 0)
    }

    /// The files of `version` when `requested` is loaded: files of `extra` outside any
    /// `focus-X.Y` folder belong to `requested` only.
    fn gather_for(
        version: &FocusVersion,
        extra: Option<&Path>,
        requested: &FocusVersion,
        depth: usize,
    ) -> Result<Sources, LoadError> {
        let mut out = Sources::own(version, extra, requested)?;
        let Some((earlier, before, map)) = out.inherited(extra, requested, depth)? else {
            return Ok(out);
        };
        for (id, src) in before.version {
            if !carry::carried_into(&src.text)
                .iter()
                .any(|v| v == version.as_str())
            {
                continue;
            }
            // Carried from further back, the file keeps saying where it is written.
            let from = src.carried_from.unwrap_or_else(|| CarriedFrom {
                version: earlier.to_string(),
                id: id.clone(),
            });
            let carried = Source {
                display: src.display,
                text: map.text(&src.text),
                embedded: src.embedded,
                carried_from: Some(from),
            };
            out.carry(map.id(&id).unwrap_or(id), carried, version);
        }
        // An earlier file overridden from `extra` without this version in its carried_into
        // leaves the version the embedded rule (an override speaks for the versions it lists).
        if extra.is_some() {
            let embedded = Sources::gather_for(version, None, requested, depth)?;
            for (id, src) in embedded.version {
                if src.carried_from.is_some() && !out.version.contains_key(&id) {
                    out.version.insert(id, src);
                }
            }
        }
        Ok(out)
    }

    /// The version these sources of `version` inherit from (their manifest's `inherits`), its
    /// rule files (its own and those carried into it) and how its ids map to `version`'s. Call it
    /// before [`Sources::take_support`] takes the manifest out.
    pub fn inherited_by(
        &self,
        version: &FocusVersion,
        extra: Option<&Path>,
    ) -> Result<Option<(FocusVersion, Sources, carry::IdMap)>, LoadError> {
        self.inherited(extra, version, 0)
    }

    fn inherited(
        &self,
        extra: Option<&Path>,
        requested: &FocusVersion,
        depth: usize,
    ) -> Result<Option<(FocusVersion, Sources, carry::IdMap)>, LoadError> {
        let Some(manifest_src) = self.version.get(&stem(Path::new(version::MANIFEST))) else {
            // No manifest (or taken out by take_support already): take_support says so.
            return Ok(None);
        };
        let manifest = VersionManifest::parse(&manifest_src.text, &manifest_src.display)?;
        let Some(earlier) = &manifest.inherits else {
            return Ok(None);
        };
        let at = |message: String| LoadError {
            path: manifest_src.display.clone(),
            line: error::line_of_key(&manifest_src.text, "inherits", 1),
            message,
        };
        let earlier = FocusVersion::parse(earlier).map_err(|m| at(format!("inherits: {m}")))?;
        if depth > embedded_versions().len() {
            return Err(at("inherits forms a cycle".into()));
        }
        let mut before = Sources::gather_for(&earlier, extra, requested, depth + 1)?;
        let (_, earlier_manifest, _) = before.take_support(&earlier)?;
        let map = carry::IdMap::between(&earlier_manifest, &manifest);
        Ok(Some((earlier, before, map)))
    }

    /// Add a carried file: a file of the version's own folder from `--rules DIR` overrides an
    /// embedded carried one and the other way round; from the same place, both is an error.
    fn carry(&mut self, id: String, carried: Source, version: &FocusVersion) {
        match self.version.get(&id) {
            None => {
                self.version.insert(id, carried);
            }
            Some(own) if own.embedded && !carried.embedded => {
                self.version.insert(id, carried);
            }
            Some(own) if !own.embedded && carried.embedded => {}
            Some(own) => self.errors.push(LoadError {
                path: own.display.clone(),
                line: None,
                message: format!(
                    "{id} is also carried into FOCUS {version} from {}: delete this file, or \
                     remove \"{version}\" from carried_into there to give {version} its own",
                    carried.display.display()
                ),
            }),
        }
    }

    /// The files in the version's own folder (and the root files), without carried ones.
    fn own(
        version: &FocusVersion,
        extra: Option<&Path>,
        requested: &FocusVersion,
    ) -> Result<Sources, LoadError> {
        let mut out = Sources::default();
        let folder = format!("{}/", version.folder());
        for (rel, text) in embedded::all() {
            let src = || Source {
                display: Path::new("rules.d").join(rel),
                text: text.to_string(),
                embedded: true,
                carried_from: None,
            };
            if let Some(inner) = rel.strip_prefix(&folder) {
                out.version.insert(stem(Path::new(inner)), src());
            } else if !rel.starts_with("focus-") {
                out.root.insert(rel.to_string(), src());
            }
        }
        let Some(dir) = extra else { return Ok(out) };
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
            let rel = f.strip_prefix(dir).unwrap_or(&f).to_path_buf();
            let first = rel
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().to_string());
            // evidence/ holds certification evidence checks, not requirements.
            if first.as_deref() == Some(EVIDENCE_DIR) {
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
                carried_from: None,
            };
            if first.as_deref() == Some(GENERIC_DIR) {
                out.root
                    .insert(rel.to_string_lossy().replace('\\', "/"), src);
                continue;
            }
            // Files outside any focus-X.Y folder belong to the requested version.
            let v = version_of(&rel)
                .or_else(|| version_of(dir))
                .unwrap_or_else(|| requested.to_string());
            if v == version.as_str() {
                out.version.insert(stem(&f), src);
            }
        }
        // JSON Schemas: `DIR/schemas/`, or the one beside a version folder given as DIR.
        let beside = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("focus-"))
            .then(|| dir.parent())
            .flatten();
        for root in std::iter::once(dir).chain(beside) {
            let schemas = root.join(schemas::SCHEMA_DIR);
            if !schemas.is_dir() {
                continue;
            }
            let mut files = Vec::new();
            walk_ext(&schemas, &["json"], &mut files).map_err(|e| LoadError {
                path: schemas.clone(),
                line: None,
                message: e.to_string(),
            })?;
            for f in files {
                let rel = f.strip_prefix(root).unwrap_or(&f);
                let rel = rel.to_string_lossy().replace('\\', "/");
                let text = std::fs::read_to_string(&f).map_err(|e| LoadError {
                    path: f.clone(),
                    line: None,
                    message: format!("cannot read: {e}"),
                })?;
                let src = Source {
                    display: f.clone(),
                    text,
                    embedded: false,
                    carried_from: None,
                };
                out.root.insert(rel, src);
            }
            break;
        }
        Ok(out)
    }
}

impl Sources {
    /// Take the version's manifest and its catalogs out of the version files, leaving the rule
    /// files: (manifest file, manifest, catalog file of each dataset in manifest order).
    pub fn take_support(
        &mut self,
        version: &FocusVersion,
    ) -> Result<(Source, VersionManifest, Vec<Source>), LoadError> {
        let missing = |what: &str| LoadError {
            path: PathBuf::from(format!("rules.d/{}/{what}", version.folder())),
            line: None,
            message: format!(
                "no {what} for FOCUS {version} (known versions: {})",
                embedded_versions().join(", ")
            ),
        };
        let manifest_src = self
            .version
            .remove(&stem(Path::new(version::MANIFEST)))
            .ok_or_else(|| missing(version::MANIFEST))?;
        let manifest = VersionManifest::parse(&manifest_src.text, &manifest_src.display)?;
        let mut catalogs = Vec::new();
        for d in &manifest.datasets {
            catalogs.push(
                self.version
                    .remove(&stem(Path::new(&d.catalog)))
                    .ok_or_else(|| missing(&d.catalog))?,
            );
        }
        Ok((manifest_src, manifest, catalogs))
    }
}

/// The FOCUS version of a dataset with these columns, and why: the version whose datasets name
/// the most of them, less the mandatory columns of that version's best-matching dataset that
/// are absent from a file that looks like a whole export (a 1.4 export lacks 1.3's mandatory
/// ProviderName and PublisherName); on a tie the older one (a 1.2 export also has every column
/// 1.3 keeps).
pub fn detect_version(columns: &[String]) -> Result<(FocusVersion, String), LoadError> {
    let mut best: Option<(i64, FocusVersion, Vec<String>)> = None;
    let mut known: Vec<String> = Vec::new();
    let mut oldest_catalog: Option<Catalog> = None;
    for v in embedded_versions() {
        let version = FocusVersion::parse(&v).map_err(|message| LoadError {
            path: PathBuf::from("rules.d"),
            line: None,
            message,
        })?;
        // The catalogs only: no rule file, carried or not, is read.
        let mut sources = Sources::own(&version, None, &version)?;
        let (_, _, catalogs) = sources.take_support(&version)?;
        let mut names = Vec::new();
        // (columns of the dataset present, its mandatory columns absent) of the best-matching
        // dataset.
        let mut dataset_fit: Option<(usize, usize)> = None;
        for src in catalogs {
            let catalog = Catalog::parse(&src.text, &src.display)?;
            names.extend(catalog.columns.iter().map(|c| c.name.clone()));
            let present = catalog
                .columns
                .iter()
                .filter(|c| columns.contains(&c.name))
                .count();
            let absent = catalog
                .columns
                .iter()
                .filter(|c| c.level == FeatureLevel::Mandatory && !columns.contains(&c.name))
                .count();
            let mandatory = catalog
                .columns
                .iter()
                .filter(|c| c.level == FeatureLevel::Mandatory)
                .count();
            // Absent mandatory columns count only against a file that looks like a whole
            // export (at least half its mandatory columns there): a file of a few columns
            // says nothing by what it lacks.
            let absent = if (mandatory - absent) * 2 >= mandatory {
                absent
            } else {
                0
            };
            if dataset_fit.is_none_or(|(p, _)| present > p) {
                dataset_fit = Some((present, absent));
            }
            if oldest_catalog.is_none() {
                oldest_catalog = Some(catalog);
            }
        }
        let matched: Vec<String> = columns
            .iter()
            .filter(|c| names.contains(c))
            .cloned()
            .collect();
        // Columns this version adds over the versions before it.
        let new: Vec<String> = matched
            .iter()
            .filter(|c| !known.contains(c))
            .cloned()
            .collect();
        known.extend(names);
        let absent = dataset_fit.map_or(0, |(_, a)| a);
        let score = matched.len() as i64 - absent as i64;
        if best.as_ref().is_none_or(|(n, _, _)| score > *n) {
            best = Some((score, version, new));
        }
    }
    let oldest_catalog = oldest_catalog.take();
    let (_, version, new) = best.ok_or_else(|| LoadError {
        path: PathBuf::from("rules.d"),
        line: None,
        message: "no FOCUS version is embedded".into(),
    })?;
    let oldest = embedded_versions().first() == Some(&version.to_string());
    // An export older than every embedded version: the newest column it has was introduced
    // before that version (by the catalog's `since`), and none of the version's own are there.
    if let (true, Some(catalog)) = (oldest, oldest_catalog) {
        let focus_columns = columns
            .iter()
            .filter(|c| catalog.column(c).is_some())
            .count();
        let since_of = |c: &String| catalog.column(c).and_then(|d| d.since.clone());
        let apparent = columns
            .iter()
            .filter_map(since_of)
            .max()
            .unwrap_or_else(|| "1.0".to_string());
        if focus_columns >= 10 && apparent.as_str() < version.as_str() {
            let missing: Vec<&str> = catalog
                .columns
                .iter()
                .filter(|c| c.since.as_deref().is_some_and(|s| s > apparent.as_str()))
                .map(|c| c.name.as_str())
                .collect();
            return Ok((
                version.clone(),
                format!(
                    "no column of a later FOCUS version than {version}; note: none of the columns \
                     added after FOCUS {apparent} is present ({}), so this may be a FOCUS \
                     {apparent} export, whose differences from {version} show as failures below",
                    missing.join(", ")
                ),
            ));
        }
    }
    let why = if oldest || new.is_empty() {
        format!("no column of a later FOCUS version than {version}")
    } else {
        let shown: Vec<&str> = new.iter().take(4).map(String::as_str).collect();
        format!(
            "{} {} FOCUS {version}",
            shown.join(", "),
            if new.len() == 1 { "is" } else { "are" }
        )
    };
    Ok((version, why))
}

/// The folder of rules.d holding the shared example sets.
pub const GENERIC_DIR: &str = "generic";

impl RuleSet {
    /// Load the embedded rules of `version`, then add or override them with the rules in `extra`.
    pub fn load(version: &FocusVersion, extra: Option<&Path>) -> Result<Loaded, LoadError> {
        let mut sources = Sources::gather(version, extra)?;
        let (manifest_src, manifest, catalogs) = sources.take_support(version)?;
        let mut datasets = Vec::new();
        for (d, src) in manifest.datasets.iter().zip(catalogs) {
            datasets.push((
                d.id_prefix.clone(),
                Catalog::parse(&src.text, &src.display)?,
            ));
        }
        let Sources {
            version: files,
            root,
            errors: conflicts,
        } = sources;
        let generic_src = root
            .get(&manifest.generic_examples)
            .ok_or_else(|| LoadError {
                path: manifest_src.display.clone(),
                line: error::line_of_key(&manifest_src.text, "generic_examples", 1),
                message: format!(
                    "generic_examples: rules.d/{} not found",
                    manifest.generic_examples
                ),
            })?;
        let generic = GenericExamples::parse(&generic_src.text, &generic_src.display)?;
        schemas::provide(
            root.iter()
                .filter_map(|(rel, src)| {
                    let name = rel
                        .strip_prefix(schemas::SCHEMA_DIR)?
                        .strip_prefix('/')?
                        .strip_suffix(".json")?;
                    Some((name.to_string(), (src.display.clone(), src.text.clone())))
                })
                .collect(),
        );
        let ctx = load::Context {
            version: version.as_str(),
            datasets: &datasets,
            generic: &generic,
        };
        let mut rules = Vec::new();
        let mut errors = conflicts;
        for (id, src) in files {
            match load::parse_source(&src, &id, &ctx) {
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
                version: version.clone(),
                catalog: datasets[0].1.clone(),
                datasets,
                rules,
                index,
                left_out: HashSet::new(),
            },
            errors,
        })
    }

    /// The catalog of the dataset `rule` belongs to (the first dataset's for attribute rules).
    pub fn catalog_of(&self, rule: &Rule) -> &Catalog {
        rule.dataset
            .as_deref()
            .and_then(|d| self.dataset(d))
            .unwrap_or(&self.catalog)
    }

    /// The dataset a file with these columns is: the one whose catalog names the most of them.
    pub fn detect_dataset(&self, columns: &[String]) -> &Catalog {
        self.datasets
            .iter()
            .map(|(_, c)| c)
            .max_by_key(|c| {
                // On a tie the first dataset (Cost and Usage) wins.
                let n = c
                    .columns
                    .iter()
                    .filter(|d| columns.contains(&d.name))
                    .count();
                (n, c.dataset == self.catalog.dataset)
            })
            .unwrap_or(&self.catalog)
    }

    /// The names of the version's datasets.
    pub fn dataset_names(&self) -> Vec<String> {
        self.datasets
            .iter()
            .map(|(_, c)| c.dataset.clone())
            .collect()
    }

    /// The catalog of the dataset named `name`.
    pub fn dataset(&self, name: &str) -> Option<&Catalog> {
        self.datasets
            .iter()
            .map(|(_, c)| c)
            .find(|c| c.dataset == name)
    }

    /// The rules that apply to the dataset `name`: its own and the attribute rules, with
    /// `catalog` set to its catalog.
    pub fn for_dataset(&self, name: &str) -> Option<RuleSet> {
        let catalog = self.dataset(name)?.clone();
        let mut set = self.clone();
        set.rules
            .retain(|r| r.dataset.as_deref().is_none_or(|d| d == name));
        // Attribute composites keep only the parts about this dataset (none left: skipped).
        let kept: HashSet<String> = set.rules.iter().map(|r| r.id.clone()).collect();
        for r in &mut set.rules {
            if let Check::AllOf(ids) | Check::AnyOf(ids) = &mut r.check {
                ids.retain(|i| kept.contains(i));
            }
            r.depends_on.retain(|i| kept.contains(i));
        }
        set.catalog = catalog;
        set.reindex();
        Some(set)
    }

    fn reindex(&mut self) {
        self.index = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    /// The id nearest to `id`, for "did you mean" hints.
    pub fn closest_id(&self, id: &str) -> Option<&str> {
        self.rules
            .iter()
            .map(|r| (catalog::edit_distance(&r.id, id), r.id.as_str()))
            .min()
            .map(|(_, c)| c)
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
        self.left_out.extend(
            self.rules
                .iter()
                .filter(|r| !keep.contains(&r.id))
                .map(|r| r.id.clone()),
        );
        self.rules.retain(|r| keep.contains(&r.id));
        self.reindex();
    }

    /// Whether `id` is a requirement of this version, selected or left out by `--only`.
    pub fn knows(&self, id: &str) -> bool {
        self.get(id).is_some() || self.left_out.contains(id)
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
            if r.check.is_data_check() && r.removed.is_none() {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The column names of a version's first catalog.
    fn columns_of(version: &str) -> Vec<String> {
        let v = FocusVersion::parse(version).unwrap();
        let mut sources = Sources::gather(&v, None).unwrap();
        let (_, _, catalogs) = sources.take_support(&v).unwrap();
        let cat = Catalog::parse(&catalogs[0].text, &catalogs[0].display).unwrap();
        cat.columns.iter().map(|c| c.name.clone()).collect()
    }

    fn detected(columns: &[String]) -> String {
        detect_version(columns).unwrap().0.to_string()
    }

    #[test]
    fn each_version_is_detected_from_its_own_columns() {
        for v in ["1.2", "1.3", "1.4"] {
            assert_eq!(detected(&columns_of(v)), v);
        }
    }

    #[test]
    fn a_1_3_export_without_provider_and_publisher_reads_as_1_4() {
        let mut cols = columns_of("1.3");
        cols.retain(|c| c != "ProviderName" && c != "PublisherName");
        // Without the columns 1.4 adds too (both conditional): the removed ones decide.
        cols.retain(|c| c != "CommitmentProgramEligibilityDetails" && c != "InvoiceDetailId");
        assert_eq!(detected(&cols), "1.4");
    }

    #[test]
    fn a_file_of_a_few_columns_is_not_judged_by_what_it_lacks() {
        let cols: Vec<String> = ["ServiceProviderName", "HostProviderName", "ContractApplied"]
            .map(String::from)
            .into();
        assert_eq!(detected(&cols), "1.3");
    }
}
