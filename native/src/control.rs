//! Kerio Control's filter and connection logs (log name `control`), parsed exactly as
//! `formats/control.py` parses them.
//!
//! The regular expressions are matched by hand with the same choices (the lazy rule
//! name, the first address pair whose both sides read, the leftmost protocol). IP
//! addresses follow Python's `ipaddress`: an IPv4 address is decided here exactly
//! (four decimal octets of at most three ASCII digits, no leading zero, at most 255;
//! its canonical text is the text itself), but wherever Python's answer depends on
//! IPv6 parsing (a host with a `:`), on Unicode tables (`\b` next to a non-ASCII
//! character, lower-casing a non-ASCII protocol) the line is [`Parsed::Defer`]red.

use std::borrow::Cow;

use crate::parsed::Parsed;
use crate::text::{py_space, strip};

/// A packet or connection line: the fields of `events.Connection` (after `raw`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn<'a> {
    pub action: &'static str,
    pub protocol: Option<Cow<'a, str>>,
    pub source: &'a str,
    pub destination: &'a str,
    pub source_port: Option<u32>,
    pub destination_port: Option<u32>,
    pub interface: Option<&'a str>,
    pub direction: Option<&'static str>,
    pub rule: Option<&'a str>,
}

/// What one filter-log or connection-log line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    Conn(Conn<'a>),
    /// An HTTP or FTP rule line: `ServerNotice(topic, None, detail)`.
    Notice {
        topic: &'static str,
        detail: String,
    },
}

/// What one filter-log or connection-log message is.
pub type Control<'a> = Parsed<Line<'a>>;

#[derive(Debug, PartialEq)]
struct DeferLine;
type Res<T> = Result<T, DeferLine>;

/// Parse one message (the text after the `[date] ` prefix).
pub fn parse(message: &str) -> Control<'_> {
    let got = if message.starts_with("[ID] ") {
        connection(message)
    } else if let Some(p) = packet_match(message) {
        packet(p)
    } else {
        Ok(rule_line(message))
    };
    got.unwrap_or(Parsed::Defer)
}

struct Packet<'a> {
    action: &'a str,
    rule: &'a str,
    dir_to: bool,
    rest: &'a str,
}

/// `(?P<action>PERMIT|DENY|DROP) (?P<q>['"])(?P<rule>.*?)(?P=q) packet (?P<dir>to|from) (?P<rest>.*)\Z`
fn packet_match(message: &str) -> Option<Packet<'_>> {
    let action = ["PERMIT", "DENY", "DROP"]
        .into_iter()
        .find(|a| message.starts_with(a) && message[a.len()..].starts_with(' '))?;
    let body = &message[action.len() + 1..];
    let q = match body.as_bytes().first() {
        Some(b'\'') => '\'',
        Some(b'"') => '"',
        _ => return None,
    };
    let text = &body[1..];
    for (i, _) in text.match_indices(q) {
        let after = &text[i + 1..];
        if let Some(rest) = after.strip_prefix(" packet to ") {
            return Some(Packet {
                action,
                rule: &text[..i],
                dir_to: true,
                rest,
            });
        }
        if let Some(rest) = after.strip_prefix(" packet from ") {
            return Some(Packet {
                action,
                rule: &text[..i],
                dir_to: false,
                rest,
            });
        }
    }
    None
}

/// `(?P<action>ALLOW|DENY) (?P<kind>URL|FTP) (?P<rest>.*)\Z`
fn rule_line(message: &str) -> Control<'_> {
    for action in ["ALLOW ", "DENY "] {
        let Some(body) = message.strip_prefix(action) else {
            continue;
        };
        for (kind, topic) in [("URL ", "url_rule"), ("FTP ", "ftp_rule")] {
            if let Some(rest) = body.strip_prefix(kind) {
                return Parsed::Event(Line::Notice {
                    topic,
                    detail: format!("{action}{rest}"),
                });
            }
        }
    }
    Parsed::Other
}

