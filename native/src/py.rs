//! The Python boundary (`kerio_watch._native`).
//!
//! Lines cross in batches: a [`Reader`] returns, per call, a list holding a ready
//! `Record` (with its parsed event) for each line Python must see, and one compact
//! summary per run of lines the pre-filter dropped. Nothing is created in Python for
//! a dropped line unless Python asks for its record (`skipped_record`). PyO3 runs every entry point under `catch_unwind`, so a panic
//! would surface as an exception, never unwind into CPython; the core is fuzzed so
//! that none happens.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use pyo3::IntoPyObjectExt;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::frame::{Counters, LineSource, decode, message_of, stamp};
use crate::join::{MessageState, QueueJoin as CoreJoin};
use crate::mail::{Mail, Recv, Sent, parse, sent_key};
use crate::pylogs::{Kind, Others};

/// The `Service:` of the messages Kerio's filter rules make (`RULE_SERVICES` in
/// `kerio_watch/enrich/messages.py`, compared ignoring ASCII case).
const RULE_SERVICE: &str = "sieve";

/// Version of this boundary; the Python side refuses an extension of another one.
pub const ABI: u32 = 12;

/// Queue-IDs the Python message tracker holds (kept in step by it).
#[pyclass(module = "kerio_watch._native")]
#[derive(Default)]
pub struct QidSet {
    ids: HashSet<String>,
}

#[pymethods]
impl QidSet {
    #[new]
    fn new() -> Self {
        Self::default()
    }
    fn add(&mut self, qid: &str) {
        self.ids.insert(qid.to_owned());
    }
    fn discard(&mut self, qid: &str) {
        self.ids.remove(qid);
    }
    fn clear(&mut self) {
        self.ids.clear();
    }
    fn __contains__(&self, qid: &str) -> bool {
        self.ids.contains(qid)
    }
    fn __len__(&self) -> usize {
        self.ids.len()
    }
}

/// What the core keeps in mind about one stream's last records (the files of one log,
/// read in turn; one object shared by their readers).
///
/// Python merges several logs by time (`sources/order.py`'s `smoothed`): at a jump in
/// time it reads up to `lookahead` records of a stream before it processes the one
/// before them, so the next batch may be read while the last records handed over are
/// still unprocessed, and the messages they make Python track are not yet in the
/// [`QidSet`]. The core keeps the Queue-IDs of the messages Python may track until
/// `lookahead` records of the stream followed their line (by then Python processed
/// it), and drops no line in a batch read before `lookahead` records followed a line
/// whose messages it cannot see (a batch cut).
#[pyclass(module = "kerio_watch._native")]
pub struct Stream {
    lookahead: u64,
    /// Records handed to Python as they are (each one is yielded).
    records: u64,
    /// Queue-IDs Python may track, with `records` at their line.
    recent: Vec<(String, u64)>,
    /// `records` at the last batch cut.
    cut: Option<u64>,
}

impl Stream {
    /// At the start of a batch: the Queue-IDs still to keep, and whether to drop nothing.
    fn open(&mut self) -> (HashMap<String, u64>, bool) {
        let (records, k) = (self.records, self.lookahead);
        let careful = self.cut.is_some_and(|at| records - at < k);
        let eager = self.recent.drain(..).filter(|(_, at)| records - at < k);
        (eager.collect(), careful)
    }

    /// At the end of a batch: keep those not yet followed by `lookahead` records.
    fn close(&mut self, eager: HashMap<String, u64>) {
        let (records, k) = (self.records, self.lookahead);
        self.recent = eager
            .into_iter()
            .filter(|(_, at)| records - at < k)
            .collect();
    }
}

#[pymethods]
impl Stream {
    #[new]
    fn new(lookahead: u64) -> Self {
        Self {
            lookahead,
            records: 0,
            recent: Vec::new(),
            cut: None,
        }
    }

    /// Python read lines of the stream itself (a syslog file): what they make it track
    /// is not seen by the core.
    fn read_by_python(&mut self) {
        self.cut = Some(self.records);
    }
}

/// The event classes events are built with.
struct Classes {
    recv: Py<PyAny>,
    sent: Py<PyAny>,
}

