"""End to end: round four of the kinds no other group plants (``SimConfig.heldout4``).

Calendar invitations to hundreds of strangers from a stolen webmail login, a mailbox
that receives a fraud campaign's replies while a rented server deletes them, a password
checked with one test message and sold; customers invited to an event, junk deleted
from a phone, a new laptop at home.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.simulate import HELDOUT4_BENIGN_KINDS, HELDOUT4_HIJACK_KINDS, SimConfig, simulate
from simscan import assert_only_added, log_lines, planted_kinds


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with other opt-in groups on too: the rest of the site
    is the same as without them, and security.log, spam.log, warning.log and config.log
    are untouched."""
    config = SimConfig(seed=2, users=40, days=29, admin=True, heldout2=True, heldout3=True)
    on = simulate(SimConfig(**{**config.__dict__, "heldout4": True}), tmp_path / "on")
    planted = planted_kinds(on, *HELDOUT4_HIJACK_KINDS, *HELDOUT4_BENIGN_KINDS)
    assert all(planted[k].malicious for k in HELDOUT4_HIJACK_KINDS)
    assert not any(planted[k].malicious for k in HELDOUT4_BENIGN_KINDS)
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
    off = simulate(config, tmp_path / "off")
    assert_only_added(
        on.directory,
        off.directory,
        ("mail.log", "audit.log", "operations.log"),
        ("security.log", "spam.log", "warning.log", "config.log"),
    )
