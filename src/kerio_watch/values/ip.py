"""IP address text: what may be kept as an address (log content may be anything)."""

from __future__ import annotations

import functools
import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_or_none(text: str | None) -> str | None:
    """The text when it is an IP address (brackets and spaces around it dropped), else None.

    >>> ip_or_none(" 203.0.113.7"), ip_or_none("[2001:db8::1]"), ip_or_none("mx.example.com")
    ('203.0.113.7', '2001:db8::1', None)
    """
    if not text:
        return None
    candidate = text.strip().strip("[]")
    return candidate if is_ip(candidate) else None


@functools.lru_cache(maxsize=65536)
def is_ip(host: str | None) -> bool:
    """Whether the text is an IP address (Kerio may log host names instead; cached:
    the same addresses recur constantly)."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def address_of(host: str) -> IPAddress | None:
    """The IP address a host text names, as the network sees it; None for a name.

    Brackets around an IPv6 address are dropped, and an IPv4-mapped IPv6 address (what a
    server listening on a dual-stack socket may write for an IPv4 client) is its IPv4
    address: the client is on the IPv4 network, a LAN or the internet.

    >>> address_of("::ffff:192.168.10.23"), address_of("[2001:db8::1]")
    (IPv4Address('192.168.10.23'), IPv6Address('2001:db8::1'))
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not (host[:1] == "[" and host[-1:] == "]"):
            return None
        try:
            address = ipaddress.ip_address(host[1:-1])
        except ValueError:
            return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=65536)
def machine_of(host: str) -> str:
    """What one client machine sends from: an IPv4 address itself (a NAT's address is
    one place too), the /64 of an IPv6 address. A rented server, a home network and a
    phone's attach each own a whole /64 and may use any address of it: a guessing tool
    can take a new one for every attempt. Names stay as they are.

    >>> machine_of("203.0.113.7"), machine_of("2a01:4f8:c17:1a2b::2")
    ('203.0.113.7', '2a01:4f8:c17:1a2b::/64')
    """
    if ":" not in host and "[" not in host:
        return host
    address = address_of(host)
    if address is None or address.version == 4:
        return host if address is None else str(address)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))
