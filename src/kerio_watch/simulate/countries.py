"""The simulated site's country: whose home lines, phones, hotels and clouds are at home.

A site in Germany (the default) sees its people on German DSL, cable and mobile
networks, and its travellers and attackers elsewhere; a site in the United States,
France, Japan, Czechia or Italy sees the same story with that country's networks. :func:`net_plan`
gives a country's :class:`NetPlan`: its own networks (each a real prefix of a real
provider of that country, as geoip2fast's GeoLite2-derived data resolves it; a test
checks that) and the networks abroad, which never include the site's own country
(Tor exits excepted: they run everywhere, at home too).

The German plan is exactly the lists of :mod:`.netplan`, so a default site is drawn
as before.
"""

from __future__ import annotations

from typing import NamedTuple

from kerio_watch.simulate.netplan import (
    ABROAD,
    ANONYMIZERS,
    FARAWAY,
    HOME_DE,
    HOSTING_ABROAD,
    HOSTING_DE,
    HOTEL_DE,
    MOBILE_DE,
    Net,
)


class NetPlan(NamedTuple):
    """Where a site's people and attackers come from (every field a tuple of prefixes,
    except the first three)."""

    country: str
    """ISO code of the site's country."""
    zone: str
    """A time zone of the country (the benchmark's site zone)."""
    adjective: str
    """``German``: for the planted scenarios' descriptions."""
    home: tuple[Net, ...]
    """Home DSL, cable and fibre lines in the country."""
    mobile: tuple[Net, ...]
    """Mobile carriers in the country (CGNAT: the address changes often)."""
    hotel: tuple[Net, ...]
    """Business lines in the country that hotels and venues use."""
    hosting: tuple[Net, ...]
    """Cloud and hosting providers in the country."""
    abroad: tuple[Net, ...]
    """Home and hotel lines in other countries (travel, attackers' proxies)."""
    hosting_abroad: tuple[Net, ...]
    """Cloud and hosting providers in other countries."""
    faraway: tuple[Net, ...]
    """Residential and mobile networks far away (botnets, credential stuffers)."""
    anonymizers: tuple[Net, ...] = ANONYMIZERS


#: The standard-time offset from UTC (hours) of every country a plan names.
UTC_OFFSET: dict[str, int] = {
    "DE": 1, "ES": 1, "FR": 1, "IT": 1, "NL": 1, "CZ": 1, "GB": 0, "US": -5, "JP": 9,
}  # fmt: skip

HOME_US: tuple[Net, ...] = (
    Net("73.0.0.0/12", "US", "COMCAST-7922"),
    Net("67.160.0.0/11", "US", "COMCAST-7922"),
    Net("71.192.0.0/12", "US", "COMCAST-7922"),
    Net("24.0.0.0/12", "US", "COMCAST-7922"),
    Net("99.0.0.0/10", "US", "ATT-INTERNET4"),
    Net("68.0.0.0/13", "US", "ASN-CXA-ALL-CCI-22773-RDC"),  # Cox
    Net("47.144.0.0/13", "US", "FRONTIER-FRTR"),
)
MOBILE_US: tuple[Net, ...] = (
    Net("172.32.0.0/13", "US", "T-MOBILE-AS21928"),
    Net("172.56.0.0/15", "US", "T-MOBILE-AS21928"),
    Net("174.192.0.0/10", "US", "CELLCO-PART"),  # Verizon Wireless
    Net("166.137.0.0/16", "US", "ATT-MOBILITY-LLC-AS20057"),
)
HOTEL_US: tuple[Net, ...] = (
    Net("108.48.0.0/13", "US", "UUNET"),  # Verizon Business
    Net("69.112.0.0/12", "US", "CABLE-NET-1"),  # Optimum (Altice)
    Net("76.16.0.0/12", "US", "COMCAST-7922"),
)
HOSTING_US: tuple[Net, ...] = (
    Net("3.80.0.0/12", "US", "AMAZON-AES"),
    Net("104.236.0.0/16", "US", "DIGITALOCEAN-ASN"),
    Net("104.131.0.0/16", "US", "DIGITALOCEAN-ASN"),
    Net("45.33.0.0/17", "US", "Akamai Connected Cloud"),  # Linode
    Net("34.148.0.0/16", "US", "GOOGLE-CLOUD-PLATFORM"),
)

