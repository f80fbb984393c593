//! Comparing a run with the baseline: what regressed, improved or otherwise changed.

use super::baseline::{Baseline, DatasetState, RuleState};
use crate::check::outcome::Status;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A requirement newly fails or errors, or a dataset can no longer be read.
    Regression,
    /// A requirement that failed or errored no longer does, or a dataset can be read again.
    Improvement,
    /// Still failing, with a different number of violations.
    CountChanged,
    /// Any other change of status (e.g. pass to skip, needs evidence to pass).
    StatusChanged,
    /// The dataset has a different number of rows than when the baseline was written (its
    /// files changed): the changes above may come from the data rather than the rules.
    RowsChanged,
    RuleAdded,
    RuleRemoved,
    DatasetAdded,
    DatasetRemoved,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Regression => "regression",
            ChangeKind::Improvement => "improvement",
            ChangeKind::CountChanged => "count changed",
            ChangeKind::StatusChanged => "status changed",
            ChangeKind::RowsChanged => "rows changed",
            ChangeKind::RuleAdded => "rule added",
            ChangeKind::RuleRemoved => "rule removed",
            ChangeKind::DatasetAdded => "dataset added",
            ChangeKind::DatasetRemoved => "dataset removed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub dataset: String,
    /// The requirement, or None for a change of the dataset as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub before: String,
    pub after: String,
    /// For a composite requirement: the changed requirement it includes or depends on that
    /// explains this change (the root cause is reported on its own line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

fn show(r: Option<&RuleState>) -> String {
    match r {
        None => "-".into(),
        Some(r) if r.status == Status::Fail => format!("fail ({})", r.violations),
        Some(r) => r.status.as_str().into(),
    }
}

fn show_dataset(d: Option<&DatasetState>) -> String {
    match d {
        None => "-".into(),
        Some(d) if !d.readable => "unreadable".into(),
        Some(d) => format!("{} rules", d.rules.len()),
    }
}

fn classify(before: RuleState, after: RuleState) -> Option<ChangeKind> {
    use Status::*;
    if before == after {
        return None;
    }
    Some(match (before.status, after.status) {
        (b, Fail) if b != Fail => ChangeKind::Regression,
        (b, Error) if b != Error => ChangeKind::Regression,
        (Fail, Fail) => ChangeKind::CountChanged,
        (Fail | Error, _) => ChangeKind::Improvement,
        _ => ChangeKind::StatusChanged,
    })
}

