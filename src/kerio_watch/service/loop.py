"""The follower's loop (see :mod:`kerio_watch.service`): poll, run, save, deliver, recover."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import time
from itertools import islice
from pathlib import Path
from types import FrameType

from kerio_watch import __version__
from kerio_watch.app.config import load_config
from kerio_watch.errors import ConfigError, StoreError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.log import note
from kerio_watch.pipeline import Pipeline
from kerio_watch.respond.worker import feed_snapshots
from kerio_watch.service.failures import (
    DAMAGE_TRIES,
    is_readonly_error,
    log_failure,
    log_giving_up,
    one_line,
    unprocessed,
    write_error,
)
from kerio_watch.service.session import Session
from kerio_watch.service.state import (
    META_PREFIX,
)
from kerio_watch.store import open_store
from kerio_watch.store.diagnose import DatabaseUnusable, is_damage, unusable
from kerio_watch.store.journal import Journal


class FollowService(Session):
    """Follows logs, runs the pipeline, saves, delivers; see :mod:`kerio_watch.service`
    (built as a :class:`~kerio_watch.service.session.Session`, with its arguments)."""

    # -- control ------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to stop after a final save (signal-safe: sets flags only)."""
        self._stop = True
        self._wake.set()

    def reload(self) -> None:
        """Ask the loop to reload the configuration (signal-safe: sets flags only)."""
        self._reload = True
        self._wake.set()

    def install_signals(self) -> None:
        """SIGTERM/SIGINT stop, SIGHUP reloads (main thread only).

        A handler only sets flags and wakes the loop, which logs the signal: a handler
        runs between any two bytecodes of the main thread, where taking a lock the
        thread already holds (an Event's, a stream's) hangs or breaks it."""

        def on_stop(signum: int, _frame: FrameType | None) -> None:
            self._signals.append((signal.Signals(signum).name, "stopping"))
            self.stop()

        def on_hup(_signum: int, _frame: FrameType | None) -> None:
            self._signals.append(("SIGHUP", "reloading configuration"))
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
        self._print_unprinted()
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
            order_wait=self.options.follow.order_wait,
        )
        try:
            try:
                self._save()
            except (StoreError, sqlite3.Error) as exc:
                raise write_error(self.db_path, exc) from None
            self._start_responder()
            while not self._stop:
                try:
                    self._log_signals()
                    if self._reload:
                        self._reload = False
                        self._reconfigure()
                    self._step()
                except (StoreError, sqlite3.Error) as exc:
                    if is_readonly_error(exc):
                        raise unusable(self.db_path, exc) from None
                    self._recover(exc)
            self._log_signals()
            self._final_save()
        finally:
            self._stop_responder()
            self._close()
            self.lock.release()
            self._wake.close()
            note(logging.INFO, "stopped", status=self.exit_status)
        return self.exit_status

    def _step(self) -> None:
        follower, pipeline = self.follower, self.pipeline
        assert follower is not None and pipeline is not None  # noqa: S101
        opts = self.options
        batch = follower.poll()
        read = follower.lines
        while batch and not self._stop and not self._reload:
            before = follower.lines
            pipeline.run(islice(batch, 2000), prefilter=True)
            self._unsaved += follower.lines - before
            if self._save_due():
                self._save()
        if follower.lines != read:
            self.strangers.look(follower.files.values())
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

    def _log_signals(self) -> None:
        while self._signals:
            name, action = self._signals.pop(0)
            note(logging.INFO, "signal", name=name, action=action)

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
            note(logging.ERROR, "final_save_failed", error=one_line(exc))
            self.exit_status = 1

    # -- failures and reloads -----------------------------------------------------------
    def _recover(self, exc: BaseException) -> None:
        """Write failed: drop uncommitted work, wait, reopen from the last commit.

        Raises:
            DatabaseUnusable: the file is damaged (after :data:`DAMAGE_TRIES` attempts to
                reopen it), or writing failed for ``give_up_after`` seconds: the service
                exits (status 7) and its supervisor restarts it.
        """
        pause = 1.0
        error = one_line(exc)
        began = time.monotonic()
        tries = 0
        while not self._stop:
            damaged = is_damage(error)
            if (damaged and tries >= DAMAGE_TRIES) or (
                time.monotonic() - began >= self.options.give_up_after
            ):
                self._give_up(exc, damaged)
            log_failure(error, damaged, self.db_path, pause, unprocessed(self._committed))
            self._close()
            self._wake.wait(pause)
            if self._stop:
                self.exit_status = 1
                return
            tries += 1
            try:
                self._reopen()
            except (StoreError, sqlite3.Error) as again:
                if is_readonly_error(again):
                    raise unusable(self.db_path, again) from None
                exc, error = again, one_line(again)
                pause = min(pause * 2, self.options.retry_max)
                continue
            note(logging.INFO, "state_write_recovered", db=str(self.db_path))
            return

    def _reopen(self) -> None:
        """Open the database again, rebuild the pipeline from it and save."""
        self.store = open_store(self.db_path)
        if self._initialized and self.store.get_meta(META_PREFIX + "initialized") is None:
            raise StoreError("the database holds no tables any more (emptied while running)")
        self._build()
        self._save()

    def _give_up(self, exc: BaseException, damaged: bool) -> None:
        log_giving_up(
            self.db_path, damaged, self.options.give_up_after, unprocessed(self._committed)
        )
        self.exit_status = int(ExitStatus.DB_UNUSABLE)
        raise exc if isinstance(exc, DatabaseUnusable) else unusable(self.db_path, exc)

    def _reconfigure(self) -> None:
        """SIGHUP: load the configuration again; keep the old one if the new one is bad."""
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            _reload_failed(exc)
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
            _reload_failed(exc)
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


def _reload_failed(exc: ConfigError) -> None:
    note(
        logging.ERROR,
        "reload_failed",
        error="; ".join(exc.problems),
        action="keeping the old configuration",
    )
