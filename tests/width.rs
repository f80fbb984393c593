//! Wide exports: custom columns change nothing but the requirements about custom columns. The
//! bundled sample with hundreds of extra `x_` columns (built here, in a scratch directory) gets
//! the verdicts the sample gets, in CSV and in Parquet; badly named custom columns fail only the
//! column-naming requirements; queries see every column. (How fast width is handled is measured
//! by `.ci/bench width`, not here.)

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The sample with `extra` custom columns added after its own (values varied per row and
/// column, some empty).
fn widened(dir: &Path, name: &str, extra: &[String]) -> PathBuf {
    let (mut header, mut rows) = sample_records();
    header.extend(extra.iter().cloned());
    for (r, row) in rows.iter_mut().enumerate() {
        for j in 0..extra.len() {
            row.push(if (r + j) % 5 == 0 {
                String::new()
            } else {
                format!("v{}", (r * j) % 97)
            });
        }
    }
    write_csv(&dir.join(name), &header, &rows)
}

fn custom(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("x_Custom{i}")).collect()
}

/// Every requirement's status and violation count.
fn verdicts(path: &Path) -> BTreeMap<String, (String, u64)> {
    let r = validate_all_json(&path.display().to_string());
    r["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("no rules in the report of {}", path.display()))
        .iter()
        .map(|x| {
            (
                x["id"].as_str().unwrap().to_string(),
                (
                    x["status"].as_str().unwrap().to_string(),
                    x["violations"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

fn differences(
    a: &BTreeMap<String, (String, u64)>,
    b: &BTreeMap<String, (String, u64)>,
) -> Vec<String> {
    assert_eq!(a.len(), b.len());
    a.iter()
        .filter(|(id, v)| b.get(*id) != Some(v))
        .map(|(id, v)| format!("{id}: {v:?} -> {:?}", b.get(id)))
        .collect()
}

fn convert(csv: &Path) -> PathBuf {
    convert_to(&csv.display().to_string(), &csv.with_extension("parquet"))
}

#[test]
fn hundreds_of_custom_columns_change_no_verdict() {
    let dir = scratch("width-verdicts");
    let narrow = widened(&dir, "narrow.csv", &[]);
    let wide = widened(&dir, "wide.csv", &custom(300));
    let base = verdicts(&narrow);
    assert!(base.len() > 600);
    let diff = differences(&base, &verdicts(&wide));
    assert!(diff.is_empty(), "CSV: {diff:#?}");
    // The same files as Parquet (custom columns stored as they are, not read as CSV text).
    let diff = differences(&verdicts(&convert(&narrow)), &verdicts(&convert(&wide)));
    assert!(diff.is_empty(), "Parquet: {diff:#?}");
}

#[test]
fn badly_named_custom_columns_fail_only_the_naming_requirements() {
    let dir = scratch("width-naming");
    let narrow = widened(&dir, "narrow.csv", &[]);
    let mut extra = custom(300);
    extra.insert(150, "costCenter".to_string());
    extra.push("x_Cost-Center".to_string());
    let wide = widened(&dir, "wide.csv", &extra);
    let base = verdicts(&narrow);
    let report = validate_all_json(&wide.display().to_string());
    let after = verdicts(&wide);
    let changed: Vec<&String> = base
        .iter()
        .filter(|(id, v)| after.get(*id) != Some(v))
        .map(|(id, _)| id)
        .collect();
    // Not prefixed with x_ (ColumnHandling-A-010-M), not Pascal case (A-001-M), not
    // alphanumeric (A-003-M), and the composites over them.
    for id in [
        "ColumnHandling-A-001-M",
        "ColumnHandling-A-003-M",
        "ColumnHandling-A-010-M",
    ] {
        assert_eq!(after[id].0, "fail", "{id}: {:?}", after[id]);
        assert_eq!(after[id].1, 1, "{id}: {:?}", after[id]);
        assert!(changed.contains(&&id.to_string()), "{id}");
    }
    let shown = rule(&report, "ColumnHandling-A-010-M").to_string();
    assert!(shown.contains("costCenter"), "{shown}");
    let shown = rule(&report, "ColumnHandling-A-003-M").to_string();
    assert!(shown.contains("x_Cost-Center"), "{shown}");
    for id in &changed {
        assert!(
            id.starts_with("ColumnHandling-"),
            "{id} changed: {:?} -> {:?}",
            base[*id],
            after[*id]
        );
    }
}

#[test]
fn queries_see_every_column_of_a_wide_export() {
    let dir = scratch("width-query");
    let narrow = widened(&dir, "narrow.csv", &[]);
    let wide = widened(&dir, "wide.csv", &custom(300));
    let query = |path: &Path, sql: &str| {
        let o = run(&[
            "query",
            &path.display().to_string(),
            "--format",
            "csv",
            "-c",
            sql,
        ]);
        assert_eq!(code(&o), 0, "{sql}: {}", stderr(&o));
        stdout(&o)
    };
    for path in [wide.clone(), convert(&wide)] {
        // 37 rows; x_Custom7 is empty where (row + 7) % 5 == 0, 7 of them.
        let out = query(
            &path,
            "SELECT COUNT(*) AS n, COUNT(x_Custom7) AS c7, MAX(x_Custom300) AS m FROM CostAndUsage",
        );
        assert_eq!(out.lines().nth(1), Some("37,30,v96"), "{out}");
        // A filter on a typed column the query does not return, and one on a custom column.
        let typed =
            "SELECT COUNT(*) FROM CostAndUsage WHERE BilledCost > 0 AND ChargeCategory = 'Usage'";
        assert_eq!(query(&path, typed), query(&narrow, typed));
        let out = query(
            &path,
            "SELECT x_Custom2, BilledCost FROM CostAndUsage WHERE x_Custom2 = 'v3' LIMIT 5",
        );
        assert_eq!(out.lines().count(), 2, "{out}");
        let out = query(&path, "SELECT * FROM CostAndUsage LIMIT 1");
        let header = csv_fields(out.lines().next().unwrap());
        assert_eq!(header.len(), sample_records().0.len() + 300);
        assert_eq!(header.last().map(String::as_str), Some("x_Custom300"));
    }
}
