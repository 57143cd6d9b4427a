"""The native reader frames files and joins messages exactly as the Python engine."""

from __future__ import annotations

import gzip
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerio_watch.enrich.messages import MessageTracker
from kerio_watch.events import MessageDelivery, MessageReceived, Unparsed
from kerio_watch.formats.mail import MailParser
from kerio_watch.native.reader import OTHER_EVENTS
from kerio_watch.sources.files import MAX_LINE, LogFile, Record, read_records
from kerio_watch.sources.logfile import bounded_lines, open_binary
from logtools import SAMPLES
from nativediff import extension, native_frames, python_frames

STAMP = "[24/Aug/2022 16:28:11] "
line_bytes = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=30).map(lambda t: (STAMP + t).encode("utf-8")),
    st.sampled_from(
        [
            b"",
            b"\r",
            b"\r\r",
            b"\x00",
            b"\xef\xbb\xbf",
            b"\xef\xbb\xbf\xef\xbb\xbf",
            b"\xff\xfe",
            b"\xfe\xff",
            b"\xff",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xe2\x82",
            b"\xc0\xaf",
            b"[29/Feb/2024 23:59:60] x",
            b"[29/Feb/2023 00:00:00] x",
            b"[01/Jan/0001 00:00:00]",
            b"[24/Aug/2022 16:28:11]\xc3\xa9x",
            b"[24/aug/2022 16:28:11] x",
            b"<13>1 2026-04-01T14:59:31+07:00 host mail - - - Recv: x",
            b"Apr  1 14:59:31 h mail: x",
        ]
    ),
)
files = st.lists(st.lists(line_bytes, max_size=4).map(b"".join), max_size=8).map(b"\n".join)


def _agree(data: bytes, folder: Path, compressed: bool = False) -> None:
    native = extension()
    assert native_frames(native, data, compressed) == python_frames(data, folder, compressed)


def test_golden_samples_frame_alike(tmp_path: Path) -> None:
    for path in sorted(SAMPLES.glob("*.log")):
        _agree(path.read_bytes(), tmp_path)
        _agree(path.read_bytes(), tmp_path, compressed=True)


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(files, st.booleans())
def test_generated_files_frame_alike(tmp_path: Path, data: bytes, compressed: bool) -> None:
    _agree(data, tmp_path, compressed)


def test_long_lines_are_cut_alike(tmp_path: Path) -> None:
    long = (STAMP + "é" * (MAX_LINE + 5)).encode()
    edge = (STAMP + "x" * (MAX_LINE - len(STAMP))).encode()
    _agree(b"\n".join([long, edge, edge + b"y\x00", b"\xff" * (MAX_LINE + 1)]), tmp_path)


def test_a_utf16_file_frames_alike(tmp_path: Path) -> None:
    """Saved as UTF-16 (with its byte order mark, CRLF): both engines read its lines,
    the first one included."""
    text = "".join(f"{STAMP}line {i}\r\n" for i in range(3))
    for encoding in ("utf-16-le", "utf-16-be"):
        mark = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
        _agree(mark + text.encode(encoding), tmp_path)
    lines, counters, _error = extension().frame_bytes(b"\xff\xfe" + text.encode("utf-16-le"), False)
    assert [raw for _n, _e, raw, _ts in lines] == [f"{STAMP}line {i}" for i in range(3)]
    assert counters[1] == 0  # no line taken for invalid UTF-8


def test_line_numbers_and_offsets() -> None:
    lines, counters, error = extension().frame_bytes(b"a\n\n[x\r\nlast", False)
    assert [(n, end, raw) for n, end, raw, _ts in lines] == [
        (1, 2, "a"),
        (3, 7, "[x"),
        (4, 11, "last"),
    ]
    assert counters == (3, 0, 0)
    assert error is None


