"""spam.log: spam scored by the filter, and messages a user (un)marked as spam (doc §7).

- ``Message marked as spam with score: <x.xx>, To: <addr>, Message size: <n>,
  From: <addr>, Subject: <text>`` -> ``SpamAction("scored", user=To)``
- ``User <addr> marked a message as spam, Folder: <f>, Size: <n>, From: "<name>" <<addr>>,
  Subject: <text>`` -> ``marked_spam`` (``... as not spam`` -> ``marked_not_spam``)
- ``User <addr> moved a message to Junk E-mail folder, Folder: ..., Size: ..., From: <<addr>>,
  Subject: <text>`` -> ``moved_to_junk``
- ``Message rejected as malware/phishing spam, From: <addr>, To: <addr>, Sender IP: <ip>,
  Subject: <text>, Message size: <n>`` -> ``ContentRejected("malware_phishing")``

``Subject`` is free text (any characters, possibly empty at the end of the line: a bare
``Subject:``). It is the last field except in the malware line, where it is bounded by
the final ``, Message size: <n>``. A quoted display name in ``From`` may contain
commas; it ends at the first lone ``"`` (embedded quotes doubled).
"""

from __future__ import annotations

import re
from typing import ClassVar

from kerio_watch.events import ContentRejected, Event, SpamAction, Unparsed
from kerio_watch.formats.operations import address_of, quoted_close

LOG = "spam"

_SCORED = re.compile(
    r"Message marked as spam with score: (?P<score>[^,]*), To: (?P<to>[^,]*),"
    r" Message size: (?P<size>[^,]*), From: "
)
_USER = re.compile(
    r"User (?P<user>\S+) (?P<verb>marked a message as spam|marked a message as not spam"
    r"|moved a message to .*? folder), Folder: "
)
_MALWARE = "Message rejected as malware/phishing spam, From: "
_VERBS = {
    "marked a message as spam": "marked_spam",
    "marked a message as not spam": "marked_not_spam",
}
_SUBJECT = ", Subject:"


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _from_and_subject(text: str, start: int) -> tuple[str, str | None]:
    """From value and subject in ``text[start:]`` (``<from>, Subject: <subject>``)."""
    search_from = start
    if text.startswith('"', start):
        close = quoted_close(text, start + 1)
        if close > 0:
            search_from = close + 1
    i = text.find(_SUBJECT, search_from)
    if i < 0:
        return text[start:].rstrip(" \t\r\n"), None
    subject = text[i + len(_SUBJECT) :].rstrip("\r\n")
    if subject.startswith(" "):
        subject = subject[1:]
    return text[start:i], subject


def _malware(message: str, ts: int, raw: str) -> ContentRejected | None:
    """The malware/phishing line, split with ``str.find`` (linear time on any input).

    From, To and Sender IP are taken left to right (first occurrences), the size from the
    last ``, Message size: ``; the Subject is everything in between, so a Subject (which
    the sender chooses) can neither move the Sender IP nor the size.
    """
    text = message.rstrip(" \t\r\n")
    end = text.rfind(", Message size: ")
    if end < 0 or not _is_int(text[end + 16 :]):
        return None
    start = len(_MALWARE)
    to_at = text.find(", To: ", start, end)
    ip_at = text.find(", Sender IP: ", to_at, end) if to_at >= 0 else -1
    subj_at = text.find(", Subject:", ip_at, end + 1) if ip_at >= 0 else -1
    if subj_at < 0:
        return None
    ip = text[ip_at + 13 : subj_at].strip()
    if "," in ip:
        return None
    subject = text[subj_at + 10 : end]
    if subject.startswith(" "):
        subject = subject[1:]
    return ContentRejected(
        ts,
        LOG,
        raw,
        "malware_phishing",
        address_of(text[start:to_at]),
        address_of(text[to_at + 6 : ip_at]),
        ip or None,
        subject=subject,
    )


def _is_int(text: str) -> bool:
    return text.isascii() and text.isdigit()


class SpamParser:
    """Parser for ``spam.log``."""

    name: ClassVar[str] = "spam"

    def sniff(self, message: str) -> bool:
        """A known spam-log line."""
        return isinstance(self.parse(message, 0, message), SpamAction | ContentRejected)

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one spam.log message."""
        if message.startswith("Message "):
            m = _SCORED.match(message)
            if m is not None:
                parts = _from_and_subject(message, m.end())
                return SpamAction(
                    ts,
                    LOG,
                    raw,
                    "scored",
                    address_of(m["to"]),
                    address_of(parts[0]),
                    parts[1],
                    _float(m["score"].strip()),
                    _int(m["size"]),
                )
            if message.startswith(_MALWARE):
                event = _malware(message, ts, raw)
                if event is not None:
                    return event
            if message.startswith(("Message marked as spam", "Message rejected as")):
                return Unparsed(LOG, raw, "spam: unreadable message line")
            return None
        if message.startswith("User "):
            m = _USER.match(message)
            if m is None:
                if " a message " in message:
                    return Unparsed(LOG, raw, "spam: unreadable user line")
                return None
            action = _VERBS.get(m["verb"], "moved_to_junk")
            rest_at = m.end()
            size_at = message.find(", Size: ", rest_at)
            from_at = message.find(", From: ", rest_at if size_at < 0 else size_at)
            if from_at < 0:
                return Unparsed(LOG, raw, "spam: no From")
            folder_end = size_at if size_at >= 0 else from_at
            folder = message[rest_at:folder_end]
            size = _int(message[size_at + 8 : from_at]) if size_at >= 0 else None
            parts = _from_and_subject(message, from_at + 8)
            return SpamAction(
                ts,
                LOG,
                raw,
                action,
                m["user"].lower(),
                address_of(parts[0]),
                parts[1],
                None,
                size,
                folder,
            )
        return None
