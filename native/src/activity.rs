//! Hourly activity counts per (hour, account, kind, key), as Python's
//! `kerio_watch.store.activity.ActivityRecorder` sums them before a batch goes to
//! the state database.
//!
//! Texts are bytes: the UTF-8 of a Python string, or (a string with lone
//! surrogates) what `str.encode("utf-8", "surrogatepass")` gives, which no valid
//! UTF-8 text shares, so two strings share a row exactly when Python's tuples are
//! equal. Rows keep the order of their first count, as a Python dict does.

use std::collections::HashMap;

/// One row: the hour (`ts // 3600`), the account, the kind, the key and the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub hour: i64,
    pub account: Box<[u8]>,
    pub kind: Box<[u8]>,
    pub key: Box<[u8]>,
    pub count: i64,
}

/// The rows counted since the last batch was taken.
#[derive(Debug, Default)]
pub struct Hourly {
    index: HashMap<Vec<u8>, usize>,
    rows: Vec<Row>,
    buf: Vec<u8>,
}

impl Hourly {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count `n` at the hour of `ts` (Python's floor division, also before 1970).
    pub fn add(&mut self, ts: i64, account: &[u8], kind: &[u8], key: &[u8], n: i64) {
        let hour = ts.div_euclid(3600);
        let buf = &mut self.buf;
        buf.clear();
        buf.extend_from_slice(&hour.to_le_bytes());
        buf.extend_from_slice(&(account.len() as u64).to_le_bytes());
        buf.extend_from_slice(account);
        buf.extend_from_slice(&(kind.len() as u64).to_le_bytes());
        buf.extend_from_slice(kind);
        buf.extend_from_slice(key);
        if let Some(&i) = self.index.get(buf.as_slice()) {
            let row = &mut self.rows[i];
            row.count = row.count.saturating_add(n);
            return;
        }
        self.index.insert(buf.clone(), self.rows.len());
        self.rows.push(Row {
            hour,
            account: account.into(),
            kind: kind.into(),
            key: key.into(),
            count: n,
        });
    }

    /// Rows counted (distinct keys).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, in the order of their first count.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Forget every row (after a batch was written).
    pub fn clear(&mut self) {
        self.index.clear();
        self.rows.clear();
    }

    /// The rows, taken out (the counter is then empty).
    pub fn take(&mut self) -> Vec<Row> {
        self.index.clear();
        std::mem::take(&mut self.rows)
    }

    /// Count taken rows again, in their order (a batch the store refused).
    pub fn restore(&mut self, rows: &[Row]) {
        for row in rows {
            self.add(
                row.hour * 3600,
                &row.account,
                &row.kind,
                &row.key,
                row.count,
            );
        }
    }
}

/// The domain of a recipient: what follows its last `@` (the whole text without
/// one), as `r.rpartition("@")[2]` in Python.
pub fn domain_of(recipient: &[u8]) -> &[u8] {
    match recipient.iter().rposition(|&b| b == b'@') {
        Some(at) => &recipient[at + 1..],
        None => recipient,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_by_hour_account_kind_and_key_in_first_count_order() {
        let mut h = Hourly::new();
        h.add(7200, b"a", b"rcpt", b"x.com", 1);
        h.add(3600, b"a", b"rcpt", b"x.com", 1);
        h.add(10799, b"a", b"rcpt", b"x.com", 2);
        h.add(7200, b"a", b"send", b"x.com", 1);
        h.add(7200, b"ab", b"rcpt", b"", 1);
        h.add(7200, b"a", b"brcpt", b"", 1);
        let rows: Vec<_> = h.rows().iter().map(|r| (r.hour, r.count)).collect();
        assert_eq!(rows, vec![(2, 3), (1, 1), (2, 1), (2, 1), (2, 1)]);
        assert_eq!(h.len(), 5);
        let taken = h.take();
        assert!(h.is_empty());
        h.add(7200, b"a", b"rcpt", b"x.com", 1);
        h.restore(&taken);
        let rows: Vec<_> = h.rows().iter().map(|r| (r.hour, r.count)).collect();
        assert_eq!(rows, vec![(2, 4), (1, 1), (2, 1), (2, 1), (2, 1)]);
        h.clear();
        assert!(h.is_empty());
        h.add(-1, b"", b"inbound", b"", 4);
        assert_eq!(h.rows()[0].hour, -1);
    }

    #[test]
    fn a_domain_is_what_follows_the_last_at() {
        assert_eq!(domain_of(b"a@b@c.org"), b"c.org");
        assert_eq!(domain_of(b"nobody"), b"nobody");
        assert_eq!(domain_of(b"x@"), b"");
    }
}
