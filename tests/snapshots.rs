//! What users see, pinned: the table scorecard, the JSON report and the Markdown gap report of
//! the bundled sample, from the real binary. A deliberate change is reviewed as a snapshot
//! diff (`INSTA_UPDATE=always cargo test --release --test snapshots`, then read `git diff`).
//! Nothing here depends on time: the outputs carry no timings.

mod common;
use common::*;

/// Run the binary from the repository root, so the paths it prints are relative and stable.
fn run_here(args: &[&str]) -> std::process::Output {
    bin()
        .current_dir(root())
        .env_remove("FOCUS_SQL_TIMING")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("focus-sql runs")
}

const DECLARATION: &str = "testdata/corpus/nimbus/declaration.yaml";

#[test]
fn table_scorecard_of_the_sample() {
    let o = run_here(&["validate", "testdata/sample.csv", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("validate_sample_table", stdout(&o));
}

#[test]
fn table_scorecard_with_certification() {
    let o = run_here(&[
        "validate",
        "testdata/sample.csv",
        "--color",
        "never",
        "--declaration",
        DECLARATION,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("validate_sample_certification_table", stdout(&o));
}

#[test]
fn json_report_of_the_sample() {
    let o = run_here(&[
        "validate",
        "testdata/sample.csv",
        "--format",
        "json",
        "--applicability",
        "all",
        "--declaration",
        DECLARATION,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("validate_sample_json", stdout(&o));
}

#[test]
fn markdown_gap_report_of_the_sample() {
    let o = run_here(&[
        "report",
        "testdata/sample.csv",
        "--declaration",
        DECLARATION,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("report_sample_markdown", stdout(&o));
}

#[test]
fn failing_scorecard_shows_offending_rows() {
    let o = run_here(&[
        "validate",
        "testdata/broken/bad-values.csv",
        "--color",
        "never",
        "--applicability",
        "all",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    insta::assert_snapshot!("validate_bad_values_table", stdout(&o));
}

#[test]
fn table_scorecard_of_the_focus_1_3_bundle() {
    let o = run_here(&[
        "validate",
        "testdata/focus-1.3/cost-and-usage.csv",
        "--dataset",
        "ContractCommitment=testdata/focus-1.3/contract-commitment.csv",
        "--declaration",
        "testdata/focus-1.3/declaration.yaml",
        "--color",
        "never",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("validate_focus_1_3_bundle_table", stdout(&o));
}
