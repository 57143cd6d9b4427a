"""``kerio-watch scan``: read logs once, detect, print alerts."""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from kerio_watch.alerts.console import quoted, render_alerts, safe
from kerio_watch.alerts.router import delivery_report
from kerio_watch.cli.common import find_logs, load, make_timebase, parse_time
from kerio_watch.cli.options import (
    config_option,
    db_option,
    format_option,
    min_severity_option,
    severity_choice,
)
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.cli.stopping import (
    SavedPrinter,
    continue_scan,
    print_continued,
    print_went_on,
    stop_on_signals,
    what_was_kept,
)
from kerio_watch.errors import Interrupted, SourceError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.gcpace import paced_collection
from kerio_watch.native.reader import scan_records
from kerio_watch.pipeline import AlertListener, Pipeline, RunStats
from kerio_watch.pipeline.autosave import DEFAULT_SECONDS, NOT_SAVED, Autosave
from kerio_watch.pipeline.runner import Run, Wiring, build
from kerio_watch.pipeline.timeguard import LISTED, Doubt
from kerio_watch.severity import Severity
from kerio_watch.sources.files import MAX_LINE, UNPARSED_SAMPLES, LogFile
from kerio_watch.sources.logfile import NOT_KERIO, NOT_KERIO_HINT
from kerio_watch.store import Store, default_db_path, open_store
from kerio_watch.store.base import FOLLOW_META
from kerio_watch.store.journal import Journal
from kerio_watch.store.lock import WriterLock
from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert


def _run(pipeline: Pipeline, files: list[LogFile], show_progress: bool) -> RunStats:
    """Run the pipeline over every record of ``files`` (collection paced: gcpace)."""
    records = scan_records(files, pipeline)
    if show_progress:
        from kerio_watch.cli.progress import run_with_bar  # noqa: PLC0415 (a terminal only)

        return run_with_bar(pipeline, records, files)
    with paced_collection():
        return pipeline.run(records)


def run_scan(
    paths: tuple[str, ...],
    config_path: Path | None,
    db_path: Path | None,
    since: str | None,
    show_progress: bool,
    listeners: Sequence[AlertListener] | None = None,
    delivery: list[str] | None = None,
    already_sent: Callable[[Alert], bool] | None = None,
    locked: bool = False,
    autosave: Autosave | None = None,
    on_commit: Sequence[Callable[[], None]] = (),
) -> tuple[Pipeline, list[LogFile], RunStats]:
    """Shared by ``scan``, ``demo`` and ``db recover``: discover, run the pipeline, save.

    With a ``delivery`` list, reported alerts also go to the configured ``[[sinks]]``
    (queued in the save's transaction, sent after it) and one line per sink is
    appended to the list. The database's writer lock is held throughout
    (:mod:`kerio_watch.store.lock`; ``locked``: the caller holds it): a scan never runs
    beside a follower. ``already_sent`` alerts are recorded but not reported. With
    ``autosave``, the scan saves checkpoints as it goes, and SIGINT or SIGTERM stop it
    at the next safe point after one (:mod:`kerio_watch.pipeline.autosave`).
    ``on_commit``: called after each save's transaction commits.
    """
    config = load(config_path)
    files = find_logs(paths)
    db = db_path or default_db_path()
    with contextlib.nullcontext() if locked else WriterLock(db, "scan"):
        if paths and "-" not in paths:
            Journal(db).run("scan", [str(Path(p).absolute()) for p in paths])
        store = open_store(db)
        try:
            timebase = make_timebase(config, files, store)
            since_ts = parse_time(since, timebase) if since else None
            wiring = Wiring(
                since=since_ts,
                listeners=listeners or [],
                sinks=delivery is not None,
                already_sent=already_sent,
            )
            run = build(config, store, timebase, wiring)
            run.pipeline.on_save.append(partial(_hand_over, run.pipeline))
            run.pipeline.on_commit.extend(on_commit)
            if autosave is not None:
                continue_scan(run.pipeline, autosave, paths, files)
        except BaseException as exc:
            store.close()
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted(autosave.kept() if autosave else NOT_SAVED) from exc
            raise
        return _scan(run, files, show_progress, delivery)


def _hand_over(pipeline: Pipeline, store: Store) -> None:
    """In the save's transaction: on a database a follower has used, the lines this
    scan processed are skipped by the follower's next start, as those of a scan before
    its first start are (it resumes at its own positions, which know nothing of them:
    a scan while the service was stopped had its lines counted twice)."""
    if store.get_meta(FOLLOW_META + "initialized") is None or not pipeline.stats.events:
        return  # no follower yet, or nothing new: its own positions say it all
    store.set_meta(FOLLOW_META + "scan_marks", json.dumps(pipeline.watermarks.merged()))


