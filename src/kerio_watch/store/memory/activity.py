"""The in-memory store's hourly activity counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kerio_watch.store.memory.connection import MemoryConnection

ActivityRow = tuple[int, str, str, str, int]


class ActivityMemory(MemoryConnection):
    """Hourly activity (:class:`~kerio_watch.store.base.ActivityStore`); hours are kept
    as hour numbers, as in the SQLite table."""

    def add_activity(self, rows: dict[tuple[int, str, str, str], int]) -> None:
        """Add hourly counts: (hour, account, kind, key) -> count."""
        table = self.tables.activity
        for key, n in rows.items():
            table[key] = table.get(key, 0) + n

    def add_activity_rows(self, rows: Iterable[ActivityRow]) -> None:
        """Add hourly counts: (hour, account, kind, key, count) rows."""
        table = self.tables.activity
        for hour, account, kind, key, n in rows:
            k = (hour, account, kind, key)
            table[k] = table.get(k, 0) + n

    def prune_activity(self, before: int) -> int:
        """Delete the activity of hours that ended by log time ``before``."""
        old = [k for k in self.tables.activity if k[0] < before // 3600]
        for k in old:
            del self.tables.activity[k]
        return len(old)

    def _activity_rows(self) -> list[ActivityRow]:
        return [(*k, n) for k, n in sorted(self.tables.activity.items())]

    def activity(
        self,
        since: int | None = None,
        until: int | None = None,
        account: str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[ActivityRow]:
        """(hour_ts, account, kind, key, count) rows, oldest first."""
        wanted = None if kinds is None else set(kinds)
        return [
            (h * 3600, a, k, key, n)
            for h, a, k, key, n in self._activity_rows()
            if (since is None or h >= since // 3600)
            and (until is None or h < (until + 3599) // 3600)
            and (account is None or a == account)
            and (wanted is None or k in wanted)
        ]

    def activity_span(self) -> tuple[int, int] | None:
        """(first, last) hour start with any activity, or None when there is none."""
        hours = [k[0] for k in self.tables.activity]
        return (min(hours) * 3600, max(hours) * 3600) if hours else None

    def _sums(
        self, by: int, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[Any, str, int]]:
        """(column ``by``, kind, count summed over the rest) over ``[since, until)``."""
        wanted = set(kinds)
        sums: dict[tuple[Any, str], int] = {}
        for row in self._activity_rows():
            if since // 3600 <= row[0] < (until + 3599) // 3600 and row[2] in wanted:
                group = (row[by], row[2])
                sums[group] = sums.get(group, 0) + row[4]
        return [(v, k, n) for (v, k), n in sorted(sums.items())]

    def hourly_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[int, str, int]]:
        """(hour_ts, kind, count summed over accounts and keys), oldest first."""
        return [(int(h) * 3600, k, n) for h, k, n in self._sums(0, since, until, kinds)]

    def account_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[str, str, int]]:
        """(account, kind, count summed over hours and keys), by account."""
        return [(str(a), k, n) for a, k, n in self._sums(1, since, until, kinds)]

    def activity_containing(
        self, text: str, kinds: Iterable[str], limit: int = 500
    ) -> list[ActivityRow]:
        """Activity rows whose key contains ``text`` (case-insensitive), newest first."""
        needle, wanted = text.lower(), set(kinds)
        rows = [r for r in self._activity_rows() if needle in r[3].lower() and r[2] in wanted]
        rows.sort(key=lambda r: r[0], reverse=True)
        return [(h * 3600, a, k, key, n) for h, a, k, key, n in rows[:limit]]
