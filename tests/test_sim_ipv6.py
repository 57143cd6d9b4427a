"""A site whose clients reach the server over IPv6 (``simulate/ipv6.py``)."""

from __future__ import annotations

import ipaddress
import random
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from kerio_watch.config import EnrichConfig
from kerio_watch.enrich.geo import open_geo
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.simulate.ipv6 import HOME6, HOSTING6, MOBILE6

SMALL = SimConfig(seed=3, users=12, days=9, forwarding=True, admin=True)
_LOGIN = re.compile(
    r"^\[(\d\d)/\w+/\d{4} [\d:]+\] (\S+): User (\S+) authenticated  from IP address ([\da-f:.]+)"
)
_ADDRESS = re.compile(
    r"(?<![\w:.])(?:[\da-f]{1,4}:){2,7}[\da-f:]*[\da-f](?![\w:])|\d+\.\d+\.\d+\.\d+"
)


def _lines(directory: Path, name: str) -> list[str]:
    return (directory / name).read_text(encoding="utf-8").splitlines()


def test_no_ipv6_is_the_default_site(tmp_path: Path) -> None:
    """The option at its default is the default site, byte for byte."""
    a = simulate(SMALL, tmp_path / "a")
    b = simulate(replace(SMALL, ipv6=0.0), tmp_path / "b")
    for name, path in a.files.items():
        assert path.read_bytes() == b.files[name].read_bytes(), name


def test_ipv6_changes_only_addresses(tmp_path: Path) -> None:
    """The same site, line for line; only some outside addresses are IPv6, and the
    truth names the addresses the logs write."""
    plain = simulate(SMALL, tmp_path / "plain")
    v6 = simulate(replace(SMALL, ipv6=0.5), tmp_path / "v6")
    changed = 0
    for name, path in plain.files.items():
        before = path.read_text(encoding="utf-8").splitlines()
        after = v6.files[name].read_text(encoding="utf-8").splitlines()
        assert len(before) == len(after), name
        for old, new in zip(before, after, strict=True):
            assert _ADDRESS.sub("*", old) == _ADDRESS.sub("*", new), (old, new)
            changed += old != new
    assert changed > 500
    written = "".join(path.read_text(encoding="utf-8") for path in v6.files.values())
    moved = [s.source_ip for s in v6.scenarios if s.source_ip and ":" in s.source_ip]
    assert moved and all(f" {ip}" in written for ip in moved)
    with pytest.raises(ValueError, match="ipv6"):
        SimConfig(ipv6=1.5)


def test_home_lines_rotate_privacy_addresses_phones_attach_anew(tmp_path: Path) -> None:
    """A home line's computer has a new address every day (the log's local days; the
    addresses change at UTC midnight); on a line whose prefix is kept, all of them are in
    one /64. A phone's addresses are in many /64s of its carrier."""
    v6 = simulate(replace(SMALL, days=14, ipv6=1.0), tmp_path / "v6")
    homes: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    carriers = {str(n.cidr) for n in MOBILE6.values()}
    phones: dict[str, set[str]] = defaultdict(set)
    for line in _lines(v6.directory, "audit.log"):
        m = _LOGIN.match(line)
        if not m or ":" not in m.group(4):
            continue
        address = ipaddress.IPv6Address(m.group(4))
        net64 = str(ipaddress.IPv6Network(f"{address}/64", strict=False))
        if any(address in ipaddress.IPv6Network(c) for c in carriers):
            phones[m.group(3)].add(net64)
        elif any(address in ipaddress.IPv6Network(n.cidr) for n in HOME6.values()):
            homes[m.group(3)][m.group(1)].add(str(address))
    assert phones and max(len(nets) for nets in phones.values()) > 5
    assert homes
    # about one privacy address a day (the odd device without them keeps its own)
    addresses = sum(len(set.union(*days.values())) for days in homes.values())
    assert addresses >= 0.8 * sum(len(days) for days in homes.values())
    kept = [
        days
        for days in homes.values()
        if len(
            {str(ipaddress.IPv6Network(f"{a}/64", strict=False)) for d in days.values() for a in d}
        )
        == 1
    ]
    assert kept and any(len(days) > 2 for days in kept)


def test_every_ipv6_range_resolves_as_its_note_says() -> None:
    """geoip2fast's data resolves the addresses of each range to the country and owner
    noted, and the cloud ranges (Tor exits aside) to hosting networks."""
    pytest.importorskip("geoip2fast")
    geo = open_geo(EnrichConfig(geo="geoip2fast"))
    rng = random.Random(7)
    for table in (HOME6, MOBILE6, HOSTING6):
        for net in table.values():
            prefix = ipaddress.ip_network(net.cidr)
            infos = [
                geo.lookup(str(prefix[rng.randrange(1, prefix.num_addresses - 1)]))
                for _ in range(200)
            ]
            same = sum(i.country == net.country and i.as_name == net.owner for i in infos)
            assert same >= 194, (net, same)
            if table is HOSTING6 and "Netze" not in net.owner:
                assert all(i.hosting for i in infos), net
