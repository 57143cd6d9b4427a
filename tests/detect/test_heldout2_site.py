"""End to end: round two of the kinds no other group plants (``SimConfig.heldout2``).

Spam from a desk PC on the LAN at night, an intruder on the office VPN, an auto-reply lure
set from abroad; a field technician at customers' sites, an outside bookkeeper, a week of
leave abroad.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT2_BENIGN_KINDS, HELDOUT2_HIJACK_KINDS, SimConfig, simulate
from kerio_watch.simulate.site import TRUSTED_NETWORKS
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user

SIEVE = re.compile(r"Service: Sieve, From: <([^>]+)>, To: <([^>]+)>")
STAMP = "%d/%b/%Y %H:%M:%S"
ZONE = ZoneInfo("Europe/Berlin")
SENDER = re.compile(r"Sender-Host: ([\d.]+), User: (\S+),")


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with every other opt-in group on too: the rest of the
    site (the other groups' filter rules and auto-replies included) is the same as
    without them."""
    config = SimConfig(seed=2, users=40, days=29, forwarding=True, heldout=True, noise=True)
    kinds = (HELDOUT2_HIJACK_KINDS, HELDOUT2_BENIGN_KINDS)
    on, planted = with_round(config, "heldout2", *kinds, tmp_path)
    mail = log_lines(on.directory / "mail.log")
    sent = {m.groups() for x in mail if (m := SENDER.search(x))}
    night, vpn = planted["lan_night_spam"], planted["vpn_intruder"]
    assert (night.source_ip, night.account) in sent and (vpn.source_ip, vpn.account) in sent
    lan, pool = (ipaddress.ip_network(n) for n in TRUSTED_NETWORKS)
    assert ipaddress.ip_address(night.source_ip or "") in lan, "the desk PC's own address"
    assert ipaddress.ip_address(vpn.source_ip or "") in pool, "an address of the VPN's pool"
    lure = planted["autoreply_lure"]
    answers = [m.groups() for x in mail if (m := SIEVE.search(x)) and m[1] == lure.account]
    assert len(answers) > 5 and not any(f"Sender-Host: {lure.source_ip}," in x for x in mail)
    only_adds(
        config,
        on,
        tmp_path,
        ("mail.log", "audit.log", "operations.log"),
        ("security.log", "spam.log", "config.log", "warning.log"),
    )


def test_the_desk_pcs_night_spam_is_high_at_once_and_the_look_alikes_are_not(
    tmp_path: Path,
) -> None:
    """Spam from the desk PC's own LAN address at night, with a mail engine the account
    never wrote with, is high by its third message (the strangers in that program's mail;
    it was the tenth, with one subject); the technician, the bookkeeper and the week
    abroad never are."""
    result = simulate(SimConfig(seed=1, users=40, days=29, heldout2=True), tmp_path / "logs")
    planted = planted_kinds(result, *HELDOUT2_HIJACK_KINDS, *HELDOUT2_BENIGN_KINDS)
    alerts = scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09")
    night = planted["lan_night_spam"]
    own = f"User: {night.account}, SSL: no"  # the malware's mail engine: no TLS
    times = sorted(
        datetime.strptime(x[1:21], STAMP).replace(tzinfo=ZONE)
        for x in log_lines(result.directory / "mail.log")
        if own in x and f"Sender-Host: {night.source_ip}," in x
    )
    third = sorted(set(times))[2]
    assert times[0] == night.start
    high = [
        datetime.fromisoformat(a["time"])
        for a in alerts
        if a.get("user") == night.account and Severity.parse(a["severity"]) >= Severity.HIGH
    ]
    assert high and min(high) <= third, (min(high, default=None), third)
    worst = worst_by_user(alerts)
    for kind in HELDOUT2_BENIGN_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