def test_damaged_gzip_is_a_read_error_not_a_crash() -> None:
    data = gzip.compress(b"".join(f"{STAMP}line {i}\n".encode() for i in range(5000)))
    lines, _counters, error = extension().frame_bytes(data[: len(data) // 2], True)
    assert error is not None
    assert all(raw.startswith(STAMP) for _n, _e, raw, _ts in lines)


# -- the reader's dropped lines ---------------------------------------------------------

QUEUE_IDS = st.sampled_from(["69a4c911-0000276c", "69a4c980-0000276d", "7fffffff-00000001"])
mail_line = st.one_of(
    st.builds(
        "{}Recv: Queue-ID: {}, Service: SMTP, From: <a@b.c>, To: <d@e.f>, Size: 10{}".format,
        st.sampled_from([STAMP, "[24/Aug/2022 16:28:12] "]),
        QUEUE_IDS,
        st.sampled_from(["", ", User: a@b.c", ", User: \u00c4@b.c"]),
    ),
    st.builds(
        "{}Sent: Queue-ID: {}, Recipient: <d@e.f>, Result: {}".format,
        st.sampled_from([STAMP, "[24/Aug/2022 16:28:12] ", "[25/Aug/2022 00:00:00] "]),
        QUEUE_IDS,
        st.sampled_from(["delivered", "failed, Status: 5.1.1 x", "delivered\u00e9", ""]),
    ),
    st.sampled_from(["no stamp", STAMP + "Sent: Queue-ID: short", STAMP + "Other: x"]),
)
mail_lines = st.lists(
    st.tuples(mail_line, st.sampled_from([b"", b"", b"\xff", b"\x00", b"\r"])).map(
        lambda t: t[0].encode() + t[1]
    ),
    max_size=30,
)


def _shape(rec: Record) -> tuple[Any, ...]:
    return (rec.ts, rec.utc, rec.log, rec.message, rec.raw, rec.lineno)


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mail_lines, st.integers(1, 5), st.booleans(), st.integers(0, 3))
def test_dropped_lines_are_rebuilt_as_read_records_reads_them(
    tmp_path: Path, lines: list[bytes], batch: int, tracked: bool, lookahead: int
) -> None:
    """Every record the Python reader yields, with the native reader's dropped lines
    rebuilt (``skipped_record``): same lines, order, numbers, times and events."""
    native = extension()
    path = tmp_path / "mail.log"
    path.write_bytes(b"\n".join(lines))
    expected: list[tuple[Any, ...]] = []
    python_file = LogFile(str(path), "mail")

    def note(record: Unparsed) -> None:
        expected.append((record.raw, record.lineno))

    python_file.note_unparsed = note  # type: ignore[method-assign]
    for rec in read_records(python_file):
        expected.append(_shape(rec))
    ids = native.QidSet()
    if tracked:
        ids.add("69a4c980-0000276d")
    source = LogFile(str(path), "mail")
    stream = native.Stream(lookahead)
    reader = native.Reader(
        str(path), False, "mail", "mail", source, Record, MessageReceived, MessageDelivery,
        OTHER_EVENTS, ids, stream, batch,
    )  # fmt: skip
    got: list[tuple[Any, ...]] = []
    parser = MailParser()
    while (items := reader.next_batch()) is not None:
        for item in items:
            if isinstance(item, Record):
                records = [item]
            elif item[0] == 0:
                records = [item[1]]
            elif item[0] == 1:
                got.append((item[2], item[1]))  # framed by Python: unparsed here
                continue
            else:
                _, n, lo, hi, top, start, end = item
                times = reader.skipped_times(start, end)
                assert (n, lo, hi, top) == (len(times), min(times), max(times), times.count(hi))
                records = [reader.skipped_record(i) for i in range(start, end)]
                assert [rec.ts for rec in records] == times
                assert all(isinstance(rec.event, MessageDelivery | None) for rec in records)
            for rec in records:
                got.append(_shape(rec))
                if rec.event is not None:
                    assert rec.event == parser.parse(rec.message, rec.ts, rec.raw)
    assert got == expected
    with pytest.raises(IndexError):
        reader.skipped_record(0)  # the last call found no more lines


def _line_end(log_file: LogFile, lines: int) -> int:
    """Where line ``lines`` + 1 of a file begins (bytes, decompressed)."""
    with open_binary(log_file) as handle:
        for _ in islice(bounded_lines(handle), lines):
            pass
        return handle.tell()


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mail_lines, st.integers(0, 32), st.booleans(), st.booleans(), st.integers(1, 4))
def test_a_file_is_read_from_a_position_as_read_records_reads_it(
    tmp_path: Path, lines: list[bytes], start: int, by_offset: bool, compressed: bool, batch: int
) -> None:
    """After the lines an interrupted scan did (:attr:`LogFile.start`), passed over, or
    from where an earlier scan left the file (:attr:`LogFile.offset`): the same records
    (dropped lines rebuilt), numbers, counts, last line and end as the Python reader."""
    native = extension()
    path = tmp_path / "mail.log.gz"
    data = b"\n".join(lines)
    path.write_bytes(gzip.compress(data) if compressed else data)

    def log_file() -> LogFile:
        f = LogFile(str(path), "mail", compressed=compressed, start=start)
        f.offset = _line_end(f, start) if by_offset else 0
        return f

    python_file, source = log_file(), log_file()
    expected = [_shape(rec) for rec in read_records(python_file)]
    ids = native.QidSet()
    reader = native.Reader(
        str(path), compressed, "mail", "mail", source, Record, MessageReceived, MessageDelivery,
        OTHER_EVENTS, ids, native.Stream(0), batch, source.start, source.offset,
    )  # fmt: skip
    got = []
    while (items := reader.next_batch()) is not None:
        for item in items:
            if isinstance(item, Record):
                got.append(_shape(item))
            elif item[0] == 0:
                got.append(_shape(item[1]))
            elif item[0] == 2:
                got += [_shape(reader.skipped_record(i)) for i in range(item[5], item[6])]
            else:
                assert item[0] == 1  # framed by Python: its lineno and text
                got += [r for r in expected if r[-1] == item[1] and r[-2] == item[2]]
    assert got == expected
    counts = (reader.lines, reader.decode_errors, reader.cut_lines, reader.lineno, reader.offset)
    assert counts == (
        python_file.lines,
        python_file.decode_errors,
        python_file.cut_lines,
        python_file.read_to,
        python_file.end,
    )
    assert reader.error is None


