//! Inputs: turning user paths (files, directories, globs) into one dataset of a known format,
//! checking what can be checked before the scan (existence, headers, gzip, UTF-8, duplicates),
//! and registering it with DataFusion as the raw source table.

use super::clean_error;
use super::sidecar::{self, Sidecar};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::file_format::csv::CsvFormat;
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

pub use crate::store::format::InputFormat;
pub use crate::store::say_once;

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
    /// Local paths, or full object URLs (`s3://bucket/key`) when `remote` is set.
    pub files: Vec<PathBuf>,
    /// Size of each file in bytes.
    pub sizes: Vec<u64>,
    /// The object store the files are in (None: the local file system).
    pub remote: Option<Arc<crate::store::Remote>>,
    /// The directory the files were found under, when one directory was given.
    pub root: Option<PathBuf>,
    pub format: InputFormat,
    /// Column names from the CSV header (None for self-describing formats).
    pub header: Option<Vec<String>>,
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn collect_dir(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<(PathBuf, Sidecar)>,
) -> Result<(), InputError> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| ierr(dir, format!("cannot read directory: {e}")))?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(".");
        if name.starts_with('.') || (p.is_dir() && crate::store::hidden(name)) {
            continue;
        }
        if p.is_dir() {
            collect_dir(&p, out, skipped)?;
        } else {
            match local_sidecar(&p, name)? {
                None => out.push(p),
                Some(kind) => skipped.push((p, kind)),
            }
        }
    }
    Ok(())
}

/// What a file found in a folder is: None for data, else the kind of file left out. A `.json`
/// file is read as far as needed to tell JSON lines from a JSON document.
fn local_sidecar(path: &Path, name: &str) -> Result<Option<Sidecar>, InputError> {
    if let Some(kind) = sidecar::by_name(name) {
        return Ok(Some(kind));
    }
    let json = name.to_ascii_lowercase().ends_with(".json");
    if json {
        let mut head = Vec::new();
        let file =
            std::fs::File::open(path).map_err(|e| ierr(path, format!("cannot open: {e}")))?;
        file.take(sidecar::JSON_PROBE as u64 + 1)
            .read_to_end(&mut head)
            .map_err(|e| ierr(path, format!("cannot read: {e}")))?;
        let whole = head.len() <= sidecar::JSON_PROBE;
        head.truncate(sidecar::JSON_PROBE);
        if !sidecar::json_kind(&head, whole).map_err(|why| ierr(path, why))? {
            return Ok(Some(Sidecar::JsonDocument));
        }
    }
    // Bookkeeping files (`_x`) are never data.
    Ok(crate::store::hidden(name).then_some(if json {
        Sidecar::JsonDocument
    } else {
        Sidecar::Other
    }))
}

/// Resolve user paths into files of one format, and check what can be checked up front.
///
/// A provider's delivery layout (AWS Data Exports, Azure cost export, OCI reports) is read as
/// delivered: the files its manifests list and the latest complete run of each billing period,
/// all periods together (`--billing-period` and `validate` pick periods before this). What the
/// layout leaves out is said on stderr.
pub async fn resolve(paths: &[String]) -> Result<Input, InputError> {
    if let [one] = paths {
        let found = crate::store::discover(one)
            .await
            .map_err(|e| ierr(Path::new(one), e))?;
        if let Some(deliveries) = found {
            let mut files = Vec::new();
            for d in deliveries {
                say_once(format!(
                    "focus-sql: {one}: {}, billing period {} ({} file(s))",
                    d.provider,
                    d.period,
                    d.files.len()
                ));
                for n in &d.notes {
                    say_once(format!("focus-sql: note: {n}"));
                }
                files.extend(d.files);
            }
            return Box::pin(resolve(&files)).await;
        }
    }
    if paths.iter().any(|p| crate::store::is_remote(p)) {
        return resolve_remote(paths).await;
    }
    resolve_local(paths)
}

/// The files of the dataset resolved last, for an error that can only say what was being read.
static BEING_READ: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn reading(files: &[PathBuf]) {
    let mut r = BEING_READ.lock().unwrap_or_else(|e| e.into_inner());
    *r = files.to_vec();
}

/// The files being read, for a message: the first three and how many more.
pub fn being_read() -> String {
    let r = BEING_READ.lock().unwrap_or_else(|e| e.into_inner());
    let mut names: Vec<String> = r.iter().take(3).map(|p| p.display().to_string()).collect();
    if r.len() > 3 {
        names.push(format!("and {} more file(s)", r.len() - 3));
    }
    names.join(", ")
}

/// The data files `paths` name on the local file system (directories walked, globs expanded),
/// or None when one of them is an object-store location.
pub fn local_files(paths: &[String]) -> Result<Option<Vec<PathBuf>>, InputError> {
    if paths.iter().any(|p| crate::store::is_remote(p)) {
        return Ok(None);
    }
    expand_local(paths).map(|(files, _)| Some(files))
}

