//! The mail server's side of `direct_smtp`: Kerio's own outbound deliveries, the tally
//! of each LAN address's outbound SMTP connections, and the inference of the mail
//! server's addresses.
//!
//! The same state as `kerio_watch/detect/smtp_hosts.py`'s `MailServers`, with the same
//! answers and the same saved form: each table keeps its keys in the order Python's
//! `dict` keeps them (first insertion; a key deleted and added again goes last), so the
//! saved JSON is the same, key for key.

use std::collections::HashMap;

/// Seconds in an hour (deliveries older than an hour are forgotten).
pub const HOUR: i64 = 3600;
/// Remote hosts kept before a new one sets off a prune.
pub const MAX_DELIVERY_HOSTS: usize = 50_000;
/// Outside addresses that must reach a LAN machine on port 25 before it counts as an MX.
pub const INBOUND_SOURCES: usize = 3;
/// Outbound SMTP connections, none of them Kerio's, after which a machine is judged at once.
pub const PROVEN: i64 = 3;

/// A map that iterates in the order of first insertion, like Python's `dict`.
#[derive(Debug, Clone)]
pub struct Ordered<V> {
    index: HashMap<String, usize>,
    items: Vec<(String, V)>,
}

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Self {
            index: HashMap::new(),
            items: Vec::new(),
        }
    }
}

impl<V> Ordered<V> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.index.get(key).map(|&i| &self.items[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        match self.index.get(key) {
            Some(&i) => Some(&mut self.items[i].1),
            None => None,
        }
    }

    /// Set `key` (a new key goes last, an existing one keeps its place).
    pub fn insert(&mut self, key: &str, value: V) -> &mut V {
        let i = match self.index.get(key) {
            Some(&i) => {
                self.items[i].1 = value;
                i
            }
            None => {
                self.index.insert(key.to_owned(), self.items.len());
                self.items.push((key.to_owned(), value));
                self.items.len() - 1
            }
        };
        &mut self.items[i].1
    }

    /// The value of `key`, inserted (last) by `make` when it is missing.
    pub fn entry(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.to_owned(), self.items.len());
                self.items.push((key.to_owned(), make()));
                self.items.len() - 1
            }
        };
        &mut self.items[i].1
    }

    /// Keep the items `keep` says to keep (it may change them), in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&mut V) -> bool) {
        self.items.retain_mut(|(_, v)| keep(v));
        self.index.clear();
        for (i, (k, _)) in self.items.iter().enumerate() {
            self.index.insert(k.clone(), i);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.items.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn clear(&mut self) {
        self.index.clear();
        self.items.clear();
    }
}

/// `1234567` as `1,234,567` (Python's `f"{n:,}"`).
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Why an address was inferred to be the mail server, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    pub since: i64,
    pub why: String,
}

/// Kerio's outbound deliveries and the mail server's inferred addresses.
#[derive(Debug, Clone, Default)]
pub struct MailServers {
    pub need_matches: i64,
    pub need_share: f64,
    /// Remote host -> log times Kerio delivered (or tried) to it, oldest first.
    pub deliveries: Ordered<Vec<i64>>,
    /// LAN address -> [connections matching a delivery, outbound SMTP connections].
    pub tally: Ordered<[i64; 2]>,
    /// LAN address -> outside addresses that connected to it on port 25.
    pub inbound: Ordered<Vec<String>>,
    /// LAN address -> since when and why it is a mail server.
    pub inferred: Ordered<Inferred>,
}

impl MailServers {
    pub fn new(matches: i64, share: f64) -> Self {
        Self {
            need_matches: matches,
            need_share: share,
            ..Self::default()
        }
    }

    /// Kerio's mail.log says it delivered to `remote` at `ts`.
    pub fn delivered(&mut self, remote: &str, ts: i64) {
        if !self.deliveries.contains(remote) && self.deliveries.len() >= MAX_DELIVERY_HOSTS {
            self.prune(ts);
        }
        let times = self.deliveries.entry(remote, Vec::new);
        match times.last() {
            Some(&last) if ts < last => {
                let at = times.partition_point(|&t| t <= ts); // bisect.insort (right)
                times.insert(at, ts);
            }
            _ => times.push(ts),
        }
        if times.len() > 256 {
            times.drain(..128);
        }
    }

    /// Whether Kerio delivered to `remote` between `start` and `end`.
    pub fn kerio_delivered(&self, remote: &str, start: i64, end: i64) -> bool {
        match self.deliveries.get(remote) {
            Some(times) => {
                let i = times.partition_point(|&t| t < start); // bisect_left
                i < times.len() && times[i] <= end
            }
            None => false,
        }
    }

    /// Count one outbound SMTP connection of `host`; true once it is inferred.
    pub fn outbound(&mut self, host: &str, matched: bool, ts: i64, infer: bool) -> bool {
        let tally = self.tally.entry(host, || [0, 0]);
        tally[0] += i64::from(matched);
        tally[1] += 1;
        let [hits, total] = *tally;
        if !infer {
            return false;
        }
        if self.inferred.contains(host) {
            return true;
        }
        // Python compares the integer with the float exactly; both are far below 2**53.
        if hits >= self.need_matches && (hits as f64) >= self.need_share * (total as f64) {
            let why = format!(
                "{} of its {} SMTP connections carried Kerio's deliveries",
                thousands(hits),
                thousands(total)
            );
            self.inferred.insert(host, Inferred { since: ts, why });
            return true;
        }
        false
    }

