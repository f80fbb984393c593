//! Mutation test of inputs: the bundled sample in every format (CSV, CSV.gz, Parquet, NDJSON
//! and a FOCUS 1.3 bundle), changed in thousands of deterministic ways — bytes flipped, cut
//! short at every region, Parquet footer and CSV header fields changed, gzip members cut,
//! quotes and delimiters inserted, columns duplicated — each validated by the real binary under
//! a time limit. Every run must end with exit 0, 1 or 2, never a panic, a signal or a hang, and
//! must leave its input as it was.
//!
//! CI runs a few hundred mutations (seconds); `FOCUS_SQL_MUTATIONS=N` runs N per format, and
//! `FOCUS_SQL_MUTATION_SEED` another seed.

mod common;
use common::*;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A deterministic generator (SplitMix64): the same seed, the same mutations on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Csv,
    CsvGz,
    Parquet,
    NdJson,
    Bundle13,
}

impl Format {
    fn file_name(self) -> &'static str {
        match self {
            Format::Csv => "export.csv",
            Format::CsvGz => "export.csv.gz",
            Format::Parquet => "export.parquet",
            Format::NdJson => "export.ndjson",
            Format::Bundle13 => "cost-and-usage.csv",
        }
    }
}

/// One mutation: its name (to reproduce a failure) and the bytes it gives.
struct Mutant {
    name: String,
    bytes: Vec<u8>,
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The sample's rows as JSON lines (every value a string, empty fields null).
fn ndjson_of(csv: &str) -> Vec<u8> {
    let mut lines = csv.lines();
    let header = csv_fields(lines.next().unwrap());
    let mut out = String::new();
    for line in lines {
        let values = csv_fields(line);
        let object: serde_json::Map<String, serde_json::Value> = header
            .iter()
            .zip(values)
            .map(|(h, v)| {
                let v = if v.is_empty() {
                    serde_json::Value::Null
                } else {
                    serde_json::Value::String(v)
                };
                (h.clone(), v)
            })
            .collect();
        out += &serde_json::Value::Object(object).to_string();
        out.push('\n');
    }
    out.into_bytes()
}

/// Byte-level mutations any format gets.
fn generic(rng: &mut Rng, base: &[u8], out: &mut Vec<Mutant>, n: usize) {
    let len = base.len();
    // Cut short at evenly spaced points, so every region (header, body, footer) is cut.
    let cuts = (n / 4).max(8);
    for k in 0..cuts {
        let at = len * k / cuts + rng.below(len / cuts + 1);
        let at = at.min(len.saturating_sub(1));
        out.push(Mutant {
            name: format!("truncate at {at}"),
            bytes: base[..at].to_vec(),
        });
    }
    for _ in 0..n / 4 {
        let mut b = base.to_vec();
        let flips = 1 + rng.below(4);
        let mut at = Vec::new();
        for _ in 0..flips {
            let i = rng.below(len);
            b[i] ^= 1 << rng.below(8);
            at.push(i);
        }
        out.push(Mutant {
            name: format!("bits flipped at {at:?}"),
            bytes: b,
        });
    }
    for _ in 0..n / 4 {
        let mut b = base.to_vec();
        let i = rng.below(len);
        const INSERTS: [&[u8]; 11] = [
            b"\"",
            b",",
            b"\n",
            b"\r",
            b"\0",
            b"\xff\xfe",
            b"\"\"\"",
            b",,,,",
            b"\\",
            b"{",
            b"}",
        ];
        let what: &[u8] = *rng.pick(&INSERTS);
        b.splice(i..i, what.iter().copied());
        out.push(Mutant {
            name: format!("{:?} inserted at {i}", String::from_utf8_lossy(what)),
            bytes: b,
        });
    }
    for _ in 0..n / 8 {
        let i = rng.below(len);
        let j = (i + 1 + rng.below(4096)).min(len);
        let mut b = base.to_vec();
        if rng.below(2) == 0 {
            b.drain(i..j);
            out.push(Mutant {
                name: format!("bytes {i}..{j} removed"),
                bytes: b,
            });
        } else {
            let copy = b[i..j].to_vec();
            b.splice(j..j, copy);
            out.push(Mutant {
                name: format!("bytes {i}..{j} repeated"),
                bytes: b,
            });
        }
    }
}

/// CSV text: header fields changed, columns duplicated, quotes and delimiters in fields.
fn csv_text(rng: &mut Rng, text: &str, out: &mut Vec<Mutant>, n: usize) {
    let lines: Vec<&str> = text.lines().collect();
    let header = csv_fields(lines[0]);
    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| csv_fields(l)).collect();
    let join = |h: &[String], rows: &[Vec<String>]| -> Vec<u8> {
        let mut s = csv_line(h) + "\n";
        for r in rows {
            s += &(csv_line(r) + "\n");
        }
        s.into_bytes()
    };
    for _ in 0..(n / 8).max(4) {
        let c = rng.below(header.len());
        let (h, r): (Vec<String>, Vec<Vec<String>>) = match rng.below(5) {
            0 => {
                // A column duplicated, name and values.
                let mut h = header.clone();
                h.push(header[c].clone());
                let r = rows
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        r.push(r[c].clone());
                        r
                    })
                    .collect();
                (h, r)
            }
            1 => {
                let mut h = header.clone();
                h[c] = String::new();
                (h, rows.clone())
            }
            2 => {
                let mut h = header.clone();
                h.remove(c);
                (h, rows.clone())
            }
            3 => {
                let mut h = header.clone();
                h[c] = format!("{} \"x\", y", h[c]);
                (h, rows.clone())
            }
            _ => {
                // A row with a field too many or too few.
                let mut r = rows.clone();
                let i = rng.below(r.len());
                if rng.below(2) == 0 {
                    r[i].push("extra".into());
                } else {
                    r[i].pop();
                }
                (header.clone(), r)
            }
        };
        out.push(Mutant {
            name: format!("header/column change {} at column {c}", out.len()),
            bytes: join(&h, &r),
        });
    }
    for _ in 0..(n / 8).max(4) {
        let mut r = rows.clone();
        let i = rng.below(r.len());
        let c = rng.below(header.len());
        let v: &str = *rng.pick(&[
            "\"",
            "a\"b",
            "\"unterminated",
            ",",
            "\n",
            "1e999999",
            "-0",
            "NaN",
            "9999-99-99T99:99:99Z",
            "{\"k\":",
            "\u{feff}",
            "\u{fffd}",
        ]);
        r[i][c] = v.to_string();
        out.push(Mutant {
            name: format!("row {i} column {} set to {v:?}", header[c]),
            bytes: join(&header, &r),
        });
    }
}

