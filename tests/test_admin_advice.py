"""An administrator session from outside, as every output says it (the admin-workflow review).

- A reason's signal count is said apart from the reason ("... Update User [3 signals]"):
  "Update User (x3)" read as three user updates.
"""

from __future__ import annotations

import io

from rich.console import Console

from factories import at, feed, login, pipeline
from kerio_watch.cli.incident_text import render_incident
from kerio_watch.config import Config
from kerio_watch.events import ConfigChange, LoginSucceeded
from kerio_watch.formats.config_log import ConfigLogParser
from kerio_watch.report.model import IncidentRow
from kerio_watch.report.servertime import ServerTime
from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert
from kerio_watch.values.incident import Incident

ADMIN = "admin@example.com"
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
HOSTILE = "niklas.meyer\x1b[2J"
CHANGES = (
    ("03:14", f'{ADMIN} - Insert User {{loginName="backup-svc", fullName="Backup Service"}}'),
    (
        "03:16",
        f'{ADMIN} - Update SmtpServer {{relayControl="allowAll", relayAuthenticated="False"}}',
    ),
    (
        "03:19",
        f'{ADMIN} - Update User {{loginName="{HOSTILE}", '
        'emailForwarding="mode=forward, emailAddresses=drop@protonmail.com"}',
    ),
)


def _change(ts: int, text: str) -> ConfigChange:
    event = ConfigLogParser().parse(text, ts, f"[..] {text}")
    assert isinstance(event, ConfigChange)
    return event


def _login(ts: int, source: str, agent: str = AGENT) -> LoginSucceeded:
    return login(ts, ADMIN, source, "HTTP/WebAdmin", agent)


def takeover() -> tuple[Incident, list[Alert]]:
    """The simulator's admin takeover: a usual administrator, then a stranger at night
    who creates a user, opens the relay and sets forwarding on another user."""
    p = pipeline(enrich={"geo": "off"})
    feed(p, [_login(at(d), "192.168.1.5") for d in range(10)])
    feed(p, [_login(at(11, "03:10"), "203.0.113.66", "curl/8.0")])
    feed(p, [_change(at(11, clock), text) for clock, text in CHANGES])
    inc = p.engine.open[ADMIN]
    assert inc.severity >= Severity.HIGH
    return inc, [a for a, _ in p.alerts if a.user == ADMIN]


ST = ServerTime(None, 0, "times in UTC", Config().site.office, Config().site.office_hours)


class TestSignalCounts:
    def test_the_count_is_said_apart_from_the_list(self) -> None:
        """Three signals of the admin rule: "[3 signals]" after the list of changes,
        never "(x3)" that reads as three user updates."""
        inc, _ = takeover()
        summary = inc.summary()
        assert "Insert User, Update SmtpServer, Update User [3 signals]" in summary
        assert "(x3)" not in summary
        row = IncidentRow.of(inc)
        assert any(r.endswith("Update User [3 signals]") for r in row.reasons)
        assert "Update User [3 signals]" in inc.summary(inc.current())  # an alert's

    def test_incidents_show_puts_the_count_beside_the_rule(self) -> None:
        """``incidents show``: the reason as the detector said it, the count with the
        rule and its points."""
        inc, _ = takeover()
        out = io.StringIO()
        render_incident(Console(file=out, width=400), inc, ST, [], [])
        text = out.getvalue()
        assert "[kerio.admin.outside_change +" in text
        assert ", 3 signals]" in text
        assert "(x3)" not in text
