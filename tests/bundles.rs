//! Bundles as they are delivered and given: folders holding manifests, checksums and run logs
//! beside the data (a converter's FOCUS 1.4 bundle), one way to give a bundle to every command
//! (a folder, or a file plus `--dataset NAME=PATH`), and cross-dataset requirements that must
//! not pass without a shared key.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const BUNDLE: &str = "focus-1.4";

/// The sample bundle's files and the names a converter gives them.
const FILES: [(&str, &str, &str); 4] = [
    (
        "cost-and-usage.csv",
        "focus_1_4_cost_and_usage.csv",
        "Cost and Usage",
    ),
    (
        "contract-commitment.csv",
        "focus_1_4_contract_commitment.csv",
        "Contract Commitment",
    ),
    (
        "billing-period.csv",
        "focus_1_4_billing_period.csv",
        "Billing Period",
    ),
    (
        "invoice-detail.csv",
        "focus_1_4_invoice_detail.csv",
        "Invoice Detail",
    ),
];

/// A manifest of the shape the focus-data-toolkit writes (`focus_1_4_manifest.json`,
/// pretty-printed): each dataset's status and, when produced, its output file.
fn toolkit_manifest(produced: &[(&str, &str)], not_produced: &[&str]) -> String {
    let mut datasets = serde_json::Map::new();
    for (name, file) in produced {
        datasets.insert(
            name.to_string(),
            serde_json::json!({
                "columns": {"BilledCost": {"lineage": "OBSERVED", "source": "CostAndUsage.BilledCost"}},
                "conformance": "STRUCTURAL_LINT",
                "output_file": file,
                "row_count": 1,
                "status": "PRODUCED"
            }),
        );
    }
    for name in not_produced {
        datasets.insert(
            name.to_string(),
            serde_json::json!({
                "conformance": "INCOMPLETE",
                "reason": "Mandatory provider-issued fields unavailable from Cost and Usage",
                "status": "NOT_PRODUCED"
            }),
        );
    }
    serde_json::to_string_pretty(&serde_json::json!({
        "assumptions_present": false,
        "datasets": datasets,
        "mode": "strict",
        "source_version": "1.3",
        "target_version": "1.4",
        "tool_version": "0.14.1"
    }))
    .unwrap()
        + "\n"
}

/// The sample bundle as a converter delivers it: its four files under the converter's names,
/// the manifest naming each file's dataset, checksums, run metadata and a log.
fn toolkit_folder(name: &str) -> PathBuf {
    let dir = scratch(name);
    let mut sums = String::new();
    for (from, to, _) in FILES {
        fs::copy(testdata(&format!("{BUNDLE}/{from}")), dir.join(to)).unwrap();
        sums.push_str(&format!("{}  {to}\n", "0".repeat(64)));
    }
    let produced: Vec<(&str, &str)> = FILES.iter().map(|(_, to, ds)| (*ds, *to)).collect();
    fs::write(
        dir.join("focus_1_4_manifest.json"),
        toolkit_manifest(&produced, &[]),
    )
    .unwrap();
    fs::write(dir.join("SHA256SUMS"), sums).unwrap();
    fs::write(
        dir.join("_run.json"),
        "{\n  \"files\": [],\n  \"manifest\": \"focus_1_4_manifest.json\"\n}\n",
    )
    .unwrap();
    fs::write(dir.join("convert.log"), "wrote 4 files\n").unwrap();
    dir
}

/// Every rule of a JSON report, keyed `Dataset:Id`, with its status and violations.
fn outcomes(r: &serde_json::Value) -> BTreeMap<String, (String, u64)> {
    let mut out = BTreeMap::new();
    let reports = std::iter::once(r).chain(r["datasets"].as_array().into_iter().flatten());
    for d in reports {
        let name = d["dataset"]["name"].as_str().unwrap().to_string();
        for x in d["rules"].as_array().unwrap() {
            out.insert(
                format!("{name}:{}", x["id"].as_str().unwrap()),
                (
                    x["status"].as_str().unwrap().to_string(),
                    x["violations"].as_u64().unwrap(),
                ),
            );
        }
    }
    out
}

