"""``kerio-watch follow`` (the service) and ``kerio-watch status`` (how it is doing)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from kerio_watch import native
from kerio_watch.alerts.console import alert_json, render_alerts
from kerio_watch.alerts.router import Router
from kerio_watch.cli.common import load
from kerio_watch.cli.options import (
    config_option,
    db_option,
    deprecated_option,
    format_option,
    min_severity_option,
    output_option,
    poll_options,
)
from kerio_watch.cli.output import make_console, open_output, output_file_option
from kerio_watch.cli.status_text import print_status
from kerio_watch.config import Config
from kerio_watch.errors import ConfigError, UsageError
from kerio_watch.report.servertime import ServerTime
from kerio_watch.respond.views import api_status
from kerio_watch.service import (
    META_PREFIX,
    FollowService,
    ServiceOptions,
    Totals,
    configure_logging,
    follower_running,
)
from kerio_watch.severity import Severity
from kerio_watch.sources.follow import FollowOptions
from kerio_watch.store import default_db_path, open_store
from kerio_watch.store.base import Store
from kerio_watch.store.lock import lock_holder
from kerio_watch.store.sqlite import db_stat
from kerio_watch.textsafe import json_text
from kerio_watch.values.alert import Alert
from kerio_watch.values.checkpoint import FileCheckpoint


@click.command()
@config_option
@db_option
@format_option
@poll_options
@click.option(
    "--backfill/--no-backfill",
    default=True,
    show_default=True,
    help="On the first start, read what the logs already hold (else start at their end). "
    "Later starts always resume where the last one stopped.",
)
@click.option(
    "--service-log",
    type=click.Choice(["kv", "json"]),
    default="kv",
    show_default=True,
    help="How follow logs what it does on stderr: key=value or JSON lines.",
)
@deprecated_option("--log-format", type=click.Choice(["kv", "json"]), replacement="--service-log")
@min_severity_option(
    "medium",
    "Print alerts at or above this severity (alerts start at medium; [[sinks]] have "
    "their own min_severity).",
)
@output_file_option("Append the alerts to this file instead of printing them.")
@click.option("--verbose", "-v", is_flag=True, help="Log every checkpoint (batches) too.")
@click.option(
    "--give-up-after",
    type=click.FloatRange(min=1),
    default=600,
    show_default=True,
    help="Exit with status 7 when the state database cannot be written for this many "
    "seconds (a full disk...), so that the supervisor restarts the service; a damaged "
    "database gives up within seconds.",
)
@click.argument("paths", nargs=-1, required=True)
@click.pass_context
def follow(
    ctx: click.Context,
    config_path: Path | None,
    db_path: Path | None,
    output_format: str,
    poll: float,
    order_wait: float,
    backfill: bool,
    service_log: str,
    log_format: str | None,
    min_severity: str,
    output: Path | None,
    verbose: bool,
    give_up_after: float,
    paths: tuple[str, ...],
) -> None:
    """Follow Kerio's live logs (a log directory or files) and report alerts as they happen.

    Survives log rotation and restarts: positions are saved with the state, so every
    line counts once. Alerts go to stdout and the configured [[sinks]]; what it is doing
    goes to stderr. SIGHUP reloads the configuration; SIGTERM stops cleanly.

    Example: kerio-watch follow --db /var/lib/kerio-watch/state.db
    /opt/kerio/mailserver/store/logs
    """
    if sys.platform == "win32":
        raise UsageError(
            "follow runs on Linux, macOS and the BSDs; on Windows, run "
            "`kerio-watch scan` on a schedule (it skips what it read before)"
        )
    debug = bool(ctx.obj and ctx.obj.get("debug"))
    style = log_format or service_log
    configure_logging(sys.stderr, as_json=style == "json", level=10 if verbose or debug else 20)
    floor = Severity.parse(min_severity)
    with open_output(output, append=True) as stdout:
        console = make_console(stdout)

        def show(alert: Alert) -> None:
            if alert.severity < floor:
                return
            if output_format == "jsonl":
                stdout.write(alert_json(alert) + "\n")
            else:
                render_alerts(console, [alert])
            stdout.flush()

        options = ServiceOptions(
            poll=poll,
            give_up_after=give_up_after,
            follow=FollowOptions(backfill=backfill, order_wait=order_wait),
        )
        service = FollowService(paths, config_path, db_path or default_db_path(), show, options)
        service.install_signals()
        code = service.run()
    sys.exit(code)


@click.command()
@db_option
@config_option
@output_option("text", "json", help="text for people, json for monitoring.")
@output_file_option()
def status(
    db_path: Path | None, config_path: Path | None, output_format: str, output: Path | None
) -> None:
    """How the follower is doing: files and lag, last event, checkpoints, incidents, sinks.

    Works whether `kerio-watch follow` is running or not (it only reads the database).
    """
    config = _config(config_path)
    path = db_path or default_db_path()
    store = open_store(path, readonly=True)
    try:
        report = status_report(store, path, config)
        st = ServerTime.for_store(config or Config(), store)
    finally:
        store.close()
    with open_output(output) as out:
        if output_format == "json":
            data = {**report, "kerio_api": _api_json(report["kerio_api"], st)}
            out.write(json_text(data, indent=2) + "\n")
        else:
            print_status(make_console(out), report)


def status_report(store: Store, db_path: Path, config: Config | None) -> dict[str, Any]:
    """Everything ``status`` shows, as plain data (``config`` None: it cannot be loaded)."""
    meta = {
        key: store.get_meta(META_PREFIX + key)
        for key in ("heartbeat", "checkpoint_at", "last_event", "pid", "paths", "stats", "skipped")
    }
    running, pid = follower_running(db_path)
    held, writer_pid, role = lock_holder(db_path)
    st = ServerTime.for_store(config or Config(), store)
    heartbeat = _on_server_clock(meta["heartbeat"], st)
    age = None
    if heartbeat:
        with_tz = dt.datetime.fromisoformat(heartbeat)
        age = round((dt.datetime.now(dt.UTC) - with_tz).total_seconds(), 1)
    files = [_file_status(cp) for cp in store.follow_checkpoints() if not cp.gone]
    files.sort(key=lambda f: f["path"])
    by_severity = Counter(inc.severity.label for inc in store.open_incidents())
    totals = Totals.from_json(meta["stats"])
    span = store.activity_span()
    return {
        "db": str(db_path),
        "db_bytes": sum(db_stat(db_path)[::2]),  # the sizes of the database and its WAL
        "activity": None
        if span is None
        else {"first_hour": st.iso(span[0]), "last_hour": st.iso(span[1])},
        "running": running,
        "pid": pid if running else None,
        "writer": {"role": role, "pid": writer_pid} if held else None,
        "heartbeat": heartbeat,
        "heartbeat_age_seconds": age,
        "last_checkpoint": _on_server_clock(meta["checkpoint_at"], st),
        "last_event": meta["last_event"],
        "paths": json.loads(meta["paths"]) if meta["paths"] else [],
        "files": files,
        "skipped": json.loads(meta["skipped"]) if meta["skipped"] else [],
        "lag_bytes": sum(f["lag_bytes"] or 0 for f in files),
        "totals": json.loads(totals.to_json()),
        "implausible_lines": _implausible(store),
        "open_incidents": {
            s.label: by_severity.get(s.label, 0) for s in sorted(Severity, reverse=True)
        },
        "sinks": _sink_health(store, config),
        "kerio_api": api_status(store),
        "engine": native.describe(),
        "last_engine": store.get_meta("engine"),
    }


def _implausible(store: Store) -> list[dict[str, Any]]:
    """The last lines set aside for an implausible time (by follow or scan)."""
    data = store.load_detector_state("timeguard") or {}
    samples = data.get("samples")
    return [s for s in samples if isinstance(s, dict)] if isinstance(samples, list) else []


def _config(config_path: Path | None) -> Config | None:
    """The configuration, or None when it cannot be loaded: ``status`` still shows the
    database (on the default settings), with a warning that names the problem."""
    try:
        return load(config_path)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            click.echo(f"kerio-watch: warning: {line} (shown on the defaults)", err=True)
        return None


def _on_server_clock(text: str | None, st: ServerTime) -> str | None:
    """A wall-clock ISO 8601 time (kept in UTC) on the server's clock, like every time."""
    if not text:
        return text
    try:
        return st.iso(int(dt.datetime.fromisoformat(text).timestamp()))
    except ValueError:
        return text


