"""End to end: filter rules on a simulated site (``SimConfig.forwarding``).

A forwarding hijack (a stranger's webmail login sets a rule that forwards everything
out; nothing is sent) is high; a forward set from the office is at most medium; a
forward older than the logs and auto-replies say nothing. Both ways Kerio may log a
rule's message are covered: with ``User:`` (even seeds) and without (odd seeds).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kerio_watch.severity import Severity
from kerio_watch.simulate import SimConfig, SimResult, simulate
from simscan import planted_kinds, scan_alerts, worst_by_user

SIEVE = re.compile(r"Service: Sieve, .* Sender-Host: 127\.0\.0\.1(, User: \S+)?, SSL")
FORWARDING = {"forward_rule", "private_forward", "forwarder", "vacation_reply"}


def _site(root: Path, seed: int) -> tuple[SimResult, dict[str, Severity]]:
    """The site and each account's highest alert severity over one full scan."""
    result = simulate(SimConfig(seed=seed, users=30, days=14, forwarding=True), root / "logs")
    alerts = scan_alerts(result, root / "state.db", "--min-severity", "low")
    return result, worst_by_user(alerts)


@pytest.mark.parametrize("seed", [2, 3])
def test_a_forwarding_hijack_is_high_and_ordinary_rules_are_not(tmp_path: Path, seed: int) -> None:
    """Each of the four kinds is planted and judged as its truth says."""
    result, worst = _site(tmp_path, seed)
    planted = planted_kinds(result, *FORWARDING)
    assert planted["forward_rule"].malicious and not planted["forwarder"].malicious
    rank = {kind: worst.get(s.account, Severity.INFO) for kind, s in planted.items()}
    assert rank["forward_rule"] >= Severity.HIGH
    assert rank["private_forward"] == Severity.MEDIUM
    assert rank["forwarder"] < Severity.MEDIUM and rank["vacation_reply"] < Severity.MEDIUM
    lines = (result.directory / "mail.log").read_text(encoding="utf-8").splitlines()
    rules = [m for m in map(SIEVE.search, lines) if m]
    assert len(rules) > 100
    assert all(bool(m.group(1)) == (seed % 2 == 0) for m in rules)
    rule_ids = {x.split("Queue-ID: ")[1].split(",")[0] for x in lines if "Service: Sieve" in x}
    sent = [
        x for x in lines if "Sent: " in x and x.split("Queue-ID: ")[1].split(",")[0] in rule_ids
    ]
    assert sent and not [x for x in sent if "Remote-Host: ," in x]  # auto-replies too


def test_the_rest_of_the_site_is_the_same(tmp_path: Path) -> None:
    """Forwarding adds the rules' lines (and two logins) and changes nothing else."""
    on = simulate(SimConfig(seed=3, users=30, days=7, forwarding=True), tmp_path / "on")
    off = simulate(SimConfig(seed=3, users=30, days=7), tmp_path / "off")

    def lines(result: SimResult, name: str) -> list[str]:
        return (result.directory / name).read_text(encoding="utf-8").splitlines()

    added = set(lines(on, "mail.log")) - set(lines(off, "mail.log"))
    assert not set(lines(off, "mail.log")) - set(lines(on, "mail.log"))
    rule_ids = {
        m.group(1) for x in added if (m := re.search(r"Queue-ID: (\S+), Service: Sieve", x))
    }
    assert added and all(re.search(r"Queue-ID: ([^,]+)", x).group(1) in rule_ids for x in added)  # type: ignore[union-attr]
    assert lines(on, "security.log") == lines(off, "security.log")
    extra = set(lines(on, "audit.log")) - set(lines(off, "audit.log"))
    assert len(extra) <= 2 and all("HTTP/WebMail: User" in x for x in extra)
