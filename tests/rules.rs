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