fn packet(p: Packet<'_>) -> Res<Control<'_>> {
    let Some(((source, source_port), (destination, destination_port))) = pair(p.rest)? else {
        return Ok(Parsed::Unparsed(
            "control: packet line without source and destination",
        ));
    };
    let head = p.rest.split(',').next().unwrap_or("");
    let interface = if head.contains('(') || head.contains('>') {
        head.split(' ').next().unwrap_or("")
    } else {
        head
    };
    let interface = strip(interface);
    Ok(Parsed::Event(Line::Conn(Conn {
        action: if p.action == "PERMIT" {
            "allow"
        } else {
            "block"
        },
        protocol: protocol(p.rest)?,
        source,
        destination,
        source_port,
        destination_port,
        interface: (!interface.is_empty()).then_some(interface),
        direction: Some(if p.dir_to { "out" } else { "in" }),
        rule: (!p.rule.is_empty()).then_some(p.rule),
    })))
}

/// `_connection`: the `[Key] value` items (the last of a key wins), then `[Connection]`.
fn connection(message: &str) -> Res<Control<'_>> {
    let mut conn: Option<&str> = None;
    let mut rule: Option<&str> = None;
    let mut pos = 0;
    while let Some((key, start)) = next_item(message, pos) {
        let end = value_end(message, start);
        let value = strip(&message[start..end]);
        match key {
            "Connection" => conn = Some(value),
            "Rule" => rule = Some(value),
            _ => {}
        }
        pos = end;
    }
    let Some(conn) = conn else {
        return Ok(Parsed::Other);
    };
    let (proto, endpoints) = conn.split_once(' ').unwrap_or((conn, ""));
    let Some(((source, source_port), (destination, destination_port))) = pair(endpoints)? else {
        return Ok(Parsed::Unparsed(
            "control: connection line without source and destination",
        ));
    };
    Ok(Parsed::Event(Line::Conn(Conn {
        action: "allow",
        protocol: protocol_name(proto)?,
        source,
        destination,
        source_port,
        destination_port,
        interface: None,
        direction: None,
        rule: rule.filter(|r| !r.is_empty()),
    })))
}

/// `[Key] ` at `i`: the key and where its value starts.
fn item_at(text: &str, i: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let n = b[i + 1..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let close = i + 1 + n;
    (n > 0 && b.get(close) == Some(&b']') && b.get(close + 1) == Some(&b' '))
        .then(|| (&text[i + 1..close], close + 2))
}

/// The next `\[(?P<key>[A-Za-z]+)\] ` at or after `pos` (`_ITEM.finditer`).
fn next_item(text: &str, pos: usize) -> Option<(&str, usize)> {
    memchr::memchr_iter(b'[', &text.as_bytes()[pos..]).find_map(|i| item_at(text, pos + i))
}

/// Where a value starting at `start` ends: before the first ` [Key] `, or the end.
fn value_end(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    memchr::memchr_iter(b' ', &b[start..])
        .map(|i| start + i)
        .find(|&j| item_at(text, j + 1).is_some())
        .unwrap_or(text.len())
}

type Endpoint<'a> = (&'a str, Option<u32>);

const ARROWS: [&str; 5] = ["->", ">>", ">", "-", "\u{2192}"];

/// `_pair`: the first `source ARROW destination` whose both sides are endpoints.
///
/// The tokens (Python's `str.split()`) are read lazily, three at a time, up to the pair:
/// the part of the line after it (flags, sequence numbers) is never split, and no list of
/// tokens is built. An ASCII line (every firewall line seen) is split byte by byte.
#[allow(clippy::type_complexity)]
fn pair(text: &str) -> Res<Option<(Endpoint<'_>, Endpoint<'_>)>> {
    if text.is_ascii() {
        pair_in(AsciiTokens { text, at: 0 })
    } else {
        pair_in(text.split(py_space).filter(|t| !t.is_empty()))
    }
}

#[allow(clippy::type_complexity)]
fn pair_in<'a>(
    mut tokens: impl Iterator<Item = &'a str>,
) -> Res<Option<(Endpoint<'a>, Endpoint<'a>)>> {
    let (Some(mut before), Some(mut token)) = (tokens.next(), tokens.next()) else {
        return Ok(None);
    };
    for after in tokens {
        if ARROWS.contains(&token) {
            let left = before.trim_matches(['(', ',']);
            let a = endpoint(left.strip_prefix("ip/port:").unwrap_or(left))?;
            let b = endpoint(after.trim_matches([')', ',']))?;
            if let (Some(a), Some(b)) = (a, b) {
                return Ok(Some((a, b)));
            }
        }
        (before, token) = (token, after);
    }
    Ok(None)
}

