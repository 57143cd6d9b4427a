"""The one converter (settings.schema): TOML tables -> frozen dataclasses, every problem."""

from __future__ import annotations

import typing
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from kerio_watch.app.config import config_from_dict
from kerio_watch.errors import ConfigError
from kerio_watch.settings import bounds
from kerio_watch.settings.bounds import field_types
from kerio_watch.settings.schema import CONFIG, Style, build, defaults, setting
from kerio_watch.severity import Severity


@dataclass(frozen=True)
class Inner:
    """A nested section."""

    level: int = 1


@dataclass(frozen=True)
class Section:
    """Every kind of field the converter knows."""

    name: str = "x"
    count: int = 3
    share: float = 0.5
    on: bool = False
    wait: float = setting(60.0, "a duration", kind="duration")
    at: str | None = setting(None, "a clock time", kind="clock")
    severity: Severity = setting(Severity.MEDIUM, "a severity")  # noqa: RUF009
    mode: Literal["fast", "slow"] = "fast"
    colour: str = setting("red", "a choice", choices=("red", "blue"))
    names: tuple[str, ...] = ()
    table: dict[str, str] = field(default_factory=dict)
    inner: Inner = field(default_factory=Inner)


def convert(data: dict[str, object], style: Style = CONFIG) -> tuple[Section | None, list[str]]:
    problems: list[str] = []
    section = build(Section, data, "s", lambda k, m: problems.append(f"{k}: {m}"), style)
    return section, problems


def test_every_kind_converts() -> None:
    """Values of the right type become the field's Python value."""
    section, problems = convert(
        {
            "name": "y",
            "count": 4,
            "share": 1,
            "on": True,
            "wait": "1h30m",
            "at": " 08:00 ",
            "severity": "high",
            "mode": "slow",
            "colour": "blue",
            "names": ["a", "b"],
            "table": {"k": "v"},
            "inner": {"level": 2},
        }
    )
    assert problems == []
    assert section == Section(
        "y", 4, 1.0, True, 5400.0, "08:00", Severity.HIGH, "slow", "blue", ("a", "b"),
        {"k": "v"}, Inner(2),
    )  # fmt: skip
    assert isinstance(section.share, float)


def test_every_problem_is_collected() -> None:
    """Each wrong value names its key and what was expected; bad values keep defaults."""
    section, problems = convert(
        {
            "count": True,
            "share": "half",
            "wait": "soon",
            "at": "25:00",
            "severity": 3,
            "mode": "medium",
            "colour": "green",
            "names": "a",
            "inner": {"level": "2", "extra": 1},
            "bogus": 1,
        }
    )
    assert problems == [
        "s.count: expected a whole number, got True",
        "s.share: expected a number, got 'half'",
        's.wait: expected a duration like "30s", "15m" or "1h", got \'soon\'',
        "s.at: expected a time of day like \"08:00\", got '25:00'",
        's.severity: expected one of "info", "low", "medium", "high", "critical", got 3',
        's.mode: expected one of "fast", "slow", got \'medium\'',
        's.colour: expected one of "red", "blue", got \'green\'',
        "s.names: expected a list of strings, got 'a'",
        "s.inner.level: expected a whole number, got '2'",
        "s.inner.extra: unknown key (valid keys here: level)",
        "s.bogus: unknown key (valid keys here: at, colour, count, inner, mode, name, "
        "names, on, severity, share, table, wait)",
    ]
    assert section is not None and section.count == 3 and section.inner == Inner(1)


def test_numbers_are_whole_or_finite() -> None:
    """A whole-number field takes 4 or 4.0 (as 4), never a fraction: 2.7 is an error, not
    2; a number field takes any finite number, an int as a float; nan and inf are no
    numbers."""
    section, problems = convert({"count": 4.0, "share": 1})
    assert problems == [] and section is not None
    assert (section.count, section.share) == (4, 1.0)
    assert isinstance(section.count, int) and isinstance(section.share, float)
    nan, inf = float("nan"), float("inf")
    section, problems = convert({"count": 2.7, "share": nan, "inner": {"level": inf}})
    assert problems == [
        "s.count: expected a whole number, got 2.7",
        "s.share: expected a number, got nan",
        "s.inner.level: expected a whole number, got inf",
    ]
    assert section is not None and (section.count, section.inner.level) == (3, 1)
    _, problems = convert({"wait": nan})
    assert problems == ['s.wait: expected a duration like "30s", "15m" or "1h", got nan']


def test_required_keys() -> None:
    """A field without a default is required: its absence is named with an example."""

    @dataclass(frozen=True)
    class Needs:
        url: str = setting(help="Where to send.", example='"https://x/y"')

    problems: list[str] = []
    assert build(Needs, {}, "", lambda k, m: problems.append(f"{k}: {m}")) is None
    assert problems == ['url: missing required key (Where to send. e.g. url = "https://x/y")']
    assert defaults(Section)["wait"] == 60.0


def test_web_is_a_typed_section() -> None:
    """[web] keys are checked at load, by the same converter, naming file and key."""
    with pytest.raises(ConfigError) as err:
        config_from_dict({"web": {"prot": 8025, "port": 0, "host": " "}}, "kw.toml")
    assert err.value.problems == [
        "kw.toml: web.prot: unknown key (valid keys here: host, password_hash, port, "
        "secret_key_file, secure_cookie, token, token_env, token_file)",
        "kw.toml: web.host: expected a non-empty string, got ' '",
        "kw.toml: web.port: expected a port number 1-65535, got 0",
    ]
    config = config_from_dict({"web": {"port": 9000, "host": " 0.0.0.0 "}}, "kw.toml")
    assert (config.web.host, config.web.port) == ("0.0.0.0", 9000)


def test_office_hours_are_parsed_once_with_the_section() -> None:
    """[site] office_hours is parsed at load and kept with the section."""
    site = config_from_dict({"site": {"office_hours": "Mon-Fri 07:00-19:00"}}).site
    assert site.office == (frozenset({0, 1, 2, 3, 4}), 420, 1140)
    assert site.office is site.office
    assert config_from_dict({}).site.office is None


def test_each_sections_annotations_are_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a configuration evaluated every section's annotations again for each
    table (``[users.X]`` once per account, and again for its bounds): most of the
    load's time. They are evaluated once per class, and the answer is read-only."""
    calls: Counter[type] = Counter()
    real = typing.get_type_hints

    def counted(obj: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls[obj] += 1
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(typing, "get_type_hints", counted)
    monkeypatch.setattr(bounds, "_FIELD_TYPES", {})  # as in a new process
    users = {f"u{i}@example.com": {"aliases": [f"a{i}@example.com"]} for i in range(5)}
    for _ in range(2):
        config = config_from_dict({"users": users, "site": {"local_domains": ["example.com"]}})
        assert config.user("u3@example.com") is not None
    assert calls and max(calls.values()) == 1
    types = field_types(Section)
    assert types == real(Section)
    assert field_types(Section) is types
    with pytest.raises(TypeError):
        types["name"] = int  # type: ignore[index]
