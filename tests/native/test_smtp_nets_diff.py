"""The core's ``SmtpNets`` against Python's (``kerio_watch.detect.smtp_hosts_nets``):
the same answers for any address text (dotted quads with leading zeros, out of range,
spaces around them, other digits; IPv6, IPv4-mapped, bracketed; host names; any text)
against any trusted networks and ``[firewall]`` exclusions, IPv4 and IPv6; a dotted
quad is answered by the core's prefix tables alone and any other text is asked of
Python once."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kerio_watch.detect.smtp_hosts import Exclusions
from kerio_watch.detect.smtp_hosts_nets import (
    EXTERNAL,
    FROM_EXCLUDED,
    LAN,
    TO_EXCLUDED,
    SmtpNets,
    ipv4_prefixes,
)
from kerio_watch.enrich.network import Networks, network_of
from nativediff import extension

OCTET = st.one_of(
    st.integers(0, 255).map(str),
    st.integers(0, 1100).map(str),
    st.integers(0, 99).map(lambda n: f"0{n}"),
    st.sampled_from(["", " 1", "1 ", "٣", "1٣", "+1", "-0", "0x1", "00", "000", "0"]),
)
QUAD = st.lists(OCTET, min_size=3, max_size=5).map(".".join)
NEAR = st.tuples(st.sampled_from([10, 127, 172, 192, 203]), st.integers(0, 255)).flatmap(
    lambda ab: st.tuples(st.integers(0, 255), st.integers(0, 255)).map(
        lambda cd: f"{ab[0]}.{ab[1] if ab[0] != 192 else 168}.{cd[0]}.{cd[1]}"
    )
)
V6 = st.ip_addresses(v=6).map(str)
HOST = st.one_of(
    NEAR,
    NEAR.map(lambda h: f" {h}"),
    NEAR.map(lambda h: f"{h} "),
    NEAR.map(lambda h: f"::ffff:{h}"),
    NEAR.map(lambda h: f"[{h}]"),
    QUAD,
    V6,
    V6.map(lambda h: f"[{h}]"),
    st.ip_addresses(v=4).map(str),
    st.sampled_from(["", "pc1", "mx.example.com", "nas.local", "a b", "localhost", "::1"]),
    st.text(max_size=12),
)


def _v4(draw: Any) -> str:
    a = draw(st.sampled_from([10, 127, 172, 192, 203, 0]))
    return (
        f"{a}.{draw(st.integers(0, 255))}.{draw(st.integers(0, 255))}.0/{draw(st.integers(0, 32))}"
    )


@st.composite
def cidrs(draw: Any) -> list[str]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        out.append(_v4(draw))
        if draw(st.integers(0, 4)) == 0:
            out.append(
                str(ipaddress.ip_network(f"{draw(V6)}/{draw(st.integers(0, 128))}", strict=False))
            )
    return out


@settings(max_examples=300)
@given(
    cidrs(),
    cidrs(),
    cidrs(),
    cidrs(),
    st.lists(HOST, min_size=1, max_size=40),
    st.lists(HOST, max_size=3),
)
def test_the_same_answers_for_any_text(
    trusted: list[str],
    servers: list[str],
    relays: list[str],
    allowed: list[str],
    hosts: list[str],
    benign: list[str],
) -> None:
    networks = Networks(trusted)
    fixed = Exclusions(servers, relays, allowed)
    python = SmtpNets(networks, fixed)
    asked: list[str] = []

    def ask(host: str) -> int:
        asked.append(host)
        return SmtpNets(networks, Exclusions(servers, relays, allowed)).answer(host)

    native = extension().SmtpNets(
        ipv4_prefixes(networks),
        ipv4_prefixes(fixed.servers),
        ipv4_prefixes(fixed.relays),
        ipv4_prefixes(fixed.allowed),
        ask,
    )
    for mine in (native, python):
        mine.set_benign(benign)
    assert native.benign == python.benign == sorted(set(benign))
    for host in hosts + hosts[::-1]:
        answer = python.classify(host)
        assert native.classify(host) == answer, host
        assert answer == SmtpNets(Networks(trusted), Exclusions(servers, relays, allowed)).answer(
            host
        )
        assert answer & (LAN | EXTERNAL) != LAN | EXTERNAL
        for dst in hosts[:5]:
            assert native.excluded(host, dst) == python.excluded(host, dst), (host, dst)
    for host in set(asked):
        assert asked.count(host) == 1, host  # asked once, the answer kept
    assert not [h for h in asked if _fast(h)]  # a dotted quad is the core's own answer


def _fast(host: str) -> bool:
    """A dotted quad ``network_of`` reads without ``ipaddress`` (its fast path)."""
    octets = host.split(".")
    return len(octets) == 4 and network_of(host) == f"{octets[0]}.{octets[1]}.{octets[2]}.0/24"


def test_the_bits_say_what_the_detector_asked_before() -> None:
    """The answers as ``Networks`` and ``Exclusions`` gave them to the detector: a LAN
    machine, an outside server, the configured mail server, relay and allowed probe,
    loopback (inside every table), an IPv6 LAN address, a LAN host name (trusted, but
    no IP address: not a LAN machine, but inside the exclusions' tables as every bare
    name is), an outside name."""
    networks = Networks(["192.168.0.0/16", "fd00::/8"])
    fixed = Exclusions(["192.168.1.5"], ["203.0.113.7"], ["192.168.1.9"])
    python = SmtpNets(networks, fixed)
    native = extension().SmtpNets(
        ipv4_prefixes(networks),
        ipv4_prefixes(fixed.servers),
        ipv4_prefixes(fixed.relays),
        ipv4_prefixes(fixed.allowed),
        python.answer,
    )
    both = FROM_EXCLUDED | TO_EXCLUDED
    for host, bits in [
        ("192.168.7.7", LAN),
        ("198.51.100.1", EXTERNAL),
        ("192.168.1.5", LAN | both),
        ("203.0.113.7", EXTERNAL | TO_EXCLUDED),
        ("192.168.1.9", LAN | FROM_EXCLUDED),
        ("127.0.0.1", LAN | both),
        ("fd00::5", LAN),
        ("192.168.01.7", EXTERNAL),
        ("pc1", FROM_EXCLUDED),  # a bare name is "trusted" by every table
        ("mx.example.com", EXTERNAL),
    ]:
        assert python.classify(host) == native.classify(host) == bits, host
