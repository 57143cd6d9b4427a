"""A log writer like Kerio's and a rotator like logrotate, step by step (tests, soak).

:class:`LogWriter` appends lines to one log through a handle it keeps open, as the mail
server does, and to an unrotated reference copy (what a ``scan`` should find).
:class:`Rotator` rotates that log in one logrotate style, as a list of named steps, so
that a test can stop, kill or restart a follower between any two of them:

- ``create``: shift ``mail.log.N`` to ``N+1``, rename ``mail.log`` to ``mail.log.1``,
  create a new ``mail.log``, and the server reopens it (until then it writes to the
  renamed file);
- ``copytruncate``: shift, copy ``mail.log`` to ``mail.log.1``, truncate ``mail.log`` (the
  server's handle appends, so it writes on at the new end);
- ``compress``: ``create``, then gzip ``mail.log.1`` (``mail.log.N.gz`` shift too);
- ``delaycompress``: ``create``, but the file rotated the time before is gzipped at the
  shift (``mail.log.1`` becomes ``mail.log.2.gz``);
- ``dateext``: rename ``mail.log`` to ``mail.log-YYYYMMDD-N``, create, reopen, gzip it.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO

STYLES = ("create", "copytruncate", "compress", "delaycompress", "dateext")
"""The logrotate styles :class:`Rotator` knows."""

Step = tuple[str, Callable[[], object]]


class LogWriter:
    """Writes one log like the mail server, and the same lines to a reference copy.

    Args:
        folder: the log directory.
        name: the log file's name (``mail.log``).
        reference: where the unrotated copy of every line goes (a file).
    """

    def __init__(self, folder: Path, name: str, reference: Path) -> None:
        self.folder = folder
        self.name = name
        self.path = folder / name
        self.handle: IO[str] = self.path.open("a", encoding="utf-8")
        self.ref: IO[str] = reference.open("a", encoding="utf-8")
        self.written = 0

    def write(self, lines: list[str]) -> None:
        """Append complete lines (to whatever file the server's handle points at)."""
        text = "".join(line + "\n" for line in lines)
        self.handle.write(text)
        self.handle.flush()
        self.ref.write(text)
        self.ref.flush()
        self.written += len(lines)

    def reopen(self) -> None:
        """The server reopens its log by name (logrotate's postrotate)."""
        self.handle.close()
        self.handle = self.path.open("a", encoding="utf-8")

    def close(self) -> None:
        """Close both files."""
        self.handle.close()
        self.ref.close()


class Rotator:
    """Rotates one :class:`LogWriter`'s log in one style; see the module documentation.

    Args:
        writer: the log's writer.
        style: one of :data:`STYLES`.
        keep: rotated files kept (older ones are deleted, as ``rotate N`` does).
        unread: whether a file due for deletion is not read yet (set aside instead).
    """

    def __init__(
        self,
        writer: LogWriter,
        style: str,
        keep: int = 4,
        unread: Callable[[Path], bool] | None = None,
    ) -> None:
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}: one of {', '.join(STYLES)}")
        self.writer = writer
        self.style = style
        self.keep = keep
        self.unread = unread
        """Says whether a file due for deletion is not read yet: it is set aside instead
        (``mail.log.unread-N``), as a server's logrotate, keeping days of files, would
        still hold it (the soak rotates every few seconds)."""
        self.count = 0
        self.set_aside = 0

    @property
    def folder(self) -> Path:
        """The log directory."""
        return self.writer.folder

    def steps(self) -> list[Step]:
        """The steps of the next rotation, in order (call each once, in order)."""
        self.count += 1
        log = self.writer.name
        if self.style == "copytruncate":
            return [("shift", self._shift), ("copy", self._copy), ("truncate", self._truncate)]
        if self.style == "dateext":
            dated = self.folder / f"{log}-20260310-{self.count}"
            return [
                ("rename", lambda: self.writer.path.rename(dated)),
                ("create", self._create),
                ("reopen", self.writer.reopen),
                ("compress", lambda: gzip_file(dated)),
                ("prune", self._prune_dated),
            ]
        steps: list[Step] = [
            ("shift", self._shift),
            ("rename", lambda: self.writer.path.rename(self._numbered(1))),
            ("create", self._create),
            ("reopen", self.writer.reopen),
        ]
        if self.style == "compress":
            steps.append(("compress", lambda: gzip_file(self._numbered(1))))
        return steps

    def _numbered(self, n: int, gz: bool = False) -> Path:
        return self.folder / f"{self.writer.name}.{n}{'.gz' if gz else ''}"

    def _shift(self) -> None:
        """mail.log.N(.gz) -> N+1, the oldest beyond ``keep`` deleted; with
        delaycompress, the plain mail.log.1 becomes mail.log.2.gz."""
        for n in range(self.keep, 0, -1):
            for gz in (True, False):
                source = self._numbered(n, gz)
                if not source.exists():
                    continue
                if n >= self.keep:
                    self._delete(source)
                elif not gz and self.style == "delaycompress":
                    gzip_file(source, self._numbered(n + 1, gz=True))
                else:
                    source.rename(self._numbered(n + 1, gz))

    def _create(self) -> None:
        self.writer.path.touch()

    def _copy(self) -> None:
        shutil.copyfile(self.writer.path, self._numbered(1))

    def _truncate(self) -> None:
        with self.writer.path.open("r+b") as handle:
            handle.truncate(0)

    def _prune_dated(self) -> None:
        dated = sorted(self.folder.glob(f"{self.writer.name}-*"), key=lambda p: p.stat().st_mtime)
        for old in dated[: -self.keep]:
            self._delete(old)

    def _delete(self, path: Path) -> None:
        if self.unread is None or not self.unread(path):
            path.unlink()
            return
        self.set_aside += 1
        gz = ".gz" if path.name.endswith(".gz") else ""
        path.rename(self.folder / f"{self.writer.name}.unread-{self.set_aside}{gz}")


def gzip_file(path: Path, target: Path | None = None) -> Path:
    """Compress like logrotate: write ``path.gz`` (or ``target``), then delete ``path``."""
    target = target or path.with_name(path.name + ".gz")
    with path.open("rb") as src, gzip.open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    path.unlink()
    return target
