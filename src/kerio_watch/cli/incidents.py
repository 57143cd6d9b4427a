"""``kerio-watch incidents`` (the list) and ``kerio-watch incidents show ID``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kerio_watch.alerts.console import SEVERITY_STYLES
from kerio_watch.cli.common import load
from kerio_watch.cli.incident_text import incident_steps, render_incident
from kerio_watch.cli.options import (
    config_option,
    db_option,
    incident_argument,
    min_severity_option,
    output_option,
)
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.incidents.ack import find
from kerio_watch.incidents.export import incident_detail, incident_record
from kerio_watch.incidents.lifecycle import status_text
from kerio_watch.report.servertime import ServerTime
from kerio_watch.respond.views import containment_states, incident_actions
from kerio_watch.severity import Severity
from kerio_watch.store import Store, open_store
from kerio_watch.store.query import IncidentQuery
from kerio_watch.textsafe import json_text, printable
from kerio_watch.values.incident import Incident


@click.group(invoke_without_command=True)
@db_option
@config_option
@click.option(
    "--status",
    type=click.Choice(["open", "closed", "benign", "resolved", "all"]),
    default="all",
    show_default=True,
    help="Which incidents.",
)
@click.option(
    "--account",
    metavar="ADDRESS",
    help="Only this account's incidents (their numbers are what `ack` takes).",
)
@min_severity_option("info", "Only incidents at or above this severity.")
@output_option("text", "jsonl", help="A table for people or JSON lines for tools.")
@output_file_option()
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="At most this many (0: all).",
)
@click.pass_context
def incidents(
    ctx: click.Context,
    db_path: Path | None,
    config_path: Path | None,
    status: str,
    account: str | None,
    min_severity: str,
    output_format: str,
    output: Path | None,
    limit: int,
) -> None:
    """List incidents from the state database; `incidents show ID` shows one.

    The open high and critical incidents come first, worst first: they wait for a
    decision. The others follow, newest first (by last signal). A list cut by --limit
    says how many it left out.

    Times are on the server's clock, as in alerts, reports and the dashboard. An open
    high or critical incident without signals for a day is "quiet since" its last one
    (weak signals may join it later without waking it): it waits for a decision
    (`kerio-watch ack`).
    """
    if ctx.invoked_subcommand is not None:
        return
    config = load(config_path)
    store = open_store(db_path, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        query = IncidentQuery(
            status=None if status == "all" else status,
            min_severity=int(Severity.parse(min_severity)),
            key=account.strip().lower() if account else None,
        )
        rows, waiting, total = listed(store, query, limit)
        contained = containment_states(store)
    finally:
        store.close()
    with open_output(output) as out:
        if output_format == "jsonl":
            for inc in rows:
                data = {**incident_record(inc, st.iso), "containment": contained.get(inc.id)}
                out.write(json_text(data) + "\n")
            return
        _print_table(make_console(out), rows, waiting, total, limit, st, contained)


def _print_table(
    console: Console,
    rows: list[Incident],
    waiting: int,
    total: int,
    limit: int,
    st: ServerTime,
    contained: dict[int, str],
) -> None:
    """The incidents as a table, the ones waiting for a decision in a section of their
    own; off a terminal, one line each (:func:`_print_lines`)."""
    if not rows:
        console.print("No incidents.")
        return
    if not console.is_terminal:
        _print_lines(console, rows, waiting, st, contained)
    else:
        _print_grid(console, rows, waiting, st, contained)
    if len(rows) < total:
        console.print(
            f"{len(rows)} of {total} incidents shown (--limit {limit}; --limit 0 lists all)"
        )


def _print_lines(
    console: Console, rows: list[Incident], waiting: int, st: ServerTime, contained: dict[int, str]
) -> None:
    """Off a terminal (a pipe, a file, cron's mail): one line per incident, its
    explanation whole, so that ``grep`` finds it; a table there would pad every line to
    the longest explanation."""
    for i, inc in enumerate(rows):
        if i == 0 and waiting:
            console.print("Waiting for a decision:")
        elif i == waiting and waiting:
            console.print("Others:")
        state = status_text(inc, st.fmt) + (f", {contained[inc.id]}" if inc.id in contained else "")
        line = (
            f"#{inc.id}  {inc.severity.label}  score {inc.score}  {state}  {printable(inc.key)}  "
            f"opened {st.local(inc.opened):%Y-%m-%d %H:%M}, "
            f"last signal {st.local(inc.updated):%Y-%m-%d %H:%M}  {printable(inc.summary())}"
        )
        console.print(Text(line))  # Text: log content is never read as markup
    console.print(Text(st.note))  # "set [site] timezone" is no markup


def _print_grid(
    console: Console, rows: list[Incident], waiting: int, st: ServerTime, contained: dict[int, str]
) -> None:
    """On a terminal: a table as wide as the terminal."""
    table = Table(caption=Text(st.note), collapse_padding=True)
    for name in ("id", "severity", "score"):
        table.add_column(name, no_wrap=True)
    table.add_column("status", min_width=12, max_width=20)
    table.add_column("account / IP", overflow="fold", min_width=12)
    table.add_column("opened\nlast signal", no_wrap=True)
    table.add_column("why", min_width=12, ratio=1, overflow="fold")
    for i, inc in enumerate(rows, 1):
        table.add_row(
            str(inc.id),
            Text(inc.severity.label, style=SEVERITY_STYLES[inc.severity]),
            str(inc.score),
            status_text(inc, st.fmt).replace(", ", "\n")
            + (f"\n{contained[inc.id]}" if inc.id in contained else ""),
            Text(printable(inc.key)),
            f"{st.local(inc.opened):%Y-%m-%d %H:%M}\n{st.local(inc.updated):%Y-%m-%d %H:%M}",
            Text(printable(inc.summary())),
            end_section=i == waiting,
        )
    console.print(table)


def listed(store: Store, query: IncidentQuery, limit: int) -> tuple[list[Incident], int, int]:
    """(the incidents to list, how many of them wait for a decision, how many match).

    The open high and critical ones come first, worst and then newest first, so that
    neither a flood of newer low incidents nor the limit can push one out of sight;
    then the others, newest first.
    """
    status, min_severity, key = query.status, query.min_severity, query.key
    total = store.count_incidents(query)
    cap = limit or total
    waiting: list[Incident] = []
    if status in (None, "open"):
        high = max(min_severity, int(Severity.HIGH))
        waiting = store.incidents(status="open", key=key, min_severity=high, limit=total)
        waiting.sort(key=lambda inc: (inc.severity, inc.updated, inc.id), reverse=True)
        waiting = waiting[:cap]
    pinned = {inc.id for inc in waiting}
    rest = store.incidents(
        status=status, key=key, min_severity=min_severity, limit=cap + len(pinned)
    )
    rows = (waiting + [inc for inc in rest if inc.id not in pinned])[:cap]
    return rows, len(waiting), total


@incidents.command("show")
@incident_argument()
@db_option
@config_option
@output_option("text", "json", help="text for people, json for tools.")
@output_file_option()
@click.pass_context
def show(
    ctx: click.Context,
    incident_id: int,
    db_path: Path | None,
    config_path: Path | None,
    output_format: str,
    output: Path | None,
) -> None:
    """One incident: why, the evidence, what to do now, every decision about it and its
    containment through Kerio's API."""
    parent = ctx.parent.params if ctx.parent is not None else {}
    db_path = db_path or parent.get("db_path")
    config = load(config_path or parent.get("config_path"))
    store = open_store(db_path, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        inc = find(store, incident_id)
        decisions = store.decisions(incident_id)
        contained = incident_actions(store, incident_id)
    finally:
        store.close()
    todo = incident_steps(inc, config, st)
    with open_output(output) as out:
        if output_format == "json":
            data = incident_detail(inc, st.iso, decisions, todo)
            data["containment"] = [r.to_dict(st.iso) for r in contained]
            out.write(json_text(data, indent=2) + "\n")
            return
        render_incident(make_console(out), inc, st, decisions, todo, contained)


COMMANDS = [incidents]
