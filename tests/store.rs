//! Exports read where they live: real S3-, Azure Blob- and GCS-compatible servers (moto,
//! azurite, fake-gcs-server) started by these tests on loopback through `.ci/emulators`, with
//! bucket fixtures written from files the tests generate. A server that cannot start fails the
//! tests with its log; nothing passes without one.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The running emulators: the environment a client needs to reach them.
struct Emulators {
    env: Vec<(String, String)>,
    script_env: Vec<(String, String)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn emulators() -> &'static Emulators {
    static E: OnceLock<Emulators> = OnceLock::new();
    E.get_or_init(|| {
        // Pid files and logs of this test process's servers, under the target directory.
        let state = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("emulators-{}", std::process::id()));
        let script_env = vec![
            ("FOCUS_SQL_S3_PORT".to_string(), free_port().to_string()),
            ("FOCUS_SQL_AZURE_PORT".to_string(), free_port().to_string()),
            ("FOCUS_SQL_GCS_PORT".to_string(), free_port().to_string()),
            (
                "FOCUS_SQL_EMULATORS_STATE".to_string(),
                state.display().to_string(),
            ),
            (
                "FOCUS_SQL_EMULATORS_OWNER".to_string(),
                std::process::id().to_string(),
            ),
        ];
        let script = root().join(".ci/emulators");
        let start = Command::new(&script)
            .arg("start")
            .envs(script_env.iter().cloned())
            .output()
            .expect(".ci/emulators runs");
        assert!(
            start.status.success(),
            "the object-store emulators did not start, so these tests cannot run:\n{}",
            String::from_utf8_lossy(&start.stderr)
        );
        let printed = Command::new(&script)
            .arg("env")
            .envs(script_env.iter().cloned())
            .output()
            .expect(".ci/emulators env runs");
        let env = String::from_utf8_lossy(&printed.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
            .collect::<Vec<_>>();
        assert!(
            env.iter().any(|(k, _)| k == "AWS_ENDPOINT_URL"),
            "no client environment from .ci/emulators env"
        );
        Emulators { env, script_env }
    })
}

/// focus-sql with the emulators' environment (and none of the caller's cloud settings).
fn remote(args: &[&str]) -> Output {
    remote_with(args, &[])
}

