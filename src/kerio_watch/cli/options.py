"""Reusable click options."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kerio_watch.cli.hints import invocation
from kerio_watch.severity import SEVERITY_NAMES
from kerio_watch.textsafe import printable

F = TypeVar("F", bound=Callable[..., Any])


def config_option(f: F) -> F:
    """``--config FILE``."""
    return click.option(
        "--config",
        "-c",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="TOML configuration file (default: $KERIO_WATCH_CONFIG, else none).",
    )(f)


def db_option(f: F) -> F:
    """``--db PATH``."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="State database (default: $KERIO_WATCH_DB, else ~/.local/share/kerio-watch/state.db).",
    )(f)


if TYPE_CHECKING:
    _NumberType = click.ParamType[int, Any]
else:  # click before 8.2 (allowed by the requirements) has no generic ParamType
    _NumberType = click.ParamType


class IncidentNumber(_NumberType):
    """An incident's number; an account's address (or anything else) is refused with
    how to find the account's incident numbers."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The number, or a one-line hint."""
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            pass
        shown = printable(str(value))[:200]
        hint = f"{shown!r} is not an incident number (`{invocation()} incidents` lists them)"
        if "@" in str(value):
            hint = (
                f"{shown!r} is an account: incidents are chosen by number; "
                f"`{invocation()} incidents --account {shlex.quote(shown)} --status open` "
                "lists its open incidents with their numbers"
            )
        raise click.BadParameter(hint, ctx, param)


def incident_argument(required: bool = True) -> Callable[[F], F]:
    """The ``INCIDENT_ID`` argument (a number, see :class:`IncidentNumber`)."""
    return click.argument("incident_id", type=IncidentNumber(), required=required)


def format_option(f: F) -> F:
    """``--format text|jsonl``."""
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(["text", "jsonl"]),
        default="text",
        show_default=True,
        help="text for people, jsonl (one JSON object per alert) for tools.",
    )(f)


def severity_choice() -> click.Choice[str]:
    """A choice of severity names."""
    return click.Choice(SEVERITY_NAMES, case_sensitive=False)


def output_option(*choices: str, default: str | None = "text", help: str) -> Callable[[F], F]:
    """``--format/-f`` with the given choices (the value arrives as ``output_format``)."""
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=default is not None,
        help=help,
    )


def min_severity_option(default: str, help: str) -> Callable[[F], F]:
    """``--min-severity`` with a default."""
    return click.option(
        "--min-severity", type=severity_choice(), default=default, show_default=True, help=help
    )


def warn_deprecated(old: str, new: str) -> None:
    """Say on stderr that an old spelling still works but will go."""
    click.echo(f"kerio-watch: warning: {old} is deprecated, use {new}", err=True)


def deprecated_option(*decls: str, replacement: str, **attrs: Any) -> Callable[[F], F]:
    """A hidden option kept for scripts written against an earlier version: it still
    works and warns on stderr when it is used."""

    def warn(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        used = ctx.get_parameter_source(param.name or "") == click.core.ParameterSource.COMMANDLINE
        if used:
            warn_deprecated(param.opts[0], replacement)
        return value

    return click.option(*decls, hidden=True, callback=warn, expose_value=True, **attrs)


def _poll_seconds(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if not 0.01 <= value <= 60:
        raise click.BadParameter(f"expected seconds between 0.01 and 60, got {value:g}")
    return value


def poll_options(f: F) -> F:
    """``follow``'s timing: ``--poll`` and ``--order-wait``."""
    f = click.option(
        "--order-wait",
        type=click.FloatRange(min=0, max=3600),
        default=30,
        show_default=True,
        help="Longest seconds a line waits for the other logs to be written up to its "
        "time, so that a log written late is merged in time order, as scan merges the "
        "files (0: merge what each look finds).",
    )(f)
    return click.option(
        "--poll",
        type=float,
        default=0.5,
        show_default=True,
        callback=_poll_seconds,
        help="Seconds between looks at the logs when nothing is new.",
    )(f)
