"""``kerio-watch contain``, ``release`` and ``actions``: containment through Kerio's API."""

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
from kerio_watch.settings.kerio_api import ACTIONS
from kerio_watch.store import open_store
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.textsafe import json_text
from kerio_watch.timebase import Timebase


@click.command()
@db_option
@config_option
@click.argument("incident_id", type=int)
@click.option(
    "--action",
    "wanted",
    type=click.Choice(ACTIONS),
    multiple=True,
    help="An action to take (repeat for several); default: all three, in this order: "
    "stop_sending, remove_queued, block_ip.",
)
@click.option(
    "--dry-run/--no-dry-run",
    default=None,
    help="Only record the calls, or make them; default: [kerio_api.contain] dry_run.",
)
@click.option("--reason", default="", help="Why (recorded with the actions).")
def contain(
    db_path: Path | None,
    config_path: Path | None,
    incident_id: int,
    wanted: tuple[str, ...],
    dry_run: bool | None,
    reason: str,
) -> None:
    """Contain an incident's account now through Kerio's API, whatever its severity:
    stop it sending, remove its queued messages, block the attacker's address.

    For an incident below the severities [kerio_api.contain] actions lists, or one
    that was only a dry run. Accounts in allow_accounts and the API's own account are
    never contained. Each action is taken once (an action in effect is not repeated);
    `kerio-watch release` undoes them. Safe to run while `kerio-watch follow` runs.
    """
    config = load(config_path)
    api = config.kerio_api
    if not api.enabled:
        raise ConfigError([f"{config.source}: kerio_api.server: contain needs the API"])
    store = open_store(db_path)
    try:
        inc = find(store, incident_id)
        if not inc.user:
            raise KerioWatchError(f"incident {incident_id} is not about an account")
        client = connect(api)
        to_utc = Timebase(config.site.zone()).to_utc
        containment = Containment(config, ResponseStore(store), lambda: client, to_utc)
        if dry_run is not None:
            containment.dry_run = dry_run
        who = f"{getpass.getuser()} (kerio-watch contain)"
        chosen = tuple(a for a in ACTIONS if a in wanted) if wanted else ACTIONS
        records = containment.contain_now(inc, chosen, who, reason)
        client.logout()
    finally:
        store.close()
    if not records:
        click.echo(f"incident {incident_id}: already contained ({', '.join(chosen)})")
    for r in records:
        click.echo(f"incident {incident_id}: {action_summary(r)}")
    if any(r.status in ("failed", "unknown", "pending") for r in records):
        sys.exit(1)


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


COMMANDS = [contain, release, actions]
