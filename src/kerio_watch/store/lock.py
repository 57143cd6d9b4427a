"""One writer per state database: ``scan`` and ``follow`` hold ``<db>.lock`` while they run.

Both run the whole pipeline over the database: they allocate incident ids, and write
incidents, profiles, watermarks and detector state from what they hold in memory. Two
at once would overwrite each other's rows (one's incident 12 is another account than
the other's), so the second is refused with one clear message
(:class:`DatabaseBusy`, exit status 6).

The lock is an exclusive ``flock`` on ``<db>.lock`` (on Windows, where there is no
``flock``, ``msvcrt.locking`` on one byte of it past the text); the operating system
drops it when the process dies (even by ``kill -9`` or the Task Manager), so a crashed
writer never blocks the next one and ``status`` can tell a running follower from a
stale heartbeat. The file holds the holder's pid and role (``follow``, ``scan``...).

Acknowledgements (``kerio-watch ack``, the dashboard's buttons) do not take it: they are
one short transaction that also queues the decision for a running writer to apply
(``Pipeline._apply_acks``), so they work while ``follow`` runs. Read-only commands
(``status``, ``incidents``, ``report``, ``user``, the dashboard's pages) take nothing
and never wait: SQLite's write-ahead log lets them read while a writer writes.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from types import ModuleType, TracebackType

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


_OPEN_FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
"""Not inherited (Windows has no such flag, and inherits no descriptor anyway); binary."""


class FileLocks:
    """The operating system's locks on the lock file: ``flock`` (POSIX)."""

    lookers_share = True
    """Lookers take a lock a writer cannot hold at once, and no writer can take theirs."""

    def exclusive(self, fd: int) -> bool:
        """Take the exclusive lock without waiting; False while anyone holds it."""
        import fcntl  # noqa: PLC0415 - POSIX only; the CLI must still import on Windows

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def writer_holds(self, fd: int) -> bool | None:
        """Whether a writer holds the exclusive lock, looking for an instant with a
        shared lock (which lookers share with each other); None: cannot tell."""
        import fcntl  # noqa: PLC0415 - POSIX only

        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False


class ByteLocks(FileLocks):
    """Windows: ``msvcrt.locking`` on the byte at :data:`BYTE`, past the owner's text
    (a locked range cannot be read by others there). Windows has no shared lock, so a
    looker takes the byte itself for an instant."""

    BYTE = 1 << 20

    def __init__(self, msvcrt: ModuleType) -> None:
        self.msvcrt = msvcrt

    def _at_byte(self, fd: int, mode: int) -> bool:
        os.lseek(fd, self.BYTE, os.SEEK_SET)
        try:
            self.msvcrt.locking(fd, mode, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True

    def exclusive(self, fd: int) -> bool:
        """Take the byte without waiting; False while anyone holds it."""
        return self._at_byte(fd, self.msvcrt.LK_NBLCK)

    lookers_share = False

    def writer_holds(self, fd: int) -> bool | None:
        """Whether someone holds the byte: a writer (or another looker, for an instant:
        a writer that finds it held keeps trying for :data:`PROBE_WAIT`)."""
        if not self.exclusive(fd):
            return True
        self._at_byte(fd, self.msvcrt.LK_UNLCK)
        return False


_LOCKS: FileLocks | None = None


def file_locks() -> FileLocks:
    """This system's locks (``flock``, else ``msvcrt``)."""
    global _LOCKS  # noqa: PLW0603 - chosen once per process
    if _LOCKS is None:
        try:
            import fcntl  # noqa: F401, PLC0415 - POSIX only
        except ImportError:
            import msvcrt  # noqa: PLC0415 - Windows only

            _LOCKS = ByteLocks(msvcrt)
        else:
            _LOCKS = FileLocks()
    return _LOCKS


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
        """Take the lock.

        Raises:
            DatabaseBusy: another writer holds it.
            DatabaseUnusable: the lock file cannot be created (a read-only directory).
        """
        locks = file_locks()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _OPEN_FLAGS, 0o644)
        except OSError as exc:
            raise unusable(self.db_path, exc) from None
        if not locks.exclusive(fd) and not _after_lookers(fd, locks):
            pid, role = _read_owner(fd)
            os.close(fd)
            raise DatabaseBusy(self._refusal(pid, role)) from None
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
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


def _after_lookers(fd: int, locks: FileLocks) -> bool:
    """Take the exclusive lock once the lookers in its way are gone: those of
    :func:`lock_holder`, held for an instant. False at once when a writer holds it (or
    when it was held for :data:`PROBE_WAIT`)."""
    deadline = time.monotonic() + PROBE_WAIT
    while time.monotonic() < deadline:
        if locks.writer_holds(fd) and locks.lookers_share:
            return False
        time.sleep(0.01)
        if locks.exclusive(fd):
            return True
    return False


def lock_holder(db_path: Path) -> tuple[bool | None, int | None, str | None]:
    """(held?, pid, role) of a database's writer lock (None: cannot tell)."""
    try:
        fd = os.open(lock_path(db_path), os.O_RDONLY | _OPEN_FLAGS)
    except FileNotFoundError:
        return False, None, None
    except OSError:
        return None, None, None
    try:
        held = file_locks().writer_holds(fd)
        return (True, *_read_owner(fd)) if held else (held, None, None)
    finally:
        os.close(fd)


def _read_owner(fd: int) -> tuple[int | None, str]:
    """(pid, role) written in the lock file; an older version wrote only the pid."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").split()
    except OSError:
        return None, "follow"
    pid = int(text[0]) if text and text[0].isdigit() else None
    return pid, text[1] if len(text) > 1 else "follow"
