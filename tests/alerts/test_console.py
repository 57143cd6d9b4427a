"""The grouped text alerts of ``scan``, ``follow`` and ``demo`` (alerts/console.py)."""

from __future__ import annotations

import io

from rich.console import Console

from kerio_watch.alerts.console import render_alerts
from kerio_watch.alerts.render import evidence_lines, held_back_alert
from kerio_watch.incidents.lifecycle import REACTIVATED
from kerio_watch.severity import Severity
from kerio_watch.sources.files import MAX_LINE
from kerio_watch.values.alert import Alert

from .conftest import make_alert


def _text(alerts: list[Alert], terminal: bool = False) -> str:
    """``render_alerts`` to a file, or to a (wide, colourless) terminal."""
    out = io.StringIO()
    console = Console(file=out, width=100_000, force_terminal=terminal, color_system=None)
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


def test_one_more_evidence_line_is_singular() -> None:
    """``> ... 1 more evidence lines``; the other counts of what is left out too."""
    lines = tuple(f"[23/Mar/2026 10:14:5{i}] line {i}" for i in range(4))
    assert "  > ... 1 more evidence line\n" in _text([make_alert(evidence=lines)])
    assert "  > ... 2 more evidence lines\n" in _text([make_alert(evidence=(*lines, "x"))])
    assert evidence_lines(make_alert(evidence=lines), limit=3)[-1] == "... 1 more line"
    assert evidence_lines(make_alert(evidence=lines), limit=2)[-1] == "... 2 more lines"
    held = [make_alert(incident_id=i, id=f"{i}-1") for i in (1, 2)]
    notice = held_back_alert("mail", held, 0.0, 3600.0, 1, None, limit=1)
    assert notice.reasons[-1] == "... and 1 more incident"


LONG = (
    "[23/Mar/2026 09:45:49] Recv: Queue-ID: 69c0fdbd-0000c7dd, Service: Kerio Connect Client, "
    "From: <ben.sommer@example.com>, To: <dominik371@yandex.ru>, Size: 15026, "
    "Sender-Host: 0.0.0.0, User: ben.sommer@example.com, SSL: yes, "
    "Subject: Please review the attached payment advice, "
    "Msg-Id: <2899071815-16939@mail.example.com>"
)


def test_evidence_lines_are_whole_off_a_terminal() -> None:
    """The README promises output that does not go to a terminal is not cut; evidence
    lines were cut at 300 characters in a file too (``Msg-Id: <2899071815-1693``)."""
    assert len(LONG) > 300
    text = _text([make_alert(evidence=(LONG,))])
    assert f"  > {LONG}\n" in text


def test_evidence_lines_are_bounded() -> None:
    """On a terminal a long line is cut, visibly; anywhere else only a line beyond what
    the reader keeps of a line, and still inert."""
    on_terminal = _text([make_alert(evidence=(LONG,))], terminal=True)
    assert f"  > {LONG[:299]}…" in on_terminal and LONG not in on_terminal
    hostile = "\x1b[2J" + "x" * (MAX_LINE + 1000)
    text = _text([make_alert(evidence=(hostile,))])
    (line,) = [x for x in text.splitlines() if x.startswith("  > ")]
    assert line == "  > \\x1b[2J" + "x" * (MAX_LINE - 4)
