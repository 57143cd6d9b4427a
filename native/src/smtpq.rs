//! `direct_smtp`'s pending connections (the third stage of its connection state in the
//! core): each LAN machine's SMTP connections to outside addresses wait `settle`
//! seconds for Kerio's `Sent:` line of the same delivery, then are settled in the order
//! they came. A settled connection that is neither excluded ([`SmtpNets::excluded`])
//! nor carried Kerio's mail ([`MailServers::carried`]) is handed back to be counted.
//!
//! The same queue as `kerio_watch/detect/smtp_hosts_queue.py`'s `ConnectionQueue`:
//! the same connections handed back in the same order (across a proven machine's
//! drain and the [`MAX_PENDING`] bound) and the same saved rows.

use std::collections::{HashMap, VecDeque};

use crate::smtp::MailServers;
use crate::smtpnet::{EXTERNAL, LAN, SmtpNets};

/// Connections kept waiting at most; past it the oldest are settled at once.
pub const MAX_PENDING: usize = 200_000;
/// Seconds a Kerio delivery may be logged before the firewall's line (clock skew).
pub const SLACK: i64 = 30;
/// The time the bound settles at (`1 << 62`).
pub const FAR: i64 = 1 << 62;

/// One connection: (log time, LAN address, destination, source port, destination
/// port, action, raw line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn {
    pub ts: i64,
    pub src: String,
    pub dst: String,
    pub sport: Option<i64>,
    pub dport: Option<i64>,
    pub action: String,
    pub raw: String,
}

/// The connections waiting to be settled.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    pub settle: i64,
    pub infer: bool,
    pub pending: VecDeque<Conn>,
    /// LAN address -> its connections in `pending`.
    pub waiting: HashMap<String, usize>,
}

/// What the queue's work needs besides itself: the address tests, the mail server's
/// state, and Python's answer for an address that is no dotted quad.
pub struct Ctx<'a, F> {
    pub nets: &'a mut SmtpNets,
    pub mail: &'a mut MailServers,
    pub ask: F,
}

impl<F, E> Ctx<'_, F>
where
    F: FnMut(&str) -> Result<u8, E>,
{
    fn classify(&mut self, host: &str) -> Result<u8, E> {
        self.nets.classify(host, &mut self.ask)
    }
}

impl Queue {
    pub fn new(settle: i64, infer: bool) -> Self {
        Self {
            settle,
            infer,
            ..Self::default()
        }
    }

    /// The log time at which the oldest connection is due (its time plus `settle`).
    pub fn due(&self) -> Option<i128> {
        self.pending
            .front()
            .map(|c| i128::from(c.ts) + i128::from(self.settle))
    }

    fn unwait(&mut self, host: &str) {
        if let Some(left) = self.waiting.get_mut(host) {
            *left -= 1;
            if *left == 0 {
                self.waiting.remove(host);
            }
        }
    }

