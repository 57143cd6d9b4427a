"""The incident: signals about one key (an account, ``ip:<addr>`` or ``host:<addr>``)
folded into one record, with its score and severity (the verdict of
:mod:`kerio_watch.values.verdict`). :mod:`kerio_watch.incidents.engine` opens, updates
and closes them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kerio_watch.severity import Severity
from kerio_watch.values.signal import Signal
from kerio_watch.values.verdict import COMBINE, DECISIVE, FLOOR_CAP, USE, explain, judge, side_of

THRESHOLDS: tuple[tuple[int, Severity], ...] = (
    (90, Severity.CRITICAL),
    (65, Severity.HIGH),
    (40, Severity.MEDIUM),
    (20, Severity.LOW),
)
"""Score -> severity (the first threshold reached)."""

IP_CEILING = Severity.LOW
"""Incidents about an IP alone (``ip:<addr>``) never go above this unless a signal's
floor lifts them (up to ``medium``: an address many accounts' access alone was given
to, :mod:`kerio_watch.incidents.sharing`): internet noise is constant, and what matters
is whether an account was used, which raises the account's own incident. Incidents
about a machine on the LAN (``host:<addr>``, from the firewall logs) have no ceiling: a
PC that sends mail itself is the compromise."""
MACHINE_KEYS = ("ip:", "host:")
"""Key prefixes of incidents that are about no account (judged by score, not by the
verdict's two sides)."""
MAX_EVIDENCE = 50
MAX_SPANS = 1000
"""Source addresses whose runs an incident keeps (a botnet uses hundreds)."""
SHARED_FACT = "shared_address"
"""Fact of an account's incident: the outside addresses whose access alone was given to
the address's own incident (:func:`~kerio_watch.values.verdict.judge`'s ``shared``)."""


def severity_for(score: int) -> Severity:
    """The severity a score reaches on its own.

    >>> severity_for(70).label
    'high'
    """
    for threshold, severity in THRESHOLDS:
        if score >= threshold:
            return severity
    return Severity.INFO


def signal_count(count: int) -> str:
    """``3 signals``: how many signals of one rule an incident holds."""
    return f"{count} signal{'s' if count != 1 else ''}"


def with_count(summary: str, count: int) -> str:
    """A reason and its rule's signal count (``... [3 signals]``; nothing for one)."""
    return summary if count <= 1 else f"{summary} [{signal_count(count)}]"


_HARM = (USE, DECISIVE)
"""The sides of a verdict's signals that are harm (:meth:`Incident.worked_from`)."""


@dataclass(slots=True)
class Incident:
    """One incident about one key (an account, ``ip:<addr>`` or ``host:<addr>``)."""

    id: int
    key: str
    opened: int
    updated: int
    status: str = "open"
    """``open``, ``closed`` (expired), ``benign`` or ``resolved`` (by an administrator)."""
    severity: Severity = Severity.INFO
    score: int = 0
    alerted: int = -1
    """The severity last alerted, -1 before the first alert."""
    best: dict[str, Signal] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    facts: dict[str, list[Any]] = field(default_factory=dict)
    source_ips: list[str] = field(default_factory=list)
    ip_span: dict[str, list[int]] = field(default_factory=dict)
    """Per source address, [first, last] log time of its signals in its latest run (a gap
    of more than a day starts a new run): the stranger's login that came minutes before
    its first flagged message is where the evidence from that address began."""
    first_signal: int = 0
    window: dict[str, list[Signal]] = field(default_factory=dict)
    """Per rule, the signals that may still decide the verdict: the strongest of the last
    :data:`COMBINE` seconds first, then weaker later ones (a monotone queue)."""
    quiet_since: int | None = None
    """Set while an open incident that waits for a decision is quiet: the log time of its
    last signal before the quiet period (weak signals since then do not clear it)."""
    peak: list[Signal] = field(default_factory=list)
    """For an account, the signals of the last day's window that reached the incident's
    severity (the latest such window): the evidence behind the verdict, which later
    weaker signals (the owner's own logins the day after) do not replace."""

    @property
    def user(self) -> str | None:
        """The account, or None for an incident about an IP or a LAN machine."""
        return None if self.key.startswith(MACHINE_KEYS) else self.key

    def reasons(self) -> list[Signal]:
        """The best signal of each rule, strongest first."""
        return sorted(self.best.values(), key=lambda s: (-s.score, s.ts))

    def current(self) -> list[Signal]:
        """The best signal of each rule within the last day (what decides the verdict)."""
        edge = self.updated - COMBINE
        out = []
        for queue in self.window.values():
            while queue and queue[0].ts < edge:
                queue.pop(0)
            if queue:
                out.append(queue[0])
        return sorted(out, key=lambda s: (-s.score, s.ts))

    def suspect_ips(self) -> list[str]:
        """The addresses the verdict rests on (what to act on, block and name in what to
        do now, is :meth:`worked_from`, of these): for an account, those
        of the signals that made its verdict (:attr:`peak`, strongest first), not every
        address the incident ever saw (the owner's phone a week before the hijack) nor
        the last day's (the owner's logins after the intruder left); for an IP or a
        machine, its addresses."""
        if self.user is None:
            return list(self.source_ips)
        out: list[str] = []
        for s in sorted(self.peak, key=lambda s: (-s.score, s.ts)) or self.current():
            if s.source_ip and s.source_ip not in out:
                out.append(s.source_ip)
        return out or list(self.source_ips)

    def worked_from(self) -> list[str]:
        """The addresses an account's hijack was worked from (to block, and to name in
        what to do now and in other accounts' ``hijack_address``): those of the verdict's
        signals (:meth:`suspect_ips`) that did harm or are decisive, and those of the
        rest that came before the harm (the intruder's reading and logins). Access first
        seen after the harm began, with no harm from it, is not the intruder's: a hosted
        archive reading every mailbox each night, in the mailbox of an account already
        high for mail sent from elsewhere, made every mailbox it read next "used from an
        address a hijack was worked from" (16 false alerts in one site)."""
        if self.user is None:
            return list(self.source_ips)
        peak = self.peak or self.current()
        harm = min((s.ts for s in peak if side_of(s) in _HARM), default=None)
        return [
            ip
            for ip in self.suspect_ips()
            if harm is None
            or any(s.source_ip == ip and (side_of(s) in _HARM or s.ts <= harm) for s in peak)
        ]

    def evidence_since(self) -> int:
        """When the evidence of the current verdict began (log time): its earliest
        signal, or the first signal within the day before it from the same address (the
        login that a later, stronger signal of its rule replaced in the window)."""
        current = self.current()
        start = min((s.ts for s in current), default=self.opened)
        for s in current:
            span = self.ip_span.get(s.source_ip) if s.source_ip else None
            if span is not None and s.ts - COMBINE <= span[0] < start:
                start = span[0]
        return start

    def peak_since(self) -> int:
        """When the evidence that made the incident's severity began (log time): later
        than :attr:`opened` when weaker signals opened it first."""
        return min((s.ts for s in self.peak), default=self.opened)

    def summary(self, signals: list[Signal] | None = None) -> str:
        """One explanation: who (access) and what (use), or the decisive fact."""
        reasons = []
        for s in self.reasons() if signals is None else signals:
            reasons.append(replace(s, summary=self.counted(s)))
        if self.user is None:
            return "; ".join(s.summary for s in reasons)
        return explain(reasons)

    def counted(self, signal: Signal) -> str:
        """The signal's summary, with how many signals of its rule the incident holds
        set apart in words (``... [3 signals]``): a bare ``(x3)`` after a summary that
        ends in a list read as the count of its last item."""
        return with_count(signal.summary, self.counts.get(signal.rule, 1))

    def add(self, signal: Signal) -> None:
        """Fold a signal in and recompute the score and severity."""
        current = self.best.get(signal.rule)
        if current is None or signal.score > current.score:
            self.best[signal.rule] = signal
        self.counts[signal.rule] = self.counts.get(signal.rule, 0) + 1
        self.updated = max(self.updated, signal.ts)
        queue = self.window.setdefault(signal.rule, [])
        while queue and queue[-1].score <= signal.score:
            queue.pop()
        queue.append(signal)
        for line in signal.evidence:
            if len(self.evidence) < MAX_EVIDENCE and line not in self.evidence:
                self.evidence.append(line)
        for name, values in signal.facts.items():
            known = self.facts.setdefault(name, [])
            for v in values:
                if v not in known and len(known) < 1000:
                    known.append(v)
        ip = signal.source_ip
        if ip:
            if ip not in self.source_ips:
                self.source_ips.append(ip)
            span = self.ip_span.get(ip)
            if span is None or signal.ts - span[1] > COMBINE:
                if span is not None or len(self.ip_span) < MAX_SPANS:
                    self.ip_span[ip] = [signal.ts, signal.ts]
            else:
                span[1] = max(span[1], signal.ts)
        self.score = sum(s.score for s in self.best.values())
        if self.user is not None:
            recent = self.current()
            verdict = judge(recent, self.facts.get(SHARED_FACT, ()))
            if verdict >= self.severity:
                self.peak = recent
            self.severity = max(verdict, self.severity)
            return
        floor = max((s.min_severity for s in self.best.values()), default=Severity.INFO)
        severity = max(severity_for(self.score), floor, self.severity)
        if self.key.startswith("ip:"):
            severity = min(severity, max(IP_CEILING, min(floor, FLOOR_CAP)))
        self.severity = severity

    def strength(self, signal: Signal) -> Severity:
        """How strong the evidence is now, for the lifecycle (after :meth:`add`): for an
        account, the verdict over the last day (after a quiet day, only the signals since;
        not the whole incident); for an IP or a machine, the signal alone."""
        if self.user is not None:
            return judge(self.current(), self.facts.get(SHARED_FACT, ()))
        return max(severity_for(signal.score), signal.min_severity)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (stored; shown by ``incidents`` and the dashboard)."""
        return {
            "id": self.id,
            "key": self.key,
            "user": self.user,
            "opened": self.opened,
            "updated": self.updated,
            "status": self.status,
            "severity": self.severity.label,
            "score": self.score,
            "alerted": self.alerted,
            "summary": self.summary(),
            "signals": [_signal_dict(s, self.counts.get(s.rule, 1)) for s in self.reasons()],
            "window": [_signal_dict(s, 1) for q in self.window.values() for s in q],
            "evidence": self.evidence,
            "facts": self.facts,
            "source_ips": self.source_ips,
            "ip_span": self.ip_span,
            "first_signal": self.first_signal,
            "quiet_since": self.quiet_since,
            "peak": [_signal_dict(s, 1) for s in self.peak],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Incident:
        """Inverse of :meth:`to_dict`."""
        inc = cls(
            id=int(data["id"]),
            key=data["key"],
            opened=int(data["opened"]),
            updated=int(data["updated"]),
            status=data["status"],
            severity=Severity.parse(data["severity"]),
            score=int(data["score"]),
            alerted=int(data.get("alerted", -1)),
            evidence=list(data.get("evidence", [])),
            facts={k: list(v) for k, v in data.get("facts", {}).items()},
            source_ips=list(data.get("source_ips", [])),
            ip_span={str(k): [int(v[0]), int(v[1])] for k, v in data.get("ip_span", {}).items()},
            first_signal=int(data.get("first_signal", data["opened"])),
            quiet_since=data.get("quiet_since"),
        )
        for s in data.get("signals", []):
            sig = _signal_from(s, inc.key)
            inc.best[sig.rule] = sig
            inc.counts[sig.rule] = int(s.get("count", 1))
        saved = data.get("window")
        for s in data.get("signals", []) if saved is None else saved:
            sig = _signal_from(s, inc.key)
            inc.window.setdefault(sig.rule, []).append(sig)
        inc.peak = [_signal_from(s, inc.key) for s in data.get("peak", ())]
        return inc


def _signal_dict(s: Signal, count: int) -> dict[str, Any]:
    return {
        "rule": s.rule,
        "ts": s.ts,
        "score": s.score,
        "summary": s.summary,
        "source_ip": s.source_ip,
        "count": count,
        "min_severity": s.min_severity.label,
        "evidence": list(s.evidence),
        "side": s.side,
        "who": s.who,
        "inside": s.inside,
    }


def _signal_from(s: dict[str, Any], key: str) -> Signal:
    inside = s.get("inside")
    return Signal(
        s["rule"],
        key,
        int(s["ts"]),
        int(s["score"]),
        s["summary"],
        s.get("source_ip"),
        tuple(s.get("evidence", ())),
        Severity.parse(s.get("min_severity", "info")),
        side=str(s.get("side", "")),
        who=str(s.get("who", "")),
        inside=None if inside is None else bool(inside),
    )
