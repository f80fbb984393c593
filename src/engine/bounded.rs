//! Bounded lines. A CSV record (or a JSON line) is held whole in memory by the reader before it
//! is parsed, so a file holding one line of a gigabyte would cost a gigabyte before any error.
//! Text objects are therefore read through [`BoundedLines`], a store in front of the real one
//! that follows record boundaries as the bytes stream past (quote-aware, as the CSV reader
//! reads quotes) and stops the scan with the file and line as soon as one record grows past the
//! limit (`--max-line-size`, 64 MB by default). Gzipped CSV is inflated here, piece by piece, so
//! the limit applies to the text and no more than a few megabytes are inflated ahead of the
//! reader; the engine then reads it as plain CSV. Other objects (Parquet) pass through.

use super::input::InputFormat;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetRange, GetResult, GetResultPayload, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload,
    PutResult, Result,
};
use std::io::{Read, Write};
use std::ops::Range;
use std::sync::Arc;

/// The longest record read by default: 64 MiB.
pub const DEFAULT_MAX_LINE: u64 = 64 << 20;

/// The limit of this process (`--max-line-size`): set once by the command line.
static MAX_LINE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(DEFAULT_MAX_LINE);

pub fn set_max_line(bytes: u64) {
    MAX_LINE.store(bytes.max(1), std::sync::atomic::Ordering::Relaxed);
}

pub fn max_line() -> u64 {
    MAX_LINE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Bytes read from a local file per step, and compressed bytes inflated per step (at most about
/// 1,000 times as much text).
const CHUNK: usize = 1 << 20;
const GZ_PIECE: usize = 8 << 10;

/// How a text object's records end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    /// CSV: a line break outside quotes; a quote opens a quoted field only at the field's start.
    Csv,
    /// JSON lines: every line break (a JSON string cannot hold a raw one).
    Lines,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Outside,
    Inside,
    /// A quote inside a quoted field: the field closes unless another quote follows.
    Closing,
}

/// Follows record boundaries through a byte stream and measures the current record.
#[derive(Debug)]
pub struct LineGuard {
    text: Text,
    limit: u64,
    /// Bytes of the record being read.
    len: u64,
    /// The line the record being read starts on (1-based), and the current line.
    record_line: u64,
    line: u64,
    quote: Quote,
    /// The last byte seen (a quote opens a field only after a delimiter or line break).
    last: u8,
    /// Whether line numbers are known (a read from the start of the object).
    from_start: bool,
    /// Where the bytes seen start in the object, for a read of a range.
    offset: u64,
    seen: u64,
    /// Where the record being read starts in the object.
    record_start: u64,
}

/// A record longer than the limit: where it starts, and what is known of its line.
#[derive(Debug)]
pub struct TooLong {
    /// The object, as the user named it (a local path or a store URL); filled in by the store.
    pub file: String,
    text: Text,
    limit: u64,
    /// Byte offset in the (inflated) text where the record starts.
    pub offset: u64,
    /// Its line, when the bytes were read from the start of the object.
    pub line: Option<u64>,
    quoted: bool,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.text {
            Text::Csv => "record",
            Text::Lines => "line",
        };
        match self.line {
            Some(n) => write!(f, "{}: line {n}: ", self.file)?,
            None => write!(f, "{}: the line at byte {}: ", self.file, self.offset)?,
        }
        let quoted = if self.quoted {
            " (inside a quoted field: is a closing quote missing?)"
        } else {
            ""
        };
        write!(
            f,
            "the {what} is longer than {}{quoted}; refused before reading all of it \
             (--max-line-size raises the limit)",
            size_text(self.limit)
        )
    }
}

impl std::error::Error for TooLong {}

pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

impl LineGuard {
    /// A guard for bytes from `offset` on, `len` of them already in the record being read.
    fn new(text: Text, limit: u64, offset: u64) -> LineGuard {
        LineGuard {
            text,
            limit,
            len: 0,
            record_line: 1,
            line: 1,
            quote: Quote::Outside,
            last: b'\n',
            from_start: offset == 0,
            offset,
            seen: 0,
            record_start: offset,
        }
    }

    /// A guard for CSV read from its start (for tests and the header check).
    pub fn csv(limit: u64) -> LineGuard {
        LineGuard::new(Text::Csv, limit, 0)
    }

    /// A record ended just before byte `at` of the bytes fed so far.
    fn end_record(&mut self, at: u64) {
        self.len = 0;
        self.record_line = self.line;
        self.record_start = self.offset + at;
    }