/// Parquet: the footer's length field set to every kind of wrong value, the footer's bytes
/// changed, the magic bytes changed.
fn parquet(rng: &mut Rng, base: &[u8], out: &mut Vec<Mutant>, n: usize) {
    let len = base.len();
    let footer = u32::from_le_bytes(base[len - 8..len - 4].try_into().unwrap()) as usize;
    let values = [
        0u32,
        1,
        7,
        (footer - 1) as u32,
        (footer + 1) as u32,
        (len - 12) as u32,
        (len - 11) as u32,
        len as u32,
        (len + 1) as u32,
        0x7fff_ffff,
        0xffff_ffff,
    ];
    for v in values {
        let mut b = base.to_vec();
        b[len - 8..len - 4].copy_from_slice(&v.to_le_bytes());
        out.push(Mutant {
            name: format!("footer length set to {v}"),
            bytes: b,
        });
    }
    let start = len - 8 - footer;
    for _ in 0..n / 4 {
        let mut b = base.to_vec();
        let i = start + rng.below(footer);
        b[i] = rng.next() as u8;
        out.push(Mutant {
            name: format!("footer byte {i} changed"),
            bytes: b,
        });
    }
    // Garbage between the magic bytes, as the issue describes it.
    let mut g = b"PAR1".to_vec();
    for _ in 0..4096 {
        g.push(rng.next() as u8);
    }
    g.extend(b"\xff\xff\xff\x7fPAR1");
    out.push(Mutant {
        name: "garbage with a footer length past the start".into(),
        bytes: g,
    });
    for m in [&b"PAR0"[..], b"\0\0\0\0"] {
        let mut b = base.to_vec();
        b[len - 4..].copy_from_slice(m);
        out.push(Mutant {
            name: format!("closing magic {m:?}"),
            bytes: b,
        });
    }
}

