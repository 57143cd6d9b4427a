//! The hot lines of `mail.log`, parsed exactly as `formats/mail.py` parses them.
//!
//! `Recv:` and `Sent:` lines in the current layout are matched by hand-written code
//! that makes the same choices as the Python regular expressions (leftmost, greedy
//! optional fields, the lazy `Subject` and `Status` text); other layouts go through
//! the same field splitting as `_parse_recv` and `_parse_sent`. Where Python's answer
//! depends on its Unicode tables (lower-casing non-ASCII addresses, non-ASCII digits)
//! or on unbounded integers, the line is [`Mail::Defer`]red to the Python parser.

use std::borrow::Cow;

use crate::text::{lower, split_addresses, strip, strip_brackets, strip_lower};

/// A `Recv:` line: the fields of `events.MessageReceived`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recv<'a> {
    pub queue_id: Cow<'a, str>,
    pub service: Cow<'a, str>,
    pub sender: Cow<'a, str>,
    pub recipients: Vec<Cow<'a, str>>,
    pub size: Option<u64>,
    pub sender_host: Option<Cow<'a, str>>,
    pub user: Option<Cow<'a, str>>,
    pub ssl: Option<bool>,
    pub subject: Option<Cow<'a, str>>,
    pub msg_id: Option<Cow<'a, str>>,
    pub report: Option<Cow<'a, str>>,
}

impl Recv<'_> {
    /// `MessageReceived.is_dsn`.
    pub fn is_dsn(&self) -> bool {
        self.service == "DSN" || (self.sender.is_empty() && self.report.is_some())
    }
}

/// A `Sent:` line: the fields of `events.MessageDelivery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent<'a> {
    pub queue_id: Cow<'a, str>,
    pub recipient: Cow<'a, str>,
    pub result: Cow<'a, str>,
    pub status: Option<Cow<'a, str>>,
    pub status_text: Option<Cow<'a, str>>,
    pub remote_host: Option<Cow<'a, str>>,
    pub msg_id: Option<Cow<'a, str>>,
}

impl Sent<'_> {
    /// `MessageDelivery.is_failure`.
    pub fn is_failure(&self) -> bool {
        matches!(&*self.result, "failed" | "bounced" | "rejected")
            || self.status.as_deref().is_some_and(|s| s.starts_with('5'))
    }
}

/// What one mail.log message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mail<'a> {
    Recv(Recv<'a>),
    Sent(Sent<'a>),
    /// A `Recv:`/`Sent:` line Python reports as unparsed, with Python's reason.
    Unparsed(&'static str),
    /// A `Recv:`/`Sent:` line whose fields depend on Python's Unicode tables.
    Defer,
    /// Not a `Recv:`/`Sent:` line (Python's parser handles it).
    Other,
}

/// Parse one mail.log message (the text after the `[date] ` prefix).
pub fn parse(message: &str) -> Mail<'_> {
    if let Some(body) = message.strip_prefix("Recv: ") {
        return match recv_fast(body) {
            Fast::Match(r) => Mail::Recv(r),
            Fast::NoMatch => recv_fields(body),
            Fast::Defer => Mail::Defer,
        };
    }
    if let Some(body) = message.strip_prefix("Sent: ") {
        return match sent_fast(body) {
            Fast::Match(s) => Mail::Sent(s),
            Fast::NoMatch => sent_fields(body),
            Fast::Defer => Mail::Defer,
        };
    }
    Mail::Other
}

enum Fast<T> {
    Match(T),
    NoMatch,
    Defer,
}

/// A cursor over the text after `Recv: `/`Sent: `.
struct Cur<'a> {
    t: &'a str,
    p: usize,
}

impl<'a> Cur<'a> {
    fn lit(&mut self, s: &str) -> bool {
        if self.t[self.p..].starts_with(s) {
            self.p += s.len();
            true
        } else {
            false
        }
    }

    /// Up to (not including) the next `stop` byte, or the end; the cursor moves there.
    fn until(&mut self, stop: u8) -> &'a str {
        let rest = &self.t[self.p..];
        let n = memchr::memchr(stop, rest.as_bytes()).unwrap_or(rest.len());
        self.p += n;
        &rest[..n]
    }

    /// Like [`Cur::until`], but the byte must be there.
    fn until_required(&mut self, stop: u8) -> Option<&'a str> {
        let rest = &self.t[self.p..];
        let n = memchr::memchr(stop, rest.as_bytes())?;
        self.p += n;
        Some(&rest[..n])
    }
}

