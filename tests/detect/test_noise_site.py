"""End to end: the benign noise every site has (``SimConfig.noise``).

A tablet retrying an old password for hours from its carrier, a copier sending scans as
a person with the From ``scanner@``, a new copier with an account of its own, and a web
shop or CRM in a cloud sending as an account. Nobody is hijacked.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import NOISE_BENIGN_KINDS, SimConfig, simulate
from kerio_watch.simulate.noise import COPIER_IPS
from simscan import assert_only_added, log_lines, planted_kinds, scan_alerts, worst_by_user

LOGIN = re.compile(r"IMAP: User (\S+) authenticated {1,2}from IP address ([\d.]+\d)")
FAILED = re.compile(r"IMAP: Invalid password for user (\S+)\. Attempt from IP address ([\d.]+\d)")


def test_the_noise_is_planted_and_only_adds_lines(tmp_path: Path) -> None:
    """Planted as the truth says; the rest of the site is the same as without it."""
    result = simulate(SimConfig(seed=2, users=24, days=22, noise=True), tmp_path / "on")
    planted = planted_kinds(result, *NOISE_BENIGN_KINDS)
    assert not any(s.malicious for s in planted.values())
    stale = planted["stale_device"]
    net = ipaddress.ip_network(stale.source_ip or "")
    tries = [
        m[2]
        for line in log_lines(result.directory / "security.log")
        if (m := FAILED.search(line)) and m[1] == stale.account
    ]
    tablet = [ip for ip in tries if ipaddress.ip_address(ip) in net]
    assert len(tablet) >= 20, "the old password, every few minutes for hours"
    assert len(set(tablet)) >= 2, "a carrier's changing addresses"
    logins = [
        m[2]
        for line in log_lines(result.directory / "audit.log")
        if (m := LOGIN.search(line)) and m[1] == stale.account and ipaddress.ip_address(m[2]) in net
    ]
    assert len(logins) >= 20, "the tablet's own logins from its carrier, every day"
    mail = log_lines(result.directory / "mail.log")
    copier = planted["copier"]
    scans = [line for line in mail if f"Sender-Host: {COPIER_IPS[0]}," in line]
    assert scans and all(f"User: {copier.account}," in x for x in scans)
    assert all("From: <scanner@" in x for x in scans)
    assert planted["new_copier"].start > copier.start
    app = planted["cloud_app"]
    assert app.source_ip and any(f"Sender-Host: {app.source_ip}," in x for x in mail)
    off = simulate(SimConfig(seed=2, users=24, days=22), tmp_path / "off")
    assert_only_added(
        result.directory,
        off.directory,
        ("mail.log", "audit.log", "security.log"),
        ("operations.log", "spam.log", "config.log"),
    )


def test_a_stale_device_and_copiers_stay_below_high(tmp_path: Path) -> None:
    """The tablet's hours of failures raise no alert at medium or above in its window
    (no "login after password guessing" when it is given the new password); the
    copiers' accounts never reach high. The cloud app is heard of in one incident."""
    result = simulate(SimConfig(seed=2, users=24, days=22, noise=True), tmp_path / "logs")
    planted = planted_kinds(result, *NOISE_BENIGN_KINDS)
    alerts = scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09")
    worst = worst_by_user(alerts)
    for kind in ("copier", "new_copier", "stale_device"):
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
    stale = planted["stale_device"]
    window = (stale.start - timedelta(hours=1), stale.end + timedelta(hours=6))
    loud = [
        a
        for a in alerts
        if Severity.parse(a["severity"]) >= Severity.MEDIUM
        and window[0] <= datetime.fromisoformat(a["time"]) <= window[1]
        and (a.get("user") == stale.account or stale.account in a.get("summary", ""))
    ]
    assert loud == []
    app = planted["cloud_app"]
    incidents = {a["incident"] for a in alerts if a.get("user") == app.account}
    assert len(incidents) <= 1, "one incident, not a storm"
