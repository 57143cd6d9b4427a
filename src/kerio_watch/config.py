"""Configuration: TOML -> frozen dataclasses, validated at load with every error at once.

Each section is a dataclass whose fields are the schema: name, type, default, and a
``help`` string in the field metadata (used by ``config check`` and the reference in
``docs/configuration.md``). Unknown keys are errors. Every problem names the file, the
key and what was expected. kerio-watch works with no configuration at all.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kerio_watch.enrich.network import DEFAULT_TRUSTED
from kerio_watch.errors import ConfigError
from kerio_watch.masking import redacted
from kerio_watch.respond.settings import ContainConfig, KerioApiConfig, check_kerio_api
from kerio_watch.web.keys import web_reference

T = TypeVar("T")


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class SiteConfig:
    """``[site]``: the mail server's domains, networks and clock."""

    local_domains: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "Mail domains this server hosts. Default: the domains of authenticated users "
            "seen in the logs."
        ),
    )
    domain_aliases: dict[str, str] = field(
        default_factory=dict,
        metadata=_help(
            'Kerio alias domains: {"example.net" = "example.com"} makes alice@example.net '
            "a From address of alice@example.com."
        ),
    )
    trusted_networks: tuple[str, ...] = field(
        default=DEFAULT_TRUSTED,
        metadata=_help("LAN, VPN and known servers (CIDR). Default: private and loopback."),
    )
    timezone: str | None = field(
        default=None,
        metadata=_help("The server's IANA time zone. Default: inferred from Queue-IDs."),
    )
    office_hours: str | None = field(
        default=None,
        metadata=_help(
            'Office hours, e.g. "Mon-Fri 07:00-19:00"; mail outside them adds weight to '
            "other signals. Default: none (only each account's learned hours count)."
        ),
    )

    def zone(self) -> ZoneInfo | None:
        """The configured zone (validated at load), or None."""
        return ZoneInfo(self.timezone) if self.timezone else None


@dataclass(frozen=True)
class UserConfig:
    """``[users."addr"]``: what is known about one account."""

    aliases: tuple[str, ...] = field(
        default=(), metadata=_help("From addresses this account may use.")
    )
    bulk: bool = field(
        default=False,
        metadata=_help("This account sends in bulk by design (newsletter, invoicing, help desk)."),
    )
    ignore: bool = field(default=False, metadata=_help("Never raise incidents for this account."))


@dataclass(frozen=True)
class StateConfig:
    """``[state]``: how long the state database keeps history."""

    activity_days: int = field(
        default=400,
        metadata=_help(
            "Days of hourly activity (what reports, timelines and the dashboard show) to "
            "keep, counted back from the newest log time; 0 keeps it forever. Profiles, "
            "incidents and alerts are kept regardless."
        ),
    )
    future_hours: int = field(
        default=24,
        metadata=_help(
            "A line dated more than this many hours ahead of its log's recent lines, and "
            "after its file was last written, is implausible (a clock glitch, a corrupted "
            "line): counted and shown by scan and status, never processed, so it moves no "
            "watermark, pruning or report period (docs/service.md)."
        ),
    )
    past_days: int = field(
        default=0,
        metadata=_help(
            "A line dated more than this many days behind its log's recent lines is "
            "implausible; 0: activity_days (400 when that is 0)."
        ),
    )

    def time_limits(self) -> tuple[int, int]:
        """(future, past) seconds for the plausibility of log times."""
        past = self.past_days or self.activity_days or 400
        return self.future_hours * 3600, past * 86400


@dataclass(frozen=True)
class EnrichConfig:
    """``[enrich]``: the country and network owner of outside addresses, offline."""

    geo: str = field(
        default="auto",
        metadata=_help(
            'Where country and AS come from: "maxmind" (the databases below), "geoip2fast" '
            '(the data file of the geoip2fast package), "off", or "auto": maxmind when a '
            "database is set, else geoip2fast when installed, else off."
        ),
    )
    country_db: str | None = field(
        default=None, metadata=_help("A MaxMind Country or City database (.mmdb).")
    )
    asn_db: str | None = field(default=None, metadata=_help("A MaxMind ASN database (.mmdb)."))
    anonymous_db: str | None = field(
        default=None,
        metadata=_help("A MaxMind Anonymous-IP database (.mmdb): its hosting-provider flag."),
    )
    hosting: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            'More hosting networks: AS numbers ("AS64500") or words of AS names, besides the '
            "well-known cloud and hosting providers."
        ),
    )


