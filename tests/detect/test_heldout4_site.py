"""End to end: round four of the kinds no other group plants (``SimConfig.heldout4``).

Calendar invitations to hundreds of strangers from a stolen webmail login, a mailbox
that receives a fraud campaign's replies while a rented server deletes them, a password
checked with one test message and sold; customers invited to an event, junk deleted
from a phone, a new laptop at home.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT4_BENIGN_KINDS, HELDOUT4_HIJACK_KINDS, SimConfig, simulate
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user

STAMP = "%d/%b/%Y %H:%M:%S"
ZONE = ZoneInfo("Europe/Berlin")


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with other opt-in groups on too: the rest of the site
    is the same as without them, and security.log, spam.log, warning.log and config.log
    are untouched."""
    config = SimConfig(seed=2, users=40, days=29, admin=True, heldout2=True, heldout3=True)
    kinds = (HELDOUT4_HIJACK_KINDS, HELDOUT4_BENIGN_KINDS)
    on, planted = with_round(config, "heldout4", *kinds, tmp_path)
    accounts = [planted[k].account for k in (*HELDOUT4_HIJACK_KINDS, *HELDOUT4_BENIGN_KINDS)]
    assert len(set(accounts)) == len(accounts), "each kind on an account of its own"
    mail = log_lines(on.directory / "mail.log")
    invite = planted["invite_spam"]
    by_queue: dict[str, int] = {}
    for line in mail:
        if f"Service: Kerio Connect Client, From: <{invite.account}>" in line:
            qid = line.split("Queue-ID: ", 1)[1].split(",", 1)[0]
            by_queue[qid] = by_queue.get(qid, 0) + 1
    assert max(by_queue.values()) >= 150, "an invitation is one message to hundreds"
    mule = planted["reply_mule"]
    ops = log_lines(on.directory / "operations.log")
    assert any(f"Protocol: IMAP, User: {mule.account}, IP: {mule.source_ip}, " in x for x in ops)
    check = planted["check_then_sell"]
    assert any(f"Sender-Host: {check.source_ip}, User: {check.account}, " in x for x in mail)
    only_adds(
        config,
        on,
        tmp_path,
        ("mail.log", "audit.log", "operations.log"),
        ("security.log", "spam.log", "warning.log", "config.log"),
    )


def test_the_answers_removed_and_the_checker_back_are_high_and_the_look_alikes_are_not(
    tmp_path: Path,
) -> None:
    """The invitations are high at the first one; the mule at the answers it removes (it
    was medium at most: deleting mail harmed no rule); the checker back from the same
    rented server by its fifth spam message (it was medium: its one test message, learned
    unconfirmed, had made the server the account's own). Customers invited from the
    desk, junk deleted from home and a new laptop at home never are."""
    result = simulate(SimConfig(seed=3, users=40, days=29, heldout4=True), tmp_path / "logs")
    planted = planted_kinds(result, *HELDOUT4_HIJACK_KINDS, *HELDOUT4_BENIGN_KINDS)
    alerts = scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09")
    worst = worst_by_user(alerts)

    def first_high(account: str) -> datetime:
        return min(
            datetime.fromisoformat(a["time"])
            for a in alerts
            if a.get("user") == account and Severity.parse(a["severity"]) >= Severity.HIGH
        )

    mail = log_lines(result.directory / "mail.log")
    invite = planted["invite_spam"]
    assert first_high(invite.account) <= invite.start + timedelta(minutes=1)
    mule = planted["reply_mule"]
    assert worst.get(mule.account, Severity.INFO) >= Severity.HIGH
    check = planted["check_then_sell"]
    spam = sorted(
        datetime.strptime(x[1:21], STAMP).replace(tzinfo=ZONE)
        for x in mail
        if f"Sender-Host: {check.source_ip}, User: {check.account}, SSL: yes" in x
    )
    assert spam and spam[0] > check.start + timedelta(days=1)  # back days later
    assert first_high(check.account) <= spam[min(4, len(spam) - 1)]
    for kind in HELDOUT4_BENIGN_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