/// `(?:, Msg-Id: <([^<>]*)>)?$` at the end of `t`: where it must start, if anywhere.
fn msgid_start(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    if b.last() != Some(&b'>') {
        return None;
    }
    let last_angle = memchr::memchr2_iter(b'<', b'>', &b[..b.len() - 1]).next_back()?;
    let i = last_angle.checked_sub(10)?;
    b[i..].starts_with(b", Msg-Id: <").then_some(i)
}

fn msgid_at(t: &str, i: usize, start: Option<usize>) -> Option<&str> {
    (start == Some(i)).then(|| &t[i + 11..t.len() - 1])
}

fn recv_fast(t: &str) -> Fast<Recv<'_>> {
    let mut c = Cur { t, p: 0 };
    if !c.lit("Queue-ID: ") {
        return Fast::NoMatch;
    }
    let Some(qid) = c.until_required(b',') else {
        return Fast::NoMatch;
    };
    if !c.lit(", Service: ") {
        return Fast::NoMatch;
    }
    let Some(service) = c.until_required(b',') else {
        return Fast::NoMatch;
    };
    if !c.lit(", From: <") {
        return Fast::NoMatch;
    }
    let Some(sender) = c.until_required(b'>') else {
        return Fast::NoMatch;
    };
    if !c.lit(">, To: ") {
        return Fast::NoMatch;
    }
    let to_start = c.p;
    if t[c.p..].starts_with('<') {
        // <[^>]*>(?:, <[^>]*>)*
        c.p += 1;
        if c.until_required(b'>').is_none() {
            return Fast::NoMatch;
        }
        c.p += 1;
        loop {
            let save = c.p;
            if c.lit(", <") && c.until_required(b'>').is_some() {
                c.p += 1;
            } else {
                c.p = save;
                break;
            }
        }
    } else {
        // [^,<]*
        let rest = &t.as_bytes()[c.p..];
        c.p += memchr::memchr2(b',', b'<', rest).unwrap_or(rest.len());
    }
    let to = &t[to_start..c.p];
    if !c.lit(", Size: ") {
        return Fast::NoMatch;
    }
    let size_start = c.p;
    while c.p < t.len() && t.as_bytes()[c.p].is_ascii_digit() {
        c.p += 1;
    }
    if c.p < t.len() && !t.as_bytes()[c.p].is_ascii() {
        return Fast::Defer; // \d is Unicode in Python
    }
    let size_text = &t[size_start..c.p];
    let sender_host = c.lit(", Sender-Host: ").then(|| c.until(b','));
    let user = c.lit(", User: ").then(|| c.until(b','));
    let ssl = if c.lit(", SSL: yes") {
        Some(true)
    } else if c.lit(", SSL: no") {
        Some(false)
    } else {
        None
    };
    let report = c.lit(", Report: ").then(|| c.until(b','));
    let tail = msgid_start(t);
    let (subject, msg_id) = if c.lit(", Subject: ") {
        match tail {
            Some(i) if i >= c.p => (Some(&t[c.p..i]), msgid_at(t, i, tail)),
            _ => (Some(&t[c.p..]), None),
        }
    } else if let Some(m) = msgid_at(t, c.p, tail) {
        (None, Some(m))
    } else if c.p == t.len() {
        (None, None)
    } else {
        return Fast::NoMatch;
    };
    let size = if size_text.is_empty() {
        None
    } else {
        match size_text.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return Fast::Defer, // Python's int is unbounded
        }
    };
    let Some(recipients) = to_recipients(to) else {
        return Fast::Defer;
    };
    let Some(sender) = strip_lower(sender) else {
        return Fast::Defer;
    };
    let user = match user {
        Some(u) if !u.is_empty() => match lower(u) {
            Some(l) => Some(l),
            None => return Fast::Defer,
        },
        _ => None,
    };
    Fast::Match(Recv {
        queue_id: Cow::Borrowed(qid),
        service: Cow::Borrowed(service),
        sender,
        recipients,
        size,
        sender_host: sender_host.map(Cow::Borrowed),
        user,
        ssl,
        subject: subject.map(Cow::Borrowed),
        msg_id: msg_id.map(Cow::Borrowed),
        report: report.map(Cow::Borrowed),
    })
}

/// `_recv_from_match`'s recipients.
fn to_recipients(to: &str) -> Option<Vec<Cow<'_, str>>> {
    if to.is_empty() {
        return Some(Vec::new());
    }
    if !to.contains(',') {
        let inner = if to.starts_with('<') {
            &to[1..to.len() - 1]
        } else {
            to
        };
        let one = strip_lower(inner)?;
        return Some(if one.is_empty() {
            Vec::new()
        } else {
            vec![one]
        });
    }
    to[1..to.len() - 1].split(">, <").map(strip_lower).collect()
}