/// Every difference between `before` and `after`, sorted by kind, dataset and rule. `links`
/// gives each requirement's composite children and dependencies: a change to a requirement
/// whose linked requirement changed on the same dataset is marked as following from it.
pub fn compare(
    before: &Baseline,
    after: &Baseline,
    links: &BTreeMap<String, Vec<String>>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> = before
        .datasets
        .keys()
        .chain(after.datasets.keys())
        .collect();
    for name in names {
        let (b, a) = (before.datasets.get(name), after.datasets.get(name));
        let whole = |kind| Change {
            kind,
            dataset: name.clone(),
            rule: None,
            before: show_dataset(b),
            after: show_dataset(a),
            via: None,
        };
        match (b, a) {
            (None, Some(_)) => out.push(whole(ChangeKind::DatasetAdded)),
            (Some(_), None) => out.push(whole(ChangeKind::DatasetRemoved)),
            (Some(b), Some(a)) if b.readable && !a.readable => {
                out.push(whole(ChangeKind::Regression))
            }
            (Some(b), Some(a)) if !b.readable && a.readable => {
                out.push(whole(ChangeKind::Improvement))
            }
            (Some(b), Some(a)) if b.readable && a.readable => {
                if let (Some(rb), Some(ra)) = (b.rows, a.rows) {
                    if rb != ra {
                        out.push(Change {
                            before: format!("{rb} rows"),
                            after: format!("{ra} rows"),
                            ..whole(ChangeKind::RowsChanged)
                        });
                    }
                }
                let ids: std::collections::BTreeSet<&String> =
                    b.rules.keys().chain(a.rules.keys()).collect();
                for id in ids {
                    let (rb, ra) = (b.rules.get(id), a.rules.get(id));
                    let kind = match (rb, ra) {
                        (None, Some(_)) => Some(ChangeKind::RuleAdded),
                        (Some(_), None) => Some(ChangeKind::RuleRemoved),
                        (Some(x), Some(y)) => classify(*x, *y),
                        (None, None) => None,
                    };
                    if let Some(kind) = kind {
                        out.push(Change {
                            kind,
                            dataset: name.clone(),
                            rule: Some(id.clone()),
                            before: show(rb),
                            after: show(ra),
                            via: None,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    let changed: std::collections::BTreeSet<(String, String)> = out
        .iter()
        .filter_map(|c| Some((c.dataset.clone(), c.rule.clone()?)))
        .collect();
    for c in &mut out {
        let Some(rule) = &c.rule else { continue };
        c.via = links
            .get(rule)
            .and_then(|ls| {
                ls.iter()
                    .find(|l| changed.contains(&(c.dataset.clone(), (*l).clone())))
            })
            .cloned();
    }
    // Root causes first within each kind, then what follows from them.
    out.sort_by(|x, y| {
        (x.kind, x.via.is_some(), &x.dataset, &x.rule).cmp(&(
            y.kind,
            y.via.is_some(),
            &y.dataset,
            &y.rule,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(status: Status, violations: u64) -> RuleState {
        RuleState { status, violations }
    }

    fn ds(rules: &[(&str, RuleState)]) -> DatasetState {
        DatasetState {
            readable: true,
            rows: Some(1),
            conformant: Some(true),
            rules: rules.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    impl DatasetState {
        fn with_rows(self, rows: u64) -> Self {
            DatasetState {
                rows: Some(rows),
                ..self
            }
        }
    }

    #[test]
    fn changes_are_classified() {
        use Status::*;
        let before = Baseline::new(BTreeMap::from([
            (
                "d".to_string(),
                ds(&[
                    ("newfail", st(Pass, 0)),
                    ("fixed", st(Fail, 2)),
                    ("more", st(Fail, 2)),
                    ("same", st(Fail, 2)),
                    ("skipped", st(Pass, 0)),
                    ("erring", st(NeedsEvidence, 0)),
                    ("gone", st(Pass, 0)),
                ]),
            ),
            ("lost".to_string(), ds(&[])),
            (
                "back".to_string(),
                DatasetState {
                    readable: false,
                    ..Default::default()
                },
            ),
            ("old".to_string(), ds(&[])),
        ]));
        let after = Baseline::new(BTreeMap::from([
            (
                "d".to_string(),
                ds(&[
                    ("newfail", st(Fail, 1)),
                    ("fixed", st(Pass, 0)),
                    ("more", st(Fail, 5)),
                    ("same", st(Fail, 2)),
                    ("skipped", st(Skip, 0)),
                    ("erring", st(Error, 0)),
                    ("new", st(Pass, 0)),
                ])
                .with_rows(2),
            ),
            (
                "lost".to_string(),
                DatasetState {
                    readable: false,
                    ..Default::default()
                },
            ),
            ("back".to_string(), ds(&[])),
            ("fresh".to_string(), ds(&[])),
        ]));
        let got: Vec<(ChangeKind, String, Option<String>)> =
            compare(&before, &after, &BTreeMap::new())
                .into_iter()
                .map(|c| (c.kind, c.dataset, c.rule))
                .collect();
        let r = |k, d: &str, id: Option<&str>| (k, d.to_string(), id.map(str::to_string));
        assert_eq!(
            got,
            vec![
                r(ChangeKind::Regression, "d", Some("erring")),
                r(ChangeKind::Regression, "d", Some("newfail")),
                r(ChangeKind::Regression, "lost", None),
                r(ChangeKind::Improvement, "back", None),
                r(ChangeKind::Improvement, "d", Some("fixed")),
                r(ChangeKind::CountChanged, "d", Some("more")),
                r(ChangeKind::StatusChanged, "d", Some("skipped")),
                r(ChangeKind::RowsChanged, "d", None),
                r(ChangeKind::RuleAdded, "d", Some("new")),
                r(ChangeKind::RuleRemoved, "d", Some("gone")),
                r(ChangeKind::DatasetAdded, "fresh", None),
                r(ChangeKind::DatasetRemoved, "old", None),
            ]
        );
    }

    #[test]
    fn a_composite_change_follows_from_its_changed_child() {
        use Status::*;
        let before = Baseline::new(BTreeMap::from([(
            "d".to_string(),
            ds(&[
                ("parent", st(Pass, 0)),
                ("child", st(Pass, 0)),
                ("other", st(Pass, 0)),
            ]),
        )]));
        let after = Baseline::new(BTreeMap::from([(
            "d".to_string(),
            ds(&[
                ("parent", st(Fail, 1)),
                ("child", st(Fail, 4)),
                ("other", st(Fail, 1)),
            ]),
        )]));
        let links = BTreeMap::from([("parent".to_string(), vec!["child".to_string()])]);
        let got: Vec<(Option<String>, Option<String>)> = compare(&before, &after, &links)
            .into_iter()
            .map(|c| (c.rule, c.via))
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            vec![
                (s("child"), None),
                (s("other"), None),
                (s("parent"), s("child"))
            ]
        );
    }
}