fn resolve_local(paths: &[String]) -> Result<Input, InputError> {
    let (files, root) = expand_local(paths)?;
    resolve_files(files, root)
}

/// The files `paths` name, and the directory they were found under when one was given.
fn expand_local(paths: &[String]) -> Result<(Vec<PathBuf>, Option<PathBuf>), InputError> {
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
            let mut skipped = Vec::new();
            collect_dir(&path, &mut files, &mut skipped)?;
            let names: Vec<(String, Sidecar)> = skipped
                .into_iter()
                .map(|(f, k)| (f.strip_prefix(&path).unwrap_or(&f).display().to_string(), k))
                .collect();
            if let Some(line) = sidecar::note(p, &names) {
                say_once(line);
            }
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
    Ok((files, root))
}

fn resolve_files(files: Vec<PathBuf>, root: Option<PathBuf>) -> Result<Input, InputError> {
    reading(&files);
    let format = one_format(&files)?;
    let mut sizes = Vec::new();
    for f in &files {
        let file = std::fs::File::open(f).map_err(|e| ierr(f, format!("cannot open: {e}")))?;
        sizes.push(file.metadata().map(|m| m.len()).unwrap_or(0));
    }
    let header = if format.is_text() {
        let mut readers = Vec::new();
        for f in &files {
            readers.push((f.clone(), open_text(f, format)?));
        }
        Some(check_csv_headers(readers)?)
    } else {
        None
    };
    if format == InputFormat::Parquet {
        for (f, size) in files.iter().zip(&sizes) {
            let mut file =
                std::fs::File::open(f).map_err(|e| ierr(f, format!("cannot open: {e}")))?;
            let mut head = [0u8; 4];
            let mut tail = [0u8; 8];
            let read = |file: &mut std::fs::File, at: u64, buf: &mut [u8]| {
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(at)).is_ok() && file.read_exact(buf).is_ok()
            };
            let ok = *size >= 12
                && read(&mut file, 0, &mut head)
                && read(&mut file, size - 8, &mut tail);
            check_parquet_ends(f, *size, ok.then_some((head, tail)))?;
        }
    }
    Ok(Input {
        files,
        sizes,
        remote: None,
        root,
        format,
        header,
    })
}

