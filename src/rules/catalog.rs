//! The FOCUS column catalog of one version: each column's data type, feature level and
//! nullability, read from `rules.d/focus-X.Y/columns.yaml`.

use super::error::{line_of_key, LoadError};
use super::model::{FocusType, ValueFormat};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureLevel {
    Mandatory,
    Conditional,
    Recommended,
    Optional,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: FocusType,
    pub level: FeatureLevel,
    pub nullable: bool,
    /// The value format its values follow (NumericFormat, DateTimeFormat…), if any.
    pub format: Option<ValueFormat>,
    /// The FOCUS version that introduced it, where later than 1.0.
    pub since: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub version: String,
    pub dataset: String,
    pub columns: Vec<ColumnDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    version: String,
    dataset: String,
    columns: Vec<RawColumn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    level: FeatureLevel,
    nullable: bool,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    since: Option<String>,
}

impl Catalog {
    pub fn parse(text: &str, path: &Path) -> Result<Catalog, LoadError> {
        let raw: RawCatalog = serde_yaml::from_str(text).map_err(|e| LoadError::yaml(path, &e))?;
        let mut columns = Vec::new();
        for c in raw.columns {
            // Errors point at the column's own line.
            let at = |message: String| LoadError {
                path: path.to_path_buf(),
                line: text
                    .lines()
                    .position(|l| l.contains(&format!("name: {},", c.name)))
                    .map(|i| i + 1)
                    .or_else(|| line_of_key(text, "columns", 1)),
                message: format!("column {}: {message}", c.name),
            };
            let ty = FocusType::parse_as(&c.ty, "type").map_err(at)?;
            let format = match &c.format {
                None => None,
                Some(f) => Some(ValueFormat::parse_as(f, "format").map_err(at)?),
            };
            columns.push(ColumnDef {
                name: c.name,
                ty,
                level: c.level,
                nullable: c.nullable,
                format,
                since: c.since,
            });
        }
        Ok(Catalog {
            version: raw.version,
            dataset: raw.dataset,
            columns,
        })
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns by name, for looking up every column of a wide file (the first definition
    /// of a name, as [`Catalog::column`] finds it).
    pub fn by_name(&self) -> std::collections::HashMap<&str, &ColumnDef> {
        let mut map = std::collections::HashMap::with_capacity(self.columns.len());
        for c in &self.columns {
            map.entry(c.name.as_str()).or_insert(c);
        }
        map
    }

    /// The closest catalog column name to `name` (for "did you mean" hints).
    pub fn closest(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        self.columns
            .iter()
            .map(|c| {
                (
                    edit_distance(&lower, &c.name.to_ascii_lowercase()),
                    c.name.as_str(),
                )
            })
            .filter(|(d, _)| *d <= 3.max(name.len() / 3))
            .min()
            .map(|(_, n)| n)
    }
}

/// Levenshtein distance, for suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
