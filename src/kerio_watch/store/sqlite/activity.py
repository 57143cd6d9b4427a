"""The ``activity`` table: hourly counts per (hour, account, kind, key)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kerio_watch.store.sqlite.connection import SQLiteConnection
from kerio_watch.store.sqlite.where import Where

ADD = (
    "INSERT INTO activity VALUES (?, ?, ?, ?, ?) ON CONFLICT (hour, account, kind, key) "
    "DO UPDATE SET count = count + excluded.count"
)


class ActivityTable(SQLiteConnection):
    """Hourly activity (:class:`~kerio_watch.store.base.ActivityStore`)."""

    # -- activity -----------------------------------------------------------------------
    def add_activity(self, rows: dict[tuple[int, str, str, str], int]) -> None:
        """Add hourly counts: (hour, account, kind, key) -> count."""
        self._write_many(ADD, ((h, a, k, key, n) for (h, a, k, key), n in rows.items()))

    def add_activity_rows(self, rows: Iterable[tuple[int, str, str, str, int]]) -> None:
        """Add hourly counts: (hour, account, kind, key, count) rows."""
        self._write_many(ADD, rows)

    def prune_activity(self, before: int) -> int:
        """Delete the activity of hours that ended by log time ``before``; returns how many
        rows."""
        return self._delete("DELETE FROM activity WHERE hour < ?", (before // 3600,))

    def activity(
        self,
        since: int | None = None,
        until: int | None = None,
        account: str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[tuple[int, str, str, str, int]]:
        """(hour_ts, account, kind, key, count) rows, oldest first."""
        where = (
            Where()
            .add("hour >= ?", None if since is None else since // 3600)
            .add("hour < ?", None if until is None else (until + 3599) // 3600)
            .add("account = ?", account)
            .one_of("kind", kinds)
        )
        sql = f"SELECT hour, account, kind, key, count FROM activity{where.sql} ORDER BY hour"
        rows = self.db.execute(sql, where.params)
        return [(h * 3600, a, k, key, n) for h, a, k, key, n in rows]

    def activity_span(self) -> tuple[int, int] | None:
        """(first, last) hour start with any activity, or None when there is none."""
        row = self.db.execute("SELECT min(hour), max(hour) FROM activity").fetchone()
        if row is None or row[0] is None:
            return None
        return int(row[0]) * 3600, int(row[1]) * 3600

    def _kinds_clause(self, kinds: Iterable[str], params: list[Any]) -> str:
        names = list(kinds)
        params.extend(names)
        return f"kind IN ({','.join('?' * len(names))})"

    def _sums(
        self, by: str, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[Any, str, int]]:
        """(``by`` column, kind, count summed over the rest) over ``[since, until)``."""
        params: list[Any] = [since // 3600, (until + 3599) // 3600]
        sql = (
            f"SELECT {by}, kind, sum(count) FROM activity WHERE hour >= ? AND hour < ? AND "
            + self._kinds_clause(kinds, params)
            + f" GROUP BY {by}, kind ORDER BY {by}"
        )
        return [(v, k, int(n)) for v, k, n in self.db.execute(sql, params)]

    def hourly_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[int, str, int]]:
        """(hour_ts, kind, count summed over accounts and keys), oldest first."""
        return [(h * 3600, k, n) for h, k, n in self._sums("hour", since, until, kinds)]

    def account_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[str, str, int]]:
        """(account, kind, count summed over hours and keys), by account."""
        return [(str(a), k, n) for a, k, n in self._sums("account", since, until, kinds)]

    def activity_containing(
        self, text: str, kinds: Iterable[str], limit: int = 500
    ) -> list[tuple[int, str, str, str, int]]:
        """Activity rows whose key contains ``text`` (case-insensitive), newest first."""
        params: list[Any] = [text.lower()]
        sql = (
            "SELECT hour, account, kind, key, count FROM activity "
            "WHERE instr(lower(key), ?) > 0 AND "
            + self._kinds_clause(kinds, params)
            + " ORDER BY hour DESC LIMIT ?"
        )
        params.append(limit)
        return [(h * 3600, a, k, key, n) for h, a, k, key, n in self.db.execute(sql, params)]
