"""A site's on-disk Kerio logs carried in other transports, for end-to-end invariance tests.

Each function takes the lines of one on-disk log (``[DD/Mon/YYYY HH:MM:SS] message``, the
server's local time) and returns what a Kerio server or a syslog relay would have written
instead: the same messages in a syslog envelope (RFC 5424 with its offset, RFC 3164 and
rsyslog's file layouts without a year or a zone), with CRLF line ends, a byte order mark,
in another encoding, split across rotated (and gzip-compressed) files, or in the field
order of older Kerio versions. ``tests/test_transports.py`` scans a site both ways.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

HOST = "mail.example.com"
"""The host name a syslog relay records for the Kerio server."""

APP_NAMES: dict[str, str] = {"warning": "warn"}
"""Syslog app-name of a log whose name Kerio does not use as is (the rest: its name)."""


def local_time(line: str) -> dt.datetime:
    """The naive local time of an on-disk line's ``[DD/Mon/YYYY HH:MM:SS]`` prefix."""
    return dt.datetime.strptime(line[1:21], "%d/%b/%Y %H:%M:%S")


def message(line: str) -> str:
    """An on-disk line without its date prefix."""
    return line[23:]


def rfc5424(lines: list[str], log: str, zone: str, app: str | None = None) -> list[str]:
    """``<22>1 2026-03-02T08:05:19+01:00 host mail - - - message`` (the lab's layout)."""
    tz = ZoneInfo(zone)
    name = app or APP_NAMES.get(log, log)
    out = []
    for line in lines:
        stamp = local_time(line).replace(tzinfo=tz).isoformat()
        out.append(f"<22>1 {stamp} {HOST} {name} - - - {message(line)}")
    return out


def rfc3164(lines: list[str], log: str, pri: bool = True) -> list[str]:
    """``<22>Mar  2 08:05:19 host mail: message`` (local time, no year, no zone); without
    ``pri``, as rsyslog's traditional file format writes it."""
    name = APP_NAMES.get(log, log)
    head = "<22>" if pri else ""
    out = []
    for line in lines:
        when = local_time(line)
        out.append(f"{head}{when:%b} {when.day:2d} {when:%H:%M:%S} {HOST} {name}: {message(line)}")
    return out


def rsyslog_precise(
    lines: list[str], log: str, zone: str, relay_zone: str | None = None
) -> list[str]:
    """rsyslog's high-precision file format: ``2026-03-02T08:05:19.000000+01:00 host mail: msg``
    (``relay_zone``: the relay writes its own zone's time, with that offset)."""
    tz = ZoneInfo(zone)
    relay = ZoneInfo(relay_zone or zone)
    name = APP_NAMES.get(log, log)
    out = []
    for line in lines:
        when = local_time(line).replace(tzinfo=tz).astimezone(relay)
        out.append(f"{when.isoformat(timespec='microseconds')} {HOST} {name}: {message(line)}")
    return out


def with_pid(lines: list[str], log: str) -> list[str]:
    """RFC 3164 records whose tag carries a process id (``mail[4242]:``)."""
    tag = f" {APP_NAMES.get(log, log)}: "
    return [line.replace(tag, tag[:-2] + "[4242]: ", 1) for line in lines]


# Field orders of Kerio versions other than the current one (information preserving).
_USER_HOST = re.compile(r", Sender-Host: ([^,]*), User: ([^,]*),")
_SUBJECT_MSGID = re.compile(r", Subject: (.*), (Msg-Id: <[^<>]*>)$")


def user_before_host(line: str) -> str:
    """The 6.7 order of ``Recv:`` fields: ``User`` before ``Sender-Host``."""
    if " Recv: " not in line:
        return line
    return _USER_HOST.sub(r", User: \2, Sender-Host: \1,", line, count=1)


def msgid_before_subject(line: str) -> str:
    """``Msg-Id`` before ``Subject`` (an order the Logstash parser accepts)."""
    if " Recv: " not in line:
        return line
    return _SUBJECT_MSGID.sub(r", \2, Subject: \1", line, count=1)


def single_space_audit(line: str) -> str:
    """``authenticated from`` with one space (the anonymizer's syslog example)."""
    return line.replace(" authenticated  from IP address ", " authenticated from IP address ")