HOME_FR: tuple[Net, ...] = (
    Net("82.64.0.0/14", "FR", "Free SAS"),
    Net("88.160.0.0/11", "FR", "Free SAS"),
    Net("62.147.0.0/16", "FR", "Free SAS"),
    Net("109.208.0.0/12", "FR", "Orange"),
    Net("86.192.0.0/11", "FR", "Orange"),
    Net("93.0.0.0/13", "FR", "Societe Francaise Du Radiotelephone - SFR SA"),
    Net("92.88.0.0/13", "FR", "Societe Francaise Du Radiotelephone - SFR SA"),
    Net("89.80.0.0/12", "FR", "Bouygues Telecom SA"),
)
MOBILE_FR: tuple[Net, ...] = (
    Net("92.184.96.0/19", "FR", "Orange"),
    Net("176.128.0.0/10", "FR", "Bouygues Telecom SA"),
    Net("37.164.0.0/14", "FR", "Free Mobile SAS"),
    Net("37.168.0.0/14", "FR", "Free Mobile SAS"),
    Net("80.125.0.0/16", "FR", "Societe Francaise Du Radiotelephone - SFR SA"),
)
HOTEL_FR: tuple[Net, ...] = (
    Net("90.0.0.0/13", "FR", "Orange"),
    Net("81.64.0.0/14", "FR", "Societe Francaise Du Radiotelephone - SFR SA"),
    Net("109.0.0.0/13", "FR", "Societe Francaise Du Radiotelephone - SFR SA"),
)
HOSTING_FR: tuple[Net, ...] = (
    Net("35.180.0.0/16", "FR", "AMAZON-02"),
    Net("15.236.0.0/15", "FR", "AMAZON-02"),
    Net("91.121.0.0/16", "FR", "OVH SAS"),
    Net("62.210.0.0/17", "FR", "Scaleway S.a.s."),
)

HOME_JP: tuple[Net, ...] = (
    Net("153.128.0.0/10", "JP", "NTT Communications Corporation"),  # OCN
    Net("114.144.0.0/12", "JP", "NTT Communications Corporation"),
    Net("180.0.0.0/11", "JP", "NTT Communications Corporation"),
    Net("60.64.0.0/11", "JP", "SoftBank Corp."),
    Net("175.132.0.0/14", "JP", "KDDI CORPORATION"),
    Net("121.80.0.0/14", "JP", "OPTAGE Inc."),
)
MOBILE_JP: tuple[Net, ...] = (
    Net("1.72.0.0/16", "JP", "NTT DOCOMO, INC."),
    Net("1.77.0.0/16", "JP", "NTT DOCOMO, INC."),
    Net("106.128.0.0/10", "JP", "KDDI CORPORATION"),  # au
    Net("126.64.0.0/12", "JP", "SoftBank Corp."),
)
HOTEL_JP: tuple[Net, ...] = (
    Net("153.232.0.0/13", "JP", "NTT Communications Corporation"),
    Net("122.16.0.0/13", "JP", "NTT Communications Corporation"),
    Net("113.32.0.0/15", "JP", "ARTERIA Networks Corporation"),
)
HOSTING_JP: tuple[Net, ...] = (
    Net("13.112.0.0/14", "JP", "AMAZON-02"),
    Net("34.84.0.0/16", "JP", "GOOGLE-CLOUD-PLATFORM"),
    Net("45.76.192.0/19", "JP", "AS-CHOOPA"),  # Vultr
    Net("133.242.0.0/16", "JP", "SAKURA Internet Inc."),
    Net("160.16.0.0/16", "JP", "SAKURA Internet Inc."),
)

HOME_CZ: tuple[Net, ...] = (
    Net("88.100.0.0/14", "CZ", "O2 Czech Republic, a.s."),
    Net("90.180.0.0/14", "CZ", "O2 Czech Republic, a.s."),
    Net("86.49.0.0/16", "CZ", "Vodafone Czech Republic a.s."),
    Net("62.245.64.0/18", "CZ", "Vodafone Czech Republic a.s."),
    Net("213.220.192.0/18", "CZ", "Vodafone Czech Republic a.s."),  # cable (ex UPC)
)
MOBILE_CZ: tuple[Net, ...] = (
    Net("37.188.128.0/17", "CZ", "O2 Czech Republic, a.s."),
    Net("46.135.0.0/16", "CZ", "Vodafone Czech Republic a.s."),
    Net("89.24.0.0/16", "CZ", "T-Mobile Czech Republic a.s."),
    Net("46.13.0.0/16", "CZ", "T-Mobile Czech Republic a.s."),
)
HOTEL_CZ: tuple[Net, ...] = (
    Net("90.176.0.0/14", "CZ", "O2 Czech Republic, a.s."),
    Net("31.30.0.0/16", "CZ", "Vodafone Czech Republic a.s."),
)
HOSTING_CZ: tuple[Net, ...] = (
    Net("46.28.104.0/21", "CZ", "WEDOS Internet, a.s."),
    Net("81.95.96.0/21", "CZ", "ACTIVE 24, s.r.o."),
    Net("81.2.192.0/18", "CZ", "INTERNET CZ, a.s."),  # Forpsi
    Net("185.64.216.0/22", "CZ", "VSHosting s.r.o."),
)