const RECV_KEYS: [&str; 10] = [
    "Queue-ID",
    "Service",
    "From",
    "To",
    "Size",
    "Sender-Host",
    "User",
    "SSL",
    "Report",
    "Msg-Id",
];

fn key_of(s: &str) -> Option<&'static str> {
    RECV_KEYS.iter().find(|k| **k == s).copied()
}

/// `_parse_recv` (a Recv line in another layout).
fn recv_fields(body: &str) -> Mail<'_> {
    let mut body = body;
    let mut msg_id: Option<&str> = None;
    let mut subject: Option<&str> = None;
    if body.ends_with('>')
        && let Some(i) = body.rfind(", Msg-Id: <")
        && !body[i..].contains(", Subject: ")
    {
        msg_id = Some(&body[i + 10..]);
        body = &body[..i];
    }
    if let Some(i) = body.find(", Subject: ") {
        subject = Some(&body[i + 11..]);
        body = &body[..i];
        if msg_id.is_none()
            && let Some(j) = body.rfind(", Msg-Id: ")
        {
            msg_id = Some(&body[j + 10..]);
            body = &body[..j];
        }
    } else if let Some(b) = body.strip_suffix(", Subject:") {
        subject = Some("");
        body = b;
    }
    let mut fields: Vec<(&'static str, Cow<'_, str>)> = Vec::new();
    let mut last: Option<&'static str> = None;
    for token in body.split(", ") {
        let keyed = token
            .split_once(": ")
            .and_then(|(k, v)| key_of(k).map(|k| (k, v)));
        if let Some((key, value)) = keyed {
            set(&mut fields, key, Cow::Borrowed(value));
            last = Some(key);
        } else if let Some(key) = token.strip_suffix(':').and_then(key_of) {
            set(&mut fields, key, Cow::Borrowed(""));
            last = Some(key);
        } else if let Some(key) = last {
            let joined = format!("{}, {token}", get(&fields, key).unwrap_or_default());
            set(&mut fields, key, Cow::Owned(joined));
        } else {
            return Mail::Unparsed("recv: unexpected text before Queue-ID");
        }
    }
    let (Some(qid), Some(from)) = (get(&fields, "Queue-ID"), get(&fields, "From")) else {
        return Mail::Unparsed("recv: missing Queue-ID or From");
    };
    let size = match get(&fields, "Size") {
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => match s.parse() {
            Ok(n) => Some(n),
            Err(_) => return Mail::Defer,
        },
        _ => None,
    };
    let Some(sender) = lower(strip_brackets(from)) else {
        return Mail::Defer;
    };
    let Some(recipients) = split_addresses(get(&fields, "To").unwrap_or("")) else {
        return Mail::Defer;
    };
    let user = match get(&fields, "User") {
        Some(u) if !u.is_empty() => match lower(strip_brackets(u)) {
            Some(l) => Some(owned(l)),
            None => return Mail::Defer,
        },
        _ => None,
    };
    Mail::Recv(Recv {
        queue_id: owned_str(qid),
        service: owned_str(get(&fields, "Service").unwrap_or("")),
        sender: owned(sender),
        recipients: recipients.into_iter().map(owned).collect(),
        size,
        sender_host: get(&fields, "Sender-Host").map(owned_str),
        user,
        ssl: get(&fields, "SSL").map(|s| s == "yes"),
        subject: subject.map(Cow::Borrowed),
        msg_id: msg_id.map(|m| Cow::Borrowed(strip_brackets(m))),
        report: get(&fields, "Report").map(owned_str),
    })
}

fn owned(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

fn owned_str(s: &str) -> Cow<'static, str> {
    Cow::Owned(s.to_owned())
}

fn get<'f>(fields: &'f [(&'static str, Cow<'_, str>)], key: &str) -> Option<&'f str> {
    fields.iter().find(|(k, _)| *k == key).map(|(_, v)| &**v)
}

fn set<'a>(fields: &mut Vec<(&'static str, Cow<'a, str>)>, key: &'static str, value: Cow<'a, str>) {
    match fields.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => fields.push((key, value)),
    }
}

/// `(?:, Remote-Host: ([^,]*))?(?:, Msg-Id: <([^<>]*)>)?$` at `r`.
type Rest<'a> = (Option<&'a str>, Option<&'a str>);

