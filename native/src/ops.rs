//! operations.log, parsed exactly as `formats/operations.py` parses it.
//!
//! `{ACTION} Key: value, Key: value, ...`: values end at `, <known key>: `, quoted
//! values (`From`, `Subject`) at the first lone `"` followed by the end or a known
//! key, the first of a repeated key wins, at most `MAX_FIELDS` fields are read.
//! Lower-casing a non-ASCII user or address, and a count beyond 64 bits, are left to
//! Python ([`Parsed::Defer`]).

use std::borrow::Cow;

use crate::parsed::Parsed;
use crate::text::{lower, strip};

/// `operations.KNOWN_KEYS`.
const KNOWN_KEYS: [&str; 15] = [
    "Protocol",
    "User",
    "IP",
    "Folder",
    "Destination Folder",
    "Old location",
    "New location",
    "Items count",
    "From",
    "Subject",
    "Msg-Id",
    "Delivered",
    "Size",
    "To",
    "Recipient",
];

/// `operations.MAX_FIELDS`.
const MAX_FIELDS: usize = 32;

/// The fields of `events.MailboxOperation` (after `raw`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Op<'a> {
    pub action: &'a str,
    pub protocol: Option<&'a str>,
    pub user: Option<Cow<'a, str>>,
    pub source: Option<&'a str>,
    pub folder: Option<&'a str>,
    pub destination: Option<&'a str>,
    pub sender: Option<Cow<'a, str>>,
    pub subject: Option<Cow<'a, str>>,
    pub msg_id: Option<&'a str>,
    pub items: Option<i64>,
}

/// What one operations.log message is.
pub type Ops<'a> = Parsed<Op<'a>>;

/// Parse one message (the text after the `[date] ` prefix).
pub fn parse(message: &str) -> Ops<'_> {
    let Some(body) = message.strip_prefix('{') else {
        return Parsed::Other;
    };
    let b = body.as_bytes();
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    let ok = n > 0 && !b[0].is_ascii_digit() && b.get(n) == Some(&b'}');
    if !ok || !matches!(b.get(n + 1), None | Some(b' ')) {
        return Parsed::Unparsed("operations: no {ACTION}");
    }
    let action = &body[..n];
    let rest = body[(n + 2).min(body.len())..].trim_end_matches([' ', '\t', '\r', '\n']);
    if rest.is_empty() {
        return Parsed::Event(Op {
            action,
            ..Op::default()
        });
    }
    if rest.starts_with("Folder: ") && rest.ends_with(" deleted") && next_key(rest, 0).is_none() {
        let end = rest.len() - 8;
        return Parsed::Event(Op {
            action,
            folder: Some(if end > 8 { &rest[8..end] } else { "" }),
            ..Op::default()
        });
    }
    let Some(fields) = parse_fields(rest) else {
        return Parsed::Unparsed("operations: unreadable fields");
    };
    build(action, &fields).unwrap_or(Parsed::Defer)
}

struct Field<'a> {
    key: &'a str,
    value: &'a str,
    quoted: bool,
}

fn get<'a>(fields: &[Field<'a>], key: &str) -> Option<&'a str> {
    fields.iter().find(|f| f.key == key).map(|f| f.value)
}

fn build<'a>(action: &'a str, fields: &[Field<'a>]) -> Option<Ops<'a>> {
    let sender = match fields.iter().find(|f| f.key == "From") {
        Some(f) => address_of(f.value)?,
        None => None,
    };
    let subject = fields.iter().find(|f| f.key == "Subject").map(|f| {
        if f.quoted {
            let inner = &f.value[1..f.value.len() - 1];
            if inner.contains("\"\"") {
                Cow::Owned(inner.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(inner)
            }
        } else {
            Cow::Borrowed(f.value)
        }
    });
    let user = match get(fields, "User") {
        Some(u) if !u.is_empty() => Some(lower(strip(u))?),
        _ => None,
    };
    let has = |key: &str| fields.iter().any(|f| f.key == key);
    let folder = if has("Folder") {
        get(fields, "Folder")
    } else {
        get(fields, "Old location")
    };
    let destination = if has("Destination Folder") {
        get(fields, "Destination Folder")
    } else {
        get(fields, "New location")
    };
    let items = match get(fields, "Items count").map(strip) {
        Some(v) if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) => {
            Some(v.parse::<i64>().ok()?)
        }
        _ => None,
    };
    Some(Parsed::Event(Op {
        action,
        protocol: get(fields, "Protocol"),
        user,
        source: get(fields, "IP"),
        folder,
        destination,
        sender,
        subject,
        msg_id: get(fields, "Msg-Id").and_then(msg_id),
        items,
    }))
}

/// `operations.address_of`; the outer `None` when Python must lower-case non-ASCII.
#[allow(clippy::option_option)]
fn address_of(value: &str) -> Option<Option<Cow<'_, str>>> {
    let value = strip(value);
    if value.ends_with('>')
        && let Some(lt) = value.rfind('<')
    {
        let inner = strip(&value[lt + 1..value.len() - 1]);
        return Some(Some(lower(inner)?).filter(|s| !s.is_empty()));
    }
    if value.starts_with('"') {
        return Some(None);
    }
    Some(Some(lower(value)?).filter(|s| !s.is_empty()))
}

