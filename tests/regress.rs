//! `focus-sql regress` over the bundled corpus (testdata/corpus), driven through the binary.

mod common;

use common::*;
use std::fs;
use std::path::PathBuf;

fn corpus() -> String {
    testdata("corpus")
}

fn regress(extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "regress",
        &*Box::leak(corpus().into_boxed_str()),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// The manifest's datasets as (name, paths relative to the corpus, expected conformant).
fn manifest() -> Vec<(String, Vec<String>, bool)> {
    let text = fs::read_to_string(PathBuf::from(corpus()).join("corpus.yaml")).unwrap();
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    y["datasets"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|d| {
            let paths = match &d["paths"] {
                serde_yaml::Value::String(s) => vec![s.clone()],
                serde_yaml::Value::Sequence(v) => {
                    v.iter().map(|p| p.as_str().unwrap().to_string()).collect()
                }
                other => panic!("paths: {other:?}"),
            };
            (
                d["name"].as_str().unwrap().to_string(),
                paths,
                d["conformant"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_committed_corpus_matches_its_baseline() {
    let o = regress(&[]);
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    let r = json(&o);
    assert_eq!(r["regressions"], 0);
    assert_eq!(
        r["changes"].as_array().unwrap().len(),
        0,
        "{}",
        serde_json::to_string_pretty(&r["changes"]).unwrap()
    );
    let datasets = r["datasets"].as_array().unwrap();
    let m = manifest();
    assert_eq!(datasets.len(), m.len());
    let mut formats = std::collections::BTreeSet::new();
    for (d, (name, _, conformant)) in datasets.iter().zip(&m) {
        assert_eq!(d["name"], name.as_str());
        if name == "broken-unreadable" {
            // Reported as unreadable, and the rest of the corpus still ran.
            assert!(
                d["error"].as_str().unwrap().contains("not a Parquet file"),
                "{d}"
            );
            continue;
        }
        assert!(d["error"].is_null(), "{d}");
        assert_eq!(
            d["conformant"].as_bool(),
            Some(*conformant),
            "{name} is expected {}conformant",
            if *conformant { "" } else { "non-" }
        );
        assert!(
            d["rows"].as_u64().unwrap() > 0 && d["seconds"].as_f64().is_some(),
            "{d}"
        );
        formats.insert(d["format"].as_str().unwrap().to_string());
    }
    assert!(
        formats.contains("csv") && formats.contains("parquet") && formats.contains("csv.gz"),
        "{formats:?}"
    );
}

#[test]
fn rewriting_the_baseline_reproduces_the_committed_file() {
    let dir = scratch("regress-rewrite");
    let path = dir.join("baseline.json");
    let o = regress(&["--baseline", path.to_str().unwrap(), "--update-baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let committed = fs::read_to_string(PathBuf::from(corpus()).join("baseline.json")).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        committed,
        "the baseline is stable across runs"
    );
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");
}

fn credits(paths: &[String]) -> u64 {
    let mut args = vec!["query".to_string()];
    args.extend(
        paths
            .iter()
            .map(|p| PathBuf::from(corpus()).join(p).display().to_string()),
    );
    args.extend(
        [
            "--format",
            "csv",
            "-c",
            "SELECT COUNT(*) AS n FROM CostAndUsage WHERE ChargeCategory = 'Credit'",
        ]
        .map(String::from),
    );
    let o = bin().args(&args).output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o).lines().nth(1).unwrap().parse().unwrap()
}

/// Dropping 'Credit' from ChargeCategory's allowed values: the edited requirement regresses on
/// exactly the datasets that have credits and passed it before; composites that include it are
/// marked as following from it; datasets that already failed it see their count change.
#[test]
fn editing_one_rule_surfaces_exactly_the_expected_regression() {
    const ID: &str = "ChargeCategory-C-003-M";
    let original = fs::read_to_string(
        root()
            .join("rules.d/focus-1.2/ChargeCategory")
            .join(format!("{ID}.yaml")),
    )
    .unwrap();
    let edited = original.replace("'Credit', ", "");
    assert_ne!(edited, original);
    let dir = scratch("regress-edit");
    fs::write(dir.join(format!("{ID}.yaml")), edited).unwrap();

    let baseline: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(PathBuf::from(corpus()).join("baseline.json")).unwrap(),
    )
    .unwrap();
    let o = regress(&["--rules", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let changes = r["changes"].as_array().unwrap();

    let mut want_regressions = Vec::new();
    let mut want_counts = Vec::new();
    for (name, paths, _) in manifest() {
        let before = &baseline["datasets"][&name];
        // Datasets of another FOCUS version (or dataset) do not have the requirement.
        if before["readable"] != true || before["rules"].get(ID).is_none() {
            continue;
        }
        let n = credits(&paths);
        let was = &before["rules"][ID];
        if n == 0 {
            continue;
        }
        if was["status"] == "pass" {
            want_regressions.push((name.clone(), format!("fail ({n})")));
        } else if was["status"] == "fail" {
            let v = was["violations"].as_u64().unwrap();
            want_counts.push((
                name.clone(),
                format!("fail ({v})"),
                format!("fail ({})", v + n),
            ));
        }
    }
    assert!(
        !want_regressions.is_empty() && !want_counts.is_empty(),
        "the corpus exercises both cases"
    );
    want_regressions.sort();
    want_counts.sort();

    let roots: Vec<(String, String)> = changes
        .iter()
        .filter(|c| c["kind"] == "regression" && c["via"].is_null())
        .map(|c| {
            assert_eq!(
                c["rule"], ID,
                "only the edited requirement regresses at the root: {c}"
            );
            (
                c["dataset"].as_str().unwrap().to_string(),
                c["after"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(roots, want_regressions);
    assert_eq!(
        r["regressions"].as_u64().unwrap() as usize,
        want_regressions.len()
    );
    let counts: Vec<(String, String, String)> = changes
        .iter()
        .filter(|c| c["kind"] == "count_changed" && c["rule"] == ID)
        .map(|c| {
            (
                c["dataset"].as_str().unwrap().into(),
                c["before"].as_str().unwrap().into(),
                c["after"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(counts, want_counts);
    // Everything else follows from the edited requirement, on a dataset that has credits.
    let affected: Vec<&String> = want_regressions
        .iter()
        .map(|(d, _)| d)
        .chain(want_counts.iter().map(|(d, _, _)| d))
        .collect();
    for c in changes {
        // The loose rule file also reaches the other versions' datasets (a bundle's companion
        // datasets key it `Dataset:Id`), where the baseline has no such requirement.
        let rule = c["rule"].as_str().unwrap_or_default();
        if rule == ID || rule.ends_with(&format!(":{ID}")) {
            continue;
        }
        assert!(c["via"].is_string(), "an unexplained change: {c}");
        assert!(affected.iter().any(|d| c["dataset"] == d.as_str()), "{c}");
        assert!(
            c["kind"] == "regression" || c["kind"] == "count_changed",
            "{c}"
        );
    }
}

#[test]
fn a_dataset_that_becomes_unreadable_is_a_regression_and_the_rest_still_runs() {
    let dir = scratch("regress-unreadable");
    fs::copy(testdata("sample.csv"), dir.join("a.csv")).unwrap();
    fs::copy(testdata("sample.csv"), dir.join("b.csv")).unwrap();
    fs::write(
        dir.join("corpus.yaml"),
        "datasets:\n  - {name: a, paths: a.csv, applicability: all, conformant: true}\n  - {name: b, paths: b.csv, conformant: true}\n",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    let o = run(&["regress", d]);
    assert_eq!(code(&o), 2, "no baseline yet");
    assert!(stderr(&o).contains("--update-baseline"), "{}", stderr(&o));
    let o = run(&["regress", d, "--update-baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(dir.join("baseline.json").exists());

    fs::write(dir.join("a.csv"), "").unwrap();
    let o = run(&["regress", d, "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["regressions"], 1);
    assert_eq!(r["changes"][0]["dataset"], "a");
    assert_eq!(r["changes"][0]["after"], "unreadable");
    assert!(
        r["datasets"][0]["error"]
            .as_str()
            .unwrap()
            .contains("empty file"),
        "{}",
        r["datasets"][0]
    );
    assert_eq!(r["datasets"][1]["conformant"], true);

    // The other formats say the same.
    let o = run(&["regress", d, "--format", "junit"]);
    assert_eq!(code(&o), 1);
    let x = stdout(&o);
    assert!(
        x.contains(r#"<testsuites name="focus-sql regress" tests="2" failures="1">"#),
        "{x}"
    );
    assert!(
        x.contains(r#"name="a""#) && x.contains("(dataset): 621 rules -&gt; unreadable"),
        "{x}"
    );
    let o = run(&["regress", d, "--format", "markdown"]);
    assert!(
        stdout(&o).contains("| **regression** | a | (dataset) | 621 rules | unreadable |"),
        "{}",
        stdout(&o)
    );
    let o = run(&["regress", d]);
    assert!(
        stdout(&o).contains("result: 1 regression(s)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_bad_manifest_stops_the_run_with_its_location() {
    let dir = scratch("regress-bad-manifest");
    fs::write(
        dir.join("corpus.yaml"),
        "datasets:\n  - name: a\n    path: a.csv\n    conformant: true\n",
    )
    .unwrap();
    let o = run(&["regress", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("corpus.yaml:") && stderr(&o).contains("unknown field `path`"),
        "{}",
        stderr(&o)
    );
}
