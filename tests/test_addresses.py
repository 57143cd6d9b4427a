"""Address books (``kerio_watch.values.addresses``): what a profile knows of whom an
account wrote to and who wrote to it, kept by key."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from kerio_watch.values.addresses import AddressBook, address_key, book_from_saved
from kerio_watch.values.profile import Profile

ADDRESSES = st.sampled_from([f"u{i}@example.net" for i in range(40)]) | st.text(max_size=30)
OPS = st.lists(st.tuples(ADDRESSES, st.integers(0, 50)), max_size=200)


def test_a_key_is_the_first_8_bytes_of_blake2b_64() -> None:
    digest = hashlib.blake2b(b"a@example.com", digest_size=8).digest()
    assert address_key("a@example.com") == int.from_bytes(digest, "little", signed=True)
    assert address_key("a@example.com") == 7513126380433230240  # the core's test too
    assert address_key("\ud800") == address_key("?")  # a lone surrogate, encoded as ?


def _model(ops: list[tuple[str, int]], limit: int) -> dict[int, int]:
    """What a book must hold: last seen per key; when a new key takes it past the
    limit, the most recent three quarters of the limit (ties: the larger key)."""
    seen: dict[int, int] = {}
    for address, ts in ops:
        key = address_key(address)
        new = key not in seen
        seen[key] = ts
        if new and len(seen) > limit:
            ranked = sorted(seen.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
            seen = dict(ranked[: limit * 3 // 4])
    return seen


@given(OPS, st.integers(1, 12))
def test_a_book_remembers_the_last_time_and_forgets_the_oldest(
    ops: list[tuple[str, int]], limit: int
) -> None:
    book = AddressBook(limit)
    for address, ts in ops:
        before = address_key(address) in {k for k, _ in book.dump()}
        assert book.see(address, ts) is before
        assert len(book) <= limit
    expected = _model(ops, limit)
    assert book.dump() == [[k, v] for k, v in sorted(expected.items())]
    for address, _ in ops:
        assert (address in book) is (address_key(address) in expected)


@given(OPS)
def test_the_saved_form_gives_the_same_book(ops: list[tuple[str, int]]) -> None:
    book = AddressBook()
    for address, ts in ops:
        book.see(address, ts)
    again = book_from_saved(book.dump(), AddressBook)
    assert again == book and again.dump() == book.dump()


def test_a_mapping_saved_before_schema_8_is_read_by_key() -> None:
    book = book_from_saved({"x@example.net": 5, "y@example.net": 7}, AddressBook)
    assert "x@example.net" in book and "y@example.net" in book and "z@example.net" not in book
    assert sorted(v for _, v in book.dump()) == [5, 7]


def test_a_profile_saves_no_address_in_clear() -> None:
    prof = Profile("a@example.com")
    prof.learn_correspondent("boss@partner.example", 100)
    recipients = ("client@buyer.example", "boss@partner.example", "b@example.com")
    new, outside = prof.learn_send(
        "SMTP", "a@example.com", recipients, 7, 200, True, {"example.com"}
    )
    assert (new, outside) == (1, ["buyer.example", "partner.example"])  # boss wrote first
    saved = prof.to_dict()
    assert "boss@" not in str(saved) and "client@" not in str(saved)  # domains are counted
    back = Profile.from_dict(saved)
    assert "boss@partner.example" in back.correspondents
    assert "client@buyer.example" in back.recipients
    assert back == prof
