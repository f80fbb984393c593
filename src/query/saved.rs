//! Saved queries (`queries/*.sql`): a header of `-- key: value` lines (title, description, and
//! `param: name = default` for each parameter), then one SQL query that writes `{{name}}` where a
//! parameter goes. Parameters are substituted as SQL literals: numbers as written, anything else
//! as a quoted string, so a value can never change the shape of the query.

use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct SavedQuery {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Parameters in header order, with their defaults.
    pub params: Vec<(String, Option<String>)>,
    /// The FOCUS version whose columns the query reads (`-- focus: 1.3`; default any).
    pub focus: Option<String>,
    /// Tables it reads beside CostAndUsage (`-- tables: ContractCommitment`), given with
    /// `--table NAME=PATH`.
    pub tables: Vec<String>,
    pub sql: String,
}

impl SavedQuery {
    pub fn parse(name: &str, text: &str) -> Result<SavedQuery> {
        let mut q = SavedQuery {
            name: name.to_string(),
            title: String::new(),
            description: String::new(),
            params: Vec::new(),
            focus: None,
            tables: Vec::new(),
            sql: String::new(),
        };
        let mut body = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let header = body
                .is_empty()
                .then(|| line.trim().strip_prefix("--"))
                .flatten();
            match header.and_then(|h| h.split_once(':')) {
                Some((key, value)) => {
                    let value = value.trim().to_string();
                    match key.trim() {
                        "title" => q.title = value,
                        "description" => q.description = value,
                        "focus" => q.focus = Some(value),
                        "tables" => {
                            q.tables = value
                                .split(',')
                                .map(|t| t.trim().to_string())
                                .filter(|t| !t.is_empty())
                                .collect()
                        }
                        "param" => {
                            let (p, default) = match value.split_once('=') {
                                Some((p, d)) => (p.trim().to_string(), Some(d.trim().to_string())),
                                None => (value.clone(), None),
                            };
                            if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                                bail!("{name}.sql:{}: a parameter name is letters, digits and _", i + 1);
                            }
                            q.params.push((p, default));
                        }
                        other => bail!("{name}.sql:{}: unknown header `{other}` (expected title, description, param, focus, tables)", i + 1),
                    }
                }
                None => body.push(line),
            }
        }
        q.sql = body.join("\n").trim().trim_end_matches(';').to_string();
        if q.title.is_empty() {
            bail!("{name}.sql: missing `-- title:` header");
        }
        if q.sql.is_empty() {
            bail!("{name}.sql: no SQL after the header");
        }
        for p in placeholders(&q.sql) {
            if !q.params.iter().any(|(n, _)| *n == p) {
                bail!("{name}.sql: {{{{{p}}}}} is used but not declared with `-- param: {p}`");
            }
        }
        Ok(q)
    }

    /// The SQL with every `{{name}}` replaced by the given value or the default.
    pub fn bind(&self, values: &BTreeMap<String, String>) -> Result<String> {
        if let Some(unknown) = values
            .keys()
            .find(|k| !self.params.iter().any(|(n, _)| n == *k))
        {
            bail!(
                "{} has no parameter `{unknown}` (its parameters: {})",
                self.name,
                self.param_list()
            );
        }
        let mut sql = self.sql.clone();
        for (name, default) in &self.params {
            let value = values
                .get(name)
                .or(default.as_ref())
                .ok_or_else(|| anyhow!("{} needs --param {name}=VALUE", self.name))?;
            sql = sql.replace(&format!("{{{{{name}}}}}"), &literal(value));
        }
        Ok(sql)
    }

    pub fn param_list(&self) -> String {
        if self.params.is_empty() {
            return "none".into();
        }
        self.params
            .iter()
            .map(|(n, d)| match d {
                Some(d) => format!("{n}={d}"),
                None => n.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn placeholders(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        match after.find("}}") {
            Some(j) => {
                out.push(after[..j].trim().to_string());
                rest = &after[j + 2..];
            }
            None => break,
        }
    }
    out
}

/// A SQL literal for a parameter value: a plain number as written, otherwise a quoted string.
pub fn literal(value: &str) -> String {
    let numeric = !value.is_empty()
        && value.parse::<f64>().is_ok_and(f64::is_finite)
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E'));
    if numeric {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// The saved queries: embedded ones, overridden or extended by `dir/*.sql` when given.
pub fn load(dir: Option<&Path>) -> Result<Vec<SavedQuery>> {
    let mut by_name: BTreeMap<String, SavedQuery> = BTreeMap::new();
    for (name, text) in crate::rules::embedded_queries() {
        by_name.insert(name.to_string(), SavedQuery::parse(name, text)?);
    }
    if let Some(dir) = dir {
        let rd = std::fs::read_dir(dir).map_err(|e| anyhow!("{}: {e}", dir.display()))?;
        for entry in rd.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "sql") {
                let name = path.file_stem().unwrap().to_string_lossy().to_string();
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow!("{}: {e}", path.display()))?;
                by_name.insert(name.clone(), SavedQuery::parse(&name, &text)?);
            }
        }
    }
    Ok(by_name.into_values().collect())
}

pub fn find<'a>(queries: &'a [SavedQuery], name: &str) -> Result<&'a SavedQuery> {
    queries.iter().find(|q| q.name == name).ok_or_else(|| {
        let names: Vec<&str> = queries.iter().map(|q| q.name.as_str()).collect();
        anyhow!(
            "no saved query `{name}` (saved queries: {})",
            names.join(", ")
        )
    })
}

/// The library as a table: name, title, parameters, description.
pub fn list_table(all: &[SavedQuery]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["name", "title", "parameters", "description"]);
    for q in all {
        t.add_row([
            q.name.clone(),
            q.title.clone(),
            q.param_list(),
            q.description.clone(),
        ]);
    }
    t.to_string()
}

impl std::fmt::Display for SavedQuery {
    /// Title, description, parameters and SQL, as `queries show` prints them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}\n{}\nparameters: {}\n\n{}",
            self.name,
            self.title,
            self.description,
            self.param_list(),
            self.sql
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = "-- title: T\n-- description: D\n-- param: limit = 5\n-- param: key\nSELECT {{key}} AS k LIMIT {{limit}};\n";

    #[test]
    fn header_and_binding() {
        let q = SavedQuery::parse("t", Q).unwrap();
        assert_eq!(
            q.params,
            vec![
                ("limit".to_string(), Some("5".to_string())),
                ("key".to_string(), None)
            ]
        );
        let mut v = BTreeMap::new();
        assert!(q.bind(&v).unwrap_err().to_string().contains("--param key"));
        v.insert("key".into(), "it's".into());
        assert_eq!(q.bind(&v).unwrap(), "SELECT 'it''s' AS k LIMIT 5");
        v.insert("limit".into(), "1; DROP TABLE x".into());
        assert_eq!(
            q.bind(&v).unwrap(),
            "SELECT 'it''s' AS k LIMIT '1; DROP TABLE x'"
        );
        v.insert("nope".into(), "1".into());
        assert!(q.bind(&v).is_err());
    }

    #[test]
    fn undeclared_placeholders_and_unknown_headers_are_errors() {
        assert!(SavedQuery::parse("t", "-- title: T\nSELECT {{x}}").is_err());
        assert!(SavedQuery::parse("t", "-- title: T\n-- owner: me\nSELECT 1").is_err());
        assert!(SavedQuery::parse("t", "SELECT 1").is_err());
    }

    #[test]
    fn every_bundled_query_parses() {
        let all = load(None).unwrap();
        assert!(all.len() >= 10, "{}", all.len());
    }
}
