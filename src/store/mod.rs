//! Exports where they live: object-store locations (`s3://`, `gs://`, `az://`, `abfss://`,
//! `https://`), each store built from its cloud's usual environment, and the listing and small
//! reads that input checks and delivery layouts need. Scans themselves go through DataFusion,
//! which streams from the same store.

mod cache;
mod credentials;
pub mod format;
pub mod layout;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use url::Url;

/// The kind of store a location is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    S3,
    Gcs,
    Azure,
    Http,
}

impl Scheme {
    fn of(scheme: &str) -> Option<Scheme> {
        Some(match scheme {
            "s3" | "s3a" => Scheme::S3,
            "gs" | "gcs" => Scheme::Gcs,
            "az" | "abfs" | "abfss" | "azure" | "adl" => Scheme::Azure,
            "http" | "https" => Scheme::Http,
            _ => return None,
        })
    }

    /// Whether the store can list a prefix (plain HTTP servers cannot).
    pub fn can_list(self) -> bool {
        self != Scheme::Http
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::S3 => "S3",
            Scheme::Gcs => "Google Cloud Storage",
            Scheme::Azure => "Azure Blob Storage",
            Scheme::Http => "HTTP",
        })
    }
}

/// One bucket or container (or HTTP origin), with the store that reads it.
pub struct Remote {
    pub scheme: Scheme,
    /// `scheme://bucket`: what DataFusion registers the store under, and the start of every
    /// object URL in it.
    pub root: Url,
    pub store: Arc<dyn ObjectStore>,
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Remote({})", self.root)
    }
}

impl Remote {
    /// The full URL of an object in this store.
    pub fn url_of(&self, path: &ObjectPath) -> String {
        format!("{}/{}", self.root.as_str().trim_end_matches('/'), path)
    }

    /// The object path of a full URL in this store.
    pub fn path_of(&self, url: &str) -> Option<ObjectPath> {
        let rest = url.strip_prefix(self.root.as_str().trim_end_matches('/'))?;
        let rest = rest.trim_start_matches('/');
        ObjectPath::parse(percent_decode(rest)).ok()
    }

    /// Every object under `prefix` (all depths), sorted by path.
    pub async fn list(&self, prefix: &ObjectPath) -> Result<Vec<ObjectMeta>, String> {
        let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
        let mut all: Vec<ObjectMeta> = self
            .store
            .list(prefix)
            .try_collect()
            .await
            .map_err(|e| describe(&e))?;
        all.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(all)
    }

    /// The object at `path` (None: there is none).
    pub async fn head(&self, path: &ObjectPath) -> Result<Option<ObjectMeta>, String> {
        match self.store.head(path).await {
            Ok(m) => Ok(Some(m)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }

    /// Bytes `start..end` of an object (clamped to its size by the caller).
    pub async fn read_range(
        &self,
        path: &ObjectPath,
        range: std::ops::Range<u64>,
    ) -> Result<Vec<u8>, String> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        self.store
            .get_range(path, range)
            .await
            .map(|b| b.to_vec())
            .map_err(|e| describe(&e))
    }

    /// A whole (small) object, such as a manifest.
    pub async fn read_all(&self, path: &ObjectPath) -> Result<Vec<u8>, String> {
        let got = self.store.get(path).await.map_err(|e| describe(&e))?;
        got.bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| describe(&e))
    }
}

/// A location as the user wrote it, in a store.
#[derive(Debug, Clone)]
pub struct Location {
    pub remote: Arc<Remote>,
    /// The object or prefix (no leading or trailing slash).
    pub path: ObjectPath,
    /// Whether the user ended it with `/` (a prefix, never an object).
    pub is_prefix: bool,
    /// The glob pattern over whole object paths, when the location has one.
    pub glob: Option<glob::Pattern>,
    /// As given.
    pub text: String,
}

/// Whether `s` names an object-store location rather than a local path.
pub fn is_remote(s: &str) -> bool {
    s.split_once("://")
        .is_some_and(|(scheme, _)| Scheme::of(&scheme.to_ascii_lowercase()).is_some())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn stores() -> &'static Mutex<HashMap<String, Arc<Remote>>> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<Remote>>>> = OnceLock::new();
    STORES.get_or_init(Default::default)
}

