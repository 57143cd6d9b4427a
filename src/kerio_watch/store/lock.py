"""One writer per state database: ``scan`` and ``follow`` hold ``<db>.lock`` while they run.

Both run the whole pipeline over the database: they allocate incident ids, and write
incidents, profiles, watermarks and detector state from what they hold in memory. Two
at once would overwrite each other's rows (one's incident 12 is another account than
the other's), so the second is refused with one clear message
(:class:`DatabaseBusy`, exit status 6).

The lock is an exclusive ``flock`` on ``<db>.lock``; the kernel drops it when the
process dies (even by ``kill -9``), so a crashed writer never blocks the next one and
``status`` can tell a running follower from a stale heartbeat. The file holds the
holder's pid and role (``follow``, ``scan``...).

Acknowledgements (``kerio-watch ack``, the dashboard's buttons) do not take it: they are
one short transaction that also queues the decision for a running writer to apply
(``Pipeline._apply_acks``), so they work while ``follow`` runs. Read-only commands
(``status``, ``incidents``, ``report``, ``user``, the dashboard's pages) take nothing
and never wait: SQLite's write-ahead log lets them read while a writer writes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from types import TracebackType

from kerio_watch.errors import StoreError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.store.diagnose import unusable

PROBE_WAIT = 2.0
"""Seconds a starting writer waits while only readers of the lock hold it (``status``
takes a shared lock for an instant to see whether a writer runs); a writer holding it
refuses the start at once."""


class DatabaseBusy(StoreError):
    """Another ``scan`` or ``follow`` is writing to the state database."""

    exit_status = ExitStatus.DB_BUSY


def lock_path(db_path: Path) -> Path:
    """Where the writer's lock lives for a database."""
    return db_path.with_name(db_path.name + ".lock")


class WriterLock:
    """The writer's lock on one state database (see the module documentation).

    Args:
        db_path: the database.
        role: what holds it, for the refusal message (``follow``, ``scan``...).
    """

    def __init__(self, db_path: Path, role: str) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self.role = role
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock (a no-op where ``flock`` does not exist, i.e. Windows).

        Raises:
            DatabaseBusy: another writer holds it.
            DatabaseUnusable: the lock file cannot be created (a read-only directory).
        """
        try:
            import fcntl  # noqa: PLC0415 - POSIX only; the CLI must still import on Windows
        except ImportError:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise unusable(self.db_path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _after_lookers(fd):
                pid, role = _read_owner(fd)
                os.close(fd)
                raise DatabaseBusy(self._refusal(pid, role)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.role}\n".encode())
        self.fd = fd

    def _refusal(self, pid: int | None, role: str) -> str:
        who = f"kerio-watch {role} (pid {pid or '?'})"
        if self.role == "follow" and role == "follow":
            return (
                f"another {who} is already using {self.db_path}; stop it first, or use another --db"
            )
        if role == "follow":
            return (
                f"{who} is writing to {self.db_path}: a {self.role} at the same time would "
                "mix up their incidents. Stop the follower first (e.g. systemctl stop "
                f"kerio-watch), or {self.role} with another --db"
            )
        return (
            f"{who} is writing to {self.db_path}: wait until it has finished, or use another --db"
        )

    def release(self) -> None:
        """Drop the lock."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> WriterLock:
        """Acquire (see :meth:`acquire`)."""
        self.acquire()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        """Release."""
        self.release()


def _after_lookers(fd: int) -> bool:
    """Take the exclusive lock once the shared locks in its way are gone: those of
    :func:`lock_holder` looking, held for an instant. False at once when a writer holds
    it (or when lookers held it for :data:`PROBE_WAIT`)."""
    import fcntl  # noqa: PLC0415 - POSIX only (the caller has it)

    deadline = time.monotonic() + PROBE_WAIT
    while time.monotonic() < deadline:
        try:  # a shared lock cannot be had while a writer holds the exclusive one
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fd, fcntl.LOCK_UN)
        time.sleep(0.01)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue
        return True
    return False


def lock_holder(db_path: Path) -> tuple[bool | None, int | None, str | None]:
    """(held?, pid, role) of a database's writer lock (None: cannot tell)."""
    if sys.platform == "win32":
        return None, None, None
    import fcntl  # noqa: PLC0415 - POSIX only

    try:
        fd = os.open(lock_path(db_path), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False, None, None
    except OSError:
        return None, None, None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return (True, *_read_owner(fd))
    except OSError:
        return None, None, None
    finally:
        os.close(fd)
    return False, None, None


def _read_owner(fd: int) -> tuple[int | None, str]:
    """(pid, role) written in the lock file; an older version wrote only the pid."""
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").split()
    except OSError:
        return None, "follow"
    pid = int(text[0]) if text and text[0].isdigit() else None
    return pid, text[1] if len(text) > 1 else "follow"
