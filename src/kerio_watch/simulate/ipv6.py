"""A site whose people and attackers reach the server over IPv6 (``ipv6``, a share).

The default site writes IPv4 addresses only. A real site sees IPv6 wherever the network
has it, so this option rewrites the addresses of the same site as they are written
(with random numbers of its own; nothing else of the site changes):

- a share of the staff's home lines are dual-stack and reach the server over IPv6: the
  line has a delegated prefix (a /56) of its provider, the home network one /64 of it,
  and the computer a privacy address in that /64 that changes every day. Some providers
  delegate a new prefix at every reconnect (when the line's IPv4 address changes too);
- a share of the staff's phones reach it over IPv6: every attach to the carrier (every
  new CGNAT address of the IPv4 site) is a new /64 of the carrier;
- attackers use IPv6 where it is realistic: that share of the addresses of cloud and
  hosting networks (a rented server: one address of its /64), Tor exits, and mobile and
  home networks of the site's country (mobile and residential proxies) are IPv6. Half
  the servers guess passwords from a new address of their /64 at every attempt (the
  server owns the whole /64; Kerio's AntiHammering counts single addresses), and log in
  and send from their one address.

Each IPv6 range is a real range of the same provider, noted as geoip2fast's
GeoLite2-derived data (June 2024) resolves it; a test checks that. Providers without a
range here (hotels, lines abroad, botnets, the office, the VPN) stay on IPv4.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import random
import re
from collections.abc import Callable, Iterable

from kerio_watch.simulate.countries import NetPlan
from kerio_watch.simulate.model import Scenario
from kerio_watch.simulate.netplan import ANONYMIZERS, HOSTING_ABROAD, HOSTING_DE, Net
from kerio_watch.simulate.site import Persona, Site

#: Home lines: the IPv6 range of a provider, by (country, owner) of its IPv4 prefixes.
HOME6: dict[tuple[str, str], Net] = {
    ("DE", "Deutsche Telekom AG"): Net("2003:e0::/27", "DE", "Deutsche Telekom AG"),
    ("DE", "Vodafone GmbH"): Net("2a02:8100::/29", "DE", "Vodafone GmbH"),
    ("DE", "Telefonica Germany"): Net("2a02:3030::/31", "DE", "Telefonica Germany"),
    ("DE", "1&1 Versatel Deutschland GmbH"): Net(
        "2001:16b8::/32", "DE", "1&1 Versatel Deutschland GmbH"
    ),
    ("DE", "NetCologne Gesellschaft fur Telekommunikation mbH"): Net(
        "2a0a:a540::/28", "DE", "NetCologne Gesellschaft fur Telekommunikation mbH"
    ),
    ("DE", "M-net Telekommunikations GmbH"): Net(
        "2001:a60::/29", "DE", "M-net Telekommunikations GmbH"
    ),
    ("US", "COMCAST-7922"): Net("2601::/20", "US", "COMCAST-7922"),
    ("US", "ATT-INTERNET4"): Net("2600:1700::/28", "US", "ATT-INTERNET4"),
    ("FR", "Free SAS"): Net("2a01:e0a::/32", "FR", "Free SAS"),
    ("FR", "Societe Francaise Du Radiotelephone - SFR SA"): Net(
        "2a02:8400::/25", "FR", "Societe Francaise Du Radiotelephone - SFR SA"
    ),
    ("FR", "Bouygues Telecom SA"): Net("2001:861::/32", "FR", "Bouygues Telecom SA"),
    ("JP", "NTT Communications Corporation"): Net(
        "2400:4050::/28", "JP", "NTT Communications Corporation"
    ),
    ("JP", "KDDI CORPORATION"): Net("240b:10::/28", "JP", "KDDI CORPORATION"),
    ("JP", "SoftBank Corp."): Net("2400:2410::/28", "JP", "SoftBank Corp."),
    ("JP", "OPTAGE Inc."): Net("2001:ce8::/32", "JP", "OPTAGE Inc."),
    ("CZ", "O2 Czech Republic, a.s."): Net("2a00:102a::/32", "CZ", "O2 Czech Republic, a.s."),
    ("CZ", "Vodafone Czech Republic a.s."): Net(
        "2a02:8308::/32", "CZ", "Vodafone Czech Republic a.s."
    ),
    ("IT", "Fastweb"): Net("2001:b07::/32", "IT", "Fastweb"),
}

#: Mobile carriers' IPv6 ranges, by (country, owner) of their IPv4 prefixes.
MOBILE6: dict[tuple[str, str], Net] = {
    ("DE", "Deutsche Telekom AG"): Net("2a01:598::/32", "DE", "Deutsche Telekom AG"),
    ("DE", "Vodafone GmbH"): Net("2a00:20::/35", "DE", "Vodafone GmbH"),
    ("DE", "Telefonica Germany"): Net("2a02:3038::/29", "DE", "Telefonica Germany"),
    ("US", "T-MOBILE-AS21928"): Net("2607:fb90::/32", "US", "T-MOBILE-AS21928"),
    ("US", "CELLCO-PART"): Net("2600:1012::/32", "US", "CELLCO"),
    ("FR", "Free Mobile SAS"): Net("2a0d:e487::/32", "FR", "Free Mobile SAS"),
    ("JP", "KDDI CORPORATION"): Net("2001:268::/32", "JP", "KDDI CORPORATION"),
    ("CZ", "O2 Czech Republic, a.s."): Net("2a00:1028:8000::/33", "CZ", "O2 Czech Republic, a.s."),
}

#: Cloud, hosting and Tor exits' IPv6 ranges, by (country, owner) of their IPv4 prefixes.
HOSTING6: dict[tuple[str, str], Net] = {
    ("DE", "AMAZON-02"): Net("2a05:d014::/35", "DE", "AMAZON-02"),
    ("DE", "DIGITALOCEAN-ASN"): Net("2a03:b0c0:3::/48", "US", "DIGITALOCEAN-ASN"),
    ("DE", "Hetzner Online GmbH"): Net("2a01:4f8::/32", "DE", "Hetzner Online GmbH"),
    ("FI", "Hetzner Online GmbH"): Net("2a01:4f9::/32", "DE", "Hetzner Online GmbH"),
    ("DE", "Contabo GmbH"): Net("2a02:c207::/32", "DE", "Contabo GmbH"),
    ("NL", "LeaseWeb Netherlands B.V."): Net("2a00:c98::/32", "DE", "Leaseweb Deutschland GmbH"),
    ("FR", "OVH SAS"): Net("2001:41d0::/32", "FR", "OVH SAS"),
    ("US", "AS-CHOOPA"): Net("2001:19f0::/38", "US", "AS-CHOOPA"),
    ("NL", "MICROSOFT-CORP-MSN-AS-BLOCK"): Net(
        "2603:1020::/40", "IE", "MICROSOFT-CORP-MSN-AS-BLOCK"
    ),
    ("GB", "GOOGLE-CLOUD-PLATFORM"): Net("2600:1900::/34", "US", "GOOGLE"),
    ("US", "GOOGLE-CLOUD-PLATFORM"): Net("2600:1900::/34", "US", "GOOGLE"),
    ("DE", "F3 Netze e.V."): Net("2a0b:f4c0::/40", "DE", "F3 Netze e.V."),
}

_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_DAY = 86400


class Ipv6Site:
    """Rewrites a share of a site's outside addresses as IPv6, as its logs are written."""

    def __init__(self, site: Site, seed: int, share: float) -> None:
        self.seed = seed
        self.share = share
        rng = random.Random(seed * 7_000_003 + 79)
        self.homes: set[str] = set()
        self.phones: set[str] = set()
        self.redelegates: set[str] = set()
        for p in site.users:  # three draws each, whatever the person has
            home, phone, again = rng.random(), rng.random(), rng.random()
            if home < share:
                self.homes.add(p.address)
            if phone < share:
                self.phones.add(p.address)
            if again < 0.4:  # the provider delegates a new prefix at every reconnect
                self.redelegates.add(p.address)
        self.nets = _plan_nets(site.nets)
        self.owner: dict[str, tuple[str, str]] = {}
        """An IPv4 address of a staff line or phone -> (account, "home" or "phone")."""
        self._net_of: dict[str, tuple[str, Net] | None] = {}
        self._fixed: dict[str, str] = {}
        self._daily: dict[tuple[str, int], str] = {}
        self._rotating: set[str] = set()
        """Servers that guess from any address of their /64."""
        self._spin = random.Random(seed * 7_000_003 + 83)

    # -- what the site hands out --------------------------------------------------------

    def noted(self, p: Persona, kind: str, ip: str) -> None:
        """The site handed ``ip`` to ``p``'s home line or phone (``kind``)."""
        if ip:
            self.owner[ip] = (p.address, kind)

    # -- what the logs say --------------------------------------------------------------

    def after(
        self, first: Callable[[int, str], str] | None, guesses: bool = False
    ) -> Callable[[int, str], str]:
        """A sink's rewrite: ``first`` (if any), then this one (``guesses``: the log of
        failed logins, where a server may use any address of its /64)."""
        own = self.guessing if guesses else self.rewrite
        if first is None:
            return own
        return lambda t, text: own(t, first(t, text))

    def guessing(self, t: int, text: str) -> str:
        """:meth:`rewrite` for the log of failed logins: a rotating server's address is
        a new one of its /64 in every line."""
        if "." not in text:
            return text
        return _IPV4.sub(lambda m: self._attempt(m.group(1), t), text)

    def _attempt(self, ip: str, t: int) -> str:
        address = self.address(ip, t)
        if ip not in self._rotating:
            return address
        net64 = int(ipaddress.IPv6Address(address)) >> 64 << 64
        return str(ipaddress.IPv6Address(net64 | self._spin.getrandbits(64)))

    def truth(self, scenario: Scenario) -> Scenario:
        """The scenario with its addresses (its source, those its description names) as
        the logs write them."""
        t = int(scenario.start.timestamp())
        ip = scenario.source_ip
        if ip and "/" not in ip:
            ip = self.address(ip, t)
        text = self.rewrite(t, scenario.description)
        return dataclasses.replace(scenario, source_ip=ip, description=text)

    def rewrite(self, t: int, text: str) -> str:
        """A log line with its IPv4 addresses as the site's IPv6 clients write them."""
        if "." not in text:
            return text
        return _IPV4.sub(lambda m: self.address(m.group(1), t), text)

    def address(self, ip: str, t: int) -> str:
        """What the server sees instead of the IPv4 address ``ip`` at log time ``t``."""
        who = self.owner.get(ip)
        if who is not None:
            key = (ip, t // _DAY)
            seen = self._daily.get(key)
            if seen is None:
                seen = self._daily[key] = self._staff(ip, t, *who)
            return seen
        fixed = self._fixed.get(ip)
        if fixed is None:
            fixed = self._stranger(ip)
            self._fixed[ip] = fixed
        return fixed

    def _staff(self, ip: str, t: int, account: str, kind: str) -> str:
        found = self._net(ip)
        if found is None:
            return ip
        table = HOME6 if kind == "home" else MOBILE6
        net6 = table.get((found[1].country, found[1].owner))
        chosen = self.homes if kind == "home" else self.phones
        if net6 is None or account not in chosen:
            return ip
        if kind == "phone":  # every attach: a new /64 of the carrier
            rnd = random.Random(f"{self.seed}|attach|{ip}")
            return _host(net6, rnd, 64, rnd.getrandbits(64))
        line = ip if account in self.redelegates else ""
        prefix = random.Random(f"{self.seed}|line|{account}|{line}")
        lan = prefix.randrange(4)  # the home network's /64 of the /56 (mostly the first)
        iid = random.Random(f"{self.seed}|privacy|{account}|{t // _DAY}").getrandbits(64)
        return _host(net6, prefix, 56, (lan << 64) | iid)

    def _stranger(self, ip: str) -> str:
        """An address nobody of the staff was given: a server, a proxy, an exit."""
        found = self._net(ip)
        if found is None:
            return ip
        kind, net = found
        table = {"hosting": HOSTING6, "mobile": MOBILE6, "home": HOME6}[kind]
        net6 = table.get((net.country, net.owner))
        rnd = random.Random(f"{self.seed}|stranger|{ip}")
        if net6 is None or rnd.random() >= self.share:
            return ip
        if kind == "hosting":  # a rented server: a low address of its /64
            if rnd.random() < 0.5:
                self._rotating.add(ip)
            return _host(net6, rnd, 64, rnd.randrange(1, 4096))
        return _host(net6, rnd, 64 if kind == "mobile" else 56, rnd.getrandbits(64))

    def _net(self, ip: str) -> tuple[str, Net] | None:
        if ip not in self._net_of:
            try:
                address = ipaddress.IPv4Address(ip)
            except ValueError:
                self._net_of[ip] = None
                return None
            self._net_of[ip] = next(
                ((kind, net) for kind, net, cidr in self.nets if address in cidr), None
            )
        return self._net_of[ip]


def _plan_nets(plan: NetPlan) -> list[tuple[str, Net, ipaddress.IPv4Network]]:
    """Every prefix of the site's plan that may go IPv6, with its kind."""
    kinds: Iterable[tuple[str, tuple[Net, ...]]] = (
        ("home", plan.home),
        ("mobile", plan.mobile),
        ("hosting", (*plan.hosting, *plan.hosting_abroad, *HOSTING_DE, *HOSTING_ABROAD)),
        ("hosting", ANONYMIZERS),
    )
    return [(kind, n, ipaddress.IPv4Network(n.cidr)) for kind, nets in kinds for n in nets]


def _host(net6: Net, rnd: random.Random, length: int, low: int) -> str:
    """An address of a random /``length`` inside ``net6``, ``low`` its last bits."""
    block = ipaddress.IPv6Network(net6.cidr)
    prefix = rnd.getrandbits(length - block.prefixlen) << (128 - length)
    value = int(block.network_address) | prefix | (low & ((1 << (128 - length)) - 1))
    return str(ipaddress.IPv6Address(value))
