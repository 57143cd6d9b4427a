"""End to end: round seven of the kinds no other group plants (``SimConfig.heldout7``).

A laptop stolen with its mail program used in the owner's hours from a home line; a
few bank-change messages from a residential proxy's webmail session; a shared role
mailbox spamming from a residential proxy; holiday greetings from home, a team in a
co-working space, a night shift at home.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT7_BENIGN_KINDS, HELDOUT7_HIJACK_KINDS, SimConfig, simulate
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with other opt-in groups on too: the rest of the site
    is the same as without them, and spam.log, warning.log and config.log are
    untouched (security.log too: nothing of this round fails a login)."""
    config = SimConfig(seed=2, users=40, days=29, admin=True, heldout5=True, heldout6=True)
    kinds = (HELDOUT7_HIJACK_KINDS, HELDOUT7_BENIGN_KINDS)
    on, planted = with_round(config, "heldout7", *kinds, tmp_path)
    accounts = [planted[k].account for k in (*HELDOUT7_HIJACK_KINDS, *HELDOUT7_BENIGN_KINDS)]
    assert len(set(accounts)) == len(accounts), "each kind on an account of its own"
    mail = log_lines(on.directory / "mail.log")
    box = planted["role_box_spam"].account
    places = {x.split("Sender-Host: ")[1].split(",")[0] for x in mail if f"User: {box}, " in x}
    assert len(places - {planted["role_box_spam"].source_ip}) >= 3, "three people's places"
    for kind in ("laptop_theft", "role_box_spam"):
        sent = planted[kind]
        assert any(f"Sender-Host: {sent.source_ip}, User: {sent.account}, " in x for x in mail)
    ops = log_lines(on.directory / "operations.log")
    fraud = planted["bank_change"]
    moved = [x for x in ops if f"User: {fraud.account}, IP: {fraud.source_ip}, " in x]
    assert moved and all("~" + fraud.account + "/Sent Items" in x for x in moved)
    only_adds(
        config,
        on,
        tmp_path,
        ("mail.log", "audit.log", "operations.log"),
        ("security.log", "spam.log", "warning.log", "config.log"),
    )


def test_hijacks_and_look_alikes(tmp_path: Path) -> None:
    """The stolen laptop's lure to the account's own people is high; the bank change
    (three to five messages to people it knows, on odd seeds nothing hidden) and the role
    mailbox's spam from a new address of a home provider its people use are alerts,
    `medium` (limits, docs/detectors.md); the holiday greetings in Bcc from home, the team
    in a co-working space and the night shift at home are not high."""
    result = simulate(
        SimConfig(
            seed=1, users=40, days=28, forwarding=True, admin=True, lateral=True, heldout7=True
        ),
        tmp_path / "logs",
    )
    planted = planted_kinds(result, *HELDOUT7_HIJACK_KINDS, *HELDOUT7_BENIGN_KINDS)
    worst = worst_by_user(scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09"))
    assert worst.get(planted["laptop_theft"].account, Severity.INFO) >= Severity.HIGH
    for kind in ("bank_change", "role_box_spam"):
        assert worst.get(planted[kind].account, Severity.INFO) >= Severity.MEDIUM, kind
    for kind in HELDOUT7_BENIGN_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