def _scan(
    run: Run, files: list[LogFile], show_progress: bool, delivery: list[str] | None
) -> tuple[Pipeline, list[LogFile], RunStats]:
    pipeline, router = run.pipeline, run.router
    store = pipeline.store
    autosave = pipeline.autosave
    queued = "; alerts not yet sent to the sinks stay queued" if router is not None else ""
    try:
        with stop_on_signals(autosave):
            before = router.health() if router is not None else []
            stats = _run(pipeline, files, show_progress)
            with paced_collection():  # with the run's heap in view, a save's passes are slow
                pipeline.save()
            if router is not None and delivery is not None:
                router.deliver_pending()
                router.close()
                delivery.extend(delivery_report(before, router.health()))
    except KeyboardInterrupt as exc:
        raise Interrupted(what_was_kept(pipeline, exc) + queued) from exc
    finally:
        if router is not None:
            router.close()
        store.close()
    if autosave is not None and autosave.stop:  # asked to stop after the last line
        raise Interrupted(f"it had read every line and its results were saved{queued}")
    return pipeline, files, stats


def print_summary(
    console: Console, files: list[LogFile], stats: RunStats, pipeline: Pipeline, show_unparsed: bool
) -> None:
    """The per-run summary on stderr. A listing cut short says how many it left out and
    how to see them."""
    for f in files:
        if f.copy_of is not None:
            console.print(
                f"[dim]{safe(f.path)} ({f.log or 'mixed'}): a copy of {safe(f.copy_of)} "
                "(its lines are there): not read, so not counted twice[/dim]",
                highlight=False,
            )
            continue
        kinds = ", ".join(f"{n:,} {k}" for k, n in f.events.most_common())
        extra = f", {f.unparsed_total:,} unparsed" if f.unparsed_total else ""
        doubts = pipeline.guard.by_path.get(f.path)
        extra += f", {doubts:,} with an implausible time" if doubts else ""
        dec = f", {f.decode_errors:,} not UTF-8" if f.decode_errors else ""
        dec += f", {f.cut_lines:,} cut at {MAX_LINE:,} characters" if f.cut_lines else ""
        dec += ", its lines end in CR alone (read as if in LF)" if f.cr_only else ""
        if f.passed_over:
            dec += f", {f.passed_over:,} the other files hold (read there, not counted twice)"
        console.print(
            f"[dim]{safe(f.path)} ({f.log or 'mixed'}): {f.lines:,} lines"
            f"{': ' + kinds if kinds else ''}{extra}{dec}[/dim]",
            highlight=False,
        )
        for reason in f.unparsed:
            if reason.startswith("read error: "):  # a damaged or unfinished archive
                console.print(
                    f"  [yellow]{safe(f.path)}: {safe(reason)}: the rest of it was not "
                    "read (damaged, or copied before it was complete?)[/yellow]",
                    highlight=False,
                )
        if f.not_kerio:
            console.print(f"  [yellow]{safe(f.path)}: {safe(NOT_KERIO)}[/yellow]", highlight=False)
        if show_unparsed:
            _print_unparsed(console, f)
    if not show_unparsed and any(f.unparsed_total for f in files):
        console.print("[dim](--show-unparsed lists the unparsed lines)[/dim]")
    console.print(f"[dim]{escape(pipeline.timebase.describe())}[/dim]", highlight=False)
    doubt = pipeline.timebase.doubt()
    if doubt:
        console.print(f"[yellow]{escape(doubt)}[/yellow]", highlight=False)
    if stats.implausible:
        _print_implausible(console, stats.implausible, pipeline.guard.found, show_unparsed)
    if stats.already_seen:
        console.print(
            f"[dim]{stats.already_seen:,} lines were already processed by an earlier "
            "run and were skipped[/dim]"
        )
    print_continued(console, pipeline.autosave)
    print_went_on(console, pipeline.positions)
    console.print(
        f"[dim]{stats.alerts} alerts ({stats.reported} reported), "
        f"{open_incidents(pipeline)}, state in {safe(str(pipeline.store.path))}[/dim]"
    )


def _print_unparsed(console: Console, f: LogFile) -> None:
    """A file's unparsed lines (the first :data:`UNPARSED_SAMPLES` are kept)."""
    for u in f.unparsed_samples:
        console.print(
            f"  [yellow]unparsed[/yellow] line {u.lineno}: {safe(u.reason)}: "
            f"{escape(quoted(u.raw, console.is_terminal))}",
            highlight=False,
        )
    rest = f.unparsed_total - len(f.unparsed_samples)
    if rest > 0:
        console.print(
            f"  ... and {rest:,} more unparsed, not kept (the first {UNPARSED_SAMPLES:,} "
            "of a file are; kerio-watch parse FILE counts them by reason)",
            highlight=False,
        )


