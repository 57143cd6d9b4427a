"""The daily digest: one message summarising a day of incidents.

An e-mail sink with ``digest = "daily"`` does not send single alerts. The router
collects the alerts meant for it in the delivery queue and, at the first delivery
run after ``digest_time`` each day, turns them into one :class:`Digest`: the incidents
alerted since the previous digest (normally the last 24 hours, latest state of each),
the incidents still open from before, and any delivery problems of other sinks. A
quiet day still gets a short digest (unless ``digest_empty = false``), which shows
that kerio-watch is running.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence

from kerio_watch.alerts.base import Digest
from kerio_watch.alerts.render import headline, hostname, who
from kerio_watch.alerts.timing import local_time
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert
from kerio_watch.values.incident import Incident

LIST_LIMIT = 50


def latest_per_incident(alerts: Sequence[Alert]) -> list[Alert]:
    """The latest (highest) state of each incident, worst first."""
    latest: dict[int, Alert] = {}
    for alert in alerts:
        current = latest.get(alert.incident_id)
        if current is None or (alert.severity, alert.ts) >= (current.severity, current.ts):
            latest[alert.incident_id] = alert
    return sorted(latest.values(), key=lambda a: (-a.severity, a.ts))


def _counts(severities: Sequence[Severity]) -> str:
    n = Counter(severities)
    return ", ".join(f"{n[s]} {s.label}" for s in sorted(n, reverse=True))


def build_digest(
    alerts: Sequence[Alert],
    still_open: Sequence[Incident],
    status_of: Callable[[int], str | None],
    since: float,
    until: float,
    zone: dt.tzinfo | None,
    problems: Sequence[str] = (),
) -> Digest:
    """The digest for one period.

    Args:
        alerts: alerts collected for the digest sink in the period.
        still_open: open incidents (those already in ``alerts`` are skipped).
        status_of: incident id -> its current status (open, closed, benign, resolved).
        since: start of the period (epoch).
        until: end of the period (epoch).
        zone: time zone for the times shown (None: this machine's).
        problems: one line per delivery problem worth reporting.
    """
    start, end = local_time(since, zone), local_time(until, zone)
    incidents = latest_per_incident(alerts)
    shown = {a.incident_id for a in incidents}
    older = [i for i in still_open if i.id not in shown]
    out = [
        f"kerio-watch daily digest for {printable(hostname())}",
        f"Period: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({end:%z})",
        "",
    ]
    out += _new_lines(incidents, status_of)
    out += _older_lines(older, zone)
    if problems:
        out += ["", "Delivery problems:"]
        out += [f"  - {printable(p)}" for p in problems]
    out += [
        "",
        "What to do:",
        "  - Review open incidents: kerio-watch incidents --status open",
        "  - Close each one: kerio-watch ack ID --resolve (handled), or --benign (expected;",
        "    kerio-watch then learns it as normal for that account).",
        "",
        "-- ",
        "kerio-watch",
    ]
    return Digest(_subject(incidents, older, end), "\n".join(out) + "\n")


def _subject(incidents: Sequence[Alert], older: Sequence[Incident], end: dt.datetime) -> str:
    """The digest's subject: the day, the new incidents by severity, how many are older."""
    if incidents:
        subject = (
            f"daily digest {end:%Y-%m-%d}: {len(incidents)} incident"
            f"{'s' if len(incidents) != 1 else ''}: {_counts([a.severity for a in incidents])}"
        )
    else:
        subject = f"daily digest {end:%Y-%m-%d}: no new incidents"
    if older:
        subject += f", {len(older)} still open"
    return subject


def _new_lines(incidents: Sequence[Alert], status_of: Callable[[int], str | None]) -> list[str]:
    """The incidents alerted in the period (or the line that says there were none)."""
    if not incidents:
        return ["No new incidents in this period: kerio-watch is running and found nothing."]
    out = [
        f"New or escalated incidents: {len(incidents)} ({_counts([a.severity for a in incidents])})"
    ]
    for a in incidents[:LIST_LIMIT]:
        status = status_of(a.incident_id) or "open"
        out.append(
            f"  {a.severity.label.upper():8} #{a.incident_id:<5} {who(a)} — "
            f"{headline(a)} [{status}]"
        )
    if len(incidents) > LIST_LIMIT:
        out.append(f"  ... and {len(incidents) - LIST_LIMIT} more")
    return out


def _older_lines(older: Sequence[Incident], zone: dt.tzinfo | None) -> list[str]:
    """The incidents still open from before the period."""
    if not older:
        return []
    out = ["", f"Still open from before: {len(older)}"]
    for inc in sorted(older, key=lambda i: (-i.severity, i.opened))[:LIST_LIMIT]:
        opened = local_time(inc.opened, zone)
        out.append(
            f"  {inc.severity.label.upper():8} #{inc.id:<5} {printable(inc.key)} — "
            f"{printable(inc.summary())[:200]} (since {opened:%Y-%m-%d})"
        )
    return out
