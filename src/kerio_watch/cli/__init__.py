"""The ``kerio-watch`` command line: one module per command, registered here."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from kerio_watch import __version__
from kerio_watch.errors import KerioWatchError
from kerio_watch.exitcodes import ExitStatus


class KerioWatchGroup(click.Group):
    """Maps domain errors to one clear message and an exit code (tracebacks with --debug)."""

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


@click.group(cls=KerioWatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kerio-watch")
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
    )
    for module in modules:
        for command in module.COMMANDS:
            main.add_command(command)


_register()
