"""The ``watermarks`` and ``follow_files`` tables: how far each log was read."""

from __future__ import annotations

from collections.abc import Iterable

from kerio_watch.store.sqlite.connection import SQLiteConnection
from kerio_watch.values.checkpoint import FileCheckpoint


class CheckpointTable(SQLiteConnection):
    """Read positions (:class:`~kerio_watch.store.base.CheckpointStore`)."""

    # -- watermarks ---------------------------------------------------------------------
    def watermarks(self) -> dict[str, tuple[int, int]]:
        """log -> (last processed UTC second, lines processed at that second)."""
        return {
            r[0]: (r[1], r[2]) for r in self.db.execute("SELECT log, ts, count FROM watermarks")
        }

    def save_watermarks(self, marks: dict[str, tuple[int, int]]) -> None:
        """Store watermarks."""
        self._write_many(
            "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?)",
            ((log, ts, n) for log, (ts, n) in marks.items()),
        )

    # -- follow checkpoints -------------------------------------------------------------
    def follow_checkpoints(self) -> list[FileCheckpoint]:
        """Every file position ``follow`` recorded."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(follow_files)")}
        # a database of schema 8 or older, opened read-only (status), is not migrated
        checked = "checked" if "checked" in columns else "0"
        rows = self.db.execute(
            "SELECT dev, ino, first_hash, path, log, offset, lineno, size, compressed, gone, "
            f"updated, first_ts, {checked} FROM follow_files"
        )
        return [
            FileCheckpoint(d, i, h, p, log, o, n, s, bool(c), bool(g), u, t, bool(k))
            for d, i, h, p, log, o, n, s, c, g, u, t, k in rows
        ]

    def replace_follow_checkpoints(self, checkpoints: Iterable[FileCheckpoint]) -> None:
        """Replace the recorded file positions (call inside :meth:`transaction`)."""
        self._write("DELETE FROM follow_files")
        self._write_many(
            "INSERT OR REPLACE INTO follow_files (dev, ino, first_hash, path, log, offset, "
            "lineno, size, compressed, gone, updated, first_ts, checked) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    c.dev,
                    c.ino,
                    c.first_hash,
                    c.path,
                    c.log,
                    c.offset,
                    c.lineno,
                    c.size,
                    int(c.compressed),
                    int(c.gone),
                    c.updated,
                    c.first_ts,
                    int(c.checked),
                )
                for c in checkpoints
            ),
        )
