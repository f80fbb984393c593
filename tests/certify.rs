//! Certification (`validate --declaration`): verdict, KILs, sufficiency and evidence checks,
//! driven through the binary on the bundled sample and variants of it.

mod common;

use common::*;
use std::fs;

fn declaration() -> String {
    testdata("corpus/nimbus/declaration.yaml")
}

fn certify(path: &str, extra: &[&str]) -> serde_json::Value {
    let decl = declaration();
    let mut args = vec![
        "validate",
        path,
        "--declaration",
        decl.as_str(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(code(&o) == 0 || code(&o) == 1, "{}", stderr(&o));
    let r = json(&o);
    r["certification"].clone()
}

fn evidence<'a>(c: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no evidence check {id}"))
}

#[test]
fn the_sample_is_clean_and_its_evidence_checks_pass() {
    let dir = scratch("certify-clean");
    let invoices = dir.join("invoices.csv");
    fs::write(
        &invoices,
        "InvoiceId,currency,total\nINV-2026-05-001,USD,215.7024\n",
    )
    .unwrap();
    let c = certify(
        &testdata("sample.csv"),
        &["--invoices", invoices.to_str().unwrap()],
    );
    assert_eq!(c["verdict"], "clean", "{c}");
    assert_eq!(c["deviation_count"], 0);
    assert_eq!(c["provider"], "Nimbus Cloud");
    for e in c["evidence"].as_array().unwrap() {
        match e["status"].as_str().unwrap() {
            "pass" => {}
            "skip" => assert!(e["reason"].is_string(), "a skipped check says why: {e}"),
            _ => panic!("false alarm on the conformant sample: {e}"),
        }
    }
    assert_eq!(evidence(&c, "invoice-alignment")["status"], "pass");
    let states: Vec<(&str, &str)> = c["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["state"].as_str().unwrap()))
        .collect();
    assert!(
        states.contains(&("invoice alignment", "automated: pass")),
        "{states:?}"
    );
    assert!(
        states.contains(&("marketplace billing", "missing")),
        "{states:?}"
    );
    // The score counts what applies: met over applicable, evidence unattested is not met.
    let (met, applicable) = (
        c["met"].as_u64().unwrap(),
        c["applicable"].as_u64().unwrap(),
    );
    assert!(
        met < applicable && met > applicable / 2,
        "{met}/{applicable}"
    );
    assert!((c["score"].as_f64().unwrap() - met as f64 / applicable as f64).abs() < 1e-12);
    let suff: Vec<(&str, &str)> = c["sufficiency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["check"].as_str().unwrap(), s["level"].as_str().unwrap()))
        .collect();
    assert!(
        suff.contains(&("complete billing period", "ok")),
        "{suff:?}"
    );
    assert!(
        suff.contains(&("row count", "warning")),
        "37 rows is small: {suff:?}"
    );
}

#[test]
fn each_evidence_check_catches_its_violation() {
    let dir = scratch("certify-evidence");
    type Edit<'a> = (usize, &'a str, &'a str);
    let cases: Vec<(&str, Vec<Edit>)> = vec![
        ("pricing-math", vec![(1, "ListCost", "5.8")]),
        (
            "period-boundaries",
            vec![(1, "ChargePeriodEnd", "2026-06-02T00:00:00Z")],
        ),
        (
            "purchase-effective-cost",
            vec![(29, "EffectiveCost", "89.28")],
        ),
        ("currency-consistency", vec![(3, "BillingCurrency", "EUR")]),
        (
            "consumed-quantity-semantics",
            vec![(36, "ConsumedQuantity", "1"), (36, "ConsumedUnit", "Hours")],
        ),
        (
            "identifier-uniqueness",
            vec![(2, "BillingAccountName", "Another Name")],
        ),
        (
            "commitment-amortization",
            vec![(15, "EffectiveCost", "100")],
        ),
    ];
    for (id, edits) in cases {
        let path = variant(&dir, &format!("{id}.csv"), &edits);
        let c = certify(path.to_str().unwrap(), &[]);
        let e = evidence(&c, id);
        assert_eq!(e["status"], "fail", "{id}: {e}");
        assert!(
            e["violations"].as_u64().unwrap() >= 1
                && e["sample"]["rows"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty()),
            "{e}"
        );
        let area = e["area"].as_str().unwrap().replace('-', " ");
        let a = c["attestations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["area"] == e["area"])
            .unwrap();
        assert_eq!(a["state"], "automated: fail", "{area}: {a}");
    }
    // Invoice totals that disagree with the data.
    let invoices = dir.join("invoices.csv");
    fs::write(
        &invoices,
        "InvoiceId,BillingCurrency,Total\nINV-2026-05-001,USD,215.00\nINV-MISSING,USD,3\n",
    )
    .unwrap();
    let c = certify(
        &testdata("sample.csv"),
        &["--invoices", invoices.to_str().unwrap()],
    );
    assert_eq!(evidence(&c, "invoice-alignment")["violations"], 2);
}

#[test]
fn kils_are_excluded_from_the_count_and_deviations_carry_their_workaround() {
    let dir = scratch("certify-kil");
    // Two counted failures on conditional columns: an unknown CommitmentDiscountStatus value and
    // a ConsumedQuantity on a tax row.
    let path = variant(
        &dir,
        "two.csv",
        &[
            (15, "CommitmentDiscountStatus", "Partial"),
            (36, "ConsumedQuantity", "1"),
            (36, "ConsumedUnit", "Hours"),
        ],
    );
    let plain = certify(path.to_str().unwrap(), &[]);
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let deviations = ids(&plain["deviations"]);
    assert_eq!(plain["verdict"], "deviations", "{plain}");
    assert!(deviations.len() >= 2, "{deviations:?}");
    let kil_id = deviations
        .iter()
        .find(|i| i.starts_with("CommitmentDiscountStatus"))
        .unwrap()
        .clone();
    let other = deviations
        .iter()
        .find(|i| i.starts_with("ConsumedQuantity"))
        .unwrap()
        .clone();

    let base = fs::read_to_string(declaration()).unwrap();
    let decl = dir.join("declaration.yaml");
    fs::write(
        &decl,
        format!(
            "{base}deviations:\n  - requirement: {other}\n    description: Tax rows carry the taxed quantity.\n    workaround: Filter ChargeCategory = 'Usage'.\nkils:\n  - requirement: {kil_id}\n    description: Partial commitments are an industry-wide gap.\n    evidence: KIL-TEST-1\n    approved: true\n"
        ),
    )
    .unwrap();
    let o = run(&[
        "validate",
        path.to_str().unwrap(),
        "--declaration",
        decl.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let c = &json(&o)["certification"];
    assert!(ids(&c["kils"]).contains(&kil_id), "{c}");
    assert!(!ids(&c["deviations"]).contains(&kil_id));
    assert_eq!(
        c["deviation_count"].as_u64().unwrap() as usize,
        deviations.len() - 1
    );
    let dev = c["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == other.as_str())
        .unwrap();
    assert_eq!(dev["workaround"], "Filter ChargeCategory = 'Usage'.");
    // The table says the same in words.
    let o = run(&[
        "validate",
        path.to_str().unwrap(),
        "--declaration",
        decl.to_str().unwrap(),
    ]);
    let out = stdout(&o);
    assert!(
        out.contains("Known Industry Limitations")
            && out.contains("KIL-TEST-1")
            && out.contains("workaround: Filter"),
        "{out}"
    );
}

#[test]
fn a_broken_sample_is_blocked_by_mandatory_static_failures() {
    let c = certify(&testdata("broken/bad-values.csv"), &[]);
    assert_eq!(c["verdict"], "blocked");
    let blocking: Vec<&str> = c["blocking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(
        blocking.contains(&"BilledCost-C-001-M") && blocking.contains(&"ChargeCategory-C-003-M"),
        "{blocking:?}"
    );
    // SHOULD findings and attribute failures are disclosed, never counted.
    for f in c["deviations"].as_array().unwrap() {
        assert!(f["keyword"] == "MUST" || f["keyword"] == "MUST NOT", "{f}");
        assert!(!f["id"].as_str().unwrap().contains("-A-"), "{f}");
    }
}

#[test]
fn marketplace_billing_is_checked_on_the_declared_third_party_issuers() {
    let dir = scratch("certify-marketplace");
    // Rows 1 and 2 are resold through a marketplace that collects the payment; row 2 is billed
    // correctly (BilledCost 0), row 1 is not.
    let path = variant(
        &dir,
        "marketplace.csv",
        &[
            (1, "InvoiceIssuerName", "Example Marketplace"),
            (2, "InvoiceIssuerName", "Example Marketplace"),
            (2, "BilledCost", "0"),
        ],
    );
    let decl = dir.join("declaration.yaml");
    let base = fs::read_to_string(declaration()).unwrap();
    let run_with = |extra: &str| {
        fs::write(&decl, format!("{base}{extra}")).unwrap();
        let o = run(&[
            "validate",
            path.to_str().unwrap(),
            "--declaration",
            decl.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(code(&o) == 0 || code(&o) == 1, "{}", stderr(&o));
        json(&o)["certification"].clone()
    };
    // Without the declaration naming the issuer, the rows to check are unknown: skipped, and
    // the attestation stays missing.
    let c = run_with("");
    let e = evidence(&c, "marketplace-billing");
    assert_eq!(e["status"], "skip", "{e}");
    assert!(e["reason"]
        .as_str()
        .unwrap()
        .contains("third_party_invoice_issuers"));
    let c = run_with("third_party_invoice_issuers: [Example Marketplace]\n");
    let e = evidence(&c, "marketplace-billing");
    assert_eq!(e["status"], "fail", "{e}");
    assert_eq!(
        e["violations"], 1,
        "only row 1 bills what the marketplace collects: {e}"
    );
    let shown = e["sample"]["rows"][0].to_string();
    assert!(
        shown.contains("Example Marketplace") && shown.contains("4.32"),
        "{shown}"
    );
    // Naming an issuer with no rows in the sample gives a pass (nothing billed for it).
    let c = run_with("third_party_invoice_issuers: [Other Marketplace]\n");
    assert_eq!(evidence(&c, "marketplace-billing")["status"], "pass");
}

#[test]
fn declaration_mistakes_are_located() {
    let dir = scratch("certify-bad-decl");
    let d = dir.join("d.yaml");
    fs::write(&d, "provider: X\nfeatures:\n  - Tagz\n").unwrap();
    let o = run(&[
        "validate",
        &testdata("sample.csv"),
        "--declaration",
        d.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("d.yaml:3:") && stderr(&o).contains("Availability Zones"),
        "{}",
        stderr(&o)
    );
    fs::write(
        &d,
        "provider: X\nkils:\n  - {requirement: Nope-C-001-M, description: x, evidence: y}\n",
    )
    .unwrap();
    let o = run(&[
        "validate",
        &testdata("sample.csv"),
        "--declaration",
        d.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown requirement id(s): Nope-C-001-M"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_gap_report_drafts_every_section_and_maps_every_column() {
    let dir = scratch("gap-report");
    let md = dir.join("gap.md");
    let o = run(&[
        "report",
        &testdata("sample.csv"),
        "--declaration",
        &declaration(),
        "-o",
        md.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = fs::read_to_string(&md).unwrap();
    for s in [
        "Certification summary",
        "Sample sufficiency",
        "Blocking failures",
        "Deviations",
        "Known Industry Limitations",
        "Disclosed findings",
        "Applicability declarations",
        "Attestations",
        "Column mapping reference",
    ] {
        assert!(text.contains(s), "missing section {s}");
    }
    // One mapping row per column of the sample, with its null share and sample values.
    let (header, rows) = sample_records();
    for h in &header {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("| {h} |"))),
            "no mapping row for {h}"
        );
    }
    let cat = header.iter().position(|h| h == "ChargeClass").unwrap();
    let nulls = rows.iter().filter(|r| r[cat].is_empty()).count();
    let share = format!("{:.1}%", nulls as f64 * 100.0 / rows.len() as f64);
    let line = text
        .lines()
        .find(|l| l.starts_with("| ChargeClass |"))
        .unwrap();
    assert!(
        line.contains(&share) && line.contains("Correction"),
        "{line} (expected {share})"
    );
    assert!(
        text.contains("| Tags | supported | TAGGING_SUPPORTED |"),
        "declared features are listed"
    );
    assert!(text.contains("| Capacity Reservations | not supported |"));

    // HTML: one self-contained file (no external scripts, styles or images).
    let html = dir.join("gap.html");
    let o = run(&[
        "report",
        &testdata("broken/bad-values.csv"),
        "--declaration",
        &declaration(),
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let h = fs::read_to_string(&html).unwrap();
    assert!(h.starts_with("<!DOCTYPE html>") && h.trim_end().ends_with("</html>"));
    for external in ["<script", "<link", "src=", "url("] {
        assert!(!h.contains(external), "external reference {external}");
    }
    assert!(h.contains("class=\"verdict blocked\"") && h.contains("BilledCost-C-001-M"));
    assert_eq!(h.matches("<section").count(), 9);
}
