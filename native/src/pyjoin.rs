//! The Queue-ID join as the native engine's message tracker: the interface of
//! `enrich/messages.py`'s `MessageTracker` (`received(event, account)`,
//! `delivered(event)`, `pending`, `dump`, `restore`, `forget_before`, and `messages`
//! with `get`, `in` and `clear`) on the core's join (`join.rs`). It keeps the
//! [`QidSet`] the readers consult in step itself, with no Python call per message.

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyList, PyString};

use crate::join::{MessageState, QueueJoin as CoreJoin};
use crate::py::QidSet;

/// One queued message as the detectors read it: `MessageState`'s fields, as they
/// were when it was asked for.
#[pyclass(module = "kerio_watch._native", frozen)]
pub struct QueuedMessage {
    #[pyo3(get)]
    ts: i64,
    #[pyo3(get)]
    account: Option<Py<PyString>>,
    #[pyo3(get)]
    sender: Py<PyString>,
    #[pyo3(get)]
    accepted: u64,
    #[pyo3(get)]
    delivered: u64,
    #[pyo3(get)]
    failed: u64,
    #[pyo3(get)]
    delayed: u64,
    final_: Vec<String>,
}

impl QueuedMessage {
    fn of(py: Python<'_>, names: &mut Names, st: &MessageState) -> Self {
        Self {
            ts: st.ts,
            account: st.account.as_deref().map(|a| names.get(py, a)),
            sender: names.get(py, &st.sender),
            accepted: st.accepted,
            delivered: st.delivered,
            failed: st.failed,
            delayed: st.delayed,
            final_: st.final_.iter().cloned().collect(),
        }
    }
}

#[pymethods]
impl QueuedMessage {
    /// The recipients with a final delivery or failure (a set, as `MessageState`'s).
    #[getter(r#final)]
    fn final_set(&self) -> std::collections::HashSet<String> {
        self.final_.iter().cloned().collect()
    }
}

/// The text of a `str` attribute of an event.
fn text<'py>(
    event: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyString>> {
    Ok(event.getattr(name)?.cast_into::<PyString>()?)
}

/// Python's `int(value)` as a Rust integer (out of range: `ValueError`).
fn int<'py, T: for<'a> FromPyObject<'a, 'py>>(value: &Bound<'py, PyAny>) -> PyResult<T> {
    let n = value.py().get_type::<PyInt>().call1((value,))?;
    n.extract::<T>()
        .map_err(|_| PyValueError::new_err("a saved message's number is out of range"))
}

/// One Python string per account or sender asked for (a site has few), so a looked-up
/// message costs no string.
#[derive(Default)]
struct Names(HashMap<String, Py<PyString>>);

impl Names {
    fn get(&mut self, py: Python<'_>, name: &str) -> Py<PyString> {
        if let Some(s) = self.0.get(name) {
            return s.clone_ref(py);
        }
        if self.0.len() >= 4096 {
            self.0.clear();
        }
        let s = PyString::new(py, name).unbind();
        self.0.insert(name.to_owned(), s.clone_ref(py));
        s
    }
}

/// `MessageTracker` on the core's join; `ids`, when given, mirrors its Queue-IDs.
#[pyclass(module = "kerio_watch._native", name = "QueueJoin")]
pub struct PyQueueJoin {
    join: CoreJoin,
    ids: Option<Py<QidSet>>,
    names: Names,
}

impl PyQueueJoin {
    /// Bring the mirror in step: `added` joined, the forgotten messages left.
    fn mirror(&mut self, py: Python<'_>, added: &[&str]) -> PyResult<()> {
        let Some(ids) = &self.ids else {
            return Ok(());
        };
        let mut ids = ids.bind(py).try_borrow_mut()?;
        for qid in added {
            ids.ids.insert((*qid).to_owned());
        }
        for qid in self.join.dropped.drain(..) {
            ids.ids.remove(&qid);
        }
        Ok(())
    }
}

#[pymethods]
impl PyQueueJoin {
    #[new]
    #[pyo3(signature = (limit=100_000, ids=None))]
    fn new(limit: usize, ids: Option<Py<QidSet>>) -> Self {
        let mut join = CoreJoin::new(limit);
        join.keep_dropped = ids.is_some();
        Self {
            join,
            ids,
            names: Names::default(),
        }
    }

    /// A `Recv:` line (`MessageReceived`); true when it is the message's first.
    fn received(
        &mut self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        account: Option<&str>,
    ) -> PyResult<bool> {
        let qid = text(event, intern!(py, "queue_id"))?;
        let qid = qid.to_str()?;
        let sender = text(event, intern!(py, "sender"))?;
        let ts: i64 = event.getattr(intern!(py, "ts"))?.extract()?;
        let n = event.getattr(intern!(py, "recipients"))?.len()? as u64;
        let new = self.join.received(qid, ts, account, sender.to_str()?, n);
        if new {
            self.mirror(py, &[qid])?;
        }
        Ok(new)
    }

