"""geoip2fast's IPv6 country-and-AS data, held in arrays like the IPv4 table.

The data file that installs with geoip2fast (``geoip2fast-asn.dat.gz``) is IPv4 only;
its sibling ``geoip2fast-asn-ipv6.dat.gz`` holds the same IPv4 rows and, after them, the
IPv6 networks (about 290,000 country rows and 135,000 AS rows; first addresses of 2**32
and above are IPv6, geoip2fast's rule). :class:`Geoip6Table` keeps only the IPv6 rows,
each first address split into its upper and lower 64 bits (``array`` has no 128-bit
type): about 9 MB. It is loaded on the first public IPv6 address a scan meets, so a site
without IPv6 pays nothing for it. Lookups follow the same rules as the IPv4 table
(:mod:`.geotable`): the last network starting at or before the address, if the address
is within its prefix; country entries below 16 are private or reserved ranges.
"""

from __future__ import annotations

import array
import bisect
import ipaddress
from pathlib import Path
from typing import Any

from kerio_watch.enrich.geotable import PRIVATE_COUNTRIES, fill, load_with, names

COLUMNS6 = (
    ("hi", "Q"),
    ("lo", "Q"),
    ("lens", "B"),
    ("ids", "I"),
    ("as_hi", "Q"),
    ("as_lo", "Q"),
    ("as_lens", "B"),
    ("as_ids", "I"),
)
"""The table's arrays: attribute name and type code (:mod:`.geocache` writes them)."""
_V6 = 1 << 32
_LOW = (1 << 64) - 1


class Geoip6Table:
    """One column per array: first address (upper, lower 64 bits), prefix length, index."""

    __slots__ = (
        "as_hi",
        "as_ids",
        "as_lens",
        "as_lo",
        "as_names",
        "countries",
        "hi",
        "ids",
        "lens",
        "lo",
    )

    countries: list[str]
    as_names: list[str]
    hi: array.array[int]
    lo: array.array[int]
    lens: array.array[int]
    ids: array.array[int]
    as_hi: array.array[int]
    as_lo: array.array[int]
    as_lens: array.array[int]
    as_ids: array.array[int]

    @classmethod
    def of(
        cls, countries: list[str], as_names: list[str], *columns: array.array[int]
    ) -> Geoip6Table:
        """The table of these arrays (in the order of :data:`COLUMNS6`); ValueError when
        they do not fit."""
        table = cls.__new__(cls)
        table.countries, table.as_names = countries, as_names
        fill(table, COLUMNS6, columns)
        sizes = (
            {len(table.column(n)) for n, _ in COLUMNS6[:4]},
            {len(table.column(n)) for n, _ in COLUMNS6[4:]},
        )
        if any(len(s) != 1 for s in sizes):
            raise ValueError("columns of different lengths")
        return table

    def column(self, name: str) -> array.array[int]:
        """One of the arrays of :data:`COLUMNS6`, by name."""
        column: array.array[int] = getattr(self, name)
        return column

    def lookup(self, ip: str) -> tuple[str, str]:
        """(country code, AS name) of an IPv6 address; empty strings where unknown."""
        try:
            value = int(ipaddress.IPv6Address(ip))
        except ValueError:
            return "", ""
        country = ""
        i = _network(self.hi, self.lo, self.lens, value)
        if i is not None and (index := self.ids[i]) >= PRIVATE_COUNTRIES:
            country = self.countries[index]
        j = _network(self.as_hi, self.as_lo, self.as_lens, value)
        return country, "" if j is None else self.as_names[self.as_ids[j]]


def _network(
    hi: array.array[int], lo: array.array[int], lens: array.array[int], value: int
) -> int | None:
    """The row of the network ``value`` is in, or None."""
    top, bottom = value >> 64, value & _LOW
    i = bisect.bisect_right(hi, top) - 1
    while i >= 0 and hi[i] == top and lo[i] > bottom:  # networks longer than /64
        i -= 1
    if i < 0:
        return None
    first = (hi[i] << 64) | lo[i]
    return i if value <= first + (1 << (128 - lens[i])) - 1 else None


def _split(
    firsts: list[list[int]], lens: list[list[int]], ids: list[list[int]]
) -> tuple[array.array[int], ...]:
    """The IPv6 rows of one of geoip2fast's chunked column sets, as four arrays."""
    hi, lo, n, index = array.array("Q"), array.array("Q"), array.array("B"), array.array("I")
    for chunk_first, chunk_lens, chunk_ids in zip(firsts, lens, ids, strict=True):
        for first, length, row in zip(chunk_first, chunk_lens, chunk_ids, strict=True):
            if first >= _V6:
                hi.append(first >> 64)
                lo.append(first & _LOW)
                n.append(length)
                index.append(row)
    return hi, lo, n, index


def table_of(columns: tuple[Any, ...]) -> Geoip6Table:
    """The IPv6 table of geoip2fast's ten columns (as its data file holds them)."""
    (_, _, countries, as_names, first, as_first, ids, as_ids, lens, as_lens) = columns
    return Geoip6Table.of(
        *names(countries, as_names),
        *_split(first, lens, ids),
        *_split(as_first, as_lens, as_ids),
    )


def load6(path: Path) -> Geoip6Table | None:
    """The IPv6 table of a geoip2fast data file, or None when it is not the
    country-and-AS layout with IPv6 this reader knows (or it cannot be read)."""
    return load_with(path, table_of, ipv6=True)
