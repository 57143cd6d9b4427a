"""``kerio-watch contain``, ``release`` and ``actions``: containment through Kerio's API."""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kerio_watch.cli.common import config_problem, load
from kerio_watch.cli.options import config_option, db_option, incident_argument, output_option
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.errors import UsageError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.incidents.ack import find
from kerio_watch.log import configure_logging
from kerio_watch.report.servertime import ServerTime
from kerio_watch.respond.client import ApiError
from kerio_watch.respond.contain import Containment
from kerio_watch.respond.views import action_summary, print_actions
from kerio_watch.respond.worker import manual_containment
from kerio_watch.settings.kerio_api import ACTIONS
from kerio_watch.store import open_store
from kerio_watch.store.base import Store
from kerio_watch.store.sqlite.responses import ActionRecord, ResponseStore
from kerio_watch.textsafe import json_text


@click.command()
@db_option
@config_option
@incident_argument()
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
    help="Only record the calls, or make them; default: [kerio_api.contain] dry_run. A "
    "dry run needs the API too: it looks up the account, its queued messages and the "
    "address group to record the exact calls.",
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
    chosen = tuple(a for a in ACTIONS if a in wanted) if wanted else ACTIONS
    with _session(config_path, db_path, "contain") as (store, containment, who):
        inc = find(store, incident_id)
        if not inc.user:
            raise UsageError(f"incident {incident_id} is not about an account: nothing to contain")
        if dry_run is not None:
            containment.dry_run = dry_run
        try:
            records = containment.contain_now(inc, chosen, who, reason)
        except ApiError as exc:
            raise _not_contained(exc, containment.dry_run) from None
    _report(incident_id, records, f"already contained ({', '.join(chosen)})", CONTAIN_FAILED)


@click.command()
@db_option
@config_option
@incident_argument()
@click.option("--reason", default="", help="Why (recorded with the release).")
def release(db_path: Path | None, config_path: Path | None, incident_id: int, reason: str) -> None:
    """Undo an incident's containment through Kerio's API: let the account send again and
    take the attacker's address out of the IP address group.

    Messages removed from the queue cannot be put back. Safe to run while `kerio-watch
    follow` runs: each action is released once.
    """
    with _session(config_path, db_path, "release") as (store, containment, who):
        if not containment.journal.actions(incident_id=incident_id):
            find(store, incident_id)  # no such incident: a usage error, as everywhere
            raise UsageError(f"incident {incident_id} has no containment to release")
        records = containment.release_incident(incident_id, who, reason)
    _report(incident_id, records, "nothing in effect to release", ("release_failed",))


def _not_contained(exc: ApiError, dry_run: bool) -> ApiError:
    """Kerio's API failed while the actions were planned: nothing was done or recorded."""
    if dry_run:
        outcome = (
            "nothing was recorded (a dry run needs the API too: it looks up the account, "
            "its queued messages and the address group to record the exact calls)"
        )
    else:
        outcome = "nothing was contained"
    return ApiError(exc.kind, f"Kerio's API cannot be used: {exc}; {outcome}")


CONTAIN_FAILED = ("failed", "unknown", "pending")
"""Statuses of a containment action that did not take effect (exit status 5: Kerio's
API refused or did not confirm it)."""


@contextmanager
def _session(
    config_path: Path | None, db_path: Path | None, command: str
) -> Iterator[tuple[Store, Containment, str]]:
    """The state database, a containment over Kerio's API, and who acts, for one command.

    What the containment logs (each dry-run call, each skip) goes to stderr as follow's
    log does, ``key=value`` lines at level warning and above (else Python printed the
    bare event names)."""
    configure_logging(sys.stderr, level=logging.WARNING)
    config = load(config_path)
    api = config.kerio_api
    if not api.enabled:
        raise config_problem(config, f"kerio_api.server: {command} needs the API")
    store = open_store(db_path)
    try:
        with manual_containment(config, store) as containment:
            yield store, containment, f"{getpass.getuser()} (kerio-watch {command})"
    finally:
        store.close()


def _report(incident_id: int, records: list[ActionRecord], none: str, bad: tuple[str, ...]) -> None:
    """Each action in words (``none`` when there was nothing to do); exit 5 when one did
    not take effect (the API refused it or did not confirm it: a service that cannot be
    used, not an unexpected error)."""
    if not records:
        click.echo(f"incident {incident_id}: {none}")
    for r in records:
        click.echo(f"incident {incident_id}: {action_summary(r)}")
    if any(r.status in bad for r in records):
        sys.exit(int(ExitStatus.INPUT_ERROR))


@click.command()
@db_option
@config_option
@incident_argument(required=False)
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
