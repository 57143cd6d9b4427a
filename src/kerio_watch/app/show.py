"""The resolved configuration, for ``config check``: every section as TOML, what the
file did not set marked ``# default``, secrets masked (:mod:`kerio_watch.masking`)."""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import typing
from typing import Any

from kerio_watch.alerts.base import option_fields, parse_options
from kerio_watch.alerts.registry import SINKS
from kerio_watch.alerts.timing import format_duration
from kerio_watch.detect import detector_enabled, detector_options
from kerio_watch.masking import MASK, redacted
from kerio_watch.settings.config import Config
from kerio_watch.severity import Severity

SECTIONS = ("site", "state", "enrich", "firewall", "web", "kerio_api")
"""The plain sections, in the order they are shown."""


def _ignore(_key: str, _message: str) -> None:
    """Problems were reported when the configuration was loaded."""


def _sink_table(table: dict[str, Any]) -> dict[str, Any]:
    """A ``[[sinks]]`` table with every option resolved, secrets masked."""
    cls = SINKS.get(str(table.get("type")))
    options = parse_options(cls.options_class, table)[0] if cls else None
    if cls is None or options is None:
        return typing.cast(dict[str, Any], redacted(table))
    out: dict[str, Any] = {"type": cls.type}
    for key, f in option_fields(type(options)):
        value = getattr(options, f.name)
        if f.metadata.get("secret") and value:
            value = dict.fromkeys(value, MASK) if isinstance(value, dict) else MASK
        elif f.metadata.get("mask") is not None and value:
            value = f.metadata["mask"](value)
        if f.metadata.get("kind") == "duration" and isinstance(value, int | float):
            value = format_duration(value)
        out[key] = redacted(value, key)
    return out


def config_as_dict(config: Config) -> dict[str, Any]:
    """The resolved configuration as plain data, secrets masked: every section, each
    detector's options and each sink's options with their defaults."""
    data: dict[str, Any] = {name: _plain(getattr(config, name)) for name in SECTIONS}
    data["users"] = {k: _plain(v) for k, v in config.users.items()}
    options = detector_options(config.detectors, _ignore)
    data["detectors"] = {
        name: {"enabled": detector_enabled(config.detectors, name), **_plain(opts)}
        for name, opts in options.items()
    }
    data["sinks"] = [_sink_table(dict(s)) for s in config.sinks]
    return typing.cast(dict[str, Any], redacted(data))


def _plain(section: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(section) and not isinstance(section, type):
        return dataclasses.asdict(section)
    return dict(section)


def config_toml(config: Config, written: dict[str, Any]) -> str:
    """The resolved configuration as TOML; ``written`` is the file as parsed (what is not
    in it is marked ``# default``)."""
    data = config_as_dict(config)
    out = [
        f"# The configuration of kerio-watch, resolved from {config.source}.",
        '# "# default": the file does not set this key.',
    ]
    for name in SECTIONS:
        _table(out, [name], data[name], _sub(written, name))
    users = {k.lower(): v for k, v in _sub(written, "users").items()}
    for address, user in data["users"].items():
        _table(out, ["users", address], user, _sub(users, address))
    for name, opts in data["detectors"].items():
        _table(out, ["detectors", name], opts, _sub(_sub(written, "detectors"), name))
    raw = written.get("sinks")
    raw_sinks: list[Any] = raw if isinstance(raw, list) else []
    for i, sink in enumerate(data["sinks"]):
        set_keys = raw_sinks[i] if i < len(raw_sinks) and isinstance(raw_sinks[i], dict) else {}
        _table(out, ["sinks"], sink, set_keys, array=True)
    return "\n".join(out) + "\n"


def _sub(table: Any, key: str) -> dict[str, Any]:
    value = table.get(key) if isinstance(table, dict) else None
    return value if isinstance(value, dict) else {}


def _table(
    out: list[str],
    path: list[str],
    data: dict[str, Any],
    written: dict[str, Any],
    *,
    array: bool = False,
) -> None:
    name = ".".join(_key(p) for p in path)
    out.extend(["", f"[[{name}]]" if array else f"[{name}]"])
    nested = []
    for key, value in data.items():
        mark = "" if key in written else "  # default"
        if isinstance(value, dict) and key in _NESTED_SECTIONS.get(path[0], ()):
            nested.append((key, value))
        elif value is None:
            out.append(f"# {_key(key)} is not set{mark}")
        else:
            out.append(f"{_key(key)} = {_value(value)}{mark}")
    for key, value in nested:
        _table(out, [*path, key], value, _sub(written, key))


_NESTED_SECTIONS = {"kerio_api": ("contain",)}
"""Sections inside sections (the rest of the tables are shown inline)."""


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Severity):
        return json.dumps(value.label)
    if isinstance(value, enum.Enum):
        return json.dumps(value.name.lower())
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(str(k))} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return json.dumps(str(value), ensure_ascii=False)
