"""The one converter: TOML tables -> frozen dataclasses, with every problem collected.

A section is a frozen dataclass whose fields are its schema: name (or
``metadata["key"]``), type, default and a one-line ``help``. :func:`build` turns a TOML
table into that dataclass and reports *every* problem through a callback as
``(key, message)``, each naming the key and what was expected; a bad value keeps its
default so that the rest can still be checked. It converts ``str``, ``int``, ``float``,
``bool``, durations (``"15m"``), clock times (``"08:00"``), severities, choices, tuples
of strings, tables, ``Literal`` choices, ``Optional`` values and nested sections.

Numbers: an ``int`` field takes a whole number (``3``, or ``3.0`` written as a float),
never a fraction (``2.7`` is an error, not 2); a ``float`` field takes any finite
number. A numeric field may declare :class:`~kerio_watch.settings.bounds.Bounds` (its
range, unit, and relations to other fields of its section), checked here too.

The registries (detectors, sinks) convert their own sections with the same function,
with a :class:`Style` for how their messages have always read.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field
from typing import Any, Literal, TypeVar

from kerio_watch.settings.bounds import Bounds, enforce, field_types, words
from kerio_watch.settings.durations import parse_clock, parse_duration
from kerio_watch.severity import SEVERITY_NAMES, Severity

T = TypeVar("T")
Report = Callable[[str, str], None]
"""Called with (key, message) for each problem."""


def setting(
    default: Any = MISSING,
    help: str = "",
    *,
    kind: str = "",
    choices: tuple[str, ...] = (),
    secret: bool = False,
    key: str | None = None,
    example: str = "",
    mask: Callable[[Any], Any] | None = None,
    expect: str = "",
    bounds: Bounds | None = None,
) -> Any:
    """A setting: a dataclass field with its help text and how to read it.

    Args:
        default: the default; omit for a required key. Lists are tuples; a table
            default is copied for each instance.
        help: one line for the docs and error messages.
        kind: ``duration`` (``"15m"`` or seconds), ``clock`` (``"08:00"``) or ``""``.
        choices: the allowed values of a string setting.
        secret: masked wherever the configuration is shown (a table: its values).
        key: the TOML key when it is not a Python name (``from``).
        example: a TOML value for the docs.
        mask: masks the secrets inside a value for display (e.g. an argument list).
        expect: what a wrong value is told it should be, instead of its type's name.
        bounds: the range of a numeric setting, and its relations to others of its
            section (:mod:`kerio_watch.settings.bounds`).
    """
    metadata = {
        "help": help,
        "kind": kind,
        "choices": choices,
        "secret": secret,
        "key": key,
        "example": example,
        "mask": mask,
        "expect": expect,
        "bounds": bounds,
    }
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def _valid_keys_here(key: str, valid: Sequence[str]) -> str:
    return f"unknown key (valid keys here: {', '.join(sorted(valid))})"


@dataclass(frozen=True)
class Style:
    """How a section's messages read (they predate the shared converter)."""

    unknown: Callable[[str, Sequence[str]], str] = _valid_keys_here
    """The message for an unknown key, given the key and the valid keys."""
    whole_tables: bool = False
    """A table of strings is checked as a whole ("a table of strings")."""
    skip: frozenset[str] = frozenset()
    """Keys the caller handles itself."""


CONFIG = Style()
"""The style of the configuration's own sections."""
INVALID: Any = object()
"""A value that failed validation: the default is kept and the problem reported."""


def toml_key(field_: dataclasses.Field[Any]) -> str:
    """The TOML key of a field (``metadata["key"]`` or its name)."""
    return str(field_.metadata.get("key") or field_.name)


