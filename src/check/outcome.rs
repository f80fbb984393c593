//! What evaluating one rule produced: a status, a violation count, a reason, sample rows.

use crate::engine::Sample;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Skip,
    NeedsEvidence,
    Error,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pass,
        Status::Fail,
        Status::Skip,
        Status::NeedsEvidence,
        Status::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::NeedsEvidence => "needs_evidence",
            Status::Error => "error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub status: Status,
    pub violations: u64,
    /// Why a rule was skipped, needs evidence, or errored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A few offending rows of a failing rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    /// What the user should know beside the status: a query across two datasets that found no
    /// key of one in the other compared nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A skip because an applicability criterion is not declared: such a skip stands even when
    /// the rule's dependencies did not pass.
    #[serde(skip)]
    pub not_applicable: bool,
}

impl Outcome {
    pub fn pass() -> Outcome {
        Outcome {
            status: Status::Pass,
            violations: 0,
            reason: None,
            sample: None,
            note: None,
            not_applicable: false,
        }
    }
    pub fn fail(violations: u64, sample: Option<Sample>) -> Outcome {
        Outcome {
            status: Status::Fail,
            violations,
            reason: None,
            sample,
            note: None,
            not_applicable: false,
        }
    }
    pub fn with(status: Status, reason: impl Into<String>) -> Outcome {
        Outcome {
            status,
            violations: 0,
            reason: Some(reason.into()),
            sample: None,
            note: None,
            not_applicable: false,
        }
    }
    /// Skipped because the criteria named in `missing` are not declared.
    pub fn not_applicable(missing: &[&str]) -> Outcome {
        Outcome {
            not_applicable: true,
            ..Outcome::with(
                Status::Skip,
                format!("not applicable: {} not declared", missing.join(", ")),
            )
        }
    }

    pub fn counted(violations: u64, sample: Option<Sample>) -> Outcome {
        if violations == 0 {
            Outcome::pass()
        } else {
            Outcome::fail(violations, sample)
        }
    }
}
