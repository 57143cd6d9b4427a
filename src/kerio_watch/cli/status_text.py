"""The human-readable ``kerio-watch status`` (:func:`print_status`), from the report
``kerio_watch.cli.follow.status_report`` makes."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from kerio_watch.alerts.console import quoted
from kerio_watch.alerts.health import status_markup
from kerio_watch.respond.views import status_lines
from kerio_watch.sources.logfile import NOT_KERIO_HINT
from kerio_watch.textsafe import printable


def print_status(console: Console, report: dict[str, Any]) -> None:
    """The human-readable status."""
    running = report["running"]
    state = {True: "[green]running[/green]", False: "[yellow]not running[/yellow]"}.get(
        running, "unknown (cannot read the lock file)"
    )
    pid = f" (pid {report['pid']})" if report["pid"] else ""
    writer = report["writer"]
    if writer and writer["role"] != "follow":
        pid += f"; kerio-watch {writer['role']} (pid {writer['pid']}) is writing"
    console.print(f"follower: {state}{pid}   state: {escape(printable(report['db']))}")
    last = report["last_engine"]
    console.print(
        f"engine: {report['engine']}" + (f"; the last run used {last}" if last else ""),
        markup=False,
    )
    activity = report["activity"]
    history = (
        f"hourly activity {activity['first_hour'][:10]} to {activity['last_hour'][:10]}"
        if activity
        else "no activity yet"
    )
    console.print(f"database: {report['db_bytes'] / 1e6:,.1f} MB, {history}")
    age = report["heartbeat_age_seconds"]
    beat = f"{report['heartbeat']} ({age:g} s ago)" if age is not None else "never"
    console.print(f"last heartbeat: {beat}")
    console.print(f"last checkpoint: {report['last_checkpoint'] or 'never'}")
    console.print(f"last event (log time): {report['last_event'] or 'none yet'}")
    totals = report["totals"]
    console.print(
        f"processed: {totals['lines']:,} lines, {sum(totals['events'].values()):,} events, "
        f"{totals['unparsed']:,} unparsed, {totals['implausible']:,} with an implausible time "
        f"(set aside), {totals['alerts']:,} alerts"
    )
    _print_implausible(console, report["implausible_lines"][-3:])
    _print_files(console, report["files"])
    _print_skipped(console, report["skipped"])
    counts = ", ".join(f"{n} {label}" for label, n in report["open_incidents"].items() if n)
    console.print(f"open incidents: {counts or 'none'}")
    for sink in report["sinks"]:
        console.print(status_markup(sink))
    for line in status_lines(report["kerio_api"]) if report["kerio_api"] else ():
        console.print(line, markup=False, soft_wrap=True)


def _print_files(console: Console, files: list[dict[str, Any]]) -> None:
    if not files:
        console.print("files: none followed yet")
        return
    console.print("files:")
    for f in files:
        size = "?" if f["size"] is None else f"{f['size']:,}"
        where = (
            f"offset {f['offset']:,} of {size}, lag {f['lag_bytes']:,} bytes"
            if f["lag_bytes"] is not None
            else f"{size} bytes"
        )
        console.print(
            f"  {printable(f['path'])} ({f['log'] or 'mixed'}): {where} [{f['state']}]",
            markup=False,
            soft_wrap=True,
        )


SKIPPED_SHOWN = 10
"""Files not read that ``status`` names (the rest are counted)."""


def _print_skipped(console: Console, skipped: list[dict[str, str]]) -> None:
    """The files the follower found and did not read, or read and understood nothing of
    (pointed at the wrong folder, another program's log)."""
    if not skipped:
        return
    console.print(f"not read as Kerio logs: {len(skipped)} file{'s' if len(skipped) > 1 else ''}")
    for entry in skipped[:SKIPPED_SHOWN]:
        console.print(
            f"  {printable(entry['path'])}: {printable(entry['why'])}", markup=False, soft_wrap=True
        )
    if len(skipped) > SKIPPED_SHOWN:
        console.print(f"  and {len(skipped) - SKIPPED_SHOWN} more (status -f json lists them)")
    if any(e["why"] != "permission denied" for e in skipped):
        console.print(f"  ({NOT_KERIO_HINT})", markup=False, soft_wrap=True)


def _print_implausible(console: Console, samples: list[dict[str, Any]]) -> None:
    if samples:
        console.print("last lines set aside for an implausible time (by follow or scan):")
    for d in samples:
        console.print(
            f"  implausible: {printable(str(d.get('path')))} line {d.get('lineno')}: "
            f"{printable(str(d.get('reason')))}: {quoted(str(d.get('raw')), console.is_terminal)}",
            markup=False,
            soft_wrap=True,
        )
