"""Dashboard sessions the server can revoke.

Sessions are Flask's signed cookies, so the cookie alone would stay valid until it
expires. Each login therefore gets a random session id; logging out revokes that id
on the server, and a revoked id is refused on every later request (an old copy of the
cookie can no longer acknowledge an incident). Revocations are kept in memory and in
the state database (a metadata key), so they survive a restart of the dashboard when
sessions do (``secret_key_file``); each is forgotten once the session would have
expired anyway.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from kerio_watch.errors import KerioWatchError
from kerio_watch.store import open_store

log = logging.getLogger(__name__)

META_KEY = "web.revoked_sessions"


class Sessions:
    """Session ids: new ones, revoked ones.

    Args:
        db_path: the state database (where revocations are kept).
        lifetime: seconds a session lives (a revocation is kept that long).
    """

    def __init__(self, db_path: Path, lifetime: float) -> None:
        self.db_path = db_path
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._revoked = self._load()

    @staticmethod
    def new() -> str:
        """A fresh, unguessable session id."""
        return secrets.token_urlsafe(24)

    def valid(self, sid: object) -> bool:
        """A session id that was issued and not revoked."""
        if not isinstance(sid, str) or not sid:
            return False
        with self._lock:
            return sid not in self._revoked

    def revoke(self, sid: object) -> None:
        """Refuse this session id from now on (logout)."""
        if not isinstance(sid, str) or not sid:
            return
        now = time.time()
        with self._lock:
            self._revoked = {s: t for s, t in self._revoked.items() if t > now}
            self._revoked[sid] = now + self.lifetime
            data = json.dumps(self._revoked)
        try:
            store = open_store(self.db_path)
            try:
                with store.transaction():
                    store.set_meta(META_KEY, data)
            finally:
                store.close()
        except (KerioWatchError, sqlite3.Error, OSError) as exc:
            log.warning("logout: cannot record the revoked session in %s: %s", self.db_path, exc)

    def _load(self) -> dict[str, float]:
        try:
            store = open_store(self.db_path, readonly=True)
            try:
                text = store.get_meta(META_KEY)
            finally:
                store.close()
            data = json.loads(text) if text else {}
        except (KerioWatchError, sqlite3.Error, OSError, ValueError):
            return {}
        now = time.time()
        if not isinstance(data, dict):
            return {}
        return {str(s): float(t) for s, t in data.items() if isinstance(t, int | float) and t > now}
