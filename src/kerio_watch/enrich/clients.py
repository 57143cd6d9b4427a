"""Which mail program wrote a message, from the shape of its Message-ID.

People keep to their mail programs, and each program writes its Message-IDs in its own
shape: Outlook ``000001d9a1b2$3c4d5e60$b5e81b20$@example.com``, Thunderbird a lower-case
UUID, Apple Mail an upper-case one, Kerio's webmail ``<digits>-<digits>@<server>``. A spam
tool or a phishing kit writes its own. The shape is learned per account; a shape it
never used is a client it never uses (an access signal, see ``unusual_service``).
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


@lru_cache(maxsize=256)
def client_of(msg_id: str | None) -> str:
    """The family of mail program that wrote a Message-ID (its shape when unknown).

    Cached (a pure function): the learner and ``unusual_service`` both ask it about
    each message.

    >>> client_of("000001d9a1b2$3c4d5e60$b5e81b20$@example.com")
    'Outlook'
    >>> client_of("3f2a9c1e0b$5d2a@bulk.example"), client_of(None)
    ('shape h10$h4', '')
    """
    if not msg_id:
        return ""
    for name, pattern in _FAMILIES:
        if pattern.search(msg_id):
            return name
    parts = []
    for token in _TOKENS.findall(msg_id.partition("@")[0]):
        if token[0] in "0123456789abcdefABCDEF":
            parts.append(f"h{len(token)}")
        elif token[0].isalpha():
            parts.append("w")
        else:
            parts.append(token)
    return f"shape {''.join(parts)[:24]}"
