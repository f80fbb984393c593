//! `focus-sql scrub`: anonymized copies that validate exactly as the original.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn scrub(input: &str, out: &Path, key: &Path) -> std::process::Output {
    run(&[
        "scrub",
        input,
        "-o",
        out.to_str().unwrap(),
        "--key-file",
        key.to_str().unwrap(),
    ])
}

fn statuses(path: &str) -> Vec<(String, String, u64)> {
    let r = validate_all_json(path);
    r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["id"].as_str().unwrap().into(),
                x["status"].as_str().unwrap().into(),
                x["violations"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn records(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap());
    (header, lines.map(csv_fields).collect())
}

#[test]
fn a_scrubbed_sample_keeps_costs_and_verdicts_and_hides_identities() {
    let dir = scratch("scrub");
    let key = dir.join("key");
    fs::write(&key, "correct horse battery staple\n").unwrap();
    let out = dir.join("scrubbed.csv");
    let o = scrub(&testdata("sample.csv"), &out, &key);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Every requirement's outcome and violation count is unchanged, on clean and broken data.
    assert_eq!(
        statuses(&testdata("sample.csv")),
        statuses(out.to_str().unwrap())
    );
    let bad = dir.join("bad.csv");
    assert_eq!(
        code(&scrub(&testdata("broken/bad-values.csv"), &bad, &key)),
        0
    );
    assert_eq!(
        statuses(&testdata("broken/bad-values.csv")),
        statuses(bad.to_str().unwrap())
    );

    let (h0, r0) = sample_records();
    let (h1, r1) = records(&out);
    assert_eq!(h0, h1);
    assert_eq!(r0.len(), r1.len());
    let col = |n: &str| h0.iter().position(|h| h == n).unwrap();
    for name in [
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "ChargePeriodStart",
        "BillingPeriodEnd",
        "BillingCurrency",
        "ChargeCategory",
        "ChargeClass",
        "ConsumedQuantity",
        "PricingQuantity",
        "ServiceName",
        "RegionId",
    ] {
        let c = col(name);
        assert!(
            r0.iter().zip(&r1).all(|(a, b)| a[c] == b[c]),
            "{name} must stay as it is"
        );
    }
    for name in [
        "BillingAccountId",
        "BillingAccountName",
        "SubAccountId",
        "SubAccountName",
        "ResourceId",
        "ResourceName",
        "CommitmentDiscountId",
    ] {
        let c = col(name);
        let mut mapping: BTreeMap<&str, &str> = BTreeMap::new();
        for (a, b) in r0.iter().zip(&r1) {
            assert_eq!(
                a[c].is_empty(),
                b[c].is_empty(),
                "{name}: null stays null, value stays value"
            );
            if a[c].is_empty() {
                continue;
            }
            assert_ne!(a[c], b[c], "{name} {} is not hidden", a[c]);
            assert!(
                !fs::read_to_string(&out)
                    .unwrap()
                    .contains(&format!(",{},", a[c])),
                "{name} {} still appears",
                a[c]
            );
            let prev = mapping.insert(&a[c], &b[c]);
            assert!(
                prev.is_none() || prev == Some(&b[c]),
                "{name}: one value, one replacement"
            );
        }
        let outputs: std::collections::BTreeSet<&&str> = mapping.values().collect();
        assert_eq!(
            outputs.len(),
            mapping.len(),
            "{name}: distinct values stay distinct"
        );
    }
    // Tag keys kept, values removed.
    let t = col("Tags");
    for (a, b) in r0.iter().zip(&r1) {
        if a[t].is_empty() {
            assert!(b[t].is_empty());
            continue;
        }
        let before: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&a[t]).unwrap();
        let after: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&b[t]).unwrap();
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>()
        );
        assert!(after.values().all(|v| v == ""), "{after:?}");
    }

    // Deterministic for a key, different for another.
    let again = dir.join("again.csv");
    assert_eq!(code(&scrub(&testdata("sample.csv"), &again, &key)), 0);
    assert_eq!(fs::read(&out).unwrap(), fs::read(&again).unwrap());
    let key2 = dir.join("key2");
    fs::write(&key2, "another secret, entirely").unwrap();
    let other = dir.join("other.csv");
    assert_eq!(code(&scrub(&testdata("sample.csv"), &other, &key2)), 0);
    assert_ne!(fs::read(&out).unwrap(), fs::read(&other).unwrap());
}

#[test]
fn parquet_and_gzip_outputs_validate_as_their_input() {
    let dir = scratch("scrub-formats");
    let key = dir.join("key");
    fs::write(&key, "correct horse battery staple").unwrap();
    let pq = testdata("corpus/nimbus/sample.parquet");
    let out = dir.join("scrubbed.parquet");
    let o = scrub(&pq, &out, &key);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(statuses(&pq), statuses(out.to_str().unwrap()));
    let gz = dir.join("scrubbed.csv.gz");
    assert_eq!(code(&scrub(&testdata("sample.csv"), &gz, &key)), 0);
    assert_eq!(
        statuses(&testdata("sample.csv")),
        statuses(gz.to_str().unwrap())
    );
}

#[test]
fn scrub_refuses_to_overwrite_its_input_or_run_without_a_key() {
    let dir = scratch("scrub-refuse");
    let copy = dir.join("in.csv");
    fs::copy(testdata("sample.csv"), &copy).unwrap();
    let key = dir.join("key");
    fs::write(&key, "correct horse battery staple").unwrap();
    let o = scrub(copy.to_str().unwrap(), &copy, &key);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("refusing to overwrite an input"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        fs::read(&copy).unwrap(),
        fs::read(testdata("sample.csv")).unwrap(),
        "the input is untouched"
    );
    let o = bin()
        .args([
            "scrub",
            copy.to_str().unwrap(),
            "-o",
            dir.join("x.csv").to_str().unwrap(),
        ])
        .env_remove("FOCUS_SQL_SCRUB_KEY")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--key-file"), "{}", stderr(&o));
    assert!(!dir.join("x.csv").exists());
}

#[test]
fn a_focus_1_3_bundle_scrubbed_with_one_key_keeps_its_links() {
    let dir = scratch("scrub-1-3");
    let key = dir.join("key");
    fs::write(&key, "0123456789abcdef0123456789abcdef").unwrap();
    let cau = dir.join("cost-and-usage.csv");
    let cct = dir.join("contract-commitment.csv");
    for (input, out) in [
        (testdata("focus-1.3/cost-and-usage.csv"), &cau),
        (testdata("focus-1.3/contract-commitment.csv"), &cct),
    ] {
        let o = scrub(&input, out, &key);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let (header, rows) = records(&cct);
    let at = header
        .iter()
        .position(|h| h == "ContractCommitmentId")
        .unwrap();
    let tokens: Vec<&str> = rows.iter().map(|r| r[at].as_str()).collect();
    assert!(tokens.iter().all(|t| t.starts_with("anon-")), "{tokens:?}");
    let text = fs::read_to_string(&cau).unwrap();
    assert!(!text.contains("cc-2026-spend") && !text.contains("contract-2026-nimbus"));
    assert!(
        tokens.iter().any(|t| text.contains(t)),
        "the ids inside ContractApplied get the Contract Commitment dataset's tokens"
    );
    // The scrubbed bundle validates as the original does, the join across datasets included.
    let o = run(&[
        "validate",
        cau.to_str().unwrap(),
        "--dataset",
        &format!("ContractCommitment={}", cct.display()),
        "--declaration",
        &testdata("focus-1.3/declaration.yaml"),
    ]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}
