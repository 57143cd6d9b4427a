"""The follower across every kind of rotation, driven step by step (no sleeps).

Each test writes real files in ``tmp_path``, calls :meth:`Follower.poll` and consumes
the batch, as the service does. "Checkpoint and restart" means: take
``follower.checkpoints()`` (what the service saves with the batch's state) and build a
new follower from it; lines consumed after the last checkpoint count as lost with the
crash and must be read again.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
import os
import random
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from kerio_watch.errors import SourceError
from kerio_watch.sources import discovery, files
from kerio_watch.sources.echo import ECHO_WAIT
from kerio_watch.sources.files import LINE_BYTES, LogFile, Record
from kerio_watch.sources.follow import Follower, FollowOptions, State
from kerio_watch.values.checkpoint import FileCheckpoint


class FakeClock:
    """Monotonic time that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def mail(n: int, text: str = "") -> str:
    """A mail.log line numbered ``n`` (its time grows with ``n``)."""
    minutes, seconds = divmod(n, 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"[10/Mar/2026 {10 + hours:02d}:{minutes:02d}:{seconds:02d}] Sent: Queue-ID: "
        f"69b00000-{n:08x}, Recipient: <u{n}@example.com>, Result: delivered, "
        f"Status: 2.0.0 {text}"
    )


def sec(n: int) -> str:
    """A security.log line at the same time as :func:`mail` ``n``."""
    minutes, seconds = divmod(n, 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"[10/Mar/2026 {10 + hours:02d}:{minutes:02d}:{seconds:02d}] Failed SMTP login from "
        f"203.0.113.{n % 250}, missing username"
    )


def append(path: Path, lines: list[str] | str, end: str = "\n") -> None:
    """Append lines (each ending with ``end``) as a writer would."""
    items = [lines] if isinstance(lines, str) else lines
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(x + end for x in items))


