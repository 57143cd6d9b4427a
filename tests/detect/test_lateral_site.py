"""End to end: mail to the staff on a simulated site (``SimConfig.lateral``).

A lure from a Tor exit's webmail session to colleagues the account never wrote to is
high, though nothing leaves the company; an employee's announcement to the whole staff
from the office raises nothing.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import SimConfig, simulate
from simscan import assert_only_added, planted_kinds, scan_alerts, worst_by_user


def test_internal_phishing_is_high_and_an_announcement_is_quiet(tmp_path: Path) -> None:
    """Both kinds planted and judged as the truth says; the rest of the site is the same
    as without them (the planted lines are only added)."""
    config = SimConfig(seed=3, users=24, days=14, lateral=True)
    result = simulate(config, tmp_path / "logs")
    planted = planted_kinds(result, "internal_phish", "all_staff")
    assert planted["internal_phish"].malicious and not planted["all_staff"].malicious
    alerts = scan_alerts(result, tmp_path / "state.db", "--min-severity", "low")
    worst = worst_by_user(alerts)
    victim = planted["internal_phish"].account
    assert worst.get(victim, Severity.INFO) >= Severity.HIGH
    assert any("kerio.mail.internal_fanout" in a["rules"] for a in alerts if a["user"] == victim)
    assert worst.get(planted["all_staff"].account, Severity.INFO) < Severity.MEDIUM
    off = simulate(SimConfig(seed=3, users=24, days=14), tmp_path / "off")
    assert_only_added(
        result.directory,
        off.directory,
        ("mail.log", "audit.log", "operations.log"),
        ("security.log", "spam.log", "config.log"),
    )
