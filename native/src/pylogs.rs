//! The events of the other hot on-disk logs (filter.log, operations.log, audit.log)
//! as Python objects: the classes come from Python (`events.Connection`,
//! `ServerNotice`, `MailboxOperation`, `LoginSucceeded`), the fields from the parsers
//! in `control.rs`, `ops.rs` and `audit.rs`. A line those parsers leave to Python
//! (unparsed, deferred or not theirs) gets no event: Python's parser reads it.

use pyo3::IntoPyObjectExt;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::audit::{self, Audit};
use crate::control::{self, Control};
use crate::ops::{self, Ops};

/// Which parser the core runs on a log's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mail,
    Control,
    Operations,
    Audit,
    /// Python parses every line.
    None,
}

impl Kind {
    pub fn of(log: Option<&str>) -> Self {
        match log {
            Some("mail") => Kind::Mail,
            Some("control") => Kind::Control,
            Some("operations") => Kind::Operations,
            Some("audit") => Kind::Audit,
            _ => Kind::None,
        }
    }
}

/// `Connection`, `ServerNotice`, `MailboxOperation`, `LoginSucceeded`.
pub struct Others {
    pub conn: Py<PyAny>,
    pub notice: Py<PyAny>,
    pub op: Py<PyAny>,
    pub login: Py<PyAny>,
}

/// What the core made of a line: an event's class and arguments, or why none.
pub enum Built<'py> {
    Event(Bound<'py, PyAny>),
    Unparsed(&'static str),
    Defer,
    Other,
}

impl Others {
    pub fn from_tuple(classes: &Bound<'_, PyTuple>) -> PyResult<Self> {
        Ok(Self {
            conn: classes.get_item(0)?.unbind(),
            notice: classes.get_item(1)?.unbind(),
            op: classes.get_item(2)?.unbind(),
            login: classes.get_item(3)?.unbind(),
        })
    }

    /// The event of a non-mail line, or `None` for Python to parse it.
    pub fn event<'py>(
        &self,
        py: Python<'py>,
        kind: Kind,
        message: &str,
        ts: i64,
        raw: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(match self.build(py, kind, message, ts, raw)? {
            Built::Event(e) => Some(e),
            _ => None,
        })
    }

    pub fn build<'py>(
        &self,
        py: Python<'py>,
        kind: Kind,
        message: &str,
        ts: i64,
        raw: &Bound<'py, PyString>,
    ) -> PyResult<Built<'py>> {
        let ts = ts.into_bound_py_any(py)?;
        let raw = raw.clone().into_any();
        Ok(match kind {
            Kind::Control => match control::parse(message) {
                Control::Conn(c) => {
                    let log = intern!(py, "control").clone().into_any();
                    let args = PyTuple::new(
                        py,
                        [
                            ts,
                            log,
                            raw,
                            PyString::intern(py, c.action).into_any(),
                            c.protocol.as_deref().into_bound_py_any(py)?,
                            c.source.into_bound_py_any(py)?,
                            c.destination.into_bound_py_any(py)?,
                            c.source_port.into_bound_py_any(py)?,
                            c.destination_port.into_bound_py_any(py)?,
                            c.interface.into_bound_py_any(py)?,
                            c.direction.into_bound_py_any(py)?,
                            c.rule.into_bound_py_any(py)?,
                        ],
                    )?;
                    Built::Event(self.conn.bind(py).call1(args)?)
                }
                Control::Notice { topic, detail } => {
                    let log = intern!(py, "control").clone().into_any();
                    let args = (ts, log, raw, topic, py.None(), detail);
                    Built::Event(self.notice.bind(py).call1(args)?)
                }
                Control::Unparsed(reason) => Built::Unparsed(reason),
                Control::Defer => Built::Defer,
                Control::Other => Built::Other,
            },
            Kind::Operations => match ops::parse(message) {
                Ops::Op(o) => {
                    let log = intern!(py, "operations").clone().into_any();
                    let args = PyTuple::new(
                        py,
                        [
                            ts,
                            log,
                            raw,
                            o.action.into_bound_py_any(py)?,
                            o.protocol.into_bound_py_any(py)?,
                            o.user.as_deref().into_bound_py_any(py)?,
                            o.source.into_bound_py_any(py)?,
                            o.folder.into_bound_py_any(py)?,
                            o.destination.into_bound_py_any(py)?,
                            o.sender.as_deref().into_bound_py_any(py)?,
                            o.subject.as_deref().into_bound_py_any(py)?,
                            o.msg_id.into_bound_py_any(py)?,
                            o.items.into_bound_py_any(py)?,
                        ],
                    )?;
                    Built::Event(self.op.bind(py).call1(args)?)
                }
                Ops::Unparsed(reason) => Built::Unparsed(reason),
                Ops::Defer => Built::Defer,
                Ops::Other => Built::Other,
            },
            Kind::Audit => match audit::parse(message) {
                Audit::Login(l) => {
                    let log = intern!(py, "audit").clone().into_any();
                    let args = (ts, log, raw, l.protocol, &*l.user, l.source, l.user_agent);
                    Built::Event(self.login.bind(py).call1(args)?)
                }
                Audit::Unparsed(reason) => Built::Unparsed(reason),
                Audit::Defer => Built::Defer,
                Audit::Other => Built::Other,
            },
            Kind::Mail | Kind::None => Built::Other,
        })
    }
}

/// One message of a non-mail log through the core's parser, for differential tests:
/// `("event", event)`, `("unparsed", reason)`, `("defer",)` or `("other",)`.
/// `classes`: `(Connection, ServerNotice, MailboxOperation, LoginSucceeded)`.
#[pyfunction]
pub fn parse_log<'py>(
    py: Python<'py>,
    log: &str,
    message: &str,
    ts: i64,
    raw: &Bound<'py, PyString>,
    classes: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyTuple>> {
    let others = Others::from_tuple(classes)?;
    match others.build(py, Kind::of(Some(log)), message, ts, raw)? {
        Built::Event(e) => ("event", e).into_pyobject(py),
        Built::Unparsed(reason) => ("unparsed", reason).into_pyobject(py),
        Built::Defer => ("defer",).into_pyobject(py),
        Built::Other => ("other",).into_pyobject(py),
    }
}
