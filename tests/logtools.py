"""Builders for Kerio log lines used by the tests (importable: ``tests`` is on sys.path)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "kerio"


def kerio_stamp(when: dt.datetime) -> str:
    """``[24/Aug/2022 16:28:11]`` for a naive local time."""
    return when.strftime("[%d/%b/%Y %H:%M:%S]")


def queue_id(when_utc: dt.datetime, counter: int) -> str:
    """A Queue-ID whose first half is the UTC receive time, as Kerio writes it."""
    return f"{int(when_utc.timestamp()):08x}-{counter:08x}"


def recv_line(
    local: dt.datetime,
    utc_offset_hours: int,
    counter: int,
    *,
    sender: str,
    to: str,
    user: str | None = None,
    host: str = "192.168.1.10",
    service: str = "SMTP",
    subject: str = "hello",
) -> str:
    """A current-format ``Recv:`` line."""
    utc = (local - dt.timedelta(hours=utc_offset_hours)).replace(tzinfo=dt.UTC)
    user_part = f", User: {user}" if user else ""
    return (
        f"{kerio_stamp(local)} Recv: Queue-ID: {queue_id(utc, counter)}, Service: {service}, "
        f"From: <{sender}>, To: <{to}>, Size: 1200, Sender-Host: {host}{user_part}, SSL: yes, "
        f"Subject: {subject}, Msg-Id: <{counter}@mail.example.com>"
    )


def sent_line(
    local: dt.datetime, utc_offset_hours: int, counter: int, *, to: str, remote: str = "127.0.0.1"
) -> str:
    """A ``Sent:`` line delivering the message ``recv_line(...)`` made with the same time
    and counter (``127.0.0.1``: to a local mailbox)."""
    utc = (local - dt.timedelta(hours=utc_offset_hours)).replace(tzinfo=dt.UTC)
    return (
        f"{kerio_stamp(local)} Sent: Queue-ID: {queue_id(utc, counter)}, Recipient: <{to}>, "
        f"Result: delivered, Status: 2.0.0 , Remote-Host: {remote}, "
        f"Msg-Id: <{counter}@mail.example.com>"
    )