def deny_unreadable(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Let the follower's sniffing meet ``permission denied`` as the service user would:
    for files without read bits (root reads them anyway) and for the paths in the set
    returned (rights that do not show in the mode)."""
    denied: set[str] = set()

    def discover(paths: list[str]) -> list[LogFile]:
        for text in paths:
            if text in denied or not Path(text).stat().st_mode & 0o444:
                raise SourceError(f"{text}: permission denied (run as another user)")
        return files.discover(paths)

    monkeypatch.setattr(discovery, "discover", discover)
    return denied


class Harness:
    """A follower plus what it read, with checkpoints and simulated crashes."""

    def __init__(self, paths: list[Path], **options: object) -> None:
        self.paths = [str(p) for p in paths]
        self.clock = FakeClock()
        options.setdefault("order_wait", 0.0)  # what is read, not how logs wait for each other
        self.options = FollowOptions(**options)  # type: ignore[arg-type]
        self.saved: list[FileCheckpoint] = []
        self.first = True
        self.committed: list[str] = []
        self.pending: list[str] = []
        self.follower = self._new()

    def _new(self) -> Follower:
        follower = Follower(
            self.paths, self.saved, first_start=self.first, options=self.options, clock=self.clock
        )
        self.first = False
        return follower

    def read(self) -> list[str]:
        """One poll; the raw lines it yields (also kept as pending)."""
        got = [r.raw for r in self.follower.poll()]
        self.pending.extend(got)
        return got

    def checkpoint(self) -> None:
        """What the service does after a batch: commit state and positions together."""
        self.committed.extend(self.pending)
        self.pending = []
        self.saved = self.follower.checkpoints()

    def crash(self) -> None:
        """kill -9: what was not checkpointed is lost; restart from the checkpoints."""
        self.follower.close()
        self.pending = []
        self.follower = self._new()

    def restart(self) -> None:
        """A clean stop (final checkpoint) and a start."""
        self.checkpoint()
        self.crash()

    def settle(self) -> None:
        """Let vanished files go quiet and read everything left."""
        for _ in range(3):
            self.read()
            self.clock.now += 10
        self.read()
        self.checkpoint()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


class TestBasics:
    """Backfill, appends, partial lines."""

    def test_backfill_reads_existing_lines_once(self, logs: Path) -> None:
        """With backfill, the first poll reads what is there; the next reads only new lines."""
        append(logs / "mail.log", [mail(1), mail(2)])
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2)]
        assert h.read() == []
        append(logs / "mail.log", mail(3))
        assert h.read() == [mail(3)]

    def test_no_backfill_starts_at_the_end(self, logs: Path) -> None:
        """Without backfill, existing lines are skipped; lines written later are read."""
        append(logs / "mail.log", [mail(1), mail(2)])
        append(logs / "mail.log", "[10/Mar/2026 10:00:0", end="")  # partial
        h = Harness([logs], backfill=False)
        assert h.read() == []
        append(logs / "mail.log", ["3] Sent: rest of it", mail(4)])
        assert h.read() == ["[10/Mar/2026 10:00:03] Sent: rest of it", mail(4)]

    def test_partial_last_line_waits_for_its_newline(self, logs: Path) -> None:
        """An unterminated line is not read until its newline arrives."""
        path = logs / "mail.log"
        append(path, mail(1))
        append(path, mail(2)[:30], end="")
        h = Harness([logs])
        assert h.read() == [mail(1)]
        append(path, mail(2)[30:60], end="")
        assert h.read() == []
        append(path, mail(2)[60:])
        assert h.read() == [mail(2)]

    def test_new_logs_in_the_directory_are_picked_up(self, logs: Path) -> None:
        """Dated and numbered names that appear later are read from their start."""
        append(logs / "mail_2026-03-10.log", mail(1))
        h = Harness([logs])
        assert h.read() == [mail(1)]
        append(logs / "mail_2026-03-11.log", mail(2))
        append(logs / "security.log.3", sec(3))
        assert sorted(h.read()) == sorted([mail(2), sec(3)])

    def test_files_that_are_not_logs_are_ignored(self, logs: Path) -> None:
        """A README or a config next to the logs is not read."""
        (logs / "notes.txt").write_text("just some notes\nnothing to see\n")
        append(logs / "mail.log", mail(1))
        h = Harness([logs])
        assert h.read() == [mail(1)]
        statuses = {s.path for s in h.follower.status()}
        assert str(logs / "notes.txt") not in statuses

    @pytest.mark.parametrize("first", ["", mail(0)[:40]], ids=["empty", "partial_line"])
    def test_a_file_seen_before_its_first_line_is_read_when_it_comes(
        self, logs: Path, first: str
    ) -> None:
        """A file named as no log (a syslog relay's ``kerio``) seen empty, or before its
        first line's newline, then grown past the sniffing limit in one write, is sniffed
        again and read. It was ignored for good: the relay's security lines of a whole
        day were lost (``test_follow_reads_what_only_the_relay_has``, 3 CI runs of 6)."""
        path = logs / "kerio"
        path.write_text(first)
        h = Harness([logs])
        assert h.read() == []
        lines = [mail(n, "x" * 200) for n in range(1, 400)]
        assert len("".join(lines)) > 64 * 1024
        path.write_text(f"{mail(0)}\n" + "".join(x + "\n" for x in lines))
        assert h.read() == [mail(0), *lines]

    def test_logs_are_merged_by_time_and_rotated_files_read_first(self, logs: Path) -> None:
        """Backfill reads like scan: older files of a log first, logs merged by time."""
        append(logs / "mail.log.1", [mail(1), mail(3)])
        append(logs / "mail.log", [mail(5), mail(7)])
        append(logs / "security.log", [sec(2), sec(6)])
        h = Harness([logs])
        assert h.read() == [mail(1), sec(2), mail(3), mail(5), sec(6), mail(7)]

    def test_a_file_made_readable_later_is_read(
        self, logs: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A log the service may not read yet (a new file Kerio created after a rotation
        without the ACL's rights) is read once its rights are fixed (docs/service.md: the
        setfacl line from cron), without a restart, even when it is long already."""
        deny_unreadable(monkeypatch)
        append(logs / "mail.log", mail(1))
        append(logs / "security.log", [sec(n) for n in range(2, 1500)])
        (logs / "security.log").chmod(0o000)
        h = Harness([logs])
        assert h.read() == [mail(1)]
        assert [f.path for f in h.follower.unreadable()] == [str(logs / "security.log")]
        h.clock.now += 1
        assert h.read() == []
        (logs / "security.log").chmod(0o640)  # setfacl changes the ctime, as chmod does
        h.clock.now += 1
        assert h.read() == [sec(n) for n in range(2, 1500)]
        assert h.follower.unreadable() == []

    def test_an_unreadable_file_is_tried_again_now_and_then(
        self, logs: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Rights can come without a change to the file (a group, a directory's ACL):
        an unreadable file is tried again every minute."""
        denied = deny_unreadable(monkeypatch)
        append(logs / "security.log", sec(2))
        denied.add(str(logs / "security.log"))
        h = Harness([logs])
        assert h.read() == []
        denied.clear()
        h.clock.now += 30
        assert h.read() == []
        h.clock.now += 31
        assert h.read() == [sec(2)]

    def test_missing_path_is_a_clear_error(self, tmp_path: Path) -> None:
        """A path that does not exist is reported, not followed silently."""
        with pytest.raises(SourceError, match="no such file"):
            Follower([str(tmp_path / "nope")])


class TestRotation:
    """Every way a log is rotated: nothing lost, nothing read twice."""

    def test_rename_and_create_drains_the_old_file(self, logs: Path) -> None:
        """Lines written to the old file after the rename are read, then the new file."""
        path = logs / "mail.log"
        append(path, mail(1))
        h = Harness([logs])
        assert h.read() == [mail(1)]
        with path.open("a", encoding="utf-8") as writer:  # Kerio keeps its handle
            writer.write(mail(2) + "\n")
            writer.flush()
            path.rename(logs / "mail.log.0")
            writer.write(mail(3) + "\n")  # straggler after the rename
        append(path, mail(4))
        assert h.read() == [mail(2), mail(3), mail(4)]
        assert h.read() == []

    def test_rename_out_of_a_followed_file_drains_through_the_descriptor(self, logs: Path) -> None:
        """Following one file: the renamed file is read to its end, then closed."""
        path = logs / "mail.log"
        append(path, mail(1))
        h = Harness([path], linger=5.0)
        assert h.read() == [mail(1)]
        with path.open("a", encoding="utf-8") as writer:
            path.rename(logs / "old.log")
            writer.write(mail(2) + "\n")
            writer.flush()
            append(path, mail(3))
            assert h.read() == [mail(2), mail(3)]
            writer.write(mail(4) + "\n")
            writer.write("[10/Mar/2026 11:00:00] Sent: unterminated")
        assert h.read() == [mail(4)]
        h.clock.now += 6  # quiet for linger: its unterminated last line is read, then closed
        assert h.read() == ["[10/Mar/2026 11:00:00] Sent: unterminated"]
        h.read()
        assert [s.path for s in h.follower.status()] == [str(path)]

    def test_copytruncate_smaller(self, logs: Path) -> None:
        """Lines written between the last poll and the truncation are read from the copy."""
        path = logs / "mail.log"
        append(path, [mail(i) for i in range(1, 6)])
        h = Harness([logs])
        assert len(h.read()) == 5
        append(path, [mail(6), mail(7)])
        shutil.copyfile(path, logs / "mail.log.1")
        with path.open("r+b") as handle:
            handle.truncate(0)
        append(path, mail(8))
        assert h.read() == [mail(6), mail(7), mail(8)]
        assert h.read() == []

    def test_copytruncate_larger(self, logs: Path) -> None:
        """Truncated then refilled past the old position: the changed first line tells."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2)]
        append(path, mail(3))
        shutil.copyfile(path, logs / "mail.log.1")
        with path.open("r+b") as handle:
            handle.truncate(0)
        later = [mail(i, "x" * 50) for i in range(10, 20)]
        append(path, later)
        assert (logs / "mail.log").stat().st_size > (logs / "mail.log.1").stat().st_size
        assert h.read() == [mail(3), *later]

    def test_copy_seen_before_the_truncation_is_not_read_twice(self, logs: Path) -> None:
        """A copy seen while the original lives is held back, then continues it."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        h.read()
        append(path, mail(3))
        shutil.copyfile(path, logs / "mail.log.1")
        assert h.read() == [mail(3)]  # from the original; the copy waits
        append(path, mail(4))
        shutil.copyfile(path, logs / "mail.log.1")
        with path.open("r+b") as handle:
            handle.truncate(0)
        append(path, mail(5))
        assert h.read() == [mail(4), mail(5)]

    def test_truncation_in_place(self, logs: Path) -> None:
        """A log emptied in place is read again from its start."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        h.read()
        with path.open("r+b") as handle:
            handle.truncate(0)
        assert h.read() == []
        append(path, mail(3))
        assert h.read() == [mail(3)]

    def test_delete_and_recreate(self, logs: Path) -> None:
        """Unread lines of a deleted file are drained; the new file is read from its start."""
        path = logs / "mail.log"
        append(path, mail(1))
        h = Harness([logs])
        h.read()
        append(path, mail(2))
        path.unlink()
        append(path, mail(3))
        assert h.read() == [mail(2), mail(3)]

    def test_compressed_rotated_file_is_not_read_again(self, logs: Path) -> None:
        """mail.log -> mail.log.1 -> mail.log.1.gz: nothing is read twice, even after a restart."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        h.read()
        path.rename(logs / "mail.log.1")
        append(path, mail(3))
        assert h.read() == [mail(3)]
        gzip_file(logs / "mail.log.1")
        assert h.read() == []
        h.clock.now += 10
        assert h.read() == []
        h.restart()
        assert h.read() == []
        append(path, mail(4))
        assert h.read() == [mail(4)]

    def test_lines_compressed_while_stopped_are_read_from_the_archive(self, logs: Path) -> None:
        """Rotated and gzipped while kerio-watch was down: only the unread tail is read."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        h.read()
        h.restart()
        h.follower.close()
        append(path, [mail(3), mail(4)])
        path.rename(logs / "mail.log.1")
        gzip_file(logs / "mail.log.1")
        append(path, mail(5))
        h.follower = h._new()
        assert h.read() == [mail(3), mail(4), mail(5)]
        h.restart()
        assert h.read() == []

    def test_old_archives_are_read_by_the_first_backfill_only(self, logs: Path) -> None:
        """A .gz present at the first start is backfilled; an old one copied in later is not."""
        append(logs / "mail.log.2", [mail(1)])
        gzip_file(logs / "mail.log.2")
        append(logs / "mail.log", [mail(2)])
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2)]
        old = mail(0).replace("10/Mar/2026", "01/Mar/2026")
        append(logs / "mail.log.9", [old])
        gzip_file(logs / "mail.log.9")
        append(logs / "mail-copy.log", [old])
        assert h.read() == []
        h.restart()
        assert h.read() == []

    def test_a_file_filled_and_compressed_between_polls_is_read(self, logs: Path) -> None:
        """Rotated, copied and compressed before kerio-watch saw it: read from the archive."""
        path = logs / "mail.log"
        append(path, mail(1))
        h = Harness([logs])
        h.read()
        path.rename(logs / "mail.log.1")
        append(path, [mail(2), mail(3)])
        shutil.copyfile(path, logs / "mail.log.2")
        with path.open("r+b") as handle:
            handle.truncate(0)
        gzip_file(logs / "mail.log.2")
        append(path, mail(4))
        assert h.read() == [mail(2), mail(3), mail(4)]

    @pytest.mark.parametrize("how", ["over-the-log", "deleted-then-restored", "while-stopped"])
    def test_an_older_copy_restored_is_read_from_its_end(self, logs: Path, how: str) -> None:
        """A backup of the log restored (in place, as a new file, or while stopped): its
        lines were read; what the writer appends to it is read once (was: the restored
        lines again, or a new inode continued at the old position: the appended lines
        before it lost and the read started in the middle of a line)."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        backup = logs.parent / "backup.log"
        shutil.copyfile(path, backup)
        append(path, [mail(i) for i in range(3, 9)])
        h = Harness([logs])
        assert len(h.read()) == 8
        if how == "over-the-log":
            shutil.copyfile(backup, path)
            h.read()
        elif how == "deleted-then-restored":
            path.unlink()
            shutil.copy(backup, path)
            h.read()  # the restored file waits while the deleted one is drained
        else:
            h.restart()
            h.follower.close()
            path.unlink()
            shutil.copy(backup, path)
            h.follower = h._new()
        append(path, [mail(i, "after the restore") for i in range(20, 25)])
        h.settle()
        assert h.committed == [mail(i) for i in range(1, 9)] + [
            mail(i, "after the restore") for i in range(20, 25)
        ]

    def test_a_folder_gone_and_back(self, logs: Path, caplog: pytest.LogCaptureFixture) -> None:
        """A followed folder unmounted (or moved) then back, with lines written meanwhile:
        told once, and read on once it is back (copied back: new inodes)."""
        caplog.set_level(logging.INFO, logger="kerio_watch")
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2)]
        away = logs.parent / "away"
        logs.rename(away)
        append(away / "mail.log", mail(3))
        for _ in range(3):
            h.clock.now += 10
            h.read()
        shutil.copytree(away, logs)
        h.settle()
        assert h.committed == [mail(1), mail(2), mail(3)]
        events = [r.getMessage() for r in caplog.records]
        assert events.count("path_gone") == 1 and events.count("path_back") == 1

    def test_a_folder_that_cannot_be_listed_for_a_while(
        self, logs: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A followed folder whose rights are lost (permission denied when it is listed)
        and come back, with lines written meanwhile: told once, read on once it can be
        listed, each line once. ``cannot_list`` was logged at every look, twice a
        second, for as long as the rights were missing."""
        caplog.set_level(logging.INFO, logger="kerio_watch")
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2)]
        denied = True
        scandir = os.scandir

        def guarded(text: str) -> object:
            if denied and Path(text) == logs:
                raise PermissionError(13, "Permission denied", text)
            return scandir(text)

        monkeypatch.setattr(os, "scandir", guarded)
        append(path, mail(3))
        for _ in range(20):
            h.clock.now += 0.5
            h.read()
        denied = False
        append(path, mail(4))
        h.settle()
        assert h.committed == [mail(1), mail(2), mail(3), mail(4)]
        events = [r.getMessage() for r in caplog.records]
        assert events.count("cannot_list") == 1 and events.count("listed_again") == 1


