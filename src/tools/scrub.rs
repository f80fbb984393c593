//! `focus-sql scrub`: anonymize a sample for certification. Account and resource identifiers
//! (and commitment and capacity reservation ids, which often embed them) become keyed hashes,
//! consistent across the file; account ids embedded in other identifiers and descriptions are
//! replaced by the same hashes; names become keyed hashes too (so "has a name" and "name equals
//! id" survive); tag values are removed, keys kept. Costs, dates, currencies, categories and
//! quantities are untouched. Deterministic for a given key.

use crate::engine::input;
use crate::engine::{quote_ident, Dataset, SOURCE_TABLE};
use crate::rules::catalog::Catalog;
use anyhow::{anyhow, bail, Context, Result};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Columns replaced by a keyed hash of their value (the FOCUS 1.3 contract and allocation ids
/// too).
pub const HASHED: [&str; 8] = [
    "BillingAccountId",
    "SubAccountId",
    "ResourceId",
    "CommitmentDiscountId",
    "CapacityReservationId",
    "ContractId",
    "ContractCommitmentId",
    "AllocatedResourceId",
];
/// Name columns, replaced by a keyed hash of their value.
pub const NAMES: [&str; 5] = [
    "BillingAccountName",
    "SubAccountName",
    "ResourceName",
    "CommitmentDiscountName",
    "AllocatedResourceName",
];
/// Identifier columns where account and resource ids may be embedded (ARN-like ids), and the
/// JSON object columns whose elements name contract commitments, resources and accounts (the
/// FOCUS 1.4 invoice detail ids and grain, and commitment applicability rules, too).
pub const EMBEDDING_IDS: [&str; 11] = [
    "InvoiceId",
    "SkuId",
    "SkuPriceId",
    "ResourceType",
    "ContractApplied",
    "AllocatedMethodDetails",
    "InvoiceDetailId",
    "PaymentCurrencyInvoiceDetailId",
    "ReferenceInvoiceId",
    "InvoiceDetailGrain",
    "ContractCommitmentApplicability",
];
/// Free-text columns, where names may appear too ("Hours for web-01"); custom `x_` text columns
/// are treated the same way.
pub const FREE_TEXT: [&str; 3] = [
    "ChargeDescription",
    "ContractCommitmentDescription",
    "InvoiceDetailDescription",
];
/// Values shorter than this are not looked for inside other text (they would match anywhere).
const MIN_EMBEDDED: usize = 4;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(&inner[..]);
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer.finalize());
    out
}

/// Known values and their replacement tokens, found inside other text by one automaton.
struct Embedded {
    finder: aho_corasick::AhoCorasick,
    tokens: Vec<String>,
}

impl Embedded {
    fn new(values: Vec<(String, String)>) -> Option<Embedded> {
        if values.is_empty() {
            return None;
        }
        let finder = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(values.iter().map(|(v, _)| v))
            .ok()?;
        Some(Embedded {
            finder,
            tokens: values.into_iter().map(|(_, t)| t).collect(),
        })
    }

    /// `text` with every whole occurrence of a known value replaced: a value counts only where
    /// it is not part of a longer word (`prod` is not replaced inside `production`).
    fn replace(&self, text: &str) -> String {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
        let mut out = String::new();
        let mut last = 0;
        for m in self.finder.find_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if word(before) || word(after) {
                continue;
            }
            out.push_str(&text[last..m.start()]);
            out.push_str(&self.tokens[m.pattern().as_usize()]);
            last = m.end();
        }
        if last == 0 {
            return text.to_string();
        }
        out.push_str(&text[last..]);
        out
    }
}

pub struct Scrubber {
    key: Vec<u8>,
    /// Ids, looked for in identifier columns.
    ids: Option<Embedded>,
    /// Ids and names, looked for in free text.
    text: Option<Embedded>,
}

impl Scrubber {
    pub fn new(key: &[u8]) -> Scrubber {
        Scrubber {
            key: key.to_vec(),
            ids: None,
            text: None,
        }
    }