/// The words of an ASCII text as `str.split()` gives them (its whitespace set, restricted
/// to ASCII: `\t` to `\r` and `\x1c` to space).
struct AsciiTokens<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for AsciiTokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let space = |b: u8| matches!(b, b'\t'..=b'\r' | 0x1c..=b' ');
        let bytes = self.text.as_bytes();
        let start = self.at + bytes[self.at..].iter().take_while(|b| space(**b)).count();
        let end = start + bytes[start..].iter().take_while(|b| !space(**b)).count();
        self.at = end;
        (end > start).then(|| &self.text[start..end])
    }
}

/// `_endpoint`: `host:port` (or a bare IP address) -> (host, port).
fn endpoint(text: &str) -> Res<Option<Endpoint<'_>>> {
    if let Some(pair) = split_host_port(text)? {
        return Ok(Some(pair));
    }
    let bare = text.trim_matches(['[', ']']);
    if bare.contains(':') {
        return Err(DeferLine); // IPv6 (and scope ids) are Python's
    }
    Ok(is_ipv4(bare).then_some((bare, None)))
}

/// `connection.split_host_port`.
fn split_host_port(text: &str) -> Res<Option<Endpoint<'_>>> {
    let value = strip(text);
    if let Some(inner) = value.strip_prefix('[') {
        let Some(end) = inner.find(']') else {
            return Ok(None);
        };
        let Some(tail) = inner[end + 1..].strip_prefix(':') else {
            return Ok(None);
        };
        return Ok(Some((address(&inner[..end])?, port(tail))));
    }
    let Some((host, tail)) = value.rsplit_once(':') else {
        return Ok(None);
    };
    if host.is_empty() {
        return Ok(None);
    }
    if host.contains(':') {
        return Err(DeferLine); // a bare IPv6 address, or IPv6 with a port
    }
    Ok(port(tail).map(|n| (host, Some(n))))
}

/// `connection.address`: the text itself, unless Python would rewrite it as IPv6.
fn address(text: &str) -> Res<&str> {
    let candidate = !text.is_empty()
        && text.contains(':')
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    if candidate { Err(DeferLine) } else { Ok(text) }
}

/// `connection.port`: an ASCII number of at most five digits up to 65535.
pub fn port(text: &str) -> Option<u32> {
    let value = strip(text);
    if value.is_empty() || value.len() > 5 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u32>().ok().filter(|&n| n <= 65535)
}

/// `ipaddress.IPv4Address(text)` succeeds (its canonical text is then `text`).
pub fn is_ipv4(text: &str) -> bool {
    let mut parts = 0;
    for octet in text.split('.') {
        parts += 1;
        let b = octet.as_bytes();
        if b.is_empty() || b.len() > 3 || !b.iter().all(u8::is_ascii_digit) {
            return false;
        }
        if b.len() > 1 && b[0] == b'0' {
            return false;
        }
        if octet.parse::<u32>().map_or(true, |n| n > 255) {
            return false;
        }
    }
    parts == 4
}

/// `connection.protocol_name`.
fn protocol_name(text: &str) -> Res<Option<Cow<'_, str>>> {
    let value = strip(text);
    if !value.is_ascii() {
        return Err(DeferLine);
    }
    if value.is_empty() || value == "-" || value.len() > 20 {
        return Ok(None);
    }
    let lower = value.to_ascii_lowercase();
    let known = match lower.as_str() {
        "1" => "icmp",
        "2" => "igmp",
        "6" => "tcp",
        "17" => "udp",
        "41" => "ipv6",
        "47" => "gre",
        "50" => "esp",
        "58" => "ipv6-icmp",
        "112" => "carp",
        "icmpv6" => "ipv6-icmp",
        _ => return Ok(Some(Cow::Owned(lower))),
    };
    Ok(Some(Cow::Borrowed(known)))
}

const WORDS: [&str; 6] = ["TCP", "UDP", "ICMP", "ICMPv6", "GRE", "ESP"];

/// `_protocol`: `proto:\s*(?P<p>[A-Za-z0-9-]+)|\b(?P<w>TCP|UDP|ICMP|ICMPv6|GRE|ESP)\b`,
/// the leftmost match.
fn protocol(text: &str) -> Res<Option<Cow<'_, str>>> {
    let b = text.as_bytes();
    for (i, _) in text.char_indices() {
        if let Some(after) = text[i..].strip_prefix("proto:") {
            let value = after.trim_start_matches(py_space);
            let n = value
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-')
                .count();
            if n > 0 {
                return protocol_name(&value[..n]);
            }
        }
        if !matches!(b[i], b'T' | b'U' | b'I' | b'G' | b'E') {
            continue;
        }
        let words = WORDS.iter().filter(|w| text[i..].starts_with(**w));
        let before = text[..i].chars().next_back();
        for w in words {
            if word(before)? {
                break; // no boundary before
            }
            if !word(text[i + w.len()..].chars().next())? {
                return protocol_name(w);
            }
        }
    }
    Ok(None)
}

