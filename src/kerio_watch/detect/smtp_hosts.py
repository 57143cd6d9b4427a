"""State behind the direct-SMTP detector: machines, their users, and the mail server.

- :class:`DistinctWindow`: connections and distinct destinations in a sliding window
  of log time (O(1) amortised per connection); :class:`HostActivity`: one machine's.
- :class:`HostUsers`: which accounts use which LAN machine, from mail.log
  ``Sender-Host`` (and webmail sessions) and audit.log logins.
- :class:`~kerio_watch.detect.smtp_hosts_mail.MailServers` (its own module, with the
  native core's twin): Kerio's own outbound deliveries and the mail server's addresses.

Everything is bounded and saved between runs as plain JSON data.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from typing import Any, TypeVar

from kerio_watch.detect.smtp_hosts_mail import HOUR
from kerio_watch.enrich.network import Networks
from kerio_watch.values.ip import is_ip

DAY = 86400
MAX_WINDOW = 20_000
MAX_DESTINATIONS = 10_000

T = TypeVar("T")

Pending = tuple[int, str, str, int | None, int | None, str, str]
"""A connection waiting to be judged: (log time, LAN address, destination, source port,
destination port, action, raw line)."""


class DistinctWindow:
    """Connections (and distinct destinations) in the last ``span`` seconds.

    >>> w = DistinctWindow(600)
    >>> for t, d in ((0, "a"), (10, "b"), (20, "a"), (700, "c")):
    ...     w.add(t, d)
    >>> w.expire(700); (w.total, w.distinct)
    (1, 1)
    """

    __slots__ = ("counts", "entries", "span")

    def __init__(self, span: int) -> None:
        self.span = span
        self.entries: deque[tuple[int, str]] = deque()
        self.counts: Counter[str] = Counter()

    def add(self, ts: int, key: str) -> None:
        """Count one connection to ``key`` at ``ts`` (oldest are dropped past a bound)."""
        self.entries.append((ts, key))
        self.counts[key] += 1
        if len(self.entries) > MAX_WINDOW:
            self._drop()

    def _drop(self) -> None:
        _ts, key = self.entries.popleft()
        left = self.counts[key] - 1
        if left:
            self.counts[key] = left
        else:
            del self.counts[key]

    def expire(self, now: int) -> None:
        """Forget connections at or before ``now - span``."""
        edge = now - self.span
        while self.entries and self.entries[0][0] <= edge:
            self._drop()

    @property
    def total(self) -> int:
        """Connections in the window."""
        return len(self.entries)

    @property
    def distinct(self) -> int:
        """Distinct destinations in the window."""
        return len(self.counts)

    def dump(self) -> list[list[Any]]:
        """The entries (for saving)."""
        return [[t, k] for t, k in self.entries]

    def restore(self, rows: list[list[Any]]) -> None:
        """Add saved entries."""
        for t, k in rows:
            self.add(int(t), str(k))


class HostUsers:
    """LAN address -> account -> last log time the account used it."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.hosts: dict[str, dict[str, int]] = {}

    def saw(self, host: str, account: str, ts: int) -> None:
        """``account`` sent mail or logged in from ``host`` at ``ts``."""
        users = self.hosts.get(host)
        if users is None:
            users = self.hosts[host] = {}
        if users.get(account, 0) < ts:
            users[account] = ts

    def users(self, host: str, ts: int) -> list[str]:
        """The accounts that used ``host`` in the ``keep`` seconds up to ``ts``, sorted."""
        edge = ts - self.keep
        return sorted(a for a, t in self.hosts.get(host, {}).items() if t >= edge)

    def prune(self, now: int) -> None:
        """Forget uses older than ``keep``."""
        edge = now - self.keep
        hosts = self.hosts
        for host, users in list(hosts.items()):
            if users and min(users.values()) >= edge:
                continue  # nothing to forget: kept as it is, without a copy
            users = {a: t for a, t in users.items() if t >= edge}
            if users:
                hosts[host] = users
            else:
                del hosts[host]

    def dump(self) -> dict[str, dict[str, int]]:
        """For saving."""
        return self.hosts

    def restore(self, data: dict[str, dict[str, int]]) -> None:
        """Take back :meth:`dump`."""
        for host, users in data.items():
            for account, ts in users.items():
                self.saw(str(host), str(account), int(ts))


