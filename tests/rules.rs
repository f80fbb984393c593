//! The embedded rule sets as a whole, for every FOCUS version: each loads cleanly, covers every
//! requirement id of its version with the model's keyword, is structurally sound, passes the
//! rule schema and lint, and every rule passes its own examples (run once here).

use focus_sql::rules::{FocusVersion, Keyword, RuleSet};

/// (version, its ids file, how many ids)
const VERSIONS: [(&str, &str, usize); 3] = [
    ("1.2", include_str!("focus-1.2-ids.tsv"), 621),
    ("1.3", include_str!("focus-1.3-ids.tsv"), 933),
    ("1.4", include_str!("focus-1.4-ids.tsv"), 1514),
];

fn load(version: &str) -> RuleSet {
    let v = FocusVersion::parse(version).expect("the version is embedded");
    let loaded = RuleSet::load(&v, None).expect("the catalog is embedded");
    let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "FOCUS {version}: rule files failed to load:\n{}",
        errors.join("\n")
    );
    loaded.set
}

fn expected_ids(tsv: &str) -> Vec<(String, String)> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (id, kw) = l.split_once('\t').expect("id<TAB>keyword");
            (id.to_string(), kw.to_string())
        })
        .collect()
}

#[test]
fn every_requirement_has_a_rule_with_its_keyword() {
    for (version, tsv, count) in VERSIONS {
        let set = load(version);
        let expected = expected_ids(tsv);
        assert_eq!(expected.len(), count);
        let mut missing = Vec::new();
        let mut wrong_keyword = Vec::new();
        for (id, kw) in &expected {
            match set.get(id) {
                None => missing.push(id.clone()),
                Some(r) if r.keyword != Keyword::parse(kw).unwrap() => {
                    wrong_keyword.push(format!("{id}: {} vs {kw}", r.keyword))
                }
                Some(_) => {}
            }
        }
        assert!(
            missing.is_empty(),
            "FOCUS {version}: {} requirement(s) have no rule: {}",
            missing.len(),
            missing.join(", ")
        );
        assert!(
            wrong_keyword.is_empty(),
            "FOCUS {version}: keyword differs from the model: {}",
            wrong_keyword.join("; ")
        );
        let extra: Vec<&str> = set
            .rules
            .iter()
            .map(|r| r.id.as_str())
            .filter(|id| !expected.iter().any(|(e, _)| e == id))
            .collect();
        assert!(
            extra.is_empty(),
            "rules for ids that FOCUS {version} does not define: {}",
            extra.join(", ")
        );
    }
}

