"""Numeric settings by what they are: thresholds, periods, shares, factors and points.

Each returns a :func:`~kerio_watch.settings.schema.setting` with its
:class:`~kerio_watch.settings.bounds.Bounds`, so that an option declares its range next
to its default::

    short_minutes: int = period(10, "minutes", below="long_minutes")
    min_share: float = share(0.5)

Relations (``below``: strictly less than, ``at_most``: not more than) name another
field of the same section. Whether a number must be whole is the field's type.
"""

from __future__ import annotations

from typing import Any

from kerio_watch.settings.bounds import Bounds
from kerio_watch.settings.schema import setting

SCORE_MAX = 100
"""The most points a rule may add (90 is critical on its own: ``values.incident.THRESHOLDS``)."""


def threshold(
    default: int,
    help: str = "",
    *,
    low: int = 1,
    zero: str = "",
    below: str = "",
    at_most: str = "",
) -> Any:
    """How many of something: a threshold (at least 1: 0 would fire on nothing, or
    divide by it), or with ``low=0`` how much history is needed before judging (or what
    ``zero`` means: "no limit")."""
    bounds = Bounds(low=low, zero=zero, below=below, at_most=at_most)
    return setting(default, help, bounds=bounds)


def period(
    default: float,
    unit: str,
    help: str = "",
    *,
    positive: bool = True,
    zero: str = "",
    below: str = "",
    at_most: str = "",
    high: float | None = None,
) -> Any:
    """A length of time in ``unit`` (``minutes``, ``hours``, ``days``...): a window,
    positive; or with ``positive=False`` a warm-up or a wait, 0 or more (``zero``: what
    0 means, "never"); ``high``: the longest."""
    bounds = Bounds(
        low=0, high=high, low_open=positive, unit=unit, zero=zero, below=below, at_most=at_most
    )
    return setting(default, help, bounds=bounds)


def share(default: float, help: str = "") -> Any:
    """A part of a whole, from 0 to 1 (``0.5`` is half)."""
    return setting(default, help, bounds=Bounds(low=0, high=1, noun="fraction"))


def factor(default: float, help: str = "") -> Any:
    """A multiple of a usual value, 0 or more."""
    return setting(default, help, bounds=Bounds(low=0))


def points(default: int, help: str = "", *, at_most: str = "") -> Any:
    """Points a rule adds to an account's incident, from 0 to :data:`SCORE_MAX`."""
    return setting(default, help, bounds=Bounds(low=0, high=SCORE_MAX, at_most=at_most))