    /// The replacement of one value: `anon-` and 16 hex digits of its keyed hash.
    pub fn token(&self, value: &str) -> String {
        let h = hmac_sha256(&self.key, value.as_bytes());
        let hex: String = h[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("anon-{hex}")
    }

    /// The ids (account, resource, commitment…) and names found in the data, to be replaced
    /// where they appear inside other values, by the same tokens as in their own columns.
    pub fn set_known(
        &mut self,
        ids: impl IntoIterator<Item = String>,
        names: impl IntoIterator<Item = String>,
    ) {
        let tokens = |values: Vec<String>| -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> = values
                .into_iter()
                .filter(|i| i.chars().count() >= MIN_EMBEDDED)
                .map(|i| (self.token(&i), i))
                .map(|(t, i)| (i, t))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let ids = tokens(ids.into_iter().collect());
        let mut all = ids.clone();
        all.extend(tokens(names.into_iter().collect()));
        all.sort();
        all.dedup();
        self.ids = Embedded::new(ids);
        self.text = Embedded::new(all);
    }

    /// Known ids inside an identifier replaced by their tokens.
    pub fn embedded_ids(&self, text: &str) -> String {
        match &self.ids {
            Some(e) => e.replace(text),
            None => text.to_string(),
        }
    }

    /// Known ids and names inside free text replaced by their tokens.
    pub fn embedded_text(&self, text: &str) -> String {
        match &self.text {
            Some(e) => e.replace(text),
            None => text.to_string(),
        }
    }

    /// Tag values removed (empty strings), keys kept; text that is not a JSON object is
    /// replaced by a token, as it may hold anything.
    pub fn tags(&self, text: &str) -> String {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => {
                let cleared: serde_json::Map<String, serde_json::Value> = map
                    .into_iter()
                    .map(|(k, _)| (k, serde_json::Value::String(String::new())))
                    .collect();
                serde_json::Value::Object(cleared).to_string()
            }
            _ => self.token(text),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Treatment {
    Keep,
    Hash,
    Tags,
    EmbeddedIds,
    FreeText,
}

fn treatment(name: &str, ty: &DataType) -> Treatment {
    let text = matches!(
        ty,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _)
    );
    if HASHED.contains(&name) || NAMES.contains(&name) {
        Treatment::Hash
    } else if (name == "Tags" || name == "AllocatedTags") && text {
        Treatment::Tags
    } else if text && EMBEDDING_IDS.contains(&name) {
        Treatment::EmbeddedIds
    } else if text && (FREE_TEXT.contains(&name) || name.starts_with("x_")) {
        Treatment::FreeText
    } else {
        Treatment::Keep
    }
}

fn map_strings(array: &ArrayRef, f: impl Fn(&str) -> String) -> Result<ArrayRef> {
    let text = datafusion::arrow::compute::cast(array, &DataType::Utf8)?;
    let s = text.as_string::<i32>();
    let mut b = StringBuilder::with_capacity(s.len(), s.value_data().len());
    for v in s.iter() {
        match v {
            Some(v) => b.append_value(f(v)),
            None => b.append_null(),
        }
    }
    Ok(Arc::new(b.finish()))
}

fn transform(s: &Scrubber, batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (i, f) in batch.schema().fields().iter().enumerate() {
        let a = batch.column(i);
        columns.push(match treatment(f.name(), f.data_type()) {
            Treatment::Keep => a.clone(),
            Treatment::Hash => map_strings(a, |v| s.token(v))?,
            Treatment::Tags => map_strings(a, |v| s.tags(v))?,
            Treatment::EmbeddedIds => map_strings(a, |v| s.embedded_ids(v))?,
            Treatment::FreeText => map_strings(a, |v| s.embedded_text(v))?,
        });
    }
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Every distinct non-null value of the given columns that the dataset has (all of them: a
/// value left out would stay readable wherever it is embedded).
/// The contract and commitment ids named inside ContractApplied (FOCUS 1.3), so that they get
/// the same tokens as in the Contract Commitment dataset scrubbed with the same key.
async fn applied_ids(ds: &Dataset) -> Result<Vec<String>> {
    if !ds.has_column("ContractApplied") {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH e AS (SELECT unnest(focus_json_elements(CAST({c} AS VARCHAR), '$.Elements[*]')) AS e \
         FROM {SOURCE_TABLE}) \
         SELECT DISTINCT v FROM (SELECT focus_json_get_str(e, 'ContractId') AS v FROM e \
         UNION ALL SELECT focus_json_get_str(e, 'ContractCommitmentId') FROM e) WHERE v IS NOT NULL",
        c = quote_ident("ContractApplied")
    );
    let batches = ds.collect(&sql).await.map_err(|e| anyhow!("{e}"))?;
    let mut out = Vec::new();
    for b in &batches {
        let col = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)?;
        let a = col.as_string::<i32>();
        out.extend(
            (0..a.len())
                .filter(|&i| !a.is_null(i))
                .map(|i| a.value(i).to_string()),
        );
    }
    Ok(out)
}

async fn distinct_values(ds: &Dataset, columns: &[&str]) -> Result<Vec<String>> {
    let selects: Vec<String> = columns
        .iter()
        .filter(|c| ds.has_column(c))
        .map(|c| {
            let c = quote_ident(c);
            format!("SELECT DISTINCT CAST({c} AS VARCHAR) AS v FROM {SOURCE_TABLE} WHERE {c} IS NOT NULL")
        })
        .collect();
    if selects.is_empty() {
        return Ok(Vec::new());
    }
    let batches = ds
        .collect(&selects.join(" UNION "))
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mut out = Vec::new();
    for b in &batches {
        let text = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)?;
        out.extend(text.as_string::<i32>().iter().flatten().map(str::to_string));
    }
    Ok(out)
}

/// The output format, from the file name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OutFormat {
    Csv,
    CsvGz,
    Parquet,
}

/// The secret key: the file's contents, else FOCUS_SQL_SCRUB_KEY, trimmed of surrounding
/// whitespace (never a flag, which would land in shell history).
pub fn read_key(key_file: Option<&Path>) -> Result<Vec<u8>> {
    let key = match (key_file, std::env::var("FOCUS_SQL_SCRUB_KEY")) {
        (Some(f), _) => {
            std::fs::read(f).with_context(|| format!("{}: cannot read the key", f.display()))?
        }
        (None, Ok(k)) => k.into_bytes(),
        (None, Err(_)) => {
            anyhow::bail!("give the secret key with --key-file FILE or FOCUS_SQL_SCRUB_KEY")
        }
    };
    Ok(key.trim_ascii().to_vec())
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.len() < 8 {
        bail!("the scrub key is too short: use at least 8 characters (better 32 random ones)");
    }
    Ok(())
}

fn out_format(out: &Path) -> Result<OutFormat> {
    Ok(match input::InputFormat::of(out) {
        Some(input::InputFormat::Csv) => OutFormat::Csv,
        Some(input::InputFormat::CsvGz) => OutFormat::CsvGz,
        Some(input::InputFormat::Parquet) => OutFormat::Parquet,
        _ => bail!(
            "{}: name the output .csv, .csv.gz or .parquet",
            out.display()
        ),
    })
}

/// The ids and names a dataset holds, to be replaced wherever they appear.
async fn known(ds: &Dataset) -> Result<(Vec<String>, Vec<String>)> {
    let mut ids = distinct_values(ds, &HASHED).await?;
    ids.extend(applied_ids(ds).await?);
    let names = distinct_values(ds, &NAMES).await?;
    Ok((ids, names))
}

/// Scrub one dataset into one file (written atomically).
pub async fn scrub(paths: &[String], out: &Path, key: &[u8], catalog: &Catalog) -> Result<u64> {
    check_key(key)?;
    let format = out_format(out)?;
    let ds = super::open_input(paths, out, catalog).await?;
    let mut scrubber = Scrubber::new(key);
    let (ids, names) = known(&ds).await?;
    scrubber.set_known(ids, names);
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    write_scrubbed(&ds, &scrubber, format, dir, out).await
}

/// One dataset of a bundle to scrub: its catalog, its files, and the name of the file it becomes.
pub struct Part<'a> {
    pub catalog: &'a Catalog,
    pub paths: Vec<String>,
    pub file_name: String,
}

