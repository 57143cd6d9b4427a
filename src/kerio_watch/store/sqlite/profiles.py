"""The ``profiles`` table: one learned profile per account."""

from __future__ import annotations

import json
from collections.abc import Iterable

from kerio_watch.store.sqlite.connection import SQLiteConnection, dumps
from kerio_watch.values.profile import Profile


class ProfileTable(SQLiteConnection):
    """Profiles (:class:`~kerio_watch.store.base.ProfileStore`)."""

    # -- profiles -----------------------------------------------------------------------
    def load_profile(self, account: str) -> Profile | None:
        """One account's profile."""
        row = self.db.execute("SELECT data FROM profiles WHERE account = ?", (account,)).fetchone()
        return None if row is None else Profile.from_dict(json.loads(row[0]))

    def save_profiles(self, profiles: Iterable[Profile]) -> None:
        """Insert or replace profiles."""
        self._write_many(
            "INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)",
            ((p.account, dumps(p.to_dict()), p.last_ts) for p in profiles),
        )

    def accounts(self) -> list[str]:
        """Every account with a profile."""
        return [r[0] for r in self.db.execute("SELECT account FROM profiles ORDER BY account")]