class TestRestart:
    """Checkpoints: resume exactly where the committed state ends."""

    def test_restart_resumes_from_the_checkpoint(self, logs: Path) -> None:
        """Lines checkpointed are not read again; lines after it are."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2)])
        h = Harness([logs])
        h.read()
        h.checkpoint()
        append(path, mail(3))
        assert h.read() == [mail(3)]
        h.crash()  # mail(3) was read but not checkpointed
        append(path, mail(4))
        assert h.read() == [mail(3), mail(4)]
        h.checkpoint()
        assert h.committed == [mail(i) for i in range(1, 5)]

    def test_restart_after_rename_rotation(self, logs: Path) -> None:
        """Rotated while stopped: the old inode resumes under its new name, the new file from 0."""
        path = logs / "mail.log"
        append(path, [mail(1)])
        h = Harness([logs])
        h.read()
        h.checkpoint()
        h.follower.close()
        append(path, mail(2))
        path.rename(logs / "mail.log.1")
        append(path, mail(3))
        h.follower = h._new()
        assert h.read() == [mail(2), mail(3)]

    def test_restart_after_copytruncate(self, logs: Path) -> None:
        """Copied and truncated while stopped: the copy continues, the original restarts."""
        path = logs / "mail.log"
        append(path, [mail(1)])
        h = Harness([logs])
        h.read()
        h.checkpoint()
        h.follower.close()
        append(path, mail(2))
        shutil.copyfile(path, logs / "mail.log.1")
        with path.open("r+b") as handle:
            handle.truncate(0)
        append(path, mail(3))
        h.follower = h._new()
        assert h.read() == [mail(2), mail(3)]

    def test_rename_then_copytruncate_while_stopped(self, logs: Path) -> None:
        """Two rotations while stopped: the log is renamed, and the next one is copied and
        truncated more than OLD_COPY_MARGIN of log time later. The copy holds lines never
        read and is read in full, though its first line is older than the new log's (what
        a soak run with kills during rotations lost)."""
        path = logs / "mail.log"
        append(path, [mail(1)])
        h = Harness([logs])
        h.read()
        h.checkpoint()
        h.follower.close()
        append(path, mail(2))
        path.rename(logs / "mail.log.1")
        append(path, [mail(3), mail(3600 * 4)])
        shutil.copyfile(path, logs / "mail.log.2")
        with path.open("r+b") as handle:
            handle.truncate(0)
        append(path, mail(3600 * 8))
        h.follower = h._new()
        h.settle()
        assert sorted(h.committed, key=_num) == [
            mail(1), mail(2), mail(3), mail(3600 * 4), mail(3600 * 8)
        ]  # fmt: skip

    def test_compressed_rotation_while_stopped_is_read_whatever_its_name(self, logs: Path) -> None:
        """Issue 9, defect 1, step by step: 100 lines in mail.log are read; while stopped,
        mail.log becomes mail.log.2, 100 later lines go to mail.log.1 (then gzipped), 100
        still later lines to a new mail.log. Files are placed by their first line's time,
        not by name or compression: the archive is not judged against the newer live
        file found in the same look, and all 200 new lines are read (main read 100)."""
        path = logs / "mail.log"
        first = [mail(160 * i) for i in range(100)]  # 4.4 hours of log time per file
        archived = [mail(160 * i) for i in range(100, 200)]
        live = [mail(160 * i) for i in range(200, 300)]
        append(path, first)
        h = Harness([logs])
        assert h.read() == first
        h.restart()
        h.follower.close()
        path.rename(logs / "mail.log.2")
        append(logs / "mail.log.1", archived)
        gzip_file(logs / "mail.log.1")
        append(path, live)
        h.follower = h._new()
        h.settle()
        assert h.committed == first + archived + live

    @pytest.mark.parametrize("names", [("mail.log.1.gz", "mail.log"), ("z.gz", "a-mail.log")])
    def test_files_found_together_are_placed_by_content(
        self, logs: Path, names: tuple[str, str]
    ) -> None:
        """An archive and a newer plain file that appear in one poll are both read, in
        time order, whatever their names sort as."""
        append(logs / "mail.log", mail(0))
        h = Harness([logs])
        h.read()
        older, newer = names
        (logs / "mail.log").rename(logs / "mail.log.2")
        append(logs / "tmp", [mail(4 * 3600 + i) for i in range(3)])
        gzip_file(logs / "tmp").rename(logs / older)
        append(logs / newer, [mail(9 * 3600 + i) for i in range(3)])
        h.settle()
        assert h.committed == [mail(0)] + [mail(4 * 3600 + i) for i in range(3)] + [
            mail(9 * 3600 + i) for i in range(3)
        ]

    @pytest.mark.parametrize("what", ["live-deleted", "old-deleted", "live-compressed"])
    def test_a_file_gone_while_stopped_is_told_when_lines_were_lost(
        self, logs: Path, caplog: pytest.LogCaptureFixture, what: str
    ) -> None:
        """While stopped, the log was rotated away and deleted with lines never read: a
        warning naming it (was: nothing). An old rotated file deleted, or the log
        compressed (its archive is read), is no loss and not warned about."""
        path = logs / "mail.log"
        append(logs / "mail.log.1", [mail(1), mail(2)])
        append(path, [mail(3), mail(4)])
        h = Harness([logs])
        h.read()
        h.restart()
        h.follower.close()
        append(path, mail(5))  # written after the stop
        if what == "old-deleted":
            (logs / "mail.log.1").unlink()
            append(path, mail(6))
        else:
            path.rename(logs / "mail.log.0")
            if what == "live-compressed":
                gzip_file(logs / "mail.log.0")
            else:
                (logs / "mail.log.0").unlink()
            append(path, mail(3600))
        h.follower = h._new()
        h.settle()
        lost = [r for r in caplog.records if r.getMessage() == "file_lost"]
        if what == "live-deleted":
            assert len(lost) == 1 and lost[0].kv["path"] == str(path)  # type: ignore[attr-defined]
            assert h.committed[-1] == mail(3600)
        else:
            assert not lost and mail(5) in h.committed

    def test_rewritten_file_starts_over(self, logs: Path) -> None:
        """Same inode, different first line (rewritten while stopped): read from the start."""
        path = logs / "mail.log"
        append(path, [mail(1), mail(2), mail(3)])
        h = Harness([logs])
        h.read()
        h.checkpoint()
        h.follower.close()
        with path.open("r+b") as handle:
            handle.seek(0)
            handle.write((mail(50, "rewritten-and-longer") + "\n").encode() * 4)
        h.follower = h._new()
        assert h.read() == [mail(50, "rewritten-and-longer")] * 4

    def test_new_file_while_stopped_is_read_in_full(self, logs: Path) -> None:
        """A log that appeared while kerio-watch was stopped is read from its start."""
        append(logs / "mail.log", mail(1))
        h = Harness([logs], backfill=False)
        h.read()
        h.checkpoint()
        h.follower.close()
        append(logs / "security.log", [sec(2), sec(3)])
        h.follower = h._new()
        assert h.read() == [sec(2), sec(3)]


DEC = [dt.datetime(2026, 12, 31, 23, 58 + n) for n in range(2)]
JAN = [dt.datetime(2027, 1, 1, 0, n) for n in range(3)]


def syslog_mail(when: dt.datetime) -> str:
    """A mail.log line forwarded to syslog, as an RFC 3164 record (no year)."""
    return (
        f"<22>{when:%b} {when.day:2d} {when:%H:%M:%S} mx01 mail: Sent: Queue-ID: "
        f"69b00000-{when.minute:08x}, Recipient: <u@example.com>, Result: delivered"
    )


def _written(path: Path, when: dt.datetime) -> None:
    """Set the file's last change (UTC), as its writer did then."""
    stamp = when.replace(tzinfo=dt.UTC).timestamp()
    os.utime(path, (stamp, stamp))


