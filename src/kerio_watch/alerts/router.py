"""The router: which alerts go to which sinks, when, and what happened to each.

Used by ``scan`` and ``follow`` the same way::

    router = Router(config, store)
    pipeline.listeners.append(router.listener)   # collects reported alerts
    pipeline.on_save.append(router.on_save)      # queues deliveries in the same transaction
    pipeline.save()
    router.deliver_pending()                     # after the commit: send what is due
    ...
    router.close()

Rules, per sink:

- **min_severity**: lower alerts are not queued.
- **cooldown**: after an incident's alert is sent, later escalations of the same
  incident wait until the cooldown has passed; while one waits, newer states replace
  it, so the sink receives the latest state once.
- **max_per_hour**: at most this many alerts per clock hour; the rest are held, and
  when the hour is over one notice lists them ("7 alerts held back ...").
- **retries**: a failed attempt is retried after 5 s, 30 s, 2 min, 10 min, then
  hourly; after 24 hours the delivery is marked failed. A failed attempt also pauses
  the sink until that retry time, so a dead server costs one time-boxed attempt per
  step, not one per alert.
- **digest sinks** (e-mail with ``digest = "daily"``) collect alerts and get one
  digest a day instead.

Sending happens in one worker thread per sink, so a slow sink never delays another;
:meth:`Router.deliver_pending` waits at most about the longest sink timeout and
collects late results on its next call. Nothing here raises: problems are logged,
recorded in the queue and reported by :meth:`Router.health`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kerio_watch.alerts import SINKS
from kerio_watch.alerts.base import Digest, DigestSink, Sink
from kerio_watch.alerts.digest import build_digest
from kerio_watch.alerts.model import Alert
from kerio_watch.alerts.queue import (
    ALERT,
    COLLECTED,
    DIGEST,
    DIGESTED,
    FAILED,
    HELD,
    PENDING,
    SENDING,
    SENT,
    SUMMARIZED,
    SUMMARY,
    Delivery,
)
from kerio_watch.alerts.render import held_back_alert
from kerio_watch.alerts.timing import GIVE_UP_AFTER, backoff, last_slot, parse_clock
from kerio_watch.config import Config
from kerio_watch.errors import SinkError
from kerio_watch.store.base import Store
from kerio_watch.textsafe import printable

log = logging.getLogger(__name__)

STUCK_GRACE = 5.0
"""Seconds past its timeout after which a send is abandoned as hung."""
KEEP_FINISHED = 30 * 86400
"""Finished deliveries are kept this long (for ``health`` and the dashboard)."""


def build_sinks(config: Config) -> list[Sink[Any]]:
    """One sink per ``[[sinks]]`` table (validated when the config was loaded).

    Raises:
        ConfigError: a table is invalid (only when the config was not validated).
    """
    return [SINKS[table["type"]].from_table(table) for table in config.sinks]


def deliver_one(sink: Sink[Any], payload: Alert | Digest) -> None:
    """Send an alert or a digest to one sink.

    Raises:
        SinkError: it was not delivered.
    """
    if isinstance(payload, Digest):
        if not isinstance(sink, DigestSink):
            raise SinkError(f"{sink.name}: this sink type cannot send digests")
        sink.send_digest(payload)
    else:
        sink.send(payload)


def send_with_deadline(sink: Sink[Any], payload: Alert | Digest) -> float:
    """Send in a helper thread, waiting at most the sink's timeout plus a grace period.

    Returns:
        Seconds it took.

    Raises:
        SinkError: it failed or took too long (the attempt is abandoned).
    """
    errors: list[BaseException] = []

    def run() -> None:
        try:
            deliver_one(sink, payload)
        except BaseException as exc:
            errors.append(exc)

    start = time.monotonic()
    thread = threading.Thread(target=run, name=f"kerio-watch-send-{sink.name}", daemon=True)
    thread.start()
    thread.join(sink.options.timeout + STUCK_GRACE)
    if thread.is_alive():
        raise SinkError(f"no answer within {sink.options.timeout:g} s (gave up waiting)")
    if errors:
        exc = errors[0]
        if isinstance(exc, SinkError):
            raise exc
        raise SinkError(f"{type(exc).__name__}: {printable(str(exc))}") from exc
    return time.monotonic() - start


def delivery_report(before: list[dict[str, object]], after: list[dict[str, object]]) -> list[str]:
    """One line per sink saying what a run delivered and what is still waiting.

    Args:
        before: :meth:`Router.health` at the start of the run.
        after: :meth:`Router.health` at the end.
    """
    prev = {h["name"]: h for h in before}

    def delta(h: dict[str, object], key: str) -> int:
        return max(0, _int(h[key]) - _int(prev.get(h["name"], {}).get(key, 0)))

    lines = []
    for h in after:
        parts = [f"{delta(h, 'sent')} sent"]
        if h["pending"]:
            parts.append(f"{h['pending']} waiting (cooldown or retry)")
        if h["held"]:
            parts.append(f"{h['held']} held back by max_per_hour (summarised after the hour)")
        if h["collected"]:
            parts.append(f"{h['collected']} kept for the next digest")
        if delta(h, "failed"):
            parts.append(f"{delta(h, 'failed')} given up after 24 h of retries")
        line = f"sink {h['name']} ({h['type']}): " + ", ".join(parts)
        if not h["ok"]:
            line += f"; last error: {h['last_error']}"
        lines.append(line)
    return lines


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


@dataclass
class _Job:
    delivery: Delivery
    payload: Alert | Digest


@dataclass
class _Result:
    job: _Job
    error: str | None


class _Worker(threading.Thread):
    """Sends one sink's jobs in order, stopping at the first failure."""

    def __init__(self, sink: Sink[Any], jobs: list[_Job]) -> None:
        super().__init__(name=f"kerio-watch-sink-{sink.name}", daemon=True)
        self.sink = sink
        self.jobs = jobs
        self.lock = threading.Lock()
        self.results: list[_Result] = []
        self.current: _Job | None = None
        self.current_since = 0.0

    def run(self) -> None:
        for job in self.jobs:
            with self.lock:
                self.current, self.current_since = job, time.monotonic()
            error: str | None = None
            try:
                deliver_one(self.sink, job.payload)
            except SinkError as exc:
                error = str(exc) or type(exc).__name__
            except Exception as exc:
                log.exception("sink %s crashed", self.sink.name)
                error = f"{type(exc).__name__}: {printable(str(exc))}"
            with self.lock:
                self.results.append(_Result(job, error))
                self.current = None
            if error is not None:
                return

    def take(self) -> list[_Result]:
        """Results so far (each returned once)."""
        with self.lock:
            out, self.results = self.results, []
            return out

    def stuck_for(self) -> float:
        """Seconds the current job has run past the sink's time box (0 when none)."""
        with self.lock:
            if self.current is None:
                return 0.0
            timeout = float(self.sink.options.timeout)
            return max(0.0, time.monotonic() - self.current_since - timeout)


