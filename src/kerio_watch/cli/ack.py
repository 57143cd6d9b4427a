"""``kerio-watch ack ID --benign|--resolve|--undo``: decide about an incident, or undo that.

``--benign`` shows exactly what it would teach the account's baseline and asks before
teaching it; on a critical incident it is refused without ``--override-critical``.
Every decision is kept with when, who, why and notes (``kerio-watch incidents show``);
``--undo`` removes exactly what the latest decision taught and reopens the incident. An
incident already benign or resolved is not decided again: undo that decision first.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

import click

from kerio_watch.cli.common import load, open_existing
from kerio_watch.cli.hints import invocation, same_store
from kerio_watch.cli.options import config_option, db_option, incident_argument
from kerio_watch.detect.direct_smtp import KEY_PREFIX as MACHINE_KEY
from kerio_watch.errors import UsageError
from kerio_watch.incidents.ack import (
    AckResult,
    AlreadyDecided,
    CriticalRefused,
    acknowledge,
    preview,
    undecided,
    undo,
)
from kerio_watch.incidents.teach import Lesson, describe
from kerio_watch.severity import Severity
from kerio_watch.store.base import Store
from kerio_watch.textsafe import printable
from kerio_watch.values.incident import Incident

SHOWN_PER_FACT = 10


@dataclass(frozen=True)
class Note:
    """What is recorded with a decision besides the decision itself."""

    why: str
    notes: str
    by: str | None


def login_name() -> str | None:
    """Who runs this command, when the system knows."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return None


def _which(benign: bool, resolve: bool, undo_: bool) -> str:
    chosen = [
        name for name, on in (("benign", benign), ("resolved", resolve), ("undo", undo_)) if on
    ]
    if len(chosen) != 1:
        raise UsageError(
            "say exactly one of --benign, --resolve and --undo"
            + (f" (got {', '.join('--' + c.rstrip('d') for c in chosen)})" if chosen else "")
        )
    return chosen[0]


def _show_lesson(inc: Incident, taught: Lesson) -> None:
    click.echo(
        f"Incident #{inc.id} ({inc.severity.label}, {inc.status}) "
        f"{printable(inc.key)}: {printable(inc.reasons()[0].summary if inc.best else '')}"
    )
    if inc.key.startswith(MACHINE_KEY):
        click.echo(
            "Marking it benign lets this machine speak SMTP to the internet: it is not "
            "reported again ([firewall] allowed_hosts makes that permanent)."
        )
        return
    if inc.key.startswith("ip:"):
        click.echo(
            "Marking it benign closes it and teaches no account anything: an outside "
            "address is no account's own. If it is the site's (an archive, a backup, a "
            "monitor), put it in [site] trusted_networks: it is then never reported again."
        )
        return
    if not taught:
        click.echo("Marking it benign teaches nothing new: what it found is already accepted.")
        return
    click.echo(
        f"Marking it benign teaches kerio-watch that these are normal for {printable(inc.key)}:"
    )
    for line in describe(taught, SHOWN_PER_FACT):
        click.echo(f"  {line}")


def _confirmed(yes: bool) -> bool:
    if yes:
        return True
    try:
        return click.confirm("Teach these and mark the incident benign?", default=False)
    except click.Abort:
        raise UsageError(
            "not confirmed (no answer): add --yes to confirm without being asked"
        ) from None


def _benign(
    store: Store, incident_id: int, yes: bool, override: bool, note: Note
) -> AckResult | None:
    inc = undecided(store, incident_id)
    if inc.severity >= Severity.CRITICAL and not override:  # refused before the lesson
        raise CriticalRefused(
            f"incident {incident_id} is critical: a critical incident is very rarely a false "
            "alarm, and teaching it as normal would blind kerio-watch to the same intruder. "
            "If you have checked with the account's owner, add --override-critical"
        )
    _show_lesson(inc, preview(store, inc))
    if not _confirmed(yes):
        click.echo("Nothing changed.")
        return None
    return acknowledge(
        store, incident_id, "benign", why=note.why, notes=note.notes, by=note.by,
        override_critical=override,
    )  # fmt: skip


def _report(result: AckResult) -> None:
    inc, d = result.incident, result.decision
    who = printable(inc.key)
    if d.decision == "undo":
        click.echo(f"incident {inc.id} ({who}) reopened: decision {d.undoes} undone")
        for line in describe(result.taught):
            click.echo(f"  no longer normal: {line}")
        return
    click.echo(f"incident {inc.id} ({who}) marked {d.decision}")
    for line in describe(result.taught):
        click.echo(f"  learned as normal: {line}")
    click.echo(f"  (undo with: {invocation()} ack {inc.id}{same_store()} --undo)")


@click.command()
@db_option
@config_option
@incident_argument()
@click.option(
    "--benign",
    is_flag=True,
    help="A false alarm: show what it would teach the account's baseline, ask, then teach "
    "it so it does not alert again.",
)
@click.option(
    "--resolve", is_flag=True, help="Handled (password changed, machine cleaned): close it."
)
@click.option(
    "--undo",
    "undo_",
    is_flag=True,
    help="Undo the latest decision: remove exactly what it taught and reopen the incident.",
)
@click.option("--why", default="", help="Why (kept in the decision history).")
@click.option("--note", "notes", default="", help="Notes for the decision history.")
@click.option("--by", help="Who decides (default: your login name).")
@click.option("--yes", "-y", is_flag=True, help="--benign without asking for confirmation.")
@click.option("--override-critical", is_flag=True, help="Allow --benign on a critical incident.")
def ack(
    db_path: Path | None,
    config_path: Path | None,
    incident_id: int,
    benign: bool,
    resolve: bool,
    undo_: bool,
    why: str,
    notes: str,
    by: str | None,
    yes: bool,
    override_critical: bool,
) -> None:
    """Decide about an incident: benign (teaches the baseline), resolved, or undo the
    latest decision. Every decision is kept with when, who, why and notes.

    INCIDENT_ID is the incident's number (`kerio-watch incidents --account ADDRESS`
    lists an account's). The configuration (-c) is read and checked as by every
    command; a decision depends on the database alone.
    """
    decision = _which(benign, resolve, undo_)
    load(config_path)
    if override_critical and decision != "benign":
        raise UsageError("--override-critical goes with --benign only")
    note = Note(why, notes, by or login_name())
    store = open_existing(db_path)
    try:
        result: AckResult | None
        if decision == "undo":
            result = undo(store, incident_id, why=why, notes=notes, by=note.by)
        elif decision == "benign":
            result = _benign(store, incident_id, yes, override_critical, note)
        else:
            result = acknowledge(store, incident_id, decision, why=why, notes=notes, by=note.by)
    except AlreadyDecided as exc:
        raise AlreadyDecided(
            f"{exc}: {invocation()} ack {incident_id}{same_store()} --undo"
        ) from None
    finally:
        store.close()
    if result is not None:
        _report(result)


COMMANDS = [ack]
