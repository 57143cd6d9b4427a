"""End to end: round five of the kinds no other group plants (``SimConfig.heldout5``).

One campaign spread thin over several stolen accounts, spam that mimics the owner from
its own home provider in its own hours, password resets of outside services hidden as
they come in; a leave's backlog answered from home, trade-fair follow-ups from a hotel,
an assistant answering for the manager at home.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT5_BENIGN_KINDS, HELDOUT5_HIJACK_KINDS, SimConfig, simulate
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with other opt-in groups on too: the rest of the site
    is the same as without them, and security.log, spam.log, warning.log and config.log
    are untouched."""
    config = SimConfig(seed=2, users=40, days=29, admin=True, heldout3=True, heldout4=True)
    kinds = (HELDOUT5_HIJACK_KINDS, HELDOUT5_BENIGN_KINDS)
    on, planted = with_round(config, "heldout5", *kinds, tmp_path)
    thin = [s for s in on.scenarios if s.kind == "thin_campaign"]
    assert len(thin) >= 3, "a campaign over several accounts"
    accounts = [s.account for s in thin] + [planted[k].account for k in HELDOUT5_HIJACK_KINDS[1:]]
    accounts += [planted[k].account for k in HELDOUT5_BENIGN_KINDS]
    assert len(set(accounts)) == len(accounts), "each kind on accounts of its own"
    mail = log_lines(on.directory / "mail.log")
    for s in thin:  # thin: a handful of messages each, from an address of its own
        mark = f"Sender-Host: {s.source_ip}, User: {s.account}, "
        assert 6 <= len({x.split("Queue-ID: ", 1)[1][:17] for x in mail if mark in x}) <= 12
    mimic = planted["mimic_spam"]
    assert any(f"Sender-Host: {mimic.source_ip}, User: {mimic.account}, " in x for x in mail)
    reset = planted["reset_pivot"]
    ops = log_lines(on.directory / "operations.log")
    assert any(f"User: {reset.account}, IP: {reset.source_ip}, " in x for x in ops)
    only_adds(
        config,
        on,
        tmp_path,
        ("mail.log", "audit.log", "operations.log"),
        ("security.log", "spam.log", "warning.log", "config.log"),
    )


def test_a_backlog_from_home_is_not_high_and_every_thin_account_is(tmp_path: Path) -> None:
    """An owner back from leave answering its backlog one evening from home (a busy
    evening with people it knows), an assistant answering for the manager at home and a
    salesperson's follow-ups from a trade fair's hotel stay below high (the follow-ups
    alert at medium: a trip explains a new place and the people met on it); every
    account of the thin campaign is high (sent while its owner used its desk)."""
    result = simulate(
        SimConfig(
            seed=3, users=40, days=28, forwarding=True, admin=True, lateral=True, heldout5=True
        ),
        tmp_path / "logs",
    )
    planted = planted_kinds(result, *HELDOUT5_HIJACK_KINDS, *HELDOUT5_BENIGN_KINDS)
    worst = worst_by_user(scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09"))
    for kind in ("leave_backlog", "assistant_home"):
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
    assert worst.get(planted["fair_followup"].account, Severity.INFO) == Severity.MEDIUM
    thin = [worst.get(s.account, Severity.INFO) for s in result.scenarios
            if s.kind == "thin_campaign"]  # fmt: skip
    assert len(thin) >= 3 and min(thin) >= Severity.HIGH
