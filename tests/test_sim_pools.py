"""The simulator's opt-in groups never give two actors one address, and a kind a group
cannot plant is named (``benchmarks/detection.py`` reports it), never skipped silently."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.simulate.ips import IpRegistry
from kerio_watch.simulate.netplan import Net, address_in, server_in

AWS = Net("3.120.0.0/13", "DE", "AMAZON-02")


def test_two_groups_never_draw_one_address() -> None:
    """Two groups whose own random numbers would give the same address (one held-out
    round's intruder and another round's hosted archive, or a delivery host of either)
    each get their own; the numbers are a plain ``random.Random``'s until another group
    holds the address."""
    plain = address_in(AWS, random.Random(5))
    ips = IpRegistry(random.Random(1))
    first, second = address_in(AWS, ips.group(5)), address_in(AWS, ips.group(5))
    assert first == plain and second != first
    server = server_in(AWS, ips.group(5))  # a third group's delivery: no client's address
    assert server not in (first, second)
    client = address_in(AWS, ips.group(5))  # nor a fourth group's client a server's
    assert client not in (first, second, server)


def test_a_group_alone_draws_what_it_always_drew() -> None:
    """A group's own draws may repeat (a phone's carrier pool, a delivery host): alone it
    draws exactly what a plain ``random.Random`` of its seed draws, so a site with one
    group on is byte for byte what it was."""
    tiny = Net("192.0.2.0/28", "ZZ", "documentation")  # twelve addresses to draw from
    ips = IpRegistry(random.Random(1))
    group, plain = ips.group(7), random.Random(7)
    mine = [address_in(tiny, group) for _ in range(8)] + [server_in(tiny, group)]
    assert mine == [address_in(tiny, plain) for _ in range(8)] + [server_in(tiny, plain)]
    assert len(set(mine)) < len(mine)
    other = ips.group(7)
    assert not {address_in(tiny, other) for _ in range(3)} & set(mine)


def test_a_round_without_free_accounts_names_what_it_did_not_plant(tmp_path: Path) -> None:
    """On a site too small for a round every kind it could not plant is named with why;
    the default site plants every kind it asks for."""
    small = simulate(SimConfig(seed=1, users=6, days=10, heldout=True), tmp_path / "small")
    kinds = {k for k, _ in small.unplanted}
    planted = {s.kind for s in small.scenarios}
    assert kinds and not kinds & planted
    assert all("free" in why or "nothing" in why for _, why in small.unplanted)
    assert simulate(SimConfig(seed=1, days=10), tmp_path / "default").unplanted == ()
    seventh = simulate(SimConfig(seed=1, users=12, days=8, heldout7=True), tmp_path / "seventh")
    assert {"laptop_theft", "bank_change"} <= {k for k, _ in seventh.unplanted}


@pytest.fixture(scope="module")
def detection() -> ModuleType:
    """``benchmarks/detection.py`` as a module."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "detection.py"
    spec = importlib.util.spec_from_file_location("detection_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_says_which_kinds_were_not_planted(
    detection: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """The benchmark's table names each kind not planted, its seeds and why."""
    why = "no account was free for it"
    results = [
        detection.SeedResult(40, seed, [], [], set(), [], 1.0, 0, 0.0, [], unplanted)
        for seed, unplanted in (
            (1, (("vpn_thread_spam", why),)),
            (2, ()),
            (3, (("vpn_thread_spam", why),)),
        )
    ]
    detection.print_unplanted(results)
    out = capsys.readouterr().out
    assert "NOT PLANTED" in out and "vpn_thread_spam" in out and "seeds 1 3" in out and why in out


def test_the_benchmark_grows_a_site_a_round_ran_out_of_accounts_on(
    detection: ModuleType, tmp_path: Path
) -> None:
    """Held-out rounds take accounts no other scenario uses: where a round finds none
    left, the benchmark simulates the site a few accounts larger until every kind is
    planted. A site that plants every kind is the one asked for, byte for byte, and a
    small site's default kinds that need an account of their own stay left out (the
    small offices are measured so)."""
    short = SimConfig(seed=1, users=16, days=8, heldout5=True)
    assert simulate(short, tmp_path / "asked").unplanted
    grown, result = detection.planted_site(short, tmp_path / "grown")
    assert grown.users > short.users and result.unplanted == ()
    assert {"thin_campaign", "mimic_spam", "reset_pivot", "assistant_home"} <= {
        s.kind for s in result.scenarios
    }
    default = SimConfig(seed=1, days=8)
    same, again = detection.planted_site(default, tmp_path / "default")
    plain = simulate(default, tmp_path / "plain")
    assert same == default and again.unplanted == ()
    assert (tmp_path / "default" / "mail.log").read_bytes() == plain.files["mail"].read_bytes()
    small = SimConfig(seed=1, users=10, days=8)
    kept, left = detection.planted_site(small, tmp_path / "small")
    assert kept == small and left.unplanted