/// Whether a character is `\w` (None: no character, not a word); a non-ASCII
/// character is left to Python's tables.
fn word(c: Option<char>) -> Res<bool> {
    match c {
        None => Ok(false),
        Some(c) if c.is_ascii() => Ok(c.is_ascii_alphanumeric() || c == '_'),
        Some(_) => Err(DeferLine),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_as_python() {
        assert!(is_ipv4("1.2.3.4") && is_ipv4("0.0.0.0") && is_ipv4("255.255.255.255"));
        for bad in [
            "01.2.3.4",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "",
            "١.2.3.4",
        ] {
            assert!(!is_ipv4(bad), "{bad}");
        }
    }

    #[test]
    fn ascii_words_are_python_s() {
        for text in [
            "",
            " ",
            "a",
            "  a  b\t\tc\x0b\x0cd\re\nf\x1cg\x1dh\x1ei\x1fj ",
            "ip/port:1.2.3.4:5 -> 6.7.8.9:25, flags: SYN",
            "x\x1b y\x7f z",
        ] {
            let slow: Vec<&str> = text.split(py_space).filter(|t| !t.is_empty()).collect();
            let fast: Vec<&str> = AsciiTokens { text, at: 0 }.collect();
            assert_eq!(fast, slow, "{text:?}");
        }
        let line = "PERMIT 'NAT' packet to WAN, proto:TCP, ip/port:10.0.0.9:5268 -> 1.2.3.4:25, x";
        assert_eq!(
            pair(line),
            pair_in(line.split(py_space).filter(|t| !t.is_empty()))
        );
        assert_eq!(
            pair(line),
            Ok(Some((("10.0.0.9", Some(5268)), ("1.2.3.4", Some(25)))))
        );
    }

    #[test]
    fn packet_lines() {
        let m = "PERMIT 'Local traffic' packet to LAN, proto:TCP, len:47, \
                 ip/port:195.39.55.4:41272 -> 192.168.1.11:3663, flags: ACK";
        let Parsed::Event(Line::Conn(c)) = parse(m) else {
            panic!()
        };
        assert_eq!(
            (c.source, c.source_port, c.destination, c.destination_port),
            ("195.39.55.4", Some(41272), "192.168.1.11", Some(3663))
        );
        assert_eq!((c.interface, c.rule), (Some("LAN"), Some("Local traffic")));
        assert_eq!(c.protocol.as_deref(), Some("tcp"));
        let m = "PERMIT \"x\" packet to WAN UDP (10.0.0.1:1121 >> 10.0.0.2:53)";
        let Parsed::Event(Line::Conn(c)) = parse(m) else {
            panic!()
        };
        assert_eq!(
            (c.interface, c.protocol.as_deref()),
            (Some("WAN"), Some("udp"))
        );
        assert_eq!(
            parse("DROP 'x' packet to LAN, len:4"),
            Parsed::Unparsed("control: packet line without source and destination")
        );
        assert_eq!(
            parse("PERMIT 'x' packet to A, [::1]:5 -> 1.2.3.4:6"),
            Parsed::Defer
        );
        assert_eq!(
            parse("PERMIT 'x' packet to A, ÄTCP 1.2.3.4:5 -> 1.2.3.4:6"),
            Parsed::Defer
        );
    }

    #[test]
    fn connection_lines() {
        let m = "[ID] 1 [Rule] NAT [Connection] TCP 10.0.0.1:5 -> hit.google.com:80 [Bytes] 1";
        let Parsed::Event(Line::Conn(c)) = parse(m) else {
            panic!()
        };
        assert_eq!((c.destination, c.rule), ("hit.google.com", Some("NAT")));
        assert_eq!(parse("[ID] 1 [Rule] NAT"), Parsed::Other);
        assert!(matches!(
            parse("ALLOW FTP x"),
            Parsed::Event(Line::Notice {
                topic: "ftp_rule",
                ..
            })
        ));
    }
}
