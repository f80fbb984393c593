//! Helpers shared by the tests that drive the real `focus-sql` binary.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_focus-sql"))
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(rel: &str) -> String {
    root().join("testdata").join(rel).display().to_string()
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("focus-sql runs")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(o)))
}

pub fn rule<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in report"))
}

/// A scratch directory under the target dir, fresh for each test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Quote-aware split of one CSV record (the sample has no embedded newlines).
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) => quoted = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

pub fn sample_records() -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(testdata("sample.csv")).unwrap();
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap());
    let rows = lines.map(csv_fields).collect();
    (header, rows)
}

/// `validate --applicability all --format json PATH`, parsed.
pub fn validate_all_json(path: &str) -> serde_json::Value {
    json(&run(&[
        "validate",
        "--applicability",
        "all",
        "--format",
        "json",
        path,
    ]))
}

/// One CSV record, quoted where needed (RFC 4180).
pub fn csv_line(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `focus-sql convert INPUT -o OUT`, which must succeed: the typed Parquet copy of an export.
pub fn convert_to(input: &str, out: &Path) -> PathBuf {
    let o = run(&["convert", input, "-o", &out.display().to_string()]);
    assert_eq!(code(&o), 0, "convert {input}: {}", stderr(&o));
    out.to_path_buf()
}

/// A CSV file of `header` and `rows`, quoted where needed.
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) -> PathBuf {
    let mut text = csv_line(header) + "\n";
    for r in rows {
        text += &(csv_line(r) + "\n");
    }
    fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// The sample with `edits` applied: (1-based data row, column, new value).
pub fn variant(dir: &Path, name: &str, edits: &[(usize, &str, &str)]) -> PathBuf {
    let (header, mut rows) = sample_records();
    for (row, col, value) in edits {
        let c = header
            .iter()
            .position(|h| h == col)
            .unwrap_or_else(|| panic!("no column {col}"));
        rows[row - 1][c] = value.to_string();
    }
    write_csv(&dir.join(name), &header, &rows)
}
