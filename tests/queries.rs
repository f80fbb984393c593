//! `focus-sql query` and the saved-query library, driven through the real binary.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::process::Stdio;

fn saved_query_names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(root().join("queries"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".sql")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// Every saved query, run on the bundled sample, gives the result recorded next to the tests.
/// After a deliberate change, FOCUS_SQL_BLESS=1 rewrites the expected files (review the diff).
#[test]
fn every_saved_query_gives_its_expected_result_on_the_sample() {
    let names = saved_query_names();
    assert!(names.len() >= 10, "{names:?}");
    let bless = std::env::var_os("FOCUS_SQL_BLESS").is_some();
    let mut failures = Vec::new();
    for name in &names {
        // A FOCUS 1.3 query runs on the 1.3 sample bundle, with the tables its header names.
        let text = fs::read_to_string(root().join("queries").join(format!("{name}.sql"))).unwrap();
        let mut args: Vec<String> = vec!["query".into()];
        if text.lines().any(|l| l.trim() == "-- focus: 1.4") {
            // A FOCUS 1.4 query runs on the 1.4 sample bundle folder: every dataset a table.
            args.push(testdata("focus-1.4"));
        } else if text.lines().any(|l| l.trim() == "-- focus: 1.3") {
            args.push(testdata("focus-1.3/cost-and-usage.csv"));
            if text.contains("-- tables: ContractCommitment") {
                args.push("--table".into());
                args.push(format!(
                    "ContractCommitment={}",
                    testdata("focus-1.3/contract-commitment.csv")
                ));
            }
        } else {
            args.push(testdata("sample.csv"));
        }
        args.extend(["--saved", name, "--format", "csv"].map(String::from));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        let got = stdout(&o);
        assert!(got.lines().count() >= 2, "{name} returned no rows:\n{got}");
        let path = root()
            .join("tests/expected/queries")
            .join(format!("{name}.csv"));
        if bless {
            fs::write(&path, &got).unwrap();
            continue;
        }
        match fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{name}: expected\n{want}\ngot\n{got}")),
            Err(_) => failures.push(format!(
                "{name}: no {} (run with FOCUS_SQL_BLESS=1 and review it)",
                path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // And nothing expected is left over from a removed query.
    for e in fs::read_dir(root().join("tests/expected/queries")).unwrap() {
        let file = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            names.iter().any(|n| format!("{n}.csv") == file),
            "stale expected result {file}"
        );
    }
}

fn parse_csv_output(out: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = out.lines();
    let header = csv_fields(lines.next().expect("a header"));
    (header, lines.map(csv_fields).collect())
}

#[test]
fn invoice_totals_agree_with_a_sum_over_the_file() {
    let (header, rows) = sample_records();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (inv, cur, cost) = (col("InvoiceId"), col("BillingCurrency"), col("BilledCost"));
    let mut want: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in &rows {
        *want.entry((r[inv].clone(), r[cur].clone())).or_default() +=
            r[cost].parse::<f64>().unwrap();
    }
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--saved",
        "invoice_totals",
        "--format",
        "csv",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (h, got) = parse_csv_output(&stdout(&o));
    let (gi, gc) = (
        h.iter().position(|x| x == "InvoiceId").unwrap(),
        h.iter().position(|x| x == "BillingCurrency").unwrap(),
    );
    let gt = h.iter().position(|x| x == "billed_cost").unwrap();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for r in got {
        let w = want[&(r[gi].clone(), r[gc].clone())];
        let g: f64 = r[gt].parse().unwrap();
        assert!((w - g).abs() < 1e-9, "{r:?}: want {w}");
    }
}

#[test]
fn cost_by_tag_takes_its_key_as_a_parameter() {
    let (header, rows) = sample_records();
    let tags = header.iter().position(|h| h == "Tags").unwrap();
    let cost = header.iter().position(|h| h == "EffectiveCost").unwrap();
    let mut want: BTreeMap<String, f64> = BTreeMap::new();
    for r in &rows {
        let v: Option<serde_json::Value> = serde_json::from_str(&r[tags]).ok();
        let value = v
            .as_ref()
            .and_then(|v| v.get("team"))
            .and_then(|t| t.as_str())
            .unwrap_or("(untagged)")
            .to_string();
        *want.entry(value).or_default() += r[cost].parse::<f64>().unwrap();
    }
    assert!(want.len() >= 2, "the sample has several teams: {want:?}");
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--saved",
        "cost_by_tag",
        "--param",
        "key=team",
        "--format",
        "csv",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (_, got) = parse_csv_output(&stdout(&o));
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for r in got {
        let g: f64 = r[1].parse().unwrap();
        assert!((want[&r[0]] - g).abs() < 1e-9, "{r:?}");
    }
    // A parameter value is a literal, never SQL.
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--saved",
        "cost_by_tag",
        "--param",
        "key=x') OR (1=1",
        "--format",
        "csv",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        parse_csv_output(&stdout(&o)).1.len(),
        1,
        "every row is untagged for an unknown key"
    );
    // Unknown parameters are refused.
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--saved",
        "cost_by_tag",
        "--param",
        "nope=1",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no parameter `nope`"), "{}", stderr(&o));
}

#[test]
fn queries_list_names_every_saved_query() {
    let o = run(&["queries", "list"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for n in saved_query_names() {
        assert!(stdout(&o).contains(&n), "{n} missing from:\n{}", stdout(&o));
    }
    let o = run(&["queries", "show", "top_resources"]);
    assert!(
        stdout(&o).contains("limit=10") && stdout(&o).contains("ORDER BY"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn decimals_are_exact_in_the_query_view() {
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--format",
        "csv",
        "-c",
        "SELECT arrow_typeof(BilledCost) t, SUM(BilledCost) s FROM CostAndUsage GROUP BY 1",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (_, rows) = parse_csv_output(&stdout(&o));
    assert!(rows[0][0].starts_with("Decimal128(38, 12)"), "{rows:?}");
    // Sum by hand in integer units of 1e-12, to compare exactly.
    let (header, recs) = sample_records();
    let c = header.iter().position(|h| h == "BilledCost").unwrap();
    let units = |s: &str| -> i128 {
        let neg = s.starts_with('-');
        let s = s.trim_start_matches('-');
        let (i, f) = s.split_once('.').unwrap_or((s, ""));
        let v = i.parse::<i128>().unwrap() * 1_000_000_000_000
            + format!("{f:0<12}").parse::<i128>().unwrap();
        if neg {
            -v
        } else {
            v
        }
    };
    let total: i128 = recs.iter().map(|r| units(&r[c])).sum();
    assert_eq!(units(&rows[0][1]), total, "{rows:?}");
}

#[test]
fn parquet_output_reads_back_the_same() {
    let dir = scratch("query-parquet");
    let out = dir.join("by-service.parquet");
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--saved",
        "cost_by_service",
        "--format",
        "parquet",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let direct = stdout(&run(&[
        "query",
        &testdata("sample.csv"),
        "--saved",
        "cost_by_service",
        "--format",
        "csv",
    ]));
    let back = run(&[
        "query",
        out.to_str().unwrap(),
        "--format",
        "csv",
        "-c",
        "SELECT * FROM CostAndUsage",
    ]);
    assert_eq!(code(&back), 0, "{}", stderr(&back));
    assert_eq!(stdout(&back), direct);
    // --format parquet without a file is an error, and nothing is written over an input.
    assert_eq!(
        code(&run(&[
            "query",
            &testdata("sample.csv"),
            "-c",
            "SELECT 1",
            "--format",
            "parquet"
        ])),
        2
    );
    let o = run(&[
        "query",
        out.to_str().unwrap(),
        "-c",
        "SELECT 1",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn sql_comes_from_stdin_when_not_a_terminal() {
    let mut child = bin()
        .args(["query", &testdata("sample.csv"), "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT 'a;b' AS s;\nSELECT COUNT(*) AS n FROM CostAndUsage;\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows = sample_records().1.len();
    assert_eq!(
        stdout(&o),
        format!("n\n{rows}\n"),
        "the last statement's result"
    );
}

#[test]
fn several_tables_and_hive_partitions() {
    let dir = scratch("hive");
    for p in ["2026-05", "2026-06"] {
        let d = dir.join(format!("billing_period={p}"));
        fs::create_dir_all(&d).unwrap();
        fs::copy(testdata("sample.csv"), d.join("part-0.csv")).unwrap();
    }
    let rows = sample_records().1.len();
    let o = run(&[
        "query",
        dir.to_str().unwrap(),
        "--format",
        "csv",
        "-c",
        "SELECT billing_period, COUNT(*) AS n FROM CostAndUsage GROUP BY 1 ORDER BY 1",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("billing_period,n\n2026-05,{rows}\n2026-06,{rows}\n")
    );
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--table",
        &format!("history={}", dir.display()),
        "--format",
        "csv",
        "-c",
        "SELECT (SELECT COUNT(*) FROM history) AS h, COUNT(*) AS n FROM CostAndUsage",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("h,n\n{},{rows}\n", 2 * rows));
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "--table",
        &format!("CostAndUsage={}", testdata("sample.csv")),
        "-c",
        "SELECT 1",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("already taken"), "{}", stderr(&o));
}

#[test]
fn sql_errors_point_at_the_place() {
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "-c",
        "SELECT ServiceName,\n  BilledCots FROM CostAndUsage",
    ]);
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(
        e.contains("unknown column BilledCots (did you mean BilledCost?)"),
        "{e}"
    );
    assert!(e.contains("at line 2, column 3"), "{e}");
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "-c",
        "SELECT * FROM CostAndUsage WHERE",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("at line 1, column"), "{}", stderr(&o));
    let o = run(&[
        "query",
        &testdata("sample.csv"),
        "-c",
        "SELECT *\nFROM Costs",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("at line 2, column 6"), "{}", stderr(&o));
}
