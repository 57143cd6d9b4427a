"""The sink seam: options declared once, validation from them, and the sink base class.

A sink's options are a frozen, keyword-only dataclass. Each field is the schema for one
TOML key: its name (or ``metadata["key"]``), its type, its default and a one-line
``help`` (shown in ``docs/alerts.md`` and checked by the tests). :func:`parse_options`
turns a ``[[sinks]]`` table into that dataclass and reports *every* problem, each
naming the key and what is expected. Unknown keys are errors.

To add a sink: subclass :class:`Sink` with ``type`` and ``options_class``, implement
``send``, add one line to ``SINKS`` in ``alerts/__init__.py``, and add
``tests/alerts/test_<type>.py`` against a real local server.
"""

from __future__ import annotations

import builtins
import dataclasses
import os
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from kerio_watch.alerts.timing import format_duration
from kerio_watch.errors import ConfigError, SinkError
from kerio_watch.masking import MASK, mask_url
from kerio_watch.settings.bounds import Bounds
from kerio_watch.settings.schema import Style, build, setting
from kerio_watch.severity import SEVERITY_NAMES, Severity
from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert

option = setting

PORT = Bounds(low=0, high=65535, zero="the protocol's default port")
"""A sink's TCP or UDP port."""
TIMEOUT = Bounds(low=0, low_open=True, unit="seconds")
"""A sink's time box for one attempt."""
"""A sink option: :func:`kerio_watch.settings.schema.setting` (help, kind, choices...)."""


@dataclass(frozen=True, kw_only=True)
class SinkOptions:
    """Options every sink has."""

    name: str = option(
        "",
        "A unique name for this destination (used by test-sink and in the delivery log). "
        "Default: the type.",
        example='"ops-mail"',
    )
    enabled: bool = option(True, "Set to false to stop delivering to this sink.")
    min_severity: Severity = option(  # noqa: RUF009 (option() returns a dataclasses.Field)
        Severity.MEDIUM,
        f"Deliver alerts at or above this severity ({', '.join(SEVERITY_NAMES)}).",
        example='"high"',
    )
    cooldown: float = option(
        900.0,
        "Escalations of one incident inside this window are merged: the latest state "
        'is delivered once when it ends. "0" sends every escalation at once.',
        kind="duration",
        bounds=Bounds(low=0, unit="seconds", zero="every escalation at once"),
        example='"15m"',
    )
    max_per_hour: int = option(
        20,
        "At most this many alerts per clock hour; the rest are held back and summarised "
        "in one message when the hour ends. 0 = no cap.",
        bounds=Bounds(low=0, zero="no cap"),
    )
    timeout: float = option(
        10.0,
        "Time box for one delivery attempt; a slower attempt counts as failed and is retried.",
        kind="duration",
        bounds=TIMEOUT,
        example='"10s"',
    )

    def check(self) -> list[str]:
        """Problems involving several keys (overridden by sinks; the range of each
        number is its field's ``bounds``, checked when the table is converted)."""
        return []


OptionsT = TypeVar("OptionsT", bound=SinkOptions)


def option_fields(cls: type[SinkOptions]) -> list[tuple[str, dataclasses.Field[Any]]]:
    """(TOML key, field) for each option, in declaration order."""
    return [(f.metadata.get("key") or f.name, f) for f in dataclasses.fields(cls)]


_HINTS = {
    "password": 'put the password in an environment variable (password_env = "NAME") '
    'or a file readable only by kerio-watch (password_file = "/path")',
    "webhook_url": 'use url, url_env = "NAME" or url_file = "/path"',
    "address": 'use host = "..." and port = 514',
}


def _unknown(key: str, valid: Sequence[str]) -> str:
    hint = _HINTS.get(key)
    return f"unknown key ({hint})" if hint else f"unknown key (valid: {', '.join(sorted(valid))})"


OPTIONS_STYLE = Style(unknown=_unknown, whole_tables=True, skip=frozenset({"type"}))
"""How ``[[sinks]]`` tables read (converted by :func:`kerio_watch.settings.schema.build`)."""


def parse_options(
    cls: type[OptionsT], table: typing.Mapping[str, Any]
) -> tuple[OptionsT | None, list[str]]:
    """Build the options dataclass from a ``[[sinks]]`` table.

    Returns:
        (options or None, problems). ``type`` is accepted and ignored here.
    """
    problems: list[str] = []
    report = lambda key, message: problems.append(f"{key}: {message}")  # noqa: E731
    options = build(cls, dict(table), "", report, OPTIONS_STYLE)
    if options is None:
        return None, problems
    if not options.name:
        options = dataclasses.replace(options, name=str(table.get("type", "")))
    # the checks across keys too, so that every problem is told at once (a key already
    # reported was left at its default, and is not reported twice)
    reported = {p.split(":", 1)[0] for p in problems}
    problems.extend(p for p in options.check() if p.split(":", 1)[0] not in reported)
    return (None if problems else options), problems


