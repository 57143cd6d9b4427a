"""Reading Kerio's message queue (``Queue.get``) and summing it up per sender.

Each poll reads the queue page by page (at most ``[kerio_api] queue_limit`` messages)
and groups it by the authenticated sender (the envelope sender when the item carries
none; server-generated DSNs, with an empty sender, are left out). Per sender: messages
queued, how many are deferred (tried and waiting for a retry: a status text, or a next
try that is not "as soon as possible"), distinct recipient domains, the age of the
oldest, and the addresses they came from.

The queue has no log time: a snapshot is stamped with the poll time on kerio-watch's
clock, and the times in queue items are the server's local clock (converted with the
site's time base).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kerio_watch.events import QueueSender
from kerio_watch.respond.client import ApiClient
from kerio_watch.respond.settings import KerioApiConfig

PAGE = 1000
MAX_EPOCH = 1 << 35
"""Times beyond this (year 3058) are not times."""
SAMPLE_IDS = 50
ToUtc = Callable[[int], int]
"""Server local time (epoch seconds as if UTC) -> UTC epoch seconds."""

_ADDRESS = re.compile(r"<?([^<>\s,;]+@[^<>\s,;]+)>?")
_NOT_DEFERRED = frozenset(("", "asap"))


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """One queue item, normalised."""

    id: str
    account: str
    recipients: tuple[str, ...]
    created: int | None
    deferred: bool
    ip: str | None


@dataclass(slots=True)
class SenderQueue:
    """One sender's share of the queue."""

    account: str
    queued: int = 0
    deferred: int = 0
    domains: set[str] = field(default_factory=set)
    oldest: int | None = None
    ips: dict[str, int] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)

    def add(self, msg: QueuedMessage) -> None:
        """Count one message."""
        self.queued += 1
        self.deferred += msg.deferred
        self.domains.update(r.rpartition("@")[2] for r in msg.recipients)
        if msg.created is not None and (self.oldest is None or msg.created < self.oldest):
            self.oldest = msg.created
        if msg.ip:
            self.ips[msg.ip] = self.ips.get(msg.ip, 0) + 1
        if len(self.ids) < SAMPLE_IDS:
            self.ids.append(msg.id)

    def to_dict(self, polled: int) -> dict[str, Any]:
        """JSON-ready (stored for ``status``, ``user``, the report and the dashboard)."""
        return {
            "account": self.account,
            "queued": self.queued,
            "deferred": self.deferred,
            "domains": len(self.domains),
            "oldest_age": max(0, polled - self.oldest) if self.oldest is not None else 0,
            "ips": sorted(self.ips, key=lambda ip: -self.ips[ip])[:5],
        }


@dataclass(slots=True)
class QueueSnapshot:
    """The queue as one poll saw it."""

    polled: int
    total: int
    read: int
    messages: list[QueuedMessage]
    senders: dict[str, SenderQueue]

    @property
    def deferred(self) -> int:
        """Deferred messages among those read."""
        return sum(s.deferred for s in self.senders.values())

    def top(self, n: int = 20) -> list[SenderQueue]:
        """The senders with the most messages queued."""
        return sorted(self.senders.values(), key=lambda s: (-s.queued, s.account))[:n]

    def events(self, min_queued: int = 1) -> list[QueueSender]:
        """One ``queue_sender`` event per sender with at least ``min_queued`` messages."""
        out = []
        for s in self.top(len(self.senders)):
            if s.queued < min_queued:
                break
            d = s.to_dict(self.polled)
            raw = (
                f"Kerio API queue at {dt.datetime.fromtimestamp(self.polled, dt.UTC):%H:%M:%S}"
                f" UTC: {s.queued} messages from {s.account}, {s.deferred} deferred, "
                f"{d['domains']} recipient domains, oldest {d['oldest_age']} s"
            )
            out.append(
                QueueSender(
                    self.polled, "kerio_api", raw, s.account, s.queued, s.deferred,
                    d["domains"], d["oldest_age"], tuple(d["ips"]),
                )
            )  # fmt: skip
        return out

    def summary(self, top: int = 20) -> dict[str, Any]:
        """What is stored after each poll."""
        return {
            "polled": self.polled,
            "total": self.total,
            "read": self.read,
            "deferred": self.deferred,
            "senders": [s.to_dict(self.polled) for s in self.top(top)],
        }