impl Classes {
    fn build<'py>(
        &self,
        py: Python<'py>,
        mail: &Mail<'_>,
        ts: i64,
        raw: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        match mail {
            Mail::Recv(r) => Ok(Some(self.recv.bind(py).call1(recv_args(py, r, ts, raw)?)?)),
            Mail::Sent(s) => Ok(Some(self.sent.bind(py).call1(sent_args(py, s, ts, raw)?)?)),
            _ => Ok(None),
        }
    }
}

fn opt<'py>(py: Python<'py>, v: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    v.into_bound_py_any(py)
}

fn recv_args<'py>(
    py: Python<'py>,
    r: &Recv<'_>,
    ts: i64,
    raw: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyTuple>> {
    let rcpts = PyTuple::new(py, r.recipients.iter().map(|a| &**a))?;
    PyTuple::new(
        py,
        [
            ts.into_bound_py_any(py)?,
            intern!(py, "mail").clone().into_any(),
            raw.clone().into_any(),
            r.queue_id.as_ref().into_bound_py_any(py)?,
            r.service.as_ref().into_bound_py_any(py)?,
            r.sender.as_ref().into_bound_py_any(py)?,
            rcpts.into_any(),
            r.size.into_bound_py_any(py)?,
            opt(py, r.sender_host.as_deref())?,
            opt(py, r.user.as_deref())?,
            r.ssl.into_bound_py_any(py)?,
            opt(py, r.subject.as_deref())?,
            opt(py, r.msg_id.as_deref())?,
            opt(py, r.report.as_deref())?,
        ],
    )
}

fn sent_args<'py>(
    py: Python<'py>,
    s: &Sent<'_>,
    ts: i64,
    raw: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            ts.into_bound_py_any(py)?,
            intern!(py, "mail").clone().into_any(),
            raw.clone().into_any(),
            s.queue_id.as_ref().into_bound_py_any(py)?,
            s.recipient.as_ref().into_bound_py_any(py)?,
            s.result.as_ref().into_bound_py_any(py)?,
            opt(py, s.status.as_deref())?,
            opt(py, s.status_text.as_deref())?,
            opt(py, s.remote_host.as_deref())?,
            opt(py, s.msg_id.as_deref())?,
        ],
    )
}

/// Messages after which Python may add a message to its tracker (a batch ends there).
fn may_track(message: &str) -> bool {
    ["Recv: ", "SMTP: From: ", "DSN: From: ", "List: From: "]
        .iter()
        .any(|p| message.starts_with(p))
}

/// A run of `Sent:` lines the pre-filter dropped: count, lowest and highest local
/// time, how many lines carry the highest, and where they are kept ([`Dropped`]).
#[derive(Default)]
struct Segment {
    n: u64,
    lo: i64,
    hi: i64,
    top: u64,
    start: usize,
}

/// The lines of the current batch the pre-filter dropped, in file order: local times
/// (for `skipped_times`), line numbers and text (for `skipped_record`). The text of
/// all of them is one buffer, each line ending where the next begins: a copy, no
/// allocation per line.
#[derive(Default)]
struct Dropped {
    times: Vec<i64>,
    /// Line number and end of the line's text in `text`.
    lines: Vec<(u64, usize)>,
    text: String,
}

impl Dropped {
    fn clear(&mut self) {
        self.times.clear();
        self.lines.clear();
        self.text.clear();
    }

    fn push(&mut self, ts: i64, lineno: u64, raw: &str) {
        self.text.push_str(raw);
        self.times.push(ts);
        self.lines.push((lineno, self.text.len()));
    }

    fn len(&self) -> usize {
        self.times.len()
    }

    /// Local time, line number and text of dropped line `i`.
    fn get(&self, i: usize) -> Option<(i64, u64, &str)> {
        let (lineno, end) = *self.lines.get(i)?;
        let start = if i == 0 { 0 } else { self.lines[i - 1].1 };
        Some((self.times[i], lineno, &self.text[start..end]))
    }
}

/// Reads one log file in batches (see the module documentation).
#[pyclass(module = "kerio_watch._native", unsendable)]
pub struct Reader {
    src: LineSource,
    counters: Counters,
    out: Emit,
    kind: Kind,
    tracked: Py<QidSet>,
    stream: Py<Stream>,
    batch: usize,
}

/// What builds a batch's Python objects.
struct Emit {
    log: Py<PyAny>,
    source: Py<PyAny>,
    record_new: Py<PyAny>,
    record_cls: Py<PyAny>,
    classes: Classes,
    others: Others,
    dropped: Dropped,
}