    /// The bytes start inside a line whose first `back` bytes come before them.
    fn continue_line(&mut self, back: u64) {
        self.len = back;
        self.record_start = self.offset - back;
        self.from_start = false;
    }

    /// Take in the next bytes; an error once the record being read is longer than the limit.
    pub fn feed(&mut self, bytes: &[u8]) -> std::result::Result<(), TooLong> {
        let mut i = 0;
        let n = bytes.len();
        while i < n {
            match self.quote {
                Quote::Inside => match memchr::memchr(b'"', &bytes[i..]) {
                    Some(k) => {
                        self.line += memchr::memchr_iter(b'\n', &bytes[i..i + k]).count() as u64;
                        self.len += k as u64 + 1;
                        i += k + 1;
                        self.last = b'"';
                        self.quote = Quote::Closing;
                    }
                    None => {
                        self.line += memchr::memchr_iter(b'\n', &bytes[i..]).count() as u64;
                        self.len += (n - i) as u64;
                        self.last = bytes[n - 1];
                        i = n;
                    }
                },
                Quote::Closing if bytes[i] == b'"' => {
                    self.quote = Quote::Inside;
                    self.len += 1;
                    self.last = b'"';
                    i += 1;
                }
                Quote::Closing | Quote::Outside => {
                    self.quote = Quote::Outside;
                    let found = match self.text {
                        Text::Csv => memchr::memchr3(b'\n', b'\r', b'"', &bytes[i..]),
                        Text::Lines => memchr::memchr2(b'\n', b'\r', &bytes[i..]),
                    };
                    let Some(k) = found else {
                        self.len += (n - i) as u64;
                        self.last = bytes[n - 1];
                        i = n;
                        continue;
                    };
                    let at = i + k;
                    let b = bytes[at];
                    let before = if k > 0 { bytes[at - 1] } else { self.last };
                    match b {
                        b'"' => {
                            if matches!(before, b',' | b'\n' | b'\r') {
                                self.quote = Quote::Inside;
                            }
                            self.len += k as u64 + 1;
                        }
                        b'\n' => {
                            if before != b'\r' {
                                self.line += 1;
                            }
                            self.len += k as u64;
                            self.check()?;
                            self.end_record(self.seen + at as u64 + 1);
                        }
                        _ => {
                            // '\r' ends a record as the CSV reader reads it; "\r\n" is one break.
                            self.line += 1;
                            self.len += k as u64;
                            self.check()?;
                            self.end_record(self.seen + at as u64 + 1);
                        }
                    }
                    self.last = b;
                    i = at + 1;
                }
            }
        }
        self.seen += n as u64;
        self.check()
    }

    fn check(&self) -> std::result::Result<(), TooLong> {
        if self.len <= self.limit {
            return Ok(());
        }
        Err(TooLong {
            file: String::new(),
            text: self.text,
            limit: self.limit,
            offset: self.record_start,
            line: self.from_start.then_some(self.record_line),
            quoted: self.quote == Quote::Inside,
        })
    }
}

/// A store that reads text objects with bounded records (see the module comment).
#[derive(Debug)]
pub struct BoundedLines {
    inner: Arc<dyn ObjectStore>,
    limit: u64,
    /// The scheme and bucket the store's paths are in, for messages (`/` for local files).
    root: String,
}

impl std::fmt::Display for BoundedLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BoundedLines({})", self.inner)
    }
}

impl BoundedLines {
    pub fn new(inner: Arc<dyn ObjectStore>, limit: u64, root: &str) -> BoundedLines {
        BoundedLines {
            inner,
            limit,
            root: root.to_string(),
        }
    }

    /// The object's name for messages, and whether it is a local file (then the name is its path).
    fn name(&self, location: &Path) -> (String, bool) {
        if self.root == "/" {
            (format!("/{location}"), true)
        } else {
            (
                format!("{}/{location}", self.root.trim_end_matches('/')),
                false,
            )
        }
    }
}

fn text_of(location: &Path) -> Option<(Text, bool)> {
    match InputFormat::of(std::path::Path::new(location.as_ref()))? {
        InputFormat::Csv => Some((Text::Csv, false)),
        InputFormat::CsvGz => Some((Text::Csv, true)),
        InputFormat::NdJson => Some((Text::Lines, false)),
        InputFormat::Parquet => None,
    }
}

/// The line `offset` is on in a local file, counted for a message (only when a record found
/// by a read of a range is refused).
fn local_line_of(path: &str, offset: u64) -> Option<u64> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = file.take(offset);
    let mut buf = vec![0u8; CHUNK];
    let mut line = 1u64;
    loop {
        let k = reader.read(&mut buf).ok()?;
        if k == 0 {
            return Some(line);
        }
        line += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64;
    }
}

