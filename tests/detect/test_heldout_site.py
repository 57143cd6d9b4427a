"""End to end: kinds no other group plants (``SimConfig.heldout``).

A slow spray then days of reading, a mobile proxy on the owner's own carrier, a replayed
webmail session, a mailbox copied over IMAP; a hosted archive reading every mailbox at
night, a new phone on the same carrier, an evening's cleanup of a full mailbox.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT_BENIGN_KINDS, HELDOUT_HIJACK_KINDS, SimConfig, simulate
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user

OWN = re.compile(r"Queue-ID: \w+-h\w+, .*Sender-Host: ([\d.]+),")
LOGIN = re.compile(r"(\S+): User (\S+) authenticated {1,2}from IP address ([\d.]+\d)")


def test_the_heldout_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says; the rest of the site is the same as without them."""
    config = SimConfig(seed=1, users=30, days=22)
    kinds = (HELDOUT_HIJACK_KINDS, HELDOUT_BENIGN_KINDS)
    on, planted = with_round(config, "heldout", *kinds, tmp_path)
    logins = [m.groups() for x in log_lines(on.directory / "audit.log") if (m := LOGIN.search(x))]
    replay = planted["session_replay"]
    assert not any(ip == replay.source_ip for *_, ip in logins), "a replayed session: no login"
    ops = log_lines(on.directory / "operations.log")
    assert any(f"IP: {replay.source_ip}," in x and "Sent Items" in x for x in ops)
    proxy = planted["mobile_proxy"]
    mail = log_lines(on.directory / "mail.log")
    hosts = {m[1] for x in mail if f"User: {proxy.account}," in x and (m := OWN.search(x))}
    nets = {ipaddress.ip_network(f"{h}/16", strict=False) for h in hosts}
    assert proxy.source_ip in hosts and len(nets) == 1, "one carrier's pool"
    exfil = planted["imap_exfil"]
    assert not any(f"Sender-Host: {exfil.source_ip}," in x for x in mail), "nothing sent"
    archive = planted["archive_reader"]
    boxes = {a for _, a, ip in logins if ip == archive.source_ip}
    assert len(boxes) == 30 and planted["archive_reader"].account in boxes, "every mailbox"
    only_adds(
        config,
        on,
        tmp_path,
        ("mail.log", "audit.log", "security.log", "operations.log"),
        ("spam.log", "config.log", "warning.log"),
    )


def test_the_spray_is_high_and_the_look_alikes_are_not(tmp_path: Path) -> None:
    """The spray's lure from the address that read for days is high; the cleared-out
    mailbox and the new phone never are (the archive's address reads every mailbox; no
    account is high for it)."""
    result = simulate(SimConfig(seed=1, users=30, days=22, heldout=True), tmp_path / "logs")
    planted = planted_kinds(result, *HELDOUT_HIJACK_KINDS, *HELDOUT_BENIGN_KINDS)
    alerts = scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09")
    spray = planted["spray_then_read"]
    lure = [
        a
        for a in alerts
        if a.get("user") == spray.account
        and Severity.parse(a["severity"]) >= Severity.HIGH
        and datetime.fromisoformat(a["time"]) >= spray.start - timedelta(minutes=5)
    ]
    assert lure, "the lure from the place that only read"
    worst = worst_by_user(alerts)
    for kind in ("quota_cleanup", "phone_swap"):
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
    archive = planted["archive_reader"].source_ip or ""
    assert not [
        a
        for a in alerts
        if Severity.parse(a["severity"]) >= Severity.HIGH and archive in a.get("summary", "")
    ]
