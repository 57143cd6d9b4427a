"""``kerio-watch parse``: show how each line is understood (the parser debugger)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from kerio_watch.alerts.console import safe
from kerio_watch.cli.common import find_logs, load, make_timebase
from kerio_watch.cli.options import config_option
from kerio_watch.events import Event, MessageReceived, Unparsed
from kerio_watch.formats import build_parsers
from kerio_watch.sources.files import merged_records
from kerio_watch.textsafe import printable

_SKIP = {"raw", "log"}


def _fields(event: Event) -> str:
    data = event.to_dict()
    parts = []
    for key, value in data.items():
        if key in _SKIP or key in ("kind", "time") or value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        parts.append(f"{key}={value}")
    return " ".join(parts)


@click.command()
@config_option
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="How to print the events.",
)
@click.option("--show-unparsed", is_flag=True, help="List the lines no parser understood.")
@click.option("--limit", type=int, default=0, help="Print at most this many events (0: all).")
@click.argument("paths", nargs=-1)
def parse(
    config_path: Path | None, output: str, show_unparsed: bool, limit: int, paths: tuple[str, ...]
) -> None:
    """Print the events parsed from Kerio logs, and a summary per file on stderr."""
    config = load(config_path)
    files = find_logs(paths)
    timebase = make_timebase(config, files)
    parsers = build_parsers()
    out = sys.stdout
    console = Console(file=out, highlight=False, width=200 if not out.isatty() else None)
    table = Table("time", "log", "kind", "fields", box=None, show_header=True)
    printed = 0
    for rec in merged_records(files):
        parser = parsers.get(rec.log) if rec.log else None
        event = parser.parse(rec.message, rec.ts, rec.raw) if parser else None
        if event is None:
            for p in parsers.values():
                if p.sniff(rec.message):
                    event = p.parse(rec.message, rec.ts, rec.raw)
                    break
        if event is None or isinstance(event, Unparsed):
            reason = event.reason if event is not None else "unknown line"
            rec.source.note_unparsed(
                Unparsed(rec.log or "unknown", rec.raw, reason, rec.source.path, rec.lineno)
            )
            continue
        if not rec.utc:
            if isinstance(event, MessageReceived):
                timebase.observe_queue_id(event.queue_id, rec.ts)
            event.ts = timebase.to_utc(rec.ts)
        rec.source.events[event.kind] += 1
        if limit and printed >= limit:
            continue
        printed += 1
        if output == "jsonl":
            data = event.to_dict()
            data["time"] = timebase.localize(event.ts).isoformat()
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            table.add_row(
                timebase.localize(event.ts).isoformat(),
                event.log,
                event.kind,
                safe(_fields(event)),
            )
    if output == "table":
        console.print(table)
    err = Console(stderr=True, highlight=False)
    for f in files:
        kinds = ", ".join(f"{n:,} {k}" for k, n in f.events.most_common())
        err.print(
            f"{printable(f.path)} ({f.log or 'mixed'}): {f.lines:,} lines; "
            f"events: {kinds or 'none'}; unparsed: {f.unparsed_total:,}"
            + (f"; not UTF-8: {f.decode_errors:,}" if f.decode_errors else ""),
            markup=False,
        )
        for reason, n in f.unparsed.most_common():
            err.print(f"  {n:,} unparsed: {reason}", markup=False)
        if show_unparsed:
            for u in f.unparsed_samples:
                err.print(f"  line {u.lineno}: {u.reason}: {printable(u.raw)[:500]}", markup=False)
    err.print(timebase.describe(), markup=False)


COMMANDS = [parse]
