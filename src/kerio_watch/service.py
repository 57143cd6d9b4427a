"""The long-running follower behind ``kerio-watch follow`` (and its systemd unit).

One loop: poll the logs, run the pipeline over what is new, and save. Every save is
one transaction holding the pipeline's state, its alerts, the alert delivery queue and
the file checkpoints, so ``kill -9`` at any moment loses nothing and repeats nothing:
a restart resumes after the last line whose effects were committed. Alerts are printed
and handed to the sinks only after their save commits.

- Saves happen at most every ``save_every`` seconds or ``save_lines`` lines, and at
  once when a batch raised an alert, so an alert is out within about a poll interval.
- Each sink is sent to from its own worker thread (see :mod:`kerio_watch.alerts.router`):
  the loop never waits on the network, so a hanging sink delays neither reading nor
  the other sinks.
- SIGHUP reloads the configuration (an invalid one is refused and the old one kept);
  SIGTERM and SIGINT stop after a final save.
- A failed write at run time (database locked past its timeout, disk full) is logged
  and retried with a growing pause: the state is reopened from the last commit and
  reading resumes from its checkpoints. A read-only database, and any failure while
  starting, stop the service with one clear message.
- The service's own log (stderr) is one ``key=value`` (or JSON) line per event.

The wall clock is used to schedule only; detection uses the time written in the log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from types import FrameType
from typing import IO, Any

from kerio_watch import __version__
from kerio_watch.alerts.router import Router
from kerio_watch.config import Config, load_config
from kerio_watch.errors import ConfigError, KerioWatchError, StoreError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.pipeline import Pipeline
from kerio_watch.respond.worker import Responder, feed_snapshots, start_responder
from kerio_watch.sources.files import infer_initial_delta
from kerio_watch.sources.follow import Follower, FollowOptions, note
from kerio_watch.store import open_store
from kerio_watch.store.base import Store
from kerio_watch.store.diagnose import DatabaseUnusable, is_damage, is_readonly, unusable
from kerio_watch.store.journal import Journal
from kerio_watch.store.lock import WriterLock, lock_holder
from kerio_watch.store.timezone import initial_timebase
from kerio_watch.timebase import Timebase
from kerio_watch.values.alert import Alert
from kerio_watch.values.checkpoint import FileCheckpoint

logger = logging.getLogger("kerio_watch.service")

META_PREFIX = "follow."
"""Metadata keys the service writes (read by ``kerio-watch status``)."""
DAMAGE_TRIES = 2
"""Attempts to reopen a damaged database (a passing I/O error) before giving up."""


@dataclass
class ServiceOptions:
    """How the service runs (defaults suit a Kerio server)."""

    poll: float = 0.5
    """Seconds between looks at the logs when idle."""
    save_every: float = 1.0
    """At most this long between saves while lines arrive."""
    save_lines: int = 20_000
    """Save after this many lines even sooner (backfill, bursts)."""
    heartbeat: float = 10.0
    """Seconds between heartbeats written while idle (``status`` shows them)."""
    deliver_every: float = 5.0
    """Seconds between looks at the delivery queue when no alert is new (retries)."""
    progress_every: float = 60.0
    """Seconds between progress lines in the service log."""
    retry_max: float = 60.0
    """Longest pause between attempts to write after a failure."""
    give_up_after: float = 600.0
    """Seconds of failing writes after which the service exits (status 7) so that its
    supervisor restarts it (a damaged database: after :data:`DAMAGE_TRIES` attempts)."""
    follow: FollowOptions = field(default_factory=FollowOptions)


@dataclass
class Totals:
    """What the follower has processed, over every run on this database."""

    lines: int = 0
    """Lines read (each once: blank lines excepted)."""
    events: Counter[str] = field(default_factory=Counter)
    unparsed: int = 0
    already_seen: int = 0
    """Lines a ``scan`` of the same database had processed before the first start."""
    alerts: int = 0
    implausible: int = 0
    """Lines set aside for an implausible time (:mod:`kerio_watch.timeguard`)."""

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "lines": self.lines,
                "events": dict(sorted(self.events.items())),
                "unparsed": self.unparsed,
                "already_seen": self.already_seen,
                "alerts": self.alerts,
                "implausible": self.implausible,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> Totals:
        """Inverse of :meth:`to_json` (empty totals for None or damage)."""
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        events = data.get("events")
        return cls(
            lines=int(data.get("lines", 0)),
            events=Counter(events if isinstance(events, dict) else {}),
            unparsed=int(data.get("unparsed", 0)),
            already_seen=int(data.get("already_seen", 0)),
            alerts=int(data.get("alerts", 0)),
            implausible=int(data.get("implausible", 0)),
        )


class FollowLock(WriterLock):
    """One follower per state database (the writer's lock: :mod:`kerio_watch.store.lock`).

    The kernel drops the lock when the process dies (even by ``kill -9``), so ``status``
    can tell a running follower from a stale heartbeat.
    """

    def __init__(self, db_path: Path) -> None:
        super().__init__(db_path, "follow")


def follower_running(db_path: Path) -> tuple[bool | None, int | None]:
    """(running?, pid) of a follower from the lock file (None: cannot tell)."""
    held, pid, role = lock_holder(db_path)
    if held and role != "follow":
        return False, None
    return held, pid


AlertOutput = Callable[[Alert], None]


class FollowService:
    """Follows logs, runs the pipeline, saves, delivers; see the module documentation.

    Args:
        paths: log files and directories.
        config_path: the TOML configuration (None: ``$KERIO_WATCH_CONFIG`` or defaults).
        db_path: the state database.
        output: called with each alert once its save has committed (stdout printing).
        options: timing.
    """

    def __init__(
        self,
        paths: Sequence[str],
        config_path: Path | None,
        db_path: Path,
        output: AlertOutput | None = None,
        options: ServiceOptions | None = None,
    ) -> None:
        self.paths = list(paths)
        self.config_path = config_path
        self.db_path = db_path
        self.output = output
        self.options = options or ServiceOptions()
        self.config: Config = load_config(config_path)
        self.lock = FollowLock(db_path)
        self.store: Store | None = None
        self.pipeline: Pipeline | None = None
        self.follower: Follower | None = None
        self.router: Router | None = None
        self.timebase: Timebase | None = None
        self.responder: Responder | None = None
        self.totals = Totals()
        self._new_alerts: list[Alert] = []
        self._wake = threading.Event()
        self._stop = False
        self._reload = False
        self._mark_lines = 0
        self._mark_events: Counter[str] = Counter()
        self._mark_unparsed = 0
        self._mark_seen = 0
        self._mark_alerts = self._mark_doubts = 0
        self._unsaved = 0
        self._last_save = 0.0
        self._last_beat = 0.0
        self._last_deliver = 0.0
        self._last_progress = 0.0
        self.exit_status = 0
        self._scan_marks = "{}"
        self._pending: list[FileCheckpoint] = []
        self._committed: list[FileCheckpoint] = []
        """The file positions of the last commit (what a failure leaves unprocessed)."""
        self._initialized = False

    # -- control ------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to stop after a final save (signal-safe)."""
        self._stop = True
        self._wake.set()

    def reload(self) -> None:
        """Ask the loop to reload the configuration (signal-safe)."""
        self._reload = True
        self._wake.set()

    def install_signals(self) -> None:
        """SIGTERM/SIGINT stop, SIGHUP reloads (main thread only)."""

        def on_stop(signum: int, _frame: FrameType | None) -> None:
            note(logging.INFO, "signal", name=signal.Signals(signum).name, action="stopping")
            self.stop()

        def on_hup(_signum: int, _frame: FrameType | None) -> None:
            note(logging.INFO, "signal", name="SIGHUP", action="reloading configuration")
            self.reload()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hup)

    # -- the loop -----------------------------------------------------------------------
    def run(self) -> int:
        """Run until stopped; the exit status.

        Raises:
            KerioWatchError: the service cannot start (database, lock, logs, config).
        """
        self._open()
        Journal(self.db_path).run("follow", [str(Path(p).absolute()) for p in self.paths])
        note(
            logging.INFO,
            "started",
            version=__version__,
            pid=os.getpid(),
            db=str(self.db_path),
            paths=",".join(self.paths),
            config=self.config.source,
            backfill=self.options.follow.backfill,
            poll=self.options.poll,
        )
        try:
            try:
                self._save()
            except (StoreError, sqlite3.Error) as exc:
                raise _write_error(self.db_path, exc) from None
            self._start_responder()
            while not self._stop:
                try:
                    if self._reload:
                        self._reload = False
                        self._reconfigure()
                    self._step()
                except (StoreError, sqlite3.Error) as exc:
                    if _is_readonly(exc):
                        raise unusable(self.db_path, exc) from None
                    self._recover(exc)
            self._final_save()
        finally:
            self._stop_responder()
            self._close()
            self.lock.release()
            note(logging.INFO, "stopped", status=self.exit_status)
        return self.exit_status

    def _step(self) -> None:
        follower, pipeline = self.follower, self.pipeline
        assert follower is not None and pipeline is not None  # noqa: S101
        opts = self.options
        batch = follower.poll()
        while batch and not self._stop and not self._reload:
            before = follower.lines
            pipeline.run(islice(batch, 2000), prefilter=True)
            self._unsaved += follower.lines - before
            if self._save_due():
                self._save()
        now = time.monotonic()
        if self._unsaved and now - self._last_save >= opts.save_every:
            self._save()
        elif now - self._last_beat >= opts.heartbeat:
            self._heartbeat()
        if self.router is not None and now - self._last_deliver >= opts.deliver_every:
            self._last_deliver = now
            self.router.deliver_pending()
        elif self.router is not None:
            self.router.poll()  # a sink's worker finished: record it, hand out what is next
        if now - self._last_progress >= opts.progress_every:
            self._progress(now)
        if not batch and self.responder is not None:
            self._queue_snapshots(pipeline)
        if not batch and not self._stop and not self._reload:
            self._wake.wait(opts.poll)
            self._wake.clear()

    # -- Kerio's Administration API (see kerio_watch.respond) ------------------------------
    def _start_responder(self) -> None:
        self.responder = start_responder(self.config, self.db_path, self.timebase)

    def _stop_responder(self) -> None:
        if self.responder is not None:
            self.responder.stop()
            self.responder = None

    def _queue_snapshots(self, pipeline: Pipeline) -> None:
        """Queue snapshots go to the detectors only while caught up with the logs."""
        assert self.responder is not None  # noqa: S101
        feed_snapshots(self.responder, pipeline)
        if self._new_alerts:
            self._save()

    def _save_due(self) -> bool:
        return bool(
            self._new_alerts
            or self._unsaved >= self.options.save_lines
            or (self._unsaved and time.monotonic() - self._last_save >= self.options.save_every)
        )

    # -- state --------------------------------------------------------------------------
    def _open(self) -> None:
        """Take the lock, open the database, build the pipeline (errors are fatal here)."""
        self.lock.acquire()
        try:
            self.store = open_store(self.db_path)
            self._build()
        except BaseException:
            self._close()
            self.lock.release()
            raise

    def _build(self) -> None:
        store = self.store
        assert store is not None  # noqa: S101
        first = store.get_meta(META_PREFIX + "initialized") is None
        self.follower = Follower(
            self.paths, store.follow_checkpoints(), first_start=first, options=self.options.follow
        )
        if self.timebase is None or not first:
            self.timebase = self._timebase(store)
        self.totals = Totals.from_json(store.get_meta(META_PREFIX + "stats"))
        self._make_pipeline(self.config)
        self._mark_lines = 0

    def _timebase(self, store: Store) -> Timebase:
        zone = self.config.site.zone()
        if zone is not None:
            return Timebase(zone)
        saved = store.get_meta(META_PREFIX + "timebase_delta")
        if saved is not None and saved.lstrip("-").isdigit():
            return Timebase(None, int(saved))
        follower = self.follower
        assert follower is not None  # noqa: S101
        sources = [f.source for f in follower.files.values() if not f.compressed]
        return initial_timebase(store, infer_initial_delta(sources))

    def _make_pipeline(self, config: Config) -> None:
        """A pipeline (and router) for ``config`` over the open store.

        Raises:
            ConfigError: the detectors or sinks of ``config`` are invalid.
        """
        store, timebase = self.store, self.timebase
        assert store is not None and timebase is not None  # noqa: S101
        pipeline = Pipeline(config, store, timebase, hold=True)
        # Checkpoints make every line count once. Log-time watermarks only skip what a
        # ``scan`` of this database processed before follow first started: follow's own
        # progress must not be used, as lines after a checkpoint may share its second.
        scan_marks = store.get_meta(META_PREFIX + "scan_marks")
        if scan_marks is None:
            pipeline.marks = dict(pipeline.marks)
            self._scan_marks = json.dumps(pipeline.marks)
        else:
            self._scan_marks = scan_marks
            pipeline.marks = {k: (int(v[0]), int(v[1])) for k, v in json.loads(scan_marks).items()}
        router = Router(config, store, notify=self._wake.set) if config.sinks else None
        pipeline.listeners.append(self._on_alert)
        pipeline.on_save.append(self._on_save)
        if router is not None:
            pipeline.listeners.append(router.listener)
            pipeline.on_save.append(router.on_save)
        self.pipeline, self.router, self.config = pipeline, router, config
        if self.follower is not None:
            self.follower.when = pipeline.merge_time
        self._mark_events = Counter()
        self._mark_unparsed = self._mark_seen = self._mark_alerts = self._mark_doubts = 0

    def _on_alert(self, alert: Alert, reported: bool) -> None:
        if reported:
            self._new_alerts.append(alert)

    def _on_save(self, store: Store) -> None:
        """Inside the pipeline's transaction: checkpoints, totals, status metadata."""
        follower, pipeline, timebase = self.follower, self.pipeline, self.timebase
        assert follower is not None and pipeline is not None and timebase is not None  # noqa: S101
        self._pending = follower.checkpoints()
        store.replace_follow_checkpoints(self._pending)
        stats = pipeline.stats
        totals = self.totals
        totals.lines += follower.lines - self._mark_lines
        totals.events.update(stats.events - self._mark_events)
        totals.unparsed += stats.unparsed + follower.no_timestamp - self._mark_unparsed
        totals.already_seen += stats.already_seen - self._mark_seen
        totals.alerts += stats.alerts - self._mark_alerts
        totals.implausible += stats.implausible - self._mark_doubts
        self._mark_doubts = stats.implausible
        self._mark_lines = follower.lines
        self._mark_events = Counter(stats.events)
        self._mark_unparsed = stats.unparsed + follower.no_timestamp
        self._mark_seen = stats.already_seen
        self._mark_alerts = stats.alerts
        now = _iso_now()
        meta = {
            "initialized": "1",
            "scan_marks": self._scan_marks,
            "stats": totals.to_json(),
            "checkpoint_at": now,
            "heartbeat": now,
            "pid": str(os.getpid()),
            "paths": json.dumps(self.paths),
        }
        if stats.last_ts is not None:
            meta["last_event"] = pipeline.format_time(stats.last_ts)
        if timebase.inferred and timebase.had_hint:
            meta["timebase_delta"] = str(timebase.delta)
        for key, value in meta.items():
            store.set_meta(META_PREFIX + key, value)

    def _save(self, final: bool = False) -> None:
        """Commit; then print and deliver the alerts the commit recorded."""
        pipeline = self.pipeline
        assert pipeline is not None  # noqa: S101
        started = time.monotonic()
        pipeline.save(final=final)
        self._committed, self._initialized = self._pending, True
        lines, self._unsaved = self._unsaved, 0
        self._last_save = self._last_beat = time.monotonic()
        alerts, self._new_alerts = self._new_alerts, []
        note(
            logging.DEBUG,
            "checkpoint",
            lines=lines,
            alerts=len(alerts),
            ms=round((self._last_save - started) * 1000, 1),
        )
        for alert in alerts:
            note(
                logging.WARNING,
                "alert",
                id=alert.id,
                user=alert.user or "",
                rule=alert.rule,
                severity=alert.severity.label,
                time=alert.time,
                summary=alert.summary,
            )
            if self.output is not None:
                self.output(alert)
        pipeline.flush_journal(final=final)
        if alerts and self.router is not None:
            self._last_deliver = time.monotonic()
            self.router.deliver_pending()
        if alerts and self.responder is not None:
            self.responder.submit(alerts)

    def _final_save(self) -> None:
        if self.pipeline is None:  # stopped while waiting to retry a failed write
            return
        try:
            self._save(final=True)
        except (StoreError, sqlite3.Error) as exc:
            note(logging.ERROR, "final_save_failed", error=_one_line(exc))
            self.exit_status = 1

    def _heartbeat(self) -> None:
        store = self.store
        assert store is not None  # noqa: S101
        with store.transaction():
            store.set_meta(META_PREFIX + "heartbeat", _iso_now())
            store.set_meta(META_PREFIX + "pid", str(os.getpid()))
        self._last_beat = time.monotonic()

    def _progress(self, now: float) -> None:
        self._last_progress = now
        follower = self.follower
        if follower is None:
            return
        files = follower.status()
        lag = sum(max(0, f.size - f.offset) for f in files if not f.compressed)
        note(
            logging.INFO,
            "progress",
            lines=self.totals.lines,
            alerts=self.totals.alerts,
            files=len(files),
            lag_bytes=lag,
        )

    # -- failures and reloads -----------------------------------------------------------
    def _recover(self, exc: BaseException) -> None:
        """Write failed: drop uncommitted work, wait, reopen from the last commit.

        Raises:
            DatabaseUnusable: the file is damaged (after :data:`DAMAGE_TRIES` attempts to
                reopen it), or writing failed for ``give_up_after`` seconds: the service
                exits (status 7) and its supervisor restarts it.
        """
        pause = 1.0
        error = _one_line(exc)
        began = time.monotonic()
        tries = 0
        while not self._stop:
            damaged = is_damage(error)
            if (damaged and tries >= DAMAGE_TRIES) or (
                time.monotonic() - began >= self.options.give_up_after
            ):
                self._give_up(exc, damaged)
            self._failed(error, damaged, pause)
            self._close()
            self._wake.wait(pause)
            self._wake.clear()
            if self._stop:
                self.exit_status = 1
                return
            tries += 1
            try:
                self._reopen()
            except (StoreError, sqlite3.Error) as again:
                if _is_readonly(again):
                    raise unusable(self.db_path, again) from None
                exc, error = again, _one_line(again)
                pause = min(pause * 2, self.options.retry_max)
                continue
            note(logging.INFO, "state_write_recovered", db=str(self.db_path))
            return

    def _failed(self, error: str, damaged: bool, pause: float) -> None:
        """Log a failed write: what happened, and what is (not) lost."""
        if damaged:
            note(
                logging.ERROR,
                "state_damaged",
                error=error,
                db=str(self.db_path),
                hint=_hint(error),
                retry_in=pause,
                not_processed=self._unprocessed(),
                lost="the state in the damaged file; the logs are intact (db recover)",
            )
            return
        note(
            logging.ERROR,
            "state_write_failed",
            error=error,
            db=str(self.db_path),
            hint=_hint(error),
            retry_in=pause,
            not_processed=self._unprocessed(),
            lost="nothing yet (reading resumes from the last checkpoint once writing works)",
        )

    def _reopen(self) -> None:
        """Open the database again, rebuild the pipeline from it and save."""
        self.store = open_store(self.db_path)
        if self._initialized and self.store.get_meta(META_PREFIX + "initialized") is None:
            raise StoreError("the database holds no tables any more (emptied while running)")
        self._build()
        self._save()

    def _give_up(self, exc: BaseException, damaged: bool) -> None:
        note(
            logging.ERROR,
            "giving_up",
            db=str(self.db_path),
            reason="the state database is damaged"
            if damaged
            else f"writing failed for {self.options.give_up_after:g} s",
            not_processed=self._unprocessed(),
            next=f"kerio-watch db check --db {self.db_path}"
            if damaged
            else "free the disk or the database, then start again (status 7)",
        )
        self.exit_status = int(ExitStatus.DB_UNUSABLE)
        raise exc if isinstance(exc, DatabaseUnusable) else unusable(self.db_path, exc)

    def _unprocessed(self) -> str:
        """What the last commit does not cover: each followed file from its position."""
        parts = []
        for cp in self._committed:
            if cp.gone or cp.compressed:
                continue
            try:
                size = Path(cp.path).stat().st_size
            except OSError:
                continue
            if size > cp.offset:
                parts.append(f"{cp.path} from byte {cp.offset} ({size - cp.offset} bytes)")
        return "; ".join(parts) or "nothing"

    def _reconfigure(self) -> None:
        """SIGHUP: load the configuration again; keep the old one if the new one is bad."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            note(
                logging.ERROR,
                "reload_failed",
                error="; ".join(exc.problems),
                action="keeping the old configuration",
            )
            return
        self._save()
        old = (self.pipeline, self.router, self.config, self.timebase)
        if config.site.zone() != self.config.site.zone():
            store = self.store
            assert store is not None  # noqa: S101
            self.config = config
            self.timebase = self._timebase(store)
        try:
            self._make_pipeline(config)
        except ConfigError as exc:
            self.pipeline, self.router, self.config, self.timebase = old
            note(
                logging.ERROR,
                "reload_failed",
                error="; ".join(exc.problems),
                action="keeping the old configuration",
            )
            return
        if old[1] is not None and self.router is not None:
            self.router.adopt(old[1])  # its sends in progress finish without blocking us
        elif old[1] is not None:
            old[1].close(wait=False)
        if config.kerio_api != old[2].kerio_api:
            self._stop_responder()
            self._start_responder()
        note(
            logging.INFO,
            "reloaded",
            config=config.source,
            sinks=len(config.sinks),
        )

    def _close(self) -> None:
        if self.router is not None:
            with contextlib.suppress(Exception):
                self.router.close()
            self.router = None
        if self.follower is not None:
            self.follower.close()
            self.follower = None
        if self.store is not None:
            with contextlib.suppress(Exception):
                self.store.close()
            self.store = None
        self.pipeline = None
        self._new_alerts = []
        self._unsaved = 0


# -- the service log ---------------------------------------------------------------------
class KeyValueFormatter(logging.Formatter):
    """``ts=... level=info event=file_opened path=/x offset=0`` (one line per event)."""

    def __init__(self, as_json: bool = False) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        """One line for one record."""
        fields: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        extra = getattr(record, "kv", None)
        if isinstance(extra, dict):
            fields.update(extra)
        if record.name not in ("kerio_watch.service", "kerio_watch.sources.follow"):
            fields["logger"] = record.name
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields["error"] = f"{type(exc).__name__}: {exc}"
        if self.as_json:
            return json.dumps(fields, ensure_ascii=False, default=str)
        return " ".join(f"{k}={_kv(v)}" for k, v in fields.items())


def _kv(value: object) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if not text or any(c in text for c in ' "=\n\r\t\\') or not text.isprintable():
        return json.dumps(text, ensure_ascii=False)
    return text


def configure_logging(stream: IO[str], as_json: bool = False, level: int = logging.INFO) -> None:
    """Send kerio-watch's log to ``stream`` as key=value (or JSON) lines."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter(as_json))
    root = logging.getLogger("kerio_watch")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


# -- helpers -----------------------------------------------------------------------------
def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _is_readonly(exc: BaseException) -> bool:
    return is_readonly(exc) and not is_damage(exc)


def _write_error(db_path: Path, exc: BaseException) -> KerioWatchError:
    """A failed first write, as one clear error."""
    if isinstance(exc, StoreError) and not (is_damage(exc) or is_readonly(exc)):
        return unusable(db_path, f"{exc} ({_hint(str(exc))})")
    return unusable(db_path, exc)


def _hint(error: str) -> str:
    low = error.lower()
    if is_damage(low):
        return "the database file is damaged: kerio-watch db check, then db recover"
    if "locked" in low or "busy" in low:
        return "another program holds a write lock on the database"
    if "full" in low or "i/o" in low:
        return "the disk may be full (or a file size limit reached)"
    return "see the error"
