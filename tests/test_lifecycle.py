"""The incident lifecycle (issue 12, finding 1): serious incidents wait for a decision.

On today's main an incident closed itself after 24 hours of log time without signals,
whatever its severity: after the demo the dashboard showed 0 critical and 0 high, and
``incidents --status open`` only two IP incidents. High and critical incidents now stay
open until someone decides ("quiet since ..."); low and medium ones may expire.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from kerio_watch.cli import main
from kerio_watch.incidents.engine import QUIET_SECONDS, IncidentEngine
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.values.incident import Incident
from kerio_watch.values.signal import Signal

ALICE = "alice@example.com"
DAY = 86400


def _engine() -> IncidentEngine:
    ids = iter(range(1, 100))
    return IncidentEngine(lambda: next(ids), str)


def _decisive(ts: int) -> Signal:
    """A decisive fact: high on its own (the verdict model of issue 11)."""
    return Signal(
        "kerio.mail.from_external", ALICE, ts, 70, "sent as ceo@evil.test", "203.0.113.9",
        side="decisive",
    )  # fmt: skip


def _burst(ts: int, score: int = 95) -> Signal:
    """Use: a burst of mail (one side: medium on its own when strong)."""
    return Signal("kerio.mail.volume", ALICE, ts, score, "400 messages", "203.0.113.9", side="use")


def _stranger(ts: int) -> Signal:
    """Access: a network the account never used (one side, moderate: low on its own)."""
    return Signal("kerio.net.new_host", ALICE, ts, 25, "from 203.0.113.9", "203.0.113.9",
                  side="access")  # fmt: skip


class TestEngine:
    def test_a_quiet_high_incident_stays_open(self) -> None:
        """A day and more without signals: still open, marked quiet since its last signal."""
        eng = _engine()
        assert eng.ingest(_decisive(1000)) is not None
        eng.expire(1000 + QUIET_SECONDS + 600)
        inc = eng.open[ALICE]
        assert inc.status == "open"
        assert inc.quiet_since == 1000
        assert inc in eng.take_changed()
        eng.expire(1000 + 30 * DAY)
        assert eng.open[ALICE].status == "open"

    def test_a_quiet_low_incident_expires(self) -> None:
        """Low and medium incidents close themselves after the quiet period."""
        eng = _engine()
        eng.ingest(Signal("kerio.auth.guessing", ALICE, 1000, 25, "3 failed logins"))
        eng.expire(1000 + QUIET_SECONDS + 600)
        assert ALICE not in eng.open
        (closed,) = eng.take_changed()
        assert closed.status == "closed" and closed.severity == Severity.LOW

    def test_the_intruder_coming_back_raises_an_alert_again(self) -> None:
        """Signals after the quiet period join the same incident, and alert again:
        nobody would otherwise hear that a critical hijack is active again."""
        eng = _engine()
        eng.ingest(_decisive(1000))
        eng.expire(1000 + 2 * DAY)
        again = eng.ingest(_burst(1000 + 3 * DAY))
        assert again is not None
        assert again.incident_id == eng.open[ALICE].id == 1
        assert again.status == "reactivated"
        assert eng.open[ALICE].quiet_since is None
        # the first alert of the incident keeps its id
        assert again.id != "1-4"

    def test_a_weak_signal_does_not_wake_it(self) -> None:
        """The owner mailing in the evening after a hijack joins the quiet incident
        without an alert; the intruder's next burst wakes it."""
        eng = _engine()
        eng.ingest(_decisive(1000))
        eng.expire(1000 + 2 * DAY)
        weak = Signal("kerio.time.odd_hours", ALICE, 1000 + 2 * DAY + 60, 25, "at 21:21",
                      side="access")  # fmt: skip
        assert eng.ingest(weak) is None
        assert eng.open[ALICE].quiet_since == 1000
        again = eng.ingest(_burst(1000 + 2 * DAY + 3600))
        assert again is not None and again.status == "reactivated"
        assert eng.open[ALICE].quiet_since is None

    def test_after_a_quiet_day_only_the_last_days_evidence_wakes_it(self) -> None:
        """Reactivation asks the verdict about the last 24 hours, not the whole incident:
        the decisive fact of last week plus a new address today is not 'active again'
        (today's evidence alone is low); a new address plus a burst today is."""
        eng = _engine()
        eng.ingest(_decisive(1000))
        eng.expire(1000 + 2 * DAY)
        later = 1000 + 5 * DAY
        assert eng.ingest(_stranger(later)) is None
        inc = eng.open[ALICE]
        assert inc.quiet_since == 1000 and inc.severity == Severity.HIGH
        assert eng.ingest(_burst(later + 600, score=30)) is not None  # access + use: high
        assert inc.quiet_since is None
        alert = eng.ingest(_burst(later + 900, score=60))  # stronger, same rule: no news
        assert alert is None

    def test_the_reactivated_alert_explains_the_last_day(self) -> None:
        """Its reasons are the signals of the last day, not last week's."""
        eng = _engine()
        eng.ingest(_decisive(1000))
        eng.expire(1000 + 2 * DAY)
        alert = eng.ingest(_burst(1000 + 3 * DAY))
        assert alert is not None and alert.status == "reactivated"
        assert alert.rules == ("kerio.mail.volume",)
        assert "Use: 400 messages" in alert.summary and "Decisive" not in alert.summary

    def test_a_machine_is_woken_by_its_own_signal_strength(self) -> None:
        """A LAN machine's incident has no verdict sides: a medium signal of its own
        wakes it, a single connection (low) joins it quietly."""
        eng = _engine()
        host = "host:192.168.10.187"
        high = Signal("kerio.firewall.direct_smtp", host, 1000, 70, "8 servers", "192.168.10.187",
                      min_severity=Severity.HIGH, side="use")  # fmt: skip
        assert eng.ingest(high) is not None and eng.open[host].severity == Severity.HIGH
        eng.expire(1000 + 2 * DAY)
        low = Signal("kerio.firewall.direct_smtp", host, 1000 + 3 * DAY, 25, "1 server",
                     "192.168.10.187", min_severity=Severity.LOW, side="use")  # fmt: skip
        assert eng.ingest(low) is None and eng.open[host].quiet_since == 1000
        medium = Signal("kerio.firewall.direct_smtp", host, 1000 + 3 * DAY + 60, 45, "5",
                        "192.168.10.187", min_severity=Severity.MEDIUM, side="use")  # fmt: skip
        again = eng.ingest(medium)
        assert again is not None and again.status == "reactivated"

    def test_quiet_since_is_stored(self) -> None:
        """The marker survives the JSON the store keeps."""
        inc = Incident(7, ALICE, 10, 20, severity=Severity.HIGH, quiet_since=20)
        assert Incident.from_dict(json.loads(json.dumps(inc.to_dict()))).quiet_since == 20
        assert Incident.from_dict({**inc.to_dict(), "quiet_since": None}).quiet_since is None