def mapped(lines: list[str], edit: Callable[[str], str]) -> list[str]:
    """Each line edited."""
    return [edit(line) for line in lines]


def write_text(path: Path, lines: list[str], *, newline: str = "\n", bom: bool = False,
               encoding: str = "utf-8") -> Path:  # fmt: skip
    """Write lines with this line end, an optional UTF-8 byte order mark and encoding
    (characters the encoding lacks are written as ``?``)."""
    data = "".join(line + newline for line in lines).encode(encoding, "replace")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_rotated(folder: Path, name: str, lines: list[str], parts: int, *, gz: bool,
                  live: bool = True) -> list[Path]:  # fmt: skip
    """One log split into ``parts`` files as logrotate leaves them: ``name.N[.gz]`` ...
    ``name.1[.gz]`` and, with ``live``, the newest part as ``name`` itself. Each file's
    modification time is its last line's time (as the server wrote it)."""
    size = -(-len(lines) // parts)
    chunks = [lines[i : i + size] for i in range(0, len(lines), size)]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for age, chunk in zip(range(len(chunks) - 1, -1, -1), chunks, strict=True):
        if age == 0 and live:
            path = write_text(folder / name, chunk)
        elif gz:
            path = folder / f"{name}.{age + (0 if live else 1)}.gz"
            path.write_bytes(gzip.compress("".join(x + "\n" for x in chunk).encode(), mtime=0))
        else:
            path = write_text(folder / f"{name}.{age + (0 if live else 1)}", chunk)
        paths.append(path)
    return paths


def touch_like(path: Path, last_line_utc: dt.datetime) -> None:
    """Set a file's modification time to when its last line was written."""
    stamp = last_line_utc.timestamp()
    os.utime(path, (stamp, stamp))


_QUEUE_ID = re.compile(r"Queue-ID: ([0-9a-f]{8}-[0-9a-f]{8})")
_USER = re.compile(r" User: ([^,]*),")


def thinned(mail: list[str], cap: int) -> list[str]:
    """mail.log with at most ``cap`` messages per authenticated sender (the ``Recv:`` and
    ``Sent:`` lines of the others left out): a burst of thousands keeps its shape, and a
    site's scan stays short."""
    sent: dict[str, int] = {}
    kept: set[str] = set()
    for line in mail:
        if " Recv: " not in line:
            continue
        qid, user = _QUEUE_ID.search(line), _USER.search(line)
        if qid is None or qid.group(1) in kept:
            continue
        who = user.group(1) if user else ""
        sent[who] = sent.get(who, 0) + 1
        if sent[who] <= cap:
            kept.add(qid.group(1))
    return [x for x in mail if (q := _QUEUE_ID.search(x)) is None or q.group(1) in kept]


def long_subjects(mail: list[str], every: int, length: int = 1200) -> list[str]:
    """Every ``every``-th ``Recv:`` line with a subject of ``length`` characters more
    (Kerio cuts a line at 1024 characters after its prefix)."""
    pad = " " + ("lorem ipsum " * (length // 12 + 1))[:length]
    out = []
    for i, line in enumerate(mail):
        if " Recv: " in line and i % every == 0 and ", Msg-Id: <" in line:
            line = line.replace(", Msg-Id: <", pad + ", Msg-Id: <", 1)
        out.append(line)
    return out


def cut(lines: list[str], limit: int = 1024) -> list[str]:
    """Lines cut at ``limit`` characters after their ``[date]`` prefix."""
    return [line[: 23 + limit] for line in lines]


def kms67(line: str) -> str:
    """A mail.log line as Kerio MailServer 6.7 wrote it: ``Recv:`` with ``User`` before
    ``Sender-Host`` and no ``Subject`` or ``Msg-Id``; ``Sent:`` without the status text,
    ``Remote-Host`` or ``Msg-Id``."""
    if " Recv: " in line:
        return re.sub(r", Subject: .*$", "", user_before_host(line))
    if " Sent: " in line:
        return re.sub(r"(Status: [0-9.]+)[^,]*, Remote-Host: .*$", r"\1", line)
    return line
