"""The hardening advice and the report say what the logs show (issue 12, findings 3 and 8).

- Finding 3: two accounts that use SMTP and IMAP every day were put in "allow only
  WebMail": ``service_use`` suspected every service first used during *any* incident
  that was not found benign, here an *info* incident on the first day of learning.
- Finding 8: "vs usual" in the recipients table showed the messages ratio (x4.7 where
  the real ratio was x26).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from click.testing import CliRunner

from kerio_watch.app.config import config_from_dict
from kerio_watch.cli import main
from kerio_watch.report.build import build_report
from kerio_watch.report.model import Period, SenderRow
from kerio_watch.report.servertime import ServerTime
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.values.incident import Incident
from kerio_watch.values.profile import Profile
from kerio_watch.values.signal import Signal

DAY = 86400
T0 = 1_772_409_600  # Monday 2 March 2026 00:00 UTC
HOURS = 3600


def _incident(i: int, key: str, start: int, end: int, severity: Severity, rule: str) -> Incident:
    inc = Incident(i, key, start, end, first_signal=start, severity=severity)
    inc.best[rule] = Signal(rule, key, start, 10, rule)
    return inc


def _site(db: Path) -> None:
    """Two accounts using SMTP and IMAP daily; one with a high incident where WebMail
    was first used, both with an info incident on the first day of learning."""
    store = open_store(db)
    try:
        with store.transaction():
            profiles = []
            for account in ("anna@example.com", "ben@example.com"):
                p = Profile(account)
                p.first_ts, p.last_ts = T0, T0 + 27 * DAY
                p.services = {
                    "SMTP": [72, T0 + 600, T0 + 27 * DAY],
                    "IMAPS": [145, T0 + 900, T0 + 27 * DAY],
                }
                profiles.append(p)
            profiles[1].services["HTTP/WebMail"] = [3, T0 + 20 * DAY, T0 + 20 * DAY + 600]
            store.save_profiles(profiles)
            store.save_incidents(
                [
                    _incident(1, "anna@example.com", T0, T0 + 3600, Severity.INFO, "kerio.x"),
                    _incident(2, "ben@example.com", T0, T0 + 3600, Severity.INFO, "kerio.x"),
                    _incident(3, "ben@example.com", T0 + 20 * DAY - 60, T0 + 20 * DAY + 900,
                              Severity.HIGH, "kerio.login.unusual_protocol"),
                ]
            )  # fmt: skip
            rows: dict[tuple[int, str, str, str], int] = {}
            for day in range(21, 28):
                for account in ("anna@example.com", "ben@example.com"):
                    hour = (T0 + day * DAY) // HOURS  # the store counts per hour number
                    rows[(hour + 9, account, "send", "SMTP|192.168.1.9|")] = 10
                    rows[(hour + 8, account, "login", "IMAPS|192.168.1.9|")] = 20
            store.add_activity(rows)
    finally:
        store.close()


def test_daily_services_are_not_suspected_because_of_an_info_incident(tmp_path: Path) -> None:
    """SMTP and IMAP stay in the access policy; only what a serious incident brought is
    suspected (ben's WebMail, first used during a high incident)."""
    db = tmp_path / "s.db"
    _site(db)
    config = config_from_dict({"site": {"local_domains": ["example.com"], "timezone": "UTC"}})
    store = open_store(db, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        report = build_report(store, config, Period(T0 + 21 * DAY, T0 + 28 * DAY), st)
    finally:
        store.close()
    uses = {u.account: u for u in report.hardening.services}
    assert uses["anna@example.com"].suspect == []
    assert uses["ben@example.com"].suspect == ["WebMail"]
    groups = {tuple(g.used): g.accounts for g in report.hardening.groups}
    assert groups == {("SMTP", "IMAP"): ["anna@example.com", "ben@example.com"]}
    assert not any(g.used == ["WebMail"] for g in report.hardening.groups)


def test_vs_usual_for_recipients_is_the_recipients_ratio() -> None:
    """47 messages to 2,600 recipients against a usual 10 to 100: x4.7 and x26."""
    row = SenderRow("a@example.com", 47, 2600, 10.0, 100.0, None, 0, 0.0, 0.0, True)
    assert row.ratio == 4.7
    assert row.recipient_ratio == 26.0


def test_the_report_shows_both_ratios(tmp_path: Path) -> None:
    """In the text and the HTML report, the recipients table says x26, not x4.7."""
    db = tmp_path / "s.db"
    store = open_store(db)
    try:
        with store.transaction():
            rows: dict[tuple[int, str, str, str], int] = {}
            for week in range(8):  # eight quiet weeks: 10 messages to 100 recipients
                hour = (T0 + week * 7 * DAY) // HOURS + 10  # the store counts per hour number
                rows[(hour, "a@example.com", "send", "SMTP|192.168.1.9|")] = 10
                rows[(hour, "a@example.com", "rcpt", "partner.test")] = 100
            burst = (T0 + 8 * 7 * DAY) // HOURS + 10  # then 47 messages to 2,600 recipients
            rows[(burst, "a@example.com", "send", "SMTP|192.168.1.9|")] = 47
            rows[(burst, "a@example.com", "rcpt", "victims.test")] = 2600
            store.add_activity(rows)
    finally:
        store.close()
    since = "2026-04-27T00:00+00:00"
    text = CliRunner().invoke(main, ["report", "--db", str(db), "--since", since, "--days", "7"])
    assert text.exit_code == 0, text.output
    recipients = text.stdout[text.stdout.index("Top senders by recipients") :]
    assert "x26.0" in recipients.split("\n\n")[0]
    html = (
        CliRunner()
        .invoke(main, ["report", "--db", str(db), "--since", since, "--days", "7", "-f", "html"])
        .stdout
    )
    table = html[html.index("<h3>By recipients</h3>") :].split("</table>")[0]
    assert "&times;26.0" in table and "&times;4.7" not in table


def test_incident_markers_never_overlap() -> None:
    """Incidents close together on the traffic chart share one marker that lists them
    all; no two markers (or axis ticks) are drawn on top of each other."""
    from kerio_watch.report.charts import traffic_chart  # noqa: PLC0415
    from kerio_watch.report.model import IncidentRow, TrafficBin  # noqa: PLC0415

    st = ServerTime(None, 0, "UTC")
    bins = [TrafficBin(T0 + h * HOURS, HOURS, 5, 5, 5, 0, 0) for h in range(7 * 24)]

    def row(i: int, opened: int, severity: str) -> IncidentRow:
        return IncidentRow(i, f"u{i}@x.test", f"u{i}@x.test", severity, 90, "open", opened,
                           opened, f"reason {i}", [], [])  # fmt: skip

    incidents = [row(i, T0 + DAY + 10 * HOURS + i * 600, "critical") for i in range(1, 6)]
    incidents += [row(10, T0 + DAY + 11 * HOURS + 1200, "high")]  # 10:31 and 11:19 in the finding
    incidents += [row(20 + i, T0 + 3 * DAY + i * 60, "low") for i in range(8)]
    svg = str(traffic_chart(bins, incidents, st))
    triangles = [float(x) for x in re.findall(r'<path d="M([\d.]+),', svg)]
    centres = sorted(x + 6 for x in triangles)
    assert all(b - a >= 12 for a, b in itertools.pairwise(centres)), centres  # 12 px wide
    ticks = sorted(
        float(x) + 1 for x in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="2"', svg)
    )
    assert all(b - a >= 2 for a, b in itertools.pairwise(ticks)), ticks  # 2 px wide
    titles = " ".join(re.findall(r'class="incident-marker"><title>([^<]*)</title>', svg))
    for inc in incidents:
        assert f"#{inc.id} " in titles, inc.id
    assert "#1 +5" in svg  # the group says how many it holds
