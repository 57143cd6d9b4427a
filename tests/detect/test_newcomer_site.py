"""End to end: a new colleague's first week on a simulated site (``SimConfig.newcomer``).

An account the logs never saw introduces itself from the desk to the customers it takes
over (medium at most: use from the office alone), then writes to them from a home line
it never used: the people it wrote to from the desk are not strangers, so it never
reaches high.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import SimConfig, simulate
from simscan import assert_only_added, log_lines, planted_kinds, scan_alerts, worst_by_user


def test_a_new_colleagues_first_week_is_never_high(tmp_path: Path) -> None:
    """Planted and judged benign; the rest of the site is the same as without it (the
    planted lines are only added)."""
    config = SimConfig(seed=1, users=12, days=22, newcomer=True)
    result = simulate(config, tmp_path / "logs")
    planted = planted_kinds(result, "newcomer")["newcomer"]
    assert not planted.malicious and planted.account in result.accounts
    home = [
        line
        for line in log_lines(result.directory / "mail.log")
        if f"User: {planted.account}," in line and "Sender-Host: 192.168." not in line
    ]
    assert home, "the third day is from home"
    worst = worst_by_user(scan_alerts(result, tmp_path / "state.db", "--min-severity", "low"))
    assert worst.get(planted.account, Severity.INFO) < Severity.HIGH
    off = simulate(SimConfig(seed=1, users=12, days=22), tmp_path / "off")
    assert_only_added(
        result.directory,
        off.directory,
        ("mail.log", "audit.log"),
        ("operations.log", "security.log", "spam.log", "config.log"),
    )