class TestCopyWithOtherLineEnds:
    """A copy saved with CRLF line ends and a byte order mark (``mail.log.win``): its
    first line's bytes differ from its log's, the line framed as the readers frame it
    does not. Before, it was taken for a new file and every line read again."""

    @staticmethod
    def windows_copy(path: Path, lines: list[str] | None = None) -> Path:
        """``path`` (or these lines) saved beside it with CRLF line ends and a BOM."""
        copy = path.with_name(path.name + ".win")
        if lines is None:
            lines = path.read_text(encoding="utf-8").splitlines()
        copy.write_bytes(b"\xef\xbb\xbf" + "".join(x + "\r\n" for x in lines).encode())
        return copy

    def test_a_copy_adds_nothing(self, logs: Path) -> None:
        append(logs / "mail.log", [mail(1), mail(2), mail(3)])
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2), mail(3)]
        copy = self.windows_copy(logs / "mail.log")
        assert h.read() == []
        append(logs / "mail.log", mail(4))
        assert h.read() == [mail(4)]
        h.restart()
        assert h.read() == []
        saved = {cp.path: cp for cp in h.saved}
        head = copy.read_bytes().split(b"\n")[0] + b"\n"  # its identity: its own bytes
        assert saved[str(copy)].first_hash == hashlib.sha256(head).hexdigest()
        assert saved[str(copy)].offset == copy.stat().st_size

    def test_a_copy_that_diverges_is_read_from_there(self, logs: Path) -> None:
        """A line the log does not hold is read: at once when the log's lines are past
        its time, after the echo's wait when the log may still be written with it."""
        append(logs / "mail.log", [mail(1), mail(2), mail(3), mail(5)])
        h = Harness([logs])
        assert len(h.read()) == 4
        other, last = mail(4, "only in the copy"), mail(6, "only in the copy")
        self.windows_copy(logs / "mail.log", [mail(1), mail(2), other, mail(5), last])
        assert h.read() == [other]
        h.clock.now += ECHO_WAIT
        assert h.read() == [last]

    def test_a_copy_there_at_the_first_start_is_read_once(self, logs: Path) -> None:
        append(logs / "mail.log", [mail(1), mail(2)])
        self.windows_copy(logs / "mail.log")
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2)]

    def test_a_new_log_with_other_first_line_is_read(self, logs: Path) -> None:
        """Only a first line equal to a followed file's makes a copy."""
        append(logs / "mail.log", [mail(1)])
        h = Harness([logs])
        assert h.read() == [mail(1)]
        (logs / "other.log").write_bytes(f"{mail(2)}\r\n".encode())
        assert h.read() == [mail(2)]


