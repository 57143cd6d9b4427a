"""The whole configuration: every section typed, read from one TOML file.

:func:`convert` checks every section this layer knows and returns the problems with
the configuration; ``[detectors.NAME]`` and ``[[sinks]]`` stay tables here, each
registry converts its own (:mod:`kerio_watch.app.config` puts the two together).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerio_watch.errors import ConfigError
from kerio_watch.settings.kerio_api import KerioApiConfig, check_kerio_api
from kerio_watch.settings.schema import build
from kerio_watch.settings.sections import (
    EnrichConfig,
    FirewallConfig,
    StateConfig,
    check_firewall,
)
from kerio_watch.settings.site import SiteConfig, UserConfig, check_site, check_users
from kerio_watch.settings.web import WebConfig, check_web

DEFAULTS = "<defaults>"
"""The ``source`` of a configuration read from no file."""


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    site: SiteConfig = field(default_factory=SiteConfig, metadata=_help("The site."))
    enrich: EnrichConfig = field(
        default_factory=EnrichConfig, metadata=_help("Network identity of addresses.")
    )
    state: StateConfig = field(default_factory=StateConfig, metadata=_help("The state database."))
    firewall: FirewallConfig = field(
        default_factory=FirewallConfig, metadata=_help("Firewall logs and direct SMTP.")
    )
    users: dict[str, UserConfig] = field(
        default_factory=dict, metadata=_help("Per-account settings, keyed by address.")
    )
    detectors: dict[str, dict[str, Any]] = field(
        default_factory=dict,
        metadata=_help("Per-detector options: [detectors.<name>] enabled = false, ..."),
    )
    sinks: tuple[dict[str, Any], ...] = field(
        default=(), metadata=_help("Alert destinations: [[sinks]] tables with a type.")
    )
    web: WebConfig = field(default_factory=WebConfig, metadata=_help("The dashboard."))
    kerio_api: KerioApiConfig = field(
        default_factory=KerioApiConfig,
        metadata=_help("Kerio Connect's Administration API: queue watch and containment."),
    )
    source: str = field(default=DEFAULTS, metadata=_help("Where this came from."))

    @property
    def from_file(self) -> bool:
        """Whether a configuration file was read (else this is the defaults)."""
        return self.source != DEFAULTS

    def user(self, address: str) -> UserConfig | None:
        """The settings for an account, if any."""
        return self.users.get(address.lower())


class Problems:
    """Problems with one configuration file, each ``FILE: KEY: expectation``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        """Record one problem."""
        self.items.append(f"{self.source}: {key}: {message}")


def convert(data: dict[str, Any], source: str = "<dict>") -> tuple[Config, Problems]:
    """A parsed TOML document -> the configuration and its problems (registries' tables
    unchecked)."""
    problems = Problems(source)
    raw_sinks = data.get("sinks", [])
    body = {k: v for k, v in data.items() if k != "sinks"}
    config = build(Config, body, "", problems.add) or Config()
    site = check_site(config.site, problems.add)
    check_firewall(config.firewall, problems.add)
    users = check_users(config.users, problems.add)
    kerio_api, api_problems = check_kerio_api(config.kerio_api)
    for key, message in api_problems:
        problems.add(f"kerio_api.{key}", message)
    web = check_web(config.web, problems.add)
    sinks: tuple[dict[str, Any], ...] = ()
    if not isinstance(raw_sinks, list) or not all(isinstance(s, dict) for s in raw_sinks):
        problems.add("sinks", "expected [[sinks]] tables")
    else:
        sinks = tuple(raw_sinks)
    resolved = dataclasses.replace(
        config,
        site=site,
        users=users,
        sinks=sinks,
        kerio_api=kerio_api,
        web=web,
        source=source,
    )
    return resolved, problems


def read_toml(path: Path | None) -> tuple[dict[str, Any], str] | None:
    """The TOML document at ``path`` (else ``$KERIO_WATCH_CONFIG``) and its name; None
    when there is no configuration file.

    Raises:
        ConfigError: the file is missing, unreadable or not TOML.
    """
    if path is None:
        env = os.environ.get("KERIO_WATCH_CONFIG")
        if not env:
            return None
        path = Path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except PermissionError:
        raise ConfigError([f"{path}: permission denied"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, expected a TOML file"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text"]) from None
    try:
        return tomllib.loads(text), str(path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
