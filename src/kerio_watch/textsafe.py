"""Log content is attacker-controlled: make it inert for each kind of output."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    return (
        f"\\x{ord(match.group()):02x}"
        if ord(match.group()) < 0x100
        else (f"\\u{ord(match.group()):04x}")
    )


def printable(text: str | None) -> str:
    """Control characters (ESC, CR, bidi overrides...) shown as ``\\x1b``-style escapes.

    Newlines and tabs become escapes too: one log value is one line of output.

    >>> printable("a\\x1b[31mb\\nc")
    'a\\\\x1b[31mb\\\\x0ac'
    """
    if not text:
        return text or ""
    text = text.replace("\n", "\\x0a").replace("\t", "\\x09")
    return _CONTROL.sub(_escape_char, text)


def header_safe(text: str, limit: int = 200) -> str:
    """One line for an e-mail header or a syslog field: printable and bounded."""
    return printable(text)[:limit]