/// The one format of a dataset's files.
fn one_format(files: &[PathBuf]) -> Result<InputFormat, InputError> {
    let mut format = None;
    for f in files {
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
    format
        .map(|f| f.0)
        .ok_or_else(|| ierr(Path::new("."), "no input given"))
}

/// A Parquet file starts and ends with `PAR1`; one cut short mid-object lacks the footer. The
/// four bytes before the closing `PAR1` give the footer's length, which must fit in the file:
/// checked here, before any reader slices the file by it (a length past the start of the file
/// made the Parquet reader panic).
fn check_parquet_ends(
    path: &Path,
    size: u64,
    head_tail: Option<([u8; 4], [u8; 8])>,
) -> Result<(), InputError> {
    if size == 0 {
        return Err(ierr(path, "empty file"));
    }
    let Some((head, tail)) = head_tail else {
        return Err(ierr(path, "not a Parquet file (missing PAR1 magic bytes)"));
    };
    if &head != b"PAR1" {
        return Err(ierr(path, "not a Parquet file (missing PAR1 magic bytes)"));
    }
    if &tail[4..] != b"PAR1" {
        return Err(ierr(
            path,
            "truncated Parquet file: the footer is missing (was it cut short while copying?)",
        ));
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    // PAR1, the data, the footer, its 4-byte length and the closing PAR1.
    if footer == 0 || footer + 12 > size {
        return Err(ierr(
            path,
            format!(
                "corrupt Parquet file: its footer claims {footer} bytes but the file has {size}"
            ),
        ));
    }
    Ok(())
}

/// Bytes read from the start of a remote text file to check its header.
const HEADER_PROBE: u64 = 1 << 20;

/// Resolve object-store locations: objects, prefixes and globs in one store.
async fn resolve_remote(paths: &[String]) -> Result<Input, InputError> {
    let mut remote: Option<Arc<crate::store::Remote>> = None;
    let mut files: Vec<(PathBuf, object_store::path::Path, u64)> = Vec::new();
    let mut root = None;
    for p in paths {
        let here = Path::new(p);
        if !crate::store::is_remote(p) {
            return Err(ierr(
                here,
                "one dataset cannot mix local files and object-store locations",
            ));
        }
        let loc = crate::store::parse(p).map_err(|e| ierr(here, e))?;
        match &remote {
            Some(r) if r.root != loc.remote.root => {
                return Err(ierr(
                    here,
                    format!(
                    "is in another store than {}: one dataset is read from one bucket or container",
                    r.root
                ),
                ))
            }
            _ => remote = Some(loc.remote.clone()),
        }
        let r = &loc.remote;
        let object = if loc.is_prefix || loc.glob.is_some() {
            None
        } else {
            match r.head(&loc.path).await.map_err(|e| ierr(here, e))? {
                Some(meta) => Some(meta),
                None if !r.scheme.can_list() => return Err(ierr(here, "no such file")),
                None => None,
            }
        };
        if let Some(meta) = object {
            files.push((
                PathBuf::from(r.url_of(&meta.location)),
                meta.location,
                meta.size,
            ));
            continue;
        }
        if !r.scheme.can_list() {
            return Err(ierr(here, "an HTTP location must name one file"));
        }
        let listed = r.list(&loc.path).await.map_err(|e| ierr(here, e))?;
        let base = loc.path.as_ref().to_string();
        let mut found = 0;
        let mut skipped = Vec::new();
        for meta in listed {
            let key = meta.location.as_ref();
            let rel = key
                .strip_prefix(&base)
                .unwrap_or(key)
                .trim_start_matches('/');
            let matches = loc.glob.as_ref().is_none_or(|g| g.matches(key));
            if !matches || rel.split('/').any(|s| s.starts_with('.')) {
                continue;
            }
            if let Some(kind) = remote_sidecar(r, &meta, rel).await? {
                skipped.push((rel.to_string(), kind));
                continue;
            }
            found += 1;
            files.push((
                PathBuf::from(r.url_of(&meta.location)),
                meta.location.clone(),
                meta.size,
            ));
        }
        if let Some(line) = sidecar::note(p, &skipped) {
            say_once(line);
        }
        if found == 0 {
            let what = if loc.glob.is_some() {
                "no objects match this pattern".to_string()
            } else {
                "no .csv, .csv.gz, .parquet or .ndjson objects under this prefix (or no such bucket or prefix)".to_string()
            };
            return Err(ierr(here, what));
        }
        if paths.len() == 1 && loc.glob.is_none() {
            root = Some(PathBuf::from(format!(
                "{}/",
                r.url_of(&loc.path).trim_end_matches('/')
            )));
        }
    }
    let remote = remote.ok_or_else(|| ierr(Path::new("."), "no input given"))?;
    let names: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
    reading(&names);
    let format = one_format(&names)?;
    let header = if format.is_text() {
        let mut readers: Vec<(PathBuf, Box<dyn BufRead>)> = Vec::new();
        for (url, path, size) in &files {
            let end = (*size).min(HEADER_PROBE);
            let bytes = remote
                .read_range(path, 0..end)
                .await
                .map_err(|e| ierr(url, e))?;
            let whole = end == *size;
            readers.push((url.clone(), probe_reader(bytes, format, whole)));
        }
        Some(check_csv_headers(readers)?)
    } else {
        None
    };
    if format == InputFormat::Parquet {
        for (url, path, size) in &files {
            let ends = if *size >= 12 {
                let head = remote
                    .read_range(path, 0..4)
                    .await
                    .map_err(|e| ierr(url, e))?;
                let tail = remote
                    .read_range(path, size - 8..*size)
                    .await
                    .map_err(|e| ierr(url, e))?;
                Some((
                    head.try_into().unwrap_or([0; 4]),
                    tail.try_into().unwrap_or([0; 8]),
                ))
            } else {
                None
            };
            check_parquet_ends(url, *size, ends)?;
        }
    }
    Ok(Input {
        sizes: files.iter().map(|f| f.2).collect(),
        files: names,
        remote: Some(remote),
        root,
        format,
        header,
    })
}

/// What an object listed under a prefix is, as [`local_sidecar`] judges a file: None for data.
async fn remote_sidecar(
    r: &crate::store::Remote,
    meta: &object_store::ObjectMeta,
    rel: &str,
) -> Result<Option<Sidecar>, InputError> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if let Some(kind) = sidecar::by_name(name) {
        return Ok(Some(kind));
    }
    let json = name.to_ascii_lowercase().ends_with(".json");
    if json {
        let url = PathBuf::from(r.url_of(&meta.location));
        let end = meta.size.min(sidecar::JSON_PROBE as u64);
        let head = r
            .read_range(&meta.location, 0..end)
            .await
            .map_err(|e| ierr(&url, e))?;
        if !sidecar::json_kind(&head, end == meta.size).map_err(|why| ierr(&url, why))? {
            return Ok(Some(Sidecar::JsonDocument));
        }
    }
    Ok(rel
        .split('/')
        .any(|s| s.starts_with('_'))
        .then_some(if json {
            Sidecar::JsonDocument
        } else {
            Sidecar::Other
        }))
}

/// A reader over the first bytes of a remote text file. When they are only the start of the
/// object, running out of (compressed) input ends the text instead of being an error.
fn probe_reader(bytes: Vec<u8>, format: InputFormat, whole: bool) -> Box<dyn BufRead> {
    let cursor = std::io::Cursor::new(bytes);
    match (format, whole) {
        (InputFormat::CsvGz, true) => {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(cursor)))
        }
        (InputFormat::CsvGz, false) => Box::new(BufReader::new(Prefix(
            flate2::read::MultiGzDecoder::new(cursor),
        ))),
        _ => Box::new(cursor),
    }
}

