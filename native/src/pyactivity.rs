//! `kerio_watch._native.Activity`: the hourly activity counters of a native run.
//!
//! It is both the pipeline's recorder (`add`, `full`, `write`, as Python's
//! `ActivityRecorder`) and, for the event classes whose counters need nothing but
//! the event, the enricher's handlers (`inbound`, `send`, `login`, `failed`,
//! `blocked`, `connection`: the methods of Python's `enrich.enrichers.Activity`),
//! so that counting an event is one call into the core instead of two Python frames,
//! a tuple and a dict update per count. A delivery's counter asks the message
//! tracker for its account and stays in Python (it calls `add`).

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyString, PyTuple};

use crate::activity::{Hourly, Row, domain_of};

/// The bytes of a Python string (see `activity.rs`: surrogates as `surrogatepass`).
fn bytes_of<'a>(s: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, [u8]>> {
    match s.to_str() {
        Ok(text) => Ok(Cow::Borrowed(text.as_bytes())),
        Err(_) => {
            let data = s.call_method1(intern!(s.py(), "encode"), ("utf-8", "surrogatepass"))?;
            Ok(Cow::Owned(data.cast::<PyBytes>()?.as_bytes().to_vec()))
        }
    }
}

/// A string field (the account a count is kept under).
fn string_of<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyString>> {
    Ok(obj.cast::<PyString>()?.clone())
}

/// Append what `f"{obj}"` gives (`str()` for anything but a string; an `int` that
/// fits 64 bits in decimal, as `str()` writes it, without a Python string).
fn push_text(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Ok(s) = obj.cast::<PyString>() {
        out.extend_from_slice(&bytes_of(s)?);
    } else if obj.is_exact_instance_of::<PyInt>()
        && let Ok(n) = obj.extract::<i64>()
    {
        write!(out, "{n}")?;
    } else {
        out.extend_from_slice(&bytes_of(&obj.str()?)?);
    }
    Ok(())
}

/// Append what `f"{obj or ''}"` gives.
fn push_or_empty(out: &mut Vec<u8>, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    if obj.is_truthy()? {
        push_text(out, obj)?;
    }
    Ok(())
}

/// The Python string of stored bytes.
fn text_of<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    match std::str::from_utf8(data) {
        Ok(text) => Ok(PyString::new(py, text).into_any()),
        Err(_) => PyBytes::new(py, data).call_method1("decode", ("utf-8", "surrogatepass")),
    }
}

/// The tuple of a row.
fn row_tuple<'py>(py: Python<'py>, row: &Row) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            row.hour.into_pyobject(py)?.into_any(),
            text_of(py, &row.account)?,
            text_of(py, &row.kind)?,
            text_of(py, &row.key)?,
            row.count.into_pyobject(py)?.into_any(),
        ],
    )
}

/// A batch being written: its rows' tuples one at a time (no list of them all).
#[pyclass(module = "kerio_watch._native", name = "ActivityRows")]
pub struct ActivityRows {
    rows: Vec<Row>,
    next: usize,
}

#[pymethods]
impl ActivityRows {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let Some(row) = self.rows.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        row_tuple(py, row).map(Some)
    }
}

#[pyclass(module = "kerio_watch._native", name = "Activity")]
pub struct PyActivity {
    counts: Hourly,
    is_local: Py<PyAny>,
    mail_ports: HashSet<i64>,
    limit: usize,
    /// The key being built (kept between calls: no allocation per event).
    scratch: Vec<u8>,
}

impl PyActivity {
    fn ts(event: &Bound<'_, PyAny>) -> PyResult<i64> {
        event.getattr(intern!(event.py(), "ts"))?.extract()
    }

    /// The scratch buffer, empty (put it back with `self.scratch = key`).
    fn key(&mut self) -> Vec<u8> {
        let mut key = std::mem::take(&mut self.scratch);
        key.clear();
        key
    }
}

#[pymethods]
impl PyActivity {
    /// `is_local(address)`: whether a DSN's recipient is a local address;
    /// `mail_ports`: the ports whose firewall connections are counted.
    #[new]
    #[pyo3(signature = (is_local, mail_ports, limit = 50_000))]
    fn new(is_local: Py<PyAny>, mail_ports: &Bound<'_, PyAny>, limit: usize) -> PyResult<Self> {
        let mut ports = HashSet::new();
        for port in mail_ports.try_iter()? {
            ports.insert(port?.extract::<i64>()?);
        }
        Ok(Self {
            counts: Hourly::new(),
            is_local,
            mail_ports: ports,
            limit,
            scratch: Vec::with_capacity(256),
        })
    }

    /// Count `n` at the hour of `ts` (`ActivityRecorder.add`).
    #[pyo3(signature = (ts, account, kind, key, n = 1))]
    fn add(
        &mut self,
        ts: i64,
        account: &Bound<'_, PyString>,
        kind: &Bound<'_, PyString>,
        key: &Bound<'_, PyString>,
        n: i64,
    ) -> PyResult<()> {
        self.counts.add(
            ts,
            &bytes_of(account)?,
            &bytes_of(kind)?,
            &bytes_of(key)?,
            n,
        );
        Ok(())
    }

    /// Time to write a batch.
    #[getter]
    fn full(&self) -> bool {
        self.counts.len() >= self.limit
    }

    fn __len__(&self) -> usize {
        self.counts.len()
    }