HOME_IT: tuple[Net, ...] = (
    Net("79.0.0.0/11", "IT", "Telecom Italia"),
    Net("95.232.0.0/13", "IT", "Telecom Italia"),
    Net("93.32.0.0/11", "IT", "Fastweb"),
    Net("151.16.0.0/12", "IT", "Wind Tre S.p.A."),
    Net("31.156.0.0/14", "IT", "Vodafone Italia S.p.A."),
)
MOBILE_IT: tuple[Net, ...] = (
    Net("5.90.0.0/15", "IT", "Vodafone Italia S.p.A."),
    Net("109.112.0.0/13", "IT", "Vodafone Italia S.p.A."),
    Net("151.64.0.0/12", "IT", "Wind Tre S.p.A."),
)
HOTEL_IT: tuple[Net, ...] = (
    Net("82.48.0.0/12", "IT", "Telecom Italia"),
    Net("2.224.0.0/13", "IT", "Fastweb"),
)
HOSTING_IT: tuple[Net, ...] = (
    Net("62.149.128.0/17", "IT", "Aruba S.p.A."),
    Net("95.110.128.0/17", "IT", "Aruba S.p.A."),
    Net("15.160.0.0/16", "IT", "AMAZON-02"),
)

#: Home lines abroad for a site outside Germany: the German site's list, and Germany.
_ABROAD_POOL: tuple[Net, ...] = (
    *ABROAD,
    Net("87.160.0.0/13", "DE", "Deutsche Telekom AG"),
    Net("88.64.0.0/12", "DE", "Vodafone GmbH"),
)
_HOSTING_POOL: tuple[Net, ...] = (*HOSTING_ABROAD, *HOSTING_DE)

_OWN: dict[str, tuple[str, str, tuple[tuple[Net, ...], ...]]] = {
    "DE": ("Europe/Berlin", "German", (HOME_DE, MOBILE_DE, HOTEL_DE, HOSTING_DE)),
    "US": ("America/New_York", "American", (HOME_US, MOBILE_US, HOTEL_US, HOSTING_US)),
    "FR": ("Europe/Paris", "French", (HOME_FR, MOBILE_FR, HOTEL_FR, HOSTING_FR)),
    "JP": ("Asia/Tokyo", "Japanese", (HOME_JP, MOBILE_JP, HOTEL_JP, HOSTING_JP)),
    "CZ": ("Europe/Prague", "Czech", (HOME_CZ, MOBILE_CZ, HOTEL_CZ, HOSTING_CZ)),
    "IT": ("Europe/Rome", "Italian", (HOME_IT, MOBILE_IT, HOTEL_IT, HOSTING_IT)),
}
COUNTRIES: tuple[str, ...] = tuple(_OWN)
"""The site countries the simulator knows."""


def _foreign(nets: tuple[Net, ...], country: str) -> tuple[Net, ...]:
    return tuple(n for n in nets if n.country != country)


def net_plan(country: str = "DE") -> NetPlan:
    """The networks of a site in ``country`` (one of :data:`COUNTRIES`)."""
    if country not in _OWN:
        raise ValueError(f"country must be one of {', '.join(COUNTRIES)}, got {country!r}")
    zone, adjective, (home, mobile, hotel, hosting) = _OWN[country]
    pool = ABROAD if country == "DE" else _ABROAD_POOL
    return NetPlan(
        country,
        zone,
        adjective,
        home,
        mobile,
        hotel,
        hosting,
        _foreign(pool, country),
        _foreign(_HOSTING_POOL, country),
        _foreign(FARAWAY, country),
    )


def clock_shift(plan: NetPlan, abroad: Net) -> int:
    """Hours the site's clock is ahead of the clock of a network abroad (standard time).

    >>> clock_shift(net_plan("DE"), Net("73.0.0.0/12", "US", "COMCAST-7922"))
    6
    """
    return UTC_OFFSET.get(plan.country, 0) - UTC_OFFSET.get(abroad.country, 0)
