//! `kerio_watch._native.Correspondents`: the learner's per-recipient work for an
//! inbound message (Python's reference: `kerio_watch.detect.correspondents`).
//!
//! For each recipient whose domain (after its last `@`) is a local domain or an
//! alias domain, the sender is noted in the recipient's profile's correspondents at
//! the message's time and the account is marked changed. The objects are the
//! context's own (its local domains, aliases, profiles, `profile` and changed set),
//! read live at every call, so a domain learned or a profile made or loaded in
//! Python is seen as Python's loop would see it. A profile's book of the core is
//! written directly (the sender's key computed once a message); any other book is
//! asked through its `see` method.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySet, PyString};

use crate::pybook::{PyBook, key_of_str};

/// What `rcpt.rpartition("@")[2]` gives.
fn domain_of<'py>(rcpt: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = rcpt.py();
    if let Ok(text) = rcpt.cast::<PyString>()
        && let Ok(s) = text.to_str()
    {
        return Ok(match s.rfind('@') {
            Some(at) => PyString::new(py, &s[at + 1..]).into_any(),
            None => rcpt.clone(),
        });
    }
    rcpt.call_method1(intern!(py, "rpartition"), ("@",))?
        .get_item(2)
}

/// The learner's correspondents of inbound mail over the context's objects.
#[pyclass(module = "kerio_watch._native", name = "Correspondents")]
pub struct PyCorrespondents {
    local: Py<PyAny>,
    aliases: Py<PyAny>,
    profiles: Py<PyDict>,
    profile: Py<PyAny>,
    dirty: Py<PySet>,
}

#[pymethods]
impl PyCorrespondents {
    #[new]
    fn new(
        local: Py<PyAny>,
        aliases: Py<PyAny>,
        profiles: Py<PyDict>,
        profile: Py<PyAny>,
        dirty: Py<PySet>,
    ) -> Self {
        Self {
            local,
            aliases,
            profiles,
            profile,
            dirty,
        }
    }

    /// Note `sender` as a correspondent of each local recipient at `ts`.
    fn learn(
        &self,
        py: Python<'_>,
        recipients: &Bound<'_, PyAny>,
        sender: &Bound<'_, PyString>,
        ts: i64,
    ) -> PyResult<()> {
        let local = self.local.bind(py);
        let aliases = self.aliases.bind(py);
        let profiles = self.profiles.bind(py);
        let dirty = self.dirty.bind(py);
        let mut key: Option<i64> = None;
        for rcpt in recipients.try_iter()? {
            let rcpt = rcpt?;
            let domain = domain_of(&rcpt)?;
            if !(local.contains(&domain)? || aliases.contains(&domain)?) {
                continue;
            }
            let prof = match profiles.get_item(&rcpt)? {
                Some(prof) if prof.is_truthy()? => prof,
                _ => self.profile.bind(py).call1((&rcpt,))?,
            };
            let book = prof.getattr(intern!(py, "correspondents"))?;
            match book.cast::<PyBook>() {
                Ok(native) => {
                    let key = match key {
                        Some(key) => key,
                        None => *key.insert(key_of_str(sender)?),
                    };
                    native.try_borrow_mut()?.see_key(key, ts);
                }
                Err(_) => {
                    book.call_method1(intern!(py, "see"), (sender, ts))?;
                }
            }
            dirty.add(&rcpt)?;
        }
        Ok(())
    }
}
