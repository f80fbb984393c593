//! A read-through cache in front of a remote store, for one run. A validation reads a Parquet
//! export more than once (the fused scan reads every column; each set-level query reads a few
//! again; offending rows are fetched last), and each read is a request with its own latency and
//! cost. The cache remembers object metadata and the byte ranges already fetched, up to a
//! budget, and serves a later range inside one of them without a request. Whole-object reads
//! (CSV streams) pass through.

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Bytes of fetched ranges kept per process, unless `FOCUS_SQL_STORE_CACHE` (MiB) says otherwise.
const DEFAULT_BUDGET: usize = 256 << 20;

#[derive(Default)]
struct State {
    meta: HashMap<Path, ObjectMeta>,
    ranges: HashMap<Path, Vec<(Range<u64>, Bytes)>>,
    used: usize,
}

#[derive(Debug)]
pub struct RunCache {
    inner: Arc<dyn ObjectStore>,
    state: Mutex<StateBox>,
    budget: usize,
}

/// `State` behind a Debug the trait asks for.
#[derive(Default)]
struct StateBox(State);

impl std::fmt::Debug for StateBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cached bytes", self.0.used)
    }
}

impl std::fmt::Display for RunCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RunCache({})", self.inner)
    }
}

impl RunCache {
    pub fn new(inner: Arc<dyn ObjectStore>) -> RunCache {
        let budget = std::env::var("FOCUS_SQL_STORE_CACHE")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map(|mib| mib << 20)
            .unwrap_or(DEFAULT_BUDGET);
        RunCache {
            inner,
            state: Mutex::new(StateBox::default()),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StateBox> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached bytes of `want`, when one fetched range holds all of it.
    fn cached(&self, location: &Path, want: &Range<u64>) -> Option<(Bytes, ObjectMeta)> {
        let st = self.lock();
        let meta = st.0.meta.get(location)?.clone();
        let (have, bytes) =
            st.0.ranges
                .get(location)?
                .iter()
                .find(|(r, _)| r.start <= want.start && want.end <= r.end)?;
        let from = (want.start - have.start) as usize;
        let to = (want.end - have.start) as usize;
        Some((bytes.slice(from..to), meta))
    }

    fn keep(&self, location: &Path, range: Range<u64>, bytes: &Bytes) {
        let mut st = self.lock();
        if st.0.used + bytes.len() > self.budget {
            return;
        }
        st.0.used += bytes.len();
        st.0.ranges
            .entry(location.clone())
            .or_default()
            .push((range, bytes.clone()));
    }
}

fn result_of(bytes: Bytes, meta: ObjectMeta, range: Range<u64>) -> GetResult {
    GetResult {
        payload: GetResultPayload::Stream(futures::stream::once(async move { Ok(bytes) }).boxed()),
        meta,
        range,
        attributes: Default::default(),
    }
}

/// Only plain reads are cached: no conditions, no versions.
fn plain(options: &GetOptions) -> bool {
    options.if_match.is_none()
        && options.if_none_match.is_none()
        && options.if_modified_since.is_none()
        && options.if_unmodified_since.is_none()
        && options.version.is_none()
}

#[async_trait::async_trait]
impl ObjectStore for RunCache {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if !plain(&options) {
            return self.inner.get_opts(location, options).await;
        }
        if options.head {
            if let Some(meta) = self.lock().0.meta.get(location).cloned() {
                return Ok(result_of(Bytes::new(), meta, 0..0));
            }
            let got = self.inner.get_opts(location, options).await?;
            self.lock()
                .0
                .meta
                .insert(location.clone(), got.meta.clone());
            return Ok(got);
        }
        let Some(GetRange::Bounded(want)) = options.range.clone() else {
            return self.inner.get_opts(location, options).await;
        };
        if let Some((bytes, meta)) = self.cached(location, &want) {
            return Ok(result_of(bytes, meta, want));
        }
        let got = self.inner.get_opts(location, options).await?;
        let meta = got.meta.clone();
        let range = got.range.clone();
        let bytes = got.bytes().await?;
        self.lock().0.meta.insert(location.clone(), meta.clone());
        self.keep(location, range.clone(), &bytes);
        Ok(result_of(bytes, meta, range))
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}
