//! Requirements written once and carried into later versions: a rule file of FOCUS 1.2 whose
//! text and check did not change lists the later versions under `carried_into`, and each of them
//! reads it with its ids mapped ([`IdMap`], from the prefixes the manifests declare), against its
//! own catalogs and shared examples, exactly as a copy in its own folder would be read.

use super::version::VersionManifest;

/// The key of a rule file listing the later versions it is carried into.
pub const CARRIED_INTO: &str = "carried_into";

/// How the requirement ids of one version become those of the version that inherits from it,
/// derived from the prefixes the two manifests declare: a dataset requirement takes the later
/// version's prefix of the dataset of the same name (1.2 `BilledCost-C-003-M`, Cost and Usage
/// without a prefix, becomes 1.3 `CAU-BilledCost-C-003-M`), an attribute requirement the later
/// attribute prefix (1.3 `NumericFormat-A-001-M` becomes 1.4 `ATT-NumericFormat-A-001-M`).
/// Anything else is left as written.
#[derive(Debug, Clone, PartialEq)]
pub struct IdMap {
    /// (earlier prefix, later prefix) of each dataset both versions have.
    datasets: Vec<(String, String)>,
    /// (earlier prefix, later prefix) of attribute requirements.
    attributes: (String, String),
}

impl IdMap {
    pub fn between(earlier: &VersionManifest, later: &VersionManifest) -> IdMap {
        IdMap {
            datasets: earlier
                .datasets
                .iter()
                .filter_map(|d| {
                    let to = later.datasets.iter().find(|l| l.name == d.name)?;
                    Some((d.id_prefix.clone(), to.id_prefix.clone()))
                })
                .collect(),
            attributes: (
                earlier.attribute_prefix.clone(),
                later.attribute_prefix.clone(),
            ),
        }
    }

    /// The later version's id of `id`; None when `id` is not a requirement id this map changes.
    pub fn id(&self, id: &str) -> Option<String> {
        let parts = super::load::parse_id(id)?;
        let from = parts.prefix.unwrap_or("");
        let to = if parts.entity_type == super::EntityType::Attribute {
            (self.attributes.0 == from).then_some(&self.attributes.1)?
        } else {
            &self.datasets.iter().find(|(f, _)| f == from)?.1
        };
        let bare = parts.prefix.map_or(id, |p| &id[p.len() + 1..]);
        let mapped = if to.is_empty() {
            bare.to_string()
        } else {
            format!("{to}-{bare}")
        };
        (mapped != id).then_some(mapped)
    }

    /// `text` with every requirement id in it mapped (ids are the runs of letters, digits,
    /// `_` and `-` that [`parse_id`](super::load::parse_id) accepts whole).
    pub fn text(&self, text: &str) -> String {
        let is_token = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let mut out = String::with_capacity(text.len() + 64);
        let mut rest = text;
        while let Some(start) = rest.find(is_token) {
            out.push_str(&rest[..start]);
            let run = &rest[start..];
            let end = run.find(|c: char| !is_token(c)).unwrap_or(run.len());
            let token = &run[..end];
            match self.id(token) {
                Some(mapped) => out.push_str(&mapped),
                None => out.push_str(token),
            }
            rest = &run[end..];
        }
        out.push_str(rest);
        out
    }
}

/// The versions a rule file's `carried_into` lists (empty without the key, or when it does not
/// parse: the rule's own load reports that, with the line).
pub fn carried_into(text: &str) -> Vec<String> {
    let Some((start, end)) = key_lines(text) else {
        return Vec::new();
    };
    let block: String = text
        .lines()
        .skip(start)
        .take(end - start)
        .collect::<Vec<_>>()
        .join("\n");
    #[derive(serde::Deserialize)]
    struct Key {
        carried_into: Vec<String>,
    }
    serde_yaml::from_str::<Key>(&block)
        .map(|k| k.carried_into)
        .unwrap_or_default()
}