impl Emit {
    fn record<'py>(
        &self,
        py: Python<'py>,
        ts: i64,
        message: &str,
        raw: &Bound<'py, PyString>,
        lineno: u64,
        event: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fields = PyTuple::new(
            py,
            [
                ts.into_bound_py_any(py)?,
                false.into_bound_py_any(py)?,
                self.log.bind(py).clone(),
                message.into_bound_py_any(py)?,
                raw.clone().into_any(),
                self.source.bind(py).clone(),
                lineno.into_bound_py_any(py)?,
                event.into_bound_py_any(py)?,
            ],
        )?;
        self.record_new
            .bind(py)
            .call1((self.record_cls.bind(py), fields))
    }

    /// The `Record` of an on-disk line (its event parsed by the core's parser of
    /// the log, `kind`, where it has one and reads the line), and
    /// whether Python may track a message after it that the core cannot see. A `Recv:`
    /// line of a message Python tracks adds its Queue-ID to `eager`, with `at`.
    fn line<'py>(
        &self,
        py: Python<'py>,
        kind: Kind,
        ts: i64,
        raw: &str,
        lineno: u64,
        eager: Option<(&mut HashMap<String, u64>, u64)>,
    ) -> PyResult<(Bound<'py, PyAny>, bool)> {
        let message = message_of(raw);
        let raw_py = PyString::new(py, raw);
        let (event, cut) = if kind == Kind::Mail {
            let mail = parse(message);
            // Python tracks an account's message, and a filter rule's (Service: Sieve)
            if let (Mail::Recv(r), Some((eager, at))) = (&mail, eager)
                && (r.user.is_some() || r.service.eq_ignore_ascii_case(RULE_SERVICE))
            {
                eager.insert(r.queue_id.to_string(), at);
            }
            let event = self.classes.build(py, &mail, ts, &raw_py)?;
            let cut = event.is_none() && may_track(message);
            (event, cut)
        } else if kind == Kind::None {
            (None, may_track(message))
        } else {
            let event = self.others.build(py, kind, message, ts, &raw_py)?.event();
            (event, may_track(message))
        };
        Ok((self.record(py, ts, message, &raw_py, lineno, event)?, cut))
    }

    fn flush(
        &self,
        py: Python<'_>,
        seg: &mut Option<Segment>,
        items: &Bound<'_, PyList>,
    ) -> PyResult<()> {
        if let Some(s) = seg.take() {
            let end = self.dropped.len();
            items.append((2, s.n, s.lo, s.hi, s.top, s.start, end).into_pyobject(py)?)?;
        }
        Ok(())
    }
}