    /// `(hour, account, kind, key, count)` for each row, in the order of its first count.
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for row in self.counts.rows() {
            out.append(row_tuple(py, row)?)?;
        }
        Ok(out)
    }

    /// Add the counts to the store (`store.add_activity_rows`, inside the caller's
    /// transaction, with an iterator that builds each row's tuple when SQLite asks for
    /// it) and reset; kept when the store raises, as Python's recorder does.
    fn write(&mut self, store: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.counts.is_empty() {
            return Ok(());
        }
        let py = store.py();
        let rows = Bound::new(
            py,
            ActivityRows {
                rows: self.counts.take(),
                next: 0,
            },
        )?;
        if let Err(err) = store.call_method1(intern!(py, "add_activity_rows"), (&rows,)) {
            let taken = std::mem::take(&mut rows.borrow_mut().rows);
            self.counts.restore(&taken);
            return Err(err);
        }
        Ok(())
    }

    /// Inbound mail, and bounces (DSNs) to local addresses (`Activity.inbound`).
    fn inbound(&mut self, msg: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = msg.py();
        let ts = Self::ts(msg)?;
        let recipients = msg.getattr(intern!(py, "recipients"))?;
        if msg.getattr(intern!(py, "is_dsn"))?.is_truthy()? {
            let is_local = self.is_local.bind(py);
            for r in recipients.try_iter()? {
                let r = r?;
                if is_local.call1((&r,))?.is_truthy()? {
                    let account = string_of(&r)?;
                    self.counts
                        .add(ts, &bytes_of(&account)?, b"bounce", b"dsn", 1);
                }
            }
        } else if msg.getattr(intern!(py, "user"))?.is_none() {
            let n = recipients.len()?.max(1) as i64;
            self.counts.add(ts, b"", b"inbound", b"", n);
        }
        Ok(())
    }

    /// A submission: the message (once) and each recipient's domain (`Activity.send`).
    fn send(&mut self, sub: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = sub.py();
        let ts = Self::ts(sub)?;
        let account = string_of(&sub.getattr(intern!(py, "account"))?)?;
        let account = bytes_of(&account)?;
        if sub.getattr(intern!(py, "new_message"))?.is_truthy()? {
            let mut key = self.key();
            push_text(&mut key, &sub.getattr(intern!(py, "service"))?)?;
            key.push(b'|');
            push_or_empty(&mut key, &sub.getattr(intern!(py, "host"))?)?;
            key.push(b'|');
            push_text(&mut key, &sub.getattr(intern!(py, "sender"))?)?;
            self.counts.add(ts, &account, b"send", &key, 1);
            self.scratch = key;
        }
        for r in sub.getattr(intern!(py, "recipients"))?.try_iter()? {
            let r = r?;
            let r = string_of(&r)?;
            let r = bytes_of(&r)?;
            self.counts.add(ts, &account, b"rcpt", domain_of(&r), 1);
        }
        Ok(())
    }

    /// A login: protocol, address and client (`Activity.login`).
    fn login(&mut self, login: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = login.py();
        let ts = Self::ts(login)?;
        let mut key = self.key();
        push_text(&mut key, &login.getattr(intern!(py, "protocol"))?)?;
        key.push(b'|');
        push_text(&mut key, &login.getattr(intern!(py, "source"))?)?;
        key.push(b'|');
        push_or_empty(&mut key, &login.getattr(intern!(py, "user_agent"))?)?;
        let account = string_of(&login.getattr(intern!(py, "user"))?)?;
        self.counts.add(ts, &bytes_of(&account)?, b"login", &key, 1);
        self.scratch = key;
        Ok(())
    }

    /// A failed login (`Activity.failed`).
    fn failed(&mut self, fail: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = fail.py();
        let ts = Self::ts(fail)?;
        let mut key = self.key();
        push_text(&mut key, &fail.getattr(intern!(py, "protocol"))?)?;
        key.push(b'|');
        push_text(&mut key, &fail.getattr(intern!(py, "source"))?)?;
        key.push(b'|');
        push_text(&mut key, &fail.getattr(intern!(py, "reason"))?)?;
        let user = fail.getattr(intern!(py, "user"))?;
        let account = if user.is_truthy()? {
            bytes_of(&string_of(&user)?)?.into_owned()
        } else {
            Vec::new()
        };
        self.counts.add(ts, &account, b"fail", &key, 1);
        self.scratch = key;
        Ok(())
    }

    /// An address blocked by AntiHammering (`Activity.blocked`).
    fn blocked(&mut self, blocked: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = blocked.py();
        let action = blocked.getattr(intern!(py, "action"))?;
        if !action.eq(intern!(py, "block"))? {
            return Ok(());
        }
        let ts = Self::ts(blocked)?;
        let source = string_of(&blocked.getattr(intern!(py, "source"))?)?;
        self.counts.add(ts, b"", b"blocked", &bytes_of(&source)?, 1);
        Ok(())
    }

    /// Hourly SMTP per machine, from the firewall logs (`Activity.connection`).
    fn connection(&mut self, conn: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = conn.py();
        let port = conn.getattr(intern!(py, "destination_port"))?;
        match port.extract::<i64>() {
            Ok(p) if self.mail_ports.contains(&p) => {}
            _ => return Ok(()),
        }
        let ts = Self::ts(conn)?;
        let mut key = self.key();
        push_text(&mut key, &conn.getattr(intern!(py, "source"))?)?;
        key.push(b'|');
        push_text(&mut key, &port)?;
        key.push(b'|');
        push_text(&mut key, &conn.getattr(intern!(py, "action"))?)?;
        self.counts.add(ts, b"", b"smtp", &key, 1);
        self.scratch = key;
        Ok(())
    }
}
