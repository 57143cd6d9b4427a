"""Durations, clock times and the retry schedule (plus the doctests of the alert modules)."""

from __future__ import annotations

import doctest
import importlib

import pytest

from kerio_watch.alerts.timing import backoff, format_duration, parse_clock, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("1h30m", 5400), ("90s", 90), ("2d", 172800), ("1w", 604800), (" 10 s ", 10),
     ("0", 0), ("2.5", 2.5), (30, 30), (0.25, 0.25), ("1H", 3600)],
)  # fmt: skip
def test_parse_duration(text: str | float, seconds: float) -> None:
    """Strings with units, bare numbers and numbers are seconds."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "bad", ["", "m", "15 minutes", "-5", "1h-5m", "soon", True, -1, [], {"m": 15}, None]
)
def test_parse_duration_refuses(bad: object) -> None:
    """Anything else is refused with an example of what works."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_format_round_trips() -> None:
    """format_duration is the inverse of parse_duration for whole seconds."""
    for seconds in (1, 59, 60, 900, 3599, 3600, 5400, 86400, 90061):
        assert parse_duration(format_duration(seconds)) == seconds


def test_clock_and_backoff() -> None:
    """HH:MM clock times; backoff 5 s, 30 s, 2 min, 10 min, then hourly."""
    assert parse_clock("8:05").strftime("%H:%M") == "08:05"
    for bad in ("24:00", "8", "08:60", "noon"):
        with pytest.raises(ValueError):
            parse_clock(bad)
    assert [backoff(n) for n in range(1, 8)] == [5, 30, 120, 600, 3600, 3600, 3600]


@pytest.mark.parametrize(
    "module", ["timing", "webhook", "render", "syslog", "base", "router", "digest"]
)
def test_doctests(module: str) -> None:
    """The examples in the alert modules' docstrings run."""
    mod = importlib.import_module(f"kerio_watch.alerts.{module}")
    assert doctest.testmod(mod).failed == 0