/// `text` without its `carried_into` key: what two files must share to be the same requirement.
pub fn without_carried_into(text: &str) -> String {
    let Some((start, end)) = key_lines(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i < start || i >= end {
            out.push_str(line);
        }
    }
    out
}

/// The 0-based lines [start, end) of the top-level `carried_into` key and its value.
fn key_lines(text: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| {
        l.strip_prefix(CARRIED_INTO)
            .is_some_and(|r| r.trim_start().starts_with(':'))
    })?;
    let end = start
        + 1
        + lines[start + 1..]
            .iter()
            .take_while(|l| l.starts_with(' ') || l.starts_with('-'))
            .count();
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn manifest(text: &str) -> VersionManifest {
        VersionManifest::parse(text, Path::new("version.yaml")).unwrap()
    }

    #[test]
    fn ids_map_by_dataset_name_and_attribute_prefix() {
        let v12 = manifest("focus_version: \"1.2\"\ndatasets:\n  - { name: CostAndUsage, catalog: c.yaml }\ngeneric_examples: g.yaml\n");
        let v13 = manifest("focus_version: \"1.3\"\ninherits: \"1.2\"\ndatasets:\n  - { name: CostAndUsage, catalog: c.yaml, id_prefix: CAU }\n  - { name: ContractCommitment, catalog: k.yaml, id_prefix: CCT }\ngeneric_examples: g.yaml\n");
        let v14 = manifest("focus_version: \"1.4\"\ninherits: \"1.3\"\nattribute_prefix: ATT\ndatasets:\n  - { name: CostAndUsage, catalog: c.yaml, id_prefix: CAU }\n  - { name: ContractCommitment, catalog: k.yaml, id_prefix: CCT }\ngeneric_examples: g.yaml\n");
        let m = IdMap::between(&v12, &v13);
        assert_eq!(
            m.id("BilledCost-C-003-M").as_deref(),
            Some("CAU-BilledCost-C-003-M")
        );
        assert_eq!(
            m.id("CostAndUsage-D-001-M").as_deref(),
            Some("CAU-CostAndUsage-D-001-M")
        );
        assert_eq!(
            m.id("NumericFormat-A-001-M"),
            None,
            "1.3 attributes keep no prefix"
        );
        let m = IdMap::between(&v13, &v14);
        assert_eq!(
            m.id("NumericFormat-A-001-M").as_deref(),
            Some("ATT-NumericFormat-A-001-M")
        );
        assert_eq!(m.id("CCT-ContractId-C-001-M"), None);
        assert_eq!(
            m.id("BilledCost-C-003-M"),
            None,
            "1.3 has no unprefixed dataset"
        );
        assert_eq!(
            m.text("all_of: [CAU-X-C-001-M, NullHandling-A-002-M]\nnote: see `NullHandling-A-002-M`, x_NullHandling-A-002-M.\n"),
            "all_of: [CAU-X-C-001-M, ATT-NullHandling-A-002-M]\nnote: see `ATT-NullHandling-A-002-M`, x_NullHandling-A-002-M.\n"
        );
    }

    #[test]
    fn the_key_is_read_and_left_out_in_flow_and_block_style() {
        let flow = "# c\nid: X-C-001-M\ncarried_into: [\"1.3\", \"1.4\"]\nkeyword: MUST\n";
        assert_eq!(
            carried_into(flow),
            vec!["1.3".to_string(), "1.4".to_string()]
        );
        assert_eq!(
            without_carried_into(flow),
            "# c\nid: X-C-001-M\nkeyword: MUST\n"
        );
        let block = "id: X-C-001-M\ncarried_into:\n  - \"1.3\"\nkeyword: MUST\n";
        assert_eq!(carried_into(block), vec!["1.3".to_string()]);
        assert_eq!(
            without_carried_into(block),
            "id: X-C-001-M\nkeyword: MUST\n"
        );
        let none = "id: X-C-001-M\nnote: carried_into is a key\n";
        assert!(carried_into(none).is_empty());
        assert_eq!(without_carried_into(none), none);
    }
}
