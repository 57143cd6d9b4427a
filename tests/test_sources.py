"""Reading logs: discovery by name and content, gzip, hostile bytes, merge order."""

from __future__ import annotations

import gzip
import io
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerio_watch.errors import SourceError
from kerio_watch.sources.files import (
    MAX_LINE,
    LogFile,
    decode_line,
    discover,
    merged_records,
    read_records,
)

SEC = (
    "[17/May/2017 19:43:42] SMTP: User printer@verinion.com doesn't exist. "
    "Attempt from IP address 185.140.108.26."
)
MAIL = (
    "[17/May/2017 19:43:40] Sent: Queue-ID: 591c8e4c-00000001, Recipient: <a@b.test>, "
    "Result: delivered, Status: 2.0.0 , Remote-Host: 127.0.0.1, Msg-Id: <x@y>"
)
AUDIT = "[17/May/2017 19:43:41] IMAP: User a@b.test authenticated  from IP address 10.0.0.5"


def test_directory_finds_rotated_and_gzipped_logs_by_content(tmp_path: Path) -> None:
    """Rotated files with unknown names and gzip are found by sniffing; others are skipped."""
    (tmp_path / "security.log").write_text(SEC + "\n")
    with gzip.open(tmp_path / "archive-2017-05-16.bin", "wt") as handle:
        handle.write(MAIL + "\n")
    (tmp_path / "x.idx").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "notes.txt").write_text("just text\n")
    files = discover([str(tmp_path)])
    kinds = {Path(f.path).name: (f.log, f.compressed) for f in files}
    assert kinds == {"security.log": ("security", False), "archive-2017-05-16.bin": ("mail", True)}


def test_merge_is_in_time_order(tmp_path: Path) -> None:
    """Lines from several logs come out in log-time order."""
    (tmp_path / "security.log").write_text(SEC + "\n")
    (tmp_path / "mail.log").write_text(MAIL + "\n")
    (tmp_path / "audit.log").write_text(AUDIT + "\n")
    files = discover([str(tmp_path)])
    assert [r.log for r in merged_records(files)] == ["mail", "audit", "security"]


def test_hostile_bytes_never_stop_a_read(tmp_path: Path) -> None:
    """Invalid UTF-8, CRLF, BOM, NUL, huge and binary lines are read, counted, kept."""
    huge = "[17/May/2017 19:43:44] " + "A" * 100_000
    data = (
        b"\xef\xbb\xbf"
        + SEC.encode()
        + b"\r\n"
        + SEC.encode().replace(b"printer", b"pr\xffnter\x00")
        + b"\n"
        + huge.encode()
        + b"\n"
        + bytes(range(11, 256))
        + b"\n"
        + b"[17/May/2017 19:43:45] Failed SMTP login from 212.92.127.112 with SASL method"
    )
    path = tmp_path / "security.log"
    path.write_bytes(data)
    files = discover([str(path)])
    records = list(merged_records(files))
    log_file = files[0]
    assert log_file.decode_errors >= 2
    assert log_file.cut_lines == 1
    assert records[0].raw == SEC, "BOM and CR are removed"
    assert "\x00" not in records[1].raw and "\ufffd" in records[1].raw
    assert log_file.unparsed_total == 1, "the binary line is kept as unparsed"
    assert log_file.lines == 5


@pytest.mark.parametrize("compressed", [False, True])
def test_a_huge_line_is_never_held_whole(tmp_path: Path, compressed: bool) -> None:
    """40 MB lines (NUL bytes after a crash, a runaway line), first and in the middle:
    read and cut in bounded memory, in sniffing and in reading (a 100 MB line took
    330 MB)."""
    nul = b"\x00" * (40 << 20) + b"\n"
    long = b"[17/May/2017 19:43:45] " + b"A" * (40 << 20) + b"\n"
    data = nul + SEC.encode() + b"\n" + long + SEC.encode() + b"\n"
    path = tmp_path / "security.log"
    if compressed:
        with gzip.open(path, "wb", compresslevel=1) as handle:
            handle.write(data)
    else:
        path.write_bytes(data)
    del data, nul, long
    tracemalloc.start()
    try:
        files = discover([str(path)])
        records = list(merged_records(files))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    cut = "[17/May/2017 19:43:45] " + "A" * (MAX_LINE - 23)
    assert [r.raw for r in records] == [SEC, cut, SEC]
    assert files[0].lines == 3 and files[0].cut_lines == 1
    assert peak < 8 << 20


class _Pipe(io.RawIOBase):
    """A pipe's reading end: ``block`` ``times`` over, made as it is read."""

    def __init__(self, block: bytes, times: int) -> None:
        self.block, self.left, self.at = block, times, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.left:
            return 0
        n = min(len(buffer), len(self.block) - self.at)
        buffer[:n] = self.block[self.at : self.at + n]
        self.at += n
        if self.at == len(self.block):
            self.at, self.left = 0, self.left - 1
        return n


