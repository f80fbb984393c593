//! End-to-end tests that drive the real `focus-sql` binary on the bundled data.

mod common;

use common::*;
use std::fs;
use std::path::Path;

#[test]
fn the_bundled_sample_conforms() {
    let o = run(&[
        "validate",
        "--applicability",
        "all",
        &testdata("sample.csv"),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("MUST NOT") && out.contains("needs evidence"),
        "{out}"
    );
    assert!(
        out.contains("result: no MUST or MUST NOT requirement failed"),
        "{out}"
    );
}

#[test]
fn json_report_covers_every_requirement_with_known_statuses() {
    let o = run(&[
        "validate",
        "--applicability",
        "all",
        "--format",
        "json",
        &testdata("sample.csv"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    let rules = r["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 621);
    let (header, rows) = sample_records();
    assert_eq!(r["dataset"]["rows"].as_u64().unwrap() as usize, rows.len());
    assert_eq!(
        r["dataset"]["columns"].as_u64().unwrap() as usize,
        header.len()
    );
    for x in rules {
        let status = x["status"].as_str().unwrap();
        assert!(
            ["pass", "fail", "skip", "needs_evidence", "error"].contains(&status),
            "{x}"
        );
        assert!(x["keyword"].is_string() && x["violations"].is_u64(), "{x}");
        assert_ne!(status, "fail", "false alarm on the conformant sample: {x}");
        assert_ne!(status, "error", "{x}");
    }
    // A requirement that needs outside evidence is never reported as passed.
    assert_eq!(rule(&r, "BilledCost-C-007-M")["status"], "needs_evidence");
    let totals = &r["summary"]["totals"];
    let sum: u64 = ["pass", "fail", "skip", "needs_evidence", "error"]
        .iter()
        .map(|k| totals[*k].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 621);
    assert_eq!(r["summary"]["conformant"], true);
}

#[test]
fn without_declarations_conditional_features_are_skipped_and_said_so() {
    let o = run(&["validate", "--format", "json", &testdata("sample.csv")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    let cd = rule(&r, "CommitmentDiscountId-C-000-C");
    assert_eq!(cd["status"], "skip");
    assert!(
        cd["reason"]
            .as_str()
            .unwrap()
            .contains("COMMITMENT_DISCOUNT_SUPPORTED"),
        "{cd}"
    );
}

#[test]
fn a_missing_mandatory_column_fails_its_presence_rule() {
    let o = run(&[
        "validate",
        "--format",
        "json",
        &testdata("broken/missing-billedcost.csv"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let presence = rule(&r, "CostAndUsage-D-006-M");
    assert_eq!(presence["status"], "fail");
    assert!(presence["reason"].as_str().unwrap().contains("BilledCost"));
    // Rules on the absent column are skipped with that reason, not failed a second time.
    let nullability = rule(&r, "BilledCost-C-003-M");
    assert_eq!(nullability["status"], "skip");
    assert!(
        nullability["reason"]
            .as_str()
            .unwrap()
            .contains("BilledCost"),
        "{nullability}"
    );
    assert_eq!(r["summary"]["conformant"], false);
}

#[test]
fn bad_values_are_reported_with_the_offending_rows() {
    let o = run(&[
        "validate",
        "--applicability",
        "all",
        "--format",
        "json",
        &testdata("broken/bad-values.csv"),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    for (id, n) in [
        ("BilledCost-C-002-M", 1),
        ("NumericFormat-A-009-M", 1),
        ("ChargeCategory-C-003-M", 1),
        ("ChargePeriodEnd-C-004-M", 1),
        ("ListCost-C-009-C", 1),
    ] {
        let x = rule(&r, id);
        assert_eq!(x["status"], "fail", "{x}");
        assert_eq!(x["violations"], n, "{x}");
    }
    let sample = serde_json::to_string(&rule(&r, "BilledCost-C-002-M")["sample"]).unwrap();
    assert!(
        sample.contains("1,234.5"),
        "offending value shown: {sample}"
    );
    let sample = serde_json::to_string(&rule(&r, "ChargeCategory-C-003-M")["sample"]).unwrap();
    assert!(sample.contains("usage"), "{sample}");

    let table = stdout(&run(&[
        "validate",
        "--applicability",
        "all",
        &testdata("broken/bad-values.csv"),
    ]));
    assert!(
        table.contains("ChargeCategory-C-003-M") && table.contains("usage"),
        "{table}"
    );
}

#[test]
fn junit_has_one_case_per_requirement() {
    let o = run(&[
        "validate",
        "--format",
        "junit",
        &testdata("broken/bad-values.csv"),
    ]);
    assert_eq!(code(&o), 1);
    let xml = stdout(&o);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 621);
    assert!(xml.contains("<failure"), "failing rules are JUnit failures");
}

#[test]
fn unreadable_inputs_are_clear_errors() {
    let dir = scratch("unreadable");
    let missing = dir.join("nope.csv");
    let empty = dir.join("empty.csv");
    fs::write(&empty, "").unwrap();
    let ragged = dir.join("ragged.csv");
    fs::write(
        &ragged,
        "BilledCost,ChargeCategory\n1,Usage\n2,Usage,extra\n",
    )
    .unwrap();
    let latin1 = dir.join("latin1.csv");
    fs::write(&latin1, b"ChargeDescription,BilledCost\ncaf\xe9,1\n").unwrap();
    for (path, words) in [
        (&missing, "nope.csv"),
        (&empty, "empty.csv"),
        (&ragged, "ragged.csv"),
        (&latin1, "latin1.csv"),
    ] {
        let o = run(&["validate", path.to_str().unwrap()]);
        assert_eq!(
            code(&o),
            2,
            "{}: {}{}",
            path.display(),
            stdout(&o),
            stderr(&o)
        );
        let err = stderr(&o);
        assert!(err.contains(words), "error names the file: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = run(&["validate", ragged.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("line 3"),
        "ragged row located: {}",
        stderr(&o)
    );
}

#[test]
fn output_is_written_whole_and_never_over_an_input() {
    let dir = scratch("output");
    let input = dir.join("export.csv");
    fs::copy(testdata("sample.csv"), &input).unwrap();
    let before = fs::read(&input).unwrap();

    let report = dir.join("report.json");
    let o = run(&[
        "validate",
        "--format",
        "json",
        "-o",
        report.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let written: serde_json::Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(written["rules"].as_array().unwrap().len(), 621);
    assert!(stdout(&o).is_empty());

    let o = run(&[
        "validate",
        "-o",
        input.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("input"), "{}", stderr(&o));
    assert_eq!(fs::read(&input).unwrap(), before, "input untouched");
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
}

fn write_rule(dir: &Path, id: &str, body: &str) {
    let folder = dir.join("focus-1.2").join(id.split('-').next().unwrap());
    fs::create_dir_all(&folder).unwrap();
    fs::write(folder.join(format!("{id}.yaml")), body).unwrap();
}

const HEAD: &str = "entity: BilledCost\nrequirement: test\nkind: static\nfunction: validation\n";

#[test]
fn broken_rules_are_located_and_the_run_goes_on() {
    let dir = scratch("rules");
    write_rule(&dir, "BilledCost-C-003-M", &format!("id: BilledCost-C-003-M\n{HEAD}keyword: MUST NOT\nseverity: high\ncheck:\n  row: BilledCost IS NOT NULL\n"));
    write_rule(&dir, "BilledCost-C-004-M", &format!("id: BilledCost-C-004-M\n{HEAD}keyword: MUST\ncheck:\n  sql: SELECT NoSuchColumn FROM CostAndUsage\n"));
    write_rule(
        &dir,
        "BilledCost-C-002-M",
        &format!(
            "id: BilledCost-C-002-M\n{HEAD}keyword: MUST\ncheck:\n  sql: DROP TABLE CostAndUsage\n"
        ),
    );
    write_rule(&dir, "BilledCost-C-001-M", &format!("id: BilledCost-C-001-M\n{HEAD}keyword: MUST\ncheck:\n  sql: COPY (SELECT 1) TO '/tmp/x.csv'\n"));
    let o = run(&[
        "validate",
        "--format",
        "json",
        "--rules",
        dir.to_str().unwrap(),
        &testdata("sample.csv"),
    ]);
    assert_eq!(
        code(&o),
        2,
        "an incomplete verdict is not a pass: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("BilledCost-C-003-M.yaml:7:") && err.contains("severity"),
        "file and line named: {err}"
    );
    let r = json(&o);
    let sql_error = rule(&r, "BilledCost-C-004-M");
    assert_eq!(sql_error["status"], "error");
    assert!(
        sql_error["reason"]
            .as_str()
            .unwrap()
            .contains("NoSuchColumn"),
        "{sql_error}"
    );
    for id in ["BilledCost-C-002-M", "BilledCost-C-001-M"] {
        let x = rule(&r, id);
        assert_eq!(x["status"], "error", "{x}");
        assert!(x["reason"].as_str().unwrap().contains("read-only"), "{x}");
    }
    // Everything else still ran.
    assert_eq!(rule(&r, "ChargeCategory-C-003-M")["status"], "pass");

    let o = run(&[
        "rules",
        "lint",
        "--no-examples",
        "--rules",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("BilledCost-C-003-M.yaml:7: schema:") && out.contains("severity"),
        "the rule schema names the unknown key: {out}"
    );
}

#[test]
fn query_answers_from_the_typed_view() {
    let (header, rows) = sample_records();
    let cat = header.iter().position(|h| h == "ChargeCategory").unwrap();
    let cost = header.iter().position(|h| h == "BilledCost").unwrap();
    let mut expected: std::collections::BTreeMap<String, f64> = Default::default();
    for r in &rows {
        *expected.entry(r[cat].clone()).or_default() += r[cost].parse::<f64>().unwrap();
    }
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--format",
        "csv",
        "-c",
        "SELECT ChargeCategory, SUM(BilledCost) AS billed FROM CostAndUsage GROUP BY ChargeCategory ORDER BY ChargeCategory",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("ChargeCategory,billed"));
    let got: Vec<(String, f64)> = lines
        .map(|l| {
            let (k, v) = l.split_once(',').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect();
    assert_eq!(got.len(), expected.len());
    for (k, v) in got {
        assert!(
            (expected[&k] - v).abs() < 1e-9,
            "{k}: {v} vs {}",
            expected[&k]
        );
    }
}

#[test]
fn query_is_read_only() {
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "DROP VIEW CostAndUsage",
        "COPY (SELECT 1) TO 'out.csv'",
        "INSERT INTO CostAndUsage VALUES (1)",
    ] {
        let o = run(&["query", &testdata("sample.csv"), "-c", sql]);
        assert_eq!(code(&o), 2, "{sql}: {}", stdout(&o));
        assert!(!stderr(&o).is_empty());
    }
}

#[test]
fn rules_show_and_test() {
    let o = run(&["rules", "show", "CommitmentDiscountStatus-C-005-M"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains("MUST be one of the allowed values") && out.contains("'Used', 'Unused'"),
        "{out}"
    );
    let o = run(&["rules", "test", "ChargeCategory"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let o = run(&["rules", "show", "BilledCost-C-03-M"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean BilledCost-C-003-M?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn closed_sets_are_checked_when_the_arguments_are_parsed() {
    let sample = testdata("sample.csv");
    let o = run(&["validate", "--focus-version", "1.9", &sample]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown FOCUS version `1.9` (known versions: 1.2"),
        "{}",
        stderr(&o)
    );
    for (flag, value) in [
        ("--color", "sometimes"),
        ("--format", "xml"),
        ("--memory-limit", "3X"),
    ] {
        let o = run(&["validate", flag, value, &sample]);
        assert_eq!(code(&o), 2, "{flag} {value}");
        assert!(stderr(&o).contains(value), "{flag}: {}", stderr(&o));
    }
    let o = run(&["rules", "list", "--format", "yaml"]);
    assert_eq!(code(&o), 2);
    let o = run(&["query", &sample, "-c", "SELECT 1", "--param", "novalue"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("NAME=VALUE"), "{}", stderr(&o));
}

fn statuses(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["violations"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn parquet_copy_gets_the_same_verdicts_as_the_csv() {
    let dir = scratch("parquet");
    let pq = convert_to(&testdata("sample.csv"), &dir.join("sample.parquet"));
    let csv = validate_all_json(&testdata("sample.csv"));
    let parquet = validate_all_json(pq.to_str().unwrap());
    assert_eq!(parquet["dataset"]["format"], "parquet");
    assert_eq!(statuses(&csv), statuses(&parquet));
    // And the broken variant fails the same requirements in both formats.
    let bad_pq = convert_to(&testdata("broken/bad-values.csv"), &dir.join("bad.parquet"));
    let bad = validate_all_json(bad_pq.to_str().unwrap());
    assert_eq!(rule(&bad, "ChargeCategory-C-003-M")["status"], "fail");
    assert_eq!(rule(&bad, "ChargePeriodEnd-C-004-M")["status"], "fail");
}

#[test]
fn a_large_synthetic_csv_is_staged_once_and_still_conforms() {
    let dir = scratch("large");
    let csv = dir.join("big.csv");
    let o = run(&["synth", "--rows", "40000", "-o", csv.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        fs::metadata(&csv).unwrap().len() > 16 << 20,
        "large enough to be staged"
    );
    let r = validate_all_json(csv.to_str().unwrap());
    assert_eq!(r["dataset"]["rows"], 40000);
    assert_eq!(
        r["summary"]["conformant"],
        true,
        "{}",
        serde_json::to_string(&r["summary"]).unwrap()
    );
    assert_eq!(r["summary"]["totals"]["fail"], 0);
}

#[test]
fn a_screen_fails_on_visible_violations_and_otherwise_asks_for_evidence() {
    let clean = json(&run(&[
        "validate",
        "--format",
        "json",
        &testdata("sample.csv"),
    ]));
    let x = rule(&clean, "BillingCurrency-C-005-M");
    assert_eq!(x["status"], "needs_evidence", "{x}");
    assert!(x["reason"].as_str().unwrap().contains("invoice"), "{x}");

    // Two currencies on one invoice: visible in the data.
    let text = fs::read_to_string(testdata("sample.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[2] = lines[2].replacen(",USD,", ",EUR,", 1);
    let dir = scratch("screen");
    let path = dir.join("two-currencies.csv");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let r = json(&run(&[
        "validate",
        "--format",
        "json",
        path.to_str().unwrap(),
    ]));
    let x = rule(&r, "BillingCurrency-C-005-M");
    assert_eq!(x["status"], "fail", "{x}");
    assert_eq!(x["violations"], 1);
}

#[test]
fn all_row_checks_run_in_one_fused_scan() {
    let o = bin()
        .args([
            "validate",
            "--applicability",
            "all",
            &testdata("sample.csv"),
        ])
        .env("FOCUS_SQL_TIMING", "1")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert!(err.contains("timing: fused scan of"), "{err}");
    assert!(
        !err.contains("fused scan failed"),
        "the fused scan fell back to one scan per check:\n{err}"
    );
}

#[test]
fn the_focus_version_is_detected_from_the_columns() {
    let o = run(&["validate", "--format", "json", &testdata("sample.csv")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("FOCUS 1.2 (no column of a later FOCUS version than 1.2"),
        "{}",
        stderr(&o)
    );
    assert_eq!(json(&o)["focus_version"], "1.2");

    let o = run(&[
        "validate",
        "--format",
        "json",
        &testdata("focus-1.3/cost-and-usage.csv"),
    ]);
    let err = stderr(&o);
    assert!(
        err.contains("FOCUS 1.3 (") && err.contains("ServiceProviderName"),
        "{err}"
    );
    let r = json(&o);
    assert_eq!(r["focus_version"], "1.3");
    let ids = rule_ids(&r);
    assert!(ids.iter().any(|i| i.starts_with("CAU-")));
    assert!(
        !ids.iter().any(|i| i.starts_with("CCT-")),
        "a Cost and Usage export is checked against Cost and Usage requirements only"
    );

    // A Contract Commitment file is recognised by its columns.
    let o = run(&[
        "validate",
        "--format",
        "json",
        &testdata("focus-1.3/contract-commitment.csv"),
    ]);
    let r = json(&o);
    assert_eq!(r["focus_version"], "1.3", "{}", stderr(&o));
    let ids = rule_ids(&r);
    assert!(ids.iter().any(|i| i.starts_with("CCT-")), "{ids:?}");
    assert!(!ids.iter().any(|i| i.starts_with("CAU-")), "{ids:?}");

    // A header without any column FOCUS 1.1 or 1.2 added reads as an older export, and says so.
    let dir = scratch("focus-1-0");
    let old = dir.join("focus-1.0.csv");
    fs::write(
        &old,
        "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,\
BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargePeriodEnd,ChargePeriodStart,\
ContractedCost,EffectiveCost,InvoiceIssuerName,ListCost,PricingQuantity,PricingUnit,ProviderName,\
PublisherName,ServiceCategory,ServiceName\n\
1,a,A,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Usage,,x,2026-05-02T00:00:00Z,\
2026-05-01T00:00:00Z,1,1,P,1,1,Hours,P,P,Compute,S\n",
    )
    .unwrap();
    let o = run(&["validate", "--format", "json", old.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("may be a FOCUS 1.0 export") && stderr(&o).contains("InvoiceId"),
        "{}",
        stderr(&o)
    );
    // With a column FOCUS 1.1 added (SkuMeter) but none of 1.2's: a possible 1.1 export.
    let old11 = dir.join("focus-1.1.csv");
    let text = fs::read_to_string(&old).unwrap();
    let mut lines = text.lines();
    fs::write(
        &old11,
        format!(
            "{},SkuMeter\n{},Hours\n",
            lines.next().unwrap(),
            lines.next().unwrap()
        ),
    )
    .unwrap();
    let o = run(&["validate", "--format", "json", old11.to_str().unwrap()]);
    assert!(
        stderr(&o).contains("may be a FOCUS 1.1 export")
            && stderr(&o).contains("InvoiceId")
            && !stderr(&o).contains("SkuMeter,"),
        "{}",
        stderr(&o)
    );

    // An explicit version wins.
    let o = run(&[
        "validate",
        "--focus-version",
        "1.2",
        "--format",
        "json",
        &testdata("focus-1.3/cost-and-usage.csv"),
    ]);
    assert_eq!(json(&o)["focus_version"], "1.2");
    assert!(
        !stderr(&o).contains("--focus-version chooses another"),
        "{}",
        stderr(&o)
    );
}

/// `ContractCommitment=PATH` of the bundled FOCUS 1.3 sample, for `--dataset`.
fn sample_1_3_contract_commitment() -> String {
    format!(
        "ContractCommitment={}",
        testdata("focus-1.3/contract-commitment.csv")
    )
}

/// The ids of the requirements a JSON report lists.
fn rule_ids(report: &serde_json::Value) -> Vec<String> {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

/// What the bundled FOCUS 1.3 sample supports: every 1.3 criterion but data-generator split cost
/// allocation (it has no Allocated* columns).
const NIMBUS_1_3: &str = "ACCOUNT_NAMING_SUPPORTED,AVAILABILITY_ZONE_SUPPORTED,\
BILLING_BASED_ON_PROVISIONED_RESOURCES_SUPPORTED,CAPACITY_RESERVATION_SUPPORTED,\
COMMITMENT_DISCOUNT_SUPPORTED,CONTRACT_COMMITMENTS_SUPPORTED,MULTIPLE_BILLING_ACCOUNT_TYPES_SUPPORTED,\
MULTIPLE_PRICING_CATEGORIES_SUPPORTED,MULTIPLE_SUB_ACCOUNT_TYPES_SUPPORTED,NEGOTIATED_PRICING_SUPPORTED,\
PRICING_BILLING_CURRENCY_DIFFERENCES_SUPPORTED,PUBLIC_PRICE_LIST_SUPPORTED,REGION_SUPPORTED,\
RESOURCE_TYPE_ASSIGNMENT_SUPPORTED,SUB_ACCOUNT_SUPPORTED,TAGGING_SUPPORTED,UNIT_PRICING_SUPPORTED,\
USAGE_MEASUREMENT_SUPPORTED,VIRTUAL_CURRENCY_SUPPORTED";

#[test]
fn a_focus_1_3_bundle_conforms_and_reads_both_datasets() {
    let o = run(&[
        "validate",
        "--format",
        "json",
        "--applicability",
        NIMBUS_1_3,
        &testdata("focus-1.3/cost-and-usage.csv"),
        "--dataset",
        &sample_1_3_contract_commitment(),
    ]);
    let r = json(&o);
    let failing: Vec<String> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["datasets"][0]["rules"].as_array().unwrap())
        .filter(|x| matches!(x["status"].as_str(), Some("fail" | "error")))
        .map(|x| format!("{} {} {}", x["id"], x["status"], x["reason"]))
        .collect();
    assert!(failing.is_empty(), "{}", failing.join("\n"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(r["datasets"][0]["focus_version"], "1.3");
    // No requirement of the bundle is skipped for want of the other dataset, and the one that
    // reads both (CCT-ContractCommitmentId-C-005-M) ran.
    let cross = r["datasets"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "CCT-ContractCommitmentId-C-005-M")
        .expect("reported");
    assert_eq!(cross["status"], "needs_evidence", "{cross}");
    // A requirement the 1.3 model marks Removed is reported, skipped, with why.
    let removed = rule(&r, "CAU-PricingQuantity-C-008-M");
    assert_eq!(removed["status"], "skip", "{removed}");
    assert!(
        removed["reason"].as_str().unwrap().starts_with("removed: "),
        "{removed}"
    );
    let needs_other = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .chain(r["datasets"][0]["rules"].as_array().unwrap())
        .filter(|x| {
            x["reason"]
                .as_str()
                .is_some_and(|s| s.contains("dataset too"))
        })
        .count();
    assert_eq!(needs_other, 0);

    // Without the second dataset, requirements that read both say what they need.
    let o = run(&[
        "validate",
        "--format",
        "json",
        "--applicability",
        NIMBUS_1_3,
        &testdata("focus-1.3/cost-and-usage.csv"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(json(&o).get("datasets").is_none());
}

#[test]
fn a_focus_1_3_declaration_gives_the_verdict_and_feature_areas_follow_the_version() {
    let o = run(&[
        "validate",
        "--format",
        "json",
        &testdata("focus-1.3/cost-and-usage.csv"),
        "--declaration",
        &testdata("focus-1.3/declaration.yaml"),
        "--dataset",
        &sample_1_3_contract_commitment(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["certification"]["focus_version"], "1.3");
    assert_eq!(r["certification"]["verdict"], "clean");
    assert!(r["certification"]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "CONTRACT_COMMITMENTS_SUPPORTED"));

    // The gap report drafts the bundle: the second dataset's verdict is in its summary.
    let o = run(&[
        "report",
        &testdata("focus-1.3/cost-and-usage.csv"),
        "--declaration",
        &testdata("focus-1.3/declaration.yaml"),
        "--dataset",
        &sample_1_3_contract_commitment(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let md = stdout(&o);
    assert!(
        md.contains("# FOCUS 1.3 Conformance Gap Report")
            && md.contains("| Other dataset | ")
            && md.contains(
                "contract-commitment.csv (2 rows): no MUST or MUST NOT requirement failed"
            )
            && md.contains("| Contract Commitments | supported | CONTRACT_COMMITMENTS_SUPPORTED |"),
        "{md}"
    );

    // "Contract Commitments" is a FOCUS 1.3 feature area: a 1.2 declaration naming it is refused.
    let dir = scratch("decl-1-2-with-1-3-feature");
    let decl = dir.join("declaration.yaml");
    fs::write(
        &decl,
        "focus_version: \"1.2\"\nprovider: Nimbus Cloud\nfeatures: [Contract Commitments]\n",
    )
    .unwrap();
    let o = run(&[
        "validate",
        &testdata("sample.csv"),
        "--declaration",
        decl.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("\"Contract Commitments\" is not one of FOCUS 1.2"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn malformed_contract_applied_values_are_violations_with_their_rows() {
    let dir = scratch("bad-contract-applied");
    let file = dir.join("cost-and-usage.csv");
    fs::write(
        &file,
        "ServiceProviderName,HostProviderName,ContractApplied\n\
         Nimbus,Nimbus,not json\n\
         Nimbus,Nimbus,\"[1,2]\"\n\
         Nimbus,Nimbus,\"{\"\"Elements\"\":{\"\"a\"\":1}}\"\n\
         Nimbus,Nimbus,\"{\"\"Elements\"\":[{\"\"ContractId\"\":\"\"c\"\",\"\"ContractCommitmentId\"\":\"\"cc\"\",\"\"x_A\"\":{\"\"b\"\":1}}]}\"\n\
         Nimbus,Nimbus,\n",
    )
    .unwrap();
    let o = run(&[
        "validate",
        "--format",
        "json",
        "--only",
        "CAU-ContractApplied",
        "--applicability",
        "CONTRACT_COMMITMENTS_SUPPORTED",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    // Not JSON or not an object: the JsonObjectFormat conformance of the column.
    let c = rule(&r, "CAU-ContractApplied-C-001-M");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["violations"], 2);
    let shown = c["sample"]["rows"].to_string();
    assert!(
        shown.contains("not json") && shown.contains("[1,2]"),
        "{shown}"
    );
    // Elements that is not an array of objects.
    let o1 = rule(&r, "CAU-ContractAppliedObject-O-001-M");
    assert_eq!(o1["status"], "fail", "{o1}");
    assert!(
        o1["sample"]["rows"].to_string().contains("Elements"),
        "{o1}"
    );
    // A nested value inside an element (KeyValueFormat).
    assert_eq!(
        rule(&r, "CAU-ContractAppliedObject-O-004-M")["violations"],
        1
    );
    // Nothing errored: every malformed value is a finding, never a failure of the run.
    let errors: Vec<&serde_json::Value> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn an_unreadable_second_dataset_is_reported_and_the_first_still_validated() {
    let dir = scratch("bundle-unreadable");
    let broken = dir.join("contract-commitment.parquet");
    fs::write(&broken, "not,a\nparquet file\n").unwrap();
    let out = dir.join("report.json");
    let o = run(&[
        "validate",
        &testdata("focus-1.3/cost-and-usage.csv"),
        "--dataset",
        &format!("ContractCommitment={}", broken.display()),
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "an incomplete bundle is not a pass");
    assert!(
        stderr(&o).contains("the ContractCommitment dataset cannot be read")
            && stderr(&o).contains("contract-commitment.parquet"),
        "{}",
        stderr(&o)
    );
    let r: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(r["focus_version"], "1.3");
    assert!(r["rules"].as_array().unwrap().len() > 800);
    assert!(r.get("datasets").is_none());
}

#[test]
fn realistic_synthetic_exports_conform_in_every_profile_and_format() {
    // The benchmark's generator must write conformant data: any failure here is either a
    // generator bug or a false alarm of ours.
    let dir = scratch("synth-profiles");
    for (profile, ext) in [("aws", "parquet"), ("azure", "csv"), ("gcp", "csv.gz")] {
        let f = dir.join(format!("{profile}.{ext}"));
        let o = run(&[
            "synth",
            "--profile",
            profile,
            "--seed",
            "3",
            "--rows",
            "3000",
            "-o",
            f.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let r = validate_all_json(f.to_str().unwrap());
        assert_eq!(r["dataset"]["rows"], 3000, "{profile}");
        let failing: Vec<&serde_json::Value> = r["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["status"] == "fail" || x["status"] == "error")
            .collect();
        assert!(failing.is_empty(), "{profile}.{ext}: {failing:#?}");
    }
    // The same seed writes the same bytes.
    let again = dir.join("aws-again.parquet");
    assert_eq!(
        code(&run(&[
            "synth",
            "--profile",
            "aws",
            "--seed",
            "3",
            "--rows",
            "3000",
            "-o",
            again.to_str().unwrap(),
        ])),
        0
    );
    assert_eq!(
        fs::read(dir.join("aws.parquet")).unwrap(),
        fs::read(&again).unwrap()
    );
}

#[test]
fn a_nan_in_a_typed_parquet_cost_still_breaks_numeric_format() {
    // Native DOUBLE columns skip the text-format patterns (their verdict follows from the type),
    // except what the type leaves open: NaN and infinity are not numbers in NumericFormat.
    let dir = scratch("nan-parquet");
    let csv = variant(&dir, "nan.csv", &[(1, "BilledCost", "NaN")]);
    let parquet = convert_to(csv.to_str().unwrap(), &dir.join("nan.parquet"));
    for input in [&parquet, &csv] {
        let r = validate_all_json(input.to_str().unwrap());
        let a003 = rule(&r, "NumericFormat-A-003-M");
        assert_eq!(a003["status"], "fail", "{}: {a003}", input.display());
        assert_eq!(a003["violations"], 1, "{}: {a003}", input.display());
    }
    // And on the clean typed sample, every NumericFormat and DateTimeFormat part passes.
    let r = validate_all_json(&testdata("corpus/nimbus/sample.parquet"));
    for id in [
        "NumericFormat-A-003-M",
        "DateTimeFormat-A-001-M",
        "DateTimeFormat-A-006-M",
    ] {
        assert_eq!(rule(&r, id)["status"], "pass", "{id}");
    }
}

#[test]
fn a_carried_requirement_is_listed_in_each_version_and_shown_with_its_file() {
    for (version, count) in [("1.2", 621), ("1.3", 933), ("1.4", 1514)] {
        let o = run(&[
            "rules",
            "list",
            "--focus-version",
            version,
            "--format",
            "json",
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let ids: Vec<String> = json(&o)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids.len(), count, "FOCUS {version}");
        let carried = if version == "1.2" {
            "AvailabilityZone-C-001-M"
        } else {
            "CAU-AvailabilityZone-C-001-M"
        };
        assert!(
            ids.iter().any(|i| i == carried),
            "FOCUS {version} lists {carried}"
        );
    }
    let o = run(&[
        "rules",
        "show",
        "CAU-BilledCost-C-003-M",
        "--focus-version",
        "1.3",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            "defined in rules.d/focus-1.2/BilledCost/BilledCost-C-003-M.yaml (FOCUS 1.2 \
             BilledCost-C-003-M), carried into 1.3 as CAU-BilledCost-C-003-M"
        ),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "rules",
        "show",
        "CAU-AvailabilityZone-C-001-M",
        "--focus-version",
        "1.4",
    ]);
    assert!(
        stdout(&o).contains(
            "defined in rules.d/focus-1.2/AvailabilityZone/AvailabilityZone-C-001-M.yaml"
        ) && stdout(&o).contains("carried into 1.4 as CAU-AvailabilityZone-C-001-M"),
        "{}",
        stdout(&o)
    );
    // The file's own version says where else it is read.
    let o = run(&["rules", "show", "AvailabilityZone-C-001-M"]);
    assert!(
        stdout(&o).contains(
            "source:      rules.d/focus-1.2/AvailabilityZone/AvailabilityZone-C-001-M.yaml (also carried into FOCUS 1.3, 1.4)"
        ),
        "{}",
        stdout(&o)
    );
}

/// The embedded 1.2 file of `id`, as it is read in 1.3: ids prefixed, `carried_into` left out.
fn as_carried_into_1_3(id: &str) -> String {
    let folder = id.split('-').next().unwrap();
    let text =
        fs::read_to_string(root().join(format!("rules.d/focus-1.2/{folder}/{id}.yaml"))).unwrap();
    assert!(
        text.contains("carried_into: [\"1.3\""),
        "{id} is carried into 1.3"
    );
    text.lines()
        .filter(|l| !l.starts_with("carried_into:"))
        .map(|l| format!("{}\n", l.replace(id, &format!("CAU-{id}"))))
        .collect()
}

#[test]
fn lint_refuses_a_copy_of_an_inherited_requirement_and_accepts_a_fork() {
    let dir = scratch("carried-copy");
    let folder = dir.join("focus-1.3").join("CAU-BilledCost");
    fs::create_dir_all(&folder).unwrap();
    let copy = folder.join("CAU-BilledCost-C-003-M.yaml");
    let text = as_carried_into_1_3("BilledCost-C-003-M");
    fs::write(&copy, &text).unwrap();
    let lint = || {
        run(&[
            "rules",
            "lint",
            "--no-examples",
            "--focus-version",
            "1.3",
            "--rules",
            dir.to_str().unwrap(),
        ])
    };
    let o = lint();
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("{}:1: CAU-BilledCost-C-003-M is the FOCUS 1.2 requirement of rules.d/focus-1.2/BilledCost/BilledCost-C-003-M.yaml unchanged", copy.display()))
            && out.contains("list \"1.3\" under carried_into there"),
        "{out}"
    );
    // A fork (the text changed) is the version's own requirement.
    fs::write(
        &copy,
        text.replace("MUST NOT be null.", "MUST NOT be null in 1.3."),
    )
    .unwrap();
    let o = lint();
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

fn validate_status(version: &str, data: &str, dir: &Path, id: &str) -> String {
    let o = run(&[
        "validate",
        "--format",
        "json",
        "--focus-version",
        version,
        "--rules",
        dir.to_str().unwrap(),
        &testdata(data),
    ]);
    assert!(code(&o) <= 1, "{}", stderr(&o));
    let r = json(&o);
    let all: Vec<&serde_json::Value> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .chain(
            r["datasets"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|d| d["rules"].as_array().unwrap()),
        )
        .collect();
    all.iter()
        .find(|x| x["id"] == id)
        .unwrap_or_else(|| panic!("{id} in the FOCUS {version} report"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn an_override_of_a_carried_requirement_applies_to_its_version_only() {
    let id = "CAU-AvailabilityZone-C-001-M";
    let dir = scratch("carried-override");
    let before_13 = validate_status("1.3", "focus-1.3", &dir, id);
    let before_14 = validate_status("1.4", "focus-1.4", &dir, id);
    let folder = dir.join("focus-1.3").join("CAU-AvailabilityZone");
    fs::create_dir_all(&folder).unwrap();
    fs::write(
        folder.join(format!("{id}.yaml")),
        format!("id: {id}\nkeyword: MUST\nrequirement: every row offends\nkind: static\nfunction: type\ncheck:\n  sql: SELECT BilledCost FROM CostAndUsage\n"),
    )
    .unwrap();
    assert_ne!(before_13, "fail");
    assert_eq!(validate_status("1.3", "focus-1.3", &dir, id), "fail");
    assert_eq!(validate_status("1.4", "focus-1.4", &dir, id), before_14);
    let show = |version: &str| {
        stdout(&run(&[
            "rules",
            "show",
            id,
            "--focus-version",
            version,
            "--rules",
            dir.to_str().unwrap(),
        ]))
    };
    assert!(show("1.3").contains(&format!(
        "source:      {}",
        folder.join(format!("{id}.yaml")).display()
    )));
    assert!(show("1.4")
        .contains("defined in rules.d/focus-1.2/AvailabilityZone/AvailabilityZone-C-001-M.yaml"));
}

#[test]
fn an_edited_earlier_file_is_read_by_the_versions_it_lists() {
    let dir = scratch("carried-edit");
    let folder = dir.join("focus-1.2").join("BilledCost");
    fs::create_dir_all(&folder).unwrap();
    let file = folder.join("BilledCost-C-003-M.yaml");
    let text =
        fs::read_to_string(root().join("rules.d/focus-1.2/BilledCost/BilledCost-C-003-M.yaml"))
            .unwrap();
    let show = || {
        stdout(&run(&[
            "rules",
            "show",
            "CAU-BilledCost-C-003-M",
            "--focus-version",
            "1.3",
            "--rules",
            dir.to_str().unwrap(),
        ]))
    };
    // Edited in place (as with `--rules rules.d`), still carried: 1.3 reads the edit.
    fs::write(
        &file,
        text.replace("MUST NOT be null.", "MUST NOT be null (edited)."),
    )
    .unwrap();
    let out = show();
    assert!(
        out.contains("(edited)") && out.contains(&format!("defined in {}", file.display())),
        "{out}"
    );
    // An override that no longer lists 1.3 speaks for 1.2 only: 1.3 keeps the embedded rule.
    let own = text
        .lines()
        .filter(|l| !l.starts_with("carried_into:"))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("MUST NOT be null.", "MUST NOT be null (1.2 only).");
    fs::write(&file, own).unwrap();
    let out = show();
    assert!(
        !out.contains("1.2 only")
            && out.contains("defined in rules.d/focus-1.2/BilledCost/BilledCost-C-003-M.yaml"),
        "{out}"
    );
    let o = run(&[
        "rules",
        "list",
        "--focus-version",
        "1.3",
        "--format",
        "json",
        "--rules",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(json(&o).as_array().unwrap().len(), 933);
    // Carried and written again in the same place: an error naming both files.
    fs::write(&file, &text).unwrap();
    let own13 = dir.join("focus-1.3").join("CAU-BilledCost");
    fs::create_dir_all(&own13).unwrap();
    fs::write(
        own13.join("CAU-BilledCost-C-003-M.yaml"),
        as_carried_into_1_3("BilledCost-C-003-M").replace("null.", "null!"),
    )
    .unwrap();
    let o = run(&[
        "rules",
        "list",
        "--focus-version",
        "1.3",
        "--rules",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("CAU-BilledCost-C-003-M.yaml: CAU-BilledCost-C-003-M is also carried into FOCUS 1.3 from")
            && stderr(&o).contains("remove \"1.3\" from carried_into there"),
        "{}",
        stderr(&o)
    );
}