class TestSyslogYear:
    """RFC 3164 stamps carry no year: the year of the file's last change is taken."""

    @staticmethod
    def _times(records: Iterable[Record]) -> list[dt.datetime]:
        return [dt.datetime.fromtimestamp(r.ts, dt.UTC).replace(tzinfo=None) for r in records]

    def test_new_year_while_followed(self, logs: Path) -> None:
        """January's lines written after New Year are this year's (were: last year's,
        for as long as the follower ran: a year back, volume alerts on quiet accounts)."""
        path = logs / "mail.log"
        append(path, [syslog_mail(w) for w in DEC])
        _written(path, DEC[-1])
        h = Harness([logs])
        got = self._times(h.follower.poll())
        append(path, [syslog_mail(w) for w in JAN])
        _written(path, JAN[-1])
        got += self._times(h.follower.poll())
        assert got == DEC + JAN

    def test_december_lines_of_a_file_written_in_january(self, logs: Path) -> None:
        """Read after New Year, December's lines are last year's (were: next December)."""
        path = logs / "mail.log"
        append(path, [syslog_mail(w) for w in DEC + JAN])
        _written(path, JAN[-1])
        assert self._times(Harness([logs]).follower.poll()) == DEC + JAN


class TestBadInput:
    """Garbage never stops the follower."""

    def test_garbage_huge_lines_and_invalid_utf8(self, logs: Path) -> None:
        """Binary junk, an 3 MB line and invalid UTF-8 are counted; good lines still read."""
        path = logs / "mail.log"
        append(path, mail(1))
        h = Harness([logs])
        h.read()
        with path.open("ab") as handle:
            handle.write(b"\x00\xff\xfe garbage \x01\x02\n")
            handle.write(b"[10/Mar/2026 10:00:02] Sent: " + b"A" * (3 << 20) + b"\n")
            handle.write(b"[10/Mar/2026 10:00:03] Sent: caf\xe9 latin-1\n")
            handle.write((mail(4) + "\n").encode())
        got = h.read()
        assert got[0].startswith("[10/Mar/2026 10:00:02] Sent: AAAA")
        assert len(got[0]) <= 65536
        assert got[1] == "[10/Mar/2026 10:00:03] Sent: caf\ufffd latin-1"
        assert got[2] == mail(4)
        assert h.follower.no_timestamp == 1
        source = next(f.source for f in h.follower.files.values())
        assert source.decode_errors >= 1

    def test_huge_line_arriving_in_pieces_is_cut_without_buffering(self, logs: Path) -> None:
        """A line still growing past the limit is cut when its newline comes."""
        path = logs / "mail.log"
        append(path, mail(1))
        h = Harness([logs])
        h.read()
        with path.open("ab") as handle:
            handle.write(b"[10/Mar/2026 10:00:02] Sent: " + b"B" * (2 << 20))
        assert h.read() == []
        with path.open("ab") as handle:
            handle.write(b"C" * (2 << 20))
        assert h.read() == []
        append(path, ["tail", mail(3)])
        got = h.read()
        assert len(got) == 2
        assert got[0].startswith("[10/Mar/2026 10:00:02] Sent: BBB")
        assert got[1] == mail(3)
        h.checkpoint()
        h.crash()
        assert h.read() == []


