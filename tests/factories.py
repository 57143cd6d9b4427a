"""Small event factories and a one-detector pipeline for detector tests.

Times are UTC epoch seconds; the test site runs on UTC so hours read as written.
``at(day, "09:30")`` is day ``day`` after Monday 2 March 2026. Addresses use
``example.com`` (local) and ``.test`` domains (outside); outside client addresses are
RFC 5737 ranges, the LAN is 192.168.1.0/24.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kerio_watch.app.config import config_from_dict
from kerio_watch.detect import DETECTORS
from kerio_watch.events import (
    Event,
    HostBlocked,
    LoginFailed,
    LoginSucceeded,
    MessageDelivery,
    MessageReceived,
)
from kerio_watch.pipeline import Pipeline
from kerio_watch.severity import Severity
from kerio_watch.store.base import Store
from kerio_watch.store.memory import MemoryStore
from kerio_watch.timebase import Timebase
from kerio_watch.values.signal import Signal

MONDAY = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())
LAN = "192.168.1.0/24"
ALICE = "alice@example.com"
BOB = "bob@example.com"
_qids = itertools.count(1)


def at(day: int, clock: str = "09:00") -> int:
    """UTC epoch of ``clock`` (``HH:MM`` or ``HH:MM:SS``) on day ``day`` after 2 Mar 2026."""
    parts = [int(p) for p in clock.split(":")]
    h, m, s = [*parts, 0, 0][:3]
    return MONDAY + day * 86400 + h * 3600 + m * 60 + s


def qid(ts: int) -> str:
    """A fresh Queue-ID for a message received at ``ts``."""
    return f"{ts:08x}-{next(_qids):08x}"


def recv(
    ts: int,
    *,
    user: str | None = ALICE,
    sender: str | None = None,
    to: Sequence[str] = ("carol@partner.test",),
    host: str | None = "192.168.1.10",
    service: str = "SMTP",
    queue_id: str | None = None,
    report: str | None = None,
    subject: str = "hello",
    size: int = 1000,
    msg_id: str | None = None,
) -> MessageReceived:
    """A ``Recv:`` line: by default Alice sends from the LAN over SMTP."""
    frm = sender if sender is not None else (user or "someone@outside.test")
    raw = f"Recv: From: <{frm}>, To: <{','.join(to)}>, User: {user}, Sender-Host: {host}"
    return MessageReceived(
        ts,
        "mail",
        raw,
        queue_id or qid(ts),
        service,
        frm,
        tuple(to),
        size,
        host,
        user,
        True,
        subject,
        msg_id,
        report,
    )


def inbound(ts: int, sender: str, to: Sequence[str] = (ALICE,)) -> MessageReceived:
    """Mail from the internet to local accounts."""
    return recv(ts, user=None, sender=sender, to=to, host="198.51.100.200")


def dsn(ts: int, to: str = ALICE) -> MessageReceived:
    """A bounce the server sends back to a local sender."""
    return recv(ts, user=None, sender="", to=(to,), host=None, service="DSN", report="failed")


def sent(
    ts: int,
    queue_id: str,
    rcpt: str,
    result: str = "delivered",
    status: str = "2.0.0",
    remote: str = "203.0.113.25",
) -> MessageDelivery:
    """A ``Sent:`` line for one recipient."""
    raw = f"Sent: Queue-ID: {queue_id}, Recipient: <{rcpt}>, Result: {result}"
    return MessageDelivery(ts, "mail", raw, queue_id, rcpt, result, status, None, remote)


def login(
    ts: int,
    user: str = ALICE,
    source: str = "192.168.1.10",
    protocol: str = "IMAP",
    agent: str | None = None,
) -> LoginSucceeded:
    """An audit.log login."""
    raw = f"{protocol}: User {user} authenticated from IP address {source}"
    return LoginSucceeded(ts, "audit", raw, protocol, user, source, agent)


def failed(
    ts: int,
    source: str,
    user: str | None = ALICE,
    protocol: str = "IMAP",
    reason: str = "invalid_password",
) -> LoginFailed:
    """A security.log failed login."""
    raw = f"{protocol}: Invalid password for user {user}. Attempt from IP address {source}"
    return LoginFailed(ts, "security", raw, protocol, source, reason, user)


def blocked(ts: int, source: str, protocol: str = "SMTP", minutes: int = 5) -> HostBlocked:
    """An AntiHammering block."""
    raw = f"{protocol}: AntiHammering - IP address {source} will be blocked for {minutes} minutes"
    return HostBlocked(ts, "security", raw, protocol, source, "block", minutes)


class Recorder(Pipeline):
    """The real pipeline, remembering every signal its detectors raised."""

    signals: list[Signal]

    def _signals(self, signals: Sequence[Signal]) -> None:
        self.signals.extend(signals)
        super()._signals(signals)

    def inject(self, signals: Sequence[Signal]) -> None:
        """Fold signals raised outside any event (a stand-in for other detectors' signals)
        and emit their alerts at once, as the end of an event would."""
        self._signals(signals)
        self._release()


def pipeline(
    *names: str,
    options: dict[str, dict[str, Any]] | None = None,
    site: dict[str, Any] | None = None,
    users: dict[str, dict[str, Any]] | None = None,
    store: Store | None = None,
    state: dict[str, Any] | None = None,
    enrich: dict[str, Any] | None = None,
) -> Recorder:
    """A pipeline running only the named detectors (all of them when none are named);
    network identity is off unless ``enrich`` says otherwise."""
    detectors: dict[str, dict[str, Any]] = {
        n: {"enabled": False} for n in DETECTORS if names and n not in names
    }
    for name, opts in (options or {}).items():
        detectors[name] = dict(opts)
    config = config_from_dict(
        {
            "site": {"local_domains": ["example.com"], "trusted_networks": [LAN], **(site or {})},
            "detectors": detectors,
            "users": users or {},
            "state": state or {},
            "enrich": enrich or {"geo": "off"},
        }
    )
    p = Recorder(config, store or MemoryStore(), Timebase(ZoneInfo("UTC")))
    p.signals = []
    return p


def feed(p: Recorder, events: Iterable[Event]) -> list[Signal]:
    """Process events in time order; the signals they raised."""
    before = len(p.signals)
    for event in sorted(events, key=lambda e: e.ts):
        p.process(event)
    return p.signals[before:]


def rules(signals: Iterable[Signal]) -> set[str]:
    """The rule ids among signals."""
    return {s.rule for s in signals}


def severity(p: Pipeline, key: str = ALICE) -> Severity:
    """The severity of the key's open incident."""
    return Severity(p.engine.severity_of(key))


def office_history(
    account: str = ALICE,
    *,
    days: int = 21,
    per_day: int = 6,
    host: str | None = "192.168.1.10",
    service: str = "SMTP",
    contacts: int = 30,
    first_day: int = 0,
    seed: int = 1,
) -> list[Event]:
    """Weeks of ordinary office mail: weekdays 08:00-17:00, from one host, to a stable set
    of outside contacts who also write in, with the client's logins and deliveries."""
    rng = random.Random(seed)
    pool = [f"contact{i}@partner{i % 5}.test" for i in range(contacts)]
    events: list[Event] = []
    for day in range(first_day, first_day + days):
        if day % 7 >= 5:
            continue
        events.append(login(at(day, "07:55"), account, host or "192.168.1.10"))
        for _ in range(per_day):
            ts = at(day, "08:00") + rng.randrange(9 * 3600)
            rcpt = rng.choice(pool)
            events.append(inbound(ts - 600, rcpt, (account,)))
            msg = recv(ts, user=account, to=(rcpt,), host=host, service=service)
            events.append(msg)
            events.append(sent(ts + 2, msg.queue_id, rcpt))
    return events
