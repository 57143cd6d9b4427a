"""The contract every registered sink keeps (parametrised over ``SINKS``)."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.alerts import validate_sink
from kerio_watch.alerts.base import Sink, SinkOptions, option_fields
from kerio_watch.alerts.registry import SINKS
from kerio_watch.app.config import config_from_dict
from kerio_watch.errors import ConfigError, SinkError
from kerio_watch.values.alert import Alert

from .conftest import free_port

DOCS = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"

MINIMAL: dict[str, dict[str, Any]] = {
    "jsonl": {"path": "/var/log/kerio-watch/alerts.jsonl"},
    "syslog": {},
    "email": {"host": "mail.example.com", "from": "kw@example.com", "to": ["a@example.com"]},
    "webhook": {"url": "https://hooks.example.com/T0/B0/SECRETPART"},
    "command": {"command": ["/usr/local/bin/notify"]},
}
"""A valid table for each type (a new sink must add one here)."""

BROKEN: dict[str, Callable[[Path], dict[str, Any]]] = {
    "jsonl": lambda tmp: {"path": str(tmp / "missing-dir" / "a.jsonl")},
    "syslog": lambda tmp: {"protocol": "tcp", "port": free_port()},
    "email": lambda tmp: {**MINIMAL["email"], "host": "127.0.0.1", "port": free_port()},
    "webhook": lambda tmp: {"url": f"http://127.0.0.1:{free_port()}/x"},
    "command": lambda tmp: {"command": [sys.executable, "-c", "raise SystemExit(2)"]},
}
"""A table whose destination fails (a new sink must add one here)."""

LEAKY: dict[str, dict[str, Any]] = {
    "jsonl": MINIMAL["jsonl"],
    "syslog": {"host": "siem.example.com", "protocol": "tcp"},
    "email": {**MINIMAL["email"], "username": "kw", "password_env": "KW_SMTP_PASSWORD"},
    "webhook": {"url": "https://hooks.example.com/T0/B0/SECRETPART",
                "headers": {"Authorization": "Bearer SECRETPART", "X-Api-Key": "SECRETPART"}},
    "command": {
        "command": ["/usr/local/bin/notify", "--token=SECRETPART", "-p", "SECRETPART",
                    "--api-key", "SECRETPART", "-pSECRETPART", "API_TOKEN=SECRETPART",
                    "https://bob:SECRETPART@pager.example.com/x?key=SECRETPART", "--team", "mail"],
        "env": {"PAGER_TOKEN": "SECRETPART", "PAGER_TEAM": "SECRETPART"},
    },
}  # fmt: skip
"""A valid table for each type with a secret in every option that can hold one (a new
sink must add one here): neither describe() nor config check may show them."""

TYPES = sorted(SINKS)


def test_every_sink_has_contract_fixtures() -> None:
    """A newly registered sink must come with a valid and a failing configuration."""
    assert set(MINIMAL) == set(SINKS) == set(BROKEN) == set(LEAKY)


@pytest.mark.parametrize("kind", TYPES)
class TestContract:
    """What config loading, the router and test-sink rely on."""

    def test_registered_under_its_type(self, kind: str) -> None:
        """SINKS maps type -> class, and the class has options declared once."""
        cls = SINKS[kind]
        assert cls.type == kind and issubclass(cls, Sink)
        assert issubclass(cls.options_class, SinkOptions)
        assert dataclasses.is_dataclass(cls.options_class)

    def test_every_option_has_help(self, kind: str) -> None:
        """Each option says what it is for (shown in docs and errors)."""
        for key, f in option_fields(SINKS[kind].options_class):
            assert f.metadata.get("help"), f"{kind}.{key} has no help"

    def test_minimal_table_is_valid(self, kind: str) -> None:
        """The minimal table validates and builds, named after its type by default."""
        table = {"type": kind, **MINIMAL[kind]}
        assert validate_sink(table) == []
        sink = SINKS[kind].from_table(table)
        assert sink.name == kind
        assert sink.options.min_severity.label == "medium"

    def test_unknown_and_missing_keys(self, kind: str) -> None:
        """An unknown key is named with the valid ones; each missing key is named."""
        problems = validate_sink({"type": kind, **MINIMAL[kind], "colour": "red"})
        assert len(problems) == 1 and problems[0].startswith("colour: unknown key (valid: ")
        missing = dataclasses.MISSING
        required = [
            k
            for k, f in option_fields(SINKS[kind].options_class)
            if f.default is missing and f.default_factory is missing
        ]
        problems = validate_sink({"type": kind})
        for key in required:
            assert any(p.startswith(f"{key}: missing required key") for p in problems), key

    def test_wrong_types_name_the_key(self, kind: str) -> None:
        """Wrong values say which key and what is expected."""
        table = {"type": kind, **MINIMAL[kind], "min_severity": "urgent", "cooldown": "soon",
                 "max_per_hour": "many", "enabled": "yes"}  # fmt: skip
        problems = validate_sink(table)
        for key in ("min_severity", "cooldown", "max_per_hour", "enabled"):
            assert any(p.startswith(f"{key}: expected ") for p in problems), key

    def test_describe_masks_secrets(self, kind: str) -> None:
        """describe() shows the name and type, and never a secret option's value."""
        table = {"type": kind, "name": f"my-{kind}", **MINIMAL[kind]}
        secret_keys = [
            k for k, f in option_fields(SINKS[kind].options_class) if f.metadata["secret"]
        ]
        text = SINKS[kind].from_table(table).describe()
        assert text.startswith(f"my-{kind} ({kind}): ")
        assert "SECRETPART" not in text
        for key in secret_keys:
            if key in table:
                assert f"{key}=********" in text

    def test_config_check_masks_secrets(self, kind: str) -> None:
        """The resolved configuration (config check) masks secret keys too."""
        from kerio_watch.app.show import config_as_dict  # noqa: PLC0415

        cfg = config_from_dict({"sinks": [{"type": kind, **MINIMAL[kind]}]})
        assert "SECRETPART" not in repr(config_as_dict(cfg))

    def test_no_secret_leaks_into_describe_or_config_check(self, kind: str) -> None:
        """Secrets inside values (argv options, URL credentials, env and header values)
        are masked by describe() (test-sink) and config check alike."""
        from kerio_watch.app.show import config_as_dict  # noqa: PLC0415

        table = {"type": kind, **LEAKY[kind]}
        described = SINKS[kind].from_table(table).describe()
        assert "SECRETPART" not in described, described
        shown = repr(config_as_dict(config_from_dict({"sinks": [table]})))
        assert "SECRETPART" not in shown, shown

    def test_failure_is_a_sink_error(
        self, kind: str, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """A destination that fails raises SinkError (the router relies on that)."""
        sink = SINKS[kind].from_table({"type": kind, "timeout": 3, **BROKEN[kind](tmp_path)})
        with pytest.raises(SinkError) as info:
            sink.send(alert())
        assert str(info.value)

    def test_documented(self, kind: str) -> None:
        """docs/alerts.md has a section for the type and mentions each of its options."""
        text = DOCS.read_text(encoding="utf-8")
        assert re.search(rf"^#+ .*`{kind}`", text, re.M), f"no section for {kind}"
        for key, _f in option_fields(SINKS[kind].options_class):
            assert f"`{key}`" in text, f"{kind}.{key} is not documented"


def test_duplicate_names_are_refused() -> None:
    """Two sinks with the same (default) name cannot be told apart: a config error."""
    with pytest.raises(ConfigError) as info:
        config_from_dict({"sinks": [{"type": "webhook", "url": "https://a/b"},
                                    {"type": "webhook", "url": "https://c/d"}]})  # fmt: skip
    assert "sinks[1]: name: 'webhook' is already the name of sinks[0]" in str(info.value)


def test_unknown_type_lists_the_valid_ones() -> None:
    """A typo in type says which types exist."""
    with pytest.raises(
        ConfigError,
        match="unknown sink type 'slack' \\(valid: command, email, jsonl, syslog, webhook\\)",
    ):
        config_from_dict({"sinks": [{"type": "slack"}]})
