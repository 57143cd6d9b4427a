"""The part of a line around the message: Kerio's ``[date]`` prefix or a syslog header.

On disk, Kerio writes ``[DD/Mon/YYYY HH:MM:SS] message`` in the server's local time with
no offset. Forwarded to syslog, the same message arrives in an RFC 5424 or RFC 3164
record whose app-name or tag names the log; a syslog server may also write it to a
file without the ``<PRI>`` part (rsyslog's traditional and high-precision file
formats). :class:`StampParser` and :func:`split_syslog` handle all of them and return
a :class:`Framed` line.

Firewall logs come in these envelopes too, and in three more that
:func:`split_syslog` also accepts: the journal (``journalctl -o short`` and
``short-precise`` are RFC 3164 with optional fractions of seconds, ``short-iso`` is
the high-precision layout, ``-o json`` is one JSON object per line with
``__REALTIME_TIMESTAMP`` in microseconds since the epoch, UTC), the BSD format pfSense
forwards (RFC 3164 without a host name), and W3C extended records
(``2020-03-13 10:04:33 ALLOW ...``, Windows Firewall's ``pfirewall.log``, local time).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

MONTHS: dict[str, int] = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

APP_LOGS: dict[str, str] = {
    "mail": "mail",
    "audit": "audit",
    "security": "security",
    "warn": "warning",
    "warning": "warning",
    "operations": "operations",
    "spam": "spam",
    "config": "config",
    "error": "error",
    "debug": "debug",
    "filterlog": "filterlog",
}
"""Syslog app-names/tags that name a Kerio log. Others (``kerio``) are sniffed."""


class Framed(NamedTuple):
    """A line split into time and message.

    ``ts`` is epoch seconds: UTC when ``utc`` is true, otherwise the server's local wall
    time counted as if it were UTC (the time base converts it). ``log`` is the log named
    by a syslog header, or None.
    """

    ts: int
    utc: bool
    log: str | None
    message: str


class StampParser:
    """Parses ``[DD/Mon/YYYY HH:MM:SS]`` prefixes fast, caching days and times of day."""

    __slots__ = ("_days", "_tods")

    def __init__(self) -> None:
        self._days: dict[str, int] = {}
        self._tods: dict[str, int] = {}

    def time_of_day(self, clock: str) -> int | None:
        """``"16:28:11"`` -> seconds since midnight, or None (cached: at most 86,401)."""
        cached = self._tods.get(clock)
        if cached is not None:
            return cached
        if len(clock) != 8 or clock[2] != ":" or clock[5] != ":":
            return None
        hh, mm, ss = clock[0:2], clock[3:5], clock[6:8]
        if not (clock.isascii() and hh.isdigit() and mm.isdigit() and ss.isdigit()):
            return None
        h, m, s = int(hh), int(mm), int(ss)
        if h > 23 or m > 59 or s > 60:
            return None
        seconds = h * 3600 + m * 60 + s
        self._tods[clock] = seconds
        return seconds

    def day_seconds(self, day: str) -> int | None:
        """``"24/Aug/2022"`` -> local epoch seconds of that midnight, or None."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        month = MONTHS.get(day[3:6])
        if month is None or day[2] != "/" or day[6] != "/":
            return None
        if not (day[7:11].isdigit() and day[0:2].isdigit() and day.isascii()):
            return None
        try:
            ordinal = dt.date(int(day[7:11]), month, int(day[0:2])).toordinal()
        except ValueError:
            return None
        if len(self._days) > 4096:
            self._days.clear()
        seconds = (ordinal - _EPOCH_ORDINAL) * 86400
        self._days[day] = seconds
        return seconds

    def stamp(self, text: str) -> int | None:
        """Local wall seconds of an on-disk line's prefix, or None."""
        if len(text) < 22 or text[0] != "[" or text[21] != "]" or text[12] != " ":
            return None
        base = self._days.get(text[1:12])
        if base is None:
            base = self.day_seconds(text[1:12])
            if base is None:
                return None
        tod = self._tods.get(text[13:21])
        if tod is None:
            tod = self.time_of_day(text[13:21])
            if tod is None:
                return None
        return base + tod

    def split(self, text: str) -> Framed | None:
        """Split an on-disk line; None when it has no valid Kerio prefix."""
        ts = self.stamp(text)
        if ts is None:
            return None
        return Framed(ts, False, None, text[23:])


def parse_iso(stamp: str) -> tuple[int, bool] | None:
    """An RFC 3339 time -> (epoch seconds, has_offset); fractions are dropped."""
    try:
        value = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return int(value.replace(tzinfo=dt.UTC).timestamp()), False
    return int(value.timestamp()), True


