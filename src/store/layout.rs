//! Provider delivery layouts: how a cloud writes its FOCUS export into a bucket or folder, and
//! which files in it are the data of each billing period.
//!
//! - **AWS Data Exports**: `EXPORT/data/BILLING_PERIOD=YYYY-MM/*.csv.gz|*.parquet`, with
//!   `EXPORT/metadata/BILLING_PERIOD=YYYY-MM/EXPORT-Manifest.json` listing the data files
//!   (`dataFiles`). Each refresh replaces the period's files and manifest.
//! - **Azure Cost Management**: `EXPORT/YYYYMMDD-YYYYMMDD/RUN/GUID/part_N_NNNN.*` with a
//!   `manifest.json` per run (`blobs`, `runInfo`). Month-to-date runs each write a full new
//!   snapshot of the period: only the latest complete run is the data.
//! - **OCI**: `FOCUS Reports/YYYY/MM/DD/*.csv.gz`, split every million rows; no manifest, each
//!   file adds rows. A month's folder is that billing period.
//!
//! Detection and selection are pure functions of a listing and the manifests' text, so the same
//! code serves a local folder and an object-store prefix.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Whose delivery layout a location holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    AwsDataExports,
    AzureCostExport,
    OciFocusReports,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::AwsDataExports => "AWS Data Exports",
            Provider::AzureCostExport => "Azure Cost Management export",
            Provider::OciFocusReports => "OCI FOCUS reports",
        })
    }
}

/// One object of a listing, by its path relative to the location listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: String,
    pub size: u64,
}

/// The data of one billing period, as the provider delivered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub provider: Provider,
    /// `YYYY-MM`.
    pub period: String,
    /// Relative paths of the data files, sorted.
    pub files: Vec<String>,
    /// What the user should know: files not in the manifest, superseded runs.
    pub notes: Vec<String>,
}

/// A layout whose manifest contradicts the listing (a listed file is missing) or that cannot
/// be read: the location cannot be validated as delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutError(pub String);

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_data_file(name: &str) -> bool {
    super::format::InputFormat::of(std::path::Path::new(name)).is_some()
        && !name.to_ascii_lowercase().ends_with(".json")
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

fn is_period(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && s[..4].parse::<u16>().is_ok()
        && s[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
}

/// `YYYYMMDD-YYYYMMDD` → `YYYY-MM` of the start.
fn azure_range_period(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (b.len() == 17
        && b[8] == b'-'
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit()))
    .then(|| format!("{}-{}", &s[..4], &s[4..6]))
}

/// The manifests a listing holds, to be read before [`deliveries`].
pub fn manifests_to_read(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| {
            let name = file_name(&e.path);
            name == "manifest.json"
                || (name.ends_with("-Manifest.json") && e.path.contains("BILLING_PERIOD="))
                || (!e.path.contains('/') && name.to_ascii_lowercase().ends_with("manifest.json"))
        })
        .map(|e| e.path.clone())
        .collect()
}

/// The deliveries of a recognised layout (None: not a provider layout), one per billing period,
/// oldest first.
pub fn deliveries(
    entries: &[Entry],
    manifests: &HashMap<String, Vec<u8>>,
) -> Result<Option<Vec<Delivery>>, LayoutError> {
    if let Some(d) = aws(entries, manifests)? {
        return Ok(Some(d));
    }
    if let Some(d) = azure(entries, manifests)? {
        return Ok(Some(d));
    }
    Ok(oci(entries))
}

// ---- Bundle manifests (a converter's FOCUS 1.4 bundle) ----

