"""A run of 8 or more NUL bytes ends a line, in every reader (``sources/lineends.py``).

A power cut leaves a block of NUL bytes from the middle of a line, and the server
writes on after it: the first line after the block was glued to the cut fragment and
lost as one unparsed line (and with a block longer than a line is read, every line up
to the next newline). ``scan``'s Python reader and the native reader now read that
line; the fragment is still one unparsed line (``follow``: ``test_follow.py``).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from kerio_watch.sources.files import LINE_BYTES, MAX_LINE, bounded_lines, discover, merged_records
from kerio_watch.sources.lineends import CHUNK
from nativediff import extension

SIZES = [8, 100, 4096, CHUNK + 5, LINE_BYTES - 3, LINE_BYTES + 3, 3 * LINE_BYTES]
LONG = b"x" * (LINE_BYTES + 10)


def _data(n: int) -> bytes:
    nuls = b"\x00" * n
    return b"".join(
        [
            b"A\n[cut",
            nuls,
            b"B\n" + b"\x00" * 7 + b"C\nD",
            nuls,
            b"\n",
            nuls,
            b"E\n",
            LONG,
            nuls,
            b"F\nG",
            nuls,
        ]
    )


EXPECTED = [b"A", b"[cut", b"B", b"\x00" * 7 + b"C", b"D", b"", b"E", LONG[:LINE_BYTES], b"F", b"G"]
"""The lines of :func:`_data` (with their newline, where they end with one)."""


def _strip(lines: list[bytes]) -> list[bytes]:
    return [x.removesuffix(b"\n") for x in lines]


@pytest.mark.parametrize("n", SIZES)
def test_python_reader_ends_lines_at_nul_runs(n: int) -> None:
    """The Python reader, plain and gzip: the line after a block is its own."""
    data = _data(n)
    assert _strip(list(bounded_lines(io.BytesIO(data)))) == EXPECTED
    packed = gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(data, 1)))
    assert _strip(list(bounded_lines(packed))) == EXPECTED  # type: ignore[arg-type]


@pytest.mark.parametrize("n", SIZES)
def test_native_reader_ends_lines_alike(n: int) -> None:
    """The native reader: the same lines, numbered alike, the whole file consumed."""
    data = _data(n)
    lines, _counters, error = extension().frame_bytes(data, False)
    python = [(i, x.decode()) for i, x in enumerate(EXPECTED, 1) if x.strip(b"\x00")]
    assert [(lineno, raw) for lineno, _end, raw, _ts in lines] == [
        (i, text.replace("\x00", "")[:MAX_LINE]) for i, text in python
    ]
    assert lines[-1][1] == len(data)
    assert error is None


def test_fewer_nul_bytes_end_nothing() -> None:
    """7 NUL bytes (or single ones: UTF-16 text) are dropped from the line, as before."""
    data = b"y" * 100 + b"\x00" * 7 + b"z\n" + "[x] ok\n".encode("utf-16-le")
    assert list(bounded_lines(io.BytesIO(data))) == list(io.BytesIO(data))  # "\n" alone
    lines, _counters, _error = extension().frame_bytes(data, False)
    assert [raw for _n, _e, raw, _ts in lines] == ["y" * 100 + "z", "[x] ok"]


def mail(n: int) -> str:
    """A mail.log line numbered ``n``."""
    return (
        f"[10/Mar/2026 10:00:{n:02d}] Sent: Queue-ID: 69b00000-{n:08x}, Recipient: "
        f"<u{n}@example.com>, Result: delivered, Status: 2.0.0 "
    )


def power_cut(path: Path, cut: int) -> None:
    """mail(1), a fragment of mail(2), ``cut`` NUL bytes, then mail(3) written after."""
    path.write_bytes(
        (mail(1) + "\n" + mail(2)[:40]).encode() + b"\x00" * cut + (mail(3) + "\n").encode()
    )


@pytest.mark.parametrize("cut", [8, 4096, 3 * LINE_BYTES])
def test_scan_reads_the_line_after_a_power_cut(tmp_path: Path, cut: int) -> None:
    """scan's Python reader: mail(3) is read, the fragment is a line of its own."""
    path = tmp_path / "mail.log"
    power_cut(path, cut)
    (log_file,) = discover([str(path)])
    got = [r.raw for r in merged_records([log_file])]
    assert got == [mail(1), mail(2)[:40], mail(3)]
