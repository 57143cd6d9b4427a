"""The pipeline: sources -> parse -> events -> enrich -> detect -> incidents -> alerts.

This is the only module that knows every stage. ``scan`` and ``follow`` both feed it
:class:`~kerio_watch.sources.files.Record` objects (built by :mod:`kerio_watch.pipeline.runner`):
the parse stage (:mod:`kerio_watch.pipeline.parsing`) puts their events on the UTC time line;
lines an earlier run already processed are skipped (:mod:`kerio_watch.pipeline.marks`); the
enrichment stage (:mod:`kerio_watch.enrich.stage`) joins messages, attributes webmail
sends and counts hourly activity; the detection stage (:mod:`kerio_watch.pipeline.detection`)
scores and learns; signals are folded into incidents, and alerts go to the listeners.
Everything uses the time written in the log; nothing here reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

from kerio_watch.config import Config
from kerio_watch.detect import all_rules
from kerio_watch.detect.context import Context
from kerio_watch.detect.correspondents import use_native_correspondents
from kerio_watch.detect.direct_smtp import MAIL_PORTS
from kerio_watch.detect.places import own_desk
from kerio_watch.detect.smtp_hosts_mail import use_native_mail_servers
from kerio_watch.detect.state import STATE_VERSION
from kerio_watch.enrich.enrichers import standard
from kerio_watch.enrich.stage import Enrichment
from kerio_watch.events import Event, MessageDelivery
from kerio_watch.formats import build_parsers
from kerio_watch.incidents.coalesce import AlertBatch
from kerio_watch.incidents.engine import IncidentEngine
from kerio_watch.incidents.sync import Memory, apply_decisions
from kerio_watch.native import resolve as resolve_engine
from kerio_watch.native.activity import activity_stage
from kerio_watch.native.seam import attach as attach_native
from kerio_watch.pipeline.autosave import Autosave
from kerio_watch.pipeline.checkpoint import Checkpoints
from kerio_watch.pipeline.detection import Detection
from kerio_watch.pipeline.marks import SENT_MARK, SET_BACK, Marks, Watermarks, mark_of
from kerio_watch.pipeline.parsing import Parsing
from kerio_watch.pipeline.persist import IP_STATE_DAYS, Pruning, load_context, save_context
from kerio_watch.pipeline.prefilter import Prefilter
from kerio_watch.pipeline.resume import Positions
from kerio_watch.pipeline.runstats import RunStats
from kerio_watch.pipeline.setback import SetBack
from kerio_watch.pipeline.timeguard import TimeGuard
from kerio_watch.sources.files import Record
from kerio_watch.store import timezone
from kerio_watch.store.base import Store
from kerio_watch.store.journal import Journal
from kerio_watch.timebase import Timebase
from kerio_watch.values.addresses import use_native_books
from kerio_watch.values.alert import Alert
from kerio_watch.values.signal import Signal

__all__ = ["IP_STATE_DAYS", "SENT_MARK", "AlertListener", "Pipeline", "RunStats", "SaveHook"]

AlertListener = Callable[[Alert, bool], None]
"""Called with each alert and whether it is reported (at or after ``--since``)."""
SaveHook = Callable[[Store], None]
"""Called inside :meth:`Pipeline.save`'s transaction."""


