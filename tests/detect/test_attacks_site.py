"""End to end: attacks no issue names (``SimConfig.attacks``).

One residential proxy of the site's own country that took several accounts, and a
password used to relay another domain's spam from many home lines, are high on every
account; business e-mail compromise is planted as the truth says (its verdict is a
limit: see docs/detectors.md).
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import ATTACK_HIJACK_KINDS, SimConfig, simulate
from simscan import log_lines, scan_alerts, worst_by_user


def test_a_shared_proxy_and_a_relay_drip_are_high(tmp_path: Path) -> None:
    config = SimConfig(seed=1, users=24, days=22, attacks=True)
    result = simulate(config, tmp_path / "logs")
    planted = [s for s in result.scenarios if s.kind in ATTACK_HIJACK_KINDS]
    assert all(s.malicious for s in planted)
    kinds = [s.kind for s in planted]
    assert 3 <= kinds.count("shared_proxy") <= 5
    assert kinds.count("bec_fraud") == kinds.count("relay_drip") == 1
    proxy = {s.source_ip for s in planted if s.kind == "shared_proxy"}
    assert len(proxy) == 1, "one address for every account it took"
    audit = log_lines(result.directory / "audit.log")
    bec = next(s for s in planted if s.kind == "bec_fraud")
    assert any(
        f"HTTP/WebMail: User {bec.account} " in x and f"{bec.source_ip};" in x for x in audit
    )
    since = min(s.start for s in planted).isoformat()
    worst = worst_by_user(scan_alerts(result, tmp_path / "state.db", "--since", since))
    for s in planted:
        if s.kind != "bec_fraud":
            assert worst.get(s.account, Severity.INFO) >= Severity.HIGH, s.description
