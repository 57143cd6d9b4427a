"""Address books: whom an account wrote to and who wrote to it, kept by 64-bit key.

A profile remembers up to :data:`MAX_ADDRESSES` correspondents and as many recipients
per account, each with the log time it was last seen. Kept as Python strings in a dict
that cost about 180 bytes an address (estimated): 300 accounts' full books would hold 3
million addresses, half a gigabyte, so a long scan's memory kept growing long after
everything else levelled off. A book keeps each address as the first 8 bytes of its
BLAKE2b digest instead (:func:`address_key`), which is all that detection asks of it
("was this address seen before?"):

- the pure-Python :class:`AddressBook` holds ``key -> last seen`` in a dict (about
  100 bytes an address, estimated);
- the native engine's ``kerio_watch._native.AddressBook`` holds the same in a Rust
  hash table (16-byte slots: about 28 bytes an address with its free slots, estimated)
  and computes the same keys.

Both behave alike in every respect, including what is forgotten when a book is full
and the saved form, so a database is the same whichever engine wrote it (checked by
``tests/test_addresses.py`` and ``tests/native/test_book_diff.py``). The state
database holds no address in clear in these tables. Two addresses share a key with a
probability of 2**-64 per pair: a new recipient mistaken for a known one about once in
3.7 * 10**15 lookups against a full book.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from hashlib import blake2b
from typing import Any, Protocol

__all__ = ["MAX_ADDRESSES", "AddressBook", "Book", "address_key", "book_from_saved", "new_book"]

MAX_ADDRESSES = 5000
"""Addresses remembered per book; past it the least recently seen quarter is forgotten."""


@lru_cache(maxsize=1 << 16)
def address_key(address: str) -> int:
    """The address's key: the first 8 bytes of its BLAKE2b-64 digest, as a signed
    little-endian integer (SQLite's and JSON's integer range). Text that is not valid
    UTF-8 (lone surrogates) is encoded with ``replace``, as the core does."""
    data = address.encode("utf-8", "replace")
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little", signed=True)


class Book(Protocol):
    """What profiles and detectors ask of an address book (both engines' books)."""

    limit: int

    def __contains__(self, address: object) -> bool: ...

    def __len__(self) -> int: ...

    def see(self, address: str, ts: int) -> bool:
        """Note ``address`` at log time ``ts``; whether it was in the book before."""
        ...

    def dump(self) -> list[Any]:
        """``[key, last seen]`` pairs sorted by key (the saved form)."""
        ...

    def load(self, pairs: Iterable[Any]) -> None:
        """Add saved ``[key, last seen]`` pairs (the book is then trimmed to its limit)."""
        ...


class AddressBook:
    """An address book in a dict of ``key -> last seen`` (the pure-Python engine's)."""

    __slots__ = ("limit", "seen")

    def __init__(self, limit: int = MAX_ADDRESSES) -> None:
        self.limit = limit
        self.seen: dict[int, int] = {}

    def __contains__(self, address: object) -> bool:
        try:
            return address_key(address) in self.seen
        except (AttributeError, TypeError):  # not text: never an address of the book
            return False

    def __len__(self) -> int:
        return len(self.seen)

    def __eq__(self, other: object) -> bool:
        if not hasattr(other, "dump"):
            return NotImplemented
        return bool(self.dump() == [list(p) for p in other.dump()])

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AddressBook({len(self.seen)} addresses)"

    def see(self, address: str, ts: int) -> bool:
        """Note ``address`` at log time ``ts``; whether it was in the book before."""
        seen, key = self.seen, address_key(address)
        known = key in seen
        seen[key] = ts
        if not known and len(seen) > self.limit:
            self._trim()
        return known

    def dump(self) -> list[Any]:
        """``[key, last seen]`` pairs sorted by key (the saved form)."""
        return [[k, v] for k, v in sorted(self.seen.items())]

    def load(self, pairs: Iterable[Any]) -> None:
        """Add saved ``[key, last seen]`` pairs (the book is then trimmed to its limit)."""
        seen = self.seen
        for key, ts in pairs:
            seen[int(key)] = int(ts)
        if len(seen) > self.limit:
            self._trim()

    def _trim(self) -> None:
        """Keep the most recently seen three quarters of the limit (ties: larger key)."""
        keep = sorted(self.seen.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        self.seen = dict(keep[: self.limit * 3 // 4])


_book_class: Any = AddressBook
"""The class :func:`new_book` makes: the native engine's when a native pipeline runs."""


def use_native_books(module: Any | None) -> None:
    """Make new books with ``module.AddressBook`` (the native core), or in Python."""
    global _book_class  # noqa: PLW0603 (the engine is chosen once per process)
    _book_class = module.AddressBook if module is not None else AddressBook


def new_book() -> Book:
    """An empty book of the engine in use."""
    book: Book = _book_class(MAX_ADDRESSES)
    return book


def book_from_saved(value: Any, kind: Any = None) -> Book:
    """A book (of the engine in use, or of class ``kind``) from its saved form:
    ``[key, last seen]`` pairs, or, as databases before schema 8 held it, a mapping of
    address -> last seen."""
    book: Book = (kind or _book_class)(MAX_ADDRESSES)
    if isinstance(value, dict):
        book.load([address_key(str(a)), ts] for a, ts in value.items())
    elif value:
        book.load(value)
    return book
