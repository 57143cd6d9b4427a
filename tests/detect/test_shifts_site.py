"""End to end: a site whose office changes provider (``SimConfig.shifts``).

The mail server is hosted outside the office, so it sees the office at its public
address. The old line is in the trusted networks; on a working day the office moves to
another provider's line, which is not. Every account's office traffic comes from a new,
untrusted address that morning, with the staff's usual typos: nobody is hijacked, and
no benign account may reach high for it.
"""

from __future__ import annotations

import re
from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import SHIFT_BENIGN_KINDS, SHIFT_HIJACK_KINDS, SimConfig, simulate
from kerio_watch.simulate.site import LAN_PREFIX
from simscan import log_lines, planted_kinds, scan_alerts, worst_by_user

STAMP = re.compile(r"^\[(\d\d)/Mar/2026 ")


def test_the_office_line_changes_and_nobody_benign_reaches_high(tmp_path: Path) -> None:
    """Planted as the truth says; the office's LAN is seen at its public line, the old
    one before the switch and the new one after; no benign account reaches high."""
    result = simulate(SimConfig(seed=2, users=24, days=22, shifts=True), tmp_path / "logs")
    planted = planted_kinds(result, *SHIFT_BENIGN_KINDS, *SHIFT_HIJACK_KINDS)
    office = planted["office_isp"]
    new = office.source_ip or ""
    assert office.account == "*" and not office.malicious and new
    assert all(planted[k].malicious for k in SHIFT_HIJACK_KINDS)
    switch = office.start.astimezone(result.scenarios[0].start.tzinfo).day + 1  # local day
    old = re.search(r'"([\d.]+)/32"', result.config_toml)
    assert old is not None and new not in result.config_toml
    audit = log_lines(result.directory / "audit.log")
    assert not any(LAN_PREFIX in line for line in audit)
    for line in audit:
        m = STAMP.match(line)
        day = int(m[1]) if m else 0
        assert not (new in line and day < switch), line
        assert not (old[1] in line and day >= switch), line
    assert not (result.directory / "filter.log").exists()  # no office firewall log

    alerts = scan_alerts(result, tmp_path / "state.db", "--since", "2026-03-09")
    hijacked = {s.account for s in result.scenarios if s.malicious}
    high = {
        user
        for user, worst in worst_by_user(alerts).items()
        if worst >= Severity.HIGH and user not in hijacked
    }
    assert high == set()
