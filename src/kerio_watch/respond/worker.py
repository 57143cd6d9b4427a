"""The Administration API side of ``follow``: one background thread, one API session.

The follower's loop never waits for Kerio: this thread polls the queue every
``poll_seconds`` and hands the snapshots over (:meth:`Responder.take_snapshots`), takes
the incidents whose alerts were just committed (:meth:`Responder.submit`) and contains
them, reconciles what a crash left pending, and releases expired containments. It
writes through its own connection to the state database: the queue per sender, the
action journal, and ``kerio_api.status`` for ``kerio-watch status``.

An unreachable or refusing API is recorded in that status and retried; detection goes
on regardless. A write to the state database that fails (locked past SQLite's wait, a
full disk) is logged and retried too: the thread never ends before the follower. Only
alerts about the last hour (log time against the clock) lead to containment, so a
backfill of old logs never contains anyone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kerio_watch.config import Config
from kerio_watch.errors import KerioWatchError, StoreError
from kerio_watch.pipeline import Pipeline
from kerio_watch.respond.client import ApiClient, ApiError, Endpoint
from kerio_watch.respond.contain import Containment, note
from kerio_watch.respond.queue import QueueSnapshot, ToUtc, poll_queue
from kerio_watch.respond.settings import ApiConfigError, KerioApiConfig, read_password
from kerio_watch.respond.views import QUEUE_KEY, STATUS_KEY
from kerio_watch.store import open_store
from kerio_watch.store.base import Store
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.timebase import Timebase
from kerio_watch.values.alert import Alert

CONTAIN_MAX_AGE = 3600
"""Alerts older than this (log time against the clock) are not contained."""
RETRY_SECONDS = 15.0
RELEASE_EVERY = 30.0


def connect(api: KerioApiConfig) -> ApiClient:
    """An API session as configured (the password is read when it logs in)."""
    endpoint = Endpoint(api.url, api.ca_file, api.fingerprint, api.timeout)
    return ApiClient(endpoint, api.username or "", lambda: read_password(api), api.login_name_field)


@contextmanager
def manual_containment(config: Config, store: Store) -> Iterator[Containment]:
    """A containment for one administrator's request (``kerio-watch contain`` and
    ``release``, the dashboard's buttons): logged in to the API when first needed, out
    at the end."""
    clients: list[ApiClient] = []

    def login() -> ApiClient:
        clients.append(connect(config.kerio_api))
        return clients[-1]

    try:
        yield Containment(config, ResponseStore(store), login, Timebase(config.site.zone()).to_utc)
    finally:  # also when the request failed: no session is left open on the server
        for client in clients:
            client.logout()


def start_responder(config: Config, db_path: Path, timebase: Timebase | None) -> Responder | None:
    """A running responder when ``[kerio_api]`` is configured, else None."""
    if not config.kerio_api.enabled:
        return None
    zone = config.site.zone()
    if zone is not None:
        to_utc: ToUtc = Timebase(zone).to_utc
    else:
        to_utc = lambda t: t + (timebase.delta if timebase is not None else 0)  # noqa: E731
    responder = Responder(config, db_path, to_utc)
    responder.start()
    note(logging.INFO, "kerio_api_started", url=config.kerio_api.url)
    return responder


def feed_snapshots(responder: Responder, pipeline: Pipeline) -> None:
    """Hand the queue snapshots polled since the last call to the pipeline's detectors."""
    for snapshot in responder.take_snapshots():
        for event in snapshot.events():
            pipeline.external(event)


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, KerioWatchError) else f"{type(exc).__name__}: {exc}"


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