fn remote_with(args: &[&str], extra: &[(&str, &str)]) -> Output {
    let e = emulators();
    let mut cmd = bin();
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("AZURE") || k.starts_with("GOOGLE_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(e.env.iter().cloned());
    // An empty value removes the variable.
    for (k, v) in extra {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    cmd.args(args).output().expect("focus-sql runs")
}

/// Upload a local file to `store` (s3, az or gs) as `bucket/key`.
fn put(store: &str, bucket: &str, key: &str, file: &Path) {
    let e = emulators();
    let out = Command::new(root().join(".ci/emulators"))
        .args(["put", store, bucket, key])
        .arg(file)
        .envs(e.script_env.iter().cloned())
        .output()
        .expect(".ci/emulators put runs");
    assert!(
        out.status.success(),
        "upload of {key} to {store} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A synthetic AWS-like export of `rows` rows, written once per name.
fn synth(dir: &Path, name: &str, rows: usize, seed: u32) -> PathBuf {
    let path = dir.join(name);
    let o = run(&[
        "synth",
        "--profile",
        "aws",
        "--seed",
        &seed.to_string(),
        "--rows",
        &rows.to_string(),
        "-o",
        &path.display().to_string(),
    ]);
    assert_eq!(code(&o), 0, "synth: {}", stderr(&o));
    path
}

/// Requirement id → status of a JSON report.
fn statuses(report: &serde_json::Value) -> HashMap<String, String> {
    report["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn count(args: &[&str]) -> u64 {
    let mut all = vec!["query", "--format", "csv"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-c", "SELECT COUNT(*) AS n FROM CostAndUsage"]);
    let o = remote(&all);
    assert_eq!(code(&o), 0, "query: {}", stderr(&o));
    stdout(&o).lines().nth(1).unwrap().trim().parse().unwrap()
}

#[test]
fn each_store_gives_the_verdicts_of_the_same_files_read_locally() {
    let dir = scratch("store-same-verdicts");
    let gz = synth(&dir, "export.csv.gz", 1500, 7);
    let pq = synth(&dir, "export.parquet", 1500, 7);
    let local_gz = validate_all_json(&gz.display().to_string());
    let local_pq = validate_all_json(&pq.display().to_string());
    assert_eq!(local_gz["summary"]["conformant"], true);
    for (store, scheme) in [("s3", "s3"), ("az", "az"), ("gs", "gs")] {
        put(store, "same", "exports/export.csv.gz", &gz);
        put(store, "same", "exports/export.parquet", &pq);
        for (file, local) in [("export.csv.gz", &local_gz), ("export.parquet", &local_pq)] {
            let url = format!("{scheme}://same/exports/{file}");
            let o = remote(&[
                "validate",
                "--applicability",
                "all",
                "--format",
                "json",
                &url,
            ]);
            assert_eq!(code(&o), 0, "{url}: {}", stderr(&o));
            let report = json(&o);
            assert_eq!(report["dataset"]["rows"], 1500, "{url}");
            assert_eq!(report["dataset"]["paths"][0], url.as_str());
            assert_eq!(statuses(&report), statuses(local), "{url}");
        }
        // A glob over the store, and `query` on it.
        let glob = format!("{scheme}://same/exp*/export.*.gz");
        assert_eq!(count(&[&glob]), 1500, "{glob}");
    }
    // Anonymous access, as to a public bucket (the GCS emulator asks for no credentials).
    let o = remote_with(
        &[
            "validate",
            "--format",
            "json",
            "gs://same/exports/export.parquet",
        ],
        &[
            ("GOOGLE_SERVICE_ACCOUNT_KEY", ""),
            ("GOOGLE_SKIP_SIGNATURE", "true"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["dataset"]["rows"], 1500);
    // Credentials from the shared credentials file of the profile named.
    let home = scratch("store-aws-home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[bench]\naws_access_key_id = focus-test\naws_secret_access_key = focus-test-secret\n",
    )
    .unwrap();
    let home_s = home.display().to_string();
    let o = remote_with(
        &[
            "validate",
            "--format",
            "json",
            "s3://same/exports/export.parquet",
        ],
        &[
            ("HOME", &home_s),
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_PROFILE", "bench"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = remote_with(
        &["validate", "s3://same/exports/export.parquet"],
        &[
            ("HOME", &home_s),
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_PROFILE", "absent"),
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("AWS_PROFILE=absent"), "{}", stderr(&o));
}

/// Write an AWS Data Exports manifest listing `files` of `period`.
fn aws_manifest(dir: &Path, export: &str, period: &str, files: &[&str]) -> PathBuf {
    let listed: Vec<String> = files
        .iter()
        .map(|f| format!("\"s3://deliveries/aws/{export}/data/BILLING_PERIOD={period}/{f}\""))
        .collect();
    let path = dir.join(format!("{export}-{period}-Manifest.json"));
    std::fs::write(
        &path,
        format!(
            "{{\"exportName\":\"{export}\",\"billingPeriod\":{{\"start\":\"{period}-01T00:00:00.000Z\"}},\"dataFiles\":[{}]}}",
            listed.join(",")
        ),
    )
    .unwrap();
    path
}

#[test]
fn an_aws_data_exports_delivery_is_read_as_its_manifests_list_it() {
    let dir = scratch("store-aws-layout");
    let a = synth(&dir, "a.csv.gz", 300, 1);
    let b = synth(&dir, "b.csv.gz", 200, 2);
    let c = synth(&dir, "c.csv.gz", 100, 3);
    let base = "aws/focus";
    put(
        "s3",
        "deliveries",
        &format!("{base}/data/BILLING_PERIOD=2026-09/focus-00001.csv.gz"),
        &c,
    );
    put(
        "s3",
        "deliveries",
        &format!("{base}/data/BILLING_PERIOD=2026-10/focus-00001.csv.gz"),
        &a,
    );
    put(
        "s3",
        "deliveries",
        &format!("{base}/data/BILLING_PERIOD=2026-10/focus-00002.csv.gz"),
        &b,
    );
    // A leftover of an earlier refresh, not in the manifest: never read.
    put(
        "s3",
        "deliveries",
        &format!("{base}/data/BILLING_PERIOD=2026-10/focus-old.csv.gz"),
        &c,
    );
    let m9 = aws_manifest(&dir, "focus", "2026-09", &["focus-00001.csv.gz"]);
    let m10 = aws_manifest(
        &dir,
        "focus",
        "2026-10",
        &["focus-00001.csv.gz", "focus-00002.csv.gz"],
    );
    put(
        "s3",
        "deliveries",
        &format!("{base}/metadata/BILLING_PERIOD=2026-09/focus-Manifest.json"),
        &m9,
    );
    put(
        "s3",
        "deliveries",
        &format!("{base}/metadata/BILLING_PERIOD=2026-10/focus-Manifest.json"),
        &m10,
    );

    let url = "s3://deliveries/aws/focus/";
    let o = remote(&[
        "validate",
        "--applicability",
        "all",
        "--format",
        "json",
        url,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let doc = json(&o);
    let periods = doc["billing_periods"]
        .as_array()
        .expect("one report per period");
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0]["billing_period"], "2026-09");
    assert_eq!(periods[0]["provider"], "AWS Data Exports");
    assert_eq!(periods[0]["validation"]["dataset"]["rows"], 100);
    assert_eq!(periods[1]["validation"]["dataset"]["rows"], 500);
    assert!(
        stderr(&o).contains("not in its manifest") && stderr(&o).contains("focus-old.csv.gz"),
        "{}",
        stderr(&o)
    );

    let one = remote(&[
        "validate",
        "--billing-period",
        "2026-10",
        "--format",
        "json",
        url,
    ]);
    assert_eq!(code(&one), 0, "{}", stderr(&one));
    assert_eq!(json(&one)["dataset"]["rows"], 500);
    // `query` reads every period as delivered, or one.
    assert_eq!(count(&[url]), 600);
    assert_eq!(count(&["--billing-period", "2026-09", url]), 100);

    // A manifest that lists a file the bucket lacks: one line, exit 2, nothing written.
    let lying = aws_manifest(
        &dir,
        "broken",
        "2026-10",
        &["focus-00001.csv.gz", "focus-00009.csv.gz"],
    );
    put(
        "s3",
        "deliveries",
        "aws/broken/data/BILLING_PERIOD=2026-10/focus-00001.csv.gz",
        &a,
    );
    put(
        "s3",
        "deliveries",
        "aws/broken/metadata/BILLING_PERIOD=2026-10/broken-Manifest.json",
        &lying,
    );
    let out = dir.join("report.json");
    let o = remote(&[
        "validate",
        "--format",
        "json",
        "-o",
        &out.display().to_string(),
        "s3://deliveries/aws/broken/",
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("s3://deliveries/aws/broken/")
            && err.contains("focus-00009.csv.gz")
            && err.contains("not there"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("error")).count(),
        1,
        "{err}"
    );
    assert!(!out.exists());
}

fn azure_manifest(dir: &Path, folder: &str, submitted: &str, files: &[(&str, &Path)]) -> PathBuf {
    let blobs: Vec<String> = files
        .iter()
        .map(|(name, f)| {
            format!(
                "{{\"blobName\":\"{folder}/{name}\",\"byteCount\":{}}}",
                std::fs::metadata(f).unwrap().len()
            )
        })
        .collect();
    let path = dir.join(format!("manifest-{}.json", submitted.replace(':', "")));
    std::fs::write(
        &path,
        format!(
            "{{\"manifestVersion\":\"2024-04-01\",\"exportConfig\":{{\"exportName\":\"focus\",\"type\":\"FocusCost\",\"timeFrame\":\"MonthToDate\"}},\"runInfo\":{{\"runId\":\"{submitted}\",\"submittedTime\":\"{submitted}\"}},\"blobCount\":{},\"blobs\":[{}]}}",
            files.len(),
            blobs.join(",")
        ),
    )
    .unwrap();
    path
}

#[test]
fn an_azure_export_is_read_as_its_latest_complete_run_never_runs_added_together() {
    let dir = scratch("store-azure-layout");
    let early = synth(&dir, "early.csv", 250, 4);
    let p0 = synth(&dir, "p0.csv", 300, 5);
    let p1 = synth(&dir, "p1.csv", 150, 6);
    let period = "focus/focus-cost/20261001-20261031";
    // Run of 5 October: one part. Run of 6 October: two parts (the month so far).
    let r1 = format!("{period}/202610050312/0d9c5a1e-0000-4000-8000-000000000001");
    let r2 = format!("{period}/202610060312/0d9c5a1e-0000-4000-8000-000000000002");
    put("az", "costs", &format!("{r1}/part_0_0001.csv"), &early);
    let m1 = azure_manifest(
        &dir,
        &r1,
        "2026-10-05T03:12:00Z",
        &[("part_0_0001.csv", &early)],
    );
    put("az", "costs", &format!("{r1}/manifest.json"), &m1);
    put("az", "costs", &format!("{r2}/part_0_0001.csv"), &p0);
    put("az", "costs", &format!("{r2}/part_1_0001.csv"), &p1);
    let m2 = azure_manifest(
        &dir,
        &r2,
        "2026-10-06T03:12:00Z",
        &[("part_0_0001.csv", &p0), ("part_1_0001.csv", &p1)],
    );
    put("az", "costs", &format!("{r2}/manifest.json"), &m2);

    let url = "az://costs/focus/focus-cost/";
    let o = remote(&["validate", "--format", "json", url]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        json(&o)["dataset"]["rows"],
        450,
        "only the latest run is the data"
    );
    assert!(stderr(&o).contains("superseded"), "{}", stderr(&o));
    assert_eq!(count(&[url]), 450);

    // A newer run still being written (a listed part missing) is not taken.
    let r3 = format!("{period}/202610070312/0d9c5a1e-0000-4000-8000-000000000003");
    put("az", "costs", &format!("{r3}/part_0_0001.csv"), &p0);
    let m3 = azure_manifest(
        &dir,
        &r3,
        "2026-10-07T03:12:00Z",
        &[("part_0_0001.csv", &p0), ("part_1_0001.csv", &p1)],
    );
    put("az", "costs", &format!("{r3}/manifest.json"), &m3);
    let o = remote(&["validate", "--format", "json", url]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["dataset"]["rows"], 450);
    assert!(stderr(&o).contains("incomplete"), "{}", stderr(&o));

    // Wrong credentials: one line naming the location, exit 2.
    let o = remote_with(
        &["validate", "az://costs/focus/focus-cost/"],
        &[
            (
                "AZURE_STORAGE_ACCOUNT_KEY",
                "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LQ==",
            ),
            ("AZURE_STORAGE_CONNECTION_STRING", ""),
        ],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("az://costs/focus/focus-cost/") && err.contains("focus-sql: error"),
        "{err}"
    );
    assert!(err.lines().count() <= 2, "{err}");
}

#[test]
fn an_oci_report_split_every_million_rows_is_one_dataset_per_month() {
    let dir = scratch("store-oci-layout");
    let a = synth(&dir, "a.csv.gz", 400, 8);
    let b = synth(&dir, "b.csv.gz", 100, 9);
    put(
        "gs",
        "oci-reports",
        "FOCUS Reports/2026/10/01/0001000001234567-00001.csv.gz",
        &a,
    );
    put(
        "gs",
        "oci-reports",
        "FOCUS Reports/2026/10/02/0001000001234567-00002.csv.gz",
        &b,
    );
    put(
        "gs",
        "oci-reports",
        "FOCUS Reports/2026/11/01/0001000001234567-00003.csv.gz",
        &b,
    );
    let url = "gs://oci-reports/FOCUS Reports/";
    let o = remote(&[
        "validate",
        "--billing-period",
        "2026-10",
        "--format",
        "json",
        url,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&o)["dataset"]["rows"], 500);
    assert!(stderr(&o).contains("OCI FOCUS reports"), "{}", stderr(&o));
    let all = remote(&["validate", "--format", "json", url]);
    assert_eq!(json(&all)["billing_periods"].as_array().unwrap().len(), 2);
    let none = remote(&["validate", "--billing-period", "2026-12", url]);
    assert_eq!(code(&none), 2);
    assert!(
        stderr(&none).contains("2026-10, 2026-11"),
        "{}",
        stderr(&none)
    );
}

#[test]
fn store_failures_name_the_location_and_the_cause_and_write_nothing() {
    let dir = scratch("store-failures");
    let pq = synth(&dir, "export.parquet", 300, 10);
    let bytes = std::fs::read(&pq).unwrap();
    let cut = dir.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    put("s3", "failures", "exports/cut.parquet", &cut);
    put("s3", "failures", "exports/notes/readme.txt", &cut);
    let out = dir.join("out.json");
    let out_s = out.display().to_string();
    let cases: Vec<(Vec<&str>, Vec<(&str, &str)>, &str, &str)> = vec![
        (
            vec!["s3://no-such-bucket-here/export.csv"],
            vec![],
            "s3://no-such-bucket-here/export.csv",
            "NoSuchBucket",
        ),
        (
            vec!["s3://failures/exports/notes/"],
            vec![],
            "s3://failures/exports/notes/",
            "no .csv",
        ),
        (
            vec!["s3://failures/exports/cut.parquet"],
            vec![],
            "s3://failures/exports/cut.parquet",
            "truncated",
        ),
        (
            vec!["s3://failures/exports/cut.parquet"],
            // The server stopped: nothing listens on the endpoint any more.
            vec![("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
            "s3://failures/exports/cut.parquet",
            "cannot reach the server",
        ),
    ];
    for (paths, env, location, cause) in cases {
        let mut args = vec!["validate", "--format", "json", "-o", &out_s];
        args.extend(paths.iter().copied());
        let started = std::time::Instant::now();
        let o = remote_with(&args, &env);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{location}: {err}");
        assert!(
            err.contains(location) && err.contains(cause),
            "{location}: {err}"
        );
        // One error line; files left out of a folder are said in notes before it.
        let errors = err.lines().filter(|l| !l.starts_with("focus-sql: note:"));
        assert_eq!(errors.count(), 1, "one error line: {err}");
        assert!(!out.exists(), "{location}: nothing is written");
        assert!(
            started.elapsed().as_secs() < 120,
            "{location}: gave up in time"
        );
    }

    // In a regression corpus, an entry that cannot be read is reported and the rest go on.
    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::copy(&pq, corpus.join("local.parquet")).unwrap();
    std::fs::write(
        corpus.join("corpus.yaml"),
        "datasets:\n  - { name: gone, paths: s3://no-such-bucket-here/x.parquet, conformant: true }\n  - { name: local, paths: local.parquet, conformant: true }\n",
    )
    .unwrap();
    let o = remote(&[
        "regress",
        &corpus.display().to_string(),
        "--update-baseline",
        "--format",
        "json",
    ]);
    let doc = json(&o);
    let runs = doc["datasets"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"));
    let by_name = |n: &str| {
        runs.iter()
            .find(|r| r["name"] == n)
            .unwrap_or_else(|| panic!("{n}: {doc}"))
    };
    let gone = by_name("gone");
    assert!(
        gone["error"]
            .as_str()
            .unwrap_or("")
            .contains("NoSuchBucket"),
        "{gone}"
    );
    assert_eq!(by_name("local")["rows"], 300, "{doc}");
}

#[test]
fn a_parquet_map_tags_column_is_checked_as_key_value_data() {
    let dir = scratch("store-map-tags");
    let sample = testdata("sample.csv");
    let write = |name: &str, tags: &str| -> String {
        let out = dir.join(name).display().to_string();
        let sql = format!(
            "SELECT * EXCEPT (\"Tags\"), CASE WHEN \"ChargeCategory\" = 'Usage' THEN {tags} END AS \"Tags\" FROM CostAndUsage"
        );
        let o = run(&[
            "query", &sample, "--format", "parquet", "-o", &out, "-c", &sql,
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        out
    };
    let good = write(
        "map-tags.parquet",
        "map(['env', 'team'], ['prod', 'finops'])",
    );
    let report = validate_all_json(&good);
    assert_eq!(report["summary"]["conformant"], true, "{report}");
    assert_eq!(rule(&report, "KeyValueFormat-A-003-M")["status"], "pass");
    assert_eq!(rule(&report, "Tags-C-001-M")["status"], "pass");
    // Nested values are not key-value data: the rendering shows them, the check fails.
    let nested = write(
        "nested-tags.parquet",
        "map(['env'], [named_struct('name', 'prod')])",
    );
    let report = validate_all_json(&nested);
    assert_eq!(
        rule(&report, "KeyValueFormat-A-003-M")["status"],
        "fail",
        "{report}"
    );
}

/// The sample rewritten with `compression` (read from its Parquet conversion).
fn recompressed(
    dir: &Path,
    name: &str,
    compression: datafusion::parquet::basic::Compression,
) -> PathBuf {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::properties::WriterProperties;
    let base = dir.join("converted.parquet");
    if !base.exists() {
        let o = run(&[
            "convert",
            &testdata("sample.csv"),
            "-o",
            &base.display().to_string(),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&base).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let out = dir.join(name);
    let props = WriterProperties::builder()
        .set_compression(compression)
        .build();
    let mut writer = None;
    for batch in reader {
        let batch = batch.unwrap();
        let w = writer.get_or_insert_with(|| {
            ArrowWriter::try_new(
                std::fs::File::create(&out).unwrap(),
                batch.schema(),
                Some(props.clone()),
            )
            .unwrap()
        });
        w.write(&batch).unwrap();
    }
    writer.unwrap().close().unwrap();
    out
}

#[test]
fn provider_encodings_read_from_a_store_as_from_disk() {
    use datafusion::parquet::basic::{Compression, GzipLevel, ZstdLevel};
    let dir = scratch("store-encodings");
    let (header, rows) = sample_records();
    // A CSV with a byte-order mark, as some exporters write it.
    let bom = dir.join("bom.csv");
    let text = std::fs::read_to_string(testdata("sample.csv")).unwrap();
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    // JSON lines: one object per row, empty cells as null.
    let ndjson = dir.join("rows.jsonl");
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let obj: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(r)
                .map(|(h, v)| {
                    let v = if v.is_empty() {
                        serde_json::Value::Null
                    } else {
                        serde_json::Value::String(v.clone())
                    };
                    (h.clone(), v)
                })
                .collect();
            serde_json::Value::Object(obj).to_string()
        })
        .collect();
    std::fs::write(&ndjson, lines.join("\n") + "\n").unwrap();
    let files = vec![
        bom,
        ndjson,
        recompressed(&dir, "snappy.parquet", Compression::SNAPPY),
        recompressed(
            &dir,
            "gzip.parquet",
            Compression::GZIP(GzipLevel::default()),
        ),
        recompressed(
            &dir,
            "zstd.parquet",
            Compression::ZSTD(ZstdLevel::try_new(3).unwrap()),
        ),
    ];
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let local = validate_all_json(&f.display().to_string());
        assert_eq!(local["summary"]["conformant"], true, "{name}: {local}");
        assert_eq!(local["dataset"]["rows"], rows.len(), "{name}");
        put("s3", "encodings", &name, &f);
        let url = format!("s3://encodings/{name}");
        let o = remote(&[
            "validate",
            "--applicability",
            "all",
            "--format",
            "json",
            &url,
        ]);
        assert_eq!(code(&o), 0, "{url}: {}", stderr(&o));
        assert_eq!(statuses(&json(&o)), statuses(&local), "{url}");
    }
}
