"""Bounds of numeric settings (settings.bounds, settings.numbers): declared with the
setting, checked by the converter, said in words."""

from __future__ import annotations

import contextlib
import dataclasses
import typing
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from boundslib import bounded_fields, invalid_values
from kerio_watch.alerts.registry import SINKS
from kerio_watch.app.config import config_from_dict
from kerio_watch.app.reference import reference_markdown
from kerio_watch.errors import ConfigError
from kerio_watch.settings.bounds import Bounds, expectation, words
from kerio_watch.settings.durations import parse_duration
from kerio_watch.settings.kerio_api import ContainConfig, KerioApiConfig
from kerio_watch.settings.numbers import factor, period, points, share, threshold
from kerio_watch.settings.schema import build, setting
from kerio_watch.settings.sections import StateConfig


@dataclass(frozen=True)
class Windows:
    """A section with every kind of bounded number."""

    short_minutes: int = period(10, "minutes", below="long_minutes")
    long_minutes: int = period(60, "minutes")
    warmup_days: float = period(7.0, "days", positive=False)
    min_messages: int = threshold(20)
    min_history: int = threshold(100, low=0)
    min_short: int = threshold(10, at_most="min_messages")
    min_share: float = share(0.5)
    rate_factor: float = factor(3.0)
    score: int = points(25, at_most="score_max")
    score_max: int = points(45)
    keep_days: int = setting(400, bounds=Bounds(low=0, unit="days", zero="keep forever"))
    timeout: float = setting(10.0, bounds=Bounds(low=0, low_open=True, high=300, unit="seconds"))


def convert(data: dict[str, object]) -> tuple[Windows | None, list[str]]:
    problems: list[str] = []
    section = build(Windows, data, "w", lambda k, m: problems.append(f"{k}: {m}"))
    return section, problems


def test_defaults_and_values_within_bounds_pass() -> None:
    """The defaults, and values on the bounds, are accepted as they are."""
    assert convert({}) == (Windows(), [])
    edge: dict[str, object] = {
        "short_minutes": 1, "long_minutes": 2, "warmup_days": 0, "min_messages": 1,
        "min_history": 0, "min_short": 1, "min_share": 1, "rate_factor": 0, "score": 0,
        "score_max": 100, "keep_days": 0, "timeout": 300,
    }  # fmt: skip
    section, problems = convert(edge)
    assert problems == []
    assert section == Windows(1, 2, 0.0, 1, 0, 1, 1.0, 0.0, 0, 100, 0, 300.0)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("long_minutes", 0, "a positive whole number of minutes, more than short_minutes (10)"),
        ("long_minutes", -10, "a positive whole number of minutes, more than short_minutes (10)"),
        ("warmup_days", -0.5, "a number of days, 0 or more"),
        ("min_messages", 0, "a positive whole number, at least min_short (10)"),
        ("min_history", -1, "a whole number, 0 or more"),
        ("min_share", 7, "a fraction from 0 to 1"),
        ("min_share", -0.1, "a fraction from 0 to 1"),
        ("rate_factor", -1, "a number, 0 or more"),
        ("score", 101, "a whole number from 0 to 100, at most score_max (45)"),
        ("score_max", -5, "a whole number from 0 to 100, at least score (25)"),
        ("keep_days", -1, "0 (keep forever) or a positive whole number of days"),
        ("timeout", 0, "a positive number of seconds, at most 300"),
        ("timeout", 301, "a positive number of seconds, at most 300"),
    ],
)
def test_a_value_out_of_bounds_names_the_key_and_the_range(
    key: str, value: float, expected: str
) -> None:
    """Out of its range: the key, what is expected (the related settings' values too)
    and the value as written; the default is kept."""
    section, problems = convert({key: value})
    assert problems == [f"w.{key}: expected {expected}, got {value!r}"]
    assert section == Windows()


def test_a_fraction_is_no_whole_number() -> None:
    """2.5 minutes is an error (never truncated to 2); 30.0 is 30."""
    section, problems = convert({"short_minutes": 2.5, "long_minutes": 30.0})
    assert problems == ["w.short_minutes: expected a positive whole number of minutes, got 2.5"]
    assert section is not None and section.long_minutes == 30
    assert isinstance(section.long_minutes, int)


def test_a_broken_relation_is_blamed_on_the_key_the_file_set() -> None:
    """short < long: long_minutes alone set too low is long's fault; short alone set too
    high is short's; both set, the declaring one (short_minutes) is named."""
    assert convert({"long_minutes": 5})[1] == [
        "w.long_minutes: expected a positive whole number of minutes, more than "
        "short_minutes (10), got 5"
    ]
    assert convert({"short_minutes": 60})[1] == [
        "w.short_minutes: expected a positive whole number of minutes, less than "
        "long_minutes (60), got 60"
    ]
    section, problems = convert({"short_minutes": 30, "long_minutes": 20})
    assert problems == [
        "w.short_minutes: expected a positive whole number of minutes, less than "
        "long_minutes (20), got 30"
    ]
    assert section is not None and section.long_minutes == 20
    assert convert({"short_minutes": 19, "long_minutes": 20}) == (Windows(19, 20), [])


def test_at_most_allows_equal_values() -> None:
    """``at_most`` is not more than: equal is fine, one more is not."""
    assert convert({"score": 45})[1] == []
    assert convert({"score": 46})[1] == [
        "w.score: expected a whole number from 0 to 100, at most score_max (45), got 46"
    ]