def wall_clock(text: str) -> int | None:
    """The wall-clock seconds (counted as if UTC) a syslog record's stamp was written in,
    when the stamp carries its offset (RFC 5424, rsyslog's high-precision format): the
    server's clock when Kerio stamped it. None for other lines."""
    rest = text[text.find(">") + 1 :] if text.startswith("<") else text
    rest = rest.removeprefix("1 ")
    try:
        value = dt.datetime.fromisoformat(rest.split(" ", 1)[0].replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return int(value.replace(tzinfo=dt.UTC).timestamp())


def _app_log(app: str) -> str | None:
    app = app.split("[", 1)[0].rstrip(":").lower()
    return APP_LOGS.get(app)


def split_syslog(text: str, year: int) -> Framed | None:
    """Split a syslog record (RFC 5424, RFC 3164, or a syslog server's file line).

    Args:
        text: the line.
        year: the year for RFC 3164 stamps, which carry none.
    """
    rest = text
    if rest.startswith("<"):
        end = rest.find(">", 1, 6)
        if end < 0 or not rest[1:end].isdigit():
            return None
        rest = rest[end + 1 :]
        if rest.startswith("1 "):
            return _split_5424(rest[2:])
    elif rest.startswith('{"'):
        return _split_journal_json(rest)
    if rest[:4].isdigit() and rest[4:5] == "-":
        if rest[10:11] == " " and rest[13:14] == ":" and rest[16:17] == ":" and rest[19:20] == " ":
            # W3C extended (pfirewall.log): "2020-03-13 10:04:33 ALLOW TCP ...", local time
            w3c = parse_iso(rest[:19])
            return None if w3c is None else Framed(w3c[0], False, None, rest[20:])
        # rsyslog high-precision file format: "2026-04-01T14:59:31+07:00 host tag: msg"
        parts = rest.split(" ", 3)
        if len(parts) < 4:
            return None
        if not parts[2].endswith(":"):
            # Not a tag: an RFC 5424 layout without <PRI> ("time host app procid msgid sd msg").
            return _split_5424(rest)
        stamp = parse_iso(parts[0])
        if stamp is None:
            return None
        return Framed(stamp[0], stamp[1], _app_log(parts[2]), parts[3])
    return _split_3164(rest, year)


def _split_5424(rest: str) -> Framed | None:
    parts = rest.split(" ", 5)
    if len(parts) < 6:
        return None
    stamp_text, _host, app, _procid, _msgid, tail = parts
    stamp = parse_iso(stamp_text)
    if stamp is None:
        return None
    if tail.startswith("- "):
        message = tail[2:]
    elif tail == "-":
        message = ""
    elif tail.startswith("["):
        end = _structured_data_end(tail)
        message = tail[end:].lstrip(" ")
    else:
        message = tail
    if message.startswith("\ufeff"):
        message = message[1:]
    return Framed(stamp[0], stamp[1], _app_log(app), message)


def _structured_data_end(tail: str) -> int:
    """Index just past the structured-data elements at the start of ``tail``."""
    i, depth, quoted = 0, 0, False
    while i < len(tail):
        c = tail[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0 and (i + 1 >= len(tail) or tail[i + 1] != "["):
                return i + 1
        i += 1
    return len(tail)


def _split_3164(rest: str, year: int) -> Framed | None:
    # "Apr  1 14:59:31 host tag[pid]: message". Also accepted: an unpadded day ("Jan 1"),
    # fractions of seconds (journalctl -o short-precise), no host name (pfSense's BSD
    # format: "Jul  3 19:10:30 filterlog[72237]: ...") and no tag ("host message").
    if len(rest) < 16 or rest[3] != " " or rest[:3] not in MONTHS:
        return None
    if rest[4] != " " and rest[5:6] == " ":
        rest = rest[:4] + " " + rest[4:]
    if rest[9:10] != ":" or rest[12:13] != ":":
        return None
    try:
        day = int(rest[4:6])
        h, m, s = int(rest[7:9]), int(rest[10:12]), int(rest[13:15])
        when = dt.datetime(year, MONTHS[rest[:3]], day, h, m, s, tzinfo=dt.UTC)
    except ValueError:
        return None
    i = 15
    if rest[i : i + 1] == ".":
        i += 1
        while i < len(rest) and rest[i].isdigit():
            i += 1
    if rest[i : i + 1] != " ":
        return None
    first, sep, remainder = rest[i + 1 :].partition(" ")
    if not sep:
        return None
    ts = int(when.timestamp())
    if first.endswith(":"):  # no host name: the first word is the tag
        return Framed(ts, False, _app_log(first), remainder)
    tag, sep, message = remainder.partition(": ")
    if not sep:
        return Framed(ts, False, None, remainder)
    return Framed(ts, False, _app_log(tag), message)


def _split_journal_json(text: str) -> Framed | None:
    """A ``journalctl -o json`` line: its MESSAGE at its ``__REALTIME_TIMESTAMP`` (UTC)."""
    if "__REALTIME_TIMESTAMP" not in text:
        return None
    try:
        entry = json.loads(text)
        micros = int(entry["__REALTIME_TIMESTAMP"])
        message = entry["MESSAGE"]
        if isinstance(message, list):  # not UTF-8: journald writes the bytes
            message = bytes(message).decode("utf-8", "replace")
        ident = entry.get("SYSLOG_IDENTIFIER")
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
        return None
    if not isinstance(message, str):
        return None
    log = _app_log(ident) if isinstance(ident, str) else None
    return Framed(micros // 1_000_000, True, log, message)
