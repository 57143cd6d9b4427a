"""Incident scoring: ceilings, corroboration and when alerts go out."""

from __future__ import annotations

import json
from dataclasses import replace

from kerio_watch.incidents.engine import IncidentEngine
from kerio_watch.severity import Severity
from kerio_watch.values.incident import Incident
from kerio_watch.values.signal import Signal


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


def _direct_smtp(host: str, ts: int, score: int, level: Severity, text: str) -> Signal:
    key = f"host:{host}"
    rule = "kerio.firewall.direct_smtp"
    return Signal(rule, key, ts, score, text, host, min_severity=level, side="use")


def test_a_machine_is_judged_by_its_own_levels_not_the_two_sides() -> None:
    """Direct SMTP from a LAN machine (``host:``) has no owner to impersonate: its level
    is its severity, up to critical (an IP alone stays at most low)."""
    eng = _engine()
    pc = "192.168.10.60"
    alert = eng.ingest(_direct_smtp(pc, 100, 70, Severity.HIGH, "8 servers"))
    assert alert is not None and alert.severity == Severity.HIGH and alert.user is None
    assert alert.summary == "8 servers"  # no "Access: no sign of a stranger" for a machine
    eng.ingest(_direct_smtp(pc, 200, 95, Severity.CRITICAL, "50 servers"))
    assert eng.open[f"host:{pc}"].severity == Severity.CRITICAL
    assert eng.ingest(_direct_smtp("192.168.10.5", 100, 25, Severity.LOW, "1 server")) is None
    assert eng.open["host:192.168.10.5"].severity == Severity.LOW


def test_what_to_block_is_the_evidence_of_the_verdict() -> None:
    """A long incident kept open by the owner's phone, then a hijack: the addresses to
    block are those of the last day's deciding signals, not the phone's of days before."""
    eng = _engine()
    alice = "alice@example.com"
    for day in range(5):  # the owner's phone, a new carrier address a day: low
        phone = f"109.43.0.{day}"
        eng.ingest(
            Signal("kerio.net.new_host", alice, day * 72000, 10, "phone", phone, side="access")
        )
    hijack = 100 * 3600
    eng.ingest(Signal("kerio.net.new_host", alice, hijack, 25, "x", "185.1.2.3", side="access"))
    eng.ingest(Signal("kerio.mail.volume", alice, hijack + 60, 60, "v", "185.1.2.3", side="use"))
    inc = eng.open[alice]
    assert inc.severity == Severity.HIGH and inc.opened == 0
    assert "109.43.0.0" in inc.source_ips
    assert inc.suspect_ips() == ["185.1.2.3"]
    assert inc.peak_since() == hijack


def test_what_to_block_outlives_the_intruders_day() -> None:
    """The day after the hijack the owner logs in again from the phone: the addresses to
    block (and contain) stay the intruder's, also after a save and a restore, and the
    incident says when its severity's evidence began."""
    eng = _engine()
    alice = "alice@example.com"
    hijack = 100 * 3600
    eng.ingest(Signal("kerio.net.new_host", alice, hijack, 25, "x", "185.1.2.3", side="access"))
    eng.ingest(Signal("kerio.mail.volume", alice, hijack + 60, 60, "v", "185.1.2.4", side="use"))
    later = hijack + 2 * 86400
    eng.ingest(Signal("kerio.net.new_host", alice, later, 10, "phone", "109.43.0.9", side="access"))
    inc = eng.open[alice]
    assert [s.source_ip for s in inc.current()] == ["109.43.0.9"]
    assert inc.suspect_ips() == ["185.1.2.4", "185.1.2.3"]  # strongest evidence first
    again = Incident.from_dict(json.loads(json.dumps(inc.to_dict())))
    assert again.suspect_ips() == ["185.1.2.4", "185.1.2.3"]
    assert again.peak_since() == hijack
    old = inc.to_dict()
    del old["peak"]  # saved by an earlier version: the last day's evidence, as before
    assert Incident.from_dict(old).suspect_ips() == ["109.43.0.9"]


def test_an_alert_shows_the_lines_that_decided_it() -> None:
    """The incident already holds 50 lines of the owner's phone when the hijack comes:
    the alert's evidence starts with the hijack's own lines, and its address is the
    hijacker's."""
    eng = _engine()
    alice = "alice@example.com"
    for i in range(99):  # an hour apart: one long low incident
        phone = f"109.43.{i // 250}.{i % 250}"
        line = f"IMAP: User {alice} authenticated from IP address {phone}"
        eng.ingest(
            Signal("kerio.net.new_host", alice, i * 3600, 10, "p", phone, (line,), side="access")
        )
    assert len(eng.open[alice].evidence) == 50
    t = 100 * 3600
    new = Signal(
        "kerio.net.new_host", alice, t, 25, "x", "185.1.2.3", ("login 185",), side="access"
    )
    eng.ingest(new)
    burst = Signal("kerio.mail.volume", alice, t + 60, 60, "v", None, ("Recv 185",), side="use")
    alert = eng.ingest(burst)
    assert alert is not None and alert.severity == Severity.HIGH and alert.incident_id == 1
    assert alert.evidence[:2] == ("login 185", "Recv 185")
    assert len(alert.evidence) == 20
    assert alert.source_ip == "185.1.2.3"


def _trip(eng: IncidentEngine, who: str, *extra: Signal) -> Severity:
    """A new network abroad (a place rule) and mail to people the account never wrote
    to, from there (``extra``: more of that evening's signals)."""
    out = "198.51.100.7"
    eng.ingest(Signal("kerio.net.new_host", who, 100, 25, "hotel", out, side="access"))
    for s in extra:
        eng.ingest(s)
    eng.ingest(Signal("kerio.mail.new_recipients", who, 300, 45, "leads", out, side="use"))
    severity: Severity = eng.open[who].severity
    return severity


def test_a_trip_explains_the_people_met_on_it_unless_the_owner_is_at_its_desk() -> None:
    """A new place and new people from there, and nothing else, are a salesperson's
    follow-ups from a trade fair's hotel: medium, not high. The same while the owner was
    at its desk a few minutes before is someone else, and so is a program never used."""
    eng = _engine()
    assert _trip(eng, "sales@example.com") == Severity.MEDIUM
    desk = Signal("kerio.net.at_desk", "a@example.com", 200, 0, "desk", "198.51.100.7")
    assert _trip(eng, "a@example.com", replace(desk, side="context")) == Severity.HIGH
    tool = Signal("kerio.mail.new_client", "b@example.com", 200, 15, "tool", side="access")
    assert _trip(eng, "b@example.com", tool) == Severity.HIGH
    flood = Signal("kerio.mail.volume", "c@example.com", 200, 25, "flood", side="use")
    assert _trip(eng, "c@example.com", flood) == Severity.HIGH
