"""Durations and clock times as the configuration writes them (``"15m"``, ``"08:00"``)."""

from __future__ import annotations

import datetime as dt
import math
import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(value: object) -> float:
    """``"15m"`` -> 900.0. Accepts seconds as a number, or ``1h30m``-style strings.

    >>> parse_duration("1h30m"), parse_duration("90s"), parse_duration(2.5), parse_duration("0")
    (5400.0, 90.0, 2.5, 0.0)

    Raises:
        ValueError: not a duration, negative, or not finite (``nan``, ``inf``).
    """
    if isinstance(value, bool):
        raise ValueError(f'expected a duration like "90s", "15m" or "1h", got {value!r}')
    if isinstance(value, int | float):
        if not 0 <= value < math.inf:
            raise ValueError(f"expected a duration of 0 or more, got {value!r}")
        return float(value)
    if not isinstance(value, str):  # a TOML array or table where a duration goes
        raise ValueError(f'expected a duration like "90s", "15m" or "1h", got {value!r}')
    text = value.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
    elif not text or not re.fullmatch(rf"(?:{_PART.pattern})+", text):
        raise ValueError(f'expected a duration like "90s", "15m", "1h" or "1h30m", got {value!r}')
    else:
        seconds = float(sum(float(n) * _UNITS[u] for n, u in _PART.findall(text)))
    if not math.isfinite(seconds):
        raise ValueError(f"expected a duration of 0 or more, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """900 -> ``"15m"``; the inverse of :func:`parse_duration` for display.

    >>> format_duration(900), format_duration(5400), format_duration(2.5), format_duration(0)
    ('15m', '1h30m', '2.5s', '0s')
    """
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest = int(seconds)
    if rest == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out


def parse_clock(value: str) -> dt.time:
    """``"08:00"`` -> ``time(8, 0)``.

    Raises:
        ValueError: not HH:MM.
    """
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f'expected a time of day like "08:00", got {value!r}')
    return dt.time(int(m.group(1)), int(m.group(2)))