class TestExactlyOnce:
    """Random interleavings of writes, rotations, polls, checkpoints and crashes."""

    @pytest.mark.parametrize("seed", range(12))
    def test_random_interleaving(self, logs: Path, seed: int) -> None:
        """Every line written is committed exactly once, in order within its file."""
        rng = random.Random(seed)
        path = logs / "mail.log"
        written: list[str] = []
        n = 0
        rotated = 0
        h = Harness([logs])
        for _ in range(120):
            op = rng.choices(
                ["write", "poll", "checkpoint", "crash", "rename", "copytruncate", "gzip", "time"],
                weights=[30, 20, 10, 4, 4, 4, 4, 4],
            )[0]
            if op == "write":
                batch = [mail(n + i) for i in range(rng.randint(1, 5))]
                n += len(batch)
                append(path, batch)
                written.extend(batch)
            elif op == "poll":
                h.read()
            elif op == "checkpoint":
                h.checkpoint()
            elif op == "crash":
                h.crash()
            elif op == "rename" and path.exists():
                rotated += 1
                path.rename(logs / f"mail.log.{rotated}")
                path.touch()
            elif op == "copytruncate" and path.exists():
                rotated += 1
                shutil.copyfile(path, logs / f"mail.log.{rotated}")
                with path.open("r+b") as handle:
                    handle.truncate(0)
            elif op == "gzip":
                plain = [p for p in logs.iterdir() if p.name[len("mail.log.") :].isdigit()]
                if plain:
                    gzip_file(rng.choice(plain))
            elif op == "time":
                h.clock.now += rng.choice([1, 10])
        h.settle()
        assert sorted(h.committed, key=_num) == sorted(written, key=_num)
        assert len(set(h.committed)) == len(h.committed)


