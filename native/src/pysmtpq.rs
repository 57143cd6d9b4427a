//! `kerio_watch._native.ConnectionQueue`: `direct_smtp`'s pending connections
//! ([`Queue`]) with the methods of Python's
//! `kerio_watch.detect.smtp_hosts_queue.ConnectionQueue`.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::pysmtp::{PyMailServers, PySmtpNets, asker};
use crate::smtpq::{Conn, Ctx, Queue};

/// A pending connection as Python's `Pending` tuple.
fn pending<'py>(py: Python<'py>, c: &Conn) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(
        py,
        [
            c.ts.into_pyobject(py)?.into_any(),
            c.src.as_str().into_pyobject(py)?.into_any(),
            c.dst.as_str().into_pyobject(py)?.into_any(),
            c.sport.into_pyobject(py)?.into_any(),
            c.dport.into_pyobject(py)?.into_any(),
            c.action.as_str().into_pyobject(py)?.into_any(),
            c.raw.as_str().into_pyobject(py)?.into_any(),
        ],
    )
}

/// The connections waiting for Kerio's `Sent:` lines.
#[pyclass(module = "kerio_watch._native", name = "ConnectionQueue")]
pub struct PyConnectionQueue {
    inner: Queue,
    nets: Py<PySmtpNets>,
    mail: Py<PyMailServers>,
}

impl PyConnectionQueue {
    /// Run `work` with the queue, the address tests and the mail server's state; the
    /// connections to count come back as a list (None when there are none).
    fn with<'py>(
        &mut self,
        py: Python<'py>,
        work: impl FnOnce(
            &mut Queue,
            &mut Ctx<'_, &mut dyn FnMut(&str) -> PyResult<u8>>,
            &mut Vec<Conn>,
        ) -> PyResult<()>,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        let mut nets = self.nets.bind(py).borrow_mut();
        let mut mail = self.mail.bind(py).borrow_mut();
        let nets = &mut *nets;
        let mut ask = asker(py, &nets.ask);
        let mut cx = Ctx {
            nets: &mut nets.inner,
            mail: &mut mail.inner,
            ask: &mut ask as &mut dyn FnMut(&str) -> PyResult<u8>,
        };
        let mut out = Vec::new();
        work(&mut self.inner, &mut cx, &mut out)?;
        if out.is_empty() {
            return Ok(None);
        }
        let items = out
            .iter()
            .map(|c| pending(py, c))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Some(PyList::new(py, items)?))
    }
}

#[pymethods]
impl PyConnectionQueue {
    #[new]
    fn new(settle: i64, infer: bool, nets: Py<PySmtpNets>, mail: Py<PyMailServers>) -> Self {
        Self {
            inner: Queue::new(settle, infer),
            nets,
            mail,
        }
    }

    /// One SMTP connection, then the settling due at its time: the connections to
    /// count, in order (None when there are none).
    #[allow(clippy::too_many_arguments)]
    fn connection<'py>(
        &mut self,
        py: Python<'py>,
        ts: i64,
        src: &str,
        dst: &str,
        sport: Option<i64>,
        dport: Option<i64>,
        action: &str,
        raw: &str,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        let conn = Conn {
            ts,
            src: src.to_owned(),
            dst: dst.to_owned(),
            sport,
            dport,
            action: action.to_owned(),
            raw: raw.to_owned(),
        };
        self.with(py, |q, cx, out| q.connection(conn, cx, out))
    }

    /// Settle what is due at `now`: the connections to count, in order (or None).
    fn settle<'py>(&mut self, py: Python<'py>, now: i64) -> PyResult<Option<Bound<'py, PyList>>> {
        self.with(py, |q, cx, out| q.settle_due(now, cx, out))
    }

    /// The log time the oldest connection is due at (None when none waits).
    #[getter]
    fn due(&self) -> Option<i128> {
        self.inner.due()
    }

    /// The saved rows: `[ts, host, dst, sport, dport, action, raw]`, oldest first.
    fn dump<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rows = self
            .inner
            .pending
            .iter()
            .map(|c| Ok(pending(py, c)?.to_list()))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, rows)
    }

    /// Take back saved rows, read by Python's `saved_pending`.
    #[allow(clippy::type_complexity)]
    fn load(
        &mut self,
        rows: Vec<(
            i64,
            String,
            String,
            Option<i64>,
            Option<i64>,
            String,
            String,
        )>,
    ) {
        self.inner.load(
            rows.into_iter()
                .map(|(ts, src, dst, sport, dport, action, raw)| Conn {
                    ts,
                    src,
                    dst,
                    sport,
                    dport,
                    action,
                    raw,
                })
                .collect(),
        );
    }

    /// Forget every connection.
    fn clear(&mut self) {
        self.inner.clear();
    }

    /// LAN address -> its waiting connections (a copy).
    #[getter]
    fn waiting(&self) -> std::collections::HashMap<String, usize> {
        self.inner.waiting.clone()
    }

    fn __len__(&self) -> usize {
        self.inner.pending.len()
    }
}
