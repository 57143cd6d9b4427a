//! audit.log's successful authentications, parsed exactly as `formats/audit.py`
//! parses them:
//!
//! `<PROTO>: User <account> authenticated\s+from IP address <ip>[.][; <User-Agent>]`
//!
//! The lazy user name ends at the first ` authenticated` after which the rest of the
//! line reads; the address is the run up to whitespace or `;` (one trailing `.` off).
//! A user name that is not ASCII (Python lower-cases it with its own tables) and a
//! line holding a newline (which `.` does not match; the framer never leaves one) are
//! [`Parsed::Defer`]red.

use std::borrow::Cow;

use crate::parsed::Parsed;
use crate::text::{lower, py_space};

/// The fields of `events.LoginSucceeded` (after `raw`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login<'a> {
    pub protocol: &'a str,
    pub user: Cow<'a, str>,
    pub source: &'a str,
    pub user_agent: Option<&'a str>,
}

/// What one audit.log message is.
pub type Audit<'a> = Parsed<Login<'a>>;

const MARK: &str = " authenticated";
const UNREADABLE: Audit<'static> = Parsed::Unparsed("unreadable authentication line");

/// Parse one message (the text after the `[date] ` prefix).
pub fn parse(message: &str) -> Audit<'_> {
    if !message.contains(MARK) {
        return Parsed::Other;
    }
    if message.contains('\n') {
        return Parsed::Defer;
    }
    let b = message.as_bytes();
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b'.' | b'-'))
        .count();
    if n == 0 || !b[0].is_ascii_alphanumeric() || !message[n..].starts_with(": User ") {
        return UNREADABLE;
    }
    let protocol = &message[..n];
    let user_start = n + 7;
    let Some(first) = message[user_start..].chars().next() else {
        return UNREADABLE;
    };
    if py_space(first) {
        return UNREADABLE;
    }
    let from = user_start + first.len_utf8();
    for (i, _) in message[from..].match_indices(MARK) {
        let at = from + i;
        if let Some((source, user_agent)) = tail(message, at + MARK.len()) {
            let Some(user) = lower(&message[user_start..at]) else {
                return Parsed::Defer;
            };
            return Parsed::Event(Login {
                protocol,
                user,
                source,
                user_agent,
            });
        }
    }
    UNREADABLE
}

fn line_end(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `\s+from IP address (?P<ip>[^\s;]+?)\.?(?:;[ \t]*(?P<ua>.*?))?[ \t\r\n]*\Z` at `p`.
fn tail(message: &str, p: usize) -> Option<(&str, Option<&str>)> {
    let after = &message[p..];
    let rest = after.trim_start_matches(py_space);
    if rest.len() == after.len() {
        return None;
    }
    let rest = rest.strip_prefix("from IP address ")?;
    let m_len = rest
        .char_indices()
        .find(|&(_, c)| py_space(c) || c == ';')
        .map_or(rest.len(), |(i, _)| i);
    if m_len == 0 {
        return None;
    }
    let run = &rest[..m_len];
    let left = &rest[m_len..];
    let user_agent = if let Some(ua) = left.strip_prefix(';') {
        let ua = ua.trim_start_matches([' ', '\t']);
        let ua = ua.trim_end_matches(line_end);
        (!ua.is_empty()).then_some(ua)
    } else if left.chars().all(line_end) {
        None
    } else {
        return None;
    };
    let source = match run.strip_suffix('.') {
        Some(ip) if !ip.is_empty() => ip,
        _ => run,
    };
    Some((source, user_agent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let Parsed::Event(l) =
            parse("HTTP/WebMail: User A@x authenticated  from IP address 1.2.3.4.; UA; x. ")
        else {
            panic!()
        };
        assert_eq!(
            (l.protocol, &*l.user, l.source, l.user_agent),
            ("HTTP/WebMail", "a@x", "1.2.3.4", Some("UA; x."))
        );
        assert_eq!(parse("x"), Parsed::Other);
        assert_eq!(parse("IMAP: User  authenticated"), UNREADABLE);
        let Parsed::Event(l) = parse("IMAP: User a authenticated from IP address . ") else {
            panic!()
        };
        assert_eq!((l.source, l.user_agent), (".", None));
    }
}