def _num(line: str) -> int:
    return int(line.split("Queue-ID: 69b00000-")[1][:8], 16)


def gzip_file(path: Path) -> Path:
    """Compress like logrotate: write ``path.gz``, delete ``path``."""
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as src, gzip.open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.unlink(path)
    return target


def test_states_are_reported(logs: Path) -> None:
    """status() lists followed files with their position."""
    append(logs / "mail.log", [mail(1)])
    h = Harness([logs])
    h.read()
    (entry,) = h.follower.status()
    assert entry.state == State.LIVE.value
    assert entry.offset == entry.size == (logs / "mail.log").stat().st_size


def test_copytruncate_under_the_reader(logs: Path) -> None:
    """Copied, truncated and refilled past the position while a backlog of more than one
    read's worth is being read (the soak matrix lost a line so): the reader notices that
    the file starts with another line and reads nothing of the new content from the old
    position; the copy continues where the reading stopped and the new content is read
    from its start. Every line once."""
    path = logs / "mail.log"
    append(path, [mail(1), mail(2)])
    h = Harness([logs])
    h.read()
    h.checkpoint()
    backlog = [mail(3 + i, "x" * 100) for i in range(3000)]  # several reads' worth
    append(path, backlog)
    batch = h.follower.poll()  # the first read is done now, the others as it is consumed
    shutil.copyfile(path, logs / "mail.log.1")
    with path.open("r+b") as handle:
        handle.truncate(0)
    refill = [mail(5000 + i, "refilled") for i in range(4000)]
    append(path, refill)
    got = [r.raw for r in batch]
    assert set(got) <= set(backlog)
    h.pending.extend(got)
    h.settle()
    assert sorted(h.committed, key=_num) == [mail(1), mail(2), *backlog, *refill]


