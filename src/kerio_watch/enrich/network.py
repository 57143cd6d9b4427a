"""Networks: is an address on the LAN, a VPN, a known server, or the internet?"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Networks:
    """Trusted networks with a per-address cache (the same IPs recur constantly)."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(c, strict=False) for c in cidrs
        )
        self._cache: dict[str, bool | None] = {}

    def is_trusted(self, host: str | None) -> bool | None:
        """True inside a trusted network, False outside, None when not an IP address."""
        if host is None:
            return None
        cached = self._cache.get(host, 0)
        if cached != 0:
            return cached  # type: ignore[return-value]
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            result: bool | None = None
        else:
            result = any(address in net for net in self.networks)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[host] = result
        return result

    def is_external(self, host: str | None) -> bool:
        """An IP address outside every trusted network (host names are not)."""
        return self.is_trusted(host) is False


@functools.lru_cache(maxsize=65536)
def network_of(host: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) around an address, for "same network" checks.

    >>> network_of("203.0.113.7")
    '203.0.113.0/24'
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def is_ip(host: str | None) -> bool:
    """Whether the text is an IP address (Kerio may log host names instead)."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
