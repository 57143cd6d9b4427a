"""Trusted networks: addresses, host names, and the lookup cache."""

from __future__ import annotations

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
