"""Network identity: the country and autonomous system of an outside address, offline.

Where an address is matters more than the address itself: a hotel's DHCP pool hands out
a new address for every connection and a home line gets a new one every few days, but
the network's owner (its autonomous system, AS) and its country stay the same. Every
outside address therefore gets a :class:`NetInfo`: country, AS number and name, and
whether the AS is a hosting or data-centre network (a rented server, a cloud region, a
VPN exit: where attackers' tools run, not where people read their mail).

The data comes from files, never from the network at run time (``[enrich] geo``):

- ``maxmind``: MaxMind-format databases the administrator already has (GeoLite2 or
  GeoIP2 Country/City and ASN, optionally Anonymous-IP for its hosting flag), read with
  the ``maxminddb`` package;
- ``geoip2fast``: the data files that install with the ``geoip2fast`` package (country
  and AS name from MaxMind's GeoLite2; no AS number): the IPv4 one, and its IPv6
  sibling from the first public IPv6 address on (a site without IPv6 never loads it);
- ``auto`` (the default): ``maxmind`` when a database is configured, else
  ``geoip2fast`` when installed (``pip install 'kerio-watch[geo]'``), else ``off``;
- ``off``: no identity; detectors fall back to network prefixes (/24, /16).

The hosting flag comes from an Anonymous-IP database when one is configured, else from
:mod:`.hosting` (well-known hosting and cloud networks) and ``[enrich] hosting``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

from kerio_watch.enrich import geocache
from kerio_watch.enrich.hosting import HostingList
from kerio_watch.enrich.network import address_of

log = logging.getLogger(__name__)

GEO_SOURCES = ("auto", "maxmind", "geoip2fast", "off")
GEOIP2FAST_FILE = "geoip2fast-asn.dat.gz"
GEOIP2FAST_IPV6_FILE = "geoip2fast-asn-ipv6.dat.gz"
CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class NetInfo:
    """What is known about the network of one address (empty strings: unknown)."""

    country: str = ""
    """ISO 3166 code (``DE``)."""
    asn: int = 0
    """AS number, 0 when the data has none."""
    as_name: str = ""
    hosting: bool = False
    """A hosting, cloud or data-centre network."""

    @property
    def as_key(self) -> str:
        """The AS as one place: ``AS3320``, else its name, else ``""``."""
        if self.asn:
            return f"AS{self.asn}"
        return f"AS:{self.as_name}" if self.as_name else ""

    def label(self) -> str:
        """``AS3320 Deutsche Telekom AG, DE`` (what is known of it), ``""`` if nothing."""
        owner = " ".join(p for p in (f"AS{self.asn}" if self.asn else "", self.as_name) if p)
        parts = [p for p in (owner, self.country) if p]
        if self.hosting:
            parts.append("hosting")
        return ", ".join(parts)


UNKNOWN = NetInfo()


class Reader(Protocol):
    """A source of network identity."""

    source: str

    def lookup(self, ip: str) -> NetInfo:
        """The identity of one public address (UNKNOWN when the data has none)."""
        ...


def owner_label(key: str) -> str:
    """A learned network owner key for people: ``AS3320``, or the AS name.

    >>> owner_label("AS3320"), owner_label("AS:Deutsche Telekom AG")
    ('AS3320', 'Deutsche Telekom AG')
    """
    return key[3:] if key.startswith("AS:") else key


class NoGeo:
    """No data: every address is unknown."""

    source = "off"

    def lookup(self, ip: str) -> NetInfo:
        """Nothing is known."""
        return UNKNOWN


class Geoip2FastReader:
    """The data file shipped with ``geoip2fast`` (loaded on first use, about 0.2 s), in
    arrays (:mod:`.geotable`, about 10 MB instead of geoip2fast's 76); through
    geoip2fast itself when the file has another layout."""

    source = "geoip2fast"

    def __init__(self, hosting: HostingList) -> None:
        self.hosting = hosting
        self._find: Callable[[str], tuple[str, str]] | None = None
        self._find6: Callable[[str], tuple[str, str]] | None = None

    def lookup(self, ip: str) -> NetInfo:
        """Country and AS name of an address."""
        if ":" in ip:
            if self._find6 is None:
                self._find6 = _geoip2fast6()
            code, name = self._find6(ip)
        else:
            if self._find is None:
                self._find = _geoip2fast()
            code, name = self._find(ip)
        country = code if len(code) == 2 and code.isalpha() else ""  # "--": not in the data
        if not country and not name:
            return UNKNOWN
        return NetInfo(country, 0, name, self.hosting.matches(0, name))


def _geoip2fast() -> Callable[[str], tuple[str, str]]:
    """(country code, AS name) of an address, from geoip2fast's installed data file.

    The file is found beside the package without importing it: importing geoip2fast
    loads ``urllib.request``, ``http.client``, ``ssl`` and ``email`` (8% of a
    scan's imports), which only its own reader, for a file of another layout, needs.
    """
    spec = find_spec("geoip2fast")
    if spec is not None and spec.origin is not None:
        table = geocache.table(Path(spec.origin).parent / GEOIP2FAST_FILE)
        if table is not None:
            return table.lookup
    import geoip2fast  # noqa: PLC0415 (optional, loaded when used)

    db = geoip2fast.GeoIP2Fast(geoip2fast_data_file=GEOIP2FAST_FILE)

    def find(ip: str) -> tuple[str, str]:
        r = db.lookup(ip)
        return r.country_code or "", r.asn_name or ""

    return find


def _geoip2fast6() -> Callable[[str], tuple[str, str]]:
    """(country code, AS name) of an IPv6 address, from geoip2fast's installed IPv6
    data file; nothing is known when the package has none."""
    import geoip2fast  # noqa: PLC0415 (optional, loaded when used)

    path = Path(geoip2fast.__file__).parent / GEOIP2FAST_IPV6_FILE
    table = geocache.table6(path) if path.is_file() else None
    if table is None:
        log.info("no IPv6 network identity: %s is missing or of another layout", path)
        return lambda _ip: ("", "")
    return table.lookup


class MaxMindReader:
    """MaxMind-format databases (``.mmdb``) the administrator already has."""

    source = "maxmind"

    def __init__(
        self,
        country_db: str | None,
        asn_db: str | None,
        anonymous_db: str | None,
        hosting: HostingList,
    ) -> None:
        import maxminddb  # noqa: PLC0415 (optional)

        self.hosting = hosting
        self.country = maxminddb.open_database(country_db) if country_db else None
        self.asn = maxminddb.open_database(asn_db) if asn_db else None
        self.anonymous = maxminddb.open_database(anonymous_db) if anonymous_db else None

    def lookup(self, ip: str) -> NetInfo:
        """Country, AS and hosting flag from whichever databases are configured."""
        country = ""
        if self.country is not None:
            rec = _record(self.country.get(ip))
            place = _record(rec.get("country")) or _record(rec.get("registered_country"))
            country = str(place.get("iso_code") or "")
        asn, name = 0, ""
        if self.asn is not None:
            rec = _record(self.asn.get(ip))
            number = rec.get("autonomous_system_number")
            asn = number if isinstance(number, int) else 0
            name = str(rec.get("autonomous_system_organization") or "")
        hosting = self.hosting.matches(asn, name)
        if self.anonymous is not None:
            rec = _record(self.anonymous.get(ip))
            hosting = hosting or bool(rec.get("is_hosting_provider"))
        if not (country or asn or name or hosting):
            return UNKNOWN
        return NetInfo(country, asn, name, hosting)


def _record(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class GeoIndex:
    """Cached identity lookups for public addresses (private and odd ones are unknown)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.source = reader.source
        self._cache: dict[str, NetInfo] = {}
        self.failed = False
        self.off = isinstance(reader, NoGeo)
        """No data: every address is unknown, without parsing or caching it."""

    def lookup(self, host: str | None) -> NetInfo:
        """The identity of ``host`` (an IP address), UNKNOWN for anything else."""
        if not host or self.off:
            return UNKNOWN
        info = self._cache.get(host)
        if info is not None:
            return info
        info = self._lookup(host)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[host] = info
        return info

    def _lookup(self, host: str) -> NetInfo:
        if self.failed:
            return UNKNOWN
        address = address_of(host)  # an IPv4-mapped address is its IPv4 address
        if address is None or not address.is_global:
            return UNKNOWN
        try:
            return self.reader.lookup(str(address))
        except Exception as exc:  # a broken data file must not stop detection
            log.warning("network identity is off: %s could not be read: %s", self.source, exc)
            self.failed = True
            return UNKNOWN


def available(module: str) -> bool:
    """Whether an optional package is installed."""
    return find_spec(module) is not None


def choose(source: str, databases: bool) -> str:
    """The reader ``auto`` means here."""
    if source != "auto":
        return source
    if databases:
        return "maxmind"
    return "geoip2fast" if available("geoip2fast") else "off"


def open_geo(settings: Any) -> GeoIndex:
    """The identity index for an ``[enrich]`` configuration (validated already)."""
    hosting = HostingList(settings.hosting)
    dbs = (settings.country_db, settings.asn_db, settings.anonymous_db)
    source = choose(settings.geo, any(dbs))
    reader: Reader = NoGeo()
    try:
        if source == "maxmind":
            reader = MaxMindReader(*dbs, hosting)
        elif source == "geoip2fast":
            reader = Geoip2FastReader(hosting)
    except Exception as exc:  # a broken data file must not stop detection
        log.warning("network identity is off: %s could not be opened: %s", source, exc)
    return GeoIndex(reader)


def enrich_problems(settings: Any, add: Callable[[str, str], None]) -> None:
    """Check ``[enrich]``: a known source, readable databases, the packages they need."""
    if settings.geo not in GEO_SOURCES:
        add("enrich.geo", f"expected one of {', '.join(GEO_SOURCES)}, got {settings.geo!r}")
        return
    dbs = {k: getattr(settings, k) for k in ("country_db", "asn_db", "anonymous_db")}
    for key, path in dbs.items():
        if path and not Path(path).is_file():
            add(f"enrich.{key}", f"expected a readable .mmdb file, got {path!r} (no such file)")
    source = choose(settings.geo, any(dbs.values()))
    if source == "maxmind" and not any(dbs.values()):
        add("enrich.geo", 'geo = "maxmind" needs country_db or asn_db')
    need = {"maxmind": "maxminddb", "geoip2fast": "geoip2fast"}.get(source)
    if need and not available(need):
        add("enrich.geo", f"{source} needs the {need} package: pip install 'kerio-watch[geo]'")
