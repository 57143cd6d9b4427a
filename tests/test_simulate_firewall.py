"""The simulated site's firewall: its log in each format, the planted machines and truth.

Small sites are simulated and scanned through the real CLI; ``benchmarks/detection.py``
measures the same on full-size sites and several seeds.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kerio_watch.cli import main
from kerio_watch.events import Connection
from kerio_watch.formats import build_parsers
from kerio_watch.simulate import (
    CONFIG_FILE,
    FIREWALL_FORMATS,
    HOST_KINDS,
    TRUTH_FILE,
    SimConfig,
    SimResult,
    simulate,
)
from kerio_watch.simulate.clock import SiteClock
from kerio_watch.simulate.firewall import plan_firewall
from kerio_watch.simulate.site import ADMIN_IP, LAN_PREFIX, SiteBuilder
from kerio_watch.sources.files import discover, read_records

RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def small(seed: int, firewall: str | None = "auto", only_mail: bool = False) -> SimConfig:
    """A small site: 8 users, 10 days."""
    return SimConfig(seed=seed, users=8, days=10, firewall=firewall, only_mail=only_mail)


@pytest.mark.parametrize("fmt", FIREWALL_FORMATS)
def test_each_format_is_found_and_read_without_unparsed_lines(tmp_path: Path, fmt: str) -> None:
    result = simulate(small(5, fmt), tmp_path)
    assert result.firewall_file is not None and result.firewall_lines > 100
    (found,) = [f for f in discover([str(tmp_path)]) if f.path == str(result.firewall_file)]
    assert found.log == fmt
    parser = build_parsers()[fmt]
    records = list(read_records(found))
    assert len(records) == result.firewall_lines
    events = [parser.parse(r.message, r.ts, r.raw) for r in records]
    assert all(isinstance(e, Connection) for e in events)
    assert not found.unparsed_total


def test_the_same_seed_gives_the_same_firewall_log(tmp_path: Path) -> None:
    one = simulate(small(6), tmp_path / "one")
    two = simulate(small(6), tmp_path / "two")
    assert one.firewall_file is not None and two.firewall_file is not None
    assert one.firewall_file.read_bytes() == two.firewall_file.read_bytes()
    assert one.hosts == two.hosts


def test_no_firewall_log_when_asked_or_for_mail_only(tmp_path: Path) -> None:
    assert simulate(small(7, None), tmp_path / "a").firewall_file is None
    only = simulate(small(7, only_mail=True), tmp_path / "b")
    assert only.firewall_file is None and only.hosts == ()
    with pytest.raises(ValueError, match="firewall must be one of"):
        SimConfig(firewall="cisco")


def test_truth_names_the_machines_and_the_infected_pcs_users(tmp_path: Path) -> None:
    result = simulate(small(8), tmp_path)
    assert [h.kind for h in result.hosts] == ["mail_server", *HOST_KINDS[:1], *HOST_KINDS[2:]]
    (pc,) = [h for h in result.hosts if h.malicious]
    assert pc.users and all(u.endswith(("@example.com", "@example.org")) for u in pc.users)
    truth = json.loads((tmp_path / TRUTH_FILE).read_text(encoding="utf-8"))
    assert [h["host"] for h in truth["hosts"]] == [h.host for h in result.hosts]
    config = (tmp_path / CONFIG_FILE).read_text(encoding="utf-8")
    assert "[firewall]" in config and "allowed_hosts" in config


def test_the_infected_pcs_users_are_every_account_used_there(tmp_path: Path) -> None:
    """Whoever logs in from the infected PC is one of its users, a team mailbox
    answered at that desk too (seed 2: the mailbox's scenario names another member's
    desk, so only the site's desks tell)."""
    result = simulate(small(2), tmp_path)
    (pc,) = [h for h in result.hosts if h.malicious]
    audit = (tmp_path / "audit.log").read_text(encoding="utf-8")
    used = set(
        re.findall(rf"User (\S+) authenticated  from IP address {re.escape(pc.host)}\b", audit)
    )
    assert any(u.startswith("innendienst@") for u in used)
    assert used <= set(pc.users)


@pytest.fixture(scope="module", params=["netfilter", "pfirewall"])
def scanned(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[SimResult, list[dict[str, object]], list[dict[str, object]]]:
    """A small site with its firewall log, scanned: (result, alerts, incidents)."""
    root = tmp_path_factory.mktemp("fwsite")
    result = simulate(SimConfig(seed=2, users=12, days=14, firewall=request.param), root / "logs")
    db = str(root / "state.db")
    config = str(result.directory / CONFIG_FILE)
    runner = CliRunner()
    out = runner.invoke(
        main, ["scan", "--db", db, "--config", config, "--format", "jsonl", str(result.directory)],
        catch_exceptions=False,
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    alerts = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    listed = runner.invoke(main, ["incidents", "--db", db, "--format", "jsonl", "--limit", "1000"])
    incidents = [json.loads(x) for x in listed.stdout.splitlines()]
    return result, alerts, incidents


def test_the_infected_pc_is_high_within_five_minutes_and_names_its_users(
    scanned: tuple[SimResult, list[dict[str, object]], list[dict[str, object]]],
) -> None:
    result, alerts, incidents = scanned
    (pc,) = [h for h in result.hosts if h.malicious]
    mine = {i["id"]: i for i in incidents if i["key"] == f"host:{pc.host}"}
    highs = [
        datetime.fromisoformat(str(a["time"])).astimezone(UTC)
        for a in alerts
        if a["incident"] in mine and RANK[str(a["severity"])] >= RANK["high"]
    ]
    assert highs and min(highs) - pc.start <= timedelta(minutes=5)
    for inc in mine.values():
        assert inc["user"] is None
        assert tuple(inc["facts"]["accounts"]) == pc.users  # type: ignore[index]


def test_no_benign_machine_reaches_medium(
    scanned: tuple[SimResult, list[dict[str, object]], list[dict[str, object]]],
) -> None:
    result, _alerts, incidents = scanned
    for host in result.hosts:
        if host.malicious:
            continue
        worst = max(
            (RANK[str(i["severity"])] for i in incidents if i["key"] == f"host:{host.host}"),
            default=0,
        )
        assert worst < RANK["medium"], host.kind


def test_the_demo_lists_the_planted_machines(demo_output: str) -> None:
    """The session's run of the default demo (a run of its own took 5 s)."""
    out = demo_output
    assert "host infected pc" in out and "users named" in out
    for kind in ("mail server", "smarthost", "swaks test", "monitoring probe"):
        line = next(x for x in out.splitlines() if f"host {kind}" in x)
        assert "quiet" in line or "low only" in line, line


@pytest.mark.parametrize("seed", [3, 4])
def test_everyone_seated_at_the_infected_pc_is_among_its_users(seed: int) -> None:
    """A site of 300 has more people than desks: whoever shares the infected PC's
    address uses it, and the truth says so (the detector names them from the logs)."""
    config = SimConfig(seed=seed, users=300, days=2)
    site = SiteBuilder(random.Random(seed), config.domain, config.users).build()
    fw = plan_firewall(config, site, SiteClock(config.timezone), (LAN_PREFIX, ADMIN_IP))
    assert fw is not None and fw.infected is not None
    seated = {p.address for p in site.users if p.lan_ip == fw.infected}
    assert set(fw.users) == seated