fn sent_rest(t: &str, r: usize, tail: Option<usize>) -> Option<Rest<'_>> {
    if t[r..].starts_with(", Remote-Host: ") {
        let start = r + 15;
        let end = memchr::memchr(b',', &t.as_bytes()[start..]).map_or(t.len(), |n| start + n);
        let host = &t[start..end];
        if end == t.len() {
            return Some((Some(host), None));
        }
        return msgid_at(t, end, tail).map(|m| (Some(host), Some(m)));
    }
    if let Some(m) = msgid_at(t, r, tail) {
        return Some((None, Some(m)));
    }
    (r == t.len()).then_some((None, None))
}

fn sent_fast(t: &str) -> Fast<Sent<'_>> {
    let mut c = Cur { t, p: 0 };
    if !c.lit("Queue-ID: ") {
        return Fast::NoMatch;
    }
    let Some(qid) = c.until_required(b',') else {
        return Fast::NoMatch;
    };
    if !c.lit(", Recipient: <") {
        return Fast::NoMatch;
    }
    let Some(rcpt) = c.until_required(b'>') else {
        return Fast::NoMatch;
    };
    if !c.lit(">, Result: ") {
        return Fast::NoMatch;
    }
    let result = c.until(b',');
    let tail = msgid_start(t);
    let mut status = None;
    let mut text = None;
    let rest;
    if c.lit(", Status: ") {
        let rest_b = &t.as_bytes()[c.p..];
        let n = memchr::memchr2(b' ', b',', rest_b).unwrap_or(rest_b.len());
        status = Some(&t[c.p..c.p + n]);
        let q = c.p + n;
        if t.as_bytes().get(q) == Some(&b' ') {
            // (?: (.*?))? ? then the rest: the shortest text after which it matches.
            let mut found = None;
            for j in q + 1..=t.len() {
                if !t.is_char_boundary(j) {
                    continue;
                }
                if t.as_bytes().get(j) == Some(&b' ')
                    && let Some(r) = sent_rest(t, j + 1, tail)
                {
                    found = Some((j, r));
                    break;
                }
                if let Some(r) = sent_rest(t, j, tail) {
                    found = Some((j, r));
                    break;
                }
            }
            let Some((j, r)) = found else {
                return Fast::NoMatch;
            };
            text = Some(&t[q + 1..j]);
            rest = r;
        } else {
            match sent_rest(t, q, tail) {
                Some(r) => rest = r,
                None => return Fast::NoMatch,
            }
        }
    } else {
        match sent_rest(t, c.p, tail) {
            Some(r) => rest = r,
            None => return Fast::NoMatch,
        }
    }
    let Some(recipient) = strip_lower(rcpt) else {
        return Fast::Defer;
    };
    let status_text = text.map(strip).filter(|s| !s.is_empty());
    Fast::Match(Sent {
        queue_id: Cow::Borrowed(qid),
        recipient,
        result: Cow::Borrowed(result),
        status: status.filter(|s| !s.is_empty()).map(Cow::Borrowed),
        status_text: status_text.map(Cow::Borrowed),
        remote_host: rest.0.map(Cow::Borrowed),
        msg_id: rest.1.map(Cow::Borrowed),
    })
}

/// `_parse_sent` (a Sent line in another layout).
fn sent_fields(body: &str) -> Mail<'_> {
    if !body.starts_with("Queue-ID: ") {
        return Mail::Unparsed("sent: no Queue-ID");
    }
    let Some(i) = body[10..].find(", Recipient: ").map(|n| n + 10) else {
        return Mail::Unparsed("sent: missing Recipient or Result");
    };
    let Some(j) = body[i..].find(", Result: ").map(|n| n + i) else {
        return Mail::Unparsed("sent: missing Recipient or Result");
    };
    let qid = &body[10..i];
    let Some(recipient) = lower(strip_brackets(&body[i + 13..j])) else {
        return Mail::Defer;
    };
    let mut rest = &body[j + 10..];
    let mut msg_id = None;
    let mut remote = None;
    if let Some(k) = rest.rfind(", Msg-Id: ") {
        msg_id = Some(strip_brackets(&rest[k + 10..]));
        rest = &rest[..k];
    }
    if let Some(k) = rest.rfind(", Remote-Host: ") {
        remote = Some(strip(&rest[k + 15..]));
        rest = &rest[..k];
    }
    let mut status = None;
    let mut text = None;
    if let Some(k) = rest.find(", Status: ") {
        let status_text = strip(&rest[k + 10..]);
        rest = &rest[..k];
        let (code, more) = status_text.split_once(' ').unwrap_or((status_text, ""));
        status = Some(code);
        text = Some(strip(more)).filter(|s| !s.is_empty());
    }
    Mail::Sent(Sent {
        queue_id: Cow::Borrowed(qid),
        recipient,
        result: Cow::Borrowed(strip(rest)),
        status: status.map(Cow::Borrowed),
        status_text: text.map(Cow::Borrowed),
        remote_host: remote.map(Cow::Borrowed),
        msg_id: msg_id.map(Cow::Borrowed),
    })
}

