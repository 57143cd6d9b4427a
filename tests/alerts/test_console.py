"""The grouped text alerts of ``scan``, ``follow`` and ``demo`` (alerts/console.py)."""

from __future__ import annotations

import io

from rich.console import Console

from kerio_watch.alerts.console import render_alerts
from kerio_watch.incidents.lifecycle import REACTIVATED
from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert

from .conftest import make_alert


def _text(alerts: list[Alert], terminal: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200 if terminal else 100_000, force_terminal=terminal)
    console.no_color = True
    render_alerts(console, alerts)
    return out.getvalue()


def test_escalation_steps_on_another_day_carry_their_date() -> None:
    """Incident #141 of the demo: critical came the next morning, before the time of
    day of the steps before it; without its date it read as if out of order."""
    steps = [
        ("2026-03-23T12:59:13+01:00", Severity.MEDIUM, "new"),
        ("2026-03-23T13:18:48+01:00", Severity.HIGH, "escalated"),
        ("2026-03-24T11:44:30+01:00", Severity.CRITICAL, "escalated"),
        ("2026-03-24T12:00:00+01:00", Severity.CRITICAL, REACTIVATED),
        ("2026-03-26T21:21:02+01:00", Severity.CRITICAL, REACTIVATED),
    ]
    group = [
        make_alert(id=f"141-{i}", incident_id=141, ts=1774267153 + i, time=t, severity=s, status=st)
        for i, (t, s, st) in enumerate(steps)
    ]
    text = _text(group)
    assert (
        "escalation: medium at 12:59:13, high at 13:18:48, critical at 2026-03-24 11:44:30, "
        "active again at 12:00:00, active again at 2026-03-26 21:21:02"
    ) in text
