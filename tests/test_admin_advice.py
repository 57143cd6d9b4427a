"""An administrator session from outside, as every output says it (the admin-workflow review).

- The "what to do now" steps of such an incident name what the session changed (the
  relay, a new user, forwarding on another user), with times on the server's clock and
  the log's values escaped: in ``incidents show`` (text and JSON), the dashboard, and
  alerts (text, e-mail), all from one place (:mod:`kerio_watch.incidents.changes`).
- A reason's signal count is said apart from the reason ("... Update User [3 signals]"):
  "Update User (x3)" read as three user updates.
"""

from __future__ import annotations

import io
import json

from rich.console import Console

from factories import at, feed, login, pipeline
from kerio_watch.alerts.console import render_alerts
from kerio_watch.alerts.render import next_steps, text_body
from kerio_watch.cli.incident_text import incident_steps, render_incident
from kerio_watch.config import Config
from kerio_watch.events import ConfigChange, LoginSucceeded
from kerio_watch.formats.config_log import ConfigLogParser
from kerio_watch.incidents.export import incident_detail
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
    ("03:16", f'{ADMIN} - Update SmtpServer {{relayControl="allowAll", relayAuthenticated="0"}}'),
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


class TestWhatToUndo:
    def test_incident_steps_name_each_change(self) -> None:
        """After the password: the relay, the new user, the forwarding, with their times
        (UTC here: no zone is known), the hostile name escaped."""
        inc, _ = takeover()
        steps = incident_steps(inc, Config(), ST)
        titles = [s.title for s in steps]
        assert titles[0] == "Change the password and end its sessions"
        assert titles[1] == "Undo what the administrator session changed"
        text = steps[1].text
        created = text.index("user backup-svc created at 2026-03-13 03:14")
        relay = text.index("SMTP relay settings changed at 2026-03-13 03:16")
        forwarding = text.index("forwarding on niklas.meyer\\x1b[2J set at 2026-03-13 03:19")
        assert created < relay < forwarding
        assert "\x1b" not in text
        assert "Remove the accounts nobody on your staff created" in text

    def test_incidents_show_text_and_json(self) -> None:
        """``incidents show`` prints the step; its JSON has it, and the facts' times in
        ISO 8601 on the server's clock, never epoch seconds."""
        inc, _ = takeover()
        todo = incident_steps(inc, Config(), ST)
        out = io.StringIO()
        render_incident(Console(file=out, width=400), inc, ST, [], todo)
        assert "Undo what the administrator session changed" in out.getvalue()
        data = incident_detail(inc, ST.iso, [], todo)
        assert any("user backup-svc created" in s["text"] for s in data["what_to_do"])
        times = [c["at"] for c in data["facts"]["config_changes"]]
        assert times[0] == "2026-03-13T03:14:00+00:00"
        json.dumps(data)

    def test_alerts_name_the_changes(self) -> None:
        """The alert that made it high (at the relay opened: the new user before it
        reached no one outside) carries the changes so far, through its JSON; its e-mail
        text and the console name them."""
        _, alerts = takeover()
        last = alerts[-1]
        assert last.severity >= Severity.HIGH
        made = [c["at"] for c in last.changes]
        assert made == ["2026-03-13T03:14:00+00:00", "2026-03-13T03:16:00+00:00"]
        again = Alert.from_dict(json.loads(json.dumps(last.to_dict())))
        assert again.changes == last.changes
        said = "user backup-svc created at 2026-03-13 03:14"
        steps = "\n".join(next_steps(again))
        assert "Undo what the administrator session changed" in steps and said in steps
        assert said in text_body(again)
        out = io.StringIO()
        render_alerts(Console(file=out, width=400), [again])
        assert said in out.getvalue()

    def test_other_incidents_have_no_such_step(self) -> None:
        """An alert without changes keeps its JSON as it was (no ``changes`` key)."""
        p = pipeline(enrich={"geo": "off"})
        feed(p, [_login(at(d), "192.168.1.5") for d in range(10)])
        inc = p.engine.open.get(ADMIN)
        assert inc is None or "config_changes" not in inc.facts
        for alert, _ in p.alerts:
            assert "changes" not in alert.to_dict()


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
