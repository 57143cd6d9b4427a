"""Hypothesis strategies for bounded settings (settings.bounds): values a setting must
refuse, and values it must take."""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

from hypothesis import strategies as st

from kerio_watch.settings.bounds import Bounds


def bounded_fields(cls: type[Any]) -> list[tuple[str, Bounds, bool]]:
    """(field name, its bounds, whether it is whole) for each bounded field of ``cls``."""
    hints = typing.get_type_hints(cls)
    return [
        (f.name, f.metadata["bounds"], hints[f.name] is int)
        for f in dataclasses.fields(cls)
        if isinstance(f.metadata.get("bounds"), Bounds)
    ]


def floats_between(
    low: float | None = None,
    high: float | None = None,
    *,
    exclude_low: bool = False,
    exclude_high: bool = False,
) -> st.SearchStrategy[float]:
    """Finite floats between ``low`` and ``high``."""
    return st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min=exclude_low,
        exclude_max=exclude_high,
    )


def invalid_values(bounds: Bounds, whole: bool) -> st.SearchStrategy[object]:
    """Values an option with these bounds must refuse."""
    kinds: list[st.SearchStrategy[object]] = [
        st.text(max_size=4),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
        st.sampled_from([math.nan, math.inf, -math.inf]),
    ]
    if whole:
        kinds.append(floats_between().filter(lambda v: not v.is_integer()))
    low, high = bounds.low, bounds.high
    if low is not None:
        if whole:
            top = math.floor(low) if bounds.low_open else math.ceil(low) - 1
            kinds.append(st.integers(max_value=top))
        else:
            kinds.append(floats_between(high=low, exclude_high=not bounds.low_open))
    if high is not None:
        if whole:
            kinds.append(st.integers(min_value=math.floor(high) + 1))
        else:
            kinds.append(floats_between(low=high, exclude_low=True))
    return st.one_of(kinds)


def valid_values(bounds: Bounds, whole: bool) -> st.SearchStrategy[Any]:
    """Values within the bounds (relations aside)."""
    low, high = bounds.low, bounds.high
    if whole:
        least = None if low is None else int(low) + (1 if bounds.low_open else 0)
        return st.integers(min_value=least, max_value=None if high is None else int(high))
    return floats_between(low, high, exclude_low=bounds.low_open)