    /// A connection of `host` to `remote` at `ts`, settled: whether it carried Kerio's
    /// mail (a delivery to `remote` between `start` and `end`) or `host` is the mail
    /// server, counting it in the tally (`outbound`) either way.
    pub fn carried(
        &mut self,
        host: &str,
        remote: &str,
        ts: i64,
        start: i64,
        end: i64,
        infer: bool,
    ) -> bool {
        let matched = self.kerio_delivered(remote, start, end);
        self.outbound(host, matched, ts, infer) || matched
    }

    /// `host` made [`PROVEN`] outbound SMTP connections and none carried Kerio's mail.
    pub fn carries_no_kerio_mail(&self, host: &str) -> bool {
        matches!(self.tally.get(host), Some(&[0, total]) if total >= PROVEN)
    }

    /// An outside address connected to `host` on port 25; true once it is inferred.
    pub fn received(&mut self, host: &str, source: &str, ts: i64) -> bool {
        if self.inferred.contains(host) {
            return true;
        }
        let sources = self.inbound.entry(host, Vec::new);
        if !sources.iter().any(|s| s == source) {
            sources.push(source.to_owned());
            if sources.len() > 64 {
                sources.drain(..32);
            }
        }
        let n = sources.len();
        if n >= INBOUND_SOURCES {
            let why = format!("it accepts SMTP from the internet ({n} outside senders)");
            self.inferred.insert(host, Inferred { since: ts, why });
            return true;
        }
        false
    }

    /// Forget deliveries older than an hour.
    pub fn prune(&mut self, now: i64) {
        let edge = now - HOUR;
        self.deliveries.retain(|times| {
            let i = times.partition_point(|&t| t < edge);
            if i >= times.len() {
                return false;
            }
            times.drain(..i);
            true
        });
    }

    /// The deliveries of the last hour (for saving): remote hosts with a time after
    /// `now - HOUR`, and those times.
    pub fn recent_deliveries(&self, now: i64) -> Vec<(&str, Vec<i64>)> {
        let edge = now - HOUR;
        self.deliveries
            .iter()
            .filter(|(_, times)| times.last().is_some_and(|&t| t > edge))
            .map(|(r, times)| (r, times.iter().copied().filter(|&t| t > edge).collect()))
            .collect()
    }

    /// Take back saved state: deliveries added one by one, the other tables replaced.
    pub fn load(
        &mut self,
        deliveries: Vec<(String, Vec<i64>)>,
        tally: Vec<(String, i64, i64)>,
        inbound: Vec<(String, Vec<String>)>,
        inferred: Vec<(String, i64, String)>,
    ) {
        for (remote, times) in deliveries {
            for t in times {
                self.delivered(&remote, t);
            }
        }
        self.tally.clear();
        for (host, hits, total) in tally {
            self.tally.insert(&host, [hits, total]);
        }
        self.inbound.clear();
        for (host, sources) in inbound {
            self.inbound.insert(&host, sources);
        }
        self.inferred.clear();
        for (host, since, why) in inferred {
            self.inferred.insert(&host, Inferred { since, why });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_like_python() {
        for (n, text) in [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1,000"),
            (37588, "37,588"),
            (1234567, "1,234,567"),
            (-1234, "-1,234"),
            (i64::MIN, "-9,223,372,036,854,775,808"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }

    #[test]
    fn deliveries_stay_sorted_and_bounded() {
        let mut m = MailServers::new(5, 0.6);
        for t in [10, 5, 7, 7, 20, 1] {
            m.delivered("r", t);
        }
        assert_eq!(m.deliveries.get("r").unwrap(), &vec![1, 5, 7, 7, 10, 20]);
        assert!(m.kerio_delivered("r", 6, 7));
        assert!(!m.kerio_delivered("r", 11, 19));
        assert!(!m.kerio_delivered("x", 0, 100));
        for t in 0..300 {
            m.delivered("s", t);
        }
        let s = m.deliveries.get("s").unwrap();
        assert!(s.len() <= 256 && s.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_pruned_host_comes_back_last() {
        let mut m = MailServers::new(5, 0.6);
        m.delivered("a", 0);
        m.delivered("b", 5000);
        m.prune(5000);
        assert!(!m.deliveries.contains("a"));
        m.delivered("a", 5001);
        let order: Vec<&str> = m.deliveries.iter().map(|(k, _)| k).collect();
        assert_eq!(order, vec!["b", "a"]);
        assert_eq!(m.recent_deliveries(5001 + HOUR - 1).len(), 1);
    }

    #[test]
    fn the_mail_server_is_inferred_from_its_matches() {
        let mut m = MailServers::new(5, 0.6);
        for i in 0..4 {
            assert!(!m.outbound("h", true, i, true));
        }
        assert!(m.outbound("h", true, 4, true));
        assert_eq!(
            m.inferred.get("h").unwrap().why,
            "5 of its 5 SMTP connections carried Kerio's deliveries"
        );
        for i in 0..3 {
            assert!(!m.outbound("pc", false, i, true));
        }
        assert!(m.carries_no_kerio_mail("pc") && !m.carries_no_kerio_mail("h"));
        assert!(!m.received("mx", "1.1.1.1", 0) && !m.received("mx", "1.1.1.1", 1));
        assert!(!m.received("mx", "2.2.2.2", 2) && m.received("mx", "3.3.3.3", 3));
    }
}