def quote(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


def scalar_matches(value: Any, tp: Any) -> bool:
    """Whether a TOML value fits a str/bool/int/float field (an int fits a float).

    >>> scalar_matches(True, int), scalar_matches(3, float)
    (False, True)
    """
    if tp is str:
        return isinstance(value, str)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _optional_inner(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def describe(tp: Any, meta: Mapping[str, Any], style: Style = CONFIG) -> str:
    """What a field expects, in words ("a list of strings", "one of ...")."""
    tp = _optional_inner(tp)
    origin = typing.get_origin(tp)
    if meta.get("expect"):
        return str(meta["expect"])
    if meta.get("kind") == "duration":
        return 'a duration like "30s", "15m" or "1h"'
    if meta.get("kind") == "clock":
        return 'a time of day like "08:00"'
    if meta.get("choices") or origin is Literal:
        return "one of " + ", ".join(f'"{c}"' for c in _choices(tp, meta))
    if origin in (tuple, list):
        return "a list of strings"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a table of strings" if style.whole_tables and origin is dict else "a table"
    if tp is Severity:
        return "one of " + ", ".join(f'"{s}"' for s in SEVERITY_NAMES)
    if isinstance(meta.get("bounds"), Bounds) and tp in (int, float):
        return words(meta["bounds"], tp is int)
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
    return names.get(tp, str(tp))


def convert(
    value: Any, tp: Any, meta: Mapping[str, Any], where: str, report: Report, style: Style
) -> Any:
    """One TOML value -> the field's Python value, or :data:`INVALID` (reported)."""
    tp = _optional_inner(tp)
    origin = typing.get_origin(tp)
    expected = f"expected {describe(tp, meta, style)}, got {value!r}"
    try:
        if meta.get("kind") == "duration":
            return parse_duration(value)
        if meta.get("kind") == "clock":
            if isinstance(value, str):
                parse_clock(value)
                return value.strip()
        elif tp is Severity:
            if isinstance(value, str):
                return Severity.parse(value)
        elif origin is dict:
            return _table(value, tp, where, report, style)
        elif dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return build(tp, value, where, report, style)
        elif origin is tuple:
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
        elif tp is Any:
            return value
        elif typing.get_origin(tp) is Literal:
            if value in _choices(tp, meta):
                return value
        elif tp in (int, float):
            number = _number(value, tp is int)
            if number is not None:
                return number
        elif scalar_matches(value, tp):
            if meta.get("choices") and value not in meta["choices"]:
                report(where, expected)
                return INVALID
            return value
    except (ValueError, TypeError) as exc:
        report(where, expected if meta.get("kind") == "duration" else str(exc))
        return INVALID
    report(where, expected)
    return INVALID


def _choices(tp: Any, meta: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(meta.get("choices") or typing.get_args(tp))


def _number(value: Any, whole: bool) -> int | float | None:
    """A TOML number as a whole or any finite number, or None when it is not one.

    >>> _number(3.0, True), _number(2.7, True), _number(2, False), _number(float("nan"), False)
    (3, None, 2.0, None)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if whole:
        return value if isinstance(value, int) else int(value) if value.is_integer() else None
    return float(value)


def _table(value: Any, tp: Any, where: str, report: Report, style: Style) -> Any:
    _kt, vt = typing.get_args(tp)
    if style.whole_tables:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            report(where, f"expected {describe(tp, {}, style)}, got {value!r}")
            return INVALID
        return dict(value)
    if not isinstance(value, dict):
        report(where, f"expected a table, got {value!r}")
        return {}
    out: dict[str, Any] = {}
    for k, v in value.items():
        converted = convert(v, vt, {}, f"{where}.{quote(k)}", report, style)
        if converted is not INVALID:  # reported; the rest of the table still counts
            out[k.lower() if dataclasses.is_dataclass(vt) else k] = converted
    return out


def build(cls: type[T], data: Any, where: str, report: Report, style: Style = CONFIG) -> T | None:
    """A section from its TOML table; problems go to ``report``.

    Returns:
        The section (bad values keep their defaults), or None when a required key is
        missing.
    """
    if not isinstance(data, dict):
        report(where or "(top level)", f"expected a table, got {data!r}")
        return _defaults(cls)
    hints = field_types(cls)
    fields = {toml_key(f): f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    fields.pop("source", None)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key in style.skip:
            continue
        here = f"{where}.{quote(key)}" if where else quote(key)
        f = fields.get(key)
        if f is None:
            report(here, style.unknown(key, list(fields)))
            continue
        converted = convert(value, hints[f.name], f.metadata, here, report, style)
        if converted is not INVALID:
            kwargs[f.name] = converted
    keys = {f.name: key for key, f in fields.items()}
    written = {f.name: data[key] for key, f in fields.items() if key in data}
    for name in enforce(cls, kwargs, written, keys, where, report):
        del kwargs[name]
    missing = False
    for key, f in fields.items():
        if f.default is MISSING and f.default_factory is MISSING and f.name not in kwargs:
            missing = True
            example = f.metadata.get("example")
            report(
                f"{where}.{key}" if where else key,
                f"missing required key ({f.metadata.get('help', '')}"
                + (f" e.g. {key} = {example}" if example else "")
                + ")",
            )
    return None if missing else cls(**kwargs)


def _defaults(cls: type[T]) -> T:
    try:
        return cls()
    except TypeError:  # required keys: no defaults to fall back on
        return typing.cast(T, None)


def default_of(f: dataclasses.Field[Any]) -> Any:
    """A field's default value (MISSING for a required key)."""
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def defaults(cls: type[Any]) -> dict[str, Any]:
    """TOML key -> default, for each field of a section."""
    return {toml_key(f): default_of(f) for f in dataclasses.fields(cls)}
