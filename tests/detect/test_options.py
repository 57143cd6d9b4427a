"""Every detector option declares its bounds, and the loader enforces them: what
``config check`` accepts, ``scan`` runs; what a detector cannot use is a configuration
error naming the file and the key, never a crash."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from boundslib import invalid_values, valid_values
from kerio_watch.app.config import config_from_dict
from kerio_watch.app.reference import reference_markdown
from kerio_watch.detect import DETECTORS, detector_options
from kerio_watch.errors import ConfigError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.settings.bounds import Bounds
from kerio_watch.simulate import CONFIG_FILE, SimConfig, simulate

SOURCE = "kw.toml"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _options() -> list[tuple[str, str, Bounds, bool]]:
    """(detector, option, its bounds, whether it is whole) for every detector option."""
    out = []
    for name, cls in DETECTORS.items():
        hints = typing.get_type_hints(cls.options_class)
        for f in dataclasses.fields(cls.options_class):
            bounds = f.metadata.get("bounds")
            assert isinstance(bounds, Bounds), f"{name}.{f.name} declares no bounds"
            out.append((name, f.name, bounds, hints[f.name] is int))
    return out


OPTIONS = _options()
RELATIONS = [
    (det, key, other, phrase)
    for det, key, bounds, _ in OPTIONS
    for other, phrase, _ in bounds.relations()
]


def check(detectors: dict[str, Any]) -> list[str]:
    """The problems of a configuration with these ``[detectors.*]`` tables."""
    try:
        config_from_dict({"detectors": detectors}, SOURCE)
    except ConfigError as exc:
        return exc.problems
    return []


def test_every_option_is_a_bounded_number_and_its_defaults_hold() -> None:
    """Every option is an int or float with bounds; each relation names another
    option of its detector; the defaults are within them."""
    names = {(det, key) for det, key, _, _ in OPTIONS}
    assert all((det, other) in names for det, _, other, _ in RELATIONS)
    for det, key, bounds, _ in OPTIONS:
        default = getattr(DETECTORS[det].options_class(), key)
        assert isinstance(default, int | float) and bounds.admits(default), (det, key)
    assert check({}) == []
    assert check({det: {key: getattr(DETECTORS[det].options_class(), key)}
                  for det, key, _, _ in OPTIONS}) == []  # fmt: skip


@pytest.mark.parametrize(
    ("detectors", "problems"),
    [
        (
            {"volume": {"long_minutes": 0, "short_minutes": 0}},
            [
                "detectors.volume.short_minutes: expected a positive whole number of "
                "minutes, less than long_minutes, got 0",
                "detectors.volume.long_minutes: expected a positive whole number of "
                "minutes, more than short_minutes, got 0",
            ],
        ),
        (
            {"volume": {"short_minutes": 60}},
            [
                "detectors.volume.short_minutes: expected a positive whole number of "
                "minutes, less than long_minutes (60), got 60"
            ],
        ),
        (
            {"one_to_many": {"window_minutes": -10, "min_share": 7}},
            [
                "detectors.one_to_many.window_minutes: expected a positive whole number "
                "of minutes, got -10",
                "detectors.one_to_many.min_share: expected a fraction from 0 to 1, got 7",
            ],
        ),
        (
            {"auth": {"ip_failures": 2.7, "score_sent": 70.5}},
            [
                "detectors.auth.ip_failures: expected a positive whole number, got 2.7",
                "detectors.auth.score_sent: expected a whole number from 0 to 100, got 70.5",
            ],
        ),
        (
            {"cover_up": {"fresh_items": 0}, "internal_fanout": {"min_colleagues": 0}},
            [
                "detectors.cover_up.fresh_items: expected a positive whole number, got 0",
                "detectors.internal_fanout.min_colleagues: expected a positive whole number, got 0",
            ],
        ),
        (
            {"new_recipients": {"window_hours": 0.0}, "bounces": {"site_rate": 1.5}},
            [
                "detectors.new_recipients.window_hours: expected a positive number of "
                "hours, got 0.0",
                "detectors.bounces.site_rate: expected a fraction from 0 to 1, got 1.5",
            ],
        ),
        (
            {"direct_smtp": {"high_destinations": 100}},
            [
                "detectors.direct_smtp.high_destinations: expected a positive whole "
                "number, at most critical_destinations (50), at least medium_destinations "
                "(5), got 100"
            ],
        ),
        (
            {"volume": {"min_messages": 5}},
            [
                "detectors.volume.min_messages: expected a positive whole number, at "
                "least min_messages_short (10), got 5"
            ],
        ),
    ],
)
def test_options_a_detector_cannot_use_are_config_errors(
    detectors: dict[str, Any], problems: list[str]
) -> None:
    """The reviewer's configurations and their kin: each problem names the file, the key,
    what is expected and the value as written."""
    assert check(detectors) == [f"{SOURCE}: {p}" for p in problems]


def test_whole_numbers_written_as_floats_are_taken() -> None:
    """3.0 is 3 for a whole-number option (kept an int); 0.25 for a share is 0.25."""
    config = config_from_dict(
        {"detectors": {"auth": {"ip_failures": 3.0}, "bounces": {"min_share": 0.25}}}
    )
    options = detector_options(config.detectors, _fail)
    assert options["auth"].ip_failures == 3 and isinstance(options["auth"].ip_failures, int)
    assert options["bounces"].min_share == 0.25


def test_the_reference_says_what_each_option_allows() -> None:
    """docs/configuration.md (the generated reference) lists each option's range and
    relations, and how numbers are read."""
    text = reference_markdown()
    assert "| option | default | allowed |" in text
    assert (
        "| `short_minutes` | `10` | a positive whole number of minutes, less than long_minutes |"
    ) in text
    assert "| `long_minutes` | `60` | a positive whole number of minutes, more than " in text
    assert "| `min_share` | `0.5` | a fraction from 0 to 1 |" in text
    assert "never `2.7`" in text
    for det, key, _, _ in OPTIONS:
        assert f"| `{key}` | `" in text.split(f"### `[detectors.{det}]`")[1], (det, key)


def _fail(key: str, message: str) -> None:
    raise AssertionError(f"{key}: {message}")


# -- properties -------------------------------------------------------------------------
@SETTINGS
@given(data=st.data())
def test_any_invalid_value_is_a_config_error_naming_the_key(data: st.DataObject) -> None:
    """Whatever wrong value an option gets, loading says so for that key (file, key,
    what is expected), and raises nothing but ConfigError."""
    det, key, bounds, whole = data.draw(st.sampled_from(OPTIONS), label="option")
    value = data.draw(invalid_values(bounds, whole), label="value")
    problems = check({det: {key: value}})
    assert problems, f"{det}.{key} = {value!r} was accepted"
    assert any(p.startswith(f"{SOURCE}: detectors.{det}.{key}: expected ") for p in problems)


@SETTINGS
@given(data=st.data())
def test_a_broken_relation_is_a_config_error_naming_the_declaring_key(
    data: st.DataObject,
) -> None:
    """Two values each within bounds but out of order (short_minutes >= long_minutes,
    score > score_max, ...): the option declaring the rule is named."""
    det, key, other, phrase = data.draw(st.sampled_from(RELATIONS), label="relation")
    bounded = {k: (b, w) for d, k, b, w in OPTIONS if d == det}
    mine = data.draw(valid_values(*bounded[key]), label=key)
    theirs = data.draw(valid_values(*bounded[other]), label=other)
    assume(mine >= theirs if phrase == "less than" else mine > theirs)
    problems = check({det: {key: mine, other: theirs}})
    assert any(p.startswith(f"{SOURCE}: detectors.{det}.{key}: expected ") for p in problems)


@SETTINGS
@given(data=st.data())
def test_any_valid_value_is_taken_as_written(data: st.DataObject) -> None:
    """A value within an option's bounds, when its relations hold, is accepted as is."""
    det, key, bounds, whole = data.draw(st.sampled_from(OPTIONS), label="option")
    value = data.draw(valid_values(bounds, whole), label="value")
    problems = check({det: {key: value}})
    related = any(key in (k, o) and d == det for d, k, o, _ in RELATIONS)
    if problems:
        assert related, problems
        assert all(f"detectors.{det}.{key}: " in p for p in problems)
        return
    options = detector_options(
        config_from_dict({"detectors": {det: {key: value}}}).detectors, _fail
    )
    assert getattr(options[det], key) == value


