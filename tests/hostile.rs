//! Hostile inputs, each built by the test: a Parquet footer that claims more bytes than the file
//! has, records longer than the line limit (plain, gzipped, quoted, JSON lines). Each gets exit 2
//! with the file (and line) named, never a panic, and leaves its input as it was.

mod common;
use common::*;
use std::fs;
use std::io::Write;

fn sample_header_and_row() -> (String, String) {
    let text = fs::read_to_string(testdata("sample.csv")).unwrap();
    let mut lines = text.lines();
    (
        lines.next().unwrap().to_string(),
        lines.next().unwrap().to_string(),
    )
}

fn assert_clean_refusal(o: &std::process::Output, names: &[&str]) {
    let err = stderr(o);
    assert_eq!(code(o), 2, "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in names {
        assert!(err.contains(n), "stderr does not name {n}: {err}");
    }
}

#[test]
fn a_parquet_footer_longer_than_the_file_is_refused_not_a_panic() {
    let dir = scratch("hostile-footer");
    let path = dir.join("garbage.parquet");
    let mut bytes = b"PAR1".to_vec();
    let mut x: u32 = 12345;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    bytes.extend(b"\xff\xff\xff\x7fPAR1");
    fs::write(&path, &bytes).unwrap();
    let p = path.to_str().unwrap();
    let v = run(&["validate", p]);
    assert_clean_refusal(&v, &["garbage.parquet", "footer"]);
    let q = run(&["query", p, "-c", "SELECT COUNT(*) FROM CostAndUsage"]);
    assert_clean_refusal(&q, &["garbage.parquet", "footer"]);
    assert_eq!(fs::read(&path).unwrap(), bytes, "the input changed");
}

#[test]
fn a_footer_length_one_past_what_fits_is_refused_and_one_that_fits_is_read() {
    let dir = scratch("hostile-footer-edge");
    let good = convert_to(&testdata("sample.csv"), &dir.join("good.parquet"));
    let bytes = fs::read(&good).unwrap();
    let n = bytes.len();
    // The largest length that fits the file: PAR1 + footer + length + PAR1 is the whole file.
    let mut edge = bytes.clone();
    edge[n - 8..n - 4].copy_from_slice(&((n - 11) as u32).to_le_bytes());
    let edge_path = dir.join("edge.parquet");
    fs::write(&edge_path, &edge).unwrap();
    let o = run(&["validate", edge_path.to_str().unwrap()]);
    assert_clean_refusal(&o, &["edge.parquet", "footer claims"]);
    // The untouched file still validates.
    let o = run(&["validate", good.to_str().unwrap()]);
    assert!(code(&o) <= 1, "{}", stderr(&o));
}

fn long_line_csv(dir: &std::path::Path, name: &str, field: usize, quoted: bool) -> Vec<u8> {
    let (header, row) = sample_header_and_row();
    let mut text = format!("{header}\n{row}\n{row}\n").into_bytes();
    if quoted {
        text.push(b'"');
    }
    text.extend(std::iter::repeat_n(b'z', field / 2));
    if quoted {
        text.push(b'\n');
    }
    text.extend(std::iter::repeat_n(b'z', field / 2));
    if quoted {
        text.push(b'"');
    }
    text.extend(format!("\n{row}\n").into_bytes());
    fs::write(dir.join(name), &text).unwrap();
    text
}

