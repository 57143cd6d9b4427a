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
import ssl
import types
import typing
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from kerio_watch.alerts.timing import format_duration, parse_clock, parse_duration
from kerio_watch.config import scalar_matches
from kerio_watch.errors import ConfigError, SinkError
from kerio_watch.masking import MASK, mask_url
from kerio_watch.severity import SEVERITY_NAMES, Severity
from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert


def option(
    default: Any = MISSING,
    help: str = "",
    *,
    kind: str = "",
    choices: tuple[str, ...] = (),
    secret: bool = False,
    key: str | None = None,
    example: str = "",
    mask: typing.Callable[[Any], Any] | None = None,
) -> Any:
    """A sink option: a dataclass field with its help text and how to read it.

    Args:
        default: the default; omit for a required key. Lists are tuples; a table
            default is copied for each instance.
        help: one line for the docs and error messages.
        kind: ``duration`` (``"15m"`` or seconds), ``clock`` (``"08:00"``) or ``""``.
        choices: the allowed values of a string option.
        secret: masked by :meth:`Sink.describe` and ``config check`` (a table: its values).
        key: the TOML key when it is not a Python name (``from``).
        example: a TOML value for the docs.
        mask: masks the secrets inside a value for display (e.g. an argument list).
    """
    metadata = {
        "help": help,
        "kind": kind,
        "choices": choices,
        "secret": secret,
        "key": key,
        "example": example,
        "mask": mask,
    }
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


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
        example='"15m"',
    )
    max_per_hour: int = option(
        20,
        "At most this many alerts per clock hour; the rest are held back and summarised "
        "in one message when the hour ends. 0 = no cap.",
    )
    timeout: float = option(
        10.0,
        "Time box for one delivery attempt; a slower attempt counts as failed and is retried.",
        kind="duration",
        example='"10s"',
    )

    def check(self) -> list[str]:
        """Problems involving several keys (overridden by sinks)."""
        problems = []
        if self.max_per_hour < 0:
            problems.append(f"max_per_hour: expected 0 (no cap) or more, got {self.max_per_hour}")
        if self.timeout <= 0:
            problems.append('timeout: expected a positive duration like "10s"')
        return problems


OptionsT = TypeVar("OptionsT", bound=SinkOptions)


def option_fields(cls: type[SinkOptions]) -> list[tuple[str, dataclasses.Field[Any]]]:
    """(TOML key, field) for each option, in declaration order."""
    return [(f.metadata.get("key") or f.name, f) for f in dataclasses.fields(cls)]


def _describe_type(tp: Any, meta: typing.Mapping[str, Any]) -> str:
    if meta.get("kind") == "duration":
        return 'a duration like "30s", "15m" or "1h"'
    if meta.get("kind") == "clock":
        return 'a time of day like "08:00"'
    if meta.get("choices"):
        return "one of " + ", ".join(f'"{c}"' for c in meta["choices"])
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(
            _describe_type(a, meta) for a in typing.get_args(tp) if a is not type(None)
        )
    if origin is tuple:
        return "a list of strings"
    if origin is dict or tp is types.MappingProxyType:
        return "a table of strings"
    if tp is Severity:
        return "one of " + ", ".join(f'"{s}"' for s in SEVERITY_NAMES)
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, str(tp)
    )


def _convert(key: str, value: Any, tp: Any, meta: typing.Mapping[str, Any]) -> Any:
    """One TOML value -> the option's Python value. Raises ValueError with the reason."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(key, value, args[0], meta)
    expected = _describe_type(tp, meta)
    if meta.get("kind") == "duration":
        try:
            return parse_duration(value)
        except (ValueError, TypeError):
            raise ValueError(f"expected {expected}, got {value!r}") from None
    if meta.get("kind") == "clock":
        if not isinstance(value, str):
            raise ValueError(f"expected {expected}, got {value!r}")
        parse_clock(value)
        return value.strip()
    if tp is Severity:
        if not isinstance(value, str):
            raise ValueError(f"expected {expected}, got {value!r}")
        return Severity.parse(value)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"expected {expected}, got {value!r}")
        return tuple(value)
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"expected {expected}, got {value!r}")
        return dict(value)
    if not scalar_matches(value, tp):
        raise ValueError(f"expected {expected}, got {value!r}")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ValueError(f"expected {expected}, got {value!r}")
    return float(value) if tp is float else value


_HINTS = {
    "password": 'put the password in an environment variable (password_env = "NAME") '
    'or a file readable only by kerio-watch (password_file = "/path")',
    "webhook_url": 'use url, url_env = "NAME" or url_file = "/path"',
    "address": 'use host = "..." and port = 514',
}


def parse_options(
    cls: type[OptionsT], table: typing.Mapping[str, Any]
) -> tuple[OptionsT | None, list[str]]:
    """Build the options dataclass from a ``[[sinks]]`` table.

    Returns:
        (options or None, problems). ``type`` is accepted and ignored here.
    """
    hints = typing.get_type_hints(cls)
    fields = dict(option_fields(cls))
    problems: list[str] = []
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key == "type":
            continue
        f = fields.get(key)
        if f is None:
            hint = _HINTS.get(key)
            valid = ", ".join(sorted(fields))
            problems.append(
                f"{key}: unknown key ({hint})" if hint else f"{key}: unknown key (valid: {valid})"
            )
            continue
        try:
            kwargs[f.name] = _convert(key, value, hints[f.name], f.metadata)
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    for key, f in fields.items():
        if f.default is MISSING and f.default_factory is MISSING and f.name not in kwargs:
            example = f.metadata.get("example")
            problems.append(
                f"{key}: missing required key ({f.metadata.get('help', '')}"
                + (f" e.g. {key} = {example}" if example else "")
                + ")"
            )
    if problems:
        return None, problems
    if not kwargs.get("name"):
        kwargs["name"] = str(table.get("type", ""))
    options = cls(**kwargs)
    problems.extend(options.check())
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


def tls_context(sink: str, files: dict[str, str], verify: bool = True) -> ssl.SSLContext:
    """A client TLS context for a sink: the system's CAs or ``files["ca_file"]``, the
    server's certificate and name checked unless ``verify`` is off, and a client
    certificate from ``files["client_cert"]`` (and ``files["client_key"]``) when set.

    Args:
        sink: the sink type, for messages.
        files: the sink's file options by key (its ``ca_file``, ...), empty when unset.

    Raises:
        SinkError: a file is missing, unreadable or not PEM, naming the key.
    """
    for key, path in files.items():
        if path and not os.access(path, os.R_OK):
            why = "permission denied" if Path(path).exists() else "no such file"
            raise SinkError(f"{sink} sink: {key} {path}: {why}")
    try:
        ctx = ssl.create_default_context(cafile=files.get("ca_file") or None)
        if files.get("client_cert"):
            ctx.load_cert_chain(files["client_cert"], files.get("client_key") or None)
    except (OSError, ValueError) as exc:
        keys = list(files)
        named = f"{', '.join(keys[:-1])} or {keys[-1]}" if len(keys) > 1 else keys[0]
        detail = getattr(exc, "reason", None) or exc
        raise SinkError(
            f"{sink} sink: cannot use {named} ({detail}); expected PEM certificates"
            + (" and an unencrypted PEM key" if "client_key" in files else "")
        ) from None
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


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
