//! The baseline: each dataset's outcome per requirement, as stable, sorted JSON with one
//! requirement per line, so that its diff in a pull request reads as the list of changes.

use crate::check::outcome::Status;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub const FORMAT: &str = "focus-sql regress baseline 1";

/// One requirement's result on one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleState {
    pub status: Status,
    pub violations: u64,
}

/// One dataset's results. An unreadable dataset has `readable: false` and nothing else.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetState {
    pub readable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conformant: Option<bool>,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleState>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub format: String,
    pub datasets: BTreeMap<String, DatasetState>,
}

impl Baseline {
    pub fn new(datasets: BTreeMap<String, DatasetState>) -> Baseline {
        Baseline {
            format: FORMAT.into(),
            datasets,
        }
    }

    pub fn read(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the baseline", path.display()))?;
        let b: Baseline = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
        if b.format != FORMAT {
            anyhow::bail!(
                "{}: not a baseline of this tool (format `{}`, expected `{FORMAT}`)",
                path.display(),
                b.format
            );
        }
        Ok(b)
    }

    /// The stable text form: keys sorted, two-space indent, one requirement per line.
    pub fn write(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let s = |v: &str| serde_json::to_string(v).expect("a string serializes");
        writeln!(w, "{{")?;
        writeln!(w, "  \"format\": {},", s(&self.format))?;
        writeln!(w, "  \"datasets\": {{")?;
        let n = self.datasets.len();
        for (i, (name, d)) in self.datasets.iter().enumerate() {
            writeln!(w, "    {}: {{", s(name))?;
            let mut fields = vec![format!("\"readable\": {}", d.readable)];
            if let Some(r) = d.rows {
                fields.push(format!("\"rows\": {r}"));
            }
            if let Some(c) = d.conformant {
                fields.push(format!("\"conformant\": {c}"));
            }
            for f in &fields {
                writeln!(w, "      {f},")?;
            }
            if d.rules.is_empty() {
                writeln!(w, "      \"rules\": {{}}")?;
            } else {
                writeln!(w, "      \"rules\": {{")?;
                let m = d.rules.len();
                for (j, (id, r)) in d.rules.iter().enumerate() {
                    let comma = if j + 1 < m { "," } else { "" };
                    writeln!(
                        w,
                        "        {}: {{\"status\": {}, \"violations\": {}}}{comma}",
                        s(id),
                        s(r.status.as_str()),
                        r.violations
                    )?;
                }
                writeln!(w, "      }}")?;
            }
            writeln!(w, "    }}{}", if i + 1 < n { "," } else { "" })?;
        }
        writeln!(w, "  }}")?;
        writeln!(w, "}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_reads_back_and_is_stable() {
        let mut rules = BTreeMap::new();
        rules.insert(
            "B-1".to_string(),
            RuleState {
                status: Status::Fail,
                violations: 3,
            },
        );
        rules.insert(
            "A-1".to_string(),
            RuleState {
                status: Status::Pass,
                violations: 0,
            },
        );
        let mut datasets = BTreeMap::new();
        datasets.insert(
            "z".to_string(),
            DatasetState {
                readable: false,
                ..Default::default()
            },
        );
        datasets.insert(
            "a \"q\"".to_string(),
            DatasetState {
                readable: true,
                rows: Some(37),
                conformant: Some(false),
                rules,
            },
        );
        let b = Baseline::new(datasets);
        let mut text = Vec::new();
        b.write(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        let back: Baseline = serde_json::from_str(&text).unwrap();
        assert_eq!(back, b);
        let a = text.find("\"A-1\"").unwrap();
        assert!(a < text.find("\"B-1\"").unwrap(), "sorted:\n{text}");
        assert!(
            text.contains("        \"B-1\": {\"status\": \"fail\", \"violations\": 3}\n"),
            "{text}"
        );
        let mut again = Vec::new();
        back.write(&mut again).unwrap();
        assert_eq!(String::from_utf8(again).unwrap(), text);
    }
}
