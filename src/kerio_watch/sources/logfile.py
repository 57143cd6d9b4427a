"""One log file (or standard input) and its lines as bytes: what reading it found
(:class:`LogFile`), opening it (gzip, or standard input copied to a temporary file),
lines of bounded length, and lenient decoding."""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kerio_watch.errors import SourceError
from kerio_watch.events import Unparsed
from kerio_watch.sources.lineends import careful_lines

MAX_LINE = 65536
"""Characters of one line that are processed; the rest is cut (and counted)."""
LINE_BYTES = MAX_LINE * 4
"""Bytes of one line that are read (:data:`MAX_LINE` characters of UTF-8 at most)."""

UNPARSED_SAMPLES = 200
"""How many unparsed lines are kept per file for ``--show-unparsed``."""


@dataclass(eq=False)
class LogFile:
    """A log file (or stdin) and what reading it found."""

    path: str
    log: str | None
    syslog: bool = False
    compressed: bool = False
    year: int = 1970
    lines: int = 0
    events: Counter[str] = field(default_factory=Counter)
    unparsed: Counter[str] = field(default_factory=Counter)
    unparsed_samples: list[Unparsed] = field(default_factory=list)
    decode_errors: int = 0
    cut_lines: int = 0
    first_ts: int | None = None
    written: float | None = None
    """The file's modification time when it was found (None: standard input)."""
    copy_of: str | None = None
    """The file of the same log whose start this one's lines are (a copy given beside
    it): they are read there, not here (:mod:`kerio_watch.sources.copies`)."""
    own_name: bool = False
    """Named as its log (``mail.log``) or a rotated generation of it (``mail.log.1``,
    ``mail.log.2.gz``): with an on-disk layout, an original, never taken for a copy of a
    file otherwise named (:mod:`kerio_watch.sources.copies`)."""
    only_lines: frozenset[int] | None = None
    """Of a file whose other lines the other files hold (a file of every log, a copy
    of one log that holds more), the numbers of the lines read from it (None: every
    line)."""
    passed_over: int = 0
    """Its lines not read, as the other files hold them."""
    cr_only: bool = False
    """Its lines end in CR alone: read from a copy with LF line ends (:func:`read_cr_only`)."""
    data: IO[bytes] | None = None
    """Standard input, copied once to an unnamed temporary file (not held in memory:
    a pipe of gigabytes of logs would be), read from its start each time it is opened."""
    start: int = 0
    """Its first lines an interrupted scan of the same files processed: passed over
    unread by the scan that continues it (:mod:`kerio_watch.pipeline.resume`)."""
    read_to: int = 0
    """The number of its last line, once read to its end."""
    offset: int = 0
    """Where its line :attr:`start` + 1 begins (bytes, decompressed), when known: the
    reader seeks there instead of passing the first lines over one by one."""
    continued: bool = False
    """Read on from where an earlier scan left it (:mod:`kerio_watch.pipeline.grown`):
    its lines after :attr:`start` are new, never judged by the watermarks."""
    whole: bool = False
    """A compressed file an earlier scan read to its end, unchanged since: not opened."""
    end: int | None = None
    """Where its last line read ends (bytes, decompressed), once read to its end
    without a read error."""

    def passed_whole(self) -> bool:
        """Whether the file is :attr:`whole`: then it counts as read to where the earlier
        scan left it (:attr:`read_to`, :attr:`end`), and no reader opens it."""
        if self.whole:
            self.read_to, self.end = self.start, self.offset
        return self.whole

    def note_unparsed(self, record: Unparsed) -> None:
        """Count an unparsed line and keep it for inspection (up to a limit)."""
        self.unparsed[record.reason] += 1
        if len(self.unparsed_samples) < UNPARSED_SAMPLES:
            self.unparsed_samples.append(record)

    @property
    def unparsed_total(self) -> int:
        """Lines of this file no parser understood."""
        return sum(self.unparsed.values())

    @property
    def not_kerio(self) -> bool:
        """Whether lines were read from this file (not a copy's) and none was understood:
        a Postfix log from a syslog server is framed like Kerio's logs forwarded there,
        so it is taken, and only its lines tell (``scan`` and ``follow`` name it:
        :data:`NOT_KERIO`)."""
        return self.copy_of is None and self.lines > 0 and self.unparsed_total == self.lines


