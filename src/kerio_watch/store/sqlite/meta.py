"""The ``meta`` table: metadata values and the schema version."""

from __future__ import annotations

from kerio_watch.store.migrations import schema_version
from kerio_watch.store.sqlite.connection import SQLiteConnection


class MetaTable(SQLiteConnection):
    """Metadata (:class:`~kerio_watch.store.base.MetaStore`)."""

    # -- metadata -----------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def schema_version(self) -> int:
        """The applied schema version."""
        return schema_version(self.db)
