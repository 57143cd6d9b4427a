//! The events of the other hot on-disk logs (filter.log, operations.log, audit.log)
//! as Python objects: the classes come from Python (`events.Connection`,
//! `ServerNotice`, `MailboxOperation`, `LoginSucceeded`), the fields from the parsers
//! in `control.rs`, `ops.rs` and `audit.rs`. A line those parsers leave to Python
//! (unparsed, deferred or not theirs) gets no event: Python's parser reads it.

use pyo3::IntoPyObjectExt;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::audit;
use crate::control::{self, Line};
use crate::ops;
use crate::parsed::Parsed;

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

/// What the core made of a line: its event, or why none.
pub type Built<'py> = Parsed<Bound<'py, PyAny>>;

impl Others {
    pub fn from_tuple(classes: &Bound<'_, PyTuple>) -> PyResult<Self> {
        Ok(Self {
            conn: classes.get_item(0)?.unbind(),
            notice: classes.get_item(1)?.unbind(),
            op: classes.get_item(2)?.unbind(),
            login: classes.get_item(3)?.unbind(),
        })
    }

    /// What the core makes of a non-mail line: its event, or why none (then Python's
    /// parser reads the line).
    pub fn build<'py>(
        &self,
        py: Python<'py>,
        kind: Kind,
        message: &str,
        ts: i64,
        raw: &Bound<'py, PyString>,
    ) -> PyResult<Built<'py>> {
        let call = |class: &Py<PyAny>, log: &Bound<'py, PyString>, fields: Fields<'py>| {
            let mut args = Vec::with_capacity(3 + fields.len());
            args.extend([ts.into_bound_py_any(py)?, log.clone().into_any()]);
            args.push(raw.clone().into_any());
            args.extend(fields);
            class.bind(py).call1(PyTuple::new(py, args)?)
        };
        match kind {
            Kind::Control => control::parse(message).try_map(|line| match line {
                Line::Conn(c) => call(
                    &self.conn,
                    intern!(py, "control"),
                    vec![
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
                ),
                Line::Notice { topic, detail } => call(
                    &self.notice,
                    intern!(py, "control"),
                    vec![
                        topic.into_bound_py_any(py)?,
                        py.None().into_bound(py),
                        detail.into_bound_py_any(py)?,
                    ],
                ),
            }),
            Kind::Operations => ops::parse(message).try_map(|o| {
                call(
                    &self.op,
                    intern!(py, "operations"),
                    vec![
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
                )
            }),
            Kind::Audit => audit::parse(message).try_map(|l| {
                call(
                    &self.login,
                    intern!(py, "audit"),
                    vec![
                        l.protocol.into_bound_py_any(py)?,
                        (&*l.user).into_bound_py_any(py)?,
                        l.source.into_bound_py_any(py)?,
                        l.user_agent.into_bound_py_any(py)?,
                    ],
                )
            }),
            Kind::Mail | Kind::None => Ok(Built::Other),
        }
    }
}

/// An event's arguments after `(ts, log, raw)`.
type Fields<'py> = Vec<Bound<'py, PyAny>>;

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
        Parsed::Event(e) => ("event", e).into_pyobject(py),
        Parsed::Unparsed(reason) => ("unparsed", reason).into_pyobject(py),
        Parsed::Defer => ("defer",).into_pyobject(py),
        Parsed::Other => ("other",).into_pyobject(py),
    }
}
