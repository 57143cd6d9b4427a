"""Incident scoring: ceilings, corroboration and when alerts go out."""

from __future__ import annotations

from kerio_watch.detect.base import Signal
from kerio_watch.incidents.engine import IncidentEngine
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


def test_weak_rules_do_not_corroborate() -> None:
    """The +15 bonus needs three rules that each carry weight."""
    eng = _engine()
    for rule, score in (("a", 35), ("b", 10), ("c", 10)):
        eng.ingest(Signal(f"kerio.{rule}", "alice@example.com", 100, score, rule))
    assert eng.open["alice@example.com"].score == 55
    eng.ingest(Signal("kerio.d", "alice@example.com", 101, 20, "d"))
    assert eng.open["alice@example.com"].score == 35 + 10 + 10 + 20
    eng.ingest(Signal("kerio.e", "alice@example.com", 102, 25, "e"))
    assert eng.open["alice@example.com"].score == 35 + 10 + 10 + 20 + 25 + 15


def test_info_incidents_raise_no_alert() -> None:
    """A weak signal is kept as context but is not an alert."""
    eng = _engine()
    assert eng.ingest(Signal("kerio.x", "alice@example.com", 100, 10, "x")) is None
    alert = eng.ingest(Signal("kerio.y", "alice@example.com", 101, 15, "y"))
    assert alert is not None and alert.severity == Severity.LOW and alert.status == "opened"
