"""Incidents: signals about one account become one incident, not an alert storm.

Each rule counts once per incident, at its highest score; the incident's score is the
sum. Its severity is the verdict of :mod:`.verdict` over the signals of the last day (a
stranger doing harm, or one decisive fact): each rule at its best score within
:data:`~kerio_watch.values.verdict.COMBINE` of the latest signal, so that weak
signals weeks apart never add up. Incidents about no account (an outside IP alone, a
LAN machine) are judged by their score and their signals' floors instead: the verdict's
question, *is this the account's owner?*, has no meaning for them. A new alert goes out
only when the incident opens or its severity rises, at ``medium`` or above; it explains
the signals that decided it. What happens after a quiet period in log time is the
lifecycle's (:mod:`kerio_watch.incidents.lifecycle`): low and medium incidents close,
high and critical ones wait for a decision, and a quiet one becomes active again (and
alerts) when the evidence of the last day would make a ``medium`` incident by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from kerio_watch.enrich.network import machine_of
from kerio_watch.incidents import lifecycle, sharing
from kerio_watch.incidents.changes import FACT, iso_records
from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert
from kerio_watch.values.incident import SHARED_FACT, Incident
from kerio_watch.values.signal import Signal
from kerio_watch.values.verdict import COMBINE

ALERT_FROM = Severity.MEDIUM
"""Incidents below this severity are kept (their signals corroborate later ones) but
raise no alert: one side alone, weakly, is not worth an administrator's attention."""
QUIET_SECONDS = 24 * 3600
MAX_CHANGES = 20
"""Configuration changes an alert carries (the latest; the incident keeps them all)."""
EXPIRE_EVERY = 300


class SetBackClock(Protocol):
    """When the server's clock was last set back (:class:`.pipeline.setback.SetBack`)."""

    before: int
    """The newest log time before that jump (0: none)."""


def _alert_evidence(inc: Incident, trigger: Signal, reasons: list[Signal]) -> tuple[str, ...]:
    """At most 20 raw lines: those of the signals that decided the alert first (in log
    order), then the incident's: a long incident's first lines may be the owner's."""
    deciding = sorted([trigger, *reasons], key=lambda s: s.ts)
    lines = dict.fromkeys(line for s in deciding for line in s.evidence)
    for line in inc.evidence:
        if len(lines) >= 20:
            break
        lines.setdefault(line, None)
    return tuple(lines)[:20]


