"""The writer's lock where there is no ``flock`` (Windows): ``msvcrt.locking`` on one byte.

A Windows Kerio server runs ``kerio-watch scan`` from the Task Scheduler; a scan that runs
longer than the schedule's interval met the next one with no lock at all, and two writers
mix up their incidents. These tests run the Windows code on this machine with a stand-in
``msvcrt`` whose ``locking`` is ``flock``: like Windows',
non-blocking, held across processes and dropped when the holder dies (``FAKE_MSVCRT``).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from kerio_watch.store import lock
from kerio_watch.store.lock import ByteLocks, DatabaseBusy, FileLocks, WriterLock, lock_holder

FAKE_MSVCRT = """
import errno, fcntl
LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2

def locking(fd, mode, nbytes):
    how = fcntl.LOCK_UN if mode == LK_UNLCK else fcntl.LOCK_EX | fcntl.LOCK_NB
    try:
        fcntl.flock(fd, how)
    except OSError:
        raise PermissionError(errno.EACCES, "Permission denied") from None
"""
"""A stand-in for Windows' ``msvcrt``: like ``locking`` there, a lock held per open
file (``flock``), taken without waiting on a file opened read-only too, and dropped when
its process dies. (Named ``fake_msvcrt``: standard modules take ``msvcrt`` for Windows.)"""

SETUP = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("fake_msvcrt", {fake!r} + "/msvcrt.py")
msvcrt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(msvcrt)
from kerio_watch.store import lock
lock._LOCKS = lock.ByteLocks(msvcrt)
"""


@pytest.fixture
def fake_dir(tmp_path: Path) -> Path:
    where = tmp_path / "fake"
    where.mkdir()
    (where / "msvcrt.py").write_text(FAKE_MSVCRT)
    return where


@pytest.fixture
def byte_locks(fake_dir: Path, monkeypatch: pytest.MonkeyPatch) -> ByteLocks:
    spec = importlib.util.spec_from_file_location("fake_msvcrt", fake_dir / "msvcrt.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    locks = ByteLocks(module)
    monkeypatch.setattr(lock, "_LOCKS", locks)
    monkeypatch.setattr(lock, "PROBE_WAIT", 0.3)
    return locks


@pytest.fixture
def holder(fake_dir: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of ``tmp_path/state.db`` as a ``follow``."""
    script = SETUP.format(fake=str(fake_dir)) + textwrap.dedent(
        f"""
        held = lock.WriterLock(Path({str(tmp_path / "state.db")!r}), "follow")
        held.acquire()
        print("held", flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    yield proc
    proc.kill()
    proc.wait(10)


def test_a_second_writer_is_refused_and_told_who_writes(
    byte_locks: ByteLocks, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    db = tmp_path / "state.db"
    with pytest.raises(DatabaseBusy, match=rf"kerio-watch follow \(pid {holder.pid}\) is writing"):
        WriterLock(db, "scan").acquire()
    # The owner's text is readable while the byte past it is locked.
    assert lock_holder(db) == (True, holder.pid, "follow")


def test_a_killed_writer_leaves_no_lock_behind(
    byte_locks: ByteLocks, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    db = tmp_path / "state.db"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(10)
    assert lock_holder(db) == (False, None, None)
    with WriterLock(db, "scan") as taken:
        assert taken.fd is not None
        assert lock.lock_path(db).read_text() == f"{os.getpid()} scan\n"


def test_scan_from_the_command_line_is_refused_with_exit_status_6(
    fake_dir: Path, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "mail.log").write_text("")
    script = SETUP.format(fake=str(fake_dir)) + textwrap.dedent(
        """
        from kerio_watch.cli import main
        main()
        """
    )
    db = str(tmp_path / "state.db")
    result = subprocess.run(
        [sys.executable, "-c", script, "scan", "--db", db, "--no-progress", str(logs)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 6, result.stderr
    assert f"kerio-watch follow (pid {holder.pid}) is writing to" in result.stderr
    assert "Traceback" not in result.stderr


class Flaky(FileLocks):
    """Locks held by a looker for the first ``busy`` tries."""

    def __init__(self, busy: int, *, lookers_share: bool) -> None:
        self.busy = busy
        self.lookers_share = lookers_share

    def exclusive(self, fd: int) -> bool:
        self.busy -= 1
        return self.busy < 0

    def writer_holds(self, fd: int) -> bool | None:
        return self.busy >= 0


def test_a_looker_for_an_instant_does_not_refuse_a_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no shared lock: ``status`` looks by taking the byte for an instant, so
    a writer that finds it held tries again before it refuses; with ``flock`` a looker's
    shared lock says at once that no writer holds it."""
    monkeypatch.setattr(lock, "_LOCKS", Flaky(3, lookers_share=False))
    with WriterLock(tmp_path / "state.db", "scan") as taken:
        assert taken.fd is not None
    monkeypatch.setattr(lock, "_LOCKS", Flaky(3, lookers_share=True))
    with pytest.raises(DatabaseBusy):
        WriterLock(tmp_path / "other.db", "scan").acquire()
