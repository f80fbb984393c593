//! Inputs: turning user paths (files, directories, globs) into one dataset of a known format,
//! checking what can be checked before the scan (existence, headers, gzip, UTF-8, duplicates),
//! and registering it with DataFusion as the raw source table.

use super::clean_error;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::SessionContext;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum InputFormat {
    #[serde(rename = "csv")]
    Csv,
    #[serde(rename = "csv.gz")]
    CsvGz,
    #[serde(rename = "parquet")]
    Parquet,
    #[serde(rename = "ndjson")]
    NdJson,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl InputFormat {
    pub fn of(path: &Path) -> Option<InputFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".csv.gz") || name.ends_with(".csv.gzip") {
            Some(InputFormat::CsvGz)
        } else if name.ends_with(".csv") {
            Some(InputFormat::Csv)
        } else if name.ends_with(".parquet") || name.ends_with(".parq") {
            Some(InputFormat::Parquet)
        } else if name.ends_with(".ndjson") || name.ends_with(".jsonl") || name.ends_with(".json") {
            Some(InputFormat::NdJson)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::CsvGz => "csv.gz",
            InputFormat::Parquet => "parquet",
            InputFormat::NdJson => "ndjson",
        }
    }

    /// Text formats: every value is read as written (VARCHAR).
    /// The file name ending of this format, for listing a directory.
    pub fn extension(self) -> &'static str {
        match self {
            InputFormat::Csv => ".csv",
            InputFormat::CsvGz => ".csv.gz",
            InputFormat::Parquet => ".parquet",
            InputFormat::NdJson => ".ndjson",
        }
    }

    pub fn is_text(self) -> bool {
        matches!(self, InputFormat::Csv | InputFormat::CsvGz)
    }
}

/// An input problem: which path, and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for InputError {}

fn ierr(path: &Path, message: impl Into<String>) -> InputError {
    InputError {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// A set of files forming one dataset.
#[derive(Debug, Clone)]
pub struct Input {
    pub files: Vec<PathBuf>,
    /// The directory the files were found under, when one directory was given.
    pub root: Option<PathBuf>,
    pub format: InputFormat,
    /// Column names from the CSV header (None for self-describing formats).
    pub header: Option<Vec<String>>,
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| ierr(dir, format!("cannot read directory: {e}")))?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') || n.starts_with('_'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            collect_dir(&p, out)?;
        } else if InputFormat::of(&p).is_some() {
            out.push(p);
        }
    }
    Ok(())
}

/// Resolve user paths into files of one format, and check what can be checked up front.
pub fn resolve(paths: &[String]) -> Result<Input, InputError> {
    let mut files = Vec::new();
    let mut root = None;
    for p in paths {
        if is_glob(p) {
            let matches =
                glob::glob(p).map_err(|e| ierr(Path::new(p), format!("bad glob pattern: {e}")))?;
            let mut found: Vec<PathBuf> = matches
                .filter_map(|m| m.ok())
                .filter(|m| m.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(ierr(Path::new(p), "no files match this pattern"));
            }
            files.extend(found);
            continue;
        }
        let path = PathBuf::from(p);
        let meta = std::fs::metadata(&path).map_err(|e| {
            ierr(
                &path,
                if e.kind() == std::io::ErrorKind::NotFound {
                    "no such file or directory".to_string()
                } else {
                    e.to_string()
                },
            )
        })?;
        if meta.is_dir() {
            let before = files.len();
            collect_dir(&path, &mut files)?;
            if paths.len() == 1 {
                root = Some(path.clone());
            }
            if files.len() == before {
                return Err(ierr(
                    &path,
                    "directory holds no .csv, .csv.gz, .parquet or .ndjson files",
                ));
            }
        } else {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ierr(Path::new("."), "no input given"));
    }
    let mut format = None;
    for f in &files {
        let this = InputFormat::of(f).ok_or_else(|| {
            ierr(
                f,
                "unknown format: expected .csv, .csv.gz, .parquet, .ndjson or .jsonl",
            )
        })?;
        match format {
            None => format = Some((this, f.clone())),
            Some((fmt, ref first)) if fmt != this => {
                return Err(ierr(
                    f,
                    format!(
                        "is {} but {} is {}: one dataset must use one format",
                        this.as_str(),
                        first.display(),
                        fmt.as_str()
                    ),
                ))
            }
            _ => {}
        }
    }
    let format = format.unwrap().0;
    for f in &files {
        std::fs::File::open(f).map_err(|e| ierr(f, format!("cannot open: {e}")))?;
    }
    let header = if format.is_text() {
        Some(check_csv_headers(&files, format)?)
    } else {
        None
    };
    if format == InputFormat::Parquet {
        for f in &files {
            check_parquet_magic(f)?;
        }
    }
    Ok(Input {
        files,
        root,
        format,
        header,
    })
}