class Pipeline(Checkpoints):
    """One configured pipeline over one state store.

    Args:
        config: the validated configuration.
        store: the state database.
        timebase: local time -> UTC for this server.
        since: UTC epoch; alerts before it are not reported (still stored and learned).
        hold: keep lines whose time waits for confirmation with the saved state (``follow``,
            which never reads a line twice); else they are read again by the next run.
        engine: ``python``, ``native`` or ``auto`` (default: the process's choice, see
            :mod:`kerio_watch.native`).
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        timebase: Timebase,
        since: int | None = None,
        hold: bool = False,
        engine: str | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.timebase = timebase
        fw_zone = config.firewall.zone()
        self.firewall_time = Timebase(fw_zone) if fw_zone is not None else None
        """The firewall's own zone for its local-time lines (``[firewall] timezone``)."""
        self.since = since
        self.hold = hold
        self._ack_seq = store.last_ack_seq()  # first: an ack made while loading is applied
        self._last_id = store.next_incident_id()
        self.engine = IncidentEngine(self._next_id, self.format_time, suppressed=self._ignored)
        # The native engine's seam: its address books, its mail parser, and the
        # tracker's Queue-IDs mirrored.
        self.core = resolve_engine(engine)
        use_native_books(self.core.module)
        use_native_mail_servers(self.core.module)
        use_native_correspondents(self.core.module)
        self.ctx = Context(config, timebase, store.load_profile, self.engine)
        self.parsers = build_parsers()
        self.native_ids: Any = None
        if self.core.module is not None:
            self.native_ids = attach_native(self.ctx.messages, self.parsers, self.core.module)
        self._build_stages()
        self._restore(store)
        self.listeners: list[AlertListener] = []
        self.on_save: list[SaveHook] = []
        """Called inside :meth:`save`'s transaction (follow checkpoints, delivery queue)."""
        self.on_commit: list[Callable[[], None]] = []
        """Called once a save's transaction committed (``scan`` prints its alerts then)."""
        self.saved = self.final_saved = False
        """Whether a save (a final :meth:`save`) has committed (set after the commit:
        what an interrupted ``scan`` says it kept)."""
        self.alerts: list[tuple[Alert, bool]] = []
        self._batch = AlertBatch()
        """The alerts of the log second being processed, one per incident (emitted when
        a later second's event comes, at a tick, and at the end of a run or a save)."""
        self.journal = Journal.beside(store.path)
        self._unjournaled: list[Alert] = []
        self.already_sent: Callable[[Alert], bool] | None = None
        """Alerts the sinks already had (``db recover``): recorded, not reported."""
        self.autosave: Autosave | None = None
        """When to save a checkpoint in the middle of a run (``scan``; see
        :mod:`kerio_watch.pipeline.autosave`); None: only at :meth:`save`."""
        self.positions: Positions | None = None
        """Where the run is in each file (with :attr:`autosave`)."""
        self.left_cleared = False
        self._rec: Record | None = None

    def _build_stages(self) -> None:
        """Enrichment, detection and learning over the context."""
        ctx = self.ctx
        self.activity, activity = activity_stage(self.core.module, ctx.is_local, MAIL_PORTS)
        enrichers = standard(
            ctx.messages,
            ctx.sessions,
            self.activity,
            ctx.note_local_domain,
            ctx.is_local,
            MAIL_PORTS,
            activity,
        )
        self.enrichment = Enrichment(enrichers)
        self.detection = Detection(ctx, self._signals)
        self.detectors = self.detection.detectors
        self.learner = self.detection.learner
        self.sides = {rule.id: rule.side for rule in all_rules()}

    def _restore(self, store: Store) -> None:
        """Take back what an earlier run saved: incidents, state, clock, watermarks."""
        self._now = 0
        self._prune = Pruning(self.config)
        self.engine.restore(store.open_incidents())
        self.learner.load(store)
        self._minute = load_context(store, self.ctx)
        self.detection.load_detectors(store)
        self.watermarks = Watermarks(store.watermarks())
        self.setback = SetBack(self.watermarks, self._set_back, store)
        self.engine.set_back = self.setback
        self.guard = TimeGuard(*self.config.state.time_limits())
        held = self.guard.load(store, self.watermarks.newest())
        self.timebase.resumed = self.guard.ref  # a restart inside the repeated hour
        self.replay: list[Record] = held if self.hold else []
        """Lines held for confirmation by the last run, judged again first."""
        self.stats = RunStats()
        self.prefilter = Prefilter(
            self.ctx.messages.messages, self.timebase, self.guard, self.stats, self.watermarks
        )
        self.skip_line = self.prefilter.skip_line
        """mail.log's pre-parse filter, for sources (see :class:`Prefilter`)."""
        # the native reader's seam (see Prefilter)
        self.count_untracked = self.prefilter.count_untracked
        self.count_dropped_deliveries = self.prefilter.count_dropped_deliveries
        self.parsing = Parsing(
            self.parsers,
            self.timebase,
            self.firewall_time,
            self.guard,
            self.skip_line,
            self._admit,
            self.stats,
        )

    # -- helpers --------------------------------------------------------------------
    def _next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def format_time(self, ts: int) -> str:
        """UTC epoch -> ISO 8601 in the server's offset."""
        return self.timebase.localize(ts).isoformat()

    def _ignored(self, key: str, _signal: Signal) -> bool:
        user = self.config.user(key)
        return bool(user and user.ignore)

    def use_watermarks(self, marks: Marks) -> None:
        """Skip only up to these log-time watermarks (``follow``: what a ``scan`` of this
        database processed before it first started), not the store's."""
        self.watermarks.marks = marks

    # -- the loop -------------------------------------------------------------------
    def run(
        self,
        records: Iterable[Record],
        progress: Callable[[int], None] | None = None,
        prefilter: bool = False,
    ) -> RunStats:
        """Process every record.

        Args:
            records: framed lines, in time order.
            progress: called with the number of records read so far.
            prefilter: apply :attr:`skip_line` here (when the source did not).
        """
        if self.replay:
            records, self.replay = chain(self.replay, records), []
        stats = self.stats
        stats.records += self.parsing.run(records, progress, prefilter)
        stats.implausible = self.guard.implausible
        self._release()  # what was read at once: its last second's alerts go out now
        return stats

    def _admit(self, event: Event, rec: Record) -> None:
        """Process a line whose time is trusted, unless an earlier run did."""
        stats = self.stats
        self._rec = rec
        # Deliveries have their own watermark (marks.mark_of, inline on the hot path).
        log = SENT_MARK if event.__class__ is MessageDelivery else event.log
        if rec.source.continued:  # read on from where an earlier scan left it: new
            self.watermarks.note(log, event.ts)
        elif self.watermarks.already_seen(log, event.ts):
            stats.already_seen += 1
            return
        kind = event.kind
        stats.events[kind] += 1
        rec.source.events[kind] += 1
        self.process(event)

    def process(self, event: Event) -> None:
        """Enrich, detect, learn and record one event (already on UTC time)."""
        ts = event.ts
        stats = self.stats
        if stats.first_ts is None:
            stats.first_ts = ts
        setback = self.setback
        if ts > setback.clock:
            setback.clock = ts
        elif ts < setback.clock - SET_BACK:  # the clock set back, or a log read late
            setback.behind(mark_of(event), ts)
        if setback.late and ts >= setback.clock - SET_BACK:  # a log read late caught up?
            setback.late.pop(mark_of(event), 0)
        if ts > self._now:
            self._release()
            self._advance(ts)
        self.detection.observe(event, self.enrichment.enrich(event))

    def _set_back(self, old: int, new: int) -> None:
        """The server's clock set back (:class:`SetBack`): the detectors forget what is
        dated after ``new``; the ticks go on from the first line after the jump, as in a
        run that starts with it (they followed the newest time, and paused until the
        log's time passed it again: ``queue_backlog`` did not look for three hours)."""
        self.detection.clock_set_back(old, new)
        self._now = 0

    def _advance(self, ts: int) -> None:
        """The log clock moved to ``ts``: a checkpoint when due (between two seconds),
        time-driven work once a minute."""
        autosave = self.autosave
        # not while lines the time guard let go are admitted (see Parsing.releasing)
        releasing = self.parsing.releasing
        if autosave is not None and self._now and not releasing and autosave.due(self._now):
            self.checkpoint(autosave)
        self._now = ts
        self.stats.last_ts = ts
        minute = ts // 60
        if minute != self._minute:
            self._minute = minute
            self.tick(ts)

    def external(self, event: Event) -> None:
        """An event from outside the logs (Kerio's queue, read through the API).

        Detectors that want its kind see it and their signals join the incidents; the
        clock, the learner and the activity do not: it carries the time of the poll,
        not a log time.
        """
        self.detection.external(event)
        self._release()

    def _signals(self, signals: Sequence[Signal]) -> None:
        """Fold signals into their incidents; emit the alerts that makes."""
        for signal in signals:
            signal.side = signal.side or self.sides.get(signal.rule, "")
            if signal.inside is None:  # the office, the VPN; use from the account's own desk
                signal.inside = self.ctx.networks.is_trusted(signal.source_ip) is True or (
                    signal.side == "use" and own_desk(self.ctx, signal.key, signal.source_ip)
                )
            alert = self.engine.ingest(signal)
            if alert is not None:
                self._batch.add(alert)

    def _release(self) -> None:
        """Emit the alerts of the second just processed (:mod:`.incidents.coalesce`)."""
        for alert in self._batch.drain():
            self._emit(alert)

    def _emit(self, alert: Alert) -> None:
        reported = self.since is None or alert.ts >= self.since
        if reported and self.already_sent is not None and self.already_sent(alert):
            reported = False
        self.alerts.append((alert, reported))
        self.stats.alerts += 1
        if reported:
            self.stats.reported += 1
        for listener in self.listeners:
            listener(alert, reported)

    def tick(self, now: int) -> None:
        """Time-driven work at log time ``now``: windows, hours, quiet incidents."""
        self.detection.tick(now)
        self._release()
        self.engine.expire(now)
        if self.activity.full:
            with self.store.transaction():
                self.activity.write(self.store)

    # -- persistence ----------------------------------------------------------------
    def _apply_acks(self) -> None:
        """Apply decisions made (CLI, dashboard) since this pipeline started.

        Without this, a long-running follower would write back its in-memory copy of an
        incident and profile and undo the administrator's decision.
        """
        memory = Memory(self.engine, self.ctx.profiles, self.ctx.dirty)
        self._ack_seq = apply_decisions(self.store, memory, self._ack_seq)

    def save(self, final: bool = True) -> None:
        """Write state, incidents, alerts and watermarks in one transaction; then (at
        once if ``final``, else at :meth:`flush_journal`) note the alerts it recorded in
        the journal beside the database (:mod:`kerio_watch.store.journal`)."""
        if self.replay:  # judged again before their state is saved anew
            self.run(())
        for event, rec in self.guard.flush(final=final and not self.hold):
            self._admit(event, rec)
        self.stats.implausible = self.guard.implausible
        self.stats.held = len(self.guard.waiting)
        if final and self._now:
            self.tick(self._now)
        self._release()
        self._commit()
        if final:
            self.final_saved = True
            self.flush_journal(final=True)

    def flush_journal(self, final: bool = False) -> None:
        """Note the alerts committed since the last call in the journal (done by a final
        :meth:`save`; ``follow`` calls it once it has printed them)."""
        if self.journal is not None:
            if self._unjournaled:
                self.journal.alerts(self._unjournaled, self._now)
            self.journal.mark(self._now, force=final)
        self._unjournaled = []

    def _write(self, store: Store, alerts: list[tuple[Alert, bool]]) -> None:
        """The body of :meth:`save`'s transaction."""
        self._apply_acks()
        self.activity.write(store)
        self._prune(store, self._now)
        store.save_incidents(self.engine.take_changed())
        if alerts:
            store.save_alerts(alerts)
        dirty = [self.ctx.profiles[a] for a in self.ctx.dirty if a in self.ctx.profiles]
        store.save_profiles(dirty)
        self.ctx.dirty.clear()
        store.save_watermarks(self.watermarks.merged())
        store.save_detector_state(
            "timeguard",
            {"v": STATE_VERSION, "now": self._now, **self.guard.dump(keep_held=self.hold)},
        )
        # After a clock set back as of the lines since, and as of a log read late (the
        # newest time dropped what they hold): SetBack.horizon.
        save_context(store, self.ctx, self._now and self.setback.horizon(), self._minute)
        self.detection.save(store)
        self.setback.save(store)
        timezone.record(store, self.timebase, self.stats.first_ts)
        store.set_meta("engine", self.core.name)
        for hook in self.on_save:
            hook(store)
