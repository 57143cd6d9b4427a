"""Log content is attacker-controlled: make it inert for each kind of output."""

from __future__ import annotations

import json
import re
from typing import Any

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


def inert(text: str) -> str:
    r"""Like :func:`printable` but newlines and tabs are kept: for HTML, where they are
    white space, and multi-line text.

    >>> inert("a\x1b[2Jb\x9b\u202ec\nd")
    'a\\x1b[2Jb\\x9b\\u202ec\nd'
    """
    return _CONTROL.sub(_escape_char, text) if text else text


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(data: Any, **options: Any) -> str:
    r"""``json.dumps`` keeping non-ASCII text, with *every* control and bidi character
    escaped (``\u009b``), not only the C0 ones JSON escapes itself: the same data for a
    JSON reader, never a raw terminal control for someone who prints the file.

    >>> json_text({"a": "\x1b[2J\x9b\u202e\xe9"})
    '{"a": "\\u001b[2J\\u009b\\u202e\xe9"}'
    """
    text = json.dumps(data, ensure_ascii=False, **options)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def header_safe(text: str, limit: int = 200) -> str:
    """One line for an e-mail header or a syslog field: printable and bounded."""
    return printable(text)[:limit]
