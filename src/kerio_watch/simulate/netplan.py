"""The simulator's address plan: real public prefixes of real networks.

Every outside address a simulated person or attacker uses is drawn from a prefix of a
real network of the right kind (a German DSL or cable provider for a home line, a mobile
carrier for a phone, a cloud or hosting provider for a rented server...; these are the
German site's, :mod:`.countries` has the other countries' and chooses), so that an
offline country and AS data file resolves it as it would resolve a real site's logs,
and the benchmark exercises the real enrichment. The note after each prefix is what the
GeoLite2-derived data of ``geoip2fast`` (June 2024) says about it; a test checks that.

The addresses themselves are random hosts inside those prefixes: no real person's.
"""

from __future__ import annotations

import ipaddress
import random
from typing import NamedTuple


class Net(NamedTuple):
    """A prefix of a real network, and what it is."""

    cidr: str
    country: str
    owner: str


#: Home DSL, cable and fibre lines in Germany (the site's country).
HOME_DE: tuple[Net, ...] = (
    Net("84.128.0.0/12", "DE", "Deutsche Telekom AG"),
    Net("79.192.0.0/10", "DE", "Deutsche Telekom AG"),
    Net("87.160.0.0/13", "DE", "Deutsche Telekom AG"),
    Net("93.192.0.0/12", "DE", "Deutsche Telekom AG"),
    Net("217.232.0.0/13", "DE", "Deutsche Telekom AG"),
    Net("91.64.0.0/14", "DE", "Vodafone GmbH"),
    Net("178.24.0.0/14", "DE", "Vodafone GmbH"),
    Net("88.64.0.0/12", "DE", "Vodafone GmbH"),
    Net("92.72.0.0/13", "DE", "Vodafone GmbH"),
    Net("89.204.128.0/19", "DE", "Telefonica Germany"),
    Net("77.176.0.0/12", "DE", "Telefonica Germany"),
    Net("94.134.0.0/15", "DE", "1&1 Versatel Deutschland GmbH"),
    Net("92.116.0.0/15", "DE", "1&1 Versatel Deutschland GmbH"),
    Net("78.34.0.0/16", "DE", "NetCologne Gesellschaft fur Telekommunikation mbH"),
    Net("95.33.0.0/16", "DE", "EWE-Tel GmbH"),
    Net("188.174.0.0/16", "DE", "M-net Telekommunikations GmbH"),
)

#: Mobile carriers in Germany (CGNAT: the address changes several times a day).
MOBILE_DE: tuple[Net, ...] = (
    Net("80.187.0.0/17", "DE", "Deutsche Telekom AG"),
    Net("37.80.0.0/12", "DE", "Deutsche Telekom AG"),
    Net("2.200.0.0/13", "DE", "Vodafone GmbH"),
    Net("109.40.0.0/13", "DE", "Vodafone GmbH"),
    Net("176.0.0.0/13", "DE", "Telefonica Germany"),
    Net("82.113.96.0/19", "DE", "Telefonica Germany"),
)

#: Business lines in Germany that hotels and venues use.
HOTEL_DE: tuple[Net, ...] = (
    Net("62.156.0.0/14", "DE", "Deutsche Telekom AG"),
    Net("217.84.0.0/14", "DE", "Deutsche Telekom AG"),
    Net("80.128.0.0/13", "DE", "Deutsche Telekom AG"),
    Net("134.3.0.0/16", "DE", "Vodafone GmbH"),
    Net("37.201.0.0/16", "DE", "Vodafone GmbH"),
    Net("85.22.0.0/16", "DE", "DOKOM Gesellschaft fuer Telekommunikation mbH"),
    Net("89.0.0.0/15", "DE", "NetCologne Gesellschaft fur Telekommunikation mbH"),
)

#: Home and hotel lines abroad (travel, conferences, attackers' proxies).
ABROAD: tuple[Net, ...] = (
    Net("83.32.0.0/11", "ES", "Telefonica De Espana S.a.u."),
    Net("88.0.0.0/11", "ES", "Telefonica De Espana S.a.u."),
    Net("86.128.0.0/14", "GB", "British Telecommunications PLC"),
    Net("81.150.0.0/15", "GB", "British Telecommunications PLC"),
    Net("79.0.0.0/11", "IT", "Telecom Italia"),
    Net("86.192.0.0/11", "FR", "Orange"),
    Net("77.164.0.0/14", "NL", "KPN B.V."),
    Net("73.0.0.0/12", "US", "COMCAST-7922"),
    Net("98.200.0.0/14", "US", "COMCAST-7922"),
)

#: Residential and mobile networks far away (botnets, credential stuffers).
FARAWAY: tuple[Net, ...] = (
    Net("95.24.0.0/13", "RU", "PVimpelCom"),
    Net("95.70.0.0/17", "RU", "Rostelecom"),
    Net("117.80.0.0/21", "CN", "Chinanet"),
    Net("189.10.0.0/15", "BR", "V tal"),
    Net("113.160.0.0/11", "VN", "VNPT Corp"),
    Net("105.112.0.0/21", "NG", "Celtel Nigeria Limited t.a ZAIN"),
    Net("41.200.0.0/15", "DZ", "Telecom Algeria"),
)

