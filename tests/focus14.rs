//! FOCUS 1.4 bundles through the real binary: a folder split into its four datasets, the
//! conformant sample bundle, a dataset a declaration requires but the bundle lacks, findings
//! across datasets, JSON Schema checks and `query` over every dataset of the bundle.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const BUNDLE: &str = "focus-1.4";

/// Every rule entry of a JSON report: the main dataset's and each companion's.
fn all_rules(r: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = r["rules"].as_array().unwrap().clone();
    for d in r["datasets"].as_array().into_iter().flatten() {
        out.extend(d["rules"].as_array().unwrap().iter().cloned());
    }
    out
}

fn find<'a>(rules: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    rules
        .iter()
        .find(|x| x["id"] == id)
        .unwrap_or_else(|| panic!("{id} not reported"))
}

/// A copy of the sample bundle in a scratch folder, with `edit` applied to the named file
/// (`None` drops it).
fn bundle_copy(name: &str, file: &str, edit: Option<&dyn Fn(String) -> String>) -> PathBuf {
    let dir = scratch(name);
    for e in fs::read_dir(testdata(BUNDLE)).unwrap() {
        let p = e.unwrap().path();
        let f = p.file_name().unwrap().to_string_lossy().to_string();
        if !f.ends_with(".csv") {
            continue;
        }
        let text = fs::read_to_string(&p).unwrap();
        match (f == file, edit) {
            (true, None) => {}
            (true, Some(edit)) => {
                let changed = edit(text.clone());
                assert_ne!(changed, text, "the edit of {f} changed nothing");
                fs::write(dir.join(&f), changed).unwrap();
            }
            (false, _) => fs::write(dir.join(&f), text).unwrap(),
        }
    }
    dir
}

