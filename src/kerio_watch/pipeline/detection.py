"""The detection stage: detectors score events into signals, then the learner learns.

Detectors see the events of the kinds they want (and the enrichment's submissions);
their signals go to ``sink`` (the pipeline folds them into incidents). The learner
updates profiles after scoring, so an event never vouches for itself. Everything here
runs on the time written in the log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kerio_watch.detect import build_detectors
from kerio_watch.detect.base import Signal
from kerio_watch.detect.context import Context
from kerio_watch.detect.learner import Learner
from kerio_watch.enrich.messages import Submission
from kerio_watch.events import Event, LoginSucceeded, MessageReceived
from kerio_watch.pipeline.marks import SET_BACK
from kerio_watch.store.base import Store

Observe = Callable[[Any], Sequence[Signal] | None]
LEARNED = frozenset({MessageReceived, LoginSucceeded})
"""The event classes :meth:`Learner.event` learns from; it takes nothing from the others,
so they are not handed to it."""


class Detection:
    """The detectors (by event kind) and the learner of one run.

    Raises:
        ConfigError: (when built) an unknown detector or a bad detector option.
    """

    def __init__(self, ctx: Context, sink: Callable[[Sequence[Signal]], None]) -> None:
        self.ctx = ctx
        self.sink = sink
        self.detectors = build_detectors(ctx)
        self.dispatch: dict[str, list[Observe]] = {}
        for det in self.detectors:
            for kind in det.wants:
                self.dispatch.setdefault(kind, []).append(det.observe)
        self.timed = [d for d in self.detectors if not getattr(d.flush, "untimed", False)]
        """The detectors whose ``flush`` does something (:func:`~.base.untimed`)."""
        self.minutely = [d for d in self.timed if not getattr(d.flush, "hourly", False)]
        """Those whose ``flush`` may work at any minute's tick (:func:`~.base.hourly`)."""
        self._hour: int | None = None
        """The log hour of the last tick that called every timed flush and the learner's."""
        self.learner = Learner(ctx)

    def observe(self, event: Event, sub: Submission | None) -> None:
        """Score an event (then its submission, if any); then learn from it."""
        dispatch = self.dispatch
        handlers = dispatch.get(event.kind)
        if handlers:
            for observe in handlers:
                signals = observe(event)
                if signals:
                    self.sink(signals)
        if sub is not None:
            handlers = dispatch.get("submission")
            if handlers:
                for observe in handlers:
                    signals = observe(sub)
                    if signals:
                        self.sink(signals)
            self.learner.submission(sub)
        elif event.__class__ in LEARNED:  # the learner takes nothing from the others
            self.learner.event(event)

    def external(self, event: Event) -> None:
        """Score an event from outside the logs (no learning)."""
        for observe in self.dispatch.get(event.kind, ()):
            signals = observe(event)
            if signals:
                self.sink(signals)

    def tick(self, now: int) -> None:
        """Time-driven checks at log time ``now``: windows that ended, hours.

        The hourly flushes (:func:`~.base.hourly`) and the learner's, which work only at
        their first call in a log hour, are called at the first tick of each hour: at the
        other ticks of that hour they would return at once.
        """
        hour = now // 3600
        new_hour, self._hour = hour != self._hour, hour
        for det in self.timed if new_hour else self.minutely:
            signals = det.flush(now)
            if signals:
                self.sink(signals)
        if new_hour:
            self.learner.flush(now)

    def clock_set_back(self, old: int, new: int) -> None:
        """The server's clock was set back from log time ``old``: each detector forgets
        what is dated after ``new``, the new clock's future (:mod:`.pipeline.setback`);
        the signals of what they judge at the jump go to the sink. The webmail sessions
        count as used at the first line after the jump."""
        self.ctx.sessions.clock_set_back(new - SET_BACK)
        for det in self.detectors:
            signals = det.clock_set_back(old, new)
            if signals:
                self.sink(signals)

    def load_detectors(self, store: Store) -> None:
        """Restore each detector's saved state (which may restore the hour of its last
        hourly work: the next tick calls every timed flush again)."""
        self._hour = None
        for det in self.detectors:
            det.load(store)

    def save(self, store: Store) -> None:
        """Save each detector's state, then the learner's."""
        for det in self.detectors:
            det.save(store)
        self.learner.save(store)