fn too_long(mut e: TooLong, file: &str, local: bool) -> object_store::Error {
    if e.line.is_none() && local {
        e.line = local_line_of(file, e.offset);
    }
    e.file = file.to_string();
    object_store::Error::Generic {
        store: "focus-sql",
        source: Box::new(e),
    }
}

fn io_error(e: std::io::Error) -> object_store::Error {
    let msg = e.to_string();
    let what = if msg.contains("gzip") || msg.contains("deflate") || msg.contains("corrupt") {
        format!("unreadable gzip data: {msg}")
    } else {
        format!("cannot read: {msg}")
    };
    object_store::Error::Generic {
        store: "focus-sql",
        source: what.into(),
    }
}

/// A blocking reader's bytes as a stream of guarded chunks (what the engine does itself with a
/// local file: it reads it synchronously on the scan's thread).
fn read_stream(
    mut reader: Box<dyn Read + Send>,
    mut guard: LineGuard,
    file: String,
) -> BoxStream<'static, Result<Bytes>> {
    let mut done = false;
    futures::stream::iter(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(k) => filled += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    done = true;
                    return Some(Err(io_error(e)));
                }
            }
        }
        if filled == 0 {
            done = true;
            return None;
        }
        buf.truncate(filled);
        if let Err(e) = guard.feed(&buf) {
            done = true;
            return Some(Err(too_long(e, &file, true)));
        }
        Some(Ok(Bytes::from(buf)))
    }))
    .boxed()
}

/// A remote object's stream, inflated a piece at a time when gzipped, through the guard.
fn guard_stream(
    inner: BoxStream<'static, Result<Bytes>>,
    gz: bool,
    guard: LineGuard,
    file: String,
) -> BoxStream<'static, Result<Bytes>> {
    struct State {
        inner: BoxStream<'static, Result<Bytes>>,
        inflate: Option<flate2::write::MultiGzDecoder<Vec<u8>>>,
        pending: Bytes,
        guard: LineGuard,
        file: String,
        done: bool,
    }
    let state = State {
        inner,
        inflate: gz.then(|| flate2::write::MultiGzDecoder::new(Vec::new())),
        pending: Bytes::new(),
        guard,
        file,
        done: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if st.done {
                return None;
            }
            if st.pending.is_empty() {
                match st.inner.next().await {
                    Some(Ok(b)) => st.pending = b,
                    Some(Err(e)) => {
                        st.done = true;
                        return Some((Err(e), st));
                    }
                    None => {
                        st.done = true;
                        let d = st.inflate.take()?;
                        let out = match d.finish() {
                            Ok(v) => v,
                            Err(e) => return Some((Err(io_error(e)), st)),
                        };
                        if out.is_empty() {
                            return None;
                        }
                        if let Err(e) = st.guard.feed(&out) {
                            return Some((Err(too_long(e, &st.file, false)), st));
                        }
                        return Some((Ok(Bytes::from(out)), st));
                    }
                }
            }
            let out = match &mut st.inflate {
                None => std::mem::take(&mut st.pending),
                Some(d) => {
                    let take = st.pending.len().min(GZ_PIECE);
                    let piece = st.pending.split_to(take);
                    if let Err(e) = d.write_all(&piece) {
                        st.done = true;
                        return Some((Err(io_error(e)), st));
                    }
                    Bytes::from(std::mem::take(d.get_mut()))
                }
            };
            if out.is_empty() {
                continue;
            }
            if let Err(e) = st.guard.feed(&out) {
                st.done = true;
                return Some((Err(too_long(e, &st.file, false)), st));
            }
            return Some((Ok(out), st));
        }
    })
    .boxed()
}

/// Bytes looked at per step when finding where the line a range starts in begins.
const BACK_STEP: u64 = 64 << 10;

impl BoundedLines {
    /// How many bytes of the line that `start` falls in come before it: a read of a range (the
    /// engine splits a large CSV among its threads, and reads past a range's end in small steps
    /// to finish its last line) continues a line that began earlier. Stops once past the limit.
    async fn line_before(&self, location: &Path, start: u64) -> Result<u64> {
        let mut back = 0u64;
        while back <= self.limit && back < start {
            let to = start - back;
            let from = to.saturating_sub(BACK_STEP);
            let bytes = self.inner.get_range(location, from..to).await?;
            if let Some(i) = memchr::memrchr2(b'\n', b'\r', &bytes) {
                return Ok(back + (bytes.len() - i - 1) as u64);
            }
            back += bytes.len() as u64;
            if bytes.is_empty() {
                break;
            }
        }
        Ok(back)
    }
}

