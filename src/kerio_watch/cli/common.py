"""What several commands share: loading config, finding logs, the time base."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from kerio_watch.app.config import load_config
from kerio_watch.config import Config
from kerio_watch.errors import ConfigError, StoreMissing, UsageError
from kerio_watch.pipeline.runner import timebase_for
from kerio_watch.sources.files import LogFile, discover
from kerio_watch.store import Store, default_db_path, open_store
from kerio_watch.timebase import Timebase


def load(config_path: Path | None) -> Config:
    """The configuration (or the defaults)."""
    return load_config(config_path)


NO_CONFIG_FILE = "no configuration file given: use -c FILE or $KERIO_WATCH_CONFIG"


def config_problem(config: Config, problem: str, hint: str = "") -> ConfigError:
    """A problem with the configuration in use, said of its file, or that no file was
    given (not of ``<defaults>``, which tells a user nothing)."""
    notes = [hint] if hint else []
    if not config.from_file:
        notes.insert(0, NO_CONFIG_FILE)
    where = f"{config.source}: " if config.from_file else ""
    return ConfigError([where + problem + (f" ({'; '.join(notes)})" if notes else "")])


def config_file(config: Config) -> str:
    """Where a setting goes: the configuration file in use, or how to give one."""
    if config.from_file:
        return config.source
    return "a configuration file (-c FILE or $KERIO_WATCH_CONFIG)"


def find_logs(paths: tuple[str, ...]) -> list[LogFile]:
    """Discover the logs among the paths given on the command line.

    Raises:
        click.UsageError: no path was given and standard input is a terminal.
    """
    if not paths and sys.stdin.isatty():
        raise click.UsageError(
            "give a log file or folder (e.g. /opt/kerio/mailserver/store/logs), "
            "or - to read standard input"
        )
    return discover(list(paths) or ["-"])


def make_timebase(config: Config, files: list[LogFile], store: Store | None = None) -> Timebase:
    """The configured zone; else Queue-ID inference seeded from the mail logs; else, for
    logs without Queue-IDs, what the state database recorded from earlier scans."""
    return timebase_for(config, store, lambda: files)


def parse_time(text: str, timebase: Timebase, option: str = "--since") -> int:
    """ISO 8601 -> UTC epoch; without an offset it is the server's local time.

    Raises:
        UsageError: not an ISO 8601 time.
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option}: expected an ISO 8601 time like 2026-03-23T00:00 or "
            f"2026-03-23T00:00+01:00, got {text!r}"
        ) from None
    if value.tzinfo is not None:
        return int(value.timestamp())
    local = int(value.replace(tzinfo=dt.UTC).timestamp())
    return timebase.to_utc(local)


def open_existing(db_path: Path | None) -> Store:
    """The state database for writing, which must exist already (``ack``): a mistyped
    ``--db`` is reported instead of creating an empty database there.

    Raises:
        StoreMissing: there is no database at that path.
    """
    return open_store(existing_db(db_path))


def existing_db(db_path: Path | None) -> Path:
    """The path of the state database (``--db``, else the default), which must exist.

    Raises:
        StoreMissing: there is no database at that path.
    """
    path = db_path if db_path is not None else default_db_path()
    if not path.exists():
        raise StoreMissing(f"{path}: no such database (run a scan first)")
    return path
