"""``kerio-watch demo``: simulate a Kerio site with planted hijacks, scan it, show results."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from kerio_watch.alerts.console import JsonLinesPrinter, render_alerts
from kerio_watch.cli.demo_machines import machine_rows
from kerio_watch.cli.hints import invocation
from kerio_watch.cli.options import min_severity_option, output_option
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.cli.scan import print_summary, run_scan
from kerio_watch.pipeline import AlertListener, Pipeline, RunStats
from kerio_watch.severity import Severity
from kerio_watch.sources.files import LogFile
from kerio_watch.store import open_store
from kerio_watch.store.sqlite import db_files
from kerio_watch.values.alert import Alert

if TYPE_CHECKING:
    from kerio_watch.simulate import SimResult


def scenario_table(result: SimResult, db_path: Path) -> Table:
    """Each planted scenario against what kerio-watch raised for its account."""
    store = open_store(db_path, readonly=True)
    try:
        table = Table(title="Planted scenarios", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("planted", no_wrap=True)
        table.add_column("account", no_wrap=True)
        table.add_column("kerio-watch found")
        for sc in result.scenarios:
            start = int(sc.start.timestamp())
            end = int(sc.end.timestamp())
            found = [
                i
                for i in store.incidents(key=sc.account, limit=50)
                if i.updated >= start - 3600 and i.first_signal <= end + 3600
            ]
            alerts = sorted(
                (
                    a
                    for a in store.alerts(since=start - 3600, limit=100000)
                    if a.user == sc.account and a.ts <= end + 3600
                ),
                key=lambda a: a.ts,
            )
            best = max((i.severity for i in found), default=None)
            label = best.label if best is not None else "nothing"
            high = best is not None and best >= Severity.HIGH
            first_high = next((a for a in alerts if a.severity >= Severity.HIGH), None)
            kind = sc.kind.replace("_", " ")
            if sc.malicious:
                planted = f"[red]hijack[/red] {kind}"
                if high and first_high is not None:
                    minutes = max(0, first_high.ts - start) / 60
                    verdict = f"[green]caught ({label})[/green], high after {minutes:.0f} min"
                else:
                    verdict = f"[red]missed ({label})[/red]"
            else:
                planted = f"[cyan]benign[/cyan] {kind}"
                quiet = "quiet" if best is None else f"{label} only"
                verdict = f"[red]false alarm: {label}[/red]" if high else f"[green]{quiet}[/green]"
            table.add_row(planted, sc.account, verdict)
        for row in machine_rows(result, store):  # the simulated firewall log's machines
            table.add_row(*row)
        return table
    finally:
        store.close()


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the demo logs and database (default: a new temp folder).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Simulation seed.")
@click.option("--days", type=int, default=28, show_default=True, help="Days of logs.")
@click.option("--users", type=int, default=40, show_default=True, help="Mailbox accounts.")
@min_severity_option("medium", "Show alerts at or above this severity.")
@output_option(
    "text", "jsonl", help="text for people, jsonl (one JSON object per alert) for tools."
)
@output_file_option("Write the alerts and findings to this file instead of standard output.")
def demo(
    directory: Path | None,
    seed: int,
    days: int,
    users: int,
    min_severity: str,
    output_format: str,
    output: Path | None,
) -> None:
    """Generate a realistic Kerio site's logs with planted hijacks, scan them, show findings.

    The first week is history to learn from; alerts are reported from the second week on.
    """
    from kerio_watch.simulate import SimConfig, simulate  # noqa: PLC0415 (only the demo needs it)

    err = make_console(stderr=True)
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="kerio-watch-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    err.print(
        f"Simulating {days} days of a {users}-account Kerio Connect site in "
        f"{escape(str(directory))} ..."
    )
    sim = SimConfig(seed=seed, days=days, users=users)
    result = simulate(sim, directory)
    err.print(f"  {_planted(result)}")
    db_path = directory / "state.db"
    for stale in db_files(db_path):
        stale.unlink(missing_ok=True)
    since = dt.datetime.combine(sim.start + dt.timedelta(days=7), dt.time()).isoformat()
    floor = Severity.parse(min_severity)
    with open_output(output) as out:
        shown = _scan(directory, db_path, since, floor, output_format, out)
        print_summary(err, *shown[1:], show_unparsed=False)
        if output_format == "jsonl":
            return
        console = make_console(out)
        console.rule(f"Alerts at {floor.label} or above, from {since[:10]}")
        if shown[0]:
            render_alerts(console, shown[0])
        else:
            console.print("No alerts.")
        console.print(scenario_table(result, db_path))
        console.print(next_commands(directory, db_path), soft_wrap=True)


def _scan(
    directory: Path, db_path: Path, since: str, floor: Severity, output_format: str, out: IO[str]
) -> tuple[list[Alert], list[LogFile], RunStats, Pipeline]:
    """Scan the demo's logs; the alerts to show, and what the summary needs."""
    shown: list[Alert] = []

    def collect(alert: Alert, reported: bool) -> None:
        if reported and alert.severity >= floor:
            shown.append(alert)

    listeners: list[AlertListener] = [collect]
    if output_format == "jsonl":
        printer = JsonLinesPrinter(out)
        listeners.append(lambda a, r: printer(a, r and a.severity >= floor))
    config_path = directory / "kerio-watch.toml"
    pipeline, files, stats = run_scan(
        (str(directory),), config_path, db_path, since, sys.stderr.isatty(), listeners
    )
    return shown, files, stats, pipeline


def next_commands(directory: Path, db_path: Path) -> Text:
    """What to run next, spelled the way this kerio-watch was started."""
    me = invocation()
    db = shlex.quote(str(db_path))
    return Text(
        f"\nLogs, configuration and state are in {directory}. Next:\n"
        f"  {me} incidents --db {db} --status open\n"
        f"  {me} incidents show ID --db {db}\n"
        f"  {me} user ACCOUNT --db {db}\n"
        f"  {me} report --db {db} -o report.html\n"
        f"  {me} serve --db {db}"
    )


COMMANDS = [demo]


def _planted(result: SimResult) -> str:
    """What the simulator wrote and planted, in one line (the firewall's log included)."""
    lines = sum(result.lines.values()) + result.firewall_lines
    logs = len(result.files) + (result.firewall_file is not None)
    machines = sum(h.malicious for h in result.hosts)
    hijacks = sum(s.malicious for s in result.scenarios)
    benign = len(result.scenarios) - hijacks + len(result.hosts) - machines
    return (
        f"{lines:,} log lines in {logs} logs; {hijacks} hijacks, "
        f"{machines} machine{'s' if machines != 1 else ''} sending mail around the server and "
        f"{benign} benign look-alikes planted"
    )
