"""operations.log: items and folders moved or deleted in mailboxes (formats doc §6).

``{ACTION} Key: value, Key: value, ...`` where ``ACTION`` is ``MOVE``, ``MOVE_FOLDER``,
``DELETE_FOLDER``, ``DELETE`` or any other ``{WORD}``. Known keys::

    Protocol, User, IP, Folder, Destination Folder, Old location, New location,
    Items count, From, Subject, Msg-Id, Delivered, Size

Values are split on ``, <known key>: `` anchors, not on every comma, because folder
paths may contain commas. ``From: "Name, with comma" <addr>`` and ``Subject: "..."`` are
double-quoted with embedded quotes doubled (``""``); a quoted value ends at the first
lone ``"`` that is followed by the end of the line or by ``, <known key>: `` (``From``
may have `` <addr>`` in between), so a Subject cannot inject fields. ``Msg-Id:
<<id>>`` is written with double angle brackets. When a key repeats, the first value
wins: user-controlled text (From, Subject) comes after the server's own fields.

``{DELETE_FOLDER} Folder: <path> deleted`` has its own shape.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kerio_watch.events import Event, MailboxOperation, Unparsed

LOG = "operations"

KNOWN_KEYS: tuple[str, ...] = (
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
)

MAX_FIELDS = 32
"""Fields read from one line at most. Real lines have about ten; each value is found by a
scan to the next key, so a hostile line of thousands of ``Key: "value`` pairs would
otherwise cost time quadratic in its length. The rest of such a line is ignored."""

_ACTION = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}(?: |\Z)")
_FIRST_KEY = re.compile(r"([A-Za-z][A-Za-z0-9 _-]{0,40}?): ")
_NEXT_KEY = re.compile(
    r", (?:" + "|".join(re.escape(k) for k in sorted(KNOWN_KEYS, key=len, reverse=True)) + r"): "
)


def quoted_close(text: str, start: int) -> int:
    """Index of the lone ``"`` at or after ``start``, skipping doubled ``""``; -1 if none."""
    j = start
    while True:
        k = text.find('"', j)
        if k < 0:
            return -1
        if text.startswith('"', k + 1):
            j = k + 2
            continue
        return k


def unquote(text: str) -> str:
    """Drop the outer quotes of a quoted value and undouble the inner ones (``""`` -> ``"``)."""
    return text[1:-1].replace('""', '"')


def address_of(value: str) -> str | None:
    """The address in ``"Name" <a@b>``, ``<a@b>`` or ``a@b``, lower-cased; None if empty."""
    value = value.strip()
    if value.endswith(">"):
        lt = value.rfind("<")
        if lt >= 0:
            inner = value[lt + 1 : -1].strip()
            return inner.lower() or None
    if value.startswith('"'):
        return None
    return value.lower() or None


def _read_value(text: str, start: int, key: str) -> tuple[str, int, bool]:
    """(value text, end index, quoted) for the value starting at ``start``."""
    n = len(text)
    if text.startswith('"', start):
        j = start + 1
        while True:
            close = quoted_close(text, j)
            if close < 0:
                break
            after = close + 1
            if key == "From" and text.startswith(" <", after):
                gt = text.find(">", after + 2)
                if gt > 0:
                    after = gt + 1
            if after == n or _NEXT_KEY.match(text, after):
                return text[start:after], after, True
            j = close + 1
    m = _NEXT_KEY.search(text, start)
    end = m.start() if m else n
    return text[start:end], end, False


def parse_fields(text: str) -> dict[str, tuple[str, bool]] | None:
    """``Key: value, ...`` -> {key: (value, quoted)}; None when no key opens the text."""
    fields: dict[str, tuple[str, bool]] = {}
    pos, n = 0, len(text)
    key_match = _FIRST_KEY.match(text)
    if key_match is None:
        return None
    for _ in range(MAX_FIELDS):
        key = key_match.group(1)
        value, pos, quoted = _read_value(text, key_match.end(), key)
        fields.setdefault(key, (value, quoted))
        if pos >= n:
            return fields
        key_match = _FIRST_KEY.match(text, pos + 2)
        if key_match is None:  # pragma: no cover - _NEXT_KEY guarantees a key here
            return fields
    return fields


def _msg_id(value: str) -> str | None:
    value = value.strip()
    for _ in range(2):
        if len(value) >= 2 and value[0] == "<" and value[-1] == ">":
            value = value[1:-1]
    return value or None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


class OperationsParser:
    """Parser for ``operations.log``."""

    name: ClassVar[str] = "operations"

    def sniff(self, message: str) -> bool:
        """An ``{ACTION}`` line with readable fields."""
        return message.startswith("{") and isinstance(
            self.parse(message, 0, message), MailboxOperation
        )

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one operations.log message."""
        if not message.startswith("{"):
            return None
        m = _ACTION.match(message)
        if m is None:
            return Unparsed(LOG, raw, "operations: no {ACTION}")
        action = m.group(1)
        rest = message[m.end() :].rstrip(" \t\r\n")
        if not rest:
            return MailboxOperation(ts, LOG, raw, action)
        if rest.startswith("Folder: ") and rest.endswith(" deleted") and not _NEXT_KEY.search(rest):
            return MailboxOperation(ts, LOG, raw, action, folder=rest[8:-8])
        fields = parse_fields(rest)
        if fields is None:
            return Unparsed(LOG, raw, "operations: unreadable fields")

        def get(key: str) -> str | None:
            item = fields.get(key)
            return None if item is None else item[0]

        sender: str | None = None
        item = fields.get("From")
        if item is not None:
            sender = address_of(item[0])
        subject: str | None = None
        item = fields.get("Subject")
        if item is not None:
            subject = unquote(item[0]) if item[1] else item[0]
        user = get("User")
        msg_id = get("Msg-Id")
        return MailboxOperation(
            ts,
            LOG,
            raw,
            action,
            protocol=get("Protocol"),
            user=user.strip().lower() if user else None,
            source=get("IP"),
            folder=get("Folder") if "Folder" in fields else get("Old location"),
            destination=(
                get("Destination Folder") if "Destination Folder" in fields else get("New location")
            ),
            sender=sender,
            subject=subject,
            msg_id=_msg_id(msg_id) if msg_id is not None else None,
            items=_int(get("Items count")),
        )
