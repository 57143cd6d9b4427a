"""End to end: round six of the kinds no other group plants (``SimConfig.heldout6``).

A botnet guessing one password from hundreds of addresses, one try each, then sending;
a copier's scan-to-mail account used from a rented server; a thread hijack from a VPN
exit of the site's own country; a brute force that never guesses the password, a copier
moved to its maker's cloud relay, a person's first evening on a VPN app.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT6_BENIGN_KINDS, HELDOUT6_HIJACK_KINDS, SimConfig, simulate
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with other opt-in groups on too: the rest of the site
    is the same as without them, and operations.log, spam.log, warning.log and
    config.log are untouched."""
    config = SimConfig(seed=2, users=40, days=29, admin=True, heldout4=True, heldout5=True)
    kinds = (HELDOUT6_HIJACK_KINDS, HELDOUT6_BENIGN_KINDS)
    on, planted = with_round(config, "heldout6", *kinds, tmp_path)
    accounts = [planted[k].account for k in (*HELDOUT6_HIJACK_KINDS, *HELDOUT6_BENIGN_KINDS)]
    assert len(set(accounts)) == len(accounts), "each kind on an account of its own"
    security = log_lines(on.directory / "security.log")
    for kind in ("botnet_guess", "failed_spray"):  # a hundred addresses or more, one try each
        tries = [x for x in security if f"Invalid password for user {planted[kind].account}. " in x]
        addresses = Counter(x.rsplit("IP address ", 1)[1] for x in tries)
        assert sum(1 for n in addresses.values() if n == 1) >= 100, kind
    mail = log_lines(on.directory / "mail.log")
    printer = planted["scanner_takeover"]
    assert any(f"Sender-Host: {printer.source_ip}, User: {printer.account}, " in x for x in mail)
    thread = planted["vpn_thread_spam"]
    assert any(f"Sender-Host: {thread.source_ip}, User: {thread.account}, " in x for x in mail)
    only_adds(
        config,
        on,
        tmp_path,
        ("mail.log", "audit.log", "security.log"),
        ("operations.log", "spam.log", "warning.log", "config.log"),
    )


def test_every_hijack_is_high_and_no_look_alike(tmp_path: Path) -> None:
    """The botnet's spam, the copier's account spamming from a rented server and the
    thread hijack (on odd seeds a document made for each reply, so no two sizes alike)
    are high; the brute force that failed, the copier on its maker's cloud and the
    person on a VPN app answering its threads at a person's pace are not."""
    result = simulate(
        SimConfig(
            seed=1, users=40, days=28, forwarding=True, admin=True, lateral=True, heldout6=True
        ),
        tmp_path / "logs",
    )
    planted = planted_kinds(result, *HELDOUT6_HIJACK_KINDS, *HELDOUT6_BENIGN_KINDS)
    worst = worst_by_user(scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09"))
    for kind in HELDOUT6_HIJACK_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) >= Severity.HIGH, kind
    for kind in HELDOUT6_BENIGN_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