fn validate(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["validate", "--format", "json", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn declaration() -> String {
    testdata("focus-1.4/declaration.yaml")
}

#[test]
fn the_sample_bundle_folder_is_split_detected_as_1_4_and_conforms() {
    let o = run(&[
        "validate",
        "--format",
        "json",
        &testdata(BUNDLE),
        "--declaration",
        &testdata("focus-1.4/declaration.yaml"),
    ]);
    let err = stderr(&o);
    assert!(err.contains("FOCUS 1.4"), "{err}");
    assert!(err.contains("a bundle: CostAndUsage"), "{err}");
    let r = json(&o);
    assert_eq!(r["focus_version"], "1.4");
    let rules = all_rules(&r);
    let failing: Vec<String> = rules
        .iter()
        .filter(|x| matches!(x["status"].as_str(), Some("fail" | "error")))
        .map(|x| format!("{} {} {}", x["id"], x["status"], x["reason"]))
        .collect();
    assert!(failing.is_empty(), "{}", failing.join("\n"));
    assert_eq!(code(&o), 0, "{err}");
    assert_eq!(
        r["certification"]["verdict"], "clean",
        "{}",
        r["certification"]
    );

    // Each of the four datasets was validated from its own file.
    let mut files = vec![r["dataset"]["paths"][0].as_str().unwrap().to_string()];
    for d in r["datasets"].as_array().unwrap() {
        files.push(d["dataset"]["paths"][0].as_str().unwrap().to_string());
    }
    let names: BTreeSet<String> = files
        .iter()
        .map(|f| {
            Path::new(f)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    let want: BTreeSet<String> = [
        "billing-period.csv",
        "contract-commitment.csv",
        "cost-and-usage.csv",
        "invoice-detail.csv",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, want);

    // Every FOCUS 1.4 requirement is reported: each dataset's in its scorecard, once, and the
    // attribute requirements in each dataset's scorecard.
    for card in std::iter::once(&r).chain(r["datasets"].as_array().unwrap()) {
        let ids: Vec<&str> = card["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap())
            .collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "an id is reported twice in one scorecard"
        );
    }
    let reported: Vec<String> = rules
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = include_str!("focus-1.4-ids.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 1514);
    let reported: BTreeSet<String> = reported.into_iter().collect();
    let missing: Vec<&String> = expected.difference(&reported).collect();
    let extra: Vec<&String> = reported.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );

    // Requirements reading two datasets ran (none skipped for want of the other one), and the
    // presence requirements of the datasets pass.
    let skipped_for_dataset: Vec<String> = rules
        .iter()
        .filter(|x| x["status"] == "skip")
        .filter(|x| {
            x["reason"]
                .as_str()
                .is_some_and(|s| s.contains("not supplied") || s.contains("dataset too"))
        })
        .map(|x| format!("{} {}", x["id"], x["reason"]))
        .collect();
    assert!(
        skipped_for_dataset.is_empty(),
        "{}",
        skipped_for_dataset.join("\n")
    );
    for id in [
        "CAU-CostAndUsage-D-077-M",
        "BIP-BillingPeriod-D-001-C",
        "IND-InvoiceDetail-D-001-C",
        "CCT-ContractCommitment-D-016-C",
    ] {
        assert_eq!(find(&rules, id)["status"], "pass", "{}", find(&rules, id));
    }
}

#[test]
fn a_dataset_the_provider_must_supply_but_the_bundle_lacks_fails_its_presence_requirement() {
    let dir = bundle_copy("focus14-no-billing-period", "billing-period.csv", None);
    let o = validate(&dir, &["--declaration", &declaration()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let rules = all_rules(&r);
    let presence = find(&rules, "BIP-BillingPeriod-D-001-C");
    assert_eq!(presence["status"], "fail", "{presence}");
    assert!(
        presence["reason"]
            .as_str()
            .unwrap()
            .contains("not supplied"),
        "{presence}"
    );
    // The dataset's other requirements are skipped, saying why, not passed.
    let other = find(&rules, "BIP-BillingPeriodStatus-C-003-M");
    assert_eq!(other["status"], "skip", "{other}");

    // Without the criterion the dataset is not required, and nothing fails.
    let o = validate(&dir, &["--applicability", "none"]);
    let r = json(&o);
    let rules = all_rules(&r);
    assert!(
        rules
            .iter()
            .all(|x| x["id"] != "BIP-BillingPeriod-D-001-C" || x["status"] != "fail"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_invoice_that_does_not_reconcile_shows_both_sums() {
    // Raise the billed cost of the first invoice detail record by 1000.
    let bump = |text: String| -> String {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let header = csv_fields(&lines[0]);
        let col = header.iter().position(|h| h == "BilledCost").unwrap();
        let mut fields = csv_fields(&lines[1]);
        let v: f64 = fields[col].parse().unwrap();
        fields[col] = format!("{}", v + 1000.0);
        lines[1] = csv_line(&fields);
        lines.join("\n") + "\n"
    };
    let dir = bundle_copy("focus14-invoice-off", "invoice-detail.csv", Some(&bump));
    let o = validate(&dir, &["--declaration", &declaration()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let rules = all_rules(&r);
    let rec = find(&rules, "IND-BilledCost-C-010-C");
    assert_eq!(rec["status"], "fail", "{rec}");
    let columns: Vec<&str> = rec["sample"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // One offending row names the invoice, with the sum of each side.
    assert!(columns.contains(&"InvoiceId"), "{columns:?}");
    assert!(columns.len() >= 4, "{columns:?}");
    assert_eq!(rec["violations"], 1, "{rec}");
}

#[test]
fn a_contract_applied_value_against_its_schema_names_the_requirement() {
    // Drop the ContractCommitmentId of every ContractApplied element.
    let edit = |text: String| {
        text.replace(
            "\"\"ContractCommitmentId\"\":",
            "\"\"x_WasCommitmentId\"\":",
        )
    };
    let dir = bundle_copy(
        "focus14-contract-applied",
        "cost-and-usage.csv",
        Some(&edit),
    );
    let o = validate(&dir, &["--declaration", &declaration()]);
    let r = json(&o);
    let rules = all_rules(&r);
    let schema = find(&rules, "CAU-ContractAppliedObject-O-067-M");
    assert_eq!(schema["status"], "fail", "{schema}");
    assert!(schema["violations"].as_u64().unwrap() >= 1);
    assert!(schema["sample"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "ContractApplied"));
}

#[test]
fn query_registers_every_dataset_of_a_bundle_folder_typed() {
    let o = run(&[
        "query",
        &testdata(BUNDLE),
        "--format",
        "csv",
        "-c",
        "SELECT (SELECT COUNT(*) FROM CostAndUsage) > 0 AS cau, \
                (SELECT COUNT(*) FROM ContractCommitment) > 0 AS cct, \
                (SELECT COUNT(*) FROM BillingPeriod) > 0 AS bip, \
                (SELECT COUNT(*) FROM InvoiceDetail) > 0 AS ind, \
                (SELECT arrow_typeof(BillingPeriodStart) FROM BillingPeriod LIMIT 1) AS start_type, \
                (SELECT arrow_typeof(BilledCost) FROM InvoiceDetail LIMIT 1) AS cost_type",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("true,true,true,true,Timestamp"), "{out}");
    assert!(!row.ends_with("Utf8"), "{out}");
}

/// A commitment the charges apply cost to but the Contract Commitment dataset does not list is
/// shown by the saved query (no FOCUS requirement makes it a violation).
#[test]
fn the_references_query_shows_a_commitment_the_bundle_does_not_list() {
    let dir = bundle_copy(
        "focus14-references",
        "contract-commitment.csv",
        Some(&|t: String| t.replace("cc-2026-spend", "cc-2026-other")),
    );
    let o = run(&[
        "query",
        dir.to_str().unwrap(),
        "--saved",
        "contract_commitment_references",
        "--format",
        "csv",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let row = out
        .lines()
        .find(|l| l.contains(",cc-2026-spend,"))
        .unwrap_or_else(|| panic!("the referenced commitment is listed: {out}"));
    assert!(row.contains(",false,"), "{out}");
    // Conformance is unchanged: no requirement says a referenced commitment must be listed.
    let v = validate(&dir, &["--declaration", &declaration()]);
    assert_eq!(code(&v), 0, "{}", stderr(&v));
}

/// `--only` narrows what is checked, not what the declaration may name: an attestation of a
/// requirement left out is no error.
#[test]
fn only_with_a_declaration_that_attests_a_requirement_left_out() {
    let o = validate(
        Path::new(&testdata(BUNDLE)),
        &["--declaration", &declaration(), "--only", "CAU-Tags"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json(&o);
    let rules = all_rules(&r);
    assert!(rules.iter().any(|x| x["id"] == "CAU-Tags-C-001-M"), "{r}");
    assert!(
        !rules.iter().any(|x| x["id"] == "CAU-BilledCost-C-007-C"),
        "{r}"
    );
}

/// A large CSV of charges is parsed once: the companion datasets' cross-dataset requirements
/// read the columnar copy the Cost and Usage validation made, and still see every charge.
#[test]
fn companions_of_a_large_csv_read_its_columnar_copy_and_still_reconcile() {
    let dir = bundle_copy("focus14-large-csv", "cost-and-usage.csv", None);
    let charges = dir.join("cost-and-usage.csv");
    let o = run(&[
        "synth",
        "--focus-version",
        "1.4",
        "--template",
        &testdata("focus-1.4/cost-and-usage.csv"),
        "--rows",
        "24000",
        "-o",
        charges.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Large enough to be copied to columnar form (16 MiB and more).
    assert!(fs::metadata(&charges).unwrap().len() >= 16 << 20);
    // The invoice now names the synthetic charges' issuer but claims far more than they cost.
    let issuer = {
        let q = run(&[
            "query",
            charges.to_str().unwrap(),
            "--format",
            "csv",
            "-c",
            "SELECT MIN(InvoiceIssuerName) FROM CostAndUsage",
        ]);
        stdout(&q).lines().nth(1).unwrap().to_string()
    };
    let invoice = fs::read_to_string(testdata("focus-1.4/invoice-detail.csv"))
        .unwrap()
        .replace("Nimbus Cloud", &issuer)
        .replace("\n29.88,", "\n99999999.88,");
    fs::write(dir.join("invoice-detail.csv"), invoice).unwrap();
    let v = validate(&dir, &["--declaration", &declaration()]);
    assert_eq!(code(&v), 1, "{}", stderr(&v));
    let r = json(&v);
    let rules = all_rules(&r);
    let reconciled = find(&rules, "IND-BilledCost-C-010-C");
    assert_eq!(reconciled["status"], "fail", "{reconciled}");
    assert_eq!(reconciled["violations"], 1, "{reconciled}");
}

#[test]
fn a_bundle_scrubbed_with_one_key_keeps_its_links_and_its_verdict() {
    let dir = scratch("focus14-scrub");
    let key = dir.join("key");
    fs::write(&key, "0123456789abcdef0123456789abcdef").unwrap();
    let out = dir.join("bundle");
    fs::create_dir_all(&out).unwrap();
    for f in [
        "cost-and-usage.csv",
        "contract-commitment.csv",
        "billing-period.csv",
        "invoice-detail.csv",
    ] {
        let o = run(&[
            "scrub",
            &testdata(&format!("{BUNDLE}/{f}")),
            "-o",
            out.join(f).to_str().unwrap(),
            "--key-file",
            key.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{f}: {}", stderr(&o));
    }
    let cau = fs::read_to_string(out.join("cost-and-usage.csv")).unwrap();
    let ind = fs::read_to_string(out.join("invoice-detail.csv")).unwrap();
    assert!(
        !cau.contains("ba-1001") && !ind.contains("ba-1001"),
        "account ids are hidden"
    );
    // The scrubbed bundle validates as the original does, the joins across datasets included.
    let o = validate(&out, &["--declaration", &declaration()]);
    let r = json(&o);
    let failing: Vec<String> = all_rules(&r)
        .iter()
        .filter(|x| matches!(x["status"].as_str(), Some("fail" | "error")))
        .map(|x| format!("{} {}", x["id"], x["reason"]))
        .collect();
    assert!(failing.is_empty(), "{}", failing.join("\n"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}
