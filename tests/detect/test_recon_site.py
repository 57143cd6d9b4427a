"""End to end: an intruder that reads first and acts later (``SimConfig.recon``).

Its reads from one cloud address over several days do not make the cloud the account's
own place: the spam it then sends from there is high.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import SimConfig, simulate
from simscan import assert_only_added, log_lines, planted_kinds, scan_alerts, worst_by_user


def test_spam_after_days_of_reading_from_a_cloud_is_high(tmp_path: Path) -> None:
    """Planted and judged as the truth says; the rest of the site is the same as without
    it (the planted lines are only added)."""
    config = SimConfig(seed=1, users=24, days=22, recon=True)
    result = simulate(config, tmp_path / "logs")
    planted = planted_kinds(result, "read_then_spam")["read_then_spam"]
    assert planted.malicious
    reads = [
        line
        for line in log_lines(result.directory / "audit.log")
        if f"IMAP: User {planted.account} " in line and f"{planted.source_ip}" in line
    ]
    assert len(reads) >= 9, "days of reading before the spam"
    since = planted.start.isoformat()
    alerts = scan_alerts(result, tmp_path / "state.db", "--since", since)
    assert worst_by_user(alerts).get(planted.account, Severity.INFO) >= Severity.HIGH
    off = simulate(SimConfig(seed=1, users=24, days=22), tmp_path / "off")
    assert_only_added(
        result.directory,
        off.directory,
        ("mail.log", "audit.log"),
        ("operations.log", "security.log", "spam.log", "config.log"),
    )
