"""The router: which alerts go to which sinks, when, and what happened to each.

Used by ``scan`` and ``follow`` the same way::

    router = Router(config, store, notify=wake)   # wake(): a worker has an outcome
    pipeline.listeners.append(router.listener)   # collects reported alerts
    pipeline.on_save.append(router.on_save)      # queues deliveries in the same transaction
    pipeline.save()
    router.deliver_pending()                     # after the commit: hand out what is due
    router.poll()                                # now and then: record outcomes (cheap)
    ...
    router.close()                               # bounded wait for sends in progress

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

Sending happens on one worker thread per sink (:mod:`kerio_watch.alerts.workers`): the
caller's thread only reads and writes the queue in the state database, never waits on
the network, so a slow or hanging sink delays neither detection nor another sink.
Outcomes are recorded by the caller's thread at its next :meth:`Router.poll`,
:meth:`Router.deliver_pending`, :meth:`Router.wait` or :meth:`Router.close`. Nothing
here raises: problems are logged, recorded in the queue and reported by
:meth:`Router.health`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from typing import Any

from kerio_watch.alerts.base import Digest, DigestSink, Sink
from kerio_watch.alerts.digests import schedule_digests, summarize_held
from kerio_watch.alerts.enqueue import delivery_of, enqueue
from kerio_watch.alerts.health import delivery_report, sink_health
from kerio_watch.alerts.timing import GIVE_UP_AFTER, backoff
from kerio_watch.alerts.workers import STUCK_GRACE, Job, Outcome, SinkWorker
from kerio_watch.config import Config
from kerio_watch.log import ROUTER, get_logger
from kerio_watch.store.base import Store
from kerio_watch.values.alert import Alert
from kerio_watch.values.delivery import (
    ALERT,
    COLLECTED,
    DIGEST,
    FAILED,
    HELD,
    PENDING,
    SENDING,
    SENT,
    Delivery,
)

log = get_logger(ROUTER)

__all__ = ["KEEP_FINISHED", "Router", "build_sinks", "delivery_report"]

KEEP_FINISHED = 30 * 86400
"""Finished deliveries are kept this long (for ``health`` and the dashboard)."""


def build_sinks(config: Config) -> list[Sink[Any]]:
    """One sink per ``[[sinks]]`` table (validated when the config was loaded).

    Raises:
        ConfigError: a table is invalid (only when the config was not validated).
    """
    from kerio_watch.alerts.registry import SINKS  # noqa: PLC0415 (only with [[sinks]])

    return [SINKS[table["type"]].from_table(table) for table in config.sinks]


class Router:
    """Queues alerts for the configured sinks and delivers them.

    Args:
        config: the validated configuration (its ``[[sinks]]``).
        store: the state database holding the delivery queue.
        clock: wall-clock time (tests pass their own).
        sinks: use these instead of building them from ``config``.
        notify: called from a worker thread when an outcome is ready (the follower
            wakes its loop with it, to record the outcome and send what is next).
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        sinks: Iterable[Sink[Any]] | None = None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.notify = notify
        self.store = store
        self.clock = clock
        built = list(sinks) if sinks is not None else build_sinks(config)
        self.sinks: dict[str, Sink[Any]] = {s.name: s for s in built}
        self.zone: dt.tzinfo | None = config.site.zone()
        self._collected: list[Alert] = []
        self._workers: dict[str, SinkWorker] = {}
        self._retiring: list[SinkWorker] = []
        """Workers of a router this one replaced (reload), finishing their sends."""
        self._inflight: dict[int, tuple[str, str]] = {}
        """Delivery id -> (sink, kind) of every job handed to a worker and not settled."""
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
                    store.add_delivery(delivery_of(sink, alert, now, COLLECTED))
                else:
                    enqueue(store, sink, alert, now)

    # -- delivery -----------------------------------------------------------------------
    def deliver_pending(self, now: float | None = None) -> None:
        """Record what the workers finished, hand them what is due. Never waits, never raises.

        Sending happens on the sinks' worker threads; :meth:`poll` (cheap) or the next
        call records the outcomes, :meth:`wait` waits for them.
        """
        try:
            now = self.clock() if now is None else now
            self._collect(now)
            self._reap(now)
            with self.store.transaction():
                schedule_digests(self.store, self.sinks, now, self.zone, self.health)
                summarize_held(self.store, self.sinks, now, self.zone)
                self._prune(now)
            self._dispatch(now)
        except Exception:
            log.exception("alert delivery failed (detection is not affected)")

    def poll(self) -> bool:
        """If a worker has an outcome (or hangs), record it and hand out what is due next.

        Cheap when there is nothing to do (no database access): call it as often as you like.
        """
        workers = [*self._workers.values(), *self._retiring]
        if any(w.ready() or w.stuck_for() > STUCK_GRACE for w in workers):
            self.deliver_pending()
            return True
        return False

    def wait(self, timeout: float) -> bool:
        """Wait at most ``timeout`` seconds for the workers to finish what they were
        given, and record the outcomes. True when they all did."""
        deadline = time.monotonic() + timeout
        workers = [*self._workers.values(), *self._retiring]
        idle = [w.wait_idle(deadline) for w in workers]
        try:
            self._collect(self.clock())
        except Exception:
            log.exception("alert delivery failed (detection is not affected)")
        return all(idle)

    def adopt(self, old: Router) -> None:
        """Take over the sends in progress of the router this one replaces (a reload),
        without waiting for them: their outcomes are recorded here."""
        self._paused.update(old._paused)
        self._inflight.update(old._inflight)
        self._retiring += [*old._workers.values(), *old._retiring]
        for worker in self._retiring:
            worker.notify = self.notify
        old._workers, old._retiring = {}, []
        old.close(wait=False)

    def _payload(self, row: Delivery) -> Alert | Digest:
        if row.kind == DIGEST:
            return Digest.from_dict(row.data)
        return Alert.from_dict(row.data)

    def _dispatch(self, now: float) -> None:
        """Claim due deliveries (in one transaction) and queue them on the sinks' workers."""
        plans: dict[str, list[Job]] = {}
        counted: dict[str, int] = {}
        with self.store.transaction():  # read and claim under one write lock
            due = self.store.deliveries(status=(PENDING, SENDING), due_before=now, order="priority")
            for row in due:
                self._claim(row, now, counted, plans)
        for name, jobs in plans.items():
            for job in jobs:
                self._inflight[job.delivery.id or 0] = (name, job.delivery.kind)
            worker = self._workers.get(name)
            if worker is None:
                worker = self._workers[name] = SinkWorker(self.sinks[name], self.notify)
            worker.submit(jobs)

    def _claim(
        self, row: Delivery, now: float, counted: dict[str, int], plans: dict[str, list[Job]]
    ) -> None:
        """Mark one due delivery as being sent and plan it, unless it must wait."""
        sink = self.sinks.get(row.sink)
        if sink is None or not sink.options.enabled or (row.id or 0) in self._inflight:
            return
        if self._paused.get(row.sink, 0.0) > now or self._retiring_busy(row.sink):
            return
        if row.kind == ALERT and not self._under_cap(sink, row, now, counted):
            return
        try:
            payload = self._payload(row)
        except (KeyError, ValueError, TypeError) as exc:
            row.status, row.last_error = FAILED, f"unreadable queue entry: {exc}"
            self.store.update_delivery(row)
            return
        jobs = plans.setdefault(row.sink, [])
        worker = self._workers.get(row.sink)
        ahead = len(jobs) + (worker.backlog() if worker is not None else 0) + 1
        row.status = SENDING  # a claim: it expires at ``due`` if this process dies
        row.due = now + ahead * (sink.options.timeout + STUCK_GRACE) + 60
        self.store.update_delivery(row)
        jobs.append(Job(row, payload))

    def _under_cap(
        self, sink: Sink[Any], row: Delivery, now: float, counted: dict[str, int]
    ) -> bool:
        """Within the sink's max_per_hour (counting sends in progress); else held back."""
        cap = sink.options.max_per_hour
        if not cap:
            return True
        hour = int(now // 3600)
        if row.sink not in counted:
            sent = self.store.deliveries(
                sink=row.sink, kind=ALERT, status=SENT, sent_since=hour * 3600, limit=cap + 1
            )
            busy = sum(1 for job in self._inflight.values() if job == (row.sink, ALERT))
            counted[row.sink] = len(sent) + busy
        if counted[row.sink] >= cap:
            row.status, row.hour = HELD, hour
            self.store.update_delivery(row)
            return False
        counted[row.sink] += 1
        return True

    def _retiring_busy(self, name: str) -> bool:
        return any(w.sink.name == name and w.busy() for w in self._retiring)

    def _collect(self, now: float) -> None:
        """Record the outcomes the workers have; let go of retired workers that are done."""
        for worker in [*self._workers.values(), *self._retiring]:
            outcomes = worker.take()
            if outcomes:
                with self.store.transaction():
                    for outcome in outcomes:
                        self._settle(worker.sink.name, outcome, now)
        for worker in [w for w in self._retiring if not w.busy()]:
            worker.stop()
            self._retiring.remove(worker)

    def _settle(self, sink: str, outcome: Outcome, now: float) -> None:
        """One job's outcome into the queue: sent, failed (retry later) or untried."""
        row = outcome.job.delivery
        self._inflight.pop(row.id or 0, None)
        if outcome.tried:
            self._record(sink, row, outcome.error, now)
        else:  # queued behind a failure: goes back, due when the sink's pause ends
            row.status, row.due = PENDING, max(now, self._paused.get(sink, now))
            self.store.update_delivery(row)

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

    def _abandon(self, worker: SinkWorker, now: float, error: str | None) -> None:
        """Stop a worker: record its outcomes and (with ``error``) its current send as
        failed; what it never started goes back to the queue. Without ``error`` a send
        still in progress keeps its claim (retried once the claim expires)."""
        outcomes = worker.take()
        current, queued = worker.stop()
        if current is not None and error is not None:
            outcomes.append(Outcome(current, error))
        outcomes += [Outcome(job, None, tried=False) for job in queued]
        if outcomes:
            with self.store.transaction():
                for outcome in outcomes:
                    self._settle(worker.sink.name, outcome, now)

    def _reap(self, now: float) -> None:
        """Abandon a worker hung past its time box; its sink gets a fresh instance."""
        for name, worker in list(self._workers.items()):
            if worker.stuck_for() <= STUCK_GRACE:
                continue
            del self._workers[name]
            sink = worker.sink
            self.sinks[name] = type(sink)(sink.options)
            self._abandon(worker, now, f"no answer within {sink.options.timeout:g} s (abandoned)")
        for worker in [w for w in self._retiring if w.stuck_for() > STUCK_GRACE]:
            self._retiring.remove(worker)
            timeout = worker.sink.options.timeout
            self._abandon(worker, now, f"no answer within {timeout:g} s (abandoned)")

    def _prune(self, now: float) -> None:
        if now - self._pruned > 3600:
            self._pruned = now
            self.store.prune_deliveries(now - KEEP_FINISHED)

    # -- reporting and shutdown -----------------------------------------------------------
    def health(self) -> list[dict[str, object]]:
        """Per sink: name, type, ok, last_error, pending, sent, failed, held, collected."""
        return sink_health(self.store, self.sinks)

    def close(self, wait: bool = True) -> None:
        """Stop the workers and record what they did (once).

        With ``wait``, sends in progress or queued get at most the longest sink timeout
        plus a grace period to finish. Jobs never started go back to the queue; a send
        still running keeps its claim and is retried by a later run once it expires.
        """
        if self._closed:
            return
        self._closed = True
        workers = [*self._workers.values(), *self._retiring]
        try:
            if wait:
                grace = (w.sink.options.timeout + STUCK_GRACE for w in workers if w.busy())
                deadline = time.monotonic() + max(grace, default=0.0)
                for worker in workers:
                    worker.wait_idle(deadline)
            now = self.clock()
            for worker in workers:
                if worker.sending():  # queued jobs go back to the queue: not worth a word
                    log.warning(
                        "delivery to %s still in progress at exit: retried by the next run",
                        worker.sink.name,
                    )
                self._abandon(worker, now, None)
        except Exception:
            log.exception("alert delivery failed while closing")
        self._workers, self._retiring = {}, []
        owned = {id(w.sink) for w in workers}
        for sink in self.sinks.values():
            if id(sink) in owned:
                continue  # its worker closes it when it stops
            try:
                sink.close()
            except Exception:
                log.exception("closing sink %s failed", sink.name)