/// A bundle folder whose manifest names the dataset of each file, as the focus-data-toolkit
/// writes it: `{"target_version": "1.4", "datasets": {"Cost and Usage": {"status": "PRODUCED",
/// "output_file": "focus_1_4_cost_and_usage.csv", ...}, "Invoice Detail": {"status":
/// "NOT_PRODUCED", ...}}}`. `output_file` is a file, or the folder of a partitioned dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleManifest {
    /// The manifest's path in the listing.
    pub manifest: String,
    /// Each data file (path in the listing, sorted) and the dataset the manifest names for it,
    /// as written there ("Cost and Usage").
    pub files: Vec<(String, String)>,
    /// Data files the manifest does not list (not read).
    pub notes: Vec<String>,
}

/// The bundle manifest at the top of a listing, if there is one; an error when it lists a file
/// that is not there.
pub fn bundle_manifest(
    entries: &[Entry],
    manifests: &HashMap<String, Vec<u8>>,
) -> Result<Option<BundleManifest>, LayoutError> {
    let mut paths: Vec<&String> = manifests.keys().filter(|p| !p.contains('/')).collect();
    paths.sort();
    for mpath in paths {
        let Ok(serde_json::Value::Object(doc)) = serde_json::from_slice(&manifests[mpath]) else {
            continue;
        };
        let Some(serde_json::Value::Object(datasets)) = doc.get("datasets") else {
            continue;
        };
        let listed: Vec<(&String, &str)> = datasets
            .iter()
            .filter_map(|(name, d)| Some((name, d.get("output_file")?.as_str()?)))
            .collect();
        if listed.is_empty() {
            continue;
        }
        let mut files = Vec::new();
        let mut missing = Vec::new();
        for (dataset, out) in listed {
            let out = out.trim_start_matches("./").trim_end_matches('/');
            let under = format!("{out}/");
            if entries.iter().any(|e| e.path == out) {
                files.push((out.to_string(), dataset.clone()));
            } else if entries
                .iter()
                .any(|e| e.path.starts_with(&under) && is_data_file(&e.path))
            {
                // A partitioned dataset: its folder, so that the `key=value` folders in it
                // become columns again.
                files.push((out.to_string(), dataset.clone()));
            } else {
                missing.push(format!("{out} ({dataset})"));
            }
        }
        if !missing.is_empty() {
            return Err(LayoutError(format!(
                "{mpath} lists {} file(s) that are not there: {}",
                missing.len(),
                missing.join(", ")
            )));
        }
        files.sort();
        let unlisted: Vec<&str> = entries
            .iter()
            .filter(|e| {
                is_data_file(&e.path)
                    && !files
                        .iter()
                        .any(|(f, _)| *f == e.path || e.path.starts_with(&format!("{f}/")))
            })
            .filter(|e| !crate::store::hidden(&e.path))
            .map(|e| e.path.as_str())
            .collect();
        let mut notes = Vec::new();
        if !unlisted.is_empty() {
            notes.push(format!(
                "{} data file(s) are not in {mpath} and are not read: {}",
                unlisted.len(),
                unlisted.join(", ")
            ));
        }
        return Ok(Some(BundleManifest {
            manifest: mpath.clone(),
            files,
            notes,
        }));
    }
    Ok(None)
}

// ---- AWS Data Exports ----

#[derive(Deserialize)]
struct AwsManifest {
    #[serde(rename = "dataFiles")]
    data_files: Vec<String>,
}

/// `(export folder, period)` of a path `EXPORT/data/BILLING_PERIOD=P/...`.
fn aws_data_key(path: &str) -> Option<(String, String)> {
    let (base, rest) = split_segment(path, "data")?;
    let folder = rest.split('/').next()?;
    let period = folder.strip_prefix("BILLING_PERIOD=")?;
    is_period(period).then(|| (base.to_string(), period.to_string()))
}

/// Split `a/b/SEG/c/d` at the last folder named `seg`: (`a/b`, `c/d`).
fn split_segment<'a>(path: &'a str, seg: &str) -> Option<(&'a str, &'a str)> {
    let parts: Vec<&str> = path.split('/').collect();
    let i = parts[..parts.len().saturating_sub(1)]
        .iter()
        .rposition(|p| *p == seg)?;
    let base_len: usize = parts[..i].iter().map(|p| p.len() + 1).sum();
    let base = if i == 0 { "" } else { &path[..base_len - 1] };
    let rest = &path[base_len + seg.len() + 1..];
    Some((base, rest))
}

