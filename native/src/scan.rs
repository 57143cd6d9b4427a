//! The core loop on its own: framing, parsing and the Queue-ID join over a whole
//! file, counting what it saw (no Python objects). Used by the benchmark and, in
//! phase 2, the place where per-account counters will run.

use crate::frame::{Counters, LineSource, decode, message_of, stamp};
use crate::join::QueueJoin;
use crate::mail::{Mail, parse};

/// What one pass over a file found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub counters: Counters,
    /// Lines with an on-disk stamp.
    pub framed: u64,
    /// Non-empty lines without one (Python tries syslog framing on them).
    pub unframed: u64,
    pub recv: u64,
    pub sent: u64,
    pub unparsed: u64,
    pub deferred: u64,
    pub other: u64,
    /// `Recv:` lines of authenticated accounts (submissions), and new messages among them.
    pub submissions: u64,
    pub messages: u64,
    /// `Sent:` lines joined to a tracked message, and failures among them.
    pub joined: u64,
    pub failures: u64,
    pub read_error: Option<String>,
}

/// Frame, parse and join every line of `src`.
pub fn scan(src: &mut LineSource, join: &mut QueueJoin) -> Summary {
    let mut s = Summary::default();
    let mut counters = Counters::default();
    while let Some((_, data)) = src.next_line() {
        let raw = decode(data, &mut counters);
        if raw.is_empty() {
            continue;
        }
        counters.lines += 1;
        if stamp(&raw).is_none() {
            s.unframed += 1;
            continue;
        }
        s.framed += 1;
        match parse(message_of(&raw)) {
            Mail::Recv(r) => {
                s.recv += 1;
                if let Some(user) = r.user.as_deref()
                    && !r.is_dsn()
                {
                    s.submissions += 1;
                    let n = r.recipients.len() as u64;
                    if join.received(&r.queue_id, 0, Some(user), &r.sender, n) {
                        s.messages += 1;
                    }
                }
            }
            Mail::Sent(d) => {
                s.sent += 1;
                let failure = d.is_failure();
                if join
                    .delivered(
                        &d.queue_id,
                        &d.result,
                        d.status.as_deref(),
                        &d.recipient,
                        failure,
                    )
                    .is_some()
                {
                    s.joined += 1;
                    s.failures += u64::from(failure);
                }
            }
            Mail::Unparsed(_) => s.unparsed += 1,
            Mail::Defer => s.deferred += 1,
            Mail::Other => s.other += 1,
        }
    }
    s.counters = counters;
    s.read_error = src.error.clone();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_a_small_log() {
        let log = b"[24/Aug/2022 16:28:11] Recv: Queue-ID: q1, Service: SMTP, From: <a@b>, To: <c@d>, Size: 1, Sender-Host: 1.2.3.4, User: a@b, SSL: yes\n\n[24/Aug/2022 16:28:12] Sent: Queue-ID: q1, Recipient: <c@d>, Result: delivered, Status: 2.0.0 , Remote-Host: 1.1.1.1\nnot a line\n";
        let mut src = LineSource::from_bytes(log.to_vec());
        let s = scan(&mut src, &mut QueueJoin::new(10));
        assert_eq!((s.counters.lines, s.framed, s.unframed), (3, 2, 1));
        assert_eq!(
            (s.recv, s.sent, s.submissions, s.messages, s.joined),
            (1, 1, 1, 1, 1)
        );
    }
}
