"""Incident scoring: ceilings, corroboration and when alerts go out."""

from __future__ import annotations

import json

from kerio_watch.detect.base import Signal
from kerio_watch.incidents.engine import Incident, IncidentEngine
from kerio_watch.severity import Severity


def _engine() -> IncidentEngine:
    ids = iter(range(1, 100))
    return IncidentEngine(lambda: next(ids), str)


def test_ip_incidents_never_pass_low() -> None:
    """Three strong rules about an IP alone still make a low incident."""
    eng = _engine()
    for rule in ("a", "b", "c"):
        eng.ingest(Signal(f"kerio.auth.{rule}", "ip:203.0.113.9", 100, 40, rule))
    assert eng.severity_of("ip:203.0.113.9") == Severity.LOW


def test_one_side_alone_is_at_most_medium() -> None:
    """Strong evidence of a stranger without any harm is medium; with harm it is high."""
    eng = _engine()
    alice = "alice@example.com"
    eng.ingest(Signal("kerio.a", alice, 100, 30, "a", side="access"))
    eng.ingest(Signal("kerio.b", alice, 101, 30, "b", side="access"))
    assert eng.open[alice].severity == Severity.MEDIUM
    eng.ingest(Signal("kerio.c", alice, 102, 25, "c", side="use"))
    assert eng.open[alice].severity == Severity.HIGH
    summary = eng.open[alice].summary()
    assert summary.startswith("Access: a; b.") and "Use: c." in summary


def test_a_decisive_fact_is_high_alone() -> None:
    """Mail after a guessed login is high on its own, critical with a stranger's access."""
    eng = _engine()
    eng.ingest(Signal("kerio.d", "bob@example.com", 100, 70, "d", side="decisive"))
    assert eng.open["bob@example.com"].severity == Severity.HIGH
    eng.ingest(Signal("kerio.e", "bob@example.com", 101, 25, "e", side="access"))
    after: Severity = eng.open["bob@example.com"].severity
    assert after == Severity.CRITICAL


def test_low_incidents_raise_no_alert() -> None:
    """A single weak signal is low: kept as context, no alert; medium alerts."""
    eng = _engine()
    assert eng.ingest(Signal("kerio.x", "alice@example.com", 100, 25, "x", side="access")) is None
    assert eng.open["alice@example.com"].severity == Severity.LOW
    alert = eng.ingest(Signal("kerio.y", "alice@example.com", 101, 25, "y", side="access"))
    assert alert is not None and alert.severity == Severity.MEDIUM and alert.status == "opened"


def test_evidence_a_day_apart_does_not_combine() -> None:
    """A new network on Monday and a mailing on Wednesday are not one stranger's work."""
    eng = _engine()
    alice = "alice@example.com"
    eng.ingest(Signal("kerio.a", alice, 0, 25, "a", side="access"))
    eng.ingest(Signal("kerio.u", alice, 20 * 3600, 10, "u", side="use"))  # keeps it open
    eng.ingest(Signal("kerio.u", alice, 30 * 3600, 30, "u2", side="use"))
    assert eng.open[alice].severity == Severity.LOW
    alert = eng.ingest(Signal("kerio.a", alice, 40 * 3600, 20, "a2", side="access"))
    assert alert is not None and alert.severity == Severity.HIGH
    assert "a2" in alert.summary and "Access: a;" not in alert.summary


def test_use_from_the_office_does_not_corroborate_a_stranger_outside() -> None:
    """Sending as a role address at the desk plus a new home line is not a hijack."""
    eng = _engine()
    bob = "bob@example.com"
    eng.ingest(Signal("kerio.a", bob, 100, 25, "home", "198.51.100.7", side="access"))
    eng.ingest(Signal("kerio.u", bob, 200, 30, "desk", "192.168.1.5", side="use", inside=True))
    assert eng.open[bob].severity == Severity.LOW
    eng.ingest(Signal("kerio.v", bob, 300, 25, "out", "198.51.100.7", side="use", inside=False))
    assert eng.open[bob].severity == Severity.HIGH


def test_the_verdict_window_survives_a_restart() -> None:
    """A restored incident judges the next signal as the running one would."""
    eng = _engine()
    carol = "carol@example.com"
    eng.ingest(Signal("kerio.a", carol, 100, 25, "a", side="access"))
    eng.ingest(Signal("kerio.a", carol, 200, 15, "a-weaker", side="access"))
    saved = Incident.from_dict(json.loads(json.dumps(eng.open[carol].to_dict())))
    assert [s.summary for q in saved.window.values() for s in q] == ["a", "a-weaker"]
    saved.add(Signal("kerio.u", carol, 300, 25, "u", side="use"))
    assert saved.severity == Severity.HIGH