class Responder:
    """Queue watch and containment for one follower.

    Args:
        config: the configuration (``[kerio_api]`` must be enabled).
        db_path: the state database (opened again by the thread).
        to_utc: the server's local time -> UTC, for times in queue items.
    """

    def __init__(self, config: Config, db_path: Path, to_utc: ToUtc) -> None:
        self.config = config
        self.api = config.kerio_api
        self.db_path = db_path
        self.to_utc = to_utc
        self._inbox: deque[int] = deque()
        self._snapshots: deque[QueueSnapshot] = deque(maxlen=10)
        self._retry: dict[int, float] = {}
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._status: dict[str, Any] = {}
        self.polls = 0

    # -- the follower's side ----------------------------------------------------------------
    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name="kerio-api", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it (a call under way finishes first)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def submit(self, alerts: Iterable[Alert]) -> None:
        """Alerts whose save has committed: their incidents may need containing."""
        if not self.api.contain.actions:
            return
        edge = time.time() - CONTAIN_MAX_AGE
        fresh = [a.incident_id for a in alerts if a.user and a.ts >= edge]
        if fresh:
            self._inbox.extend(fresh)
            self._wake.set()

    def take_snapshots(self) -> list[QueueSnapshot]:
        """Queue snapshots polled since the last call."""
        out = []
        while self._snapshots:
            out.append(self._snapshots.popleft())
        return out

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            store = open_store(self.db_path)
        except KerioWatchError as exc:
            note(logging.ERROR, "kerio_api_stopped", error=str(exc))
            return
        try:
            self._loop(store)
        finally:
            store.close()

    def _loop(self, store: Store) -> None:
        journal = ResponseStore(store)
        client = connect(self.api)
        contain = Containment(self.config, journal, lambda: client, self.to_utc)
        next_poll = next_release = next_reconcile = 0.0
        try:
            while not self._stopping:
                now = time.monotonic()
                try:
                    if now >= next_reconcile:  # what a crash or a lost answer left pending
                        next_reconcile = now + RETRY_SECONDS
                        self._guard(store, contain.reconcile)
                    if now >= next_poll:
                        next_poll = now + self.api.poll_seconds
                        self._poll(store, journal, client)
                    self._contain(store, contain)
                    if now >= next_release:
                        next_release = now + RELEASE_EVERY
                        self._guard(store, contain.release_due)
                except Exception as exc:  # the database (locked, full) or a bug: go on
                    note(logging.ERROR, "kerio_api_failed", error=_describe(exc),
                         action="retrying")  # fmt: skip
                self._wake.wait(max(0.05, min(1.0, next_poll - time.monotonic())))
                self._wake.clear()
        finally:
            client.logout()

    def _guard(self, store: Store, work: Any) -> Any:
        """Run one piece of API work; record a failure in the status (never raises)."""
        try:
            return work()
        except (ApiError, ApiConfigError) as exc:
            self._record(store, exc)
            return None

    def _poll(self, store: Store, journal: ResponseStore, client: ApiClient) -> None:
        try:
            snapshot = poll_queue(client, self.api, self.to_utc, int(time.time()))
        except (ApiError, ApiConfigError) as exc:
            self._record(store, exc)
            return
        self.polls += 1
        self._snapshots.append(snapshot)
        summary = snapshot.summary()
        with store.transaction():
            journal.replace_queue(snapshot.summary(top=10_000)["senders"], snapshot.polled)
            store.set_meta(QUEUE_KEY, json.dumps({k: v for k, v in summary.items()
                                                   if k != "senders"}))  # fmt: skip
        self._record(store, None, client)

    def _contain(self, store: Store, contain: Containment) -> None:
        now = time.monotonic()
        due = [i for i, at in self._retry.items() if at <= now]
        for incident_id in due:
            del self._retry[incident_id]
            self._inbox.append(incident_id)
        seen: set[int] = set()
        while self._inbox and not self._stopping:
            incident_id = self._inbox.popleft()
            if incident_id in seen:
                continue
            seen.add(incident_id)
            try:
                inc = store.incident(incident_id)
                if inc is not None:
                    contain.consider(inc)
            except (ApiError, ApiConfigError, StoreError, sqlite3.Error) as exc:
                if isinstance(exc, ApiError | ApiConfigError):
                    self._record(store, exc)
                self._retry[incident_id] = now + RETRY_SECONDS
                note(logging.ERROR, "containment_postponed", incident=incident_id,
                     error=str(exc), retry_in=RETRY_SECONDS)  # fmt: skip

    def _record(
        self, store: Store, error: BaseException | None, client: ApiClient | None = None
    ) -> None:
        """Write ``kerio_api.status`` (state ok, or the kind of failure and its message)."""
        now = time.time()
        status = self._status
        previous = status.get("state")
        if error is None:
            status.update(state="ok", error=None, last_ok=_iso(now), since=None)
        else:
            kind = getattr(error, "kind", "config")
            if status.get("state") != kind:
                status["since"] = _iso(now)
            status.update(state=kind, error=str(error))
        status.update(at=_iso(now), polls=self.polls, url=self.api.url)
        if client is not None:
            status.update(logins=client.logins, calls=client.calls)
        if error is not None and previous != status["state"]:
            note(logging.ERROR, "kerio_api_unavailable", state=status["state"], error=str(error),
                 detection="goes on")  # fmt: skip
        elif error is None and previous not in (None, "ok"):
            note(logging.INFO, "kerio_api_recovered")
        try:
            with store.transaction():
                store.set_meta(STATUS_KEY, json.dumps(status))
        except KerioWatchError as exc:
            note(logging.ERROR, "kerio_api_status_not_saved", error=str(exc))
