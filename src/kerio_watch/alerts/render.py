"""Alert text shared by the sinks: subject, one line, plain-text body, notices.

Everything that comes from a log (account, addresses, reasons, evidence) goes through
:func:`kerio_watch.textsafe.printable` here, so no rendering can carry a control
character, a line break or a bidi override. Sinks add their own escaping on top
(Slack mrkdwn, Adaptive Card text, syslog structured data).
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Sequence

from kerio_watch.alerts.timing import local_time
from kerio_watch.incidents import playbook
from kerio_watch.incidents.changes import alert_changes
from kerio_watch.severity import Severity
from kerio_watch.textsafe import header_safe, printable
from kerio_watch.values.alert import Alert

TEST_RULE = "kerio_watch.test"
"""The rule of the sample alert sent by ``kerio-watch test-sink``."""
HELD_RULE = "kerio_watch.delivery.held_back"
"""The rule of the "N alerts held back" notice sent when a sink's hourly cap ends."""

EVIDENCE_LINES = 10
LINE_LIMIT = 500


def hostname() -> str:
    """This machine's name, for "sent by" lines."""
    return socket.gethostname() or "localhost"


def is_notice(alert: Alert) -> bool:
    """A message about delivery itself (the held-back summary), not about an incident."""
    return alert.rule == HELD_RULE


MACHINE_RULE = "kerio.firewall.direct_smtp"
"""The rule of incidents about a LAN machine (its key is ``host:<addr>``)."""


def who(alert: Alert) -> str:
    """The account, ``machine <addr>`` for a LAN machine, ``IP <addr>`` for IP-only
    incidents, or ``server``."""
    if alert.user:
        return printable(alert.user)
    if alert.source_ip:
        kind = "machine" if MACHINE_RULE in alert.rules else "IP"
        return f"{kind} {printable(alert.source_ip)}"
    return "server"


def headline(alert: Alert) -> str:
    """The strongest reason (the summary when there is none)."""
    return printable(alert.reasons[0] if alert.reasons else alert.summary)


def subject(alert: Alert, prefix: str = "[kerio-watch]") -> str:
    """``[kerio-watch] HIGH: alice@example.com - 412 messages in 60 minutes from ...``.

    One line, printable, at most 200 characters: safe for an e-mail header. The
    separator is ASCII: Python's header folding broke a dash next to a long address into
    an empty encoded word (``=?utf-8?q??=``) that some mail programs show.
    """
    sev = alert.severity.label.upper()
    if alert.rule == TEST_RULE:
        text = f"{prefix} TEST {sev}: {headline(alert)}"
    elif is_notice(alert):
        text = f"{prefix} {sev}: {printable(alert.summary)}"
    else:
        text = f"{prefix} {sev}: {who(alert)} - {headline(alert)}"
    return header_safe(text, 200)


def one_line(alert: Alert) -> str:
    """``HIGH alice@example.com: <reason> (incident #12, score 85)``, printable."""
    sev = alert.severity.label.upper()
    if is_notice(alert):
        return f"{sev} {printable(alert.summary)}"
    more = f" (+{len(alert.reasons) - 1} more)" if len(alert.reasons) > 1 else ""
    return (
        f"{sev} {who(alert)}: {headline(alert)}{more} "
        f"(incident #{alert.incident_id}, {alert.status}, score {alert.score})"
    )


def evidence_lines(alert: Alert, limit: int = EVIDENCE_LINES) -> list[str]:
    """Up to ``limit`` evidence lines, printable and bounded, plus a "more" line."""
    lines = [printable(line)[:LINE_LIMIT] for line in alert.evidence[:limit]]
    more = len(alert.evidence) - limit
    if more > 0:
        lines.append(f"... {more} more {'line' if more == 1 else 'lines'}")
    return lines


def next_steps(alert: Alert) -> list[str]:
    """What the administrator should do, as numbered steps: for a high or critical
    incident the Kerio Connect steps with its account and address filled in
    (:mod:`kerio_watch.incidents.playbook`)."""
    if alert.rule == TEST_RULE:
        return ["Nothing: this is a test. If you can read it, delivery works."]
    if is_notice(alert):
        return [
            "Review them: kerio-watch incidents --status open",
            "Raise max_per_hour or min_severity for this destination if this happens often.",
        ]
    inc = alert.incident_id
    addresses = [alert.source_ip] if alert.source_ip else []
    if MACHINE_RULE in alert.rules and not alert.user:
        first = [
            "Take the machine off the network and check it for malware; change the passwords "
            "of the accounts used on it (the incident names them). To stop this for good, "
            "let only the mail server reach ports 25, 465, 587 and 2525 (kerio-watch report "
            "prints the firewall rule).",
            playbook.by_design([alert.source_ip] if alert.source_ip else []).line(),
        ]
    elif playbook.applies(alert.severity):
        changes = alert_changes(alert)
        first = [step.line() for step in playbook.steps(alert.user, addresses, None, changes)]
    elif alert.user:
        first = [
            f"If {printable(alert.user)} did not do this, treat the account as hijacked: "
            "change its password, end its sessions (webmail, mobile devices), and check its "
            "forwarding rules and the mail queue."
        ]
    else:
        first = [
            "If this traffic is not expected, block the address and check the accounts it used."
        ]
    return [
        *first,
        f"Review the incident: kerio-watch incidents show {inc}",
        f"When it is handled: kerio-watch ack {inc} --resolve --why '...'. If it was expected: "
        f"kerio-watch ack {inc} --benign (kerio-watch then learns it as normal).",
    ]