@dataclass(frozen=True)
class FirewallConfig:
    """``[firewall]``: firewall logs and the machines that may send mail (docs/firewall.md)."""

    mail_servers: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "The mail server's addresses (IP or CIDR), LAN and public, and any other server "
            "that delivers mail itself: their SMTP is expected, and connections to them are "
            "not direct sending. Default: inferred (infer_mail_server)."
        ),
    )
    infer_mail_server: bool = field(
        default=True,
        metadata=_help(
            "Take as a mail server the LAN address whose outbound SMTP matches Kerio's own "
            "deliveries (mail.log Remote-Host), or that receives SMTP from the internet."
        ),
    )
    relays: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "Outside servers LAN machines may reach on mail ports by design: the ISP's "
            "smarthost, a backup MX, a mail service an application uses."
        ),
    )
    allowed_hosts: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "LAN machines allowed to speak SMTP to the internet: monitoring probes, an "
            "application server that sends its own mail."
        ),
    )
    timezone: str | None = field(
        default=None,
        metadata=_help(
            "The firewall's IANA time zone, when its logs are in local time and it differs "
            "from the mail server's. Default: the mail server's (see [site] timezone)."
        ),
    )

    def zone(self) -> ZoneInfo | None:
        """The configured zone (validated at load), or None."""
        return ZoneInfo(self.timezone) if self.timezone else None


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
    web: dict[str, Any] = field(default_factory=dict, metadata=_help("The dashboard."))
    kerio_api: KerioApiConfig = field(
        default_factory=KerioApiConfig,
        metadata=_help("Kerio Connect's Administration API: queue watch and containment."),
    )
    source: str = field(default="<defaults>", metadata=_help("Where this came from."))

    def user(self, address: str) -> UserConfig | None:
        """The settings for an account, if any."""
        return self.users.get(address.lower())


# -- validation -----------------------------------------------------------------------
class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{self.source}: {key}: {message}")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        return "a list of strings"
    if origin is dict:
        return "a table"
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(names)
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, str(tp)
    )


def _convert(value: Any, tp: Any, key: str, problems: _Problems) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(value, args[0], key, problems)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(key, f"expected a list of strings, got {value!r}")
            return ()
        return tuple(value)
    if origin is dict:
        if not isinstance(value, dict):
            problems.add(key, f"expected a table, got {value!r}")
            return {}
        _kt, vt = typing.get_args(tp)
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[k.lower() if dataclasses.is_dataclass(vt) else k] = _convert(
                v, vt, f"{key}.{_quote(k)}", problems
            )
        return out
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _build(tp, value, key, problems)
    if tp is Any:
        return value
    if not scalar_matches(value, tp):
        problems.add(key, f"expected {_type_name(tp)}, got {value!r}")
        return _INVALID
    return float(value) if tp is float else value


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


_INVALID = object()
"""A value that failed validation: the default is kept and the problem reported."""


def _quote(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


def _build(cls: type[T], data: Any, key: str, problems: _Problems) -> T:
    if not isinstance(data, dict):
        problems.add(key or "(top level)", f"expected a table, got {data!r}")
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if f.init and f.name != "source"}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        where = f"{key}.{_quote(name)}" if key else _quote(name)
        if name not in known:
            valid = ", ".join(sorted(known))
            problems.add(where, f"unknown key (valid keys here: {valid})")
            continue
        converted = _convert(value, hints[name], where, problems)
        if converted is not _INVALID:
            kwargs[name] = converted
    return cls(**kwargs)