/// `operations._msg_id`.
fn msg_id(value: &str) -> Option<&str> {
    let mut value = strip(value);
    for _ in 0..2 {
        if value.len() >= 2 && value.starts_with('<') && value.ends_with('>') {
            value = &value[1..value.len() - 1];
        }
    }
    (!value.is_empty()).then_some(value)
}

/// `_NEXT_KEY.match(text, at)`: `, <known key>: ` at `at`.
fn next_key_at(text: &str, at: usize) -> bool {
    let Some(rest) = text.get(at..).and_then(|t| t.strip_prefix(", ")) else {
        return false;
    };
    KNOWN_KEYS.iter().any(|k| {
        rest.strip_prefix(k)
            .is_some_and(|after| after.starts_with(": "))
    })
}

/// `_NEXT_KEY.search(text, start)`: where the first `, <known key>: ` starts.
fn next_key(text: &str, start: usize) -> Option<usize> {
    memchr::memchr_iter(b',', &text.as_bytes()[start..])
        .map(|i| start + i)
        .find(|&i| next_key_at(text, i))
}

/// `_FIRST_KEY.match(text, pos)`: `([A-Za-z][A-Za-z0-9 _-]{0,40}?): `, the key and
/// where its value starts.
fn first_key(text: &str, pos: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    if !b.get(pos)?.is_ascii_alphabetic() {
        return None;
    }
    for e in pos + 1..=pos + 41 {
        if b.get(e..).is_some_and(|r| r.starts_with(b": ")) {
            return Some((&text[pos..e], e + 2));
        }
        let more = b
            .get(e)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b' ' | b'_' | b'-'));
        if !more {
            return None;
        }
    }
    None
}

/// `operations.quoted_close`: the lone `"` at or after `start` (doubled ones skipped).
fn quoted_close(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut j = start;
    loop {
        let k = j + memchr::memchr(b'"', b.get(j..)?)?;
        if b.get(k + 1) == Some(&b'"') {
            j = k + 2;
            continue;
        }
        return Some(k);
    }
}

/// `operations._read_value`: (value, end, quoted).
fn read_value<'a>(text: &'a str, start: usize, key: &str) -> (&'a str, usize, bool) {
    let n = text.len();
    if text[start..].starts_with('"') {
        let mut j = start + 1;
        while let Some(close) = quoted_close(text, j) {
            let mut after = close + 1;
            if key == "From"
                && text[after..].starts_with(" <")
                && let Some(gt) = text[after + 2..].find('>')
            {
                after = after + 2 + gt + 1;
            }
            if after == n || next_key_at(text, after) {
                return (&text[start..after], after, true);
            }
            j = close + 1;
        }
    }
    let end = next_key(text, start).unwrap_or(n);
    (&text[start..end], end, false)
}

/// `operations.parse_fields`; `None` when no key opens the text.
fn parse_fields(text: &str) -> Option<Vec<Field<'_>>> {
    let mut fields: Vec<Field<'_>> = Vec::with_capacity(12);
    let n = text.len();
    let (mut key, mut at) = first_key(text, 0)?;
    for _ in 0..MAX_FIELDS {
        let (value, pos, quoted) = read_value(text, at, key);
        if !fields.iter().any(|f| f.key == key) {
            fields.push(Field { key, value, quoted });
        }
        if pos >= n {
            break;
        }
        match first_key(text, pos + 2) {
            Some((k, a)) => (key, at) = (k, a),
            None => break,
        }
    }
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move() {
        let m = "{MOVE} Protocol: HTTP/WebMail, User: A@x.y, IP: 1.2.3.4, Folder: ~a/Drafts, \
                 Destination Folder: ~a/Sent, From: \"A, B\" <A@x.y>, Subject: \"hi \"\"x\"\"\", \
                 Msg-Id: <<1@x>>, Items count: 3";
        let Parsed::Event(op) = parse(m) else {
            panic!("not parsed")
        };
        assert_eq!(op.user.as_deref(), Some("a@x.y"));
        assert_eq!(op.sender.as_deref(), Some("a@x.y"));
        assert_eq!(op.subject.as_deref(), Some("hi \"x\""));
        assert_eq!(op.msg_id, Some("1@x"));
        assert_eq!(op.items, Some(3));
        assert_eq!(op.destination, Some("~a/Sent"));
    }

    #[test]
    fn shapes() {
        assert_eq!(parse("x"), Parsed::Other);
        assert_eq!(parse("{1}"), Parsed::Unparsed("operations: no {ACTION}"));
        let Parsed::Event(op) = parse("{DELETE_FOLDER} Folder: deleted") else {
            panic!()
        };
        assert_eq!(op.folder, Some(""));
        assert_eq!(
            parse("{X} ,"),
            Parsed::Unparsed("operations: unreadable fields")
        );
    }
}
