"""``kerio-watch db check`` and ``kerio-watch db recover``: a damaged state database.

``check`` reads the database (never waiting for a writer) and gives a verdict: exit 0
when it is sound, 7 when it is damaged or inconsistent (5 when there is none at all).
``recover`` keeps the damaged files as ``<db>.damaged-<time>``, salvages what they still
say (alerts and their deliveries, decisions on incidents, how far processing got) and
what the journal beside the database says, and rebuilds the state by reading the logs
again, as a ``scan`` does. Alerts the sinks already had are recorded but not sent
again; alerts from lines that were never processed are sent. The guarantee and its
limits: docs/service.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kerio_watch.cli.common import existing_db, load
from kerio_watch.cli.options import config_option, db_option, output_option
from kerio_watch.cli.scan import run_scan
from kerio_watch.errors import StoreError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.incidents.ack import acknowledge
from kerio_watch.report.servertime import ServerTime
from kerio_watch.sources.files import discover
from kerio_watch.store import default_db_path, open_store
from kerio_watch.store.diagnose import NEWER_HINT, DatabaseUnusable
from kerio_watch.store.journal import Journal, fingerprint
from kerio_watch.store.lock import WriterLock
from kerio_watch.store.recover import CheckResult, Salvage, check, salvage, set_aside
from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert


@click.group()
def db() -> None:
    """Check or recover the state database."""


@db.command("check")
@db_option
@config_option
@output_option("text", "json", help="text for people, json for monitoring.")
def check_command(db_path: Path | None, config_path: Path | None, output_format: str) -> None:
    """Check the state database: SQLite's integrity check and kerio-watch's own consistency.

    Exit status 0 when it is sound, 7 when it is damaged (then see `kerio-watch db
    recover`) or written by a newer kerio-watch, 5 when there is no database at that
    path. Only reads: safe while
    `kerio-watch follow` runs. The configuration (-c) is read and checked as by every
    command (3 when it is invalid); the verdict is the database's alone.
    """
    load(config_path)
    result = check(existing_db(db_path))  # a mistyped --db is not a damaged database
    if output_format == "json":
        click.echo(json.dumps(_check_json(result), indent=2))
    else:
        _print_check(result)
    sys.exit(int(ExitStatus.OK if result.ok else ExitStatus.DB_UNUSABLE))


def _check_json(result: CheckResult) -> dict[str, object]:
    return {
        "db": str(result.path),
        "ok": result.ok,
        "problems": result.problems,
        "facts": result.facts,
    }


def _print_check(result: CheckResult) -> None:
    facts = ", ".join(f"{k} {v}" for k, v in result.facts.items() if v is not None)
    click.echo(f"{printable(str(result.path))}: {facts}")
    for problem in result.problems:
        click.echo(f"  problem: {printable(problem)}")
    if result.ok:
        click.echo("verdict: ok")
    elif result.newer:
        click.echo(f"verdict: NEWER: {NEWER_HINT}")
    else:
        click.echo(
            "verdict: DAMAGED. Stop kerio-watch follow, then run `kerio-watch db recover` "
            "(it keeps a copy of this file and rebuilds the state from the logs)"
        )


@db.command("recover")
@config_option
@db_option
@click.option(
    "--force",
    is_flag=True,
    help="Rebuild even when the check finds no damage (e.g. a "
    "database poisoned by an older version).",
)
@click.option("--no-sinks", is_flag=True, help="Send nothing, not even alerts the sinks never had.")
@click.argument("paths", nargs=-1)
def recover_command(
    config_path: Path | None,
    db_path: Path | None,
    force: bool,
    no_sinks: bool,
    paths: tuple[str, ...],
) -> None:
    """Rebuild a damaged state database from the logs, without re-sending alerts.

    PATHS are the logs to read again (default: those the last scan or follow read, from
    the journal or the damaged file). Stop `kerio-watch follow` first.
    """
    load(config_path)  # an invalid configuration fails now, before anything is moved
    path = db_path or default_db_path()
    with WriterLock(path, "db recover"):
        result = check(path)
        if result.newer and not force:
            raise DatabaseUnusable(f"{path}: {NEWER_HINT} (--force rebuilds it all the same)")
        if result.ok and not force:
            click.echo(f"{printable(str(path))} is sound: nothing to recover (--force rebuilds)")
            return
        found = salvage(path)
        logs = list(paths) or found.paths
        if not logs:
            raise StoreError(
                f"{path}: which logs should be read again? Give their paths, e.g. "
                "kerio-watch db recover /opt/kerio/mailserver/store/logs"
            )
        discover(logs)  # a missing log path fails now, before anything is moved
        moved = set_aside(path)
        Journal(path).rebuilding()
        for kept in moved:
            click.echo(f"kept the damaged file as {printable(str(kept))}")
        _report_salvage(found)
        _rebuild(found, tuple(logs), config_path, path, no_sinks)


def _report_salvage(found: Salvage) -> None:
    read = ", ".join(
        f"{table} {'unreadable' if n < 0 else n}" for table, n in sorted(found.read.items())
    )
    click.echo(f"salvaged from the damaged file: {read or 'nothing'}")
    click.echo(
        f"alerts recorded before the damage: {len(found.alerts)} "
        f"({len(found.unsent)} still waiting for their sinks: they are sent); "
        f"decisions on incidents: {len(found.decisions)}"
    )


def _rebuild(
    found: Salvage,
    logs: tuple[str, ...],
    config_path: Path | None,
    path: Path,
    no_sinks: bool,
) -> None:
    had = found.had
    upto = found.upto
    held: list[Alert] = []
    sent: list[Alert] = []

    def already_sent(alert: Alert) -> bool:
        if fingerprint(alert.user, alert.rule, alert.ts) in had:
            held.append(alert)
            return True
        if upto is not None and alert.ts <= upto:
            held.append(alert)  # the old state judged these lines and did not alert
            return True
        sent.append(alert)
        return False

    delivery: list[str] | None = None if no_sinks else []
    _pipeline, _files, stats = run_scan(
        logs, config_path, path, None, False, None, delivery, already_sent, locked=True
    )
    acked = _reapply(path, found, config_path)
    click.echo(
        f"rebuilt from {stats.records:,} lines: {stats.alerts} alerts, {len(held)} of them "
        f"already raised before the damage (not sent again), {len(sent)} new "
        f"({'not sent: --no-sinks' if no_sinks else 'sent to the sinks'}); "
        f"decisions re-applied: {acked}"
    )
    for line in delivery or []:
        click.echo(line)


def _reapply(path: Path, found: Salvage, config_path: Path | None) -> int:
    """Decisions on incidents, found again by their account and opening time.

    A rebuilt incident with signals after the decided one's last is left open and named:
    the rebuild read on past the decision, so later activity (the same account hijacked
    again) joined it instead of opening an incident of its own, and deciding it again
    would hide that.
    """
    if not found.decisions:
        return 0
    store = open_store(path)
    done = 0
    try:
        st = ServerTime.for_store(load(config_path), store)
        for inc in store.incidents(limit=1_000_000):
            decision = found.decisions.get((inc.key, inc.opened))
            if decision not in ("benign", "resolved") or inc.status not in ("open", "closed"):
                continue
            last = found.decided_upto.get((inc.key, inc.opened))
            if last is not None and inc.updated > last:
                click.echo(
                    f"decision not re-applied: incident {inc.id} ({printable(inc.key)}, "
                    f"{inc.severity.label}) was {decision} with its last signal at "
                    f"{st.fmt(last)}; rebuilt, it has signals until {st.fmt(inc.updated)}: "
                    f"it stays {inc.status}, decide again: kerio-watch incidents show {inc.id}"
                )
                continue
            acknowledge(store, inc.id, decision, by="db recover", override_critical=True)
            done += 1
    finally:
        store.close()
    return done


COMMANDS = [db]