def open_binary(log_file: LogFile) -> IO[bytes]:
    if log_file.data is not None:
        raw: IO[bytes] = os.fdopen(os.dup(log_file.data.fileno()), "rb")
        raw.seek(0)  # the duplicate shares the position: read one handle at a time
    else:
        raw = Path(log_file.path).open("rb")  # noqa: SIM115 (closed by the caller)
    if log_file.compressed:
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_line(data: bytes, log_file: LogFile) -> str:
    """Bytes of one line -> text without line ending, BOM or NUL; never raises.

    A UTF-16 byte order mark is dropped too: with the NUL bytes of UTF-16 dropped, a
    file saved as UTF-16 (PowerShell's ``>`` on Windows) reads as the ASCII it holds,
    its first line included (it was unparsed, not UTF-8).
    """
    if data[:2] in _UTF16_BOMS:
        data = data[2:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        log_file.decode_errors += 1
        text = data.decode("utf-8", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = text.rstrip("\r\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_LINE:
        log_file.cut_lines += 1
        text = text[:MAX_LINE]
    return text


def bounded_lines(handle: IO[bytes]) -> Iterator[bytes]:
    """The lines of a binary file, each cut to :data:`LINE_BYTES` (the rest of a longer
    line is read and dropped): a line never held whole in memory (a file of NUL bytes
    after a crash, a 100 MB line, took 330 MB). A run of NUL bytes ends a line too
    (:mod:`kerio_watch.sources.lineends`): from the first NUL byte or long line on, the
    rest of the file is read by :func:`~kerio_watch.sources.lineends.careful_lines`."""
    readline = handle.readline
    while True:
        data = readline(LINE_BYTES)
        if not data:
            return
        if 0 in data or (len(data) == LINE_BYTES and data[-1:] != b"\n"):
            yield from careful_lines(data, handle.read, LINE_BYTES)
            return
        yield data


READ_HINT = "run as a user who can read Kerio's logs, e.g. a member of their group, or copy them"


def check_readable(path: Path, hint: str = READ_HINT) -> None:
    """Raise a :class:`SourceError` that says why ``path`` cannot be read, if it cannot.

    Args:
        path: a log file or directory.
        hint: what to do about a permission problem.
    """
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    try:
        if path.is_dir():
            next(path.iterdir(), None)
        else:
            with path.open("rb") as handle:
                handle.read(1)
    except PermissionError:
        raise SourceError(f"{path}: permission denied ({hint})") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None


def spooled(stream: IO[bytes], name: str) -> IO[bytes]:
    """Everything ``stream`` (standard input or a pipe, ``name``) holds, copied to an
    unnamed temporary file (deleted when it is closed, or when the process ends).

    Raises:
        SourceError: the copy cannot be written (a full temporary directory).
    """
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (kept open: the LogFile reads it)
    try:
        shutil.copyfileobj(stream, spool, 1 << 20)
    except OSError as exc:
        spool.close()
        raise SourceError(
            f"{name}: cannot copy it to {tempfile.gettempdir()}: {exc.strerror or exc} "
            "(set TMPDIR to a folder with room, or give the files)"
        ) from None
    spool.seek(0)
    return spool


def cr_only(head: bytes) -> bool:
    """Whether a file's first bytes are lines that end in CR alone (no LF at all)."""
    return b"\n" not in head and head.count(b"\r") >= 2


def read_cr_only(log_file: LogFile) -> None:
    """A file whose lines end in CR alone (an old Mac's line ends) is read from a copy
    with LF line ends, as standard input is (:attr:`LogFile.data`): it was one line, cut
    at :data:`MAX_LINE` characters, its other lines lost but for a count of one cut.

    Raises:
        SourceError: the copy cannot be written (a full temporary directory).
    """
    try:
        with open_binary(log_file) as handle:
            if not cr_only(handle.read(1 << 13)):
                return
    except (OSError, EOFError, zlib.error):
        return  # read as it is (and said so there)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (kept open: the LogFile reads it)
    try:
        with open_binary(log_file) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                spool.write(chunk.replace(b"\r", b"\n"))
    except (OSError, EOFError, zlib.error) as exc:
        spool.close()
        raise SourceError(f"{log_file.path}: cannot copy it with LF line ends: {exc}") from None
    spool.seek(0)
    log_file.data, log_file.compressed, log_file.cr_only = spool, False, True


NOT_KERIO_HINT = (
    "another program's log? kerio-watch reads Kerio's own logs and syslog records that "
    "name one as app-name or tag: `kerio-watch list formats`"
)
"""What a file none of whose lines is Kerio's may be (``scan``, ``follow``)."""
NOT_KERIO = f"none of its lines is from a Kerio Connect log ({NOT_KERIO_HINT})"
"""What ``scan`` and ``follow`` say of such a file (:attr:`LogFile.not_kerio`)."""


def why_skipped(skipped: Sequence[LogFile]) -> str:
    """`` (not a Kerio Connect log: a, b; `kerio-watch list formats` lists them)``; an
    empty file is said to be empty (it was called no Kerio log, as if it held another
    program's lines)."""
    empty = [f.path for f in skipped if is_empty(f)]
    other = [f.path for f in skipped if f.path not in empty]
    parts = []
    if empty:
        parts.append(f"empty, nothing to read: {_names(empty)}")
    if other:
        kind = "a Kerio Connect log" if len(other) == 1 else "Kerio Connect logs"
        parts.append(f"not {kind}: {_names(other)}; `kerio-watch list formats` lists them")
    return f" ({'; '.join(parts)})" if parts else ""


def _names(paths: list[str]) -> str:
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    return ", ".join(paths[:5]) + more


def is_empty(log_file: LogFile) -> bool:
    """Whether the file (or the copy of a stream) holds no bytes at all."""
    try:
        if log_file.data is not None:
            return os.fstat(log_file.data.fileno()).st_size == 0
        return Path(log_file.path).stat().st_size == 0
    except (OSError, ValueError):  # gone, or a closed stream copy
        return False