class TestAfterTheDemo:
    def test_every_hijack_is_still_open(self, demo_site: Path) -> None:
        """The caught hijacks (critical or high) wait for a decision after the demo."""
        db = demo_site / "state.db"
        truth = json.loads((demo_site / "truth.json").read_text(encoding="utf-8"))
        hijacked = {s["account"] for s in truth["scenarios"] if s["malicious"]}
        result = CliRunner().invoke(
            main, ["incidents", "--db", str(db), "--status", "open", "-f", "jsonl"]
        )
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        serious = {r["key"] for r in rows if r["severity"] in ("high", "critical")}
        assert hijacked <= serious
        assert all(r["status"] == "open" for r in rows)
        quiet = [r for r in rows if r["quiet_since"]]
        assert quiet, "four weeks of logs: some hijacks have been quiet for days"

    def test_the_summary_counts_open_incidents_by_severity(self, demo_output: str) -> None:
        """It said "2 open incidents" right after five critical or high hijacks: now each
        severity's count, adding up to the total (the demo's hijacks are critical)."""
        line = next(x for x in demo_output.splitlines() if "open incidents" in x)
        found = re.search(r"(\d+) open incidents \(([^)]*)\)", line)
        assert found, line
        counts = {name: int(n) for n, name in (p.split(" ", 1) for p in found[2].split(", "))}
        assert sum(counts.values()) == int(found[1]) and counts.get("critical", 0) >= 4, line
        assert set(counts) <= {s.name.lower() for s in Severity}, line

    def test_status_counts_them(self, demo_site: Path) -> None:
        """``status -f json`` counts the open critical and high incidents."""
        result = CliRunner().invoke(
            main, ["status", "--db", str(demo_site / "state.db"), "-f", "json"]
        )
        counts = json.loads(result.stdout)["open_incidents"]
        assert counts["critical"] >= 4 and counts["high"] + counts["critical"] >= 5

    def test_the_store_lists_them_as_open(self, demo_site: Path) -> None:
        """What the dashboard's home page and Accounts page read."""
        store = open_store(demo_site / "state.db", readonly=True)
        try:
            open_serious = store.incidents(status="open", min_severity=int(Severity.HIGH))
        finally:
            store.close()
        assert len(open_serious) >= 5