#: Cloud and hosting providers (rented servers, VPN exits, phishing proxies).
HOSTING_DE: tuple[Net, ...] = (
    Net("3.120.0.0/13", "DE", "AMAZON-02"),
    Net("18.192.0.0/13", "DE", "AMAZON-02"),
    Net("159.89.0.0/19", "DE", "DIGITALOCEAN-ASN"),
    Net("88.198.0.0/16", "DE", "Hetzner Online GmbH"),
    Net("5.9.0.0/16", "DE", "Hetzner Online GmbH"),
    Net("207.180.192.0/18", "DE", "Contabo GmbH"),
)
HOSTING_ABROAD: tuple[Net, ...] = (
    Net("188.166.0.0/18", "NL", "DIGITALOCEAN-ASN"),
    Net("5.79.64.0/18", "NL", "LeaseWeb Netherlands B.V."),
    Net("91.121.0.0/16", "FR", "OVH SAS"),
    Net("95.216.0.0/16", "FI", "Hetzner Online GmbH"),
    Net("45.77.0.0/21", "US", "AS-CHOOPA"),
    Net("193.176.84.0/23", "RO", "M247 Europe SRL"),
    Net("141.98.10.0/23", "LT", "UAB Host Baltic"),
    Net("194.26.29.0/24", "RU", "Media Land LLC"),
    Net("20.50.0.0/18", "NL", "MICROSOFT-CORP-MSN-AS-BLOCK"),
    Net("34.89.0.0/20", "GB", "GOOGLE-CLOUD-PLATFORM"),
)
#: Operators of Tor exit relays: where an anonymous visitor comes from.
ANONYMIZERS: tuple[Net, ...] = (
    Net("185.220.100.0/24", "DE", "F3 Netze e.V."),
    Net("185.220.101.0/24", "DE", "Stiftung Erneuerbare Freiheit"),
    Net("109.70.100.0/24", "AT", "Foundation for Applied Privacy"),
    Net("23.129.64.0/24", "US", "EMERALD-ONION"),
)

ALL: tuple[Net, ...] = (
    *HOME_DE,
    *MOBILE_DE,
    *HOTEL_DE,
    *ABROAD,
    *FARAWAY,
    *HOSTING_DE,
    *HOSTING_ABROAD,
    *ANONYMIZERS,
)
HOSTING: frozenset[str] = frozenset(n.cidr for n in (*HOSTING_DE, *HOSTING_ABROAD))
"""The prefixes of hosting and cloud providers."""


class GroupRandom(random.Random):
    """An opt-in group's own random numbers that know the addresses the other groups drew
    (``groups``: every group's, shared by the site's :class:`.ips.IpRegistry`):
    :func:`address_in` never gives a client's address another group gave to a client or
    a server, nor :func:`server_in` a server's another group gave to a client, so two
    groups' actors (one held-out round's intruder and another's, or a benign service's,
    or a delivery host) never share an address by chance. A group's own draws are not
    checked against each other, nor against the site's: the numbers are a plain
    ``random.Random(seed)``'s until another group holds the address, so a group alone
    draws what it always drew."""

    def __init__(self, seed: int, groups: list[tuple[set[str], set[str]]]) -> None:
        super().__init__(seed)
        self.clients: set[str] = set()
        self.servers: set[str] = set()
        """Servers this group's mail was delivered to (:func:`server_in`)."""
        self.groups = groups
        groups.append((self.clients, self.servers))

    def taken(self, ip: str, servers: bool) -> bool:
        """Whether another group holds ``ip`` for a client (or, ``servers``, a server)."""
        mine = self.clients
        return any(c is not mine and (ip in c or (servers and ip in s)) for c, s in self.groups)


def address_in(net: Net, rng: random.Random) -> str:
    """A random host address inside ``net`` (drawn from ``rng``, not the site's) for a
    client (a person, a service, an intruder); with a :class:`GroupRandom`, none another
    group holds (drawn again)."""
    return _pick(net, rng, server=False)


def server_in(net: Net, rng: random.Random) -> str:
    """A random host address inside ``net``, drawn from ``rng``, for a server the site
    delivers to: many messages go to one, so servers may repeat, but with a
    :class:`GroupRandom` never a client's address another group holds (drawn again)."""
    return _pick(net, rng, server=True)


def _pick(net: Net, rng: random.Random, server: bool) -> str:
    """A client's address is none another group holds; a server's none another group's
    client holds (``taken``'s ``servers``)."""
    for _ in range(1000):
        ip = _draw(net, rng)
        if not isinstance(rng, GroupRandom):
            return ip
        if not rng.taken(ip, servers=not server):
            (rng.servers if server else rng.clients).add(ip)
            return ip
    raise RuntimeError(f"address space {net.cidr} exhausted")


def _draw(net: Net, rng: random.Random) -> str:
    prefix = ipaddress.ip_network(net.cidr)
    return str(prefix[rng.randrange(2, min(prefix.num_addresses - 2, 60_000))])
