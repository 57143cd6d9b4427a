"""One worker thread per sink: the network side of alert delivery.

The router (on the caller's thread, the only one that touches the state database)
claims due deliveries and hands them to the sink's :class:`SinkWorker`; the worker
sends them in order on its own thread and keeps the outcomes until the router takes
them. Handing over and taking back never wait on the network, so a sink that hangs
holds up only its own worker: detection and the other sinks go on.

After a failed attempt the worker sends nothing more until the router has taken the
failure (the sink is then paused until its retry time); jobs queued meanwhile come back
untried.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kerio_watch.alerts.base import Digest, DigestSink, Sink
from kerio_watch.errors import SinkError
from kerio_watch.log import ROUTER, get_logger
from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert
from kerio_watch.values.delivery import Delivery

log = get_logger(ROUTER)

STUCK_GRACE = 5.0
"""Seconds past its timeout after which a send is abandoned as hung."""


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


def attempt(sink: Sink[Any], payload: Alert | Digest) -> str | None:
    """One delivery attempt: None when delivered, else what went wrong (never raises)."""
    try:
        deliver_one(sink, payload)
    except SinkError as exc:
        return str(exc) or type(exc).__name__
    except Exception as exc:
        return f"{type(exc).__name__}: {printable(str(exc))}"
    return None


def send_with_deadline(sink: Sink[Any], payload: Alert | Digest) -> float:
    """Send in a helper thread, waiting at most the sink's timeout plus a grace period.

    Returns:
        Seconds it took.

    Raises:
        SinkError: it failed or took too long (the attempt is abandoned).
    """
    errors: list[str] = []

    def run() -> None:
        error = attempt(sink, payload)
        if error is not None:
            errors.append(error)

    start = time.monotonic()
    thread = threading.Thread(target=run, name=f"kerio-watch-send-{sink.name}", daemon=True)
    thread.start()
    thread.join(sink.options.timeout + STUCK_GRACE)
    if thread.is_alive():
        raise SinkError(f"no answer within {sink.options.timeout:g} s (gave up waiting)")
    if errors:
        raise SinkError(errors[0])
    return time.monotonic() - start


@dataclass
class Job:
    """One claimed delivery and what to send."""

    delivery: Delivery
    payload: Alert | Digest


@dataclass
class Outcome:
    """What became of a job: sent (``error`` None), failed, or not tried."""

    job: Job
    error: str | None
    tried: bool = True


class SinkWorker:
    """Sends one sink's jobs in order on its own thread.

    Args:
        sink: the sink (owned by the worker from now on: it closes it when it stops).
        notify: called (on the worker's thread) when an outcome is ready.
    """

    def __init__(self, sink: Sink[Any], notify: Callable[[], None] | None = None) -> None:
        self.sink = sink
        self.notify = notify
        self._cond = threading.Condition()
        self._queue: deque[Job] = deque()
        self._outcomes: list[Outcome] = []
        self._current: Job | None = None
        self._since = 0.0
        self._halted = False
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name=f"kerio-watch-sink-{sink.name}", daemon=True
        )
        self._thread.start()

    # -- the router's side --------------------------------------------------------------
    def submit(self, jobs: Iterable[Job]) -> None:
        """Queue jobs (never waits)."""
        with self._cond:
            self._queue.extend(jobs)
            self._cond.notify()

    def take(self) -> list[Outcome]:
        """Outcomes so far, each returned once; clears a halt after a failure."""
        with self._cond:
            out, self._outcomes = self._outcomes, []
            if self._halted:  # the failure that halted it is in ``out``: return the rest
                out += [Outcome(job, None, tried=False) for job in self._queue]
                self._queue.clear()
                self._halted = False
            return out

    def ready(self) -> bool:
        """Outcomes are waiting to be taken."""
        with self._cond:
            return bool(self._outcomes)

    def backlog(self) -> int:
        """Jobs queued or being sent."""
        with self._cond:
            return len(self._queue) + (self._current is not None)

    def sending(self) -> bool:
        """A job is being sent now (jobs only queued behind a failure are not)."""
        with self._cond:
            return self._current is not None

    def busy(self) -> bool:
        """Jobs queued, being sent, or outcomes not yet taken."""
        with self._cond:
            return bool(self._queue or self._current is not None or self._outcomes)

    def stuck_for(self) -> float:
        """Seconds the current job has run past the sink's time box (0 when none)."""
        with self._cond:
            if self._current is None:
                return 0.0
            timeout = float(self.sink.options.timeout)
            return max(0.0, time.monotonic() - self._since - timeout)

    def wait_idle(self, deadline: float) -> bool:
        """Wait until nothing is being sent or left to send (a halted worker sends
        nothing more), or the monotonic ``deadline``."""
        with self._cond:
            while (self._queue and not self._halted) or self._current is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._cond.wait(min(left, 0.5))
            return True

    def stop(self) -> tuple[Job | None, list[Job]]:
        """Stop after the current job: (that job, the jobs never started).

        The thread then closes the sink and ends; outcomes not yet taken are dropped.
        """
        with self._cond:
            self._stopping = True
            queued = list(self._queue)
            self._queue.clear()
            self._cond.notify_all()
            return self._current, queued

    # -- the worker's thread ------------------------------------------------------------
    def _next(self) -> Job | None:
        with self._cond:
            while not self._stopping and (self._halted or not self._queue):
                self._cond.wait()
            if self._stopping:
                return None
            self._current, self._since = self._queue.popleft(), time.monotonic()
            return self._current

    def _run(self) -> None:
        try:
            while (job := self._next()) is not None:
                error = attempt(self.sink, job.payload)
                with self._cond:
                    self._current = None
                    kept = not self._stopping
                    if kept:
                        self._outcomes.append(Outcome(job, error))
                        self._halted = error is not None
                    self._cond.notify_all()
                if kept and self.notify is not None:
                    self.notify()
        finally:
            try:
                self.sink.close()
            except Exception:
                log.exception("closing sink %s failed", self.sink.name)