/// gzip: members cut, a second member appended and cut, header and trailer fields changed.
fn gz(rng: &mut Rng, text: &[u8], out: &mut Vec<Mutant>, n: usize) {
    let whole = gzip(text);
    let half = text.len() / 2;
    let two = [gzip(&text[..half]), gzip(&text[half..])].concat();
    let first = gzip(&text[..half]).len();
    for _ in 0..(n / 8).max(4) {
        let at = first + rng.below(two.len() - first);
        out.push(Mutant {
            name: format!("second gzip member cut at {at}"),
            bytes: two[..at].to_vec(),
        });
    }
    out.push(Mutant {
        name: "two gzip members".into(),
        bytes: two.clone(),
    });
    let mut junk = whole.clone();
    junk.extend(b"not gzip at all");
    out.push(Mutant {
        name: "text after the gzip member".into(),
        bytes: junk,
    });
    for field in [0usize, 1, 2, 3] {
        let mut b = whole.clone();
        b[field] ^= 0x55;
        out.push(Mutant {
            name: format!("gzip header byte {field} changed"),
            bytes: b,
        });
    }
    let l = whole.len();
    for at in [l - 8, l - 5, l - 4, l - 1] {
        let mut b = whole.clone();
        b[at] ^= 0x01;
        out.push(Mutant {
            name: format!("gzip trailer byte {at} changed"),
            bytes: b,
        });
    }
    // Text mutations, compressed again.
    let mut plain = Vec::new();
    csv_text(rng, &String::from_utf8_lossy(text), &mut plain, n / 2);
    for m in plain {
        out.push(Mutant {
            name: format!("gzip of: {}", m.name),
            bytes: gzip(&m.bytes),
        });
    }
}

