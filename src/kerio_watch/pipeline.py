"""The pipeline: sources -> parse -> events -> enrich -> detect -> incidents -> alerts.

This is the only module that knows every stage. ``scan`` and ``follow`` both feed it
:class:`~kerio_watch.sources.files.Record` objects; it parses them, puts them on the UTC
time line, skips lines an earlier run already processed (watermarks), builds outbound
submissions, runs the detectors (score), folds signals into incidents, lets the learner
update profiles (learn), records hourly activity, and hands alerts to its listeners.
Everything uses the time written in the log; nothing here reads the wall clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from kerio_watch.config import Config
from kerio_watch.detect import all_rules, build_detectors
from kerio_watch.detect.context import Context
from kerio_watch.detect.direct_smtp import MAIL_PORTS
from kerio_watch.detect.learner import Learner
from kerio_watch.detect.state import RESTORE_ERRORS, STATE_VERSION, load_state, restore_failed
from kerio_watch.enrich.messages import Submission, is_webmail_host
from kerio_watch.events import (
    Connection,
    Event,
    HostBlocked,
    LoginFailed,
    LoginSucceeded,
    MessageDelivery,
    MessageReceived,
    Unparsed,
)
from kerio_watch.formats import build_parsers
from kerio_watch.formats.connection import FIREWALL_LOGS
from kerio_watch.incidents.engine import IncidentEngine
from kerio_watch.incidents.sync import Memory, apply_decisions
from kerio_watch.native import resolve as resolve_engine
from kerio_watch.native.seam import attach as attach_native
from kerio_watch.sources.files import Record
from kerio_watch.store import timezone
from kerio_watch.store.activity import ActivityRecorder
from kerio_watch.store.base import Store
from kerio_watch.store.journal import Journal
from kerio_watch.timebase import Timebase
from kerio_watch.timeguard import TimeGuard
from kerio_watch.values.alert import Alert
from kerio_watch.values.signal import Signal

MESSAGES_MAX_AGE = 2 * 3600
"""Messages younger than this (log time) are saved between runs ..."""
MESSAGES_MAX_SAVED = 20_000
"""... at most this many (the newest)."""
SENT_MARK = "mail/sent"
"""The watermark of ``Sent:`` lines (parsed, or dropped by :meth:`Pipeline.skip_line`).
They are kept out of the ``mail`` watermark, whose count at its last second is of the
other mail.log lines; on a re-scan this one keeps the Sent lines of messages still
tracked from the last run from being processed twice, and the dropped ones from being
counted as new."""
DAY = 86400
IP_STATE_DAYS = 7
"""Per-IP state (password guessing) quiet this long is deleted; the detector reads a day."""

AlertListener = Callable[[Alert, bool], None]
"""Called with each alert and whether it is reported (at or after ``--since``)."""


@dataclass
class RunStats:
    """What one run processed."""

    records: int = 0
    events: Counter[str] = field(default_factory=Counter)
    unparsed: int = 0
    already_seen: int = 0
    skipped: int = 0
    """Lines counted but not parsed because no detector needs them."""
    alerts: int = 0
    reported: int = 0
    implausible: int = 0
    """Lines whose time was implausible (:mod:`kerio_watch.timeguard`): not processed."""
    held: int = 0
    """Lines still waiting for the next lines to confirm their time (at the last save)."""
    first_ts: int | None = None
    last_ts: int | None = None


class Pipeline:
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
        self.ctx = Context(config, timebase, store.load_profile)
        self.parsers = build_parsers()
        # The native engine's seam: its mail parser, and the tracker's Queue-IDs mirrored.
        self.core = resolve_engine(engine)
        self.native_ids: Any = None
        if self.core.module is not None:
            self.native_ids = attach_native(self.ctx.messages, self.parsers, self.core.module)
        self.detectors = build_detectors(self.ctx)
        self.dispatch: dict[str, list[Callable[[Any], Sequence[Signal] | None]]] = {}
        for det in self.detectors:
            for kind in det.wants:
                self.dispatch.setdefault(kind, []).append(det.observe)
        self.learner = Learner(self.ctx)
        self.sides = {rule.id: rule.side for rule in all_rules()}
        self._minute = 0
        self._now = 0
        self._pruned_day = 0
        self._last_id = store.next_incident_id()
        self.engine = IncidentEngine(self._next_id, self.format_time, suppressed=self._ignored)
        self.engine.restore(store.open_incidents())
        self.ctx.open_incident = self.engine.severity_of
        self.ctx.incident_opened = self.engine.opened_at
        self.ctx.incident_evidence = self.engine.evidence_since
        self.learner.load(store)
        self._load_context(store)
        for det in self.detectors:
            load = getattr(det, "load", None)
            if load is not None:
                load(store)
        self.activity = ActivityRecorder()
        self.marks = store.watermarks()
        self.guard = TimeGuard(*config.state.time_limits())
        held = self.guard.load(store, max((ts for ts, _ in self.marks.values()), default=None))
        self.replay: list[Record] = held if hold else []
        """Lines held for confirmation by the last run, judged again first."""
        self._seen_at_mark: dict[str, int] = {}
        self._last: dict[str, list[int]] = {}
        """log -> [latest UTC second processed, lines at that second]."""
        self.listeners: list[AlertListener] = []
        self.on_save: list[Callable[[Store], None]] = []
        """Called inside :meth:`save`'s transaction (follow checkpoints, delivery queue)."""
        self.alerts: list[tuple[Alert, bool]] = []
        self.stats = RunStats()
        self.journal = Journal.beside(store.path)
        self._unjournaled: list[Alert] = []
        self.already_sent: Callable[[Alert], bool] | None = None
        """Alerts the sinks already had (``db recover``): recorded, not reported."""

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

    def _already_seen(self, log: str, ts: int) -> bool:
        """Whether an earlier run processed this line (by log time)."""
        last = self._last.get(log)
        if last is None:
            self._last[log] = [ts, 1]
        elif ts == last[0]:
            last[1] += 1
        elif ts > last[0]:
            last[0], last[1] = ts, 1
        mark = self.marks.get(log)
        if mark is None or ts > mark[0]:
            return False
        if ts < mark[0]:
            return True
        seen = self._seen_at_mark.get(log, 0) + 1
        self._seen_at_mark[log] = seen
        return seen <= mark[1]

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
            prefilter: apply :meth:`skip_line` here (when the source did not).
        """
        parsers = self.parsers
        stats = self.stats
        timebase = self.timebase
        to_utc = timebase.to_utc
        observe_qid = timebase.observe_queue_id
        fw_to_utc = self.firewall_time.to_utc if self.firewall_time is not None else None
        n = 0
        next_qid_check = 0
        skip_line = self.skip_line if prefilter else None
        fits = self.guard.fits
        admit = self._admit
        if self.replay:
            records, self.replay = chain(self.replay, records), []
        for rec in records:
            n += 1
            if progress is not None and not n & 0x3FFF:
                progress(n)
            if skip_line is not None:
                skipped = skip_line(rec.raw, rec.ts) if not rec.utc else None
                if skipped is not None:
                    if skipped:
                        rec.source.events[skipped] += 1
                    continue
            log = rec.log
            parser = parsers.get(log) if log is not None else None
            event: Event | Unparsed | None = rec.event  # parsed by the native reader?
            if event is None and parser is not None:
                event = parser.parse(rec.message, rec.ts, rec.raw)
            if event is None:
                event = self._sniff_parse(rec)
            if event is None or isinstance(event, Unparsed):
                stats.unparsed += 1
                reason = event.reason if event is not None else "unknown line"
                rec.source.note_unparsed(
                    Unparsed(log or "unknown", rec.raw, reason, rec.source.path, rec.lineno)
                )
                continue
            if not rec.utc:
                # The offset can only change at a DST switch: one Queue-ID a minute suffices
                # (and again when the clock went back: an implausible line passed).
                if (
                    rec.ts >= next_qid_check or rec.ts < next_qid_check - 120
                ) and event.__class__ is MessageReceived:
                    observe_qid(event.queue_id, rec.ts)
                    next_qid_check = rec.ts + 60
                if fw_to_utc is not None and event.__class__ is Connection:
                    event.ts = fw_to_utc(rec.ts)
                else:
                    event.ts = to_utc(rec.ts)
            if fits(event.ts):
                admit(event, rec)
            else:
                for held, held_rec in self.guard.judge(event, rec):
                    admit(held, held_rec)
        if progress is not None:
            progress(n)
        stats.records += n
        stats.implausible = self.guard.implausible
        return stats

    def _admit(self, event: Event, rec: Record) -> None:
        """Process a line whose time is trusted, unless an earlier run did."""
        stats = self.stats
        # Deliveries have their own watermark (see SENT_MARK).
        if self._already_seen(
            SENT_MARK if event.__class__ is MessageDelivery else event.log, event.ts
        ):
            stats.already_seen += 1
            return
        kind = event.kind
        stats.events[kind] += 1
        rec.source.events[kind] += 1
        self.process(event)

    def merge_time(self, rec: Record) -> int:
        """A record's time on the server's wall clock, the order sources merge logs in.

        Kerio's own lines are local time; lines framed in UTC (RFC 5424 and ISO stamps
        with an offset, the journal) and firewall lines in the firewall's own zone
        (``[firewall] timezone``) are moved onto the same clock, so that a firewall log
        with offsets is not read hours before (or after) the mail log of the same moment.
        """
        if rec.utc:
            return self.timebase.wall(rec.ts)
        fw = self.firewall_time
        if fw is not None and rec.log in FIREWALL_LOGS:
            return self.timebase.wall(fw.to_utc(rec.ts))
        return rec.ts

    def skip_line(self, raw: str, local_ts: int) -> str | None:
        """A pre-parse filter for sources: the kind of a line no detector needs, or None.

        ``Sent:`` lines of messages no account sent (inbound mail delivered to local
        mailboxes, about half of a mail.log) feed no detector; they are counted and not
        parsed. Lines of messages sent by accounts are always processed.

        Args:
            raw: an on-disk line.
            local_ts: its time as written (server's clock), already read by the source.

        Returns:
            None to process the line; else the event kind to count it as, or ``""`` when
            an earlier run already processed it (a re-scan: counted as already seen).
        """
        if (
            raw[23:29] == "Sent: "
            and raw[29:39] == "Queue-ID: "
            and raw[39:56] not in self.ctx.messages.messages
        ):
            if not self.guard.near(self.timebase.to_utc(local_ts)):
                return None  # parsed and judged like any other line (kerio_watch.timeguard)
            return self.count_skipped_delivery(local_ts)
        return None

    def count_skipped_delivery(self, local_ts: int, path: str = "") -> str:
        """Count one ``Sent:`` line :meth:`skip_line` drops; what it returns for it.

        The native reader drops such lines unread: one whose time is implausible
        (:mod:`kerio_watch.timeguard`) is set aside here instead, counted and noted (its
        text was not kept), never counted as processed nor moving a watermark.
        """
        utc = self.timebase.to_utc(local_ts)
        guard = self.guard
        if guard.ref is not None and not guard.near(utc):
            guard.note(path, 0, utc, guard.why(utc) + " (a Sent: line, not kept)", "")
            return ""
        stats = self.stats
        stats.skipped += 1
        if self._already_seen(SENT_MARK, utc):
            stats.already_seen += 1
            return ""
        stats.events["message_delivery"] += 1
        return "message_delivery"

    def count_dropped_deliveries(self, n: int, first: int, last: int, at_last: int) -> bool:
        """Count ``n`` dropped ``Sent:`` lines at once (the native reader), if exact.

        ``first`` and ``last`` are their lowest and highest UTC times, ``at_last`` how
        many are at ``last``. Exactly what ``n`` calls of :meth:`count_skipped_delivery`
        do when none is at or before the watermark; False (nothing counted) otherwise.
        """
        mark = self.marks.get(SENT_MARK)
        if mark is not None and first <= mark[0]:
            return False
        guard = self.guard
        if guard.ref is not None and not (guard.near(first) and guard.near(last)):
            return False  # line by line: the implausible ones are set aside
        stats = self.stats
        stats.skipped += n
        stats.events["message_delivery"] += n
        seen = self._last.get(SENT_MARK)
        if seen is None or last > seen[0]:
            self._last[SENT_MARK] = [last, at_last]
        elif last == seen[0]:
            seen[1] += at_last
        return True

    def _sniff_parse(self, rec: Record) -> Event | Unparsed | None:
        """A line of a mixed stream (syslog ``kerio`` app-name): try every parser."""
        for name, parser in self.parsers.items():
            if name != rec.log and parser.sniff(rec.message):
                return parser.parse(rec.message, rec.ts, rec.raw)
        return None

    def process(self, event: Event) -> None:
        """Enrich, detect, learn and record one event (already on UTC time)."""
        ts = event.ts
        stats = self.stats
        if stats.first_ts is None:
            stats.first_ts = ts
        if ts > self._now:
            self._now = ts
            stats.last_ts = ts
            minute = ts // 60
            if minute != self._minute:
                self._minute = minute
                self.tick(ts)
        ctx = self.ctx
        dispatch = self.dispatch
        kind = event.kind
        sub: Submission | None = None
        if kind == "message_received":
            msg: MessageReceived = event  # type: ignore[assignment]
            user = msg.user
            if user is not None and not msg.is_dsn:
                new = ctx.messages.received(msg, user)
                ctx.note_local_domain(user)
                sub = self._submission(msg, user, new)
                self._record_send(sub)
            else:
                self._record_inbound(msg)
        elif kind == "message_delivery":
            self._record_delivery(event)  # type: ignore[arg-type]
        elif kind == "login_succeeded":
            login: LoginSucceeded = event  # type: ignore[assignment]
            ctx.sessions.login(login)
            ctx.note_local_domain(login.user)
            self.activity.add(
                ts,
                login.user,
                "login",
                f"{login.protocol}|{login.source}|{login.user_agent or ''}",
            )
        elif kind == "login_failed":
            fail: LoginFailed = event  # type: ignore[assignment]
            self.activity.add(
                ts, fail.user or "", "fail", f"{fail.protocol}|{fail.source}|{fail.reason}"
            )
        elif kind == "host_blocked":
            blocked: HostBlocked = event  # type: ignore[assignment]
            if blocked.action == "block":
                self.activity.add(ts, "", "blocked", blocked.source)
        elif kind == "connection":
            conn: Connection = event  # type: ignore[assignment]
            if conn.destination_port in MAIL_PORTS:  # hourly SMTP per machine, for reports
                key = f"{conn.source}|{conn.destination_port}|{conn.action}"
                self.activity.add(ts, "", "smtp", key)
        # Score first ...
        handlers = dispatch.get(kind)
        if handlers:
            for observe in handlers:
                signals = observe(event)
                if signals:
                    self._signals(signals)
        if sub is not None:
            handlers = dispatch.get("submission")
            if handlers:
                for observe in handlers:
                    signals = observe(sub)
                    if signals:
                        self._signals(signals)
            # ... then learn.
            self.learner.submission(sub)
        else:
            self.learner.event(event)

    def external(self, event: Event) -> None:
        """An event from outside the logs (Kerio's queue, read through the API).

        Detectors that want its kind see it and their signals join the incidents; the
        clock, the learner and the activity do not: it carries the time of the poll,
        not a log time.
        """
        for observe in self.dispatch.get(event.kind, ()):
            signals = observe(event)
            if signals:
                self._signals(signals)

    def _submission(self, msg: MessageReceived, user: str, new: bool) -> Submission:
        host = msg.sender_host
        via = False
        if is_webmail_host(host):
            session_ip = self.ctx.sessions.ip_for(user, msg.ts)
            host = session_ip
            via = session_ip is not None
        return Submission(
            msg.ts,
            user,
            msg.queue_id,
            new,
            msg.sender,
            msg.recipients,
            msg.service,
            host,
            msg.sender_host,
            via,
            msg,
        )

    def _record_send(self, sub: Submission) -> None:
        if sub.new_message:
            self.activity.add(
                sub.ts, sub.account, "send", f"{sub.service}|{sub.host or ''}|{sub.sender}"
            )
        for r in sub.recipients:
            self.activity.add(sub.ts, sub.account, "rcpt", r.rpartition("@")[2])

    def _record_inbound(self, msg: MessageReceived) -> None:
        if msg.is_dsn:
            for r in msg.recipients:
                if self.ctx.is_local(r):
                    self.activity.add(msg.ts, r, "bounce", "dsn")
        else:
            self.activity.add(msg.ts, "", "inbound", "", max(1, len(msg.recipients)))

    def _record_delivery(self, event: MessageDelivery) -> None:
        state = self.ctx.messages.delivered(event)
        if state is None or state.account is None:
            return
        if event.result == "delayed":
            self.activity.add(event.ts, state.account, "bounce", "delayed")
        elif event.is_failure:
            self.activity.add(event.ts, state.account, "bounce", "failed")

    def _signals(self, signals: Sequence[Signal]) -> None:
        for signal in signals:
            signal.side = signal.side or self.sides.get(signal.rule, "")
            if signal.inside is None:
                signal.inside = self.ctx.networks.is_trusted(signal.source_ip) is True
            alert = self.engine.ingest(signal)
            if alert is not None:
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
        for det in self.detectors:
            signals = det.flush(now)
            if signals:
                self._signals(signals)
        self.learner.flush(now)
        self.engine.expire(now)
        if self.activity.full:
            with self.store.transaction():
                self.activity.write(self.store)

    # -- persistence ----------------------------------------------------------------
    def _load_context(self, store: Store) -> None:
        """Restore the message and session trackers and the clock of an earlier run."""
        try:
            data = load_state(store, "pipeline")
            if data is not None:
                self._minute = int(data["minute"])
            data = load_state(store, "messages")
            if data is not None:
                self.ctx.messages.restore(data["messages"])
            data = load_state(store, "sessions")
            if data is not None:
                self.ctx.sessions.restore(data["sessions"])
        except RESTORE_ERRORS as exc:
            self._minute = 0
            self.ctx.messages.messages.clear()
            self.ctx.sessions.sessions.clear()
            restore_failed("pipeline", exc)

    def _prune(self, store: Store) -> None:
        """Once a log day, keep the database from growing without end: delete hourly
        activity older than ``[state] activity_days`` and the state of addresses quiet for
        :data:`IP_STATE_DAYS` (log time, so a replay prunes as the live run did)."""
        now = self._now
        if not now or now // DAY == self._pruned_day:
            return
        self._pruned_day = now // DAY
        days = self.config.state.activity_days
        if days:
            store.prune_activity(now - days * DAY)
        store.prune_ip_state(now - IP_STATE_DAYS * DAY)

    def _save_context(self, store: Store) -> None:
        """Save the trackers (recent messages, live sessions) and the clock."""
        now = self._now
        self.ctx.now = now
        if not now:
            return
        v = STATE_VERSION
        store.save_detector_state("pipeline", {"v": v, "now": now, "minute": self._minute})
        messages = self.ctx.messages.dump(now, MESSAGES_MAX_AGE, MESSAGES_MAX_SAVED)
        store.save_detector_state("messages", {"v": v, "now": now, "messages": messages})
        sessions = self.ctx.sessions.dump(now)
        store.save_detector_state("sessions", {"v": v, "now": now, "sessions": sessions})

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
        committed, self.alerts = self.alerts, []
        try:
            with self.store.transaction():
                self._write(self.store, committed)
        except BaseException:
            self.alerts = committed + self.alerts
            raise
        self._unjournaled.extend(alert for alert, _ in committed)
        if final:
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
        self._prune(store)
        store.save_incidents(self.engine.take_changed())
        if alerts:
            store.save_alerts(alerts)
        dirty = [self.ctx.profiles[a] for a in self.ctx.dirty if a in self.ctx.profiles]
        store.save_profiles(dirty)
        self.ctx.dirty.clear()
        merged = dict(self.marks)
        for log, (ts, count) in self._last.items():
            old = merged.get(log)
            if old is None or ts > old[0]:
                merged[log] = (ts, count)
        store.save_watermarks(merged)
        store.save_detector_state(
            "timeguard",
            {"v": STATE_VERSION, "now": self._now, **self.guard.dump(keep_held=self.hold)},
        )
        self._save_context(store)
        for det in self.detectors:
            save = getattr(det, "save", None)
            if save is not None:
                save(store)
        self.learner.save(store)
        timezone.record(store, self.timebase, self.stats.first_ts)
        store.set_meta("engine", self.core.name)
        for hook in self.on_save:
            hook(store)