def _check_site(site: SiteConfig, problems: _Problems) -> SiteConfig:
    for i, net in enumerate(site.trusted_networks):
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            problems.add(
                f"site.trusted_networks[{i}]",
                f"expected a network like 192.168.0.0/16, got {net!r}",
            )
    if site.timezone:
        try:
            ZoneInfo(site.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(
                "site.timezone",
                f'expected an IANA time zone name like "Europe/Berlin", got {site.timezone!r}',
            )
    if site.office_hours:
        try:
            parse_office_hours(site.office_hours)
        except ValueError as exc:
            problems.add("site.office_hours", str(exc))
    lowered = tuple(d.lower().strip() for d in site.local_domains)
    aliases = {k.lower(): v.lower() for k, v in site.domain_aliases.items()}
    return dataclasses.replace(site, local_domains=lowered, domain_aliases=aliases)


def _check_firewall(firewall: FirewallConfig, problems: _Problems) -> None:
    for key in ("mail_servers", "relays", "allowed_hosts"):
        for i, net in enumerate(getattr(firewall, key)):
            try:
                ipaddress.ip_network(net.strip(), strict=False)
            except ValueError:
                problems.add(
                    f"firewall.{key}[{i}]",
                    f"expected an address or network like 192.168.1.5 or 203.0.113.0/28, "
                    f"got {net!r}",
                )
    if firewall.timezone:
        try:
            ZoneInfo(firewall.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(
                "firewall.timezone",
                f'expected an IANA time zone name like "UTC", got {firewall.timezone!r}',
            )


def _check_users(users: dict[str, UserConfig], problems: _Problems) -> dict[str, UserConfig]:
    out: dict[str, UserConfig] = {}
    for address, user in users.items():
        if "@" not in address:
            problems.add(f'users."{address}"', "expected an e-mail address as the table name")
        aliases = tuple(a.lower() for a in user.aliases)
        for i, alias in enumerate(aliases):
            if "@" not in alias:
                problems.add(
                    f'users."{address}".aliases[{i}]', f"expected an e-mail address, got {alias!r}"
                )
        out[address.lower()] = dataclasses.replace(user, aliases=aliases)
    return out


def _check_state(state: StateConfig, problems: _Problems) -> None:
    if state.activity_days < 0:
        problems.add(
            "state.activity_days",
            f"expected 0 (keep forever) or a number of days, got {state.activity_days}",
        )
    if state.future_hours < 1:
        problems.add("state.future_hours", f"expected 1 or more, got {state.future_hours}")
    if state.past_days < 0:
        problems.add(
            "state.past_days", f"expected 0 (activity_days) or more, got {state.past_days}"
        )


def config_from_dict(data: dict[str, Any], source: str = "<dict>") -> Config:
    """Validate a parsed TOML document.

    Raises:
        ConfigError: listing every problem found.
    """
    problems = _Problems(source)
    raw_sinks = data.get("sinks", [])
    body = {k: v for k, v in data.items() if k != "sinks"}
    config = _build(Config, body, "", problems)
    site = _check_site(config.site, problems)
    _check_firewall(config.firewall, problems)
    users = _check_users(config.users, problems)
    _check_state(config.state, problems)
    kerio_api, api_problems = check_kerio_api(config.kerio_api)
    for key, message in api_problems:
        problems.add(f"kerio_api.{key}", message)
    sinks: list[dict[str, Any]] = []
    if not isinstance(raw_sinks, list) or not all(isinstance(s, dict) for s in raw_sinks):
        problems.add("sinks", "expected [[sinks]] tables")
    else:
        from kerio_watch.alerts import (  # noqa: PLC0415 (registry imports config)
            validate_sink,
            validate_sink_names,
        )

        for i, sink in enumerate(raw_sinks):
            for message in validate_sink(sink):
                problems.add(f"sinks[{i}]", message)
            sinks.append(sink)
        for message in validate_sink_names(raw_sinks):
            key, _, rest = message.partition(": ")
            problems.add(key, rest)
    from kerio_watch.detect import detector_problems  # noqa: PLC0415 (registry imports config)
    from kerio_watch.enrich.geo import enrich_problems  # noqa: PLC0415

    enrich_problems(config.enrich, problems.add)

    for message in detector_problems(config.detectors):
        key, _, rest = message.partition(": ")
        problems.add(key, rest)
    if problems.items:
        raise ConfigError(problems.items)
    return dataclasses.replace(
        config, site=site, users=users, sinks=tuple(sinks), kerio_api=kerio_api, source=source
    )


def load_config(path: Path | None) -> Config:
    """Load and validate a TOML file, or the defaults when ``path`` is None.

    Raises:
        ConfigError: the file is missing, unreadable, not TOML, or invalid.
    """
    if path is None:
        env = os.environ.get("KERIO_WATCH_CONFIG")
        if not env:
            return Config()
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
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    return config_from_dict(data, str(path))


# -- office hours ---------------------------------------------------------------------
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_office_hours(text: str) -> tuple[frozenset[int], int, int]:
    """``"Mon-Fri 07:00-19:00"`` -> (weekdays 0-6, start minute, end minute).

    >>> parse_office_hours("Mon-Fri 07:00-19:00")
    (frozenset({0, 1, 2, 3, 4}), 420, 1140)
    """
    m = re.fullmatch(
        r"\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*",
        text,
    )
    if not m or m.group(1).lower() not in _DAYS or (m.group(2) and m.group(2).lower() not in _DAYS):
        raise ValueError(f'expected "Mon-Fri 07:00-19:00", got {text!r}')
    first = _DAYS.index(m.group(1).lower())
    last = _DAYS.index(m.group(2).lower()) if m.group(2) else first
    days = frozenset((first + i) % 7 for i in range((last - first) % 7 + 1))
    start = int(m.group(3)) * 60 + int(m.group(4))
    end = int(m.group(5)) * 60 + int(m.group(6))
    if start >= end or end > 24 * 60:
        raise ValueError(f"office hours must start before they end, got {text!r}")
    return days, start, end


def config_as_dict(config: Config) -> dict[str, Any]:
    """The resolved configuration as plain data, secrets masked."""
    data = dataclasses.asdict(config)
    return typing.cast(dict[str, Any], redacted(data))


REFERENCE_SECTIONS: tuple[tuple[str, type], ...] = (
    ("[site]", SiteConfig),
    ('[users."ADDRESS"]', UserConfig),
    ("[state]", StateConfig),
    ("[enrich]", EnrichConfig),
    ("[firewall]", FirewallConfig),
    ("[kerio_api]", KerioApiConfig),
    ("[kerio_api.contain]", ContainConfig),
)
"""The plain sections of the configuration reference, in order."""


def reference_markdown() -> str:
    """The configuration reference (``docs/configuration.md`` is this text; a test checks)."""
    from kerio_watch.alerts import SINKS  # noqa: PLC0415 (registries import config)
    from kerio_watch.alerts.timing import format_duration  # noqa: PLC0415
    from kerio_watch.detect import DETECTORS  # noqa: PLC0415

    out = [
        "# Configuration reference",
        "",
        "<!-- Generated by `kerio-watch config reference`; do not edit by hand. -->",
        "",
        "kerio-watch reads one TOML file: `--config FILE`, else `$KERIO_WATCH_CONFIG`, else "
        "none (every key has a default). Unknown keys are errors; every error names the "
        "file, the key and what is expected. `kerio-watch config check` validates a file "
        "and prints it resolved, with secrets masked.",
        "",
    ]

    def table(title: str, cls: type) -> None:
        out.extend([f"## `{title}`", "", (cls.__doc__ or "").strip(), ""])
        out.extend(["| key | default | meaning |", "|---|---|---|"])
        for f in dataclasses.fields(cls):
            if f.name == "source":
                continue
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = ""
            shown = _shown_default(default)
            text = f.metadata.get("help", "")
            out.append(f"| `{f.name}` | {shown} | {text} |")
        out.append("")

    for title, cls in REFERENCE_SECTIONS:
        table(title, cls)
    out.extend(_detector_tables(DETECTORS))
    out.extend(
        [
            "## `[[sinks]]`",
            "",
            "Alert destinations; each table has a `type`. See docs/alerts.md for examples.",
            "",
        ]
    )
    for name, sink in SINKS.items():
        out.extend([f'### `type = "{name}"`', "", "| key | default | meaning |", "|---|---|---|"])
        out.extend(
            _sink_option_row(f, format_duration) for f in dataclasses.fields(sink.options_class)
        )
        out.append("")
    out.extend(web_reference())
    return "\n".join(out).rstrip() + "\n"


def _detector_tables(detectors: dict[str, Any]) -> list[str]:
    """The ``[detectors.NAME]`` part of the reference."""
    out = [
        "## `[detectors.NAME]`",
        "",
        "Every detector can be switched off with `enabled = false`; its other options:",
        "",
    ]
    for name, det in detectors.items():
        out.extend(
            [
                f"### `[detectors.{name}]`",
                "",
                "| option | default |",
                "|---|---|",
                "| `enabled` | `true` |",
            ]
        )
        out.extend(f"| `{key}` | `{_toml_value(value)}` |" for key, value in det.defaults.items())
        out.append("")
    return out


def _sink_option_row(
    f: dataclasses.Field[Any], format_duration: typing.Callable[[float], str]
) -> str:
    """One sink option as a row of the reference's table."""
    key = f.metadata.get("key") or f.name
    if f.default is not dataclasses.MISSING:
        value = f.default
        if isinstance(value, enum.Enum):
            value = value.name.lower()
        elif f.metadata.get("kind") == "duration" and isinstance(value, int | float):
            value = format_duration(value)
        shown = "none" if value in (None, (), "") else f"`{_toml_value(value)}`"
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
        shown = "none" if not value else f"`{_toml_value(value)}`"
    else:
        shown = "required"
    return f"| `{key}` | {shown} | {f.metadata.get('help', '')} |"


def _shown_default(default: Any) -> str:
    """A default as the reference shows it (a nested section is a table of its own)."""
    if dataclasses.is_dataclass(default):
        return "a table (below)"
    return "none" if default in (None, (), {}, "") else f"`{_toml_value(default)}`"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)
