"""End to end: administration from outside on a simulated site (``SimConfig.admin``).

The administrator's password used at night from a hosting network (an account
created, the relay opened, forwarding set; no mail sent) is high; the IT service
provider's routine sessions from its office line raise nothing.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import SimConfig, simulate
from simscan import planted_kinds, scan_alerts, worst_by_user


def test_a_stolen_admin_session_is_high_and_the_providers_sessions_are_quiet(
    tmp_path: Path,
) -> None:
    """Both kinds planted, judged as the truth says; the mail is the same as without."""
    config = SimConfig(seed=2, users=20, days=14, admin=True)
    result = simulate(config, tmp_path / "logs")
    planted = planted_kinds(result, "admin_takeover", "remote_admin")
    assert planted["admin_takeover"].malicious and not planted["remote_admin"].malicious
    alerts = scan_alerts(result, tmp_path / "state.db", "--min-severity", "low")
    worst = worst_by_user(alerts)
    assert worst.get(planted["admin_takeover"].account, Severity.INFO) >= Severity.HIGH
    assert worst.get(planted["remote_admin"].account, Severity.INFO) < Severity.MEDIUM
    off = simulate(SimConfig(seed=2, users=20, days=14), tmp_path / "off")
    for name in ("mail.log", "security.log"):
        on_text = (result.directory / name).read_text(encoding="utf-8")
        assert on_text == (off.directory / name).read_text(encoding="utf-8"), name