def parse_time(value: Any, to_utc: ToUtc) -> int | None:
    """A queue item's time -> UTC epoch seconds, None for "as soon as possible".

    Accepts epoch numbers (seconds or milliseconds), ``YYYY-MM-DD HH:MM[:SS]`` or ISO
    8601 (without an offset: the server's local time), and Kerio's date/time structures
    (``{"date": {"year", "month", "day"}, "time": {"hour", "min"}}``).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return int(seconds) if 0 < seconds < MAX_EPOCH else None  # also NaN and infinity
    if isinstance(value, dict):
        return _struct_time(value, to_utc)
    text = str(value).strip()
    if text.lower() in _NOT_DEFERRED:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None
    if when.tzinfo is not None:
        return int(when.timestamp())
    return to_utc(int(when.replace(tzinfo=dt.UTC).timestamp()))


def _struct_time(value: dict[str, Any], to_utc: ToUtc) -> int | None:
    date, time_ = value.get("date"), value.get("time") or {}
    if not isinstance(date, dict) or not isinstance(time_, dict):
        return None
    try:
        when = dt.datetime(
            int(date["year"]),
            int(date["month"]),
            int(date["day"]),
            int(time_.get("hour", 0)),
            int(time_.get("min", 0)),
            tzinfo=dt.UTC,
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return to_utc(int(when.timestamp()))


def addresses(value: Any) -> tuple[str, ...]:
    """Recipients given as a list or as one string (commas, semicolons, ``<>``)."""
    parts = value if isinstance(value, list) else [value]
    out: list[str] = []
    for part in parts:
        if isinstance(part, dict):
            part = part.get("address") or part.get("email") or ""
        for m in _ADDRESS.finditer(str(part or "")):
            out.append(m.group(1).lower())
    return tuple(out)


def parse_item(item: dict[str, Any], api: KerioApiConfig, to_utc: ToUtc) -> QueuedMessage | None:
    """One ``Queue.get`` entry, or None when it has no sender (a DSN) or no id."""

    def get(name: str) -> Any:
        return item.get(api.field_name(name))

    qid = get("id")
    sender = addresses(get("auth_sender")) or addresses(get("from"))
    if qid is None or not sender:
        return None
    status = str(get("status") or "").strip()
    next_try = get("next_try")
    deferred = bool(status) or (
        next_try is not None and str(next_try).strip().lower() not in _NOT_DEFERRED
    )
    ip = get("sender_ip")
    return QueuedMessage(
        str(qid),
        sender[0],
        addresses(get("to")),
        parse_time(get("created"), to_utc),
        deferred,
        str(ip) if ip else None,
    )


def poll_queue(client: ApiClient, api: KerioApiConfig, to_utc: ToUtc, now: int) -> QueueSnapshot:
    """Read the queue once.

    Raises:
        ApiError: the API failed (nothing is returned half-read).
    """
    messages: list[QueuedMessage] = []
    total = read = 0
    while read < api.queue_limit:
        limit = min(PAGE, api.queue_limit - read)
        result = client.call("Queue.get", {"query": {"start": read, "limit": limit}})
        page = result.get("list") or []
        total = int(result.get("totalItems") or 0)
        read += len(page)
        for raw in page:
            if isinstance(raw, dict):
                msg = parse_item(raw, api, to_utc)
                if msg is not None:
                    messages.append(msg)
        if len(page) < limit or read >= total:
            break
    senders: dict[str, SenderQueue] = {}
    for msg in messages:
        entry = senders.get(msg.account)
        if entry is None:
            entry = senders[msg.account] = SenderQueue(msg.account)
        entry.add(msg)
    return QueueSnapshot(now, max(total, read), read, messages, senders)