def text_body(alert: Alert) -> str:
    """The plain-text explanation: what happened, the facts, evidence, what to do."""
    out: list[str] = []
    sev = alert.severity.label.upper()
    if is_notice(alert):
        out += [f"{sev}: {printable(alert.summary)}", ""]
        out += [f"  - {printable(r)}" for r in alert.reasons]
    else:
        out += [f"{sev}: {who(alert)} (incident #{alert.incident_id}, {alert.status})", ""]
        out += ["What happened:"]
        out += [f"  - {printable(r)}" for r in alert.reasons or (alert.summary,)]
        out += [""]
        out += [f"When:       {printable(alert.time)}"]
        if alert.source_ip:
            out += [f"Source IP:  {printable(alert.source_ip)}"]
        rules = ", ".join(printable(r) for r in alert.rules)
        out += [f"Score:      {alert.score} (rules: {rules})", f"Alert id:   {printable(alert.id)}"]
        evidence = evidence_lines(alert)
        if evidence:
            out += ["", "Evidence (from the Kerio logs):"]
            out += [f"  > {line}" for line in evidence]
    out += ["", "What to do:"]
    out += [f"  {i}. {step}" for i, step in enumerate(next_steps(alert), 1)]
    out += ["", "-- ", f"kerio-watch on {printable(hostname())}"]
    return "\n".join(out) + "\n"


def sample_alert(severity: Severity = Severity.HIGH, now: float | None = None) -> Alert:
    """The alert ``kerio-watch test-sink`` sends: clearly a test, realistic in shape."""
    when = dt.datetime.fromtimestamp(now, dt.UTC) if now is not None else dt.datetime.now(dt.UTC)
    when = when.astimezone().replace(microsecond=0)
    return Alert(
        id="test-0",
        incident_id=0,
        ts=int(when.timestamp()),
        time=when.isoformat(),
        user="test-sink@example.invalid",
        rule=TEST_RULE,
        severity=severity,
        score=0,
        summary="Test alert from kerio-watch test-sink: delivery works; no action is needed",
        source_ip="192.0.2.10",
        evidence=(
            "[23/Mar/2026 10:14:59] Recv: Queue-ID: 65ffa2b3-00000001, Service: SMTP, "
            "From: <test-sink@example.invalid>, To: <someone@example.org>, Size: 2048, "
            "User: test-sink@example.invalid, Sender-Host: 192.0.2.10, SSL: yes",
        ),
        reasons=(
            "Test alert from kerio-watch test-sink: delivery works; no action is needed",
            "A real alert would say here what happened, e.g. 412 messages in 60 minutes "
            "from 192.0.2.10 (usually 3 an hour)",
        ),
        rules=(TEST_RULE,),
        status="test",
    )


def _held_reasons(held: Sequence[Alert], limit: int) -> tuple[int, list[str]]:
    """How many incidents the held alerts are about, and a line for each (worst first)."""
    latest: dict[int, Alert] = {}
    for alert in held:
        current = latest.get(alert.incident_id)
        if current is None or (alert.severity, alert.ts) >= (current.severity, current.ts):
            latest[alert.incident_id] = alert
    ordered = sorted(latest.values(), key=lambda a: (-a.severity, a.ts))
    reasons = [
        f"{a.severity.label.upper()} {who(a)}: {headline(a)} (incident #{a.incident_id})"
        for a in ordered[:limit]
    ]
    more = len(ordered) - limit
    if more > 0:
        reasons.append(f"... and {more} more {'incident' if more == 1 else 'incidents'}")
    return len(latest), reasons


def held_back_alert(
    sink: str,
    held: Sequence[Alert],
    start: float,
    end: float,
    cap: int,
    zone: dt.tzinfo | None,
    limit: int = 20,
) -> Alert:
    """One notice summarising the alerts a sink's hourly cap held back.

    Args:
        sink: the sink's name.
        held: the held alerts, oldest first (one incident may appear several times).
        start: the start of the capped hour (epoch).
        end: its end (epoch).
        cap: the sink's ``max_per_hour``.
        zone: the time zone for the times shown (None: this machine's).
        limit: incidents listed before "and N more".
    """
    incidents, reasons = _held_reasons(held, limit)
    t0, t1 = local_time(start, zone), local_time(end, zone)
    n = len(held)
    noun = "alert" if n == 1 else "alerts"
    summary = (
        f"{n} {noun} held back between {t0:%H:%M} and {t1:%H:%M} "
        f"({incidents} incidents; max_per_hour = {cap} for {printable(sink)})"
    )
    return Alert(
        id=f"held-{sink}-{int(start)}",
        incident_id=0,
        ts=int(end),
        time=t1.replace(microsecond=0).isoformat(),
        user=None,
        rule=HELD_RULE,
        severity=max((a.severity for a in held), default=Severity.INFO),
        score=0,
        summary=summary,
        source_ip=None,
        evidence=(),
        reasons=tuple(reasons),
        rules=(HELD_RULE,),
        status="held_back",
    )
