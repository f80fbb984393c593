//! `focus-sql rules sync --model FILE.json`: compare the rule set with a FOCUS requirements-model
//! JSON (its `ModelRules` object) and list the drift: ids on one side only, keyword changes,
//! requirement text changes.

use crate::rules::{Keyword, RuleSet};
use anyhow::{anyhow, Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Default)]
pub struct Drift {
    /// In the model, no rule.
    pub missing: Vec<String>,
    /// A rule, not in the model.
    pub extra: Vec<String>,
    /// (id, ours, model's)
    pub keyword: Vec<(String, String, String)>,
    /// (id, ours, model's)
    pub text: Vec<(String, String, String)>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.extra.is_empty()
            && self.keyword.is_empty()
            && self.text.is_empty()
    }
}

/// Whitespace-collapsed, without the trailing punctuation the rules normalise (":" -> ".").
fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['.', ':'])
        .to_string()
}

/// (keyword, text) of every model rule.
pub fn read_model(path: &Path) -> Result<BTreeMap<String, (String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}:{}: not JSON: {e}", path.display(), e.line()))?;
    let rules = json
        .get("ModelRules")
        .and_then(|r| r.as_object())
        .ok_or_else(|| anyhow!("{}: no `ModelRules` object", path.display()))?;
    let mut out = BTreeMap::new();
    for (id, r) in rules {
        let vc = &r["ValidationCriteria"];
        let kw = vc["Keyword"].as_str().unwrap_or("").to_string();
        let text = vc["MustSatisfy"].as_str().unwrap_or("").to_string();
        out.insert(id.clone(), (kw, text));
    }
    Ok(out)
}

pub fn compare(set: &RuleSet, model: &BTreeMap<String, (String, String)>) -> Drift {
    let mut d = Drift::default();
    for (id, (kw, text)) in model {
        match set.get(id) {
            None => d.missing.push(id.clone()),
            Some(r) => {
                if Keyword::parse(kw) != Some(r.keyword) {
                    d.keyword
                        .push((id.clone(), r.keyword.to_string(), kw.clone()));
                }
                if norm(&r.requirement) != norm(text) {
                    d.text
                        .push((id.clone(), r.requirement.clone(), text.clone()));
                }
            }
        }
    }
    d.extra = set
        .rules
        .iter()
        .filter(|r| !model.contains_key(&r.id))
        .map(|r| r.id.clone())
        .collect();
    d
}

pub fn render(d: &Drift, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    for id in &d.missing {
        writeln!(w, "missing  {id}: in the model, no rule")?;
    }
    for id in &d.extra {
        writeln!(w, "extra    {id}: a rule the model does not define")?;
    }
    for (id, ours, theirs) in &d.keyword {
        writeln!(w, "keyword  {id}: rule says {ours}, model says {theirs}")?;
    }
    for (id, ours, theirs) in &d.text {
        writeln!(w, "text     {id}:\n    rule:  {ours}\n    model: {theirs}")?;
    }
    writeln!(
        w,
        "{} missing, {} extra, {} keyword change(s), {} text change(s)",
        d.missing.len(),
        d.extra.len(),
        d.keyword.len(),
        d.text.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_comparison_ignores_layout_and_final_colon() {
        assert_eq!(
            norm("The X column adheres to the\n following requirements:"),
            norm("The X column adheres to the following requirements.")
        );
        assert_ne!(norm("X MUST be null."), norm("X MUST NOT be null."));
    }
}