class Router:
    """Queues alerts for the configured sinks and delivers them.

    Args:
        config: the validated configuration (its ``[[sinks]]``).
        store: the state database holding the delivery queue.
        clock: wall-clock time (tests pass their own).
        sinks: use these instead of building them from ``config``.
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        sinks: Iterable[Sink[Any]] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        built = list(sinks) if sinks is not None else build_sinks(config)
        self.sinks: dict[str, Sink[Any]] = {s.name: s for s in built}
        self.zone: dt.tzinfo | None = config.site.zone()
        self._collected: list[Alert] = []
        self._workers: dict[str, _Worker] = {}
        self._paused: dict[str, float] = {}
        self._pruned = 0.0
        self._closed = False

    # -- the pipeline hooks ---------------------------------------------------------------
    def listener(self, alert: Alert, reported: bool) -> None:
        """Pipeline listener: keep reported alerts until the next save."""
        if reported:
            self._collected.append(alert)

    def on_save(self, store: Store) -> None:
        """Inside the pipeline's transaction: queue one delivery per (alert, sink)."""
        alerts, self._collected = self._collected, []
        now = self.clock()
        for alert in alerts:
            for sink in self.sinks.values():
                if not sink.options.enabled or alert.severity < sink.options.min_severity:
                    continue
                if isinstance(sink, DigestSink) and sink.digest_time():
                    store.add_delivery(self._delivery(sink, alert, now, COLLECTED))
                else:
                    self._enqueue(store, sink, alert, now)

    @staticmethod
    def _delivery(sink: Sink[Any], alert: Alert, due: float, status: str = PENDING) -> Delivery:
        return Delivery(
            sink=sink.name,
            kind=ALERT,
            data=alert.to_dict(),
            created=due,
            due=due,
            status=status,
            incident_id=alert.incident_id,
            alert_id=alert.id,
            severity=int(alert.severity),
        )

    def _enqueue(self, store: Store, sink: Sink[Any], alert: Alert, now: float) -> None:
        """Queue an alert, merging it into a waiting one of the same incident (cooldown)."""
        waiting = store.deliveries(
            sink=sink.name, kind=ALERT, incident_id=alert.incident_id, status=PENDING
        )
        if waiting:
            row = waiting[-1]
            if alert.severity >= row.severity:
                row.data, row.alert_id, row.severity = (
                    alert.to_dict(),
                    alert.id,
                    int(alert.severity),
                )
                row.merged += 1
                store.update_delivery(row)
            return
        due = now
        cooldown = sink.options.cooldown
        if cooldown > 0:
            name, inc = sink.name, alert.incident_id
            if store.deliveries(sink=name, kind=ALERT, incident_id=inc, status=SENDING, limit=1):
                due = now + cooldown  # one is on its way right now
            else:
                last = store.deliveries(
                    sink=name, kind=ALERT, incident_id=inc, status=SENT, order="sent", limit=1
                )
                if last and last[0].sent_at is not None:
                    due = max(now, last[0].sent_at + cooldown)
        row = self._delivery(sink, alert, now)
        row.due = due
        store.add_delivery(row)

    # -- delivery -----------------------------------------------------------------------
    def deliver_pending(self, now: float | None = None) -> None:
        """Send what is due; record results. Never raises; waits about one sink timeout."""
        try:
            now = self.clock() if now is None else now
            self._collect(now)
            self._reap(now)
            with self.store.transaction():
                self._schedule_digests(now)
                self._summarize_held(now)
                self._prune(now)
            started = self._dispatch(now)
            begin = time.monotonic()
            for worker in started:  # each sink gets its own time box, in parallel
                budget = float(worker.sink.options.timeout) + 1.0
                worker.join(max(0.0, begin + budget - time.monotonic()))
            self._collect(now)
        except Exception:
            log.exception("alert delivery failed (detection is not affected)")

    def _payload(self, row: Delivery) -> Alert | Digest:
        if row.kind == DIGEST:
            return Digest.from_dict(row.data)
        return Alert.from_dict(row.data)

    def _dispatch(self, now: float) -> list[_Worker]:
        """Claim due deliveries and start one worker per sink that has some."""
        plans: dict[str, list[_Job]] = {}
        hour = int(now // 3600)
        with self.store.transaction():  # read and claim under one write lock
            due = self.store.deliveries(status=(PENDING, SENDING), due_before=now, order="priority")
            sent_this_hour: dict[str, int] = {}
            for row in due:
                sink = self.sinks.get(row.sink)
                if sink is None or not sink.options.enabled:
                    continue
                if row.sink in self._workers or self._paused.get(row.sink, 0.0) > now:
                    continue
                cap = sink.options.max_per_hour
                if row.kind == ALERT and cap:
                    if row.sink not in sent_this_hour:
                        sent_this_hour[row.sink] = len(
                            self.store.deliveries(
                                sink=row.sink,
                                kind=ALERT,
                                status=SENT,
                                sent_since=hour * 3600,
                                limit=cap + 1,
                            )
                        )
                    if sent_this_hour[row.sink] >= cap:
                        row.status, row.hour = HELD, hour
                        self.store.update_delivery(row)
                        continue
                    sent_this_hour[row.sink] += 1
                try:
                    payload = self._payload(row)
                except (KeyError, ValueError, TypeError) as exc:
                    row.status, row.last_error = FAILED, f"unreadable queue entry: {exc}"
                    self.store.update_delivery(row)
                    continue
                jobs = plans.setdefault(row.sink, [])
                row.status = SENDING
                row.due = now + (len(jobs) + 1) * (sink.options.timeout + STUCK_GRACE) + 60
                self.store.update_delivery(row)
                jobs.append(_Job(row, payload))
        started = []
        for name, jobs in plans.items():
            worker = _Worker(self.sinks[name], jobs)
            self._workers[name] = worker
            worker.start()
            started.append(worker)
        return started

    def _collect(self, now: float) -> None:
        """Record the results workers have produced; forget finished workers."""
        for name, worker in list(self._workers.items()):
            results = worker.take()
            finished = not worker.is_alive()
            if finished:
                results += worker.take()
                del self._workers[name]
            if not results and not finished:
                continue
            with self.store.transaction():
                for result in results:
                    self._record(name, result.job.delivery, result.error, now)
                if finished:
                    done = {r.job.delivery.id for r in results}
                    self._release(worker, done, now)

    def _record(self, sink: str, row: Delivery, error: str | None, now: float) -> None:
        row.attempts += 1
        row.last_try = now
        if error is None:
            row.status, row.sent_at, row.last_error = SENT, now, None
            self._paused.pop(sink, None)
            log.info("delivered %s %s to %s", row.kind, row.alert_id or "", sink)
        else:
            row.last_error = error[:500]
            if now - row.created >= GIVE_UP_AFTER:
                row.status = FAILED
                log.error("giving up delivering %s to %s: %s", row.alert_id, sink, error)
            else:
                row.status, row.due = PENDING, now + backoff(row.attempts)
                self._paused[sink] = row.due
                log.warning(
                    "delivery to %s failed (attempt %d, next in %ds): %s",
                    sink,
                    row.attempts,
                    backoff(row.attempts),
                    error,
                )
        self.store.update_delivery(row)

    def _release(self, worker: _Worker, done: set[int | None], now: float) -> None:
        """Jobs a worker did not get to go back to the queue (after the pause, if any)."""
        due = max(now, self._paused.get(worker.sink.name, now))
        for job in worker.jobs:
            if job.delivery.id not in done:
                job.delivery.status, job.delivery.due = PENDING, due
                self.store.update_delivery(job.delivery)

    def _reap(self, now: float) -> None:
        """Abandon a worker hung past its time box; its sink gets a fresh instance."""
        for name, worker in list(self._workers.items()):
            if worker.stuck_for() <= STUCK_GRACE:
                continue
            results = worker.take()
            current = worker.current
            del self._workers[name]
            sink = worker.sink
            self.sinks[name] = type(sink)(sink.options)
            with self.store.transaction():
                for result in results:
                    self._record(name, result.job.delivery, result.error, now)
                done = {r.job.delivery.id for r in results}
                if current is not None:
                    error = f"no answer within {sink.options.timeout:g} s (abandoned)"
                    self._record(name, current.delivery, error, now)
                    done.add(current.delivery.id)
                self._release(worker, done, now)

    # -- storms and digests ---------------------------------------------------------------
    def _summarize_held(self, now: float) -> None:
        """After each capped hour, one notice per sink listing what was held back."""
        hour = int(now // 3600)
        groups: dict[tuple[str, int], list[Delivery]] = {}
        for row in self.store.deliveries(status=HELD):
            if row.hour is not None and row.hour < hour:
                groups.setdefault((row.sink, row.hour), []).append(row)
        for (name, held_hour), rows in groups.items():
            sink = self.sinks.get(name)
            if sink is None:
                continue
            alerts = [Alert.from_dict(r.data) for r in rows]
            start = held_hour * 3600
            notice = held_back_alert(
                name, alerts, start, start + 3600, sink.options.max_per_hour, self.zone
            )
            self.store.add_delivery(
                Delivery(
                    sink=name,
                    kind=SUMMARY,
                    data=notice.to_dict(),
                    created=now,
                    due=now,
                    alert_id=notice.id,
                    severity=int(notice.severity),
                )
            )
            for row in rows:
                row.status = SUMMARIZED
                self.store.update_delivery(row)

    def _schedule_digests(self, now: float) -> None:
        """Queue each digest sink's digest once its daily time has passed."""
        for sink in self.sinks.values():
            at = sink.digest_time() if isinstance(sink, DigestSink) else None
            if not at or not sink.options.enabled:
                continue
            slot = last_slot(now, parse_clock(at), self.zone)
            key = f"digest:{sink.name}:last"
            last = self.store.get_meta(key)
            if last is None:
                self.store.set_meta(key, repr(slot))
                continue
            if float(last) >= slot:
                continue
            rows = self.store.deliveries(sink=sink.name, status=COLLECTED)
            alerts = [Alert.from_dict(r.data) for r in rows]
            floor = int(sink.options.min_severity)
            still_open = self.store.incidents(status="open", min_severity=floor, limit=500)
            problems = [
                f"{h['name']} ({h['type']}): {h['failed']} failed, {h['pending']} waiting; "
                f"last error: {h['last_error']}"
                for h in self.health()
                if h["name"] != sink.name and (not h["ok"] or h["failed"])
            ]
            self.store.set_meta(key, repr(slot))
            if not alerts and not still_open and not getattr(sink.options, "digest_empty", True):
                continue
            digest = build_digest(
                alerts, still_open, self._incident_status, float(last), slot, self.zone, problems
            )
            self.store.add_delivery(
                Delivery(
                    sink=sink.name,
                    kind=DIGEST,
                    data=digest.to_dict(),
                    created=now,
                    due=now,
                    alert_id=f"digest-{int(slot)}",
                    severity=max((r.severity for r in rows), default=0),
                )
            )
            for row in rows:
                row.status = DIGESTED
                self.store.update_delivery(row)

    def _incident_status(self, incident_id: int) -> str | None:
        inc = self.store.incident(incident_id)
        return inc.status if inc is not None else None

    def _prune(self, now: float) -> None:
        if now - self._pruned > 3600:
            self._pruned = now
            self.store.prune_deliveries(now - KEEP_FINISHED)

    # -- reporting and shutdown -----------------------------------------------------------
    def health(self) -> list[dict[str, object]]:
        """Per sink: name, type, ok, last_error, pending, sent, failed, held, collected."""
        try:
            counts = self.store.delivery_counts()
        except Exception:
            log.exception("cannot read the delivery queue")
            counts = {}
        out: list[dict[str, object]] = []
        for name, sink in self.sinks.items():
            n = counts.get(name, {})
            try:
                last = self.store.deliveries(sink=name, order="tried", limit=1)
            except Exception:
                last = []
            tried = last[0] if last and last[0].last_try is not None else None
            error = tried.last_error if tried is not None else None
            out.append(
                {
                    "name": name,
                    "type": sink.type,
                    "ok": error is None,
                    "last_error": error,
                    "pending": n.get(PENDING, 0) + n.get(SENDING, 0),
                    "sent": n.get(SENT, 0),
                    "failed": n.get(FAILED, 0),
                    "held": n.get(HELD, 0),
                    "collected": n.get(COLLECTED, 0),
                    "last_try": tried.last_try if tried is not None else None,
                }
            )
        return out

    def close(self) -> None:
        """Wait (bounded) for sends in progress, record them, close the sinks (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            deadline = time.monotonic() + max(
                (w.sink.options.timeout + STUCK_GRACE for w in self._workers.values()),
                default=0.0,
            )
            for worker in list(self._workers.values()):
                worker.join(max(0.0, deadline - time.monotonic()))
            now = self.clock()
            self._collect(now)
            for name in list(self._workers):
                # Still running: leave its claims; they expire and are retried next run.
                log.warning("delivery to %s still in progress at exit", name)
                del self._workers[name]
        except Exception:
            log.exception("alert delivery failed while closing")
        for sink in self.sinks.values():
            try:
                sink.close()
            except Exception:
                log.exception("closing sink %s failed", sink.name)