/// Parse a location and build (or reuse) the store it is in.
pub fn parse(text: &str) -> Result<Location, String> {
    let (scheme_text, rest) = text
        .split_once("://")
        .ok_or_else(|| "not a URL".to_string())?;
    let scheme_text = scheme_text.to_ascii_lowercase();
    let scheme = Scheme::of(&scheme_text)
        .ok_or_else(|| format!("unknown scheme `{scheme_text}://` (s3, gs, az, abfss or https)"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return Err("no bucket or container named in the URL".into());
    }
    let root_text = format!("{scheme_text}://{authority}");
    let root = Url::parse(&root_text).map_err(|e| format!("not a valid URL: {e}"))?;
    let key = format!("{scheme_text}://{authority}");
    let remote = {
        let mut cache = stores().lock().unwrap_or_else(|e| e.into_inner());
        match cache.get(&key) {
            Some(r) => r.clone(),
            None => {
                let store: Arc<dyn ObjectStore> =
                    Arc::new(cache::RunCache::new(credentials::build(scheme, &root)?));
                let r = Arc::new(Remote {
                    scheme,
                    root,
                    store,
                });
                cache.insert(key, r.clone());
                r
            }
        }
    };
    let is_prefix = path.is_empty() || path.ends_with('/');
    let decoded = percent_decode(path.trim_matches('/'));
    let glob = if decoded.contains(['*', '?', '[']) {
        Some(glob::Pattern::new(&decoded).map_err(|e| format!("bad glob pattern: {e}"))?)
    } else {
        None
    };
    let path = ObjectPath::parse(glob_prefix(&decoded, glob.is_some()))
        .map_err(|e| format!("not a valid object path: {e}"))?;
    Ok(Location {
        remote,
        path,
        is_prefix,
        glob,
        text: text.to_string(),
    })
}

/// The part of a path before its first glob character, cut back to a whole folder.
fn glob_prefix(path: &str, is_glob: bool) -> String {
    if !is_glob {
        return path.to_string();
    }
    let first = path.find(['*', '?', '[']).unwrap_or(path.len());
    match path[..first].rfind('/') {
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

/// One line about an object-store failure: the cause the server gave, without retry noise.
pub fn describe(e: &object_store::Error) -> String {
    // The whole cause chain: a refused connection is only named deep inside it.
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    let text = chain.split_whitespace().collect::<Vec<_>>().join(" ");
    let tag = |name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].trim().to_string())
    };
    let status = text
        .split_once("status code: ")
        .and_then(|(_, rest)| rest.split(':').next())
        .map(|s| s.trim().to_string());
    let server = |what: String| match &status {
        Some(st) => format!("{what} (HTTP {st})"),
        None => what,
    };
    if let (Some(code), Some(message)) = (tag("Code"), tag("Message")) {
        return server(format!("{message} ({code})"));
    }
    if let Some(code) = tag("Code") {
        return server(code);
    }
    if let Some(rest) = text.split_once("\"message\":\"").map(|(_, r)| r) {
        if let Some(message) = rest.split('"').next() {
            return server(message.to_string());
        }
    }
    let lower = text.to_ascii_lowercase();
    if lower.contains("connection refused") || lower.contains("tcp connect error") {
        return "cannot reach the server (connection refused): is it running, and is the endpoint right?".into();
    }
    if lower.contains("timed out") || lower.contains("operation timed") {
        return "the server did not answer in time".into();
    }
    match e {
        object_store::Error::NotFound { .. } => server("no such object or bucket".into()),
        _ if status.is_some() => server(short(&text)),
        _ => short(&text),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 300 {
        let cut: String = s.chars().take(300).collect();
        format!("{cut}…")
    } else {
        s.to_string()
    }
}

/// The deliveries at `text` when it is a provider's delivery layout (a local folder or an
/// object-store prefix), each file as a full path or URL; None when it is not one.
pub async fn discover(text: &str) -> Result<Option<Vec<layout::Delivery>>, String> {
    discover_at(text).await.map_err(|e| {
        if e.starts_with(text) {
            e
        } else {
            format!("{text}: {e}")
        }
    })
}

async fn discover_at(text: &str) -> Result<Option<Vec<layout::Delivery>>, String> {
    let Some((entries, manifests, absolute)) = listing(text).await? else {
        return Ok(None);
    };
    let found = layout::deliveries(&entries, &manifests).map_err(|e| e.to_string())?;
    Ok(found.map(|ds| {
        ds.into_iter()
            .map(|mut d| {
                d.files = d.files.iter().map(|f| absolute(f)).collect();
                d
            })
            .collect()
    }))
}

/// The files of a bundle folder whose manifest names each file's dataset (see
/// [`layout::bundle_manifest`]), as full paths or URLs with the dataset named there; None when
/// `text` is no folder or prefix with such a manifest. What the manifest leaves out is said on
/// stderr; a file it lists that is not there is an error.
pub async fn bundle_files(text: &str) -> Result<Option<Vec<(String, String)>>, String> {
    let Some((entries, manifests, absolute)) = listing(text).await? else {
        return Ok(None);
    };
    let found =
        layout::bundle_manifest(&entries, &manifests).map_err(|e| format!("{text}: {e}"))?;
    Ok(found.map(|b| {
        say_once(format!(
            "focus-sql: {text}: the datasets of {} file(s) as {} names them",
            b.files.len(),
            b.manifest
        ));
        for n in &b.notes {
            say_once(format!("focus-sql: note: {n}"));
        }
        b.files
            .into_iter()
            .map(|(f, d)| (absolute(&f), d))
            .collect()
    }))
}

/// A folder's or prefix's objects (relative paths), the manifests among them read, and how to
/// make a relative path whole; None when `text` is one object, a glob or no folder.
type Listing = (
    Vec<layout::Entry>,
    HashMap<String, Vec<u8>>,
    Box<dyn Fn(&str) -> String + Send + Sync>,
);

async fn listing(text: &str) -> Result<Option<Listing>, String> {
    let (entries, manifests, absolute): (
        Vec<layout::Entry>,
        _,
        Box<dyn Fn(&str) -> String + Send + Sync>,
    ) = if is_remote(text) {
        let loc = parse(text)?;
        if loc.glob.is_some() || !loc.remote.scheme.can_list() {
            return Ok(None);
        }
        if !loc.is_prefix && loc.remote.head(&loc.path).await?.is_some() {
            return Ok(None); // one object
        }
        let base = loc.path.as_ref().to_string();
        let strip = |p: &str| -> String {
            if base.is_empty() {
                p.to_string()
            } else {
                p.strip_prefix(&base)
                    .map(|r| r.trim_start_matches('/').to_string())
                    .unwrap_or_else(|| p.to_string())
            }
        };
        let listed = loc.remote.list(&loc.path).await?;
        let entries: Vec<layout::Entry> = listed
            .iter()
            .map(|m| layout::Entry {
                path: strip(m.location.as_ref()),
                size: m.size,
            })
            .filter(|e| !hidden(&e.path))
            .collect();
        let mut manifests = HashMap::new();
        for rel in layout::manifests_to_read(&entries) {
            let full = join(&base, &rel);
            let bytes = loc
                .remote
                .read_all(&ObjectPath::from(full.as_str()))
                .await
                .map_err(|e| {
                    format!(
                        "{}: {e}",
                        loc.remote.url_of(&ObjectPath::from(full.as_str()))
                    )
                })?;
            manifests.insert(rel, bytes);
        }
        let remote = loc.remote.clone();
        let abs = move |rel: &str| remote.url_of(&ObjectPath::from(join(&base, rel).as_str()));
        (entries, manifests, Box::new(abs))
    } else {
        let root = std::path::PathBuf::from(text);
        if !root.is_dir() {
            return Ok(None);
        }
        let mut entries = Vec::new();
        walk(&root, "", &mut entries);
        let mut manifests = HashMap::new();
        for rel in layout::manifests_to_read(&entries) {
            let bytes = std::fs::read(root.join(&rel))
                .map_err(|e| format!("{}: {e}", root.join(&rel).display()))?;
            manifests.insert(rel, bytes);
        }
        let abs = move |rel: &str| root.join(rel).display().to_string();
        (entries, manifests, Box::new(abs))
    };
    Ok(Some((entries, manifests, absolute)))
}

/// One dataset to validate: a billing period of a delivery layout, or the paths as given.
#[derive(Debug, Clone)]
pub struct Part {
    /// `YYYY-MM` and the provider, when the paths are a delivery layout.
    pub period: Option<(String, layout::Provider)>,
    pub paths: Vec<String>,
}

/// Split `paths` into the datasets to validate: each billing period of a delivery layout on its
/// own (only `period` when given), else the paths as one dataset. What a layout leaves out is
/// said on stderr.
pub async fn by_period(paths: &[String], period: Option<&str>) -> Result<Vec<Part>, String> {
    let found = match paths {
        [one] => discover(one).await?,
        _ => None,
    };
    let Some(deliveries) = found else {
        if let Some(p) = period {
            return Err(format!(
                "--billing-period {p}: {} is not a provider delivery layout (AWS Data Exports, \
                 Azure cost export or OCI FOCUS reports)",
                paths.join(" ")
            ));
        }
        return Ok(vec![Part {
            period: None,
            paths: paths.to_vec(),
        }]);
    };
    let chosen = layout::select(deliveries, period).map_err(|e| format!("{}: {e}", paths[0]))?;
    if chosen.is_empty() {
        return Err(format!(
            "{}: a delivery layout with no billing period",
            paths[0]
        ));
    }
    Ok(chosen
        .into_iter()
        .map(|d| {
            say_once(format!(
                "focus-sql: {}: {}, billing period {} ({} file(s))",
                paths[0],
                d.provider,
                d.period,
                d.files.len()
            ));
            for n in &d.notes {
                say_once(format!("focus-sql: note: {n}"));
            }
            Part {
                period: Some((d.period, d.provider)),
                paths: d.files,
            }
        })
        .collect())
}

fn join(base: &str, rel: &str) -> String {
    if base.is_empty() {
        rel.to_string()
    } else {
        format!("{base}/{rel}")
    }
}

/// Hidden or bookkeeping files (`.x`, `_SUCCESS`) are never data.
pub(crate) fn hidden(rel: &str) -> bool {
    rel.split('/')
        .any(|s| s.starts_with('.') || s.starts_with('_'))
}

fn walk(dir: &std::path::Path, rel: &str, out: &mut Vec<layout::Entry>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut items: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    items.sort_by_key(|e| e.file_name());
    for item in items {
        let name = item.file_name().to_string_lossy().into_owned();
        if hidden(&name) {
            continue;
        }
        let r = join(rel, &name);
        let path = item.path();
        if path.is_dir() {
            walk(&path, &r, out);
        } else if let Ok(m) = item.metadata() {
            out.push(layout::Entry {
                path: r,
                size: m.len(),
            });
        }
    }
}

/// Print a line to stderr the first time it comes up (inputs are resolved more than once).
pub fn say_once(line: String) {
    static SAID: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    let mut said = SAID
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if said.insert(line.clone()) {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_split_into_store_and_path() {
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        std::env::set_var("AWS_REGION", "us-east-1");
        let l = parse("s3://bucket/exports/focus/data/").unwrap();
        assert_eq!(l.remote.root.as_str(), "s3://bucket");
        assert_eq!(l.path.as_ref(), "exports/focus/data");
        assert!(l.is_prefix);
        assert!(l.glob.is_none());
        let g = parse("s3://bucket/exports/*/part-*.csv.gz").unwrap();
        assert_eq!(g.path.as_ref(), "exports");
        assert!(g.glob.unwrap().matches("exports/a/part-1.csv.gz"));
        let spaced = parse("s3://bucket/FOCUS%20Reports/2026/").unwrap();
        assert_eq!(spaced.path.as_ref(), "FOCUS Reports/2026");
        assert!(is_remote("gs://b/x.parquet") && is_remote("ABFSS://c@a.dfs.core.windows.net/x"));
        assert!(!is_remote("exports/x.csv") && !is_remote("ftp://host/x.csv"));
        assert!(parse("s3:///x.csv").unwrap_err().contains("no bucket"));
        assert_eq!(
            l.remote.url_of(&ObjectPath::from("a/b.csv")),
            "s3://bucket/a/b.csv"
        );
        assert_eq!(
            l.remote.path_of("s3://bucket/a/b.csv").unwrap().as_ref(),
            "a/b.csv"
        );
    }
}