#[test]
fn a_record_longer_than_the_limit_is_refused_with_its_file_and_line() {
    let dir = scratch("hostile-long-line");
    let text = long_line_csv(&dir, "long.csv", 3 << 20, false);
    let p = dir.join("long.csv");
    let o = run(&["validate", "--max-line-size", "1M", p.to_str().unwrap()]);
    assert_clean_refusal(
        &o,
        &["long.csv", "line 4", "longer than 1 MB", "--max-line-size"],
    );
    assert_eq!(fs::read(&p).unwrap(), text);
    // Raised past it, the line is read (and is wrong in other ways, which is not an error).
    let o = run(&["validate", "--max-line-size", "8M", p.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(!err.contains("longer than"), "{err}");
    // The same through `query`.
    let o = run(&[
        "query",
        "--max-line-size",
        "1M",
        p.to_str().unwrap(),
        "-c",
        "SELECT COUNT(*) FROM CostAndUsage",
    ]);
    assert_clean_refusal(&o, &["long.csv", "line 4"]);
}

#[test]
fn a_quoted_field_spanning_lines_counts_as_one_record() {
    let dir = scratch("hostile-quoted");
    long_line_csv(&dir, "quoted.csv", 3 << 20, true);
    let p = dir.join("quoted.csv");
    let o = run(&["validate", "--max-line-size", "1M", p.to_str().unwrap()]);
    assert_clean_refusal(&o, &["quoted.csv", "line 4", "the record is longer"]);
}

#[test]
fn a_long_line_behind_gzip_is_refused_with_its_line() {
    let dir = scratch("hostile-gzip-line");
    let (header, row) = sample_header_and_row();
    let p = dir.join("long.csv.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    write!(e, "{header}\n{row}\n").unwrap();
    // Three megabytes of one line, no newline to end it.
    e.write_all(&vec![b'q'; 3 << 20]).unwrap();
    let gz = e.finish().unwrap();
    fs::write(&p, &gz).unwrap();
    let o = run(&["validate", "--max-line-size", "1M", p.to_str().unwrap()]);
    assert_clean_refusal(&o, &["long.csv.gz", "line 3", "longer than 1 MB"]);
    assert_eq!(fs::read(&p).unwrap(), gz);
}

#[test]
fn a_long_json_line_is_refused_with_its_line() {
    let dir = scratch("hostile-json-line");
    let p = dir.join("long.ndjson");
    let mut text = b"{\"BilledCost\":\"1\"}\n".to_vec();
    text.extend(b"{\"BilledCost\":\"");
    text.extend(vec![b'9'; 2 << 20]);
    text.extend(b"\"}\n");
    fs::write(&p, &text).unwrap();
    let o = run(&[
        "query",
        "--max-line-size",
        "1M",
        p.to_str().unwrap(),
        "-c",
        "SELECT COUNT(*) FROM CostAndUsage",
    ]);
    assert_clean_refusal(&o, &["long.ndjson", "line 2"]);
}

#[test]
fn a_header_longer_than_the_limit_is_refused_before_it_is_read() {
    let dir = scratch("hostile-long-header");
    let p = dir.join("wide.csv");
    let mut text = String::from("BilledCost");
    while text.len() < (2 << 20) {
        text += &format!(",x_{}", text.len());
    }
    text += "\n1\n";
    fs::write(&p, &text).unwrap();
    let o = run(&["validate", "--max-line-size", "1M", p.to_str().unwrap()]);
    assert_clean_refusal(&o, &["wide.csv", "line 1", "header is longer"]);
}

#[test]
fn gzipped_csv_reads_as_before_through_the_bounded_reader() {
    // Two gzip members, and a file that is larger than the engine's read chunk: the verdicts
    // equal those of the plain CSV.
    let dir = scratch("hostile-gzip-same");
    let text = fs::read(testdata("sample.csv")).unwrap();
    let cut = text.iter().position(|b| *b == b'\n').unwrap() + 1 + 2000;
    let cut = cut + text[cut..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let mut gz = Vec::new();
    for part in [&text[..cut], &text[cut..]] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(part).unwrap();
        gz.extend(e.finish().unwrap());
    }
    let p = dir.join("two-members.csv.gz");
    fs::write(&p, &gz).unwrap();
    let plain = validate_all_json(&testdata("sample.csv"));
    let zipped = validate_all_json(p.to_str().unwrap());
    assert_eq!(plain["summary"], zipped["summary"]);
    assert_eq!(plain["rules"], zipped["rules"]);
}

#[test]
fn a_long_line_in_a_large_csv_read_in_ranges_is_refused_with_its_line() {
    // Over DataFusion's 10 MB threshold, a CSV is split among the scan's threads by byte
    // ranges; the long line must be caught whichever range it falls in, with its line.
    let dir = scratch("hostile-ranges");
    let (header, row) = sample_header_and_row();
    let mut text = format!("{header}\n").into_bytes();
    let rows = (12 << 20) / (row.len() + 1);
    for _ in 0..rows {
        text.extend(row.as_bytes());
        text.push(b'\n');
    }
    text.extend(vec![b'w'; 3 << 20]);
    text.push(b'\n');
    for _ in 0..rows {
        text.extend(row.as_bytes());
        text.push(b'\n');
    }
    let p = dir.join("large.csv");
    fs::write(&p, &text).unwrap();
    let o = run(&[
        "query",
        "--threads",
        "2",
        "--max-line-size",
        "1M",
        p.to_str().unwrap(),
        "-c",
        "SELECT COUNT(*) FROM CostAndUsage",
    ]);
    assert_clean_refusal(&o, &["large.csv", &format!("line {}", rows + 2)]);
    // Within the limit the line is read, and is malformed CSV (one field of 58), as it would be
    // read whole.
    let o = run(&[
        "query",
        "--threads",
        "2",
        "--max-line-size",
        "4M",
        "--format",
        "csv",
        p.to_str().unwrap(),
        "-c",
        "SELECT COUNT(*) AS n FROM CostAndUsage",
    ]);
    let out = stdout(&o);
    assert_eq!(
        code(&o),
        2,
        "a 3 MB line of one field is malformed CSV: {out}"
    );
    let err = stderr(&o);
    assert!(err.contains(&format!("line {}", rows + 2)), "{err}");
    assert!(err.contains("large.csv: malformed CSV"), "{err}");
    assert!(!err.contains("longer than"), "{err}");
}
