//! Python's string semantics where the parsers depend on them.
//!
//! `str.strip()` strips Python's whitespace set, which differs from Rust's
//! `char::is_whitespace` (Python counts U+001C..U+001F, Rust does not). `str.lower()`
//! follows the running Python's Unicode tables, so non-ASCII text that must be
//! lower-cased is left to Python (see [`lower`]).

use std::borrow::Cow;

/// `chr(c).isspace()` in CPython (stable since Unicode 6.3).
pub fn py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `s.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// `s.lower()` for ASCII text; `None` when the text is not ASCII (Python decides).
pub fn lower(s: &str) -> Option<Cow<'_, str>> {
    if !s.is_ascii() {
        return None;
    }
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Some(Cow::Owned(s.to_ascii_lowercase()))
    } else {
        Some(Cow::Borrowed(s))
    }
}

/// `s.strip().lower()`.
pub fn strip_lower(s: &str) -> Option<Cow<'_, str>> {
    lower(strip(s))
}

/// `formats.base.strip_brackets`: `<a@b>` -> `a@b`; other text stripped.
pub fn strip_brackets(value: &str) -> &str {
    let value = strip(value);
    if value.len() >= 2 && value.starts_with('<') && value.ends_with('>') {
        return strip(&value[1..value.len() - 1]);
    }
    value
}

/// `formats.base.split_addresses`, lower-cased; `None` when Python must decide.
pub fn split_addresses(value: &str) -> Option<Vec<Cow<'_, str>>> {
    let value = strip(value);
    if value.is_empty() {
        return Some(Vec::new());
    }
    if value.bytes().filter(|&b| b == b'<').count() <= 1 {
        let one = address(value)?;
        return Some(if one.is_empty() {
            Vec::new()
        } else {
            vec![one]
        });
    }
    let mut out = Vec::new();
    for part in value.split(',') {
        let p = address(part)?;
        if !p.is_empty() {
            out.push(p);
        }
    }
    Some(out)
}

/// `formats.base._address`: an address opened and not closed (a cut line) is none.
fn address(part: &str) -> Option<Cow<'_, str>> {
    let part = strip(part);
    if part.starts_with('<') && !part.ends_with('>') {
        return Some(Cow::Borrowed(""));
    }
    lower(strip_brackets(part))
}

/// The first `n` characters of `s` (`s[:n]`).
pub fn take_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Number of characters (`len(s)`), cheap for ASCII.
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_python_whitespace() {
        assert_eq!(strip("\u{1c} a\u{3000}"), "a");
        assert_eq!(strip("\u{200b}a"), "\u{200b}a");
    }

    #[test]
    fn brackets() {
        assert_eq!(strip_brackets(" < a@b > "), "a@b");
        assert_eq!(strip_brackets("<"), "<");
        assert_eq!(strip_brackets("<>"), "");
        assert_eq!(strip_brackets("a"), "a");
    }

    #[test]
    fn addresses() {
        let v = split_addresses("<A@x>, <b@y>, <>").unwrap();
        assert_eq!(v, vec!["a@x", "b@y"]);
        assert!(split_addresses("<Ä@x>").is_none());
        assert_eq!(split_addresses(" ").unwrap().len(), 0);
        assert_eq!(split_addresses("<a@x>, <b@y").unwrap(), vec!["a@x"]);
        assert_eq!(split_addresses("<b@y").unwrap().len(), 0);
    }

    #[test]
    fn chars() {
        assert_eq!(take_chars("äbc", 2), "äb");
        assert_eq!(take_chars("ab", 5), "ab");
        assert_eq!(char_len("äb"), 2);
    }
}
