"""``kerio-watch release`` and ``kerio-watch actions``: containment through Kerio's API."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from kerio_watch.cli.common import load
from kerio_watch.cli.options import config_option, db_option, output_option
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.errors import ConfigError, KerioWatchError
from kerio_watch.incidents.ack import find
from kerio_watch.report.servertime import ServerTime
from kerio_watch.respond.contain import Containment
from kerio_watch.respond.views import action_summary, print_actions
from kerio_watch.respond.worker import connect
from kerio_watch.store import open_store
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.textsafe import json_text
from kerio_watch.timebase import Timebase


@click.command()
@db_option
@config_option
@click.argument("incident_id", type=int)
@click.option("--reason", default="", help="Why (recorded with the release).")
def release(db_path: Path | None, config_path: Path | None, incident_id: int, reason: str) -> None:
    """Undo an incident's containment through Kerio's API: let the account send again and
    take the attacker's address out of the IP address group.

    Messages removed from the queue cannot be put back. Safe to run while `kerio-watch
    follow` runs: each action is released once.
    """
    config = load(config_path)
    api = config.kerio_api
    if not api.enabled:
        raise ConfigError([f"{config.source}: kerio_api.server: release needs the API"])
    store = open_store(db_path)
    try:
        journal = ResponseStore(store)
        if not journal.actions(incident_id=incident_id):
            find(store, incident_id)  # no such incident: a usage error, as everywhere
            raise KerioWatchError(f"incident {incident_id} has no containment to release")
        client = connect(api)
        to_utc = Timebase(config.site.zone()).to_utc
        containment = Containment(config, journal, lambda: client, to_utc)
        who = f"{getpass.getuser()} (kerio-watch release)"
        records = containment.release_incident(incident_id, who, reason)
        client.logout()
    finally:
        store.close()
    if not records:
        click.echo(f"incident {incident_id}: nothing in effect to release")
    for r in records:
        click.echo(f"incident {incident_id}: {action_summary(r)}")
    if any(r.status == "release_failed" for r in records):
        sys.exit(1)


@click.command()
@db_option
@config_option
@click.argument("incident_id", type=int, required=False)
@output_option("text", "jsonl", help="A table for people or JSON lines for tools.")
@output_file_option()
def actions(
    db_path: Path | None,
    config_path: Path | None,
    incident_id: int | None,
    output_format: str,
    output: Path | None,
) -> None:
    """The containment journal: every action through Kerio's API (or its dry run), when,
    why, the exact calls and the API's answers, and whether it was released.

    JSON times are in ISO 8601 on the server's clock, like every JSON output."""
    config = load(config_path)
    store = open_store(db_path, readonly=True)
    try:
        records = ResponseStore(store).actions(incident_id=incident_id)
        st = ServerTime.for_store(config, store)
    finally:
        store.close()
    with open_output(output) as out:
        if output_format == "jsonl":
            for r in records:
                out.write(json_text(r.to_dict(st.iso)) + "\n")
            return
        console = make_console(out)
        if not records:
            console.print("No containment actions." if incident_id is None else
                          f"No containment actions for incident {incident_id}.")  # fmt: skip
            return
        print_actions(console, records)


COMMANDS = [release, actions]
