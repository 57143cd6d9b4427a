"""Networks: is an address on the LAN, a VPN, a known server, or the internet?"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from kerio_watch.settings.site import DEFAULT_TRUSTED
from kerio_watch.values.ip import address_of, machine_of

__all__ = ["DEFAULT_TRUSTED", "IPNetwork", "Networks", "address_of", "machine_of", "network_of"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_MISSING = object()


class Networks:
    """Trusted networks with a per-address cache (the same IPs recur constantly)."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(c, strict=False) for c in cidrs
        )
        self._cache: dict[str, object] = {}

    def is_trusted(self, host: str | None) -> bool | None:
        """True inside a trusted network, False outside, None when not an address at all.

        Host names (logged when Kerio resolves client addresses) count as trusted when
        they have no dot or end in a LAN suffix (``.local``, ``.lan``...), else outside.
        """
        if host is None:
            return None
        cached = self._cache.get(host, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        address = address_of(host)
        if address is None:
            # Kerio logs a host name instead of an IP when reverse DNS is on: a bare or
            # LAN-suffixed name is internal, any other name is on the internet.
            result: bool | None = _host_name_trusted(host)
        else:
            # the server itself (a local script, or what its own rules send) is inside
            result = address.is_loopback or any(address in net for net in self.networks)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[host] = result
        return result

    def is_external(self, host: str | None) -> bool:
        """An address (IP or internet host name) outside every trusted network."""
        return self.is_trusted(host) is False


_LAN_SUFFIXES = (".local", ".lan", ".internal", ".localdomain", ".home.arpa", ".intranet", ".corp")


def _host_name_trusted(host: str) -> bool | None:
    name = host.strip().rstrip(".").lower()
    if not name or any(c in name for c in " /@<>,;"):
        return None
    return "." not in name or name.endswith(_LAN_SUFFIXES)


@functools.lru_cache(maxsize=65536)
def network_of(host: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) around an address, for "same network" checks (an
    IPv4-mapped address is its IPv4 address, see :func:`address_of`).

    >>> network_of("203.0.113.7"), network_of("::ffff:203.0.113.7")
    ('203.0.113.0/24', '203.0.113.0/24')
    """
    octets = host.split(".")
    if len(octets) == 4 and all(map(_octet, octets)):
        return f"{octets[0]}.{octets[1]}.{octets[2]}.0/24"  # what ipaddress answers, faster
    address = address_of(host)
    if address is None:
        return host
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def provider_range(network: str) -> str | None:
    """The text prefix of the provider-sized range around a network: the /16 of an IPv4
    /24 (``"203.0."``), the /32 of an IPv6 /48. Mobile carriers and large ISPs hand
    their customers addresses from all over such a range.

    >>> provider_range("203.0.113.0/24"), provider_range("2001:db8:1::/48")
    ('203.0.', '2001:db8:')
    """
    if "." in network:
        parts = network.split(".")
        return f"{parts[0]}.{parts[1]}." if len(parts) == 4 else None
    parts = network.split(":")
    return f"{parts[0]}:{parts[1]}:" if len(parts) >= 3 and parts[0] and parts[1] else None


def _octet(text: str) -> bool:
    """A part of an IPv4 address as :mod:`ipaddress` accepts it and writes it back: 0 to
    255 in ASCII digits, no leading zero."""
    return (
        0 < len(text) <= 3
        and text.isascii()
        and text.isdigit()
        and (text[0] != "0" or text == "0")
        and int(text) <= 255
    )
