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
