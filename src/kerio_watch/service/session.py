"""What the follower holds open (see :mod:`kerio_watch.service`): store, follower, pipeline,
router and responder, built together from one configuration and closed together."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from kerio_watch.alerts.router import Router
from kerio_watch.app.config import load_config
from kerio_watch.config import Config
from kerio_watch.log import note
from kerio_watch.pipeline import Pipeline
from kerio_watch.pipeline.marks import BACK
from kerio_watch.pipeline.runner import Wiring, build, timebase_for
from kerio_watch.respond.worker import Responder, start_responder
from kerio_watch.service.state import (
    META_PREFIX,
    FollowLock,
    ServiceOptions,
    Totals,
)
from kerio_watch.service.strangers import Strangers
from kerio_watch.service.wake import Wake
from kerio_watch.sources.follow import Follower
from kerio_watch.store import open_store
from kerio_watch.store.base import Store
from kerio_watch.store.journal import Journal
from kerio_watch.timebase import Timebase
from kerio_watch.values.alert import Alert
from kerio_watch.values.checkpoint import FileCheckpoint

AlertOutput = Callable[[Alert], None]
"""Called with each alert once its save has committed."""


class Session:
    """The state of a :class:`~kerio_watch.service.loop.FollowService` and how it is built.

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
        self.strangers = Strangers()
        """Followed files none of whose lines is Kerio's (named once each)."""
        self._new_alerts: list[Alert] = []
        self._wake = Wake()
        self._signals: list[tuple[str, str]] = []
        """Signals received and not yet logged (a handler only appends here)."""
        self._stop = False
        self._reload = False
        self._marks = Totals()
        """How much of this run's counts :attr:`totals` holds."""
        self._unsaved = 0
        self._last_save = 0.0
        self._last_beat = 0.0
        self._last_deliver = 0.0
        self._last_progress = 0.0
        self.exit_status = 0
        self._scan_marks = "{}"
        self._zone_doubted = False
        self._pending: list[FileCheckpoint] = []
        self._committed: list[FileCheckpoint] = []
        """The file positions of the last commit (what a failure leaves unprocessed)."""
        self._initialized = False
        self._unprinted_marked = True
        """The last save recorded alerts to print (the first save of a run clears what an
        earlier run left)."""

    # -- Kerio's Administration API (see kerio_watch.respond) ------------------------------
    def _start_responder(self) -> None:
        self.responder = start_responder(self.config, self.db_path, self.timebase)

    def _stop_responder(self) -> None:
        if self.responder is not None:
            self.responder.stop()
            self.responder = None

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
        self._marks = Totals()

    def _timebase(self, store: Store) -> Timebase:
        follower = self.follower
        assert follower is not None  # noqa: S101
        return timebase_for(
            self.config,
            store,
            lambda: [f.source for f in follower.files.values() if not f.compressed],
            store.get_meta(META_PREFIX + "timebase_delta"),
        )

    def _make_pipeline(self, config: Config) -> None:
        """A pipeline (and router) for ``config`` over the open store.

        Raises:
            ConfigError: the detectors or sinks of ``config`` are invalid.
        """
        store, timebase = self.store, self.timebase
        assert store is not None and timebase is not None  # noqa: S101
        # Checkpoints make every line count once. Log-time watermarks only skip what a
        # ``scan`` of this database processed before follow first started: follow's own
        # progress must not be used, as lines after a checkpoint may share its second.
        scan_marks = store.get_meta(META_PREFIX + "scan_marks")
        if scan_marks is None:
            marks = store.watermarks()
            self._scan_marks = json.dumps(marks)
        else:
            self._scan_marks = scan_marks
            marks = {k: (int(v[0]), int(v[1])) for k, v in json.loads(scan_marks).items()}
        wiring = Wiring(
            hold=True,
            marks=marks,
            listeners=[self._on_alert],
            on_save=[self._on_save],
            sinks=True,
            notify=self._wake.set,
        )
        run = build(config, store, timebase, wiring)
        self.pipeline, self.router, self.config = run.pipeline, run.router, config
        if self.follower is not None:
            self.follower.when = run.pipeline.parsing.merge_time
        # a new pipeline counts from zero; the follower's lines go on
        self._marks = Totals(lines=self._marks.lines)

    def _on_alert(self, alert: Alert, reported: bool) -> None:
        if reported:
            self._new_alerts.append(alert)

    def _scan_marks_left(self, set_back: Collection[str]) -> str:
        """The scan's watermarks for the next start, less those of the logs whose clock
        was set back after this run's lines reached them: it read past them, and lines
        after the jump dated before them are new (a restart skipped them)."""
        if set_back:
            marks = json.loads(self._scan_marks)
            keep = {k: v for k, v in marks.items() if k.removesuffix(BACK) not in set_back}
            self._scan_marks = json.dumps(keep)
        return self._scan_marks

    def _on_save(self, store: Store) -> None:
        """Inside the pipeline's transaction: checkpoints, totals, status metadata."""
        follower, pipeline, timebase = self.follower, self.pipeline, self.timebase
        assert follower is not None and pipeline is not None and timebase is not None  # noqa: S101
        self._pending = follower.checkpoints()
        store.replace_follow_checkpoints(self._pending)
        stats = pipeline.stats
        totals = self.totals
        counted = Totals.now(follower.lines, follower.no_timestamp, stats)
        totals.add(counted, self._marks)
        self._marks = counted
        now = _iso_now()
        meta = {
            "initialized": "1",
            "scan_marks": self._scan_marks_left(pipeline.watermarks.set_back),
            "stats": totals.to_json(),
            "checkpoint_at": now,
            "heartbeat": now,
            "pid": str(os.getpid()),
            "paths": json.dumps(self.paths),
            "skipped": self._skipped(),
        }
        if self.output is not None and (self._new_alerts or self._unprinted_marked):
            # printed after this commit (see _print_unprinted); cleared by the next save
            meta["unprinted"] = json.dumps([a.to_dict() for a in self._new_alerts])
            self._unprinted_marked = bool(self._new_alerts)
        if stats.last_ts is not None:
            meta["last_event"] = pipeline.format_time(stats.last_ts)
        if timebase.inferred and timebase.had_hint:
            meta["timebase_delta"] = str(timebase.delta)
        doubt = timebase.doubt()
        if doubt and not self._zone_doubted:
            self._zone_doubted = True
            note(logging.WARNING, "timezone_doubt", detail=doubt)
        for key, value in meta.items():
            store.set_meta(META_PREFIX + key, value)

    # -- alerts committed but not yet printed (kill -9 between the two) ------------------
    def _print_unprinted(self) -> None:
        """At start: print the alerts the last run's last save recorded but that run did
        not print (it was killed between the two). Each save records the alerts it will
        print after it commits; the journal notes each one once it is printed, so those
        are not printed twice (at least once, never lost)."""
        store = self.store
        if self.output is None or store is None:
            return
        try:
            data = json.loads(store.get_meta(META_PREFIX + "unprinted") or "[]")
        except ValueError:
            return
        if not isinstance(data, list) or not data:
            return
        journal = Journal(self.db_path)
        printed = {r.get("id") for r in journal.read() if r.get("t") == "alert"}
        late = []
        for item in data:
            try:
                alert = Alert.from_dict(item)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            if alert.id not in printed:
                note(logging.WARNING, "alert_printed_late", id=alert.id, rule=alert.rule)
                self.output(alert)
                late.append(alert)
        if late:
            journal.alerts(late, max(a.ts for a in late))

    def _heartbeat(self) -> None:
        store = self.store
        assert store is not None  # noqa: S101
        with store.transaction():
            store.set_meta(META_PREFIX + "heartbeat", _iso_now())
            store.set_meta(META_PREFIX + "pid", str(os.getpid()))
            store.set_meta(META_PREFIX + "skipped", self._skipped())
        self._last_beat = time.monotonic()

    def _skipped(self) -> str:
        """The files found and not read, and those read none of whose lines is Kerio's
        (:mod:`kerio_watch.service.strangers`), as JSON for ``kerio-watch status``: an
        administrator who pointed ``follow`` at the wrong folder sees it there."""
        follower = self.follower
        found = follower.skipped() if follower is not None else []
        named = [
            (path, "none of its lines is from a Kerio Connect log") for path in self.strangers.named
        ]
        return json.dumps([{"path": path, "why": why} for path, why in found + named])

    def _progress(self, now: float) -> None:
        self._last_progress = now
        follower = self.follower
        if follower is None:
            return
        files = follower.status()
        lag = sum(max(0, f.size - f.offset) for f in files if not f.compressed)
        denied = ",".join(f.path for f in follower.unreadable())
        note(
            logging.WARNING if denied else logging.INFO,
            "progress",
            lines=self.totals.lines,
            alerts=self.totals.alerts,
            files=len(files),
            lag_bytes=lag,
            **({"unreadable": denied} if denied else {}),
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


def _iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
