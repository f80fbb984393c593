//! The scorecard: outcomes of every rule gathered into a report with totals by status,
//! keyword and column, rendered as a table, JSON or JUnit XML.

pub mod junit;
pub mod table;

use crate::check::outcome::{Outcome, Status};
use crate::engine::input::InputFormat;
use crate::engine::Sample;
use crate::rules::{EntityType, Function, Keyword, RuleSet, RuleType};
use serde::Serialize;
use std::collections::BTreeMap;

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Junit,
}

/// Outcome counts per status.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub pass: u64,
    pub fail: u64,
    pub skip: u64,
    pub needs_evidence: u64,
    pub error: u64,
    pub total: u64,
}

impl Counts {
    pub fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Skip => self.skip += 1,
            Status::NeedsEvidence => self.needs_evidence += 1,
            Status::Error => self.error += 1,
        }
        self.total += 1;
    }
    pub fn get(&self, s: Status) -> u64 {
        match s {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Skip => self.skip,
            Status::NeedsEvidence => self.needs_evidence,
            Status::Error => self.error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// No MUST / MUST NOT requirement failed.
    pub conformant: bool,
    pub mandatory_failures: u64,
    pub totals: Counts,
    /// Serialized in the order of the keywords' text, as a JSON object.
    #[serde(serialize_with = "by_keyword_text")]
    pub by_keyword: BTreeMap<Keyword, Counts>,
    pub by_entity: BTreeMap<String, Counts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleEntry {
    pub id: String,
    pub status: Status,
    pub keyword: Keyword,
    pub entity: String,
    pub entity_type: EntityType,
    pub function: Function,
    #[serde(rename = "type")]
    pub rule_type: RuleType,
    pub requirement: String,
    pub violations: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    /// What the outcome does not say by itself (a cross-dataset query that compared nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetInfo {
    /// The FOCUS dataset validated (CostAndUsage, ContractCommitment, ...).
    pub name: String,
    pub paths: Vec<String>,
    pub format: InputFormat,
    pub rows: u64,
    pub columns: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub tool: String,
    pub focus_version: String,
    pub dataset: DatasetInfo,
    pub applicability: String,
    pub summary: Summary,
    pub rules: Vec<RuleEntry>,
}

impl Report {
    pub fn build(
        set: &RuleSet,
        outcomes: &BTreeMap<String, Outcome>,
        dataset: DatasetInfo,
        applicability: String,
    ) -> Report {
        let mut totals = Counts::default();
        let mut by_keyword: BTreeMap<Keyword, Counts> = BTreeMap::new();
        let mut by_entity: BTreeMap<String, Counts> = BTreeMap::new();
        let mut rules = Vec::new();
        let mut mandatory_failures = 0;
        for rule in &set.rules {
            let Some(o) = outcomes.get(&rule.id) else {
                continue;
            };
            totals.add(o.status);
            by_keyword.entry(rule.keyword).or_default().add(o.status);
            by_entity
                .entry(rule.entity.clone())
                .or_default()
                .add(o.status);
            if o.status == Status::Fail && rule.keyword.is_mandatory() {
                mandatory_failures += 1;
            }
            rules.push(RuleEntry {
                id: rule.id.clone(),
                status: o.status,
                keyword: rule.keyword,
                entity: rule.entity.clone(),
                entity_type: rule.entity_type,
                function: rule.function,
                rule_type: rule.rule_type,
                requirement: rule.requirement.clone(),
                violations: o.violations,
                reason: o.reason.clone(),
                sample: o.sample.clone(),
                note: o.note.clone(),
            });
        }
        Report {
            tool: format!("focus-sql {}", env!("CARGO_PKG_VERSION")),
            focus_version: set.version.to_string(),
            dataset,
            applicability,
            summary: Summary {
                conformant: mandatory_failures == 0,
                mandatory_failures,
                totals,
                by_keyword,
                by_entity,
            },
            rules,
        }
    }
}

/// The keyword counts as a JSON object ordered by the keywords' text (MAY, MUST, MUST NOT, …).
fn by_keyword_text<S: serde::Serializer>(
    map: &BTreeMap<Keyword, Counts>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let sorted: BTreeMap<&str, &Counts> = map.iter().map(|(k, c)| (k.as_str(), c)).collect();
    sorted.serialize(serializer)
}