class IncidentEngine:
    """Keeps the open incident of each key and turns signals into alerts.

    Args:
        next_id: allocates incident ids (the store's sequence).
        format_time: UTC epoch -> ISO 8601 in the server's offset.
        quiet: seconds without signals after which an incident closes.
    """

    def __init__(
        self,
        next_id: Callable[[], int],
        format_time: Callable[[int], str],
        quiet: int = QUIET_SECONDS,
        suppressed: Callable[[str, Signal], bool] | None = None,
    ) -> None:
        self.next_id = next_id
        self.format_time = format_time
        self.quiet = quiet
        self.open: dict[str, Incident] = {}
        self.changed: dict[int, Incident] = {}
        self.suppressed = suppressed
        self.alert_count = 0
        self._next_expire = 0
        self._high: set[str] = set()
        """Keys whose incident reached ``high`` (the open ones among them are hijacks)."""
        self._hijacks: dict[str, list[str]] | None = None
        """Outside address -> accounts whose open high or critical incident it made
        (:meth:`hijacked_from`); None: to be rebuilt (an incident changed)."""
        self.set_back: SetBackClock | None = None
        """The pipeline's watch on the log clock (:class:`.pipeline.setback.SetBack`)."""

    def severity_of(self, key: str) -> int:
        """The open incident's severity for ``key`` (0 = info or none)."""
        inc = self.open.get(key)
        return int(inc.severity) if inc is not None else 0

    def opened_at(self, key: str) -> int | None:
        """When the open incident for ``key`` opened (log time), None if none is open."""
        inc = self.open.get(key)
        return inc.opened if inc is not None else None

    def evidence_since(self, key: str) -> int | None:
        """When the evidence of the open incident's verdict began, None if none is open."""
        inc = self.open.get(key)
        return inc.evidence_since() if inc is not None else None

    def hijacked_from(self, address: str, account: str, ts: int) -> str | None:
        """Another account whose open hijack (an incident at ``high`` or above) was
        worked from ``address`` (:meth:`~kerio_watch.values.incident.Incident.worked_from`),
        with a signal from it within :data:`~kerio_watch.values.verdict.COMBINE` before
        log time ``ts`` (or after it, up to the newest time before the server's clock was
        last set back); None if there is none. An IPv6 address is its /64, the
        machine's (:func:`~kerio_watch.enrich.network.machine_of`)."""
        if self._hijacks is None:
            self._hijacks = {}
            for key in sorted(self._high):
                inc = self.open.get(key)
                if inc is not None and inc.user is not None and inc.severity >= Severity.HIGH:
                    for machine in dict.fromkeys(map(machine_of, inc.worked_from())):
                        self._hijacks.setdefault(machine, []).append(key)
        machine = machine_of(address)
        # The server's clock set back: a signal dated after ``ts``, before the jump, came
        # before this line, within the day (``<= ts`` missed it, set back two hours)
        upto = ts if self.set_back is None else max(ts, self.set_back.before)
        for key in self._hijacks.get(machine, ()):
            inc = self.open.get(key)
            if key == account or inc is None:
                continue
            spans = [s for ip, s in inc.ip_span.items() if machine_of(ip) == machine]
            if any(ts - COMBINE <= span[1] <= upto for span in spans):
                return key
        return None

    def signal_from(self, key: str, rule: str, address: str, since: int) -> Signal | None:
        """The latest signal of ``rule`` from ``address`` that still counts in ``key``'s
        open incident (its last day), at or after log time ``since``; None if none."""
        inc = self.open.get(key)
        found = [
            s
            for s in (inc.window.get(rule, ()) if inc is not None else ())
            if s.source_ip == address and s.ts >= since
        ]
        return max(found, key=lambda s: s.ts) if found else None

    def shared_on(self, key: str, address: str | None = None) -> bool:
        """Whether the key's open incident gave its access alone from ``address`` (from
        any address, with None) to the address's own incident (:mod:`.sharing`; an IPv6
        address counts by its /64)."""
        inc = self.open.get(key)
        if inc is None:
            return False
        shared = inc.facts.get(SHARED_FACT, ())
        if address is None:
            return bool(shared)
        return address in shared or machine_of(address) in shared

    def ingest(self, signal: Signal) -> Alert | None:
        """Fold one signal into its key's incident; an alert if it opened, escalated, or
        (quiet, waiting for a decision) became active again. Access alone from an
        address many accounts' access alone comes from goes to the address's incident
        (:mod:`.sharing`)."""
        if self.suppressed is not None and self.suppressed(signal.key, signal):
            return None
        found = sharing.cause(self.open, signal) if sharing.candidate(signal) else None
        if found is None:
            return self._ingest(signal)
        ip, others, best = found
        about = sharing.address_signal(self.open, ip, signal, others, best)
        facts = {**signal.facts, SHARED_FACT: [ip]}
        own = self._ingest(replace(signal, facts=facts))
        address = self.ingest(about)
        return own or address

    def _ingest(self, signal: Signal) -> Alert | None:
        inc = self.open.get(signal.key)
        if inc is not None and lifecycle.stale(inc, signal.ts, self.quiet):
            if lifecycle.expires(inc):
                self._close(inc)
                inc = None
            else:
                lifecycle.mark_quiet(inc)
        if inc is None:
            inc = Incident(self.next_id(), signal.key, signal.ts, signal.ts, first_signal=signal.ts)
            self.open[signal.key] = inc
        inc.add(signal)
        self.changed[inc.id] = inc
        if inc.severity >= Severity.HIGH:
            self._high.add(inc.key)
            self._hijacks = None
        back = inc.quiet_since is not None and lifecycle.wakes(inc, inc.strength(signal))
        if int(inc.severity) > inc.alerted and inc.severity >= ALERT_FROM:
            status = "opened" if inc.alerted < 0 else "escalated"
            inc.alerted = int(inc.severity)
            return self._alert(inc, signal, status)
        if back and inc.severity >= ALERT_FROM:
            return self._alert(inc, signal, lifecycle.REACTIVATED, f"-{signal.ts}")
        return None

    def _alert(self, inc: Incident, trigger: Signal, status: str, suffix: str = "") -> Alert:
        self.alert_count += 1
        reasons = inc.current() if inc.user is not None else inc.reasons()
        return Alert(
            id=f"{inc.id}-{inc.alerted}{suffix}",
            incident_id=inc.id,
            ts=trigger.ts,
            time=self.format_time(trigger.ts),
            user=inc.user,
            rule=trigger.rule,
            severity=inc.severity,
            score=inc.score,
            summary=inc.summary(reasons),
            source_ip=trigger.source_ip or next(iter(inc.suspect_ips()), None),
            evidence=_alert_evidence(inc, trigger, reasons),
            reasons=tuple(s.summary for s in reasons),
            rules=tuple(s.rule for s in reasons),
            status=status,
            changes=tuple(iso_records(inc.facts.get(FACT, ())[-MAX_CHANGES:], self.format_time)),
        )

    def _close(self, inc: Incident) -> None:
        self._hijacks = None
        inc.status = "closed"
        self.changed[inc.id] = inc
        self.open.pop(inc.key, None)

    def expire(self, now: int) -> None:
        """Close low and medium incidents quiet for longer than the quiet period (log
        time); mark high and critical ones quiet instead (they wait for a decision).

        Checked at most every :data:`EXPIRE_EVERY` seconds of log time (a signal for a
        stale incident closes it on arrival anyway).
        """
        if now < self._next_expire:
            return
        self._next_expire = now + EXPIRE_EVERY
        for inc in [i for i in self.open.values() if lifecycle.stale(i, now, self.quiet)]:
            if lifecycle.expires(inc):
                self._close(inc)
            elif lifecycle.mark_quiet(inc):
                self.changed[inc.id] = inc

    def restore(self, incidents: list[Incident]) -> None:
        """Load the open incidents of an earlier run."""
        self._hijacks = None
        for inc in incidents:
            current = self.open.get(inc.key)
            # Two open for one key after an undo: the newest takes the new signals.
            if inc.status == "open" and (current is None or inc.updated > current.updated):
                self.open[inc.key] = inc
        self._high = {k for k, inc in self.open.items() if inc.severity >= Severity.HIGH}

    def apply_ack(self, incident_id: int, status: str, stored: Incident | None) -> Incident | None:
        """A decision made elsewhere (:func:`.lifecycle.decide`); the incident concerned."""
        decided = lifecycle.decide(self.open, self.changed, incident_id, status, stored)
        self._high = {k for k, inc in self.open.items() if inc.severity >= Severity.HIGH}
        self._hijacks = None
        return decided

    def take_changed(self) -> list[Incident]:
        """Incidents changed since the last call (to be saved)."""
        out = list(self.changed.values())
        self.changed.clear()
        return out