#[async_trait::async_trait]
impl ObjectStore for BoundedLines {
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
        let Some((text, gz)) = text_of(location).filter(|_| !options.head) else {
            return self.inner.get_opts(location, options).await;
        };
        let start = match &options.range {
            None => 0,
            Some(GetRange::Bounded(r)) => r.start,
            Some(GetRange::Offset(o)) => *o,
            // Never asked of a text object by the engine: passed through as it is.
            Some(GetRange::Suffix(_)) => return self.inner.get_opts(location, options).await,
        };
        if gz && start > 0 {
            // The engine never splits a gzipped object (see `input::register`).
            return self.inner.get_opts(location, options).await;
        }
        let (file, local) = self.name(location);
        let mut guard = LineGuard::new(text, self.limit, start);
        if start > 0 {
            let back = self.line_before(location, start).await?;
            guard.continue_line(back);
            guard.check().map_err(|e| too_long(e, &file, local))?;
        }
        let got = self.inner.get_opts(location, options).await?;
        let payload = match got.payload {
            #[cfg(not(target_arch = "wasm32"))]
            GetResultPayload::File(mut f, _) => {
                use std::io::{Seek, SeekFrom};
                let len = got.range.end - got.range.start;
                if got.range.start > 0 {
                    f.seek(SeekFrom::Start(got.range.start)).map_err(io_error)?;
                }
                let reader: Box<dyn Read + Send> = if gz {
                    Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                        f,
                    )))
                } else {
                    Box::new(f.take(len))
                };
                GetResultPayload::Stream(read_stream(reader, guard, file))
            }
            GetResultPayload::Stream(s) => {
                GetResultPayload::Stream(guard_stream(s, gz, guard, file))
            }
        };
        Ok(GetResult {
            payload,
            meta: got.meta,
            range: got.range,
            attributes: got.attributes,
        })
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn longest(text: Text, limit: u64, chunks: &[&[u8]]) -> std::result::Result<(), String> {
        let mut g = LineGuard::new(text, limit, 0);
        for c in chunks {
            g.feed(c).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    #[test]
    fn records_within_the_limit_pass_whatever_the_chunking() {
        let csv = b"a,b\n\"x,\"\"y\"\"\",2\r\n3,4\n";
        for split in 0..csv.len() {
            let (l, r) = csv.split_at(split);
            assert_eq!(longest(Text::Csv, 12, &[l, r]), Ok(()), "split at {split}");
        }
    }

    #[test]
    fn a_long_record_is_refused_with_its_line() {
        let mut csv = b"a,b\n1,2\n".to_vec();
        csv.extend(std::iter::repeat_n(b'x', 100));
        csv.extend(b"\n5,6\n");
        let err = longest(Text::Csv, 50, &[&csv]).unwrap_err();
        assert!(
            err.contains("line 3: the record is longer than 50 bytes"),
            "{err}"
        );
        // Chunked one byte at a time, the same line is named.
        let bytes: Vec<&[u8]> = csv.chunks(1).collect();
        let err = longest(Text::Csv, 50, &bytes).unwrap_err();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn line_breaks_inside_quotes_continue_the_record() {
        // Three physical lines, one record of 30 bytes: within 40, over 20.
        let csv = b"a,b\n\"first\nsecond\nthird\",222222\n";
        assert_eq!(longest(Text::Csv, 40, &[csv]), Ok(()));
        let err = longest(Text::Csv, 20, &[csv]).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        // An unterminated quote: the rest of the file is one record.
        let mut bad = b"a,b\n\"open,1\n".to_vec();
        for _ in 0..10 {
            bad.extend(b"1,2\n");
        }
        let err = longest(Text::Csv, 30, &[&bad]).unwrap_err();
        assert!(err.contains("closing quote"), "{err}");
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_text() {
        // 5" disk: a literal quote (the CSV reader reads it so), not an opening one.
        let csv = b"a,b\n5\" disk,1\n2,3\n4,5\n";
        assert_eq!(longest(Text::Csv, 12, &[csv]), Ok(()));
    }

    #[test]
    fn json_lines_end_at_every_line_break() {
        let lines = b"{\"a\":\"\\\"x\"}\n{\"a\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}\n";
        assert_eq!(longest(Text::Lines, 40, &[lines]), Ok(()));
        let err = longest(Text::Lines, 20, &[lines]).unwrap_err();
        assert!(err.contains("line 2: the line is longer"), "{err}");
    }
}