fn check_parquet_magic(path: &Path) -> Result<(), InputError> {
    let mut file =
        std::fs::File::open(path).map_err(|e| ierr(path, format!("cannot open: {e}")))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Err(ierr(path, "empty file"));
    }
    let mut magic = [0u8; 4];
    if len < 12 || file.read_exact(&mut magic).is_err() || &magic != b"PAR1" {
        return Err(ierr(path, "not a Parquet file (missing PAR1 magic bytes)"));
    }
    Ok(())
}

fn open_text(path: &Path, format: InputFormat) -> Result<Box<dyn BufRead>, InputError> {
    let file = std::fs::File::open(path).map_err(|e| ierr(path, format!("cannot open: {e}")))?;
    Ok(match format {
        InputFormat::CsvGz => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file))),
        _ => Box::new(BufReader::new(file)),
    })
}

/// Split one CSV line into fields (RFC 4180 quoting; a header has no embedded newlines).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
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
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

fn read_line_bytes(reader: &mut dyn BufRead, path: &Path) -> Result<Option<Vec<u8>>, InputError> {
    let mut buf = Vec::new();
    let n = reader.read_until(b'\n', &mut buf).map_err(|e| {
        let msg = e.to_string();
        if msg.contains("invalid gzip header")
            || msg.contains("corrupt deflate")
            || msg.contains("unexpected end")
        {
            ierr(path, format!("unreadable gzip data: {msg}"))
        } else {
            ierr(path, format!("cannot read: {msg}"))
        }
    })?;
    Ok(if n == 0 { None } else { Some(buf) })
}

/// Read and compare the header of every CSV file; reject empty files, duplicate names and
/// header-only datasets.
fn check_csv_headers(files: &[PathBuf], format: InputFormat) -> Result<Vec<String>, InputError> {
    let mut header: Option<(Vec<String>, PathBuf)> = None;
    let mut any_rows = false;
    for f in files {
        let mut reader = open_text(f, format)?;
        let Some(bytes) = read_line_bytes(&mut *reader, f)? else {
            return Err(ierr(f, "empty file: expected a CSV header line"));
        };
        let line = String::from_utf8(bytes).map_err(|_| ierr(f, "header is not valid UTF-8"))?;
        let line = line
            .trim_start_matches('\u{feff}')
            .trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return Err(ierr(f, "empty header line"));
        }
        let names = split_csv_line(line);
        let mut seen = std::collections::HashSet::new();
        for (i, n) in names.iter().enumerate() {
            if n.trim().is_empty() {
                return Err(ierr(f, format!("header column {} has no name", i + 1)));
            }
            if !seen.insert(n.as_str()) {
                return Err(ierr(f, format!("duplicate column name `{n}` in header")));
            }
        }
        // Does the file hold at least one data line?
        loop {
            match read_line_bytes(&mut *reader, f)? {
                None => break,
                Some(b) if b.iter().all(|c| c.is_ascii_whitespace()) => continue,
                Some(_) => {
                    any_rows = true;
                    break;
                }
            }
        }
        match &header {
            None => header = Some((names, f.clone())),
            Some((first, first_path)) if *first != names => {
                return Err(ierr(
                    f,
                    format!(
                        "header differs from {}: all files of one dataset need the same columns",
                        first_path.display()
                    ),
                ))
            }
            _ => {}
        }
    }
    if !any_rows {
        let p = if files.len() == 1 {
            files[0].clone()
        } else {
            PathBuf::from(files[0].parent().unwrap_or(Path::new(".")))
        };
        return Err(ierr(
            &p,
            "has a header but no data rows: nothing to validate",
        ));
    }
    Ok(header.unwrap().0)
}

