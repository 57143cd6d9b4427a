"""The native reader: ``scan``'s records from the Rust core, in batches.

The core reads, decodes and frames each file exactly as
:func:`~kerio_watch.sources.files.read_records` does, parses ``mail.log``'s ``Recv:`` and
``Sent:`` lines into events, and drops the ``Sent:`` lines of messages the pipeline does
not track (:meth:`Pipeline.skip_line <kerio_watch.pipeline.Pipeline.skip_line>`): a
dropped line becomes no Python object; each run of them is counted here in one step.
A dropped line the Python reader would have yielded after all (its time is not near
the time guard's reference) is built by the core on demand and yielded in its place.

A batch holds ready records and a few tagged items (see ``Reader.next_batch`` in
``native/src/py.rs``). Records are yielded lazily, exactly where the Python reader
would yield them, so the pipeline sees the same lines in the same order with the same
state; a batch ends after any line that may add a message to the tracker that the
core could not see (see ``docs/native.md``). The messages Python may track from lines
it has not processed when the core reads on are kept in the core's sets too: those of
the ``Recv:`` lines the time guard holds (:func:`_mirror_held`), and those of a stream's
last records when the merge of several logs reads ahead of the one it processes (the
core's ``Stream``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from kerio_watch.events import (
    Connection,
    LoginSucceeded,
    MailboxOperation,
    MessageDelivery,
    MessageReceived,
    ServerNotice,
    Unparsed,
)
from kerio_watch.formats.envelope import split_syslog
from kerio_watch.pipeline import Pipeline
from kerio_watch.sources.files import LogFile, Record, SkipLine, merged_records, read_records
from kerio_watch.sources.order import LOOKAHEAD

BATCH = 256
"""Records per batch (a batch also ends early, see the module docstring)."""

OTHER_EVENTS = (Connection, ServerNotice, MailboxOperation, LoginSucceeded)
"""The classes of the events the core builds for filter.log (``control``),
operations.log and audit.log lines (``Reader``'s ``others``)."""


def scan_records(files: list[LogFile], pipeline: Pipeline) -> Iterator[Record]:
    """Every record of ``files`` in time order, through the pipeline's pre-filter (with
    the pipeline's :attr:`~Pipeline.positions`: see :mod:`kerio_watch.pipeline.resume`).
    The core reads a file from a position too: after the lines an interrupted scan did
    (:attr:`LogFile.start`), or from where an earlier scan left it (:attr:`LogFile.offset`)."""
    module = pipeline.core.module
    positions = pipeline.positions
    held, prevs = (positions.held, positions.prevs) if positions is not None else (None, None)
    continued = pipeline.prefilter.skip_continued  # lines an earlier scan never read

    def in_python(log_file: LogFile, skip: SkipLine | None) -> Iterator[Record]:
        return read_records(log_file, continued if log_file.continued and skip else skip)

    if pipeline.native_ids is None or module is None:
        when = pipeline.parsing.merge_time
        return merged_records(files, pipeline.skip_line, when, in_python, held, prevs)
    streams: dict[str | None, Any] = {}  # log -> the core's Stream (files of one log)
    mirrored: set[str] = set()

    def read(log_file: LogFile, skip: SkipLine | None) -> Iterator[Record]:
        stream = streams.get(log_file.log)
        if stream is None:
            # a record is processed once the merge read this many after it (order.smoothed)
            stream = streams[log_file.log] = module.Stream(LOOKAHEAD - 1)
        python = log_file.syslog or log_file.data is not None or log_file.only_lines is not None
        if python:
            skip = continued if log_file.continued and skip else skip
            return _python_records(log_file, skip, stream)
        return native_records(log_file, pipeline, stream, mirrored)

    return merged_records(files, pipeline.skip_line, pipeline.parsing.merge_time, read, held, prevs)


def _python_records(log_file: LogFile, skip: SkipLine | None, stream: Any) -> Iterator[Record]:
    """A file of the stream read in Python (syslog framing, standard input)."""
    yield from read_records(log_file, skip)
    stream.read_by_python()


def native_records(
    log_file: LogFile, pipeline: Pipeline, stream: Any, held: set[str]
) -> Iterator[Record]:
    """The records of one on-disk (plain or gzip) file, read by the native core.

    ``stream``: the core's ``Stream`` of the file's log; ``held``: the Queue-IDs
    :func:`_mirror_held` added to the core's set (both shared by the files of a scan).
    """
    if log_file.passed_whole():  # an earlier scan read it to its end; unchanged since
        return
    reader = _reader(log_file, pipeline, stream)
    base = (log_file.lines, log_file.decode_errors, log_file.cut_lines)
    count = Counting(pipeline, log_file.continued)
    skip_line = count.skip_line
    events = log_file.events
    try:
        while (batch := reader.next_batch()) is not None:
            for item in batch:
                if item.__class__ is Record:
                    yield item
                    continue
                tag = item[0]
                if tag == 0:  # a Sent line of a message the tracker may hold
                    rec = item[1]
                    kind = skip_line(rec.raw, rec.ts)
                    if kind is None:
                        yield rec
                    elif kind:
                        events[kind] += 1
                elif tag == 1:  # no on-disk stamp: frame it as read_records does
                    framed = _frame(log_file, item[1], item[2])
                    if framed is not None:
                        yield framed
                elif not _counted(pipeline, count, log_file, item):
                    yield from _line_by_line(count, log_file, reader, item)
            _sync(log_file, reader, base)
            if held or pipeline.guard.waiting:
                _mirror_held(pipeline, held)
        if not reader.error:
            log_file.end = reader.offset
        else:
            log_file.note_unparsed(
                Unparsed(
                    log_file.log or "unknown",
                    "",
                    f"read error: {reader.error}",
                    log_file.path,
                    reader.lineno,
                )
            )
    finally:
        _sync(log_file, reader, base)
        log_file.read_to = reader.lineno


def _reader(log_file: LogFile, pipeline: Pipeline, stream: Any) -> Any:
    """The core's reader of one file."""
    module = pipeline.core.module
    assert module is not None  # noqa: S101 (native_ids implies the module)
    return module.Reader(
        log_file.path,
        log_file.compressed,
        log_file.log,
        log_file.log,  # the core parses the lines of mail, control, operations, audit
        log_file,
        Record,
        MessageReceived,
        MessageDelivery,
        OTHER_EVENTS,
        pipeline.native_ids,
        stream,
        BATCH,
        log_file.start,  # lines done: passed over unread (resume)
        log_file.offset,  # where they end, when known: read from there on (grown)
    )


def _sync(log_file: LogFile, reader: Any, base: tuple[int, int, int]) -> None:
    log_file.lines = base[0] + reader.lines
    log_file.decode_errors = base[1] + reader.decode_errors
    log_file.cut_lines = base[2] + reader.cut_lines


def _frame(log_file: LogFile, lineno: int, raw: str) -> Record | None:
    framed = split_syslog(raw, log_file.year)
    log = log_file.log
    if framed is None:
        log_file.note_unparsed(
            Unparsed(log or "unknown", raw, "no timestamp", log_file.path, lineno)
        )
        return None
    return Record(framed.ts, framed.utc, framed.log or log, framed.message, raw, log_file, lineno)


class Counting:
    """How the dropped ``Sent:`` lines of a file are counted: as the Python reader's
    filter (:attr:`Pipeline.skip_line`) counts them, or, in a file read on from where an
    earlier scan left it (:attr:`LogFile.continued`), as new lines
    (:attr:`Prefilter.skip_continued <kerio_watch.pipeline.prefilter.Prefilter.skip_continued>`)."""

    def __init__(self, pipeline: Pipeline, continued: bool) -> None:
        pre = pipeline.prefilter
        self.skip_line: SkipLine = pre.skip_continued if continued else pipeline.skip_line
        self.one: Callable[[int], str | None] = (
            pre.count_continued if continued else pipeline.count_untracked
        )
        self.run: Callable[[int, int, int, int], bool] = (
            pre.count_dropped_continued if continued else pipeline.count_dropped_deliveries
        )


def _counted(pipeline: Pipeline, count: Counting, log_file: LogFile, item: tuple[int, ...]) -> bool:
    """Count a run of dropped ``Sent:`` lines in one step, if that is exact: the time
    base maps the run's local times by one constant shift, all are near the time guard's
    reference and no watermark is at or after them (the usual case)."""
    _, n, lo, hi, top, _start, _end = item
    shift = pipeline.timebase.shift_between(lo, hi)
    if shift is None or not count.run(n, lo + shift, hi + shift, top):
        return False
    log_file.events["message_delivery"] += n
    return True


def _line_by_line(
    count: Counting, log_file: LogFile, reader: Any, item: tuple[int, ...]
) -> Iterator[Record]:
    """A run of dropped ``Sent:`` lines as the Python reader takes them, line by line:
    each is counted, or yielded in its place when the pipeline wants it parsed (its
    time is not near the guard's reference; the lines after it are decided when the
    next record is asked for, as the Python reader decides them)."""
    start, end = item[5], item[6]
    untracked = count.one
    for i, ts in enumerate(reader.skipped_times(start, end), start):
        kind = untracked(ts)
        if kind is None:
            yield reader.skipped_record(i)
        elif kind:
            log_file.events[kind] += 1


def _mirror_held(pipeline: Pipeline, held: set[str]) -> None:
    """The Queue-IDs of the ``Recv:`` lines the time guard holds are in the core's set.

    The tracker takes such a message when the guard admits its line, which may happen
    in the middle of the core's next batch: its ``Sent:`` lines must not be dropped
    there. A Queue-ID the tracker does not hold only sends its ``Sent:`` lines through
    ``Pipeline.skip_line`` (exact, see ``docs/native.md``); those added here are taken
    out again once neither held nor tracked.
    """
    ids = pipeline.native_ids
    tracked = pipeline.ctx.messages.messages
    now = {e.queue_id for e, _ in pipeline.guard.waiting if isinstance(e, MessageReceived)}
    for qid in now - held:
        ids.add(qid)
    for qid in held - now:
        if qid not in tracked:
            ids.discard(qid)
    held.clear()
    held.update(now)