def _kinds(folder: Path, lines: list[str], lookahead: int) -> list[str]:
    """What the reader makes of each item, one line a batch."""
    native = extension()
    path = folder / "mail.log"
    path.write_text("".join(f"{line}\n" for line in lines))
    reader = native.Reader(
        str(path), False, "mail", "mail", LogFile(str(path), "mail"), Record, MessageReceived,
        MessageDelivery, OTHER_EVENTS, native.QidSet(), native.Stream(lookahead), 1,
    )  # fmt: skip
    kinds = []
    while (items := reader.next_batch()) is not None:
        kinds += ["record" if isinstance(item, Record) else str(item[0]) for item in items]
    return kinds


RECV = STAMP + "Recv: Queue-ID: {}, Service: SMTP, From: <a@b.c>, To: <d@e.f>, Size: 1{}"
SENT = STAMP + "Sent: Queue-ID: {}, Recipient: <d@e.f>, Result: delivered"
Q, R = "69a4c911-0000276c", "69a4c980-0000276d"


@pytest.mark.parametrize(
    ("lines", "lookahead", "kinds"),
    [
        # an account's message: its Sent line goes to Python (0) until `lookahead`
        # records followed its Recv line, then it is dropped (2) if the tracker lacks it
        ([RECV.format(Q, ", User: a@b.c"), SENT.format(Q)], 0, ["record", "2"]),
        ([RECV.format(Q, ", User: a@b.c"), SENT.format(Q)], 1, ["record", "0"]),
        ([RECV.format(Q, ", User: a@b.c"), RECV.format(R, ""), SENT.format(Q)], 1,
         ["record", "record", "2"]),
        ([RECV.format(Q, ", User: a@b.c"), RECV.format(R, ""), SENT.format(Q)], 2,
         ["record", "record", "0"]),
        # a message of no account is never tracked
        ([RECV.format(Q, ""), SENT.format(Q)], 2, ["record", "2"]),
        # after a line Python frames, nothing is dropped until `lookahead` records followed
        (["no stamp", SENT.format(Q)], 0, ["1", "2"]),
        (["no stamp", SENT.format(Q)], 1, ["1", "0"]),
        (["no stamp", RECV.format(R, ""), SENT.format(Q)], 1, ["1", "record", "2"]),
    ],
)  # fmt: skip
def test_the_stream_keeps_what_python_may_not_have_processed(
    tmp_path: Path, lines: list[str], lookahead: int, kinds: list[str]
) -> None:
    assert _kinds(tmp_path, lines, lookahead) == kinds


# -- the Queue-ID join -------------------------------------------------------------------

QIDS = st.sampled_from(["q1", "q2", "q3", "q4", "q5", "q6", "q7"])
ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("recv"),
            QIDS,
            st.integers(0, 50),
            st.sampled_from([None, "u@x"]),
            st.integers(0, 3),
        ),
        st.tuples(
            st.just("sent"),
            QIDS,
            st.sampled_from(["delivered", "delayed", "failed", "relayed", "bounced", "rejected"]),
            st.sampled_from([None, "2.0.0", "4.4.1", "5.1.1", ""]),
            st.sampled_from(["a", "b"]),
        ),
        st.tuples(st.just("forget"), st.integers(0, 50)),
    ),
    max_size=40,
)


@settings(max_examples=300)
@given(ops, st.integers(1, 5))
def test_join_matches_message_tracker(operations: list[tuple[Any, ...]], limit: int) -> None:
    native = extension().QueueJoin(limit)
    python = MessageTracker(limit)
    for op in operations:
        if op[0] == "recv":
            _, qid, ts, account, n = op
            event = MessageReceived(ts, "mail", "", qid, "SMTP", "s@x", ("r@y",) * n)
            assert python.received(event, account) == native.received(qid, ts, account, "s@x", n)
        elif op[0] == "sent":
            _, qid, result, status, rcpt = op
            delivery = MessageDelivery(0, "mail", "", qid, rcpt, result, status)
            state = python.delivered(delivery)
            got = native.delivered(qid, result, status, rcpt)
            if state is None:
                assert got is None
            else:
                counts = (state.accepted, state.delivered, state.failed, state.delayed)
                assert got == (*counts, len(state.final), state.account)
        else:
            python.forget_before(op[1])
            native.forget_before(op[1])
        assert [list(r) for r in native.dump(100, 10**6, 10**6)] == python.dump(100, 10**6, 10**6)
        assert native.pending(30) == [qid for qid, _ in python.pending(30)]
        assert native.evicted == python.evicted
    saved = python.dump(40, 30, 3)
    assert [list(r) for r in native.dump(40, 30, 3)] == saved
    restored, mirror = MessageTracker(limit), extension().QueueJoin(limit)
    restored.restore(saved)
    mirror.restore([tuple(r) for r in saved])
    assert [list(r) for r in mirror.dump(100, 10**6, 10**6)] == restored.dump(100, 10**6, 10**6)
