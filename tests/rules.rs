//! The embedded rule set as a whole: it loads cleanly, covers every FOCUS 1.2 requirement id
//! with the model's keyword, is structurally sound, and every rule passes its own examples.

use focus_sql::rules::{FocusVersion, Keyword, RuleSet};

fn load() -> RuleSet {
    let version = FocusVersion::parse("1.2").expect("1.2 is embedded");
    let loaded = RuleSet::load(&version, None).expect("the FOCUS 1.2 catalog is embedded");
    let errors: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "rule files failed to load:\n{}",
        errors.join("\n")
    );
    loaded.set
}

fn expected_ids() -> Vec<(String, String)> {
    include_str!("focus-1.2-ids.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (id, kw) = l.split_once('\t').expect("id<TAB>keyword");
            (id.to_string(), kw.to_string())
        })
        .collect()
}

#[test]
fn every_focus_1_2_requirement_has_a_rule_with_its_keyword() {
    let set = load();
    let expected = expected_ids();
    assert_eq!(expected.len(), 621);
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
        "{} requirement(s) have no rule: {}",
        missing.len(),
        missing.join(", ")
    );
    assert!(
        wrong_keyword.is_empty(),
        "keyword differs from the model: {}",
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
        "rules for ids that FOCUS 1.2 does not define: {}",
        extra.join(", ")
    );
}

#[test]
fn rule_set_is_structurally_sound() {
    let set = load();
    let problems: Vec<String> = set
        .structural_problems()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_passes_its_own_examples() {
    let set = load();
    let summary = focus_sql::check::examples::run(&set, &[]).await;
    let failures: Vec<String> = summary.failures.iter().map(|f| f.to_string()).collect();
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        summary.passed > 600,
        "expected hundreds of examples, ran {}",
        summary.passed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_finds_no_problem_in_the_embedded_rules() {
    let set = load();
    let mut problems = focus_sql::check::lint::lint_files(&set.version, None).expect("schema");
    problems.extend(focus_sql::check::lint::lint(&set).await);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