    /// A `Sent:` line (`MessageDelivery`); whether the join holds its message (the
    /// pipeline asks for the message itself with `get`, where it needs it).
    fn delivered(&mut self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        let qid = text(event, intern!(py, "queue_id"))?;
        let result = text(event, intern!(py, "result"))?;
        let recipient = text(event, intern!(py, "recipient"))?;
        let status = event.getattr(intern!(py, "status"))?;
        let status = if status.is_none() {
            None
        } else {
            Some(status.cast_into::<PyString>()?)
        };
        let status = status.as_ref().map(|s| s.to_str()).transpose()?;
        let result = result.to_str()?;
        // `MessageDelivery.is_failure`
        let failure = matches!(result, "failed" | "bounced" | "rejected")
            || status.is_some_and(|s| s.starts_with('5'));
        let state =
            self.join
                .delivered(qid.to_str()?, result, status, recipient.to_str()?, failure);
        Ok(state.is_some())
    }

    /// The join as `MessageTracker.messages` (`get`, `in`, `clear`, `len`).
    #[getter]
    fn messages(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// The message of a Queue-ID, if the join holds it.
    fn get(&mut self, py: Python<'_>, qid: &str) -> Option<QueuedMessage> {
        let st = self.join.get(qid)?;
        Some(QueuedMessage::of(py, &mut self.names, st))
    }

    /// `(Queue-ID, message)` accepted before `older_than` with recipients not final.
    fn pending(&mut self, py: Python<'_>, older_than: i64) -> Vec<(String, QueuedMessage)> {
        let names = &mut self.names;
        let join = &self.join;
        join.pending(older_than)
            .into_iter()
            .map(|q| {
                let st = join.get(q).expect("held");
                (q.to_owned(), QueuedMessage::of(py, names, st))
            })
            .collect()
    }
    /// As `MessageTracker.dump`: rows of lists, the final recipients sorted.
    #[pyo3(signature = (now, max_age=7200, limit=20_000))]
    fn dump<'py>(
        &self,
        py: Python<'py>,
        now: i64,
        max_age: i64,
        limit: usize,
    ) -> PyResult<Vec<Bound<'py, PyList>>> {
        self.join
            .dump(now, max_age, limit)
            .into_iter()
            .map(|(qid, st)| {
                let row = PyList::empty(py);
                row.append(qid)?;
                row.append(st.ts)?;
                row.append(st.account.as_deref())?;
                row.append(&st.sender)?;
                row.append(st.accepted)?;
                row.append(st.delivered)?;
                row.append(st.failed)?;
                row.append(st.delayed)?;
                row.append(st.final_.iter().collect::<Vec<_>>())?;
                Ok(row)
            })
            .collect()
    }

    /// Add the messages `dump` saved, in their order (as `MessageTracker.restore`:
    /// `str()` of the Queue-ID, `int()` of the numbers).
    fn restore(&mut self, py: Python<'_>, rows: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut out = Vec::new();
        for row in rows.try_iter()? {
            let items: Vec<Bound<'_, PyAny>> = row?.try_iter()?.collect::<PyResult<_>>()?;
            let [
                qid,
                ts,
                account,
                sender,
                accepted,
                delivered,
                failed,
                delayed,
                final_,
            ] = <[Bound<'_, PyAny>; 9]>::try_from(items).map_err(|items| {
                PyValueError::new_err(format!("a saved message has {} fields, not 9", items.len()))
            })?;
            let final_ = final_
                .try_iter()?
                .map(|r| r?.extract::<String>())
                .collect::<PyResult<_>>()?;
            let state = MessageState {
                ts: int(&ts)?,
                account: account.extract()?,
                sender: sender.extract()?,
                accepted: int(&accepted)?,
                delivered: int(&delivered)?,
                failed: int(&failed)?,
                delayed: int(&delayed)?,
                final_,
            };
            out.push((qid.str()?.to_str()?.to_owned(), state));
        }
        let added: Vec<String> = out.iter().map(|(q, _)| q.clone()).collect();
        self.join.restore(out);
        self.mirror(py, &added.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Drop messages older than `ts`.
    fn forget_before(&mut self, py: Python<'_>, ts: i64) -> PyResult<()> {
        self.join.forget_before(ts);
        self.mirror(py, &[])
    }

    /// Forget every message (and the mirror's Queue-IDs).
    fn clear(&mut self, py: Python<'_>) -> PyResult<()> {
        self.join.clear();
        self.join.dropped.clear();
        if let Some(ids) = &self.ids {
            ids.bind(py).try_borrow_mut()?.ids.clear();
        }
        Ok(())
    }

    #[getter]
    fn evicted(&self) -> u64 {
        self.join.evicted
    }

    #[getter]
    fn limit(&self) -> usize {
        self.join.limit
    }

    fn __len__(&self) -> usize {
        self.join.len()
    }

    fn __contains__(&self, qid: &str) -> bool {
        self.join.contains(qid)
    }
}