/// Every rule entry with a note, as `Dataset:Id`.
fn noted(r: &serde_json::Value) -> Vec<String> {
    let reports = std::iter::once(r).chain(r["datasets"].as_array().into_iter().flatten());
    let mut out = Vec::new();
    for d in reports {
        for x in d["rules"].as_array().unwrap() {
            if x.get("note").is_some() {
                out.push(format!(
                    "{}:{}",
                    d["dataset"]["name"].as_str().unwrap(),
                    x["id"].as_str().unwrap()
                ));
            }
        }
    }
    out
}

fn validate_json(paths: &[&str], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["validate", "--format", "json"];
    args.extend_from_slice(paths);
    args.extend_from_slice(extra);
    run(&args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_converters_folder_skips_what_is_not_data_and_follows_its_manifest() {
    let dir = toolkit_folder("bundles-toolkit");
    // A data file the manifest does not list is not read, and said so.
    fs::copy(
        testdata(&format!("{BUNDLE}/billing-period.csv")),
        dir.join("stray.csv"),
    )
    .unwrap();
    let o = validate_json(&[s(&dir)], &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 0, "{err}");
    // One note names every file left out, with what it is.
    let note = err
        .lines()
        .find(|l| l.contains("not data left out"))
        .unwrap_or_else(|| panic!("{err}"));
    for f in [
        "focus_1_4_manifest.json (JSON document)",
        "SHA256SUMS (checksums)",
        "_run.json (JSON document)",
        "convert.log (run log)",
    ] {
        assert!(note.contains(f), "{f}: {note}");
    }
    assert_eq!(err.matches("not data left out").count(), 1, "{err}");
    assert!(
        err.contains("as focus_1_4_manifest.json names them"),
        "{err}"
    );
    assert!(
        err.contains("not in focus_1_4_manifest.json and are not read: stray.csv"),
        "{err}"
    );
    // Every dataset as the manifest names it, with the verdicts of the sample bundle.
    let r = json(&o);
    let mine = outcomes(&r);
    let reference = outcomes(&json(&validate_json(&[&testdata(BUNDLE)], &[])));
    assert_eq!(mine, reference);
    let names: Vec<&str> = std::iter::once(&r)
        .chain(r["datasets"].as_array().unwrap())
        .map(|d| d["dataset"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "CostAndUsage",
            "ContractCommitment",
            "BillingPeriod",
            "InvoiceDetail"
        ]
    );
    assert!(r["datasets"][1]["dataset"]["paths"][0]
        .as_str()
        .unwrap()
        .ends_with("focus_1_4_billing_period.csv"));
}

#[test]
fn the_manifest_decides_a_files_dataset_not_its_columns() {
    // The manifest calls the billing period file Invoice Detail: it is validated as such (and
    // fails the Invoice Detail presence requirements), not recognised by its columns.
    let dir = scratch("bundles-manifest-decides");
    fs::copy(
        testdata(&format!("{BUNDLE}/cost-and-usage.csv")),
        dir.join("a.csv"),
    )
    .unwrap();
    fs::copy(
        testdata(&format!("{BUNDLE}/billing-period.csv")),
        dir.join("b.csv"),
    )
    .unwrap();
    fs::write(
        dir.join("focus_1_4_manifest.json"),
        toolkit_manifest(
            &[("Cost and Usage", "a.csv"), ("Invoice Detail", "b.csv")],
            &["Billing Period", "Contract Commitment"],
        ),
    )
    .unwrap();
    let o = validate_json(&[s(&dir)], &["--focus-version", "1.4"]);
    let r = json(&o);
    let ind = r["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dataset"]["name"] == "InvoiceDetail")
        .unwrap_or_else(|| panic!("{r}"));
    assert!(ind["dataset"]["paths"][0]
        .as_str()
        .unwrap()
        .ends_with("b.csv"));
    assert_eq!(ind["dataset"]["rows"], 1);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

#[test]
fn a_file_the_manifest_lists_that_is_missing_stops_the_run() {
    let dir = toolkit_folder("bundles-missing");
    fs::remove_file(dir.join("focus_1_4_invoice_detail.csv")).unwrap();
    let o = validate_json(&[s(&dir)], &[]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("focus_1_4_manifest.json lists 1 file(s) that are not there")
            && err.contains("focus_1_4_invoice_detail.csv (Invoice Detail)"),
        "{err}"
    );
    // Every command that reads the folder stops the same way.
    let q = run(&["query", s(&dir), "-c", "SELECT COUNT(*) FROM CostAndUsage"]);
    assert_eq!(code(&q), 2, "{}", stderr(&q));
    assert!(stderr(&q).contains("focus_1_4_invoice_detail.csv"));
}

#[test]
fn a_single_file_with_a_manifest_beside_it_validates() {
    let dir = scratch("bundles-one-file");
    fs::copy(testdata("sample.csv"), dir.join("export.csv")).unwrap();
    // Not a bundle manifest: only left out.
    fs::write(
        dir.join("manifest.json"),
        "{\n  \"files\": [\"export.csv\"],\n  \"rows\": 37\n}\n",
    )
    .unwrap();
    let o = validate_json(&[s(&dir)], &["--applicability", "all"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("manifest.json (JSON document)"));
    assert_eq!(
        outcomes(&json(&o)),
        outcomes(&validate_all_json(&testdata("sample.csv")))
    );
    // The converter's own manifest with one dataset produced: that file, as Cost and Usage.
    let dir = scratch("bundles-one-dataset");
    fs::copy(
        testdata(&format!("{BUNDLE}/cost-and-usage.csv")),
        dir.join("focus_1_4_cost_and_usage.csv"),
    )
    .unwrap();
    fs::write(
        dir.join("focus_1_4_manifest.json"),
        toolkit_manifest(
            &[("Cost and Usage", "focus_1_4_cost_and_usage.csv")],
            &["Billing Period", "Contract Commitment", "Invoice Detail"],
        ),
    )
    .unwrap();
    let o = validate_json(&[s(&dir)], &[]);
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["focus_version"], "1.4");
    assert_eq!(r["dataset"]["name"], "CostAndUsage");
    assert_eq!(r["dataset"]["rows"], 37);
}

/// JSON lines written from the sample's rows (every value a string).
fn ndjson_of_sample() -> String {
    let (header, rows) = sample_records();
    let mut out = String::new();
    for r in rows {
        let obj: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(r)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v)))
            .collect();
        out.push_str(&serde_json::Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}

#[test]
fn json_lines_are_data_and_broken_json_lines_are_an_error_naming_the_file() {
    let dir = scratch("bundles-ndjson");
    let lines = ndjson_of_sample();
    fs::write(dir.join("part-1.json"), &lines).unwrap();
    fs::write(
        dir.join("focus_manifest.json"),
        "{\n  \"parts\": [\"part-1.json\"]\n}\n",
    )
    .unwrap();
    let o = validate_json(&[s(&dir)], &["--applicability", "all"]);
    // Every value is a string in these lines, which the type requirements of JSON lines report.
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    assert_eq!(json(&o)["dataset"]["format"], "ndjson");
    assert_eq!(json(&o)["dataset"]["rows"], 37);
    assert!(stderr(&o).contains("focus_manifest.json (JSON document)"));

    // A line cut short in a second part.
    let cut = &lines[..lines.len() / 2];
    fs::write(dir.join("part-2.json"), cut).unwrap();
    let o = validate_json(&[s(&dir)], &["--applicability", "all"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("part-2.json"), "{}", stderr(&o));

    // A .json file that is neither JSON lines nor a JSON document.
    fs::remove_file(dir.join("part-2.json")).unwrap();
    fs::write(dir.join("part-3.json"), "{\n  \"a\": [1, 2\n").unwrap();
    let o = validate_json(&[s(&dir)], &["--applicability", "all"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("part-3.json") && err.contains("neither JSON lines"),
        "{err}"
    );
}

#[test]
fn report_takes_a_bundle_folder_and_a_file_with_dataset() {
    let decl = testdata(&format!("{BUNDLE}/declaration.yaml"));
    let dir = scratch("bundles-report");
    let folder = dir.join("folder.md");
    let o = run(&[
        "report",
        &testdata(BUNDLE),
        "--declaration",
        &decl,
        "-o",
        s(&folder),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = fs::read_to_string(&folder).unwrap();
    assert!(text.contains("InvoiceDetail"), "{text}");
    // The same bundle given as a file plus --dataset: the same draft.
    let pairs = dir.join("pairs.md");
    let mut args = vec![
        "report".to_string(),
        testdata(&format!("{BUNDLE}/cost-and-usage.csv")),
        "--declaration".into(),
        decl.clone(),
        "-o".into(),
        s(&pairs).into(),
    ];
    for (f, name) in [
        ("contract-commitment.csv", "ContractCommitment"),
        ("billing-period.csv", "BillingPeriod"),
        ("invoice-detail.csv", "InvoiceDetail"),
    ] {
        args.push("--dataset".into());
        args.push(format!("{name}={}", testdata(&format!("{BUNDLE}/{f}"))));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&pairs).unwrap(), text);
}

#[test]
fn scrub_writes_a_bundle_folder_that_validates_as_the_original() {
    let dir = scratch("bundles-scrub");
    let key = dir.join("key");
    fs::write(&key, "0123456789abcdef0123456789abcdef").unwrap();
    let out = dir.join("scrubbed");
    let o = run(&[
        "scrub",
        &testdata(BUNDLE),
        "-o",
        s(&out),
        "--key-file",
        s(&key),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut files: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "billing-period.csv",
            "contract-commitment.csv",
            "cost-and-usage.csv",
            "invoice-detail.csv"
        ]
    );
    let ind = fs::read_to_string(out.join("invoice-detail.csv")).unwrap();
    assert!(!ind.contains("ba-1001"), "account ids are hidden");
    // No temporary folder is left beside it.
    assert_eq!(
        fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.'))
            .count(),
        0
    );
    // Every requirement of every dataset has the original's outcome, joins included.
    let decl = testdata(&format!("{BUNDLE}/declaration.yaml"));
    let original = validate_json(&[&testdata(BUNDLE)], &["--declaration", &decl]);
    let scrubbed = validate_json(&[s(&out)], &["--declaration", &decl]);
    assert_eq!(code(&scrubbed), code(&original), "{}", stderr(&scrubbed));
    assert_eq!(outcomes(&json(&scrubbed)), outcomes(&json(&original)));

    // The same with a file plus --dataset, and the same key: the same files.
    let again = dir.join("again");
    let mut args = vec![
        "scrub".to_string(),
        testdata(&format!("{BUNDLE}/cost-and-usage.csv")),
        "-o".into(),
        s(&again).into(),
        "--key-file".into(),
        s(&key).into(),
    ];
    for (f, name) in [
        ("contract-commitment.csv", "ContractCommitment"),
        ("billing-period.csv", "BillingPeriod"),
        ("invoice-detail.csv", "InvoiceDetail"),
    ] {
        args.push("--dataset".into());
        args.push(format!("{name}={}", testdata(&format!("{BUNDLE}/{f}"))));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for f in &files {
        assert_eq!(
            fs::read(out.join(f)).unwrap(),
            fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // An existing folder with files in it is never written over.
    let o = run(&[
        "scrub",
        &testdata(BUNDLE),
        "-o",
        s(&out),
        "--key-file",
        s(&key),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("exists"), "{}", stderr(&o));
}

#[test]
fn query_takes_a_file_with_dataset() {
    let o = run(&[
        "query",
        &testdata(&format!("{BUNDLE}/cost-and-usage.csv")),
        "--dataset",
        &format!(
            "InvoiceDetail={}",
            testdata(&format!("{BUNDLE}/invoice-detail.csv"))
        ),
        "--format",
        "csv",
        "-c",
        "SELECT (SELECT COUNT(*) FROM InvoiceDetail) AS details, \
                (SELECT arrow_typeof(BilledCost) FROM InvoiceDetail LIMIT 1) AS cost_type, \
                (SELECT COUNT(*) FROM CostAndUsage) AS charges",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let row = out.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("7,") && row.ends_with(",37"), "{out}");
    assert!(!row.contains("Utf8"), "{out}");
    // A name that is no dataset of the version is refused.
    let o = run(&[
        "query",
        &testdata(&format!("{BUNDLE}/cost-and-usage.csv")),
        "--dataset",
        "Invoices=x.csv",
        "-c",
        "SELECT 1",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no such dataset"), "{}", stderr(&o));
}

#[test]
fn regress_entries_take_a_folder_or_a_file_with_datasets() {
    let dir = scratch("bundles-regress");
    let b = testdata(BUNDLE);
    fs::write(
        dir.join("corpus.yaml"),
        format!(
            "datasets:\n\
             \x20 - name: folder\n\
             \x20   paths: {b}\n\
             \x20   focus_version: \"1.4\"\n\
             \x20   conformant: true\n\
             \x20 - name: pairs\n\
             \x20   paths: {b}/cost-and-usage.csv\n\
             \x20   focus_version: \"1.4\"\n\
             \x20   conformant: true\n\
             \x20   datasets:\n\
             \x20     ContractCommitment: {b}/contract-commitment.csv\n\
             \x20     BillingPeriod: [{b}/billing-period.csv]\n\
             \x20     InvoiceDetail: {b}/invoice-detail.csv\n"
        ),
    )
    .unwrap();
    let o = run(&["regress", s(&dir), "--update-baseline"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let baseline: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("baseline.json")).unwrap()).unwrap();
    let entries = baseline["datasets"].as_object().unwrap();
    let folder = &entries["folder"]["rules"];
    assert!(
        folder
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("InvoiceDetail:")),
        "{folder}"
    );
    assert_eq!(folder, &entries["pairs"]["rules"]);
}

/// The sample bundle with the invoice's id changed in the Invoice Detail dataset only.
fn bundle_with_foreign_invoice(name: &str) -> PathBuf {
    let dir = scratch(name);
    for (f, _, _) in FILES {
        let text = fs::read_to_string(testdata(&format!("{BUNDLE}/{f}"))).unwrap();
        let text = if f == "invoice-detail.csv" {
            let changed = text.replace("INV-2026-05-001", "INV-1999-01-999");
            assert_ne!(changed, text);
            changed
        } else {
            text
        };
        fs::write(dir.join(f), text).unwrap();
    }
    dir
}

#[test]
fn a_join_across_datasets_that_shares_no_key_says_so() {
    // The sample bundle: every key the joins use is shared; no note.
    let o = validate_json(&[&testdata(BUNDLE)], &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(noted(&json(&o)), Vec::<String>::new());
    assert!(!stderr(&o).contains("nothing to compare"), "{}", stderr(&o));

    let dir = bundle_with_foreign_invoice("bundles-no-shared-key");
    let o = validate_json(&[s(&dir)], &[]);
    let err = stderr(&o);
    let r = json(&o);
    let notes = noted(&r);
    for id in [
        "CostAndUsage:CAU-InvoiceDetailId-C-007-M",
        "CostAndUsage:CAU-BilledCost-C-007-C",
        "InvoiceDetail:IND-BilledCost-C-010-C",
        "InvoiceDetail:IND-BillingPeriodStart-C-005-M",
    ] {
        assert!(notes.iter().any(|n| n == id), "{id}: {notes:?}");
    }
    // The status is what the check found; the note says it compared nothing.
    let mine = outcomes(&r);
    assert_eq!(mine["InvoiceDetail:IND-BilledCost-C-010-C"].0, "pass");
    let ind = r["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dataset"]["name"] == "InvoiceDetail")
        .unwrap();
    let entry = ind["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "IND-BilledCost-C-010-C")
        .unwrap();
    let note = entry["note"].as_str().unwrap();
    assert!(
        note.contains("InvoiceId and InvoiceIssuerName")
            && note.contains("InvoiceDetail dataset")
            && note.contains("CostAndUsage dataset"),
        "{note}"
    );
    // One line on stderr per note.
    assert!(
        err.lines()
            .any(|l| l.starts_with("focus-sql: note: InvoiceDetail IND-BilledCost-C-010-C:")),
        "{err}"
    );
    // Rules whose keys still match carry no note (the billing period is shared).
    assert!(
        !notes
            .iter()
            .any(|n| n.ends_with("IND-InvoiceDetailCreated-C-005-C")),
        "{notes:?}"
    );
    // The table scorecard lists the notes.
    let t = run(&["validate", s(&dir), "--color", "never"]);
    let table = stdout(&t);
    let at = table.find("Notes (").unwrap_or_else(|| panic!("{table}"));
    let notes_part = &table[at..];
    assert!(notes_part.contains("IND-BilledCost-C-010-C ["), "{table}");
    assert!(
        notes_part.contains("note: no InvoiceId and InvoiceIssuerName"),
        "{table}"
    );
}
