"""Which mail program wrote a message, from the shape of its Message-ID.

People keep to their mail programs, and each program writes its Message-IDs in its own
shape: Outlook ``000001d9a1b2$3c4d5e60$b5e81b20$@example.com``, Thunderbird a lower-case
UUID, Apple Mail an upper-case one, Kerio's webmail ``<digits>-<digits>@<server>``. A spam
tool or a phishing kit writes its own. The shape is learned per account; a shape it
never used is a client it never uses (an access signal, see ``unusual_service``).

A program that writes a random token of letters and digits (a web shop, a CRM, a
mailing service: ``3mr26qccftrcpeo4u2o9osdv@mailer.example``) has one shape, its
token's length and letter case: the runs of hex digits and other letters inside a random
token are different in every message, and a shape new in every message could never be
learned (nor taught with ``ack --benign``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Outlook", re.compile(r"^[0-9a-f]{12}\$[0-9a-f]{8}\$[0-9a-f]{8}\$@", re.IGNORECASE)),
    ("Apple Mail", re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}@")),
    ("Thunderbird", re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@")),
    ("Kerio webmail", re.compile(r"^\d{6,}-\d+@")),
    ("Gmail", re.compile(r"@mail\.gmail\.com$", re.IGNORECASE)),
)
_TOKENS = re.compile(r"[0-9a-fA-F]+|[g-zG-Z]+|.")
_SEGMENTS = re.compile(r"[0-9A-Za-z]+|[^0-9A-Za-z]")
_DIGIT = re.compile(r"[0-9]")
_OTHER_LETTER = re.compile(r"[g-zG-Z]")
TOKEN_MIN = 8
"""A segment of at least this many letters and digits, with both a digit and a letter
that is not a hex digit, is a random token..."""
TOKEN_LONG = 16
"""...and so is one of at least this many with a letter that is not a hex digit (a
random token of letters and digits has no digit in some messages, by chance)."""


@lru_cache(maxsize=256)
def client_of(msg_id: str | None) -> str:
    """The family of mail program that wrote a Message-ID (its shape when unknown).

    Cached (a pure function): the learner and ``unusual_service`` both ask it about
    each message.

    >>> client_of("000001d9a1b2$3c4d5e60$b5e81b20$@example.com")
    'Outlook'
    >>> client_of("3f2a9c1e0b$5d2a@bulk.example"), client_of(None)
    ('shape h10$h4', '')
    >>> client_of("3mr26qccftrcpeo4u2o9osdv@mailer.example")
    'shape r24'

    """
    if not msg_id:
        return ""
    for name, pattern in _FAMILIES:
        if pattern.search(msg_id):
            return name
    parts = []
    for segment in _SEGMENTS.findall(msg_id.partition("@")[0]):
        if _random(segment):
            case = ("R" if segment.lower() != segment else "") + (
                "r" if segment.upper() != segment else ""
            )
            parts.append(f"{case}{len(segment)}")
            continue
        for token in _TOKENS.findall(segment):
            if token[0] in "0123456789abcdefABCDEF":
                parts.append(f"h{len(token)}")
            elif token[0].isalpha():
                parts.append("w")
            else:
                parts.append(token)
    return f"shape {''.join(parts)[:24]}"


def _random(segment: str) -> bool:
    """A random token of letters and digits (its inner runs differ in every message).

    >>> _random("3mr26qccftrcpeo4u2o9osdv"), _random("jmhummnzzvspmsqkbfprykdf")
    (True, True)
    >>> _random("3f2a9c1e0b"), _random("JavaMail"), _random("0123456789abcdef0123")
    (False, False, False)
    """
    if len(segment) < TOKEN_MIN or _OTHER_LETTER.search(segment) is None:
        return False
    return len(segment) >= TOKEN_LONG or _DIGIT.search(segment) is not None


def program_name(client: str) -> str:
    """A mail program's name, or the shape of an unknown one's Message-IDs.

    >>> program_name("Outlook"), program_name("shape h10$h4")
    ('Outlook', 'a program writing Message-IDs like h10$h4')
    """
    if client.startswith("shape "):
        return f"a program writing Message-IDs like {client[6:]}"
    return client
