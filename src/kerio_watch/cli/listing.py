"""``kerio-watch list``: the formats, detectors, rules and sinks this version has."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kerio_watch.alerts.registry import SINKS
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.detect import DETECTORS
from kerio_watch.formats import FORMATS
from kerio_watch.incidents.sharing import RULES as ENGINE_RULES


@click.command("list")
@click.argument("what", type=click.Choice(["formats", "detectors", "rules", "sinks"]))
@output_file_option()
def list_cmd(what: str, output: Path | None) -> None:
    """List log formats, detectors, rules (with what/why/false positives) or sinks."""
    with open_output(output) as out:
        _list(make_console(out, document=what == "rules"), what)


def _list(console: Console, what: str) -> None:
    if what == "formats":
        for name in FORMATS:
            console.print(name)
    elif what == "detectors":
        for name, cls in DETECTORS.items():
            console.print(f"{name}: {', '.join(r.id for r in cls.rules)}")
    elif what == "sinks":
        for name in SINKS:
            console.print(name)
    else:
        table = Table("rule", "what", "why", "false positives", show_lines=True)
        table.columns[0].no_wrap = True
        rules = [r for cls in DETECTORS.values() for r in cls.rules]
        for r in [*rules, *ENGINE_RULES]:  # plain text: "[site]" is a key, not markup
            table.add_row(*(Text(cell) for cell in (r.id, r.what, r.why, r.false_positives)))
        console.print(table)


COMMANDS = [list_cmd]
