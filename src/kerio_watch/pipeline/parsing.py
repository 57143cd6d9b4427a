"""The parse stage: framed records -> events on the UTC time line.

Each record is parsed by its log's format (or, in a mixed stream, by the format that
recognises it), its local time put on the UTC line (the firewall's lines in the
firewall's own zone), and its event handed to ``admit`` when the time guard trusts its
time (:mod:`kerio_watch.pipeline.timeguard`). A line no format reads is counted and noted on its
source. The native engine plugs in below this stage: its reader yields records already
parsed (``Record.event``) and its mail parser replaces the Python one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from kerio_watch.events import Connection, Event, MessageReceived, Unparsed
from kerio_watch.formats.base import Parser
from kerio_watch.formats.connection import FIREWALL_LOGS
from kerio_watch.formats.envelope import wall_clock
from kerio_watch.pipeline.runstats import RunStats
from kerio_watch.pipeline.timeguard import TimeGuard
from kerio_watch.sources.files import Record, SkipLine
from kerio_watch.timebase import Timebase


class Parsing:
    """The parse stage of one pipeline.

    Args:
        parsers: log name -> format.
        timebase: the server's local time -> UTC.
        firewall_time: the firewall's zone (``[firewall] timezone``), if set.
        guard: judges whether a line's time is plausible.
        skip_line: the formats' pre-parse filter.
        admit: takes each event whose time is trusted, with its record.
        stats: counts the lines no format could read.
    """

    def __init__(
        self,
        parsers: dict[str, Parser],
        timebase: Timebase,
        firewall_time: Timebase | None,
        guard: TimeGuard,
        skip_line: SkipLine,
        admit: Callable[[Event, Record], None],
        stats: RunStats,
    ) -> None:
        self.parsers = parsers
        self.timebase = timebase
        self.firewall_time = firewall_time
        self.guard = guard
        self.skip_line = skip_line
        self.admit = admit
        self.stats = stats
        self.dropped = 0
        """Records the pre-filter dropped here (``prefilter``)."""
        self.releasing = False
        """Whether lines the time guard held are being admitted (no checkpoint then:
        the lines after the one admitted are in none of the places it looks)."""
        self._next_stamp_check = 0
        """When a mail line framed in UTC is next looked at for the offset."""

    def run(
        self,
        records: Iterable[Record],
        progress: Callable[[int], None] | None = None,
        prefilter: bool = False,
    ) -> int:
        """Parse every record and admit its event; how many records were read (with
        those the pre-filter dropped).

        Args:
            records: framed lines, in time order.
            progress: called with the number of records read so far.
            prefilter: apply :attr:`skip_line` here (when the source did not).
        """
        parsers = self.parsers
        to_utc = self.timebase.to_utc
        observe_qid = self.timebase.observe_queue_id
        fw_to_utc = self.firewall_time.to_utc if self.firewall_time is not None else None
        n = 0
        next_qid_check = 0
        fits = self.guard.fits
        admit = self.admit
        for rec in self._prefiltered(records) if prefilter else records:
            n += 1
            if progress is not None and not n & 0x3FFF:
                progress(n)
            log = rec.log
            parser = parsers.get(log) if log is not None else None
            event: Event | Unparsed | None = rec.event  # parsed by the native reader?
            if event is None and parser is not None:
                event = parser.parse(rec.message, rec.ts, rec.raw)
            if event is None:
                event = self._sniff_parse(rec)
            if event is None or isinstance(event, Unparsed):
                self._unparsed(rec, event)
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
            elif event.__class__ is MessageReceived:
                self._observe_stamp(rec, event)
            if fits(event.ts):
                admit(event, rec)
            else:
                self._judged(event, rec)
        if progress is not None:
            progress(n)
        n += self.dropped
        self.dropped = 0
        return n

    def _judged(self, event: Event, rec: Record) -> None:
        """A line the time guard did not let through at once: admit what it lets go now
        (:attr:`releasing` meanwhile)."""
        self.releasing = True
        try:
            for held, held_rec in self.guard.judge(event, rec):
                self.admit(held, held_rec)
        finally:
            self.releasing = False

    def _observe_stamp(self, rec: Record, event: MessageReceived) -> None:
        """Learn the offset (inferred mode) from a mail line framed in UTC whose stamp
        carries its offset: the Queue-ID against the stamp's own wall clock. On-disk logs
        of the same run need it (beside a forwarded mail log they were taken as UTC).
        One a minute, as for local lines."""
        if not self.timebase.inferred or rec.ts < self._next_stamp_check:
            return
        self._next_stamp_check = rec.ts + 60
        wall = wall_clock(rec.raw)
        if wall is not None:
            self.timebase.observe_queue_id(event.queue_id, wall)

    def _prefiltered(self, records: Iterable[Record]) -> Iterator[Record]:
        """The records :attr:`skip_line` keeps (the others are counted on their source)."""
        skip_line = self.skip_line
        for rec in records:
            skipped = skip_line(rec.raw, rec.ts) if not rec.utc else None
            if skipped is None:
                yield rec
                continue
            self.dropped += 1  # read, counted among the records
            if skipped:
                rec.source.events[skipped] += 1

    def _unparsed(self, rec: Record, event: Unparsed | None) -> None:
        self.stats.unparsed += 1
        reason = event.reason if event is not None else "unknown line"
        log = rec.log or "unknown"
        rec.source.note_unparsed(Unparsed(log, rec.raw, reason, rec.source.path, rec.lineno))

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

    def _sniff_parse(self, rec: Record) -> Event | Unparsed | None:
        """A line of a mixed stream (syslog ``kerio`` app-name): try every parser."""
        for name, parser in self.parsers.items():
            if name != rec.log and parser.sniff(rec.message):
                return parser.parse(rec.message, rec.ts, rec.raw)
        return None