fn aws(
    entries: &[Entry],
    manifests: &HashMap<String, Vec<u8>>,
) -> Result<Option<Vec<Delivery>>, LayoutError> {
    // (export, period) → data files
    let mut data: BTreeMap<(String, String), Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        if let Some(key) = aws_data_key(&e.path) {
            if is_data_file(&e.path) {
                data.entry(key).or_default().push(e);
            }
        }
    }
    let mut manifest_of: BTreeMap<(String, String), &str> = BTreeMap::new();
    for path in manifests.keys() {
        if let Some((base, rest)) = split_segment(path, "metadata") {
            let folder = rest.split('/').next().unwrap_or("");
            if let Some(p) = folder
                .strip_prefix("BILLING_PERIOD=")
                .filter(|p| is_period(p))
            {
                manifest_of.insert((base.to_string(), p.to_string()), path);
            }
        }
    }
    if data.is_empty() && manifest_of.is_empty() {
        return Ok(None);
    }
    let exports: std::collections::BTreeSet<&String> = data
        .keys()
        .chain(manifest_of.keys())
        .map(|(b, _)| b)
        .collect();
    if exports.len() > 1 {
        return Err(LayoutError(format!(
            "holds {} AWS Data Exports ({}): point at one export's folder",
            exports.len(),
            exports
                .iter()
                .map(|e| if e.is_empty() { "." } else { e.as_str() })
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut keys: Vec<(String, String)> = data.keys().chain(manifest_of.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let present = data.get(&key).cloned().unwrap_or_default();
        let mut notes = Vec::new();
        let files: Vec<String> = match manifest_of.get(&key) {
            Some(mpath) => {
                let m: AwsManifest = serde_json::from_slice(&manifests[*mpath]).map_err(|e| {
                    LayoutError(format!("{mpath}: not an AWS Data Exports manifest: {e}"))
                })?;
                // Listed files are full URLs; match them by their path under the period folder.
                let tail = |p: &str| -> String {
                    let marker = format!("BILLING_PERIOD={}/", key.1);
                    p.split_once(&marker)
                        .map(|(_, t)| t.to_string())
                        .unwrap_or_else(|| file_name(p).to_string())
                };
                let by_tail: HashMap<String, &Entry> =
                    present.iter().map(|e| (tail(&e.path), *e)).collect();
                let mut files = Vec::new();
                let mut missing = Vec::new();
                for listed in &m.data_files {
                    match by_tail.get(&tail(listed)) {
                        Some(e) => files.push(e.path.clone()),
                        None => missing.push(listed.clone()),
                    }
                }
                if !missing.is_empty() {
                    return Err(LayoutError(format!(
                        "{mpath} lists {} file(s) that are not there: {}",
                        missing.len(),
                        missing.join(", ")
                    )));
                }
                let listed: std::collections::HashSet<String> =
                    m.data_files.iter().map(|f| tail(f)).collect();
                let extra: Vec<&str> = present
                    .iter()
                    .filter(|e| !listed.contains(&tail(&e.path)))
                    .map(|e| e.path.as_str())
                    .collect();
                if !extra.is_empty() {
                    notes.push(format!(
                        "{} file(s) in the period folder are not in its manifest and are not read: {}",
                        extra.len(),
                        extra.join(", ")
                    ));
                }
                files
            }
            None => {
                notes.push(format!(
                    "no manifest for BILLING_PERIOD={}: every data file in its folder is read",
                    key.1
                ));
                present.iter().map(|e| e.path.clone()).collect()
            }
        };
        if files.is_empty() {
            return Err(LayoutError(format!(
                "BILLING_PERIOD={}: the manifest lists no data files",
                key.1
            )));
        }
        let mut files = files;
        files.sort();
        out.push(Delivery {
            provider: Provider::AwsDataExports,
            period: key.1,
            files,
            notes,
        });
    }
    Ok(Some(out))
}

// ---- Azure Cost Management exports ----

#[derive(Deserialize)]
struct AzureManifest {
    blobs: Vec<AzureBlob>,
    #[serde(rename = "runInfo", default)]
    run_info: Option<AzureRunInfo>,
}

#[derive(Deserialize)]
struct AzureBlob {
    #[serde(rename = "blobName")]
    blob_name: String,
    #[serde(rename = "byteCount", default)]
    byte_count: Option<u64>,
}

#[derive(Deserialize, Default)]
struct AzureRunInfo {
    #[serde(rename = "submittedTime", default)]
    submitted_time: Option<String>,
    #[serde(rename = "runId", default)]
    run_id: Option<String>,
}

struct AzureRun {
    folder: String,
    period: String,
    /// What orders runs: the submitted time, else the run folder's path.
    when: String,
    label: String,
    files: Vec<String>,
    missing: Vec<String>,
}

fn azure(
    entries: &[Entry],
    manifests: &HashMap<String, Vec<u8>>,
) -> Result<Option<Vec<Delivery>>, LayoutError> {
    let by_path: HashMap<&str, &Entry> = entries.iter().map(|e| (e.path.as_str(), e)).collect();
    let mut runs = Vec::new();
    for (mpath, text) in manifests {
        if file_name(mpath) != "manifest.json" {
            continue;
        }
        let folder = parent(mpath);
        let Some(period) = folder.split('/').find_map(azure_range_period) else {
            continue;
        };
        let m: AzureManifest = serde_json::from_slice(text)
            .map_err(|e| LayoutError(format!("{mpath}: not an Azure cost export manifest: {e}")))?;
        let info = m.run_info.unwrap_or_default();
        let mut files = Vec::new();
        let mut missing = Vec::new();
        for b in &m.blobs {
            let path = if folder.is_empty() {
                file_name(&b.blob_name).to_string()
            } else {
                format!("{folder}/{}", file_name(&b.blob_name))
            };
            match by_path.get(path.as_str()) {
                Some(e) if b.byte_count.is_none_or(|n| n == e.size) => files.push(path),
                Some(e) => missing.push(format!(
                    "{} ({} bytes, the manifest says {})",
                    b.blob_name,
                    e.size,
                    b.byte_count.unwrap_or(0)
                )),
                None => missing.push(b.blob_name.clone()),
            }
        }
        files.sort();
        runs.push(AzureRun {
            folder: folder.to_string(),
            period,
            when: info
                .submitted_time
                .clone()
                .unwrap_or_else(|| folder.to_string()),
            label: info.run_id.unwrap_or_else(|| folder.to_string()),
            files,
            missing,
        });
    }
    if runs.is_empty() {
        return Ok(None);
    }
    let mut by_period: BTreeMap<String, Vec<AzureRun>> = BTreeMap::new();
    for r in runs {
        by_period.entry(r.period.clone()).or_default().push(r);
    }
    let mut out = Vec::new();
    for (period, mut runs) in by_period {
        runs.sort_by(|a, b| b.when.cmp(&a.when));
        let mut notes = Vec::new();
        let Some(chosen) = runs
            .iter()
            .position(|r| r.missing.is_empty() && !r.files.is_empty())
        else {
            let r = &runs[0];
            return Err(LayoutError(format!(
                "{period}: no complete export run; the latest ({}) lacks {}",
                r.folder,
                r.missing.join(", ")
            )));
        };
        for r in &runs[..chosen] {
            notes.push(format!(
                "the run {} is incomplete (missing {}): using the latest complete run",
                r.folder,
                r.missing.join(", ")
            ));
        }
        let later = runs.len() - chosen - 1;
        if later > 0 {
            notes.push(format!(
                "{later} earlier run(s) of {period} are superseded by run {} and are not read",
                runs[chosen].label
            ));
        }
        let unlisted: Vec<&str> = entries
            .iter()
            .filter(|e| parent(&e.path) == runs[chosen].folder && is_data_file(&e.path))
            .filter(|e| !runs[chosen].files.contains(&e.path))
            .map(|e| e.path.as_str())
            .collect();
        if !unlisted.is_empty() {
            notes.push(format!(
                "{} file(s) in the run folder are not in its manifest and are not read: {}",
                unlisted.len(),
                unlisted.join(", ")
            ));
        }
        out.push(Delivery {
            provider: Provider::AzureCostExport,
            period,
            files: runs.swap_remove(chosen).files,
            notes,
        });
    }
    Ok(Some(out))
}

// ---- OCI FOCUS reports ----

/// `YYYY-MM` of a path `…/YYYY/MM/DD/file`.
fn oci_period(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 4 {
        return None;
    }
    let n = parts.len();
    let (y, m, d) = (parts[n - 4], parts[n - 3], parts[n - 2]);
    let digits = |s: &str, len: usize| s.len() == len && s.chars().all(|c| c.is_ascii_digit());
    (digits(y, 4) && digits(m, 2) && digits(d, 2)).then(|| format!("{y}-{m}"))
}

fn oci(entries: &[Entry]) -> Option<Vec<Delivery>> {
    let files: Vec<&Entry> = entries.iter().filter(|e| is_data_file(&e.path)).collect();
    if files.is_empty() {
        return None;
    }
    let mut by_period: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &files {
        by_period
            .entry(oci_period(&e.path)?)
            .or_default()
            .push(e.path.clone());
    }
    // Only a FOCUS Reports folder (or the dated folders below one) is taken for OCI's layout.
    let named = files.iter().any(|e| e.path.contains("FOCUS Reports/"))
        || files.iter().all(|e| e.path.split('/').count() == 4);
    if !named {
        return None;
    }
    Some(
        by_period
            .into_iter()
            .map(|(period, mut files)| {
                files.sort();
                Delivery {
                    provider: Provider::OciFocusReports,
                    period,
                    files,
                    notes: Vec::new(),
                }
            })
            .collect(),
    )
}

/// Keep the delivery of `period` (YYYY-MM), or say which periods there are.
pub fn select(
    deliveries: Vec<Delivery>,
    period: Option<&str>,
) -> Result<Vec<Delivery>, LayoutError> {
    let Some(p) = period else {
        return Ok(deliveries);
    };
    if !is_period(p) {
        return Err(LayoutError(format!(
            "--billing-period {p}: expected YYYY-MM"
        )));
    }
    let names: Vec<String> = deliveries.iter().map(|d| d.period.clone()).collect();
    let chosen: Vec<Delivery> = deliveries.into_iter().filter(|d| d.period == p).collect();
    if chosen.is_empty() {
        return Err(LayoutError(format!(
            "no delivery for billing period {p} (there are: {})",
            names.join(", ")
        )));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(path: &str, size: u64) -> Entry {
        Entry {
            path: path.into(),
            size,
        }
    }

    fn m(pairs: &[(&str, &str)]) -> HashMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn aws_reads_what_the_manifest_lists_and_reports_the_rest() {
        let entries = vec![
            e("focus/data/BILLING_PERIOD=2026-09/focus-00001.csv.gz", 10),
            e("focus/data/BILLING_PERIOD=2026-10/focus-00001.csv.gz", 10),
            e("focus/data/BILLING_PERIOD=2026-10/focus-00002.csv.gz", 10),
            e("focus/data/BILLING_PERIOD=2026-10/stray.csv.gz", 10),
            e(
                "focus/metadata/BILLING_PERIOD=2026-10/focus-Manifest.json",
                10,
            ),
        ];
        assert_eq!(
            manifests_to_read(&entries),
            vec!["focus/metadata/BILLING_PERIOD=2026-10/focus-Manifest.json"]
        );
        let manifests = m(&[(
            "focus/metadata/BILLING_PERIOD=2026-10/focus-Manifest.json",
            r#"{"dataFiles":["s3://b/p/focus/data/BILLING_PERIOD=2026-10/focus-00001.csv.gz","s3://b/p/focus/data/BILLING_PERIOD=2026-10/focus-00002.csv.gz"]}"#,
        )]);
        let d = deliveries(&entries, &manifests).unwrap().unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].period, "2026-09");
        assert!(d[0].notes[0].contains("no manifest"));
        assert_eq!(d[1].files.len(), 2);
        assert!(d[1].notes[0].contains("stray.csv.gz"));
        assert_eq!(select(d.clone(), Some("2026-10")).unwrap().len(), 1);
        assert!(select(d, Some("2026-11"))
            .unwrap_err()
            .0
            .contains("2026-09, 2026-10"));

        let lying = m(&[(
            "focus/metadata/BILLING_PERIOD=2026-10/focus-Manifest.json",
            r#"{"dataFiles":["s3://b/p/focus/data/BILLING_PERIOD=2026-10/focus-00003.csv.gz"]}"#,
        )]);
        let err = deliveries(&entries, &lying).unwrap_err();
        assert!(
            err.0.contains("not there") && err.0.contains("focus-00003"),
            "{err}"
        );
    }

    #[test]
    fn azure_takes_the_latest_complete_run_of_each_period() {
        let run = |folder: &str, submitted: &str, blobs: &[&str]| {
            let blobs: Vec<String> = blobs
                .iter()
                .map(|b| format!(r#"{{"blobName":"exports/{folder}/{b}","byteCount":10}}"#))
                .collect();
            (
                format!("{folder}/manifest.json"),
                format!(
                    r#"{{"runInfo":{{"submittedTime":"{submitted}","runId":"{folder}"}},"blobs":[{}]}}"#,
                    blobs.join(",")
                ),
            )
        };
        let r1 = run(
            "focus/20261001-20261031/202610050101/aaa",
            "2026-10-05T01:01:00Z",
            &["part_0_0001.csv"],
        );
        let r2 = run(
            "focus/20261001-20261031/202610060101/bbb",
            "2026-10-06T01:01:00Z",
            &["part_0_0001.csv", "part_1_0001.csv"],
        );
        let r3 = run(
            "focus/20261001-20261031/202610070101/ccc",
            "2026-10-07T01:01:00Z",
            &["part_0_0001.csv", "part_1_0001.csv"],
        );
        let entries = vec![
            e("focus/20261001-20261031/202610050101/aaa/manifest.json", 1),
            e(
                "focus/20261001-20261031/202610050101/aaa/part_0_0001.csv",
                10,
            ),
            e("focus/20261001-20261031/202610060101/bbb/manifest.json", 1),
            e(
                "focus/20261001-20261031/202610060101/bbb/part_0_0001.csv",
                10,
            ),
            e(
                "focus/20261001-20261031/202610060101/bbb/part_1_0001.csv",
                10,
            ),
            e("focus/20261001-20261031/202610070101/ccc/manifest.json", 1),
            e(
                "focus/20261001-20261031/202610070101/ccc/part_0_0001.csv",
                10,
            ),
        ];
        let manifests: HashMap<String, Vec<u8>> = [r1, r2, r3]
            .into_iter()
            .map(|(p, t)| (p, t.into_bytes()))
            .collect();
        let d = deliveries(&entries, &manifests).unwrap().unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].provider, Provider::AzureCostExport);
        assert_eq!(d[0].period, "2026-10");
        assert_eq!(
            d[0].files,
            vec![
                "focus/20261001-20261031/202610060101/bbb/part_0_0001.csv",
                "focus/20261001-20261031/202610060101/bbb/part_1_0001.csv"
            ]
        );
        assert!(
            d[0].notes[0].contains("ccc is incomplete"),
            "{:?}",
            d[0].notes
        );
        assert!(d[0].notes[1].contains("1 earlier run"), "{:?}", d[0].notes);
    }

    #[test]
    fn a_bundle_manifest_names_each_files_dataset() {
        let entries = vec![
            e("SHA256SUMS", 1),
            e("_run.json", 1),
            e("focus_1_4_cost_and_usage.csv", 10),
            e("focus_1_4_invoice_detail.csv", 10),
            e("focus_1_4_manifest.json", 10),
            e("stray.csv", 10),
        ];
        assert_eq!(manifests_to_read(&entries), vec!["focus_1_4_manifest.json"]);
        let text = r#"{"target_version": "1.4", "datasets": {
            "Cost and Usage": {"status": "PRODUCED", "output_file": "focus_1_4_cost_and_usage.csv"},
            "Invoice Detail": {"status": "PRODUCED", "output_file": "focus_1_4_invoice_detail.csv"},
            "Billing Period": {"status": "NOT_PRODUCED", "reason": "no source"}}}"#;
        let b = bundle_manifest(&entries, &m(&[("focus_1_4_manifest.json", text)]))
            .unwrap()
            .unwrap();
        assert_eq!(
            b.files,
            vec![
                (
                    "focus_1_4_cost_and_usage.csv".into(),
                    "Cost and Usage".into()
                ),
                (
                    "focus_1_4_invoice_detail.csv".into(),
                    "Invoice Detail".into()
                )
            ]
        );
        assert!(b.notes[0].contains("stray.csv"), "{:?}", b.notes);
        // A listed file that is not there.
        let short: Vec<Entry> = entries
            .iter()
            .filter(|x| !x.path.contains("invoice"))
            .cloned()
            .collect();
        let err = bundle_manifest(&short, &m(&[("focus_1_4_manifest.json", text)])).unwrap_err();
        assert!(err.0.contains("focus_1_4_invoice_detail.csv"), "{err}");
        // A partitioned dataset is its folder.
        let parts = vec![
            e("cau/BillingCurrency=USD/part-0.parquet", 10),
            e("cau/BillingCurrency=EUR/part-0.parquet", 10),
            e("focus_1_4_manifest.json", 10),
        ];
        let text2 = r#"{"datasets": {"Cost and Usage": {"output_file": "cau", "partitioned_by": ["BillingCurrency"]}}}"#;
        let b = bundle_manifest(&parts, &m(&[("focus_1_4_manifest.json", text2)]))
            .unwrap()
            .unwrap();
        assert_eq!(b.files, vec![("cau".into(), "Cost and Usage".into())]);
        assert!(b.notes.is_empty(), "{:?}", b.notes);
        // Another manifest is no bundle manifest.
        let other = m(&[("manifest.json", r#"{"files": ["a.csv"]}"#)]);
        assert!(bundle_manifest(&entries, &other).unwrap().is_none());
    }

    #[test]
    fn oci_groups_reports_by_month_folder() {
        let entries = vec![
            e("FOCUS Reports/2026/10/01/0001-00001.csv.gz", 1),
            e("FOCUS Reports/2026/10/02/0001-00002.csv.gz", 1),
            e("FOCUS Reports/2026/11/01/0001-00003.csv.gz", 1),
        ];
        let d = deliveries(&entries, &HashMap::new()).unwrap().unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].files.len(), 2);
        assert_eq!(d[1].period, "2026-11");
        // An ordinary folder of exports is no layout.
        let plain = vec![e("exports/a.csv", 1), e("exports/b.csv", 1)];
        assert!(deliveries(&plain, &HashMap::new()).unwrap().is_none());
    }
}
