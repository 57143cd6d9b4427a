"""The direct-SMTP detector's pending connections, in either engine.

A LAN machine's SMTP connection to an outside address waits ``settle`` seconds for
Kerio's ``Sent:`` line of the same delivery, then is settled, oldest first: a
connection neither excluded (:meth:`SmtpNets.excluded`) nor carrying Kerio's mail
(:meth:`MailServers.carried`) is handed back for the machine's windows. A machine
proven to carry none of Kerio's mail (:meth:`MailServers.carries_no_kerio_mail`) is
settled at once, its waiting connections first (the drain); past
:data:`MAX_PENDING` waiting connections the oldest are settled at once.

A native run keeps the queue in the core (``kerio_watch._native.ConnectionQueue``,
``native/src/smtpq.rs``) with the same connections handed back in the same order and
the same saved rows; :func:`new_connection_queue` makes the engine's and
:func:`saved_pending` reads saved rows for either.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from kerio_watch.detect.smtp_hosts import Pending
from kerio_watch.detect.smtp_hosts_mail import MailServers, native_module, saved_int, saved_text
from kerio_watch.detect.smtp_hosts_nets import EXTERNAL, LAN, SmtpNets

MAX_PENDING = 200_000
SLACK = 30
"""Seconds a Kerio delivery may be logged before the firewall's line (clock skew)."""
FAR = 1 << 62
"""The time the :data:`MAX_PENDING` bound settles at."""


class ConnectionQueue:
    """The connections waiting for Kerio's ``Sent:`` lines."""

    def __init__(self, settle: int, infer: bool, nets: SmtpNets, mail: MailServers) -> None:
        self.delay, self.infer = settle, infer
        self.nets, self.mail = nets, mail
        self.pending: deque[Pending] = deque()
        self.waiting: dict[str, int] = {}
        """LAN address -> its connections in ``pending``."""

    @property
    def due(self) -> int | None:
        """The log time the oldest connection is due at (None when none waits)."""
        return self.pending[0][0] + self.delay if self.pending else None

    def __len__(self) -> int:
        return len(self.pending)

    def connection(
        self,
        ts: int,
        src: str,
        dst: str,
        sport: int | None,
        dport: int | None,
        action: str,
        raw: str,
    ) -> list[Pending] | None:
        """One SMTP connection (a mail port, TCP, not a close), then the settling due
        at its time: the connections to count, in order (None when there are none)."""
        out: list[Pending] = []
        self._take((ts, src, dst, sport, dport, action, raw), out)
        self._settle_due(ts, out)
        return out or None

    def settle(self, now: int) -> list[Pending] | None:
        """Settle what is due at ``now``: the connections to count, in order (or None)."""
        out: list[Pending] = []
        self._settle_due(now, out)
        return out or None

    def _take(self, conn: Pending, out: list[Pending]) -> None:
        ts, src, dst, _sport, dport, action, _raw = conn
        nets = self.nets
        source = nets.classify(src)
        if source & LAN:
            if not nets.classify(dst) & EXTERNAL:
                return
            if self.mail.carries_no_kerio_mail(src):  # no need to wait for Sent: lines
                if self.waiting.get(src):
                    self._drain(src, out)
                self._count(conn, out)
                return
            self.pending.append(conn)
            self.waiting[src] = self.waiting.get(src, 0) + 1
            if len(self.pending) > MAX_PENDING:
                self._settle_at(FAR, out, limit=len(self.pending) - MAX_PENDING)
        elif (
            self.infer
            and dport == 25
            and action != "block"
            and source & EXTERNAL
            and nets.classify(dst) & LAN
        ):
            self.mail.received(dst, src, ts)

    def _settle_due(self, now: int, out: list[Pending]) -> None:
        if self.pending and self.pending[0][0] <= now - self.delay:
            self._settle_at(now, out)

    def _settle_at(self, now: int, out: list[Pending], limit: int | None = None) -> None:
        edge = now - self.delay
        pending = self.pending
        while pending and pending[0][0] <= edge and (limit is None or limit > 0):
            conn = pending.popleft()
            self._unwait(conn[1])
            self._count(conn, out)
            if limit is not None:
                limit -= 1

    def _unwait(self, host: str) -> None:
        left = self.waiting[host] - 1
        if left:
            self.waiting[host] = left
        else:
            del self.waiting[host]

    def _drain(self, host: str, out: list[Pending]) -> None:
        """Settle the waiting connections of one machine now, in order."""
        keep: deque[Pending] = deque()
        for conn in self.pending:
            if conn[1] != host:
                keep.append(conn)
                continue
            self._count(conn, out)
        self.pending = keep
        self.waiting.pop(host, None)

    def _count(self, conn: Pending, out: list[Pending]) -> None:
        ts, host, dst = conn[0], conn[1], conn[2]
        if self.nets.excluded(host, dst):
            return
        if self.mail.carried(host, dst, ts, ts - SLACK, ts + self.delay, self.infer):
            return  # Kerio's delivery, or the mail server's connection
        out.append(conn)

    def dump(self) -> list[list[Any]]:
        """The saved rows: ``[ts, host, dst, sport, dport, action, raw]``, oldest first."""
        return [list(p) for p in self.pending]

    def load(self, rows: list[Pending]) -> None:
        """Take back saved rows, read by :func:`saved_pending` (appended)."""
        for conn in rows:
            self.pending.append(conn)
            self.waiting[conn[1]] = self.waiting.get(conn[1], 0) + 1

    def clear(self) -> None:
        """Forget every connection."""
        self.pending.clear()
        self.waiting.clear()


def new_connection_queue(settle: int, infer: bool, nets: Any, mail: Any) -> ConnectionQueue:
    """A :class:`ConnectionQueue` of the engine in use (``nets`` and ``mail`` are the
    same engine's: :func:`new_smtp_nets`, :func:`new_mail_servers`)."""
    module = native_module()
    queue: ConnectionQueue = (
        ConnectionQueue(settle, infer, nets, mail)
        if module is None
        else module.ConnectionQueue(settle, infer, nets, mail)
    )
    return queue


def _port(value: Any) -> int | None:
    return None if value is None else saved_int(value)


def saved_pending(rows: list[Any]) -> list[Pending]:
    """Saved ``pending`` rows read for :meth:`ConnectionQueue.load` (raises what
    malformed saved state raises, before either engine's state changes)."""
    out: list[Pending] = []
    for row in rows:
        ts, host, dst, sport, dport, action, raw = row
        out.append(
            (
                saved_int(ts),
                saved_text(host),
                saved_text(dst),
                _port(sport),
                _port(dport),
                saved_text(action),
                saved_text(raw),
            )
        )
    return out