#[pymethods]
impl Reader {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (path, compressed, log, parse, source, record_cls, recv_cls, sent_cls, others, tracked, stream, batch=256, start=0, offset=0))]
    fn new(
        py: Python<'_>,
        path: &str,
        compressed: bool,
        log: Option<Py<PyAny>>,
        parse: Option<&str>,
        source: Py<PyAny>,
        record_cls: Py<PyAny>,
        recv_cls: Py<PyAny>,
        sent_cls: Py<PyAny>,
        others: &Bound<'_, PyTuple>,
        tracked: Py<QidSet>,
        stream: Py<Stream>,
        batch: usize,
        start: u64,
        offset: u64,
    ) -> PyResult<Self> {
        let src = open_from(py, path, compressed, start, offset)?;
        let record_new = py.get_type::<PyTuple>().getattr("__new__")?.unbind();
        Ok(Self {
            src,
            counters: Counters::default(),
            out: Emit {
                log: log.unwrap_or_else(|| py.None()),
                source,
                record_new,
                record_cls,
                classes: Classes {
                    recv: recv_cls,
                    sent: sent_cls,
                },
                others: Others::from_tuple(others)?,
                dropped: Dropped::default(),
            },
            kind: Kind::of(parse),
            tracked,
            stream,
            batch: batch.max(1),
        })
    }

    /// The next batch of items, or `None` at the end of the file. Items:
    /// a `Record`; `(0, record)`: a `Sent:` line of a message Python may track, to
    /// pass through `Pipeline.skip_line`; `(1, lineno, raw)`: a line without an
    /// on-disk stamp, for Python to frame; `(2, n, lo, hi, top, start, end)`: `n`
    /// dropped `Sent:` lines (see [`Segment`]; `skipped_times(start, end)`,
    /// `skipped_record(i)`).
    fn next_batch<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let items = PyList::empty(py);
        let out = &mut self.out;
        out.dropped.clear();
        let mut seg: Option<Segment> = None;
        let tracked = self.tracked.clone_ref(py);
        let tracked = tracked.borrow(py);
        let stream = self.stream.clone_ref(py);
        let mut stream = stream.borrow_mut(py);
        let (mut eager, careful) = stream.open();
        let mut seen = 0usize;
        let mut counters = self.counters;
        while seen < self.batch * 4 && items.len() < self.batch {
            let Some((lineno, data)) = self.src.next_line() else {
                break;
            };
            let raw = decode(data, &mut counters);
            if raw.is_empty() {
                continue;
            }
            counters.lines += 1;
            seen += 1;
            let Some(ts) = stamp(&raw) else {
                out.flush(py, &mut seg, &items)?;
                items.append((1, lineno, &*raw).into_pyobject(py)?)?;
                stream.cut = Some(stream.records);
                break; // Python frames it, and may track what it says
            };
            let message = message_of(&raw);
            let mut check = false;
            if let Some(key) = sent_key(message) {
                if !careful && !tracked.ids.contains(key) && !eager.contains_key(key) {
                    let s = seg.get_or_insert_with(|| Segment {
                        lo: ts,
                        hi: ts,
                        start: out.dropped.len(),
                        ..Segment::default()
                    });
                    s.n += 1;
                    s.lo = s.lo.min(ts);
                    if ts > s.hi || s.top == 0 {
                        s.hi = ts;
                        s.top = 1;
                    } else if ts == s.hi {
                        s.top += 1;
                    }
                    out.dropped.push(ts, lineno, &raw);
                    continue;
                }
                check = true;
            }
            out.flush(py, &mut seg, &items)?;
            let at = stream.records + 1;
            let (rec, cut) = out.line(py, self.kind, ts, &raw, lineno, Some((&mut eager, at)))?;
            if check {
                items.append((0, rec).into_pyobject(py)?)?;
            } else {
                items.append(rec)?;
                stream.records = at;
            }
            if cut {
                stream.cut = Some(stream.records);
                break;
            }
        }
        out.flush(py, &mut seg, &items)?;
        stream.close(eager);
        self.counters = counters;
        if items.is_empty() {
            Ok(None)
        } else {
            Ok(Some(items))
        }
    }

    /// Local times of the dropped lines `start..end` of the last batch.
    fn skipped_times(&self, start: usize, end: usize) -> Vec<i64> {
        self.out
            .dropped
            .times
            .get(start..end)
            .map(<[i64]>::to_vec)
            .unwrap_or_default()
    }

    /// The `Record` of dropped line `i` of the last batch, as `next_batch` would have
    /// built it (its event parsed): for a line Python processes after all (its time
    /// is not near the time guard's reference).
    fn skipped_record<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyAny>> {
        let Some((ts, lineno, raw)) = self.out.dropped.get(i) else {
            return Err(pyo3::exceptions::PyIndexError::new_err(
                "no such dropped line in this batch",
            ));
        };
        Ok(self.out.line(py, self.kind, ts, raw, lineno, None)?.0)
    }

    #[getter]
    fn lines(&self) -> u64 {
        self.counters.lines
    }
    #[getter]
    fn decode_errors(&self) -> u64 {
        self.counters.decode_errors
    }
    #[getter]
    fn cut_lines(&self) -> u64 {
        self.counters.cut_lines
    }
    #[getter]
    fn lineno(&self) -> u64 {
        self.src.lineno
    }
    #[getter]
    fn offset(&self) -> u64 {
        self.src.offset
    }
    #[getter]
    fn error(&self) -> Option<String> {
        self.src.error.clone()
    }
}

/// A file's lines after its first `start` (`LogFile.start`, `read_records`): read
/// from byte `offset` on when it is known (not 0), the lines before it passed over
/// unread otherwise (the GIL released).
fn open_from(
    py: Python<'_>,
    path: &str,
    compressed: bool,
    start: u64,
    offset: u64,
) -> PyResult<LineSource> {
    if offset == 0 {
        let mut src = LineSource::open(path, compressed)?;
        if start > 0 {
            py.detach(|| src.pass_over(start));
        }
        return Ok(src);
    }
    let mut src = py.detach(|| LineSource::open_at(path, compressed, offset))?;
    if src.error.is_none() {
        src.number_from(start); // a failed seek has read no line (Python's lineno is 0)
    }
    Ok(src)
}