# -- end to end -------------------------------------------------------------------------
def _edge(low: bool) -> dict[str, dict[str, Any]]:
    """Every option at its lowest value (relations kept), or shares and points at
    their highest."""
    tables: dict[str, dict[str, Any]] = {}
    for det, key, bounds, whole in OPTIONS:
        table = tables.setdefault(det, {})
        if not low:
            if bounds.high is not None:
                table[key] = int(bounds.high) if whole else float(bounds.high)
            continue
        least = bounds.low or 0
        if bounds.low_open:
            least = least + 1 if whole else least + 0.5
        table[key] = int(least) if whole else float(least)
    if low:
        for det, key, other, phrase in RELATIONS:
            if phrase == "less than":
                tables[det][other] = tables[det][key] + 1
    return tables


def _toml(tables: dict[str, dict[str, Any]]) -> str:
    return "".join(
        f"\n[detectors.{det}]\n" + "".join(f"{k} = {v!r}\n" for k, v in table.items())
        for det, table in tables.items()
    )


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of a 12-account site with its hijacks (logs and configuration)."""
    folder = tmp_path_factory.mktemp("site")
    simulate(SimConfig(seed=4, days=2, users=12), folder)
    return folder


@pytest.mark.parametrize("low", [True, False], ids=["lowest", "highest"])
def test_options_at_their_bounds_scan_a_site(
    small_site: Path, tmp_path: Path, cli: Callable[..., Result], low: bool
) -> None:
    """What ``config check`` accepts at the edges of every option's range, ``scan`` runs
    through a whole site (no division by zero, no empty window)."""
    tables = _edge(low)
    assert check(tables) == []
    config = tmp_path / "edge.toml"
    config.write_text((small_site / CONFIG_FILE).read_text() + _toml(tables), encoding="utf-8")
    assert cli("config", "check", "-c", str(config)).exit_code == 0
    result = cli("scan", "--no-progress", "-c", str(config), "--db", str(tmp_path / "s.db"),
                 str(small_site))  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["check", "scan", "follow"])
def test_a_bad_option_stops_every_command_with_file_and_key(
    small_site: Path, tmp_path: Path, cli: Callable[..., Result], command: str
) -> None:
    """``config check``, ``scan`` and ``follow`` exit 3 naming the file, the key and what
    is expected, without a traceback."""
    config = tmp_path / "t6.toml"
    config.write_text("[detectors.volume]\nlong_minutes = 0\nshort_minutes = 0\n")
    db = str(tmp_path / "t6.db")
    args = {
        "check": ["config", "check", "-c", str(config)],
        "scan": ["scan", "-c", str(config), "--db", db, str(small_site)],
        "follow": ["follow", "-c", str(config), "--db", db, str(small_site)],
    }[command]
    result = cli(*args)
    assert result.exit_code == ExitStatus.CONFIG_ERROR, result.output
    assert (
        f"{config}: detectors.volume.short_minutes: expected a positive whole number of "
        "minutes, less than long_minutes, got 0"
    ) in result.stderr
    assert f"{config}: detectors.volume.long_minutes: expected " in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