def _print_implausible(
    console: Console, total: int, found: Sequence[Doubt], show_unparsed: bool
) -> None:
    """The lines set aside for their time: three, or with --show-unparsed every one kept."""
    lines = (
        "1 line had an implausible time and was"
        if total == 1
        else (f"{total:,} lines had an implausible time and were")
    )
    console.print(
        f"[yellow]{lines} set aside: "
        "not processed, so they move no watermark, pruning or report period "
        "(a clock glitch or a damaged line; see \\[state] future_hours)[/yellow]"
    )
    listed = found if show_unparsed else found[:3]
    for d in listed:
        console.print(
            f"  [yellow]implausible[/yellow] {safe(d.path)} line {d.lineno}: {safe(d.reason)}: "
            f"{escape(quoted(d.raw, console.is_terminal))}",
            highlight=False,
        )
    rest = total - len(listed)
    if rest <= 0:
        return
    if show_unparsed:
        how = f"not kept (the first {LISTED:,} of a run are)"
    elif total <= len(found):
        how = "(--show-unparsed lists them all)"
    else:
        how = f"(--show-unparsed lists the first {len(found):,})"
    console.print(f"  ... and {rest:,} more {how}", highlight=False)


def open_incidents(pipeline: Pipeline) -> str:
    """``7 open incidents (4 critical, 1 high, 2 low)``."""
    counts = Counter(inc.severity for inc in pipeline.engine.open.values())
    total = sum(counts.values())
    if not total:
        return "no open incidents"
    parts = ", ".join(f"{counts[s]} {s.label}" for s in sorted(counts, reverse=True))
    return f"{total} open incident{'s' if total != 1 else ''} ({parts})"


@click.command()
@config_option
@db_option
@format_option
@click.option(
    "--since",
    help="Report only alerts at or after this log time (ISO 8601; "
    "without an offset, the server's local time). Earlier lines are still read.",
)
@click.option(
    "--fail-on",
    type=severity_choice(),
    help="Exit with status 4 if any reported alert is at or above this severity.",
)
@click.option(
    "--show-unparsed",
    is_flag=True,
    help="List the lines no parser understood and those set aside for an implausible time.",
)
@click.option(
    "--no-sinks",
    is_flag=True,
    help="Do not deliver alerts to the [[sinks]] of the configuration (they are still stored).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
)
@click.option(
    "--checkpoint-every",
    type=click.FloatRange(min=0),
    default=DEFAULT_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="Save what the scan has done so far this often (0: no checkpoint while it runs; "
    "Ctrl-C or SIGTERM still saves at the next safe point); an interrupted scan run "
    "again continues from where it was saved.",
)
@min_severity_option(
    "medium",
    "Print alerts at or above this severity (alerts start at medium: low incidents are "
    "kept without an alert; --fail-on and [[sinks]] see every alert).",
)
@output_file_option("Write the alerts to this file instead of standard output.")
@click.argument("paths", nargs=-1)
def scan(
    config_path: Path | None,
    db_path: Path | None,
    output_format: str,
    since: str | None,
    fail_on: str | None,
    show_unparsed: bool,
    no_sinks: bool,
    progress: bool | None,
    checkpoint_every: float,
    min_severity: str,
    output: Path | None,
    paths: tuple[str, ...],
) -> None:
    """Read Kerio logs (files, a log directory, or - for stdin) and report suspicious accounts.

    Example: kerio-watch scan /opt/kerio/mailserver/store/logs
    """
    floor = Severity.parse(min_severity)
    reported: list[Alert] = []

    def collect(alert: Alert, is_reported: bool) -> None:
        if is_reported:
            reported.append(alert)

    with open_output(output) as stdout:
        listeners: list[AlertListener] = [collect]
        printer = SavedPrinter(stdout, floor)
        if output_format == "jsonl":
            listeners.append(printer)
        show = progress if progress is not None else sys.stderr.isatty()
        delivery: list[str] | None = None if no_sinks else []
        run = (paths, config_path, db_path, since, show, listeners, delivery)
        saving = Autosave(checkpoint_every)
        pipeline, files, stats = run_scan(*run, autosave=saving, on_commit=[printer.committed])
        shown = [a for a in reported if a.severity >= floor]
        if output_format == "text":
            console = make_console(stdout)
            if shown:
                render_alerts(console, shown)
            else:
                console.print(
                    "No alerts." if not reported else f"No alerts at {floor.label} or above."
                )
    err = make_console(stderr=True)
    print_summary(err, files, stats, pipeline, show_unparsed)
    hidden = len(reported) - len(shown)
    if hidden:
        err.print(f"[dim]{hidden} alerts below {floor.label} not shown (--min-severity)[/dim]")
    for line in delivery or []:
        click.echo(line, err=True)
    originals = [f for f in files if f.copy_of is None]
    if originals and all(f.not_kerio for f in originals):
        read = ", ".join(f.path for f in originals)
        raise SourceError(f"no Kerio Connect log lines in {printable(read)} ({NOT_KERIO_HINT})")
    if fail_on and any(a.severity >= Severity.parse(fail_on) for a in reported):
        sys.exit(int(ExitStatus.FINDINGS))


COMMANDS = [scan]
