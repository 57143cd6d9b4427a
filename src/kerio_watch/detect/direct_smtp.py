"""Machines that bypass the mail server: LAN hosts talking SMTP straight to the internet.

An infected PC sends spam to mail servers on the internet itself, which shows in the
firewall's logs and not in Kerio's. This detector reads the firewall formats'
:class:`~kerio_watch.events.Connection` events and raises one incident per machine (key
``host:<address>``, no account) when an address inside the trusted networks opens TCP
connections to an outside address on port 25, 465, 587 or 2525. Allowed and blocked
connections both count: a blocked attempt is as much a sign of infection.

Not counted:

- the mail server's own connections: its configured addresses (``[firewall]
  mail_servers``), the address inferred from the logs (its outbound SMTP carries Kerio's
  deliveries, or it receives SMTP from the internet), and any single connection whose
  destination Kerio's mail.log shows a delivery to at that moment (``Sent:`` with that
  ``Remote-Host``): that connection carried Kerio's mail;
- connections to the mail server's own public address (configured), to relays
  (``[firewall] relays``: a smarthost, a backup MX), and from allowed machines
  (``[firewall] allowed_hosts``: monitoring probes) or machines an administrator marked
  benign (``kerio-watch ack --benign``).

A connection is judged ``settle_seconds`` after it was logged, so that Kerio's ``Sent:``
line for the same delivery has arrived; once three connections of a machine carried none
of Kerio's deliveries, its further connections are judged at once. The level rises with
the distinct destinations and the connections in a short window (``window_minutes``) and
the destinations in an hour, and the machine's incident takes that level as its severity
(not the verdict's two sides, which ask about an account's owner: a machine has none to
impersonate); the incident names the accounts that use the machine (mail.log
``Sender-Host``, webmail sessions and audit.log logins of the last ``users_days``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal
from kerio_watch.detect.context import Context
from kerio_watch.detect.smtp_hosts import (
    DAY,
    Exclusions,
    HostActivity,
    HostUsers,
    Pending,
    blocked_text,
    remember,
    users_text,
)
from kerio_watch.detect.smtp_hosts_mail import HOUR, new_mail_servers, saved_mail
from kerio_watch.detect.smtp_hosts_nets import LAN, new_smtp_nets
from kerio_watch.detect.smtp_hosts_queue import new_connection_queue, saved_pending
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import Recent, count
from kerio_watch.events import Connection
from kerio_watch.settings.numbers import period, points, share, threshold
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable

if TYPE_CHECKING:
    from kerio_watch.store.base import IncidentStore, Store

RULE = "kerio.firewall.direct_smtp"
NAME = "direct_smtp"
MAIL_PORTS = frozenset({25, 465, 587, 2525})
"""SMTP, SMTPS, submission, and the alternative port spam tools use."""
KEY_PREFIX = "host:"
TCP = (None, "tcp")
LEVELS = (Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


@dataclass(frozen=True)
class DirectSmtpOptions:
    """``[detectors.direct_smtp]`` options."""

    settle_seconds: int = period(90, "seconds", positive=False)
    window_minutes: int = period(10, "minutes")
    medium_destinations: int = threshold(5, at_most="high_destinations")
    high_destinations: int = threshold(8, at_most="critical_destinations")
    critical_destinations: int = threshold(50)
    medium_connections: int = threshold(20, at_most="high_connections")
    high_connections: int = threshold(60, at_most="critical_connections")
    critical_connections: int = threshold(300)
    hour_destinations: int = threshold(25)
    score_low: int = points(25, at_most="score_medium")
    score_medium: int = points(45, at_most="score_high")
    score_high: int = points(70, at_most="score_critical")
    score_critical: int = points(95)
    users_days: int = period(30, "days")
    infer_matches: int = threshold(5)
    infer_share: float = share(0.6)


class DirectSmtpDetector(SavedState):
    """LAN machines that open SMTP connections to the internet themselves."""

    name: ClassVar[str] = NAME
    wants: ClassVar[frozenset[str]] = frozenset(
        {"connection", "message_delivery", "submission", "login_succeeded"}
    )
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "A LAN machine sends mail itself",
            "A machine inside the trusted networks opened TCP connections to outside "
            "addresses on port 25, 465, 587 or 2525 (firewall logs; allowed or blocked), "
            "other than the mail server's own deliveries and the configured relays and "
            "allowed machines.",
            "An infected PC sends spam straight to the internet, bypassing Kerio, so no "
            "Kerio log shows it while the site's address lands on blocklists. Low for a "
            "single server, medium from 5 servers (or 20 connections) in 10 minutes, high "
            "from 8 servers (or 60 connections; or 25 servers in an hour), critical from "
            "50 servers (or 300 connections).",
            "An administrator testing with swaks or telnet (a few connections: low); a "
            "monitoring probe or an application that sends through an outside service "
            "(list it in [firewall] allowed_hosts or relays); a mail client set up with "
            "a personal provider's SMTP server.",
            side="use",
        ),
    )
    options_class: ClassVar[type[DirectSmtpOptions]] = DirectSmtpOptions

    def __init__(self, ctx: Context, o: DirectSmtpOptions) -> None:
        self.ctx = ctx
        self.settle, self.window = o.settle_seconds, o.window_minutes * 60
        self.thresholds = (
            (o.critical_destinations, o.critical_connections, 1 << 62),
            (o.high_destinations, o.high_connections, o.hour_destinations),
            (o.medium_destinations, o.medium_connections, 1 << 62),
        )
        self.scores = (0, o.score_low, o.score_medium, o.score_high, o.score_critical)
        fw = ctx.config.firewall
        fixed = Exclusions(fw.mail_servers, fw.relays, fw.allowed_hosts)
        self.nets = new_smtp_nets(ctx.networks, fixed)
        self.infer = fw.infer_mail_server
        self._inside: dict[str, bool] = {}
        self.hosts: dict[str, HostActivity] = {}
        self.users = HostUsers(int(o.users_days) * DAY)
        self.mail = new_mail_servers(int(o.infer_matches), float(o.infer_share))
        self.queue = new_connection_queue(self.settle, self.infer, self.nets, self.mail)
        self._due: int | None = None
        """The log time the queue's oldest connection is due at."""
        self.recent = Recent(DAY)
        self.seen = 0
        """Firewall connections seen, ever (the report says when there were none)."""
        self._store: Store | None = None
        self._hour = 0

    # -- events ---------------------------------------------------------------------------
    def observe(self, item: Any) -> Sequence[Signal] | None:
        """Take in one event; judge the connections that have settled."""
        kind = item.kind
        if kind == "connection":
            self.seen += 1
            dport = item.destination_port
            if dport in MAIL_PORTS and item.action != "close" and item.protocol in TCP:
                ev: Connection = item
                counted = self.queue.connection(
                    ev.ts, ev.source, ev.destination, ev.source_port, dport, ev.action, ev.raw
                )  # the settling due at its time included
                self._due = self.queue.due
                return self._judged(counted)
        elif kind == "message_delivery":
            remote = item.remote_host
            if remote and not item.is_local and self.ctx.networks.is_external(remote):
                self.mail.delivered(remote, item.ts)
        elif kind == "submission":
            host = item.host
            if host and self._lan(host):
                self.users.saw(host, item.account, item.ts)
        elif kind == "login_succeeded" and self._lan(item.source):
            self.users.saw(item.source, item.user, item.ts)
        due = self._due
        if due is not None and item.ts >= due:
            return self._settle(item.ts)
        return None

    def _settle(self, now: int) -> list[Signal] | None:
        counted = self.queue.settle(now)
        self._due = self.queue.due
        return self._judged(counted)

    def _judged(self, counted: list[Pending] | None) -> list[Signal] | None:
        """Count the settled connections the queue handed back, in order."""
        if counted is None:
            return None
        signals = [s for s in map(self._count, counted) if s is not None]
        return signals or None

    def _lan(self, host: str) -> bool:
        """An IP address inside the trusted networks (cached: the same hosts recur).

        ``nets.classify`` keeps its answers too, but this dictionary is the cheaper
        look-up of the two for the submissions' and logins' hosts: asking ``classify``
        each time took 635 more instructions a look-up with the core's ``SmtpNets``
        and 730 with Python's (callgrind, the site's 52,126 look-ups, docs/native.md).
        """
        if not host:
            return False
        inside = self._inside.get(host)
        if inside is None:
            inside = bool(self.nets.classify(host) & LAN)
            remember(self._inside, host, inside)
        return inside

    # -- judging one connection -----------------------------------------------------------
    def _count(self, conn: Pending) -> Signal | None:
        """A settled connection neither excluded nor Kerio's: the machine's windows."""
        ts, host, dst, sport, dport, _action, _raw = conn
        activity = self.hosts.get(host)
        if activity is None:
            activity = self.hosts[host] = HostActivity(self.window, ts)
        if sport is not None:
            key = (dst, sport, dport)
            last = activity.seen.get(key)
            activity.seen[key] = ts
            if last is not None and ts - last < self.window:
                return None  # the same connection again (a retransmitted SYN, more packets)
        activity.add(conn)
        return self._judge(host, activity, ts)

    def _level(self, short_dest: int, short_conns: int, hour_dest: int) -> int:
        for level, (dests, conns, hourly) in zip((4, 3, 2), self.thresholds, strict=True):
            if short_dest >= dests or short_conns >= conns or hour_dest >= hourly:
                return level
        return 1

    def _judge(self, host: str, activity: HostActivity, ts: int) -> Signal | None:
        activity.short.expire(ts)
        activity.hour.expire(ts)
        short, hour = activity.short, activity.hour
        level = self._level(short.distinct, short.total, hour.distinct)
        growth = level * 100 + len(activity.destinations).bit_length()
        if not self.recent.due((RULE, host), ts, growth):
            return None
        users = self.users.users(host, ts)
        return Signal(
            RULE,
            KEY_PREFIX + host,
            ts,
            int(self.scores[level]),
            printable(self._summary(host, users, activity)),
            host,
            tuple(activity.lines),
            LEVELS[level],
            {
                "hosts": [host],
                "accounts": users,
                "destinations": sorted(activity.destinations)[:20],
                "ports": sorted(activity.ports),
            },
        )

    def _summary(self, host: str, users: list[str], activity: HostActivity) -> str:
        short, hour = activity.short, activity.hour
        minutes = self.window // 60
        if short.distinct > 1:
            what = f"opened SMTP connections to {count(short.distinct, 'outside server')}"
            what += f" in {minutes} minutes"
            if hour.distinct > short.distinct:
                what += f" ({hour.distinct:,} within an hour)"
        else:
            dst = next(iter(short.counts), "?")
            what = f"opened {count(short.total, 'SMTP connection')} to {dst} in {minutes} minutes"
        total = sum(activity.actions.values())
        ports = ", ".join(str(p) for p in sorted(activity.ports))
        plural = "s" if len(activity.ports) > 1 else ""
        return (
            f"{host} ({users_text(users)}) {what}; {count(total, 'connection')} to "
            f"{count(len(activity.destinations), 'server')} so far (port{plural} {ports}), "
            f"{blocked_text(activity.actions)}"
        )

    # -- housekeeping and state ------------------------------------------------------------
    def flush(self, now: int) -> Sequence[Signal]:
        """Judge what has settled; hourly, forget what is old."""
        due = self._due
        signals = (self._settle(now) or []) if due is not None and now >= due else []
        hour = now // HOUR
        if hour != self._hour:
            self._hour = hour
            self.users.prune(now)
            self.mail.prune(now)
            for host in [h for h, a in self.hosts.items() if a.last < now - DAY]:
                del self.hosts[host]
            edge = now - self.window
            for activity in self.hosts.values():
                activity.forget_seen(edge)
            self._refresh_benign()
        return signals

    def clock_set_back(self, old: int, new: int) -> Sequence[Signal]:
        """The server's clock set back from ``old``: the connections waiting from before
        the jump are judged now (no line after it is dated near them to carry them; they
        held every later one back until the log's time passed them again)."""
        super().clock_set_back(old, new)
        return (self._settle(old + self.settle) or []) if len(self.queue) else []

    def _refresh_benign(self) -> None:
        store = self._store
        if store is not None:
            self.nets.set_benign(sorted(benign_hosts(store)))

    def load(self, store: Store) -> None:
        """Restore the saved state and the machines marked benign."""
        self._store = store
        self._refresh_benign()
        super().load(store)

    def dump_state(self, now: int) -> dict[str, Any]:
        """Unsettled connections, active machines, who uses which machine, the mail server."""
        edge = now - DAY
        return {
            "pending": self.queue.dump(),
            "hosts": {h: a.dump() for h, a in self.hosts.items() if a.last > edge},
            "users": self.users.dump(),
            "mail": self.mail.dump(now),
            "seen": self.seen,
        }

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        self.queue.load(saved_pending(data["pending"]))
        self._due = self.queue.due
        for host, saved in data["hosts"].items():
            activity = HostActivity(self.window, int(saved["first"]))
            activity.restore(saved)
            self.hosts[str(host)] = activity
        self.users.restore(data["users"])
        self.mail.load(*saved_mail(data["mail"]))
        self.seen = int(data.get("seen", 0))

    def reset_state(self) -> None:
        """Start empty."""
        self.hosts.clear()
        self.users = HostUsers(self.users.keep)
        # the same engine's classes as this detector's address tests
        self.mail = type(self.mail)(self.mail.need_matches, self.mail.need_share)
        self.queue = type(self.queue)(self.settle, self.infer, self.nets, self.mail)
        self._due = None


def benign_hosts(store: IncidentStore) -> set[str]:
    """LAN machines whose direct-SMTP incident an administrator marked benign."""
    return {
        inc.key[len(KEY_PREFIX) :]
        for inc in store.incidents(status="benign", limit=10_000)
        if inc.key.startswith(KEY_PREFIX)
    }
