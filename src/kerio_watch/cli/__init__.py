"""The ``kerio-watch`` command line: one module per command, registered here."""

from __future__ import annotations

import sqlite3
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from kerio_watch import __version__
from kerio_watch.errors import KerioWatchError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.native import ENGINES, describe, set_engine
from kerio_watch.store.diagnose import unusable


class KerioWatchGroup(click.Group):
    """Maps domain errors to one clear message and an exit code (tracebacks with --debug)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the command line, the engine choice starting afresh (``--engine``)."""
        set_engine(None)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating errors."""
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except KerioWatchError as exc:
            if debug:
                traceback.print_exc()
            for line in str(exc).splitlines() or [type(exc).__name__]:
                click.echo(f"kerio-watch: error: {line}", err=True)
            ctx.exit(int(exc.exit_status))
        except KeyboardInterrupt:
            click.echo("kerio-watch: interrupted", err=True)
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
                f"kerio-watch: internal error: {type(exc).__name__}: {exc} "
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


def _register() -> None:
    from kerio_watch.cli import (  # noqa: PLC0415
        ack,
        config_cmd,
        db,
        demo,
        follow,
        incidents,
        listing,
        parse,
        report,
        respond,
        scan,
        sinks,
    )

    modules = (
        scan,
        parse,
        demo,
        config_cmd,
        incidents,
        ack,
        listing,
        report,
        sinks,
        follow,
        respond,
        db,
    )
    for module in modules:
        for command in module.COMMANDS:
            main.add_command(command)


_register()