def test_both_sides_out_of_bounds_are_each_named_without_the_other_value() -> None:
    """When both settings of a relation are wrong, each is named; the other's value is
    not shown (it is not what will be used)."""
    _, problems = convert({"short_minutes": 0, "long_minutes": 0})
    assert problems == [
        "w.short_minutes: expected a positive whole number of minutes, less than "
        "long_minutes, got 0",
        "w.long_minutes: expected a positive whole number of minutes, more than "
        "short_minutes, got 0",
    ]


def test_words_and_expectation() -> None:
    """The reference's words: the range, then the relations without values."""
    assert words(Bounds(low=5), True) == "a whole number, at least 5"
    assert words(Bounds(high=5, unit="hours"), False) == "a number of hours, at most 5"
    assert expectation(Windows, "short_minutes") == (
        "a positive whole number of minutes, less than long_minutes"
    )
    assert expectation(Windows, "min_messages", {"min_short": 10}) == (
        "a positive whole number, at least min_short (10)"
    )


SECTIONS = [
    (path, name, bounds, whole)
    for path, cls in (
        (("state",), StateConfig),
        (("kerio_api",), KerioApiConfig),
        (("kerio_api", "contain"), ContainConfig),
    )
    for name, bounds, whole in bounded_fields(cls)
]


def _nested(path: tuple[str, ...], table: dict[str, object]) -> dict[str, object]:
    for part in reversed(path):
        table = {part: table}
    return table


def test_the_configurations_own_numbers_are_bounded() -> None:
    """[state] and [kerio_api] declare their numbers' bounds like the detectors."""
    assert {(".".join(p), n) for p, n, _, _ in SECTIONS} == {
        ("state", "activity_days"), ("state", "future_hours"), ("state", "past_days"),
        ("kerio_api", "timeout"), ("kerio_api", "poll_seconds"), ("kerio_api", "queue_limit"),
        ("kerio_api.contain", "queue_margin_minutes"), ("kerio_api.contain", "max_per_hour"),
        ("kerio_api.contain", "release_after_hours"),
    }  # fmt: skip
    with pytest.raises(ConfigError) as err:
        config_from_dict(
            {"kerio_api": {"poll_seconds": 0.5, "contain": {"release_after_hours": -2}}}, "k"
        )
    assert err.value.problems == [
        "k: kerio_api.contain.release_after_hours: expected 0 (never) or a positive number "
        "of hours, at most 8784, got -2",
        "k: kerio_api.poll_seconds: expected a number of seconds from 1 to 3600, got 0.5",
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_invalid_number_of_the_configuration_names_its_key(data: st.DataObject) -> None:
    """Whatever wrong value a bounded setting gets, loading raises ConfigError naming the
    file and the key, and nothing else."""
    path, name, bounds, whole = data.draw(st.sampled_from(SECTIONS), label="setting")
    value = data.draw(invalid_values(bounds, whole), label="value")
    with pytest.raises(ConfigError) as err:
        config_from_dict(_nested(path, {name: value}), "kw.toml")
    key = ".".join((*path, name))
    assert any(p.startswith(f"kw.toml: {key}: expected ") for p in err.value.problems)


SINK_NUMBERS = [
    (kind, name, bounds, whole)
    for kind, sink in SINKS.items()
    for name, bounds, whole in bounded_fields(sink.options_class)
]
SINK_TABLES: dict[str, dict[str, object]] = {
    "jsonl": {"path": "/tmp/a.jsonl"},
    "syslog": {"host": "127.0.0.1"},
    "email": {"host": "127.0.0.1", "from": "kw@example.com", "to": ["a@example.com"]},
    "webhook": {"url": "https://hooks.example.com/x"},
    "command": {"argv": ["/bin/true"]},
}


def test_every_number_of_a_sink_is_bounded_and_the_reference_says_how() -> None:
    """Every numeric sink option declares its range, and the reference shows it (the
    sink tables had no *Allowed*: syslog's max_size at least 480 was told only by the
    error)."""
    assert set(SINK_TABLES) == set(SINKS)
    hints = {
        (kind, f.name)
        for kind, sink in SINKS.items()
        for f in dataclasses.fields(sink.options_class)
        if typing.get_type_hints(sink.options_class)[f.name] in (int, float)
    }
    assert {(kind, name) for kind, name, _, _ in SINK_NUMBERS} == hints
    reference = reference_markdown()
    assert (
        "| `max_size` | `2048` | Longest datagram in bytes (udp, unix); longer messages"
        in reference
    )
    assert "*Allowed:* a whole number of bytes, at least 480. |" in reference
    assert reference.count("*Allowed:* 0 (no cap) or a positive whole number. |") >= len(SINKS)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_invalid_number_of_a_sink_names_its_key_and_the_other_problems(
    data: st.DataObject,
) -> None:
    """A sink number out of its range is an error naming the sink and the key; the
    checks across keys still run, so a second problem is told at the same time."""
    kind, name, bounds, whole = data.draw(st.sampled_from(SINK_NUMBERS), label="option")
    value = data.draw(invalid_values(bounds, whole), label="value")
    if isinstance(value, str) and name in ("cooldown", "timeout"):  # durations take "0", "5m"
        with contextlib.suppress(ValueError):
            assume(not bounds.admits(parse_duration(value)))
    table = {"type": kind, **SINK_TABLES[kind], name: value}
    if kind == "syslog":
        table["sd_id"] = "bad id"
    with pytest.raises(ConfigError) as err:
        config_from_dict({"sinks": [table]}, "kw.toml")
    assert any(p.startswith(f"kw.toml: sinks[0]: {name}: expected ") for p in err.value.problems)
    if kind == "syslog":
        assert any(p.startswith("kw.toml: sinks[0]: sd_id: ") for p in err.value.problems)
