//! `kerio_watch._native.MailServers`: [`MailServers`] with the methods of Python's
//! `kerio_watch.detect.smtp_hosts.MailServers` (a native run's `direct_smtp` keeps the
//! mail server's side of its connection state here), and `SmtpNets`: [`SmtpNets`] with the
//! methods of Python's `kerio_watch.detect.smtp_hosts_nets.SmtpNets` (its address tests).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::smtp::MailServers;
use crate::smtpnet::{Prefixes, SmtpNets};

/// Kerio's outbound deliveries, each LAN address's outbound SMTP tally and the mail
/// server's inferred addresses.
#[pyclass(module = "kerio_watch._native", name = "MailServers")]
pub struct PyMailServers {
    pub(crate) inner: MailServers,
}

#[pymethods]
impl PyMailServers {
    #[new]
    fn new(matches: i64, share: f64) -> Self {
        Self {
            inner: MailServers::new(matches, share),
        }
    }

    #[getter]
    fn need_matches(&self) -> i64 {
        self.inner.need_matches
    }

    #[getter]
    fn need_share(&self) -> f64 {
        self.inner.need_share
    }

    /// LAN address -> `{"since": log time, "why": text}` (a copy).
    #[getter]
    fn inferred<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (host, inferred) in self.inner.inferred.iter() {
            let entry = PyDict::new(py);
            entry.set_item("since", inferred.since)?;
            entry.set_item("why", &inferred.why)?;
            out.set_item(host, entry)?;
        }
        Ok(out)
    }

    /// Kerio's mail.log says it delivered to `remote` at `ts`.
    fn delivered(&mut self, remote: &str, ts: i64) {
        self.inner.delivered(remote, ts);
    }

    /// Whether Kerio delivered to `remote` between `start` and `end`.
    fn kerio_delivered(&self, remote: &str, start: i64, end: i64) -> bool {
        self.inner.kerio_delivered(remote, start, end)
    }

    /// Count one outbound SMTP connection of `host`; true once it is inferred.
    #[pyo3(signature = (host, matched, ts, infer = true))]
    fn outbound(&mut self, host: &str, matched: bool, ts: i64, infer: bool) -> bool {
        self.inner.outbound(host, matched, ts, infer)
    }

    /// A settled connection: whether it carried Kerio's mail or `host` is the mail
    /// server (counted in the tally either way).
    fn carried(
        &mut self,
        host: &str,
        remote: &str,
        ts: i64,
        start: i64,
        end: i64,
        infer: bool,
    ) -> bool {
        self.inner.carried(host, remote, ts, start, end, infer)
    }

    /// `host` made three outbound SMTP connections and none carried Kerio's mail.
    fn carries_no_kerio_mail(&self, host: &str) -> bool {
        self.inner.carries_no_kerio_mail(host)
    }

    /// An outside address connected to `host` on port 25; true once it is inferred.
    fn received(&mut self, host: &str, source: &str, ts: i64) -> bool {
        self.inner.received(host, source, ts)
    }

    /// Forget deliveries older than an hour.
    fn prune(&mut self, now: i64) {
        self.inner.prune(now);
    }

    /// For saving: deliveries of the last hour, tallies, inbound evidence, inferences.
    fn dump<'py>(&self, py: Python<'py>, now: i64) -> PyResult<Bound<'py, PyDict>> {
        let deliveries = PyDict::new(py);
        for (remote, times) in self.inner.recent_deliveries(now) {
            deliveries.set_item(remote, PyList::new(py, times)?)?;
        }
        let tally = PyDict::new(py);
        for (host, counts) in self.inner.tally.iter() {
            tally.set_item(host, PyList::new(py, counts)?)?;
        }
        let inbound = PyDict::new(py);
        for (host, sources) in self.inner.inbound.iter() {
            inbound.set_item(host, PyList::new(py, sources)?)?;
        }
        let out = PyDict::new(py);
        out.set_item("deliveries", deliveries)?;
        out.set_item("tally", tally)?;
        out.set_item("inbound", inbound)?;
        out.set_item("inferred", self.inferred(py)?)?;
        Ok(out)
    }

    /// Take back saved state, read by Python's `saved_mail` (deliveries added one by
    /// one, the other tables replaced).
    fn load(
        &mut self,
        deliveries: Vec<(String, Vec<i64>)>,
        tally: Vec<(String, i64, i64)>,
        inbound: Vec<(String, Vec<String>)>,
        inferred: Vec<(String, i64, String)>,
    ) {
        self.inner.load(deliveries, tally, inbound, inferred);
    }
}

/// The trusted networks, `[firewall]`'s exclusions and the benign machines.
#[pyclass(module = "kerio_watch._native", name = "SmtpNets")]
pub struct PySmtpNets {
    pub(crate) inner: SmtpNets,
    /// Python's answer for a text that is no dotted quad.
    pub(crate) ask: Py<PyAny>,
}

pub(crate) fn asker<'py>(
    py: Python<'py>,
    ask: &'py Py<PyAny>,
) -> impl FnMut(&str) -> PyResult<u8> + 'py {
    move |host: &str| ask.bind(py).call1((host,))?.extract::<u8>()
}

#[pymethods]
impl PySmtpNets {
    /// Each table as `(network address, prefix length)` pairs of its IPv4 networks;
    /// `ask(host)` answers for any other text.
    #[new]
    fn new(
        trusted: Vec<(u32, u8)>,
        servers: Vec<(u32, u8)>,
        relays: Vec<(u32, u8)>,
        allowed: Vec<(u32, u8)>,
        ask: Py<PyAny>,
    ) -> Self {
        Self {
            inner: SmtpNets {
                trusted: Prefixes::new(&trusted),
                servers: Prefixes::new(&servers),
                relays: Prefixes::new(&relays),
                allowed: Prefixes::new(&allowed),
                ..SmtpNets::default()
            },
            ask,
        }
    }

    /// The answers for `host` (the bits `LAN`, `EXTERNAL`, `FROM_EXCLUDED`,
    /// `TO_EXCLUDED`).
    fn classify(&mut self, py: Python<'_>, host: &str) -> PyResult<u8> {
        self.inner.classify(host, &mut asker(py, &self.ask))
    }

    /// A connection from `host` to `dst` is not counted.
    fn excluded(&mut self, py: Python<'_>, host: &str, dst: &str) -> PyResult<bool> {
        self.inner.excluded(host, dst, &mut asker(py, &self.ask))
    }

    /// The machines an administrator marked benign (replaced).
    fn set_benign(&mut self, hosts: Vec<String>) {
        self.inner.benign = hosts.into_iter().collect();
    }

    /// The machines marked benign, sorted.
    #[getter]
    fn benign(&self) -> Vec<String> {
        let mut out: Vec<String> = self.inner.benign.iter().cloned().collect();
        out.sort();
        out
    }
}