/// Scrub every dataset of a bundle into a new folder `out`, one file per dataset. The ids and
/// names of all datasets are replaced alike in each, so that the keys joining the datasets
/// (InvoiceId, ContractCommitmentId) still join. Written into a temporary folder beside `out`,
/// renamed into place when every file is written. Returns the rows written per part.
pub async fn scrub_bundle(parts: &[Part<'_>], out: &Path, key: &[u8]) -> Result<Vec<u64>> {
    check_key(key)?;
    if out.exists() && std::fs::read_dir(out).map_or(true, |mut d| d.next().is_some()) {
        bail!(
            "{}: exists: a bundle is written into a new (or empty) folder",
            out.display()
        );
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut opened = Vec::new();
    for p in parts {
        let format = out_format(Path::new(&p.file_name))?;
        opened.push((super::open_input(&p.paths, out, p.catalog).await?, format));
    }
    let mut scrubber = Scrubber::new(key);
    let (mut ids, mut names) = (Vec::new(), Vec::new());
    for (ds, _) in &opened {
        let (i, n) = known(ds).await?;
        ids.extend(i);
        names.extend(n);
    }
    scrubber.set_known(ids, names);
    let tmp = tempfile::Builder::new()
        .prefix(".focus-sql-scrub-")
        .tempdir_in(parent)
        .with_context(|| format!("{}: cannot create a folder", parent.display()))?;
    let mut rows = Vec::new();
    for ((ds, format), p) in opened.iter().zip(parts) {
        let file = tmp.path().join(&p.file_name);
        rows.push(write_scrubbed(ds, &scrubber, *format, tmp.path(), &file).await?);
    }
    let dir = tmp.keep();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    }
    if let Err(e) = std::fs::rename(&dir, out) {
        let _ = std::fs::remove_dir_all(&dir);
        bail!("{}: cannot write: {e}", out.display());
    }
    Ok(rows)
}

/// Write the scrubbed rows of `ds` to `out` atomically (a temporary file in `dir`, renamed).
async fn write_scrubbed(
    ds: &Dataset,
    scrubber: &Scrubber,
    format: OutFormat,
    dir: &Path,
    out: &Path,
) -> Result<u64> {
    let df = ds.ctx.sql(&format!("SELECT * FROM {SOURCE_TABLE}")).await?;
    let in_schema = df.schema().inner().clone();
    let fields: Vec<Field> = in_schema
        .fields()
        .iter()
        .map(|f| match treatment(f.name(), f.data_type()) {
            Treatment::Keep => f.as_ref().clone(),
            _ => Field::new(f.name(), DataType::Utf8, true),
        })
        .collect();
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("{}: cannot create a file", dir.display()))?;
    let mut stream = df.execute_stream().await?;
    let mut rows = 0u64;
    {
        let file = std::io::BufWriter::new(tmp.as_file().try_clone()?);
        enum Sink {
            Csv(datafusion::arrow::csv::Writer<Box<dyn Write>>),
            Parquet(datafusion::parquet::arrow::ArrowWriter<std::io::BufWriter<std::fs::File>>),
        }
        let mut sink = match format {
            OutFormat::Csv => Sink::Csv(
                datafusion::arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(Box::new(file) as Box<dyn Write>),
            ),
            OutFormat::CsvGz => {
                let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
                Sink::Csv(
                    datafusion::arrow::csv::WriterBuilder::new()
                        .with_header(true)
                        .build(Box::new(gz) as Box<dyn Write>),
                )
            }
            OutFormat::Parquet => {
                let props = datafusion::parquet::file::properties::WriterProperties::builder()
                    .set_compression(datafusion::parquet::basic::Compression::ZSTD(
                        Default::default(),
                    ))
                    .build();
                Sink::Parquet(datafusion::parquet::arrow::ArrowWriter::try_new(
                    file,
                    schema.clone(),
                    Some(props),
                )?)
            }
        };
        while let Some(batch) = stream.next().await {
            let batch = transform(scrubber, &batch?, &schema)?;
            rows += batch.num_rows() as u64;
            match &mut sink {
                Sink::Csv(w) => w.write(&batch)?,
                Sink::Parquet(w) => w.write(&batch)?,
            }
        }
        match sink {
            Sink::Csv(w) => {
                let mut inner = w.into_inner();
                inner.flush()?;
                // Dropping the boxed writer finishes the gzip stream.
                drop(inner);
            }
            Sink::Parquet(w) => {
                w.close()?;
            }
        }
    }
    crate::output::readable_by_all(tmp.as_file());
    tmp.as_file().sync_all().ok();
    tmp.persist(out)
        .map_err(|e| anyhow!("{}: cannot write: {}", out.display(), e.error))?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let h = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Keys longer than the block are hashed first (RFC 4231 test case 6).
        let h = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn tokens_embedded_ids_and_tags() {
        let mut s = Scrubber::new(b"a secret key");
        assert_eq!(s.token("ba-1001"), s.token("ba-1001"));
        assert_ne!(s.token("ba-1001"), s.token("ba-1002"));
        assert_ne!(
            Scrubber::new(b"another key!").token("ba-1001"),
            s.token("ba-1001")
        );
        s.set_known(
            [
                "123456789012".to_string(),
                "12".to_string(),
                "vm-web-01".to_string(),
            ],
            [
                "web-01".to_string(),
                "web-01-disk".to_string(),
                "prod".to_string(),
            ],
        );
        let t = s.token("123456789012");
        assert_eq!(
            s.embedded_ids("arn:aws:ec2:us-east-1:123456789012:instance/i-1"),
            format!("arn:aws:ec2:us-east-1:{t}:instance/i-1")
        );
        assert_eq!(
            s.embedded_ids("item 12"),
            "item 12",
            "ids shorter than 4 characters are left alone"
        );
        // Names are replaced in free text, not in identifiers; the longest name wins, and only
        // whole words count.
        assert_eq!(s.embedded_ids("sku-web-01"), "sku-web-01");
        assert_eq!(
            s.embedded_text(
                "SSD GB-Hours for web-01-disk, attached to web-01 (prod, not production)"
            ),
            format!(
                "SSD GB-Hours for {}, attached to {} ({}, not production)",
                s.token("web-01-disk"),
                s.token("web-01"),
                s.token("prod")
            )
        );
        assert_eq!(
            s.embedded_text("resource vm-web-01"),
            format!("resource {}", s.token("vm-web-01"))
        );
        assert_eq!(
            s.tags(r#"{"env":"prod","owner":"alice"}"#),
            r#"{"env":"","owner":""}"#
        );
        assert!(s.tags("not json").starts_with("anon-"));
    }
}
