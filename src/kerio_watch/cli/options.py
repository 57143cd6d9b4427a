"""Reusable click options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kerio_watch.severity import SEVERITY_NAMES

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
