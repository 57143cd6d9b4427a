"""End to end: round three of the kinds no other group plants (``SimConfig.heldout3``).

Traces outside mail.log: the owner's mail from outside hidden in a folder, a phone paired
from abroad, an alias added by a phished administrator; years of mail filed one evening,
a phone paired on holiday, an administrator at home.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT3_BENIGN_KINDS, HELDOUT3_HIJACK_KINDS, SimConfig, simulate
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user

STAMP = "%d/%b/%Y %H:%M:%S"
ZONE = ZoneInfo("Europe/Berlin")


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with other opt-in groups on too: the rest of the site
    is the same as without them, and nothing of it is in mail.log."""
    config = SimConfig(seed=3, users=40, days=29, admin=True, heldout=True, heldout2=True)
    kinds = (HELDOUT3_HIJACK_KINDS, HELDOUT3_BENIGN_KINDS)
    on, planted = with_round(config, "heldout3", *kinds, tmp_path)
    accounts = [planted[k].account for k in (*HELDOUT3_HIJACK_KINDS, *HELDOUT3_BENIGN_KINDS)]
    assert len(set(accounts)) == len(accounts), "each kind on an account of its own"
    ops = log_lines(on.directory / "operations.log")
    hidden = planted["inbox_diversion"]
    assert any(f"IP: {hidden.source_ip}, Folder: ~{hidden.account}/INBOX" in x for x in ops)
    audit = log_lines(on.directory / "audit.log")
    device = planted["device_pair"]
    assert any(f"HTTP/ActiveSync: User {device.account} " in x for x in audit)
    alias = planted["admin_alias"]
    config_log = log_lines(on.directory / "config.log")
    assert any(
        x.split("] ", 1)[1].startswith(f"{alias.account} - Insert Alias") for x in config_log
    )
    only_adds(
        config,
        on,
        tmp_path,
        ("audit.log", "operations.log", "config.log"),
        ("mail.log", "security.log", "spam.log", "warning.log"),
    )


def test_hidden_mail_and_an_alias_outside_are_high_and_the_look_alikes_are_not(
    tmp_path: Path,
) -> None:
    """The supplier's new mail hidden from a home line abroad is high by the second
    message hidden (it was medium at most: moving mail harmed no rule), the alias to an
    outside mailbox at once; the evening of filing, the phone on holiday and the
    administrator at home never are."""
    result = simulate(SimConfig(seed=1, users=40, days=29, heldout3=True), tmp_path / "logs")
    planted = planted_kinds(result, *HELDOUT3_HIJACK_KINDS, *HELDOUT3_BENIGN_KINDS)
    alerts = scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09")
    hidden = planted["inbox_diversion"]
    second = sorted(
        datetime.strptime(x[1:21], STAMP).replace(tzinfo=ZONE)
        for x in log_lines(result.directory / "operations.log")
        if f"IP: {hidden.source_ip}, Folder: ~{hidden.account}/INBOX" in x
    )[1]
    worst = worst_by_user(alerts)
    high = [
        datetime.fromisoformat(a["time"])
        for a in alerts
        if a.get("user") == hidden.account and Severity.parse(a["severity"]) >= Severity.HIGH
    ]
    assert high and min(high) <= second, (min(high, default=None), second)
    assert worst.get(planted["admin_alias"].account, Severity.INFO) >= Severity.HIGH
    for kind in HELDOUT3_BENIGN_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
