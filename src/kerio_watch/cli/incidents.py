"""``kerio-watch incidents`` and ``kerio-watch ack``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kerio_watch.alerts.console import SEVERITY_STYLES, safe
from kerio_watch.cli.common import load
from kerio_watch.cli.options import config_option, db_option, min_severity_option, output_option
from kerio_watch.incidents.ack import acknowledge
from kerio_watch.report.servertime import ServerTime
from kerio_watch.respond.views import containment_states
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.textsafe import json_text, printable


@click.command()
@db_option
@config_option
@click.option(
    "--status",
    type=click.Choice(["open", "closed", "benign", "resolved", "all"]),
    default="all",
    show_default=True,
    help="Which incidents.",
)
@min_severity_option("info", "Only incidents at or above this severity.")
@output_option("text", "jsonl", help="A table for people or JSON lines for tools.")
@click.option(
    "--limit", type=int, default=100, show_default=True, help="At most this many, newest first."
)
def incidents(
    db_path: Path | None,
    config_path: Path | None,
    status: str,
    min_severity: str,
    output_format: str,
    limit: int,
) -> None:
    """List incidents from the state database, newest first.

    Times are on the server's clock, as in alerts, reports and the dashboard.
    """
    config = load(config_path)
    store = open_store(db_path, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        rows = store.incidents(
            status=None if status == "all" else status,
            min_severity=int(Severity.parse(min_severity)),
            limit=limit,
        )
        contained = containment_states(store)
    finally:
        store.close()
    out = sys.stdout
    if output_format == "jsonl":
        for inc in rows:
            data = {**inc.to_dict(), "containment": contained.get(inc.id)}
            out.write(json_text(data) + "\n")
        return
    console = Console(file=out, highlight=False)
    if not rows:
        console.print("No incidents.")
        return
    table = Table(caption=Text(st.note), collapse_padding=True)
    for name in ("id", "severity", "score", "status"):
        table.add_column(name, no_wrap=True)
    table.add_column("account / IP", overflow="fold", min_width=12)
    table.add_column("opened\nlast signal", no_wrap=True)
    table.add_column("why", min_width=12, ratio=1)
    for inc in rows:
        table.add_row(
            str(inc.id),
            f"[{SEVERITY_STYLES[inc.severity]}]{inc.severity.label}[/]",
            str(inc.score),
            inc.status + (f"\n{contained[inc.id]}" if inc.id in contained else ""),
            safe(inc.key),
            f"{st.local(inc.opened):%Y-%m-%d %H:%M}\n{st.local(inc.updated):%Y-%m-%d %H:%M}",
            safe(inc.summary()[:160]),
        )
    console.print(table)


@click.command()
@db_option
@click.argument("incident_id", type=int)
@click.option(
    "--benign",
    "decision",
    flag_value="benign",
    help="A false alarm: teach the account's baseline so it does not alert again.",
)
@click.option(
    "--resolve",
    "decision",
    flag_value="resolved",
    help="Handled (password changed, machine cleaned): close it.",
)
def ack(db_path: Path | None, incident_id: int, decision: str | None) -> None:
    """Acknowledge an incident as benign (teaches the baseline) or resolved."""
    if decision is None:
        raise click.UsageError("say --benign or --resolve")
    store = open_store(db_path)
    try:
        result = acknowledge(store, incident_id, decision)
    finally:
        store.close()
    click.echo(f"incident {incident_id} ({printable(result.incident.key)}) marked {decision}")
    for line in result.taught:
        click.echo(f"  learned as normal: {printable(line)}")


COMMANDS = [incidents, ack]