class HostActivity:
    """One machine's direct SMTP: windows, totals and a few lines of evidence."""

    __slots__ = (
        "actions",
        "destinations",
        "first",
        "hour",
        "last",
        "lines",
        "ports",
        "seen",
        "short",
    )

    def __init__(self, short: int, ts: int) -> None:
        self.short = DistinctWindow(short)
        self.hour = DistinctWindow(HOUR)
        self.seen: dict[tuple[str, int | None, int | None], int] = {}
        self.actions: Counter[str] = Counter()
        self.ports: Counter[int] = Counter()
        self.destinations: set[str] = set()
        self.lines: list[str] = []
        self.first = ts
        self.last = ts

    def add(self, conn: Pending) -> None:
        """Count one connection."""
        ts, _host, dst, _sport, dport, action, raw = conn
        self.last = max(self.last, ts)
        self.short.add(ts, dst)
        self.hour.add(ts, dst)
        self.actions[action] += 1
        if dport is not None:
            self.ports[dport] += 1
        if len(self.destinations) < MAX_DESTINATIONS:
            self.destinations.add(dst)
        if len(self.lines) < 3:
            self.lines.append(raw)
        elif len(self.lines) < 5 or self.lines[-1] != raw:
            self.lines[3:] = [raw]

    def forget_seen(self, edge: int) -> None:
        """Forget connections last seen at or before ``edge`` (a copy only when any is)."""
        seen = self.seen
        if seen and min(seen.values()) <= edge:
            self.seen = {k: t for k, t in seen.items() if t > edge}

    def dump(self) -> dict[str, Any]:
        """For saving (the hour's connections rebuild both windows)."""
        return {
            "hour": self.hour.dump(),
            "actions": dict(self.actions),
            "ports": {str(p): n for p, n in self.ports.items()},
            "destinations": sorted(self.destinations)[:2000],
            "lines": self.lines,
            "first": self.first,
            "last": self.last,
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump`."""
        for t, key in data["hour"]:
            self.short.add(int(t), str(key))
            self.hour.add(int(t), str(key))
        self.actions.update({str(k): int(v) for k, v in data["actions"].items()})
        self.ports.update({int(k): int(v) for k, v in data["ports"].items()})
        self.destinations.update(str(d) for d in data["destinations"])
        self.lines = [str(line) for line in data["lines"]]
        self.first = int(data["first"])
        self.last = int(data["last"])


class Exclusions:
    """The configured machines whose connections are not counted: from the mail servers
    (``mail_servers``) or allowed machines, to the mail servers or relays. Each
    address's answer is kept (the same few recur on every connection)."""

    def __init__(
        self, servers: Iterable[str], relays: Iterable[str], allowed: Iterable[str]
    ) -> None:
        self.servers, self.relays = Networks(servers), Networks(relays)
        self.allowed = Networks(allowed)
        self.sources: dict[str, bool] = {}
        self.destinations: dict[str, bool] = {}

    def source(self, host: str) -> bool:
        """A connection from ``host`` is not counted."""
        out = self.sources.get(host)
        if out is None:
            out = self.servers.is_trusted(host) is True or self.allowed.is_trusted(host) is True
            remember(self.sources, host, out)
        return out

    def destination(self, dst: str) -> bool:
        """A connection to ``dst`` is not counted."""
        out = self.destinations.get(dst)
        if out is None:
            out = is_ip(dst) and bool(self.servers.is_trusted(dst) or self.relays.is_trusted(dst))
            remember(self.destinations, dst, out)
        return out


def remember(cache: dict[str, T], key: str, value: T) -> None:
    """Keep ``value`` for ``key`` in a bounded cache (emptied past 100,000 keys)."""
    if len(cache) > 100_000:
        cache.clear()
    cache[key] = value


def blocked_text(actions: Counter[str]) -> str:
    """``all blocked by the firewall``, ``3 blocked by the firewall``..."""
    total = sum(actions.values())
    blocked = actions.get("block", 0)
    if blocked == total:
        return "all blocked by the firewall"
    if blocked:
        return f"{blocked:,} blocked by the firewall"
    if actions.get("allow", 0) == total:
        return "all let through by the firewall"
    return "none logged as blocked"


def users_text(users: list[str]) -> str:
    """``used by alice@example.com, bob@example.com`` (at most five named)."""
    if not users:
        return "no account seen using it"
    shown = ", ".join(users[:5])
    return "used by " + shown + (f" and {len(users) - 5} more" if len(users) > 5 else "")
