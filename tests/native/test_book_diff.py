"""The core's address book against Python's (``kerio_watch.values.addresses``): the
same keys for any text, the same answers and the same saved form after any sequence of
sightings and loads."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kerio_watch.values.addresses import AddressBook, address_key
from nativediff import extension

TEXT = st.text(max_size=40) | st.sampled_from(["a@example.com", "ü@beispiel.de", "\ud800x@y"])
ADDRESSES = st.sampled_from([f"u{i}@example.net" for i in range(30)]) | TEXT
STEP = st.one_of(
    st.tuples(st.just("see"), ADDRESSES, st.integers(-(2**40), 2**40)),
    st.tuples(
        st.just("load"),
        st.lists(st.tuples(st.integers(-(2**63), 2**63 - 1), st.integers(0, 99)), max_size=8),
        st.none(),
    ),
)


@given(TEXT)
def test_the_same_key_for_any_text(text: str) -> None:
    assert extension().address_key(text) == address_key(text)


@given(st.lists(STEP, max_size=120), st.integers(1, 10))
def test_the_same_book_after_any_steps(steps: list[tuple[str, Any, Any]], limit: int) -> None:
    native = extension().AddressBook(limit)
    python = AddressBook(limit)
    for op, value, ts in steps:
        if op == "see":
            assert native.see(value, ts) is python.see(value, ts)
            assert (value in native) is (value in python)
        else:
            native.load([list(p) for p in value])
            python.load(value)
        assert len(native) == len(python) <= limit
    assert [list(p) for p in native.dump()] == python.dump()
    assert native == python and python == native
    assert native.limit == limit and 5 not in native


def test_a_malformed_saved_pair_is_an_error_not_a_crash() -> None:
    book = extension().AddressBook(10)
    for bad in ([[1, 2, 3]], [["x", 1]], [1]):
        try:
            book.load(bad)
        except (ValueError, TypeError):
            continue
        raise AssertionError(f"{bad!r} was taken")