def _api_json(info: dict[str, Any] | None, st: ServerTime) -> dict[str, Any] | None:
    """The API's part of ``status -f json`` with its times on the server's clock."""
    if info is None:
        return None
    data: dict[str, Any] = {
        k: _on_server_clock(info[k], st) for k in ("since", "last_ok", "at") if k in info
    }
    queue = info.get("queue")
    if queue:
        data["queue"] = {**queue, "polled": st.iso(int(queue["polled"]))}
    senders = [{**row, "polled": st.iso(int(row["polled"]))} for row in info.get("senders") or []]
    return {**info, **data, "senders": senders}


def _file_status(cp: FileCheckpoint) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": cp.path,
        "log": cp.log,
        "offset": cp.offset,
        "size": None,
        "lag_bytes": None,
        "state": "missing",
        "compressed": cp.compressed,
    }
    try:
        st = Path(cp.path).stat()
    except OSError:
        return entry
    entry["size"] = st.st_size
    if (st.st_dev, st.st_ino) != (cp.dev, cp.ino):
        entry["state"] = "replaced (rotated since the last checkpoint)"
    elif cp.size < 0:
        entry["state"] = "not read (a copy of a file already read, or an old archive)"
    elif cp.compressed:
        done = cp.size and cp.offset >= cp.size
        entry["state"] = "archive read" if done else "archive being read"
    else:
        entry["state"] = "ok"
        entry["lag_bytes"] = max(0, st.st_size - cp.offset)
    return entry


def _sink_health(store: Store, config: Config | None) -> list[dict[str, object]]:
    if config is not None and config.sinks:
        return Router(config, store).health()
    out: list[dict[str, object]] = []
    for name, counts in sorted(store.delivery_counts().items()):
        last = store.deliveries(sink=name, order="tried", limit=1)
        error = last[0].last_error if last and last[0].last_try is not None else None
        out.append(
            {
                "name": name,
                "ok": error is None,
                "last_error": error,
                "pending": counts.get("pending", 0) + counts.get("sending", 0),
                "sent": counts.get("sent", 0),
                "failed": counts.get("failed", 0),
            }
        )
    return out


COMMANDS = [follow, status]