    /// A settled connection: pushed to `out` unless excluded or carried.
    fn count<F, E>(&self, conn: Conn, cx: &mut Ctx<'_, F>, out: &mut Vec<Conn>) -> Result<(), E>
    where
        F: FnMut(&str) -> Result<u8, E>,
    {
        if cx.nets.excluded(&conn.src, &conn.dst, &mut cx.ask)? {
            return Ok(());
        }
        let (start, end) = (conn.ts - SLACK, conn.ts + self.settle);
        if !cx
            .mail
            .carried(&conn.src, &conn.dst, conn.ts, start, end, self.infer)
        {
            out.push(conn);
        }
        Ok(())
    }

    /// Settle the connections logged at or before `now - settle`, oldest first (at most
    /// `limit` of them).
    pub fn settle_at<F, E>(
        &mut self,
        now: i128,
        mut limit: Option<usize>,
        cx: &mut Ctx<'_, F>,
        out: &mut Vec<Conn>,
    ) -> Result<(), E>
    where
        F: FnMut(&str) -> Result<u8, E>,
    {
        let edge = now - i128::from(self.settle);
        while limit != Some(0) {
            match self.pending.front() {
                Some(c) if i128::from(c.ts) <= edge => {}
                _ => break,
            }
            let conn = self.pending.pop_front().expect("a head");
            self.unwait(&conn.src);
            self.count(conn, cx, out)?;
            limit = limit.map(|n| n - 1);
        }
        Ok(())
    }

    /// Settle at `now` when the oldest connection is due (the test every event makes).
    pub fn settle_due<F, E>(
        &mut self,
        now: i64,
        cx: &mut Ctx<'_, F>,
        out: &mut Vec<Conn>,
    ) -> Result<(), E>
    where
        F: FnMut(&str) -> Result<u8, E>,
    {
        match self.due() {
            Some(due) if i128::from(now) >= due => self.settle_at(i128::from(now), None, cx, out),
            _ => Ok(()),
        }
    }

    /// Settle the waiting connections of one machine now, in order.
    fn drain<F, E>(&mut self, host: &str, cx: &mut Ctx<'_, F>, out: &mut Vec<Conn>) -> Result<(), E>
    where
        F: FnMut(&str) -> Result<u8, E>,
    {
        let mut keep = VecDeque::with_capacity(self.pending.len());
        let mut mine = Vec::new();
        for conn in self.pending.drain(..) {
            if conn.src == host {
                mine.push(conn);
            } else {
                keep.push_back(conn);
            }
        }
        self.pending = keep;
        self.waiting.remove(host);
        for conn in mine {
            self.count(conn, cx, out)?;
        }
        Ok(())
    }

    /// One SMTP connection (a mail port, TCP, not a close) from `conn.src` to
    /// `conn.dst`, then the settling due at its time. The connections to count go to
    /// `out`, in order.
    pub fn connection<F, E>(
        &mut self,
        conn: Conn,
        cx: &mut Ctx<'_, F>,
        out: &mut Vec<Conn>,
    ) -> Result<(), E>
    where
        F: FnMut(&str) -> Result<u8, E>,
    {
        let ts = conn.ts;
        self.take(conn, cx, out)?;
        self.settle_due(ts, cx, out)
    }

    fn take<F, E>(&mut self, conn: Conn, cx: &mut Ctx<'_, F>, out: &mut Vec<Conn>) -> Result<(), E>
    where
        F: FnMut(&str) -> Result<u8, E>,
    {
        let source = cx.classify(&conn.src)?;
        if source & LAN != 0 {
            if cx.classify(&conn.dst)? & EXTERNAL == 0 {
                return Ok(());
            }
            if cx.mail.carries_no_kerio_mail(&conn.src) {
                if self.waiting.get(&conn.src).is_some_and(|&n| n > 0) {
                    let src = conn.src.clone();
                    self.drain(&src, cx, out)?;
                }
                return self.count(conn, cx, out);
            }
            *self.waiting.entry(conn.src.clone()).or_insert(0) += 1;
            self.pending.push_back(conn);
            if self.pending.len() > MAX_PENDING {
                let over = self.pending.len() - MAX_PENDING;
                self.settle_at(i128::from(FAR), Some(over), cx, out)?;
            }
        } else if self.infer
            && conn.dport == Some(25)
            && conn.action != "block"
            && source & EXTERNAL != 0
            && cx.classify(&conn.dst)? & LAN != 0
        {
            cx.mail.received(&conn.dst, &conn.src, conn.ts);
        }
        Ok(())
    }

    /// Take back saved rows (appended, each machine's count rebuilt).
    pub fn load(&mut self, rows: Vec<Conn>) {
        for conn in rows {
            *self.waiting.entry(conn.src.clone()).or_insert(0) += 1;
            self.pending.push_back(conn);
        }
    }

    pub fn clear(&mut self) {
        self.pending.clear();
        self.waiting.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtpnet::Prefixes;
    use std::convert::Infallible;

    fn conn(ts: i64, src: &str, dst: &str) -> Conn {
        Conn {
            ts,
            src: src.to_owned(),
            dst: dst.to_owned(),
            sport: None,
            dport: Some(25),
            action: "allow".to_owned(),
            raw: format!("{ts} {src}"),
        }
    }

    #[test]
    fn a_proven_machine_is_drained_before_its_new_connection() {
        let mut nets = SmtpNets {
            trusted: Prefixes::new(&[(0xc0a8_0000, 16)]),
            ..SmtpNets::default()
        };
        let mut mail = MailServers::new(5, 0.6);
        let mut q = Queue::new(90, true);
        let ask = |_: &str| -> Result<u8, Infallible> { Ok(0) };
        let mut cx = Ctx {
            nets: &mut nets,
            mail: &mut mail,
            ask,
        };
        let mut out = Vec::new();
        for ts in [0, 1, 2, 50, 60] {
            q.connection(conn(ts, "192.168.1.2", "203.0.113.1"), &mut cx, &mut out)
                .unwrap();
        }
        q.connection(conn(55, "192.168.1.3", "203.0.113.1"), &mut cx, &mut out)
            .unwrap();
        assert!(out.is_empty() && q.pending.len() == 6);
        // at 100 the first three settle (none Kerio's: proven) after it waits; the next
        // one drains the rest, in order, before it is counted
        for ts in [100, 101] {
            q.connection(conn(ts, "192.168.1.2", "203.0.113.9"), &mut cx, &mut out)
                .unwrap();
        }
        let times: Vec<i64> = out.iter().map(|c| c.ts).collect();
        assert_eq!(times, vec![0, 1, 2, 50, 60, 100, 101]);
        assert_eq!(q.pending.len(), 1);
        assert_eq!(q.waiting.get("192.168.1.3"), Some(&1));
        assert_eq!(q.due(), Some(145));
    }
}