/// A decoder over a prefix of a stream: its end is the end of the text.
struct Prefix<R>(R);

impl<R: Read> Read for Prefix<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
            other => other,
        }
    }
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

fn read_error(path: &Path, e: std::io::Error) -> InputError {
    let msg = e.to_string();
    if msg.contains("invalid gzip header")
        || msg.contains("corrupt deflate")
        || msg.contains("unexpected end")
    {
        ierr(path, format!("unreadable gzip data: {msg}"))
    } else {
        ierr(path, format!("cannot read: {msg}"))
    }
}

/// The header line, read no further than the line limit.
fn read_header_bytes(reader: &mut dyn BufRead, path: &Path) -> Result<Option<Vec<u8>>, InputError> {
    let limit = super::bounded::max_line();
    let mut buf = Vec::new();
    let n = reader
        .take(limit + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|e| read_error(path, e))?;
    if n as u64 > limit && buf.last() != Some(&b'\n') {
        return Err(ierr(
            path,
            format!(
                "line 1: the header is longer than {}; refused before reading all of it \
                 (--max-line-size raises the limit)",
                super::bounded::size_text(limit)
            ),
        ));
    }
    Ok(if n == 0 { None } else { Some(buf) })
}

/// Whether anything but white space follows the header: read a buffer at a time, never a
/// whole line (a data line may be longer than memory allows).
fn has_data(reader: &mut dyn BufRead, path: &Path) -> Result<bool, InputError> {
    loop {
        let buf = reader.fill_buf().map_err(|e| read_error(path, e))?;
        if buf.is_empty() {
            return Ok(false);
        }
        if buf.iter().any(|c| !c.is_ascii_whitespace()) {
            return Ok(true);
        }
        let n = buf.len();
        reader.consume(n);
    }
}

/// Read and compare the header of every CSV file; reject empty files, duplicate names and
/// header-only datasets.
fn check_csv_headers(files: Vec<(PathBuf, Box<dyn BufRead>)>) -> Result<Vec<String>, InputError> {
    let mut header: Option<(Vec<String>, PathBuf)> = None;
    let mut any_rows = false;
    let paths: Vec<PathBuf> = files.iter().map(|f| f.0.clone()).collect();
    for (f, mut reader) in files {
        let f = &f;
        let Some(bytes) = read_header_bytes(&mut *reader, f)? else {
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
        if has_data(&mut *reader, f)? {
            any_rows = true;
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
        let p = if paths.len() == 1 {
            paths[0].clone()
        } else {
            PathBuf::from(paths[0].parent().unwrap_or(Path::new(".")))
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
    input.sizes.iter().sum()
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
    // Text is read through the bounded-lines store (which also inflates gzipped CSV).
    let limit = super::bounded::max_line();
    if let Some(remote) = &input.remote {
        let bounded =
            super::bounded::BoundedLines::new(remote.store.clone(), limit, remote.root.as_str());
        ctx.register_object_store(&remote.root, Arc::new(bounded));
    } else {
        let local = Arc::new(object_store::local::LocalFileSystem::new());
        let bounded = super::bounded::BoundedLines::new(local, limit, "/");
        let url = url::Url::parse("file://").expect("a constant URL");
        ctx.register_object_store(&url, Arc::new(bounded));
    }
    let absolute = |f: &PathBuf| -> String {
        if input.remote.is_some() {
            f.to_string_lossy().into_owned()
        } else {
            std::fs::canonicalize(f)
                .unwrap_or_else(|_| f.clone())
                .to_string_lossy()
                .into_owned()
        }
    };
    let urls = input
        .files
        .iter()
        .map(|f| ListingTableUrl::parse(absolute(f)).map_err(|e| ierr(f, e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let (format, ext): (Arc<dyn FileFormat>, &str) = match input.format {
        InputFormat::Csv => (Arc::new(CsvFormat::default().with_has_header(true)), ""),
        // Inflated by the bounded-lines store; never split into byte ranges (the offsets are
        // of the compressed object).
        InputFormat::CsvGz => (
            Arc::new(
                CsvFormat::default()
                    .with_has_header(true)
                    .with_newlines_in_values(true),
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
            let abs = absolute(root);
            let url = format!("{}/", abs.trim_end_matches('/'));
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
