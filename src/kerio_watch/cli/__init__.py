"""The ``kerio-watch`` command line: one module per command, named in :data:`COMMANDS`."""

from __future__ import annotations

import importlib
import sqlite3
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from kerio_watch import __version__
from kerio_watch.errors import Interrupted, KerioWatchError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.gcpace import skip_exit_collection
from kerio_watch.native import ENGINES, describe, set_engine
from kerio_watch.store.diagnose import unusable
from kerio_watch.textsafe import printable


class KerioWatchGroup(click.Group):
    """Maps domain errors to one clear message and an exit code (tracebacks with --debug)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the command line, the engine choice starting afresh (``--engine``)."""
        set_engine(None)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, without importing any (see :data:`COMMANDS`)."""
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, its module imported now."""
        return command(cmd_name) or super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating errors."""
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except KerioWatchError as exc:
            if debug:
                traceback.print_exc()
            # escaped: a message names files and values from the logs (a syslog server
            # names files by the sending host), which reached the terminal raw
            for line in str(exc).splitlines() or [type(exc).__name__]:
                click.echo(f"kerio-watch: error: {printable(line)}", err=True)
            ctx.exit(int(exc.exit_status))
        except KeyboardInterrupt as exc:
            kept = f": {printable(exc.kept)}" if isinstance(exc, Interrupted) else ""
            click.echo(f"kerio-watch: interrupted{kept}", err=True)
            ctx.exit(int(ExitStatus.ERROR_CTRL_C))
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(int(ExitStatus.OK))
        except sqlite3.DatabaseError as exc:  # read from a database damaged since it opened
            if debug:
                traceback.print_exc()
            click.echo(f"kerio-watch: error: {unusable(Path('the state database'), exc)}", err=True)
            ctx.exit(int(ExitStatus.DB_UNUSABLE))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if debug:
                raise
            click.echo(
                f"kerio-watch: internal error: {type(exc).__name__}: {printable(str(exc))} "
                "(run with --debug for the traceback, and please report it)",
                err=True,
            )
            ctx.exit(int(ExitStatus.ERROR))


def _engine(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    set_engine(value)
    return value


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"kerio-watch, version {__version__}")
    click.echo(f"engine: {describe()}")
    ctx.exit()


@click.group(cls=KerioWatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    envvar="KERIO_WATCH_ENGINE",
    is_eager=True,
    expose_value=False,
    callback=_engine,
    help="The engine: native (the Rust core, when it was built), python, or auto "
    "(native when available; the default). Env: KERIO_WATCH_ENGINE.",
)
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_version,
    help="Show the version and which engine runs, and exit.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Find hijacked mail accounts on a Kerio Connect server from its own logs.

    Start with `kerio-watch demo`, then `kerio-watch scan /opt/kerio/mailserver/store/logs`.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    skip_exit_collection()


COMMANDS: dict[str, str] = {
    "scan": "scan",
    "parse": "parse",
    "demo": "demo",
    "config": "config_cmd",
    "incidents": "incidents",
    "ack": "ack",
    "list": "listing",
    "report": "report",
    "user": "report",
    "serve": "report",
    "test-sink": "sinks",
    "follow": "follow",
    "status": "follow",
    "contain": "respond",
    "release": "respond",
    "actions": "respond",
    "db": "db",
}
"""Each command's module (``kerio_watch.cli.<module>``, its ``COMMANDS`` list): a
command's module is imported only when that command runs (or ``--help`` lists them),
so that ``scan`` does not pay for the dashboard's, the report's and the follower's
imports at start-up."""


def command(name: str) -> click.Command | None:
    """The command ``name`` (importing its module), or None when there is none."""
    module = COMMANDS.get(name)
    if module is None:
        return None
    commands = importlib.import_module(f"kerio_watch.cli.{module}").COMMANDS
    return next((c for c in commands if c.name == name), None)