/// Run the binary on one input under a time limit: its exit code and stderr.
fn validate_within(path: &Path, limit: Duration) -> Result<(i32, String), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_focus-sql"))
        .args(["validate", "--format", "json", "--threads", "1"])
        .arg(path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("focus-sql runs");
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut s = String::new();
        let _ = std::io::BufReader::new(stderr).read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let err = reader.join().unwrap();
            return match status.code() {
                Some(c) => Ok((c, err)),
                None => Err(format!("killed by a signal: {status:?}; stderr: {err}")),
            };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer within {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every file under `dir` with its bytes, to show nothing was changed or added.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    files.sort();
    files
}

fn per_format() -> usize {
    std::env::var("FOCUS_SQL_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

fn mutants(format: Format, rng: &mut Rng, n: usize, parquet_base: &[u8]) -> Vec<Mutant> {
    let csv = fs::read_to_string(testdata("sample.csv")).unwrap();
    let mut out = Vec::new();
    match format {
        Format::Csv => {
            generic(rng, csv.as_bytes(), &mut out, n);
            csv_text(rng, &csv, &mut out, n);
        }
        Format::CsvGz => {
            let whole = gzip(csv.as_bytes());
            assert_eq!(gunzip(&whole), csv.as_bytes());
            generic(rng, &whole, &mut out, n);
            gz(rng, csv.as_bytes(), &mut out, n);
        }
        Format::Parquet => {
            generic(rng, parquet_base, &mut out, n);
            parquet(rng, parquet_base, &mut out, n);
        }
        Format::NdJson => generic(rng, &ndjson_of(&csv), &mut out, n),
        Format::Bundle13 => {
            let cau = fs::read_to_string(testdata("focus-1.3/cost-and-usage.csv")).unwrap();
            generic(rng, cau.as_bytes(), &mut out, n / 2);
            csv_text(rng, &cau, &mut out, n / 2);
        }
    }
    out
}

/// Run every mutant of `format`, two at a time; the failures, named.
fn run_format(format: Format, seed: u64, dir: &Path, parquet_base: &[u8]) -> (usize, Vec<String>) {
    let mut rng = Rng(seed ^ (format as u64).wrapping_mul(0x1000_0000_01b3));
    let all = mutants(format, &mut rng, per_format(), parquet_base);
    let count = all.len();
    let queue = std::sync::Mutex::new(all.into_iter().enumerate());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some((i, m)) = queue.lock().unwrap().next() else {
                    break;
                };
                let case = dir.join(format!("{format:?}-{i}"));
                fs::create_dir_all(&case).unwrap();
                let target = if format == Format::Bundle13 {
                    let cc = "contract-commitment.csv";
                    fs::copy(testdata(&format!("focus-1.3/{cc}")), case.join(cc)).unwrap();
                    fs::write(case.join(format.file_name()), &m.bytes).unwrap();
                    case.clone()
                } else {
                    let p = case.join(format.file_name());
                    fs::write(&p, &m.bytes).unwrap();
                    p
                };
                let before = snapshot(&case);
                let verdict = validate_within(&target, Duration::from_secs(60));
                let after = snapshot(&case);
                let problem = match verdict {
                    Err(e) => Some(e),
                    Ok((code, _)) if !(0..=2).contains(&code) => Some(format!("exit {code}")),
                    Ok((_, err)) if err.contains("panicked") || err.contains("RUST_BACKTRACE") => {
                        Some(format!("panic: {err}"))
                    }
                    Ok(_) if before != after => Some("the input folder changed".into()),
                    Ok(_) => None,
                };
                if let Some(p) = problem {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{format:?} #{i} ({}): {p}", m.name));
                } else {
                    let _ = fs::remove_dir_all(&case);
                }
            });
        }
    });
    (count, failures.into_inner().unwrap())
}

#[test]
fn no_mutation_of_an_input_panics_hangs_or_changes_it() {
    let dir = scratch("mutation");
    let seed = std::env::var("FOCUS_SQL_MUTATION_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261207u64);
    // The Parquet base is the sample's typed copy, as `convert` writes it.
    let pq = convert_to(&testdata("sample.csv"), &dir.join("base.parquet"));
    let parquet_base = fs::read(&pq).unwrap();
    let mut total = 0;
    let mut failures = Vec::new();
    for format in [
        Format::Csv,
        Format::CsvGz,
        Format::Parquet,
        Format::NdJson,
        Format::Bundle13,
    ] {
        let (n, f) = run_format(format, seed, &dir, &parquet_base);
        total += n;
        failures.extend(f);
    }
    assert!(total >= 200, "only {total} mutations generated");
    assert!(
        failures.is_empty(),
        "{} of {total} mutations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_base_of_every_format_validates_cleanly() {
    // The mutations start from inputs that validate: a mutant's error is the mutation's doing.
    let dir = scratch("mutation-bases");
    let csv = fs::read_to_string(testdata("sample.csv")).unwrap();
    let gz = dir.join("export.csv.gz");
    fs::write(&gz, gzip(csv.as_bytes())).unwrap();
    let nd = dir.join("export.ndjson");
    fs::write(&nd, ndjson_of(&csv)).unwrap();
    for p in [PathBuf::from(testdata("sample.csv")), gz, nd] {
        let (code, err) = validate_within(&p, Duration::from_secs(120)).unwrap();
        assert!(
            code == 0 || code == 1,
            "{}: exit {code}: {err}",
            p.display()
        );
    }
}