#[test]
fn rule_sets_are_structurally_sound() {
    for (version, _, _) in VERSIONS {
        let set = load(version);
        let problems: Vec<String> = set
            .structural_problems()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert!(
            problems.is_empty(),
            "FOCUS {version}:\n{}",
            problems.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_passes_its_own_examples() {
    for (version, _, _) in VERSIONS {
        let set = load(version);
        // Every check that looks at the data has a passing and a failing example (the
        // structural test above); here they all run.
        let data_checks = set
            .rules
            .iter()
            .filter(|r| r.check.is_data_check() && r.removed.is_none())
            .count();
        let summary = focus_sql::check::examples::run(&set, &[]).await;
        let failures: Vec<String> = summary.failures.iter().map(|f| f.to_string()).collect();
        assert!(
            failures.is_empty(),
            "FOCUS {version}: {} example(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(
            summary.rules >= data_checks && summary.passed >= 2 * data_checks,
            "FOCUS {version}: {data_checks} data checks, but only {} rules' examples ({} in all) ran",
            summary.rules,
            summary.passed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_finds_no_problem_in_the_embedded_rules() {
    for (version, _, _) in VERSIONS {
        let set = load(version);
        let mut problems = focus_sql::check::lint::lint_files(&set.version, None).expect("schema");
        problems.extend(focus_sql::check::lint::lint(&set).await);
        assert!(
            problems.is_empty(),
            "FOCUS {version}:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn unchanged_requirements_are_written_once_and_carried_into_later_versions() {
    // (version, id there, version whose folder holds the file, id there, the file)
    let cases = [
        (
            "1.3",
            "CAU-BilledCost-C-003-M",
            "1.2",
            "BilledCost-C-003-M",
            "rules.d/focus-1.2/BilledCost/BilledCost-C-003-M.yaml",
        ),
        // 1.2 -> 1.3 -> 1.4, unchanged all the way: one file.
        (
            "1.3",
            "CAU-AvailabilityZone-C-001-M",
            "1.2",
            "AvailabilityZone-C-001-M",
            "rules.d/focus-1.2/AvailabilityZone/AvailabilityZone-C-001-M.yaml",
        ),
        (
            "1.4",
            "CAU-AvailabilityZone-C-001-M",
            "1.2",
            "AvailabilityZone-C-001-M",
            "rules.d/focus-1.2/AvailabilityZone/AvailabilityZone-C-001-M.yaml",
        ),
        // A 1.3 requirement (new in 1.3), unchanged in 1.4.
        (
            "1.4",
            "CAU-ContractApplied-C-001-M",
            "1.3",
            "CAU-ContractApplied-C-001-M",
            "rules.d/focus-1.3/CAU-ContractApplied/CAU-ContractApplied-C-001-M.yaml",
        ),
        // Attribute requirements keep no prefix in 1.3.
        (
            "1.3",
            "NumericFormat-A-002-M",
            "1.2",
            "NumericFormat-A-002-M",
            "rules.d/focus-1.2/NumericFormat/NumericFormat-A-002-M.yaml",
        ),
    ];
    for (version, id, from_version, from_id, file) in cases {
        let set = load(version);
        let r = set
            .get(id)
            .unwrap_or_else(|| panic!("{id} in FOCUS {version}"));
        let from = r
            .origin
            .carried_from
            .as_ref()
            .unwrap_or_else(|| panic!("{id} carried"));
        assert_eq!(
            (from.version.as_str(), from.id.as_str()),
            (from_version, from_id)
        );
        assert_eq!(r.origin.path, std::path::Path::new(file));
        assert!(
            r.origin.carried_into.iter().any(|v| v == version),
            "{id}: {:?}",
            r.origin.carried_into
        );
        assert_eq!(r.focus_version, version);
    }
    // The 1.3 requirement's id inside the carried file is mapped, its catalog is 1.3's.
    let set = load("1.3");
    let r = set.get("CAU-BilledCost-C-003-M").unwrap();
    assert_eq!(r.dataset.as_deref(), Some("CostAndUsage"));
    // BilledCost-C-003-M changed in 1.4 (its text is quoted there): 1.4 has its own file.
    let set = load("1.4");
    let r = set.get("CAU-BilledCost-C-003-M").unwrap();
    assert!(r.origin.carried_from.is_none());
    assert!(r.origin.path.starts_with("rules.d/focus-1.4"));

    // Every carried rule is written in an earlier version's folder that lists the version, and
    // the version's own folder holds no copy of it.
    let files: Vec<&str> = focus_sql::rules::embedded::all()
        .iter()
        .map(|(p, _)| *p)
        .collect();
    for (version, _, _) in VERSIONS {
        let set = load(version);
        let carried: Vec<_> = set
            .rules
            .iter()
            .filter(|r| r.origin.carried_from.is_some())
            .collect();
        if version == "1.2" {
            assert!(carried.is_empty());
            continue;
        }
        assert!(
            carried.len() > 300,
            "FOCUS {version}: {} carried",
            carried.len()
        );
        for r in carried {
            let from = r.origin.carried_from.as_ref().unwrap();
            assert!(from.version.as_str() < version);
            assert!(
                r.origin
                    .path
                    .starts_with(format!("rules.d/focus-{}", from.version)),
                "{:?}",
                r.origin.path
            );
            assert!(r.origin.carried_into.iter().any(|v| v == version));
            assert!(
                !files
                    .iter()
                    .any(|p| p.starts_with(&format!("focus-{version}/"))
                        && p.ends_with(&format!("/{}.yaml", r.id))),
                "FOCUS {version} still has a copy of {}",
                r.id
            );
        }
    }
}
