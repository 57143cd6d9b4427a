"""Network identity of IPv6 addresses: geoip2fast's IPv6 data (``enrich/geotable6.py``)."""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import pytest

from kerio_watch.config import EnrichConfig
from kerio_watch.enrich import geocache, geotable6
from kerio_watch.enrich.geo import GEOIP2FAST_IPV6_FILE, open_geo


def _source() -> Path:
    geoip2fast = pytest.importorskip("geoip2fast")
    return Path(geoip2fast.__file__).parent / GEOIP2FAST_IPV6_FILE


def test_the_ipv6_table_answers_as_geoip2fast_does() -> None:
    """Random public addresses and the edges of networks (longer than /64 too) get the
    country and AS name geoip2fast itself gives them."""
    geoip2fast = pytest.importorskip("geoip2fast")
    table = geotable6.load6(_source())
    assert table is not None
    db = geoip2fast.GeoIP2Fast(geoip2fast_data_file=GEOIP2FAST_IPV6_FILE)
    rng = random.Random(13)
    values = {(0x2 << 124) | rng.getrandbits(125) for _ in range(10_000)}  # in 2000::/3
    values |= {(0x2A << 120) | rng.getrandbits(120) for _ in range(10_000)}  # in 2a00::/8
    rows = list(zip(table.hi, table.lo, table.lens, strict=True))
    for hi, lo, bits in [*rows[::40], *((h, lo, b) for h, lo, b in rows if b > 64)]:
        first = (hi << 64) | lo
        last = first + (1 << (128 - bits)) - 1
        values |= {first, last, last + 1, first - 1}

    def country(code: str) -> str:  # as geo.py reads both: "--" and "ASIA" are none
        return code if len(code) == 2 and code.isalpha() else ""

    differ = []
    for value in sorted(v for v in values if (1 << 32) <= v < (1 << 128)):
        ip = str(ipaddress.IPv6Address(value))
        r = db.lookup(ip)
        code, name = table.lookup(ip)
        if (country(code), name) != (country(r.country_code), r.asn_name or ""):
            differ.append((ip, (code, name), (r.country_code, r.asn_name)))
    assert not differ, differ[:5]
    assert len(values) > 30_000
    assert table.lookup("84.130.7.9") == ("", "") and table.lookup("nonsense") == ("", "")


def test_ipv6_clients_have_a_country_an_owner_and_the_hosting_flag() -> None:
    """A cloud server's IPv6 address is a hosting network, a home line's is its
    provider's, as their IPv4 addresses are; an IPv4 client written as an IPv4-mapped
    IPv6 address (a dual-stack socket) is its IPv4 address."""
    _source()
    geo = open_geo(EnrichConfig(geo="geoip2fast"))
    hetzner = geo.lookup("2a01:4f8:c17:1a2b::2")
    assert (hetzner.country, hetzner.as_name, hetzner.hosting) == (
        "DE",
        "Hetzner Online GmbH",
        True,
    )
    telekom = geo.lookup("2003:e5:4f1a:9b00:1c2d:3e4f:5a6b:7c8d")
    assert (telekom.country, telekom.as_name, telekom.hosting) == (
        "DE",
        "Deutsche Telekom AG",
        False,
    )
    assert geo.lookup("2003:E5:4F1A:9B00:1C2D:3E4F:5A6B:7C8D") == telekom
    assert geo.lookup("::ffff:84.130.7.9") == geo.lookup("84.130.7.9") != geo.lookup("fe80::1")
    assert not geo.lookup("fe80::1").country and not geo.lookup("::1").country


def test_the_ipv6_table_is_read_back_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second run reads the IPv6 arrays from the cache, not the data file."""
    source = _source()
    monkeypatch.setenv(geocache.CACHE_ENV, str(tmp_path / "cache"))
    built = geocache.table6(source)
    assert built is not None

    def fail(path: Path) -> None:
        raise AssertionError(f"{path} read again")

    monkeypatch.setattr(geocache, "load6", fail)
    cached = geocache.table6(source)
    assert cached is not None
    for name, _ in geotable6.COLUMNS6:
        assert cached.column(name) == built.column(name), name
    assert cached.lookup("2a01:4f8::1") == built.lookup("2a01:4f8::1") != ("", "")