/// Parses single mail.log messages into events (Python parses what this leaves).
#[pyclass(module = "kerio_watch._native", frozen)]
pub struct MailParser {
    classes: Classes,
}

#[pymethods]
impl MailParser {
    #[new]
    fn new(recv_cls: Py<PyAny>, sent_cls: Py<PyAny>) -> Self {
        Self {
            classes: Classes {
                recv: recv_cls,
                sent: sent_cls,
            },
        }
    }

    /// The event of a `Recv:`/`Sent:` message, or `None` for Python to parse.
    fn parse<'py>(
        &self,
        py: Python<'py>,
        message: &str,
        ts: i64,
        raw: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.classes.build(py, &parse(message), ts, raw)
    }
}

/// `parse(message)` as plain data, for differential tests: `("recv", fields...)`,
/// `("sent", fields...)`, `("unparsed", reason)`, `("defer",)` or `("other",)`.
#[pyfunction]
fn parse_mail<'py>(py: Python<'py>, message: &str) -> PyResult<Bound<'py, PyTuple>> {
    let raw = PyString::new(py, "");
    match parse(message) {
        Mail::Recv(r) => {
            let args = recv_args(py, &r, 0, &raw)?;
            PyTuple::new(
                py,
                [
                    intern!(py, "recv").clone().into_any(),
                    args.get_slice(3, 14).into_any(),
                ],
            )
        }
        Mail::Sent(s) => {
            let args = sent_args(py, &s, 0, &raw)?;
            PyTuple::new(
                py,
                [
                    intern!(py, "sent").clone().into_any(),
                    args.get_slice(3, 10).into_any(),
                ],
            )
        }
        Mail::Unparsed(reason) => ("unparsed", reason).into_pyobject(py),
        Mail::Defer => ("defer",).into_pyobject(py),
        Mail::Other => ("other",).into_pyobject(py),
    }
}

/// Frame a byte buffer (optionally gzip) as `read_records` does, for differential
/// tests: `([(lineno, end_offset, raw, local_ts or None)...], (lines,
/// decode_errors, cut_lines), read_error or None)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn frame_bytes(
    data: &Bound<'_, PyBytes>,
    compressed: bool,
) -> (
    Vec<(u64, u64, String, Option<i64>)>,
    (u64, u64, u64),
    Option<String>,
) {
    let bytes = data.as_bytes().to_vec();
    let mut src = if compressed {
        LineSource::new(Box::new(std::io::BufReader::new(
            flate2::read::MultiGzDecoder::new(Cursor::new(bytes)),
        )))
    } else {
        LineSource::from_bytes(bytes)
    };
    let mut c = Counters::default();
    let mut out = Vec::new();
    while let Some((lineno, line)) = src.next_line() {
        let raw = decode(line, &mut c).into_owned();
        if raw.is_empty() {
            continue;
        }
        c.lines += 1;
        let ts = stamp(&raw);
        out.push((lineno, src.offset, raw, ts));
    }
    (
        out,
        (c.lines, c.decode_errors, c.cut_lines),
        src.error.clone(),
    )
}

/// Frame, parse and join a whole file in Rust alone (the GIL released): a dict
/// of counts. The benchmark's "native core" row; phase 2's core loop.
#[pyfunction]
#[pyo3(signature = (path, compressed=false, limit=100_000))]
fn scan_counts<'py>(
    py: Python<'py>,
    path: &str,
    compressed: bool,
    limit: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let mut src = LineSource::open(path, compressed)?;
    let s = py.detach(|| crate::scan::scan(&mut src, &mut CoreJoin::new(limit)));
    let d = PyDict::new(py);
    for (k, v) in [
        ("lines", s.counters.lines),
        ("decode_errors", s.counters.decode_errors),
        ("cut_lines", s.counters.cut_lines),
        ("framed", s.framed),
        ("unframed", s.unframed),
        ("recv", s.recv),
        ("sent", s.sent),
        ("unparsed", s.unparsed),
        ("deferred", s.deferred),
        ("other", s.other),
        ("submissions", s.submissions),
        ("messages", s.messages),
        ("joined", s.joined),
        ("failures", s.failures),
    ] {
        d.set_item(k, v)?;
    }
    d.set_item("read_error", s.read_error)?;
    Ok(d)
}