/// Total size of the input files in bytes.
pub fn total_bytes(input: &Input) -> u64 {
    input
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum()
}

/// The hive-style partition keys (`key=value` folders) under the input's directory, when every
/// file sits under the same keys in the same order.
pub fn partition_keys(input: &Input) -> Vec<String> {
    let Some(root) = &input.root else {
        return Vec::new();
    };
    let keys_of = |f: &PathBuf| -> Option<Vec<String>> {
        let rel = f.strip_prefix(root).ok()?.parent()?;
        rel.components()
            .map(|c| {
                c.as_os_str()
                    .to_str()
                    .and_then(|s| s.split_once('='))
                    .map(|(k, _)| k.to_string())
            })
            .collect()
    };
    let Some(first) = input.files.first().and_then(keys_of) else {
        return Vec::new();
    };
    if first.is_empty()
        || input
            .files
            .iter()
            .any(|f| keys_of(f).as_ref() != Some(&first))
    {
        return Vec::new();
    }
    first
}

/// Register the input as table `name` and return its schema. With `hive`, the values of
/// `key=value` folders become (text) columns named after their keys.
pub async fn register(
    ctx: &SessionContext,
    name: &str,
    input: &Input,
    hive: bool,
) -> Result<SchemaRef, InputError> {
    let first = &input.files[0];
    let urls = input
        .files
        .iter()
        .map(|f| {
            let abs = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
            ListingTableUrl::parse(abs.to_string_lossy()).map_err(|e| ierr(f, e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (format, ext): (Arc<dyn FileFormat>, &str) = match input.format {
        InputFormat::Csv => (Arc::new(CsvFormat::default().with_has_header(true)), ""),
        InputFormat::CsvGz => (
            Arc::new(
                CsvFormat::default()
                    .with_has_header(true)
                    .with_file_compression_type(FileCompressionType::GZIP),
            ),
            "",
        ),
        InputFormat::Parquet => (Arc::new(ParquetFormat::default()), ""),
        InputFormat::NdJson => (Arc::new(JsonFormat::default()), ""),
    };
    let keys = if hive {
        partition_keys(input)
    } else {
        Vec::new()
    };
    let mut options = ListingOptions::new(format).with_file_extension(ext);
    let urls = match (&input.root, keys.is_empty()) {
        (Some(root), false) => {
            options = options
                .with_file_extension(input.format.extension())
                .with_table_partition_cols(
                    keys.iter().map(|k| (k.clone(), DataType::Utf8)).collect(),
                );
            let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
            let url = format!("{}/", abs.to_string_lossy().trim_end_matches('/'));
            vec![ListingTableUrl::parse(url).map_err(|e| ierr(root, e.to_string()))?]
        }
        _ => urls,
    };
    let mut config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options);
    if let Some(header) = &input.header {
        let fields: Vec<Field> = header
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect();
        config = config.with_schema(Arc::new(Schema::new(fields)));
    } else {
        config = config
            .infer_schema(&ctx.state())
            .await
            .map_err(|e| ierr(first, clean_error(&e.to_string())))?;
    }
    let table =
        ListingTable::try_new(config).map_err(|e| ierr(first, clean_error(&e.to_string())))?;
    let schema = datafusion::datasource::TableProvider::schema(&table);
    if input.header.is_none() {
        let mut seen = std::collections::HashSet::new();
        for f in schema.fields() {
            if !seen.insert(f.name().as_str()) {
                return Err(ierr(first, format!("duplicate column name `{}`", f.name())));
            }
        }
        if schema.fields().is_empty() {
            return Err(ierr(first, "no columns found"));
        }
    }
    ctx.register_table(
        datafusion::common::TableReference::bare(name),
        Arc::new(table),
    )
    .map_err(|e| ierr(first, e.to_string()))?;
    Ok(schema)
}

/// The column names of an input, read from its header or schema without scanning the data.
pub async fn column_names(input: &Input) -> Result<Vec<String>, InputError> {
    let ctx = SessionContext::new();
    let schema = register(&ctx, "focus_peek", input, false).await?;
    Ok(schema.fields().iter().map(|f| f.name().clone()).collect())
}