def test_standard_input_is_not_held_in_memory() -> None:
    """``zcat mail.log.*.gz | kerio-watch scan -``: standard input is copied to a
    temporary file, not read into memory (200 MB took 490 MB to scan, a file 295 MB)."""
    lines = 150_000  # 16 MB, twice the bound below if it were held (32 MB took 4 s)
    tracemalloc.start()
    stdin = io.BufferedReader(_Pipe((SEC + "\n").encode() * 1000, lines // 1000))
    try:
        files = discover(["-"], stdin=stdin)
        read = sum(1 for _ in merged_records(files))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert read == lines and files[0].path == "<stdin>"
    assert peak < 8 << 20


def test_a_file_saved_as_utf16_is_read_whole(tmp_path: Path) -> None:
    """Saved as UTF-16 with CRLF (PowerShell's ``>`` on Windows): every line read and
    framed, the first one too (its byte order mark made it unparsed, not UTF-8)."""
    path = tmp_path / "security.log"
    path.write_bytes(b"\xff\xfe" + "".join(x + "\r\n" for x in (SEC, SEC)).encode("utf-16-le"))
    files = discover([str(path)])
    assert [r.raw for r in merged_records(files)] == [SEC, SEC]
    assert files[0].decode_errors == 0 and files[0].unparsed_total == 0


def test_missing_path_is_named(tmp_path: Path) -> None:
    """A missing path raises a SourceError that names it."""
    with pytest.raises(SourceError, match=r"absent\.log: no such file"):
        discover([str(tmp_path / "absent.log")])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission bits")
def test_unreadable_path_is_named(tmp_path: Path) -> None:
    """A file without read permission says so and suggests what to do."""
    path = tmp_path / "mail.log"
    path.write_text(MAIL + "\n")
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied"):
        discover([str(path)])


def test_unreadable_file_in_a_folder_is_named(
    tmp_path: Path, deny_reading: Callable[[Path], None]
) -> None:
    """A file found in a folder that cannot be read is named, with why, as one named on
    the command line is (it was taken for a log, and reading it crashed scan and parse)."""
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "security.log").write_text(SEC + "\n")
    (folder / "mail.log.1").write_text(MAIL + "\n")
    (folder / "mail.log").write_text(MAIL + "\n")
    deny_reading(folder / "mail.log")
    with pytest.raises(SourceError, match=r"logs/mail\.log: permission denied \(run as a user"):
        discover([str(folder)])


def test_stdin_is_sniffed(cli: Callable[..., Result]) -> None:
    """``parse -`` reads stdin and recognises the log by content."""
    result = cli("parse", "-f", "jsonl", "-", input=AUDIT + "\n")
    assert result.exit_code == 0, result.output
    assert '"kind": "login_succeeded"' in result.stdout
    assert "login_succeeded" in result.stderr


def test_parse_shows_unparsed(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """``parse --show-unparsed`` lists what was not understood, with line numbers."""
    path = tmp_path / "security.log"
    path.write_text(SEC + "\n[17/May/2017 19:43:43] Something new happened\n")
    result = cli("parse", "--show-unparsed", str(path))
    assert result.exit_code == 0
    assert "unparsed: 1" in result.stderr
    assert "line 2" in result.stderr and "Something new happened" in result.stderr


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_decode_line_never_raises(data: bytes) -> None:
    """Any bytes decode to one bounded line without NUL or line breaks at the end."""
    text = decode_line(data, LogFile("x", None))
    assert "\x00" not in text
    assert len(text) <= MAX_LINE
    assert not text.endswith("\n")


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_scan_never_crashes_on_garbage(
    tmp_path_factory: pytest.TempPathFactory, chunks: list[bytes]
) -> None:
    """A security.log with arbitrary garbage after a valid line is read without errors."""
    folder = tmp_path_factory.mktemp("garbage")
    path = folder / "security.log"
    path.write_bytes(SEC.encode() + b"\n" + b"\n".join(chunks))
    files = discover([str(path)])
    records = list(merged_records(files))
    assert records and records[0].raw == SEC


def test_parse_table_is_inert(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """Rich markup in a log field is shown literally in the parse table."""
    path = tmp_path / "audit.log"
    path.write_text(
        "[17/May/2017 19:43:41] HTTP/WebMail: User a@b.test authenticated  from IP address "
        "10.0.0.5; [red]Mozilla[/red] \x1b[31m\n"
    )
    result = cli("parse", str(path))
    assert result.exit_code == 0
    assert "[red]Mozilla[/red]" in result.stdout.replace("\n", "")
    assert "\x1b" not in result.stdout


def test_a_read_error_among_the_lines_passed_over_names_the_line_reached(tmp_path: Path) -> None:
    """A compressed file continued after the lines an interrupted scan did (LogFile.start),
    damaged among them: the read error names the line reached, and the file was read to
    it (both were 0, as if no line had been passed over), as in the native core."""
    data = gzip.compress(b"".join(b"[24/Aug/2022 16:28:11] line %d\n" % i for i in range(50000)))
    path = tmp_path / "mail.log.1.gz"
    path.write_bytes(data[: len(data) // 2])
    log_file = LogFile(str(path), "mail", compressed=True, start=49000)
    assert list(read_records(log_file)) == []
    (error,) = log_file.unparsed_samples
    assert error.reason.startswith("read error")
    assert error.lineno is not None
    assert 0 < error.lineno == log_file.read_to < 49000
    assert log_file.lines == 0