/// The Queue-ID key the pre-filter checks on a `Sent:` line (`raw[39:56]`), if the
/// message starts like one (`Sent: Queue-ID: `).
pub fn sent_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("Sent: Queue-ID: ")?;
    Some(crate::text::take_chars(rest, 17))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECV: &str = "Recv: Queue-ID: 69a4c503-00002ba2, Service: SMTP, From: <News@X.de>, To: <a@example.com>, Size: 3096, Sender-Host: 193.12.131.2, User: Bob@Example.com, SSL: yes, Subject: Hi, there, Msg-Id: <01@x.de>";

    #[test]
    fn recv_current_layout() {
        let Mail::Recv(r) = parse(RECV) else {
            panic!("not parsed")
        };
        assert_eq!(r.queue_id, "69a4c503-00002ba2");
        assert_eq!(r.sender, "news@x.de");
        assert_eq!(r.recipients, vec!["a@example.com"]);
        assert_eq!(r.size, Some(3096));
        assert_eq!(r.user.as_deref(), Some("bob@example.com"));
        assert_eq!(r.ssl, Some(true));
        assert_eq!(r.subject.as_deref(), Some("Hi, there"));
        assert_eq!(r.msg_id.as_deref(), Some("01@x.de"));
        assert!(!r.is_dsn());
    }

    #[test]
    fn recv_other_layouts() {
        let m = parse(
            "Recv: Queue-ID: q, Service: SMTP, From: <a@b>, To: <c@d>, Size: 1, User: u@b, Sender-Host: 1.2.3.4, SSL: no",
        );
        let Mail::Recv(r) = m else { panic!("{m:?}") };
        assert_eq!(r.user.as_deref(), Some("u@b"));
        assert_eq!(r.sender_host.as_deref(), Some("1.2.3.4"));
        assert_eq!(
            parse("Recv: junk"),
            Mail::Unparsed("recv: unexpected text before Queue-ID")
        );
        assert_eq!(
            parse("Recv: Queue-ID: x"),
            Mail::Unparsed("recv: missing Queue-ID or From")
        );
        assert_eq!(
            parse("Recv: Queue-ID: q, Service: SMTP, From: <Ä@b>, To: <c@d>, Size: 1"),
            Mail::Defer
        );
        assert_eq!(parse("SMTP Send: x"), Mail::Other);
    }

    #[test]
    fn msgid_after_wide_characters() {
        assert_eq!(msgid_start("\u{58a70}a, x>"), None);
        assert_eq!(msgid_start("ab, Msg-Id: <x>"), Some(2));
    }

    #[test]
    fn sent_lines() {
        let m = parse(
            "Sent: Queue-ID: q, Recipient: <A@b>, Result: delivered, Status: 2.0.0 , Remote-Host: 127.0.0.1, Msg-Id: <m@x>",
        );
        let Mail::Sent(s) = m else { panic!("{m:?}") };
        assert_eq!(s.recipient, "a@b");
        assert_eq!(s.status.as_deref(), Some("2.0.0"));
        assert_eq!(s.status_text, None);
        assert_eq!(s.remote_host.as_deref(), Some("127.0.0.1"));
        assert_eq!(s.msg_id.as_deref(), Some("m@x"));
        let m = parse(
            "Sent: Queue-ID: q, Recipient: <a@b>, Result: failed, Status: 5.1.1 user unknown, sorry , Remote-Host: 1.2.3.4",
        );
        let Mail::Sent(s) = m else { panic!("{m:?}") };
        assert_eq!(s.status_text.as_deref(), Some("user unknown, sorry"));
        assert!(s.is_failure());
        assert_eq!(parse("Sent: nothing"), Mail::Unparsed("sent: no Queue-ID"));
        assert_eq!(
            sent_key("Sent: Queue-ID: 69a4c503-00002ba2, R"),
            Some("69a4c503-00002ba2")
        );
    }
}
