"""Trusted networks: addresses, host names, and the lookup cache."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerio_watch.enrich.network import Networks, network_of


def test_addresses_and_names() -> None:
    """IPs are judged by the networks; names by their suffix; garbage is neither."""
    nets = Networks(["192.168.0.0/16", "10.8.0.0/24"])
    assert nets.is_trusted("192.168.3.4") is True
    assert nets.is_trusted("10.8.1.1") is False
    assert nets.is_external("203.0.113.9")
    assert nets.is_external("suspiciousdomain1.com")
    assert not nets.is_external("pc-anna.lan") and not nets.is_external("PRINTER")
    assert nets.is_trusted("0.0.0.0, <x>") is None
    assert nets.is_trusted(None) is None


def test_cached_answers_are_the_same() -> None:
    """Outside (False) results are cached like the others."""
    nets = Networks(["192.168.0.0/16"])
    for _ in range(3):
        assert nets.is_trusted("203.0.113.9") is False
        assert nets.is_trusted("192.168.1.1") is True
    assert nets._cache["203.0.113.9"] is False


def test_network_of() -> None:
    """The /24 or /48 around an address; names stay as they are."""
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8::1") == "2001:db8::/48"
    assert network_of("mail.example.com") == "mail.example.com"


def test_ipv6_hosts_in_the_forms_a_server_may_write() -> None:
    """An IPv4 client written as an IPv4-mapped address (a dual-stack socket) is that
    IPv4 client: at a desk of the LAN it is trusted, outside it is in its /24 (before,
    it was outside, and every such client was one network, ``::/48``). An IPv6
    address in brackets is an address, not a LAN host name without a dot (it was
    trusted). Upper case and leading zeros are the same network."""
    nets = Networks(["192.168.10.0/24", "2001:db8:10::/48"])
    for desk in (
        "::ffff:192.168.10.23",
        "::FFFF:192.168.10.23",
        "::ffff:c0a8:a17",
        "::ffff:127.0.0.1",
    ):
        assert nets.is_trusted(desk) is True, desk
    for outside in ("::ffff:84.130.7.9", "[2003:e5:4f1a:9b00::1]", "2003:E5:4F1A:9B00::1"):
        assert nets.is_trusted(outside) is False, outside
    assert nets.is_trusted("[2001:db8:10::7]") is True and nets.is_trusted("fe80::1%eth0") is False
    assert network_of("::ffff:84.130.7.9") == network_of("84.130.7.9") == "84.130.7.0/24"
    assert network_of("::ffff:84.130.7.9") != network_of("::ffff:93.192.1.1")
    assert network_of("[2003:e5:4f1a:9b00::1]") == "2003:e5:4f1a::/48"
    assert network_of("2003:00E5:4F1A:9B00:0:0:0:1") == "2003:e5:4f1a::/48"


def _reference_network_of(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_OCTETS = st.one_of(
    st.integers(0, 300).map(str),
    st.sampled_from(["00", "01", "010", "0255", "", " 1", "1 ", "+1", "-1", "²", "١", "0x1"]),
)


@given(st.one_of(st.lists(_OCTETS, min_size=3, max_size=5).map(".".join), st.text(max_size=20)))
@settings(max_examples=3000)
def test_network_of_answers_as_ipaddress_does(host: str) -> None:
    """The quick way for IPv4 addresses answers exactly as :mod:`ipaddress` does."""
    assert network_of.__wrapped__(host) == _reference_network_of(host)


def test_network_of_reads_ipv4_without_ipaddress(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dotted quad takes the quick way (the ``ipaddress`` objects were a scan's cost)."""

    def refuse(host: str) -> None:
        raise AssertionError(host)

    monkeypatch.setattr(ipaddress, "ip_address", refuse)
    assert network_of.__wrapped__("198.51.100.23") == "198.51.100.0/24"
