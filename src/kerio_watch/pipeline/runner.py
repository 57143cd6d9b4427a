"""One runner: the pipeline of ``scan``, ``follow``, ``demo`` and ``db recover``, built once.

Each command says what differs (:class:`Wiring`: the reporting start, holding lines for
the next run, the watermarks to honour, its own listeners and save hooks, whether alerts
go to the ``[[sinks]]``); :func:`build` makes the pipeline and, when asked, the delivery
:class:`~kerio_watch.alerts.router.Router`, and wires them in one order for every command:
the command's listeners and hooks first, the router's last. :func:`timebase_for` is the
one way a command puts local log times on the UTC line.

The engine behind framing, parsing, enrichment and per-account counters is chosen by
``engine`` (``python``, ``native`` or ``auto``; see :mod:`kerio_watch.native`): the
pipeline asks :func:`kerio_watch.native.resolve` for it and the sources read through it
(:func:`kerio_watch.native.reader.scan_records`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kerio_watch.alerts.router import Router
from kerio_watch.config import Config
from kerio_watch.pipeline.core import AlertListener, Pipeline, SaveHook
from kerio_watch.sources.files import LogFile
from kerio_watch.sources.queue_ids import infer_initial_delta
from kerio_watch.store.base import Store
from kerio_watch.store.timezone import initial_timebase, recorded_timebase
from kerio_watch.timebase import Timebase
from kerio_watch.values.alert import Alert

Watermarks = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Wiring:
    """What one command's run differs in."""

    since: int | None = None
    """UTC epoch; alerts before it are recorded, not reported."""
    hold: bool = False
    """Keep lines waiting for time confirmation in the state (``follow``)."""
    marks: Watermarks | None = None
    """The log-time watermarks to skip up to (None: the store's)."""
    listeners: Sequence[AlertListener] = ()
    on_save: Sequence[SaveHook] = ()
    sinks: bool = False
    """Route reported alerts to the configured ``[[sinks]]`` (when there are any)."""
    notify: Callable[[], None] | None = None
    """Called by the router when a sink's worker finished (wakes ``follow``)."""
    already_sent: Callable[[Alert], bool] | None = None
    """Alerts the sinks already had (``db recover``): recorded, not reported."""
    engine: str | None = None
    """``python``, ``native`` or ``auto`` (None: the process's choice)."""


@dataclass
class Run:
    """A built pipeline and its delivery router (None: no sinks)."""

    pipeline: Pipeline
    router: Router | None


def build(config: Config, store: Store, timebase: Timebase, wiring: Wiring) -> Run:
    """The pipeline for one command over an open store.

    Raises:
        ConfigError: the detectors or sinks of ``config`` are invalid.
    """
    pipeline = Pipeline(
        config, store, timebase, since=wiring.since, hold=wiring.hold, engine=wiring.engine
    )
    if wiring.marks is not None:
        pipeline.use_watermarks(wiring.marks)
    pipeline.already_sent = wiring.already_sent
    router = None
    if wiring.sinks and config.sinks:
        router = Router(config, store, notify=wiring.notify)
    pipeline.listeners.extend(wiring.listeners)
    pipeline.on_save.extend(wiring.on_save)
    if router is not None:
        pipeline.listeners.append(router.listener)
        pipeline.on_save.append(router.on_save)
    return Run(pipeline, router)


def timebase_for(
    config: Config,
    store: Store | None,
    files: Callable[[], Sequence[LogFile]],
    saved_delta: str | None = None,
) -> Timebase:
    """Local time -> UTC for a run.

    The configured zone; else the zone an earlier scan's configuration recorded in the
    database; else a delta the follower saved (``saved_delta``); else Queue-ID
    inference seeded from the mail logs among ``files`` (called only then); else, for
    logs without Queue-IDs, what the state database recorded from earlier scans.
    """
    zone = config.site.zone()
    if zone is not None:
        return Timebase(zone)
    recorded = recorded_timebase(store) if store is not None else None
    if recorded is not None:  # a run that knows less does not erase what the database knows
        return recorded
    if saved_delta is not None and saved_delta.lstrip("-").isdigit():
        return Timebase(None, int(saved_delta))
    return initial_timebase(store, infer_initial_delta(list(files())))
