"""``kerio-watch parse``: show how each line is understood (the parser debugger)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click
from rich.table import Table

from kerio_watch.alerts.console import quoted, safe
from kerio_watch.cli.common import find_logs, load, make_timebase
from kerio_watch.cli.options import config_option, output_option, warn_deprecated
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.events import Event, MessageReceived, Unparsed
from kerio_watch.formats import build_parsers
from kerio_watch.formats.base import Parser
from kerio_watch.sources.files import UNPARSED_SAMPLES, LogFile, Record, merged_records
from kerio_watch.textsafe import json_text, printable
from kerio_watch.timebase import Timebase

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


def _event(rec: Record, parsers: dict[str, Parser], timebase: Timebase) -> Event | None:
    """The record's event on UTC time, None when no parser understood it (noted)."""
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
        return None
    if not rec.utc:
        if isinstance(event, MessageReceived):
            timebase.observe_queue_id(event.queue_id, rec.ts)
        event.ts = timebase.to_utc(rec.ts)
    rec.source.events[event.kind] += 1
    return event


def _print_events(
    files: list[LogFile], timebase: Timebase, fmt: str, limit: int, out: IO[str]
) -> None:
    parsers = build_parsers()
    table = Table("time", "log", "kind", "fields", box=None, show_header=True)
    printed = 0
    for rec in merged_records(files):
        event = _event(rec, parsers, timebase)
        if event is None or (limit and printed >= limit):
            continue
        printed += 1
        when = timebase.localize(event.ts).isoformat()
        if fmt == "jsonl":
            data = event.to_dict()
            data["time"] = when
            out.write(json_text(data) + "\n")
        else:
            table.add_row(when, event.log, event.kind, safe(_fields(event)))
    if fmt == "table":
        make_console(out).print(table)


@click.command()
@config_option
@output_option("table", "jsonl", default=None, help="How to print the events (default: table).")
@output_file_option("Write the events to this file instead of standard output.")
@click.option("--show-unparsed", is_flag=True, help="List the lines no parser understood.")
@click.option("--limit", type=int, default=0, help="Print at most this many events (0: all).")
@click.argument("paths", nargs=-1)
def parse(
    config_path: Path | None,
    output_format: str | None,
    output: Path | None,
    show_unparsed: bool,
    limit: int,
    paths: tuple[str, ...],
) -> None:
    """Print the events parsed from Kerio logs, and a summary per file on stderr."""
    if output is not None and output_format is None and str(output) in ("table", "jsonl"):
        # parse -o/--output used to take the format: scripts may still say so.
        warn_deprecated(f"--output {output}", f"-f/--format {output} (-o now names a file)")
        output_format, output = str(output), None
    fmt = output_format or "table"
    config = load(config_path)
    files = find_logs(paths)
    timebase = make_timebase(config, files)
    with open_output(output) as out:
        _print_events(files, timebase, fmt, limit, out)
    err = make_console(stderr=True)
    for f in files:
        kinds = ", ".join(f"{n:,} {k}" for k, n in f.events.most_common())
        err.print(
            f"{printable(f.path)} ({f.log or 'mixed'}): {f.lines:,} lines; "
            f"events: {kinds or 'none'}; unparsed: {f.unparsed_total:,}"
            + (f"; not UTF-8: {f.decode_errors:,}" if f.decode_errors else "")
            + (f"; a copy of {printable(f.copy_of)}: not read" if f.copy_of else ""),
            markup=False,
        )
        for reason, n in f.unparsed.most_common():
            err.print(f"  {n:,} unparsed: {reason}", markup=False)
        if show_unparsed:
            for u in f.unparsed_samples:
                line = quoted(u.raw, err.is_terminal)
                err.print(f"  line {u.lineno}: {u.reason}: {line}", markup=False)
            rest = f.unparsed_total - len(f.unparsed_samples)
            if rest > 0:
                err.print(
                    f"  ... and {rest:,} more, not kept (the first {UNPARSED_SAMPLES:,} of a "
                    "file are; the counts by reason above include them)",
                    markup=False,
                )
    err.print(timebase.describe(), markup=False)


COMMANDS = [parse]