class TestPowerCut:
    """A run of 8 or more NUL bytes ends a line (``sources/lineends.py``): the line the
    server writes after a power cut's block of NUL bytes is read, not glued to the cut
    fragment (the reader tests: ``test_nul_runs.py``)."""

    @pytest.mark.parametrize("cut", [8, 4096, 3 * LINE_BYTES])
    def test_follow_reads_the_line_after_a_power_cut(self, tmp_path: Path, cut: int) -> None:
        """follow: the fragment is read when the block is found (the server back after
        the cut), then the line written after it, also after a crash; a restart from the
        checkpoint reads nothing again."""
        logs = tmp_path / "logs"
        logs.mkdir()
        path = logs / "mail.log"
        path.write_text(mail(1) + "\n")
        h = Harness([logs])
        assert h.read() == [mail(1)]
        with path.open("ab") as handle:
            handle.write(mail(2)[:40].encode() + b"\x00" * cut)
        assert h.read() == [mail(2)[:40]]  # the fragment, ended by the block
        h.checkpoint()
        h.crash()
        with path.open("ab") as handle:
            handle.write((mail(3) + "\n" + mail(4) + "\n").encode())
        assert h.read() == [mail(3), mail(4)]
        h.restart()
        assert h.read() == []
        assert h.committed == [mail(1), mail(2)[:40], mail(3), mail(4)]

    def test_follow_reads_a_block_written_at_once(self, tmp_path: Path) -> None:
        """follow, the block and the line after it found in one read (and not read again
        from the file's rotated, compressed copy)."""
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "mail.log").write_bytes(
            (mail(1) + "\n" + mail(2)[:40]).encode() + b"\x00" * 4096 + (mail(3) + "\n").encode()
        )
        h = Harness([logs])
        assert h.read() == [mail(1), mail(2)[:40], mail(3)]
        old = logs / "mail.log"
        (logs / "mail.log.1.gz").write_bytes(gzip.compress(old.read_bytes()))
        old.unlink()
        (logs / "mail.log").write_text(mail(5) + "\n")
        h.settle()
        assert h.committed == [mail(1), mail(2)[:40], mail(3), mail(5)]