type StateRow = (
    String,
    i64,
    Option<String>,
    String,
    u64,
    u64,
    u64,
    u64,
    Vec<String>,
);

fn row(qid: &str, st: &MessageState) -> StateRow {
    (
        qid.to_owned(),
        st.ts,
        st.account.clone(),
        st.sender.clone(),
        st.accepted,
        st.delivered,
        st.failed,
        st.delayed,
        st.final_.iter().cloned().collect(),
    )
}

/// The Queue-ID join (`MessageTracker`) with plain-data methods; phase 2 moves the
/// pipeline's tracker here.
#[pyclass(module = "kerio_watch._native", name = "QueueJoin")]
pub struct PyQueueJoin {
    join: CoreJoin,
}

#[pymethods]
impl PyQueueJoin {
    #[new]
    #[pyo3(signature = (limit=100_000))]
    fn new(limit: usize) -> Self {
        Self {
            join: CoreJoin::new(limit),
        }
    }

    fn received(
        &mut self,
        qid: &str,
        ts: i64,
        account: Option<&str>,
        sender: &str,
        recipients: u64,
    ) -> bool {
        self.join.received(qid, ts, account, sender, recipients)
    }

    /// `(accepted, delivered, failed, delayed, final count, account)` after the line, or None.
    #[allow(clippy::type_complexity)]
    fn delivered(
        &mut self,
        qid: &str,
        result: &str,
        status: Option<&str>,
        recipient: &str,
    ) -> Option<(u64, u64, u64, u64, usize, Option<String>)> {
        let failure = matches!(result, "failed" | "bounced" | "rejected")
            || status.is_some_and(|s| s.starts_with('5'));
        self.join
            .delivered(qid, result, status, recipient, failure)
            .map(|s| {
                (
                    s.accepted,
                    s.delivered,
                    s.failed,
                    s.delayed,
                    s.final_.len(),
                    s.account.clone(),
                )
            })
    }

    fn pending(&self, older_than: i64) -> Vec<String> {
        self.join
            .pending(older_than)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[pyo3(signature = (now, max_age=7200, limit=20_000))]
    fn dump(&self, now: i64, max_age: i64, limit: usize) -> Vec<StateRow> {
        self.join
            .dump(now, max_age, limit)
            .into_iter()
            .map(|(q, s)| row(q, s))
            .collect()
    }

    fn restore(&mut self, rows: Vec<StateRow>) {
        let rows = rows
            .into_iter()
            .map(
                |(qid, ts, account, sender, accepted, delivered, failed, delayed, final_)| {
                    let state = MessageState {
                        ts,
                        account,
                        sender,
                        accepted,
                        delivered,
                        failed,
                        delayed,
                        final_: final_.into_iter().collect(),
                    };
                    (qid, state)
                },
            )
            .collect();
        self.join.restore(rows);
    }

    fn forget_before(&mut self, ts: i64) {
        self.join.forget_before(ts);
    }

    #[getter]
    fn evicted(&self) -> u64 {
        self.join.evicted
    }

    fn __len__(&self) -> usize {
        self.join.len()
    }

    fn __contains__(&self, qid: &str) -> bool {
        self.join.contains(qid)
    }
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ABI", ABI)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<QidSet>()?;
    m.add_class::<Reader>()?;
    m.add_class::<Stream>()?;
    m.add_class::<MailParser>()?;
    m.add_class::<PyQueueJoin>()?;
    m.add_class::<crate::pybook::PyBook>()?;
    m.add_class::<crate::pyactivity::PyActivity>()?;
    m.add_class::<crate::pysmtp::PyMailServers>()?;
    m.add_class::<crate::pysmtp::PySmtpNets>()?;
    m.add_class::<crate::pysmtpq::PyConnectionQueue>()?;
    m.add_class::<crate::pylearn::PyCorrespondents>()?;
    m.add_function(wrap_pyfunction!(crate::pybook::address_key, m)?)?;
    m.add_function(wrap_pyfunction!(parse_mail, m)?)?;
    m.add_function(wrap_pyfunction!(crate::pylogs::parse_log, m)?)?;
    m.add_function(wrap_pyfunction!(frame_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(scan_counts, m)?)?;
    Ok(())
}