# -- secrets --------------------------------------------------------------------------
def read_secret(
    what: str, value: str | None = None, env: str | None = None, file: str | None = None
) -> str:
    """A secret from inline config, an environment variable or a file (read at each use).

    Raises:
        SinkError: naming the key and what is wrong, never the secret.
    """
    if value:
        return value
    if env:
        found = os.environ.get(env, "")
        if not found.strip():
            raise SinkError(f"{what}_env: environment variable {env} is not set or is empty")
        return found.strip()
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SinkError(f"{what}_file: cannot read {file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise SinkError(f"{what}_file: {file} is not UTF-8 text") from None
        if not text:
            raise SinkError(f"{what}_file: {file} is empty")
        return text
    raise SinkError(f"{what}: no {what} configured")


def exactly_one(what: str, **sources: str | None) -> list[str]:
    """A problem unless exactly one of the ways to give a secret is set."""
    given = [k for k, v in sources.items() if v]
    keys = ", ".join(sources)
    if len(given) == 1:
        return []
    if not given:
        return [f"{what}: missing; set one of {keys}"]
    return [f"{what}: set only one of {keys} (got {', '.join(given)})"]


# -- digests ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Digest:
    """A periodic summary message (sent by sinks that support digests)."""

    subject: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """Stored in the delivery queue."""
        return {"subject": self.subject, "text": self.text}

    @classmethod
    def from_dict(cls, data: typing.Mapping[str, Any]) -> Digest:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["subject"]), str(data["text"]))


@runtime_checkable
class DigestSink(Protocol):
    """A sink that can send a :class:`Digest` (the e-mail sink)."""

    def send_digest(self, digest: Digest) -> None:
        """Send one digest."""
        ...

    def digest_time(self) -> str | None:
        """``"08:00"`` when this sink sends daily digests instead of single alerts."""
        ...


# -- the sink -----------------------------------------------------------------------------
class Sink(Generic[OptionsT]):
    """Base of every alert sink.

    Subclasses set ``type`` and ``options_class`` and implement :meth:`send`. ``send``
    either returns (delivered) or raises :class:`SinkError` with a message that says
    what failed and what to check. Retries, time boxes, cooldown and caps belong to the
    router, not the sink.
    """

    type: ClassVar[str]
    options_class: ClassVar[builtins.type[SinkOptions]] = SinkOptions

    def __init__(self, options: OptionsT) -> None:
        self.options = options

    @property
    def name(self) -> str:
        """The configured name (default: the type)."""
        return self.options.name or self.type

    @classmethod
    def validate(cls, table: typing.Mapping[str, Any]) -> list[str]:
        """Problems with a ``[[sinks]]`` table of this type (empty when valid)."""
        return parse_options(cls.options_class, table)[1]

    @classmethod
    def from_table(cls, table: typing.Mapping[str, Any]) -> Sink[Any]:
        """The sink configured by a ``[[sinks]]`` table.

        Raises:
            ConfigError: the table is invalid.
        """
        options, problems = parse_options(cls.options_class, table)
        if options is None:
            raise ConfigError([f"sink {table.get('name') or cls.type}: {p}" for p in problems])
        return cls(typing.cast(OptionsT, options))

    def send(self, alert: Alert) -> None:
        """Deliver one alert.

        Raises:
            SinkError: it was not delivered.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (sinks connect per delivery, so usually nothing)."""

    def describe(self, redact: bool = True) -> str:
        """One line: type, name and every option that differs from its default.

        Secrets are masked unless ``redact`` is False.
        """
        parts = []
        for key, f in option_fields(type(self.options)):
            value = getattr(self.options, f.name)
            if f.name == "name" or value == f.default or value in ("", None, (), {}):
                continue
            parts.append(f"{key}={self._show(value, f.metadata, redact)}")
        return f"{self.name} ({self.type}): " + (", ".join(parts) or "defaults")

    @staticmethod
    def _show(value: Any, meta: typing.Mapping[str, Any], redact: bool) -> str:
        if meta.get("secret") and redact:
            if isinstance(value, dict):
                return "{" + ", ".join(f"{k}: {MASK}" for k in value) + "}"
            return MASK
        if meta.get("mask") is not None and redact:
            value = meta["mask"](value)
        if meta.get("kind") == "duration":
            return format_duration(float(value))
        if isinstance(value, Severity):
            return value.label
        if isinstance(value, tuple | list):
            return "[" + ", ".join(printable(_url(v, redact)) for v in value) + "]"
        return printable(_url(value, redact))


def _url(value: Any, redact: bool) -> str:
    """A value as text, URL credentials masked when ``redact``."""
    return mask_url(str(value)) if redact else str(value)
