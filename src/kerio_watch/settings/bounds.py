"""The bounds of a numeric setting: declared once with it, enforced when a file is loaded.

A numeric setting (:func:`kerio_watch.settings.schema.setting` with ``bounds=``, or
the shorthands of :mod:`kerio_watch.settings.numbers`) says which values make sense:
its smallest and largest value, its unit, and how it relates to the other settings of
its section (``short_minutes`` stays below ``long_minutes``). The converter
(:func:`kerio_watch.settings.schema.build`) checks them for every section, the
registries' (``[detectors.NAME]``) included, so that what would break a detector is a
configuration error naming the file and the key, whichever command loads the file; the
reference shows them in words (:func:`words`).

Whether a number must be whole is its field's type: an ``int`` setting takes ``3`` or
``3.0``, never ``2.7``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

Report = Callable[[str, str], None]
"""Called with (key, message) for each problem."""


_FIELD_TYPES: dict[type[Any], Mapping[str, Any]] = {}


def field_types(cls: type[Any]) -> Mapping[str, Any]:
    """Each field's type (:func:`typing.get_type_hints`), evaluated once per class.

    The sections' annotations are strings (postponed evaluation), and evaluating them
    compiles each one: done for every section and table a file has (``[users.X]``
    once per account, and twice per section with the bounds' check), it was most of
    loading a configuration. A class's annotations do not change, so the answer is
    kept, read-only.
    """
    found = _FIELD_TYPES.get(cls)
    if found is None:
        found = _FIELD_TYPES[cls] = types.MappingProxyType(typing.get_type_hints(cls))
    return found


@dataclass(frozen=True)
class Bounds:
    """The values a numeric setting accepts besides its type.

    >>> Bounds(low=1, unit="minutes", below="long_minutes").admits(0)
    False
    """

    low: float | None = None
    """The smallest value (None: no lower bound)."""
    high: float | None = None
    """The largest value (None: no upper bound)."""
    low_open: bool = False
    """``low`` itself is excluded (a positive number: ``low=0, low_open=True``)."""
    unit: str = ""
    """What it counts, for messages: ``minutes``, ``days``..."""
    noun: str = ""
    """What it is when the number's kind is not enough (``fraction``)."""
    zero: str = ""
    """What 0 means, when 0 is the lower bound and means something of its own."""
    below: str = ""
    """Another setting of the section that this one must stay below."""
    at_most: str = ""
    """Another setting of the section that this one must not exceed."""

    def admits(self, value: float) -> bool:
        """Whether ``value`` is within the range (relations are checked by :func:`enforce`)."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def relations(self) -> tuple[tuple[str, str, str], ...]:
        """(other setting, phrase, the other's phrase) for each declared relation."""
        out = []
        if self.below:
            out.append((self.below, "less than", "more than"))
        if self.at_most:
            out.append((self.at_most, "at most", "at least"))
        return tuple(out)


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def words(bounds: Bounds, integer: bool) -> str:
    """The range in words ("a positive whole number of minutes").

    >>> words(Bounds(low=1, unit="minutes"), True), words(Bounds(0, 1, noun="fraction"), False)
    ('a positive whole number of minutes', 'a fraction from 0 to 1')
    >>> words(Bounds(low=0, unit="days", zero="keep forever"), True)
    '0 (keep forever) or a positive whole number of days'
    >>> words(Bounds(low=0, high=36500, unit="days", zero="keep forever"), True)
    '0 (keep forever) or a positive whole number of days, at most 36500'
    """
    noun = bounds.noun or ("whole number" if integer else "number")
    unit = f" of {bounds.unit}" if bounds.unit else ""
    low, high = bounds.low, bounds.high
    positive = (low == 0 and (bounds.low_open or bool(bounds.zero))) or (integer and low == 1)
    if low is not None and high is not None:
        if positive:
            text = f"a positive {noun}{unit}, at most {_num(high)}"
            return f"0 ({bounds.zero}) or {text}" if bounds.zero else text
        return f"a {noun}{unit} from {_num(low)} to {_num(high)}"
    if positive:
        text = f"a positive {noun}{unit}"
        return f"0 ({bounds.zero}) or {text}" if bounds.zero else text
    if low == 0:
        return f"a {noun}{unit}, 0 or more"
    if low is not None:
        return f"a {noun}{unit}, at least {_num(low)}"
    if high is not None:
        return f"a {noun}{unit}, at most {_num(high)}"
    return f"a {noun}{unit}"


def _bounded(cls: type[Any]) -> dict[str, tuple[Bounds, bool]]:
    """Field name -> (bounds, whether it is whole) for each bounded field of ``cls``."""
    hints = field_types(cls)
    out = {}
    for f in dataclasses.fields(cls):
        bounds = f.metadata.get("bounds")
        if isinstance(bounds, Bounds):
            tp = hints[f.name]
            out[f.name] = (bounds, tp is int or int in typing.get_args(tp))
    return out


def expectation(cls: type[Any], name: str, values: Mapping[str, Any] | None = None) -> str:
    """What field ``name`` of ``cls`` expects, relations included; with ``values``
    (field name -> value) each related setting's value is shown.

    The relations are the field's own and those of other fields naming it.
    """
    bounded = _bounded(cls)
    bounds, integer = bounded[name]
    text = words(bounds, integer)
    related = [(other, phrase) for other, phrase, _ in bounds.relations()]
    for other, (theirs, _) in bounded.items():
        related += [(other, phrase) for target, _, phrase in theirs.relations() if target == name]
    for other, phrase in related:
        shown = f" ({_num(values[other])})" if values is not None and other in values else ""
        text += f", {phrase} {other}{shown}"
    return text


def _holds(phrase: str, value: float, other: float) -> bool:
    return value < other if phrase == "less than" else value <= other


def enforce(
    cls: type[Any],
    given: Mapping[str, Any],
    written: Mapping[str, Any],
    keys: Mapping[str, str],
    where: str,
    report: Report,
) -> set[str]:
    """Check the bounds and relations of the fields ``given`` (name -> converted value);
    problems go to ``report`` and the names of the rejected fields are returned.

    A relation broken by two settings is blamed on the one the file set (on the
    declaring one when it set both).

    Args:
        written: field name -> the value as the file wrote it, for messages.
        keys: field name -> TOML key, for messages.
        where: the section's dotted key (``detectors.volume``).
    """
    bounded = _bounded(cls)
    if not bounded:
        return set()
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.name in bounded}
    bad = {
        name
        for name, value in given.items()
        if name in bounded and _is_number(value) and not bounded[name][0].admits(value)
    }
    current = {n: given[n] if n in given and n not in bad else d for n, d in defaults.items()}
    for name, (bounds, _) in bounded.items():
        for other, phrase, _theirs in bounds.relations():
            mine, theirs = current[name], current.get(other)
            if name in bad or other in bad or not (_is_number(mine) and _is_number(theirs)):
                continue
            if not _holds(phrase, mine, theirs):
                bad.add(name if name in given or other not in given else other)
    shown = {n: v for n, v in current.items() if n not in bad and _is_number(v)}
    for name in bounded:
        if name in bad:
            key = f"{where}.{keys[name]}" if where else keys[name]
            got = written.get(name, given.get(name, current[name]))
            report(key, f"expected {expectation(cls, name, shown)}, got {got!r}")
    return bad


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
