"""geoip2fast's country-and-AS data, held in arrays instead of lists of Python ints.

``geoip2fast`` unpickles its IPv4 data file into lists of Python integers: about a
million objects, 76 MB of a scan's memory for the whole run (more than the profiles of
300 accounts). The same table as typed arrays takes about 10 MB. :class:`Geoip2FastTable`
reads the same file once, flattens its two-level index (a sorted list of chunks of
sorted first addresses) into one sorted array per column, lets the lists go, and looks
addresses up with the same rules as ``GeoIP2Fast.lookup``:

- the network of an address is the last one starting at or before it, if the address
  is within its prefix length; else it is not in the data;
- a country entry below index 16 is a private or reserved range (no country);
- the AS comes from its own table, by the same rule.

``tests/test_geo.py`` checks it against ``GeoIP2Fast`` itself on random addresses and
every network boundary. A file of another layout (a city or IPv6 edition, another
format version) is not read here: :func:`load` returns None and the caller uses
``geoip2fast`` as before.
"""

from __future__ import annotations

import array
import bisect
import gzip
import pickle
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

VERSIONS = (120, 121)
"""geoip2fast's data format versions this reader knows."""
PRIVATE_COUNTRIES = 16
"""Country entries below this index are private or reserved ranges (geoip2fast's rule)."""
_IPV4 = struct.Struct(">L")
COLUMNS = (
    ("first", "I"),
    ("lens", "B"),
    ("ids", "I"),
    ("as_first", "I"),
    ("as_lens", "B"),
    ("as_ids", "I"),
)
"""The table's arrays: attribute name and type code (:mod:`.geocache` writes them)."""


class Geoip2FastTable:
    """One column per array: first address, prefix length, country or AS index."""

    __slots__ = ("as_first", "as_ids", "as_lens", "as_names", "countries", "first", "ids", "lens")

    def __init__(self, columns: tuple[Any, ...]) -> None:
        (_, _, countries, as_names, first, as_first, ids, as_ids, lens, as_lens) = columns
        self.countries, self.as_names = names(countries, as_names)
        self.first = _flat("I", first)
        self.lens = _flat("B", lens)
        self.ids = _flat("I", ids)
        self.as_first = _flat("I", as_first)
        self.as_lens = _flat("B", as_lens)
        self.as_ids = _flat("I", as_ids)
        self._check()

    @classmethod
    def of(
        cls, countries: list[str], as_names: list[str], *columns: array.array[int]
    ) -> Geoip2FastTable:
        """The table of these arrays (in the order of :data:`COLUMNS`), as read back
        from a cache file (:mod:`.geocache`); ValueError when they do not fit."""
        table = cls.__new__(cls)
        table.countries, table.as_names = countries, as_names
        fill(table, COLUMNS, columns)
        table._check()
        return table

    def column(self, name: str) -> array.array[int]:
        """One of the arrays of :data:`COLUMNS`, by name."""
        column: array.array[int] = getattr(self, name)
        return column

    def _check(self) -> None:
        if not (len(self.first) == len(self.lens) == len(self.ids)) or not (
            len(self.as_first) == len(self.as_lens) == len(self.as_ids)
        ):
            raise ValueError("columns of different lengths")

    def lookup(self, ip: str) -> tuple[str, str]:
        """(country code, AS name) of an IPv4 address; empty strings where unknown."""
        try:
            value: int = _IPV4.unpack(socket.inet_aton(ip))[0]
        except OSError:
            return "", ""  # not IPv4 (the data has no IPv6)
        country = ""
        i = _network(self.first, self.lens, value)
        if i is not None:
            index = self.ids[i]
            if index >= PRIVATE_COUNTRIES:
                country = self.countries[index]
        j = _network(self.as_first, self.as_lens, value)
        return country, "" if j is None else self.as_names[self.as_ids[j]]


def _network(first: array.array[int], lens: array.array[int], value: int) -> int | None:
    """The row of the network ``value`` is in, or None."""
    i = bisect.bisect_right(first, value) - 1
    if i < 0 or value > first[i] + (1 << (32 - lens[i])) - 1:
        return None
    return i


def _flat(code: str, chunks: list[list[int]]) -> array.array[int]:
    # a chunk at a time: array.fromlist converts a list in C, 2.5x faster than
    # filling the array from one iterator over every chunk
    flat = array.array(code)
    for chunk in chunks:
        flat.fromlist(chunk)
    return flat


def load(path: Path) -> Geoip2FastTable | None:
    """The table of a geoip2fast data file, or None when its layout is not the IPv4
    country-and-AS one this reader knows (or it cannot be read)."""
    return load_with(path, Geoip2FastTable)


def load_with(path: Path, build: Callable[[tuple[Any, ...]], T], *, ipv6: bool = False) -> T | None:
    """``build`` of a geoip2fast data file's ten columns, or None when its layout is not
    the country-and-AS one this reader knows (``ipv6``: with IPv6 rows), or it (or
    ``build``) cannot read it."""
    try:
        with gzip.open(path, "rb") as f:
            # the data file that installs with geoip2fast, read as geoip2fast reads it
            version, info, _, columns = pickle.load(f)  # noqa: S301
        if version not in VERSIONS or not isinstance(info, dict):
            return None
        wanted = info.get("country") and info.get("asn") and (info.get("ipv6") or not ipv6)
        if not wanted or info.get("city"):
            return None
        if not isinstance(columns, (list, tuple)) or len(columns) != 10:
            return None
        return build(tuple(columns))
    except (OSError, EOFError, ValueError, TypeError, OverflowError, pickle.UnpicklingError):
        return None


def names(countries: list[Any], as_names: list[Any]) -> tuple[list[str], list[str]]:
    """The country codes and AS names of geoip2fast's columns."""
    return [str(c).split(":")[0] for c in countries], [str(n) for n in as_names]


def fill(table: object, spec: tuple[tuple[str, str], ...], columns: tuple[Any, ...]) -> None:
    """Set a table's arrays, named and typed as ``spec`` says; ValueError when a column's
    type differs."""
    for (name, code), column in zip(spec, columns, strict=True):
        if column.typecode != code:
            raise ValueError(f"column {name}: type {column.typecode}, not {code}")
        setattr(table, name, column)
