"""Compressed rotations racing the follower (issue 9's soak matrix lost lines so).

Driven step by step through :class:`~kerio_watch.sources.follow.Follower`, as the
service drives it: poll, consume the batch (maybe part of it), save the checkpoints;
a crash restarts from the last saved checkpoints. Every line must be committed once.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import random
from collections import Counter
from itertools import islice
from pathlib import Path

import pytest

from kerio_watch.simulate.logrotate import STYLES, LogWriter, Rotator, gzip_file
from kerio_watch.sources import follow
from kerio_watch.sources.discovery import list_files
from kerio_watch.sources.files import LogFile
from kerio_watch.sources.follow import Follower, FollowOptions
from kerio_watch.sources.tail import FollowedFile, read_head
from kerio_watch.values.checkpoint import FileCheckpoint


class Clock:
    """Monotonic time that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def mail(n: int) -> str:
    """A mail.log line numbered ``n``, ``n`` minutes after 10 March 2026, 00:00."""
    when = dt.datetime(2026, 3, 10) + dt.timedelta(minutes=n)
    return (
        f"[{when:%d/%b/%Y %H:%M:%S}] Sent: Queue-ID: 69b00000-{n:08x}, "
        f"Recipient: <u{n}@example.com>, Result: delivered, Status: 2.0.0"
    )


def write(path: Path, numbers: range) -> list[str]:
    lines = [mail(n) for n in numbers]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines))
    return lines


class Service:
    """A follower with committed lines and saved checkpoints, like ``FollowService``."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.clock = Clock()
        self.saved: list[FileCheckpoint] = []
        self.committed: list[str] = []
        self.pending: list[str] = []
        self.follower = self._new(first=True)
        self.batch = self.follower.poll()

    def _new(self, first: bool) -> Follower:
        options = FollowOptions(linger=5.0)
        return Follower([str(self.logs)], self.saved, first, options, clock=self.clock)

    def read(self, limit: int | None = None) -> None:
        """One poll; consume ``limit`` records of its batch (None: all)."""
        self.batch = self.follower.poll()
        self.more(limit)

    def more(self, limit: int | None) -> None:
        """Go on with the batch (a new poll once it is read): files change meanwhile."""
        if not self.batch:
            self.batch = self.follower.poll()
        self.pending.extend(r.raw for r in islice(self.batch, limit))

    def save(self) -> None:
        self.committed.extend(self.pending)
        self.pending = []
        self.saved = self.follower.checkpoints()

    def crash(self) -> None:
        """kill -9: what was not saved is lost; start again from the checkpoints."""
        self.follower.close()
        self.pending = []
        self.follower = self._new(first=False)
        self.batch = self.follower.poll()

    def settle(self) -> list[str]:
        """Read everything left (vanished files going quiet); what was committed."""
        for _ in range(4):
            self.read()
            self.save()
            self.clock.now += 10
        return self.committed


@pytest.mark.parametrize("archives", [1, 2])
def test_archives_shifted_while_the_batch_is_read(tmp_path: Path, archives: int) -> None:
    """Archives renamed (``mail.log.N.gz`` -> ``N+1``: logrotate shifting) after the poll
    that listed them and before the batch reached them. They were opened by their old
    names: a name gone was taken for an archive still being written, and as its size
    never changed it was never read again; a name taken by the next archive had that
    one's lines read in its place. Lines lost (or read twice)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    written = write(logs / "mail.log.9", range(5))
    for n in range(archives, 0, -1):
        first = 5 + (archives - n) * 5
        written += write(logs / f"mail.log.{n}", range(first, first + 5))
        gzip_file(logs / f"mail.log.{n}")
    written += write(logs / "mail.log", range(50, 55))
    service = Service(logs)
    service.read(limit=2)  # the batch has reached mail.log.9 (the oldest) only
    service.save()
    batch = service.follower.poll()
    ahead = next(batch)
    for n in range(archives, 0, -1):
        (logs / f"mail.log.{n}.gz").rename(logs / f"mail.log.{n + 1}.gz")
    service.pending.extend([ahead.raw, *(r.raw for r in batch)])
    service.save()
    assert service.settle() == written


def test_archive_of_a_file_being_read_then_a_crash(tmp_path: Path) -> None:
    """``mail.log.1`` gzipped while its last lines were still unread: the follower saw
    the ``.gz`` next to the plain file and marked it done for good ("compressed copy of
    a file being read"). Killed before the plain file was drained, and with the plain
    file deleted by gzip, the rest of it was never read from the archive."""
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "mail.log"
    written = write(path, range(5))
    service = Service(logs)
    service.read()
    service.save()
    rotated = logs / "mail.log.1"
    path.rename(rotated)
    written += write(rotated, range(5, 15))  # the server's handle, before it reopens
    written += write(path, range(15, 20))
    with gzip.open(logs / "mail.log.1.gz", "wb") as archive:  # gzip has written the
        archive.write(rotated.read_bytes())  # archive, not yet deleted the file
    service.read(limit=3)  # saved part way through the plain file
    service.save()
    rotated.unlink()  # gzip finishes
    service.crash()
    assert sorted(service.settle()) == sorted(written)
    assert len(service.committed) == len(written)


def test_a_rewritten_file_is_placed_with_the_new_files(tmp_path: Path) -> None:
    """Copied and truncated twice between two polls, hours of lines apart. The live
    file's inode then holds a new identity, and it was placed at once, before the files
    found new in the same poll: the middle copy (never read, its first line unknown)
    was then judged against that newer file and skipped as an old copy (lost). All
    identities found in one poll are placed together, oldest first line first."""
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "mail.log"
    written = write(path, range(5))
    service = Service(logs)
    service.read()
    service.save()
    written += write(path, range(5, 10))
    for later in (range(10, 15), range(300, 305)):  # the second: five hours later
        first = logs / "mail.log.1"
        if first.exists():
            first.rename(logs / "mail.log.2")
        first.write_bytes(path.read_bytes())
        with path.open("r+b") as handle:
            handle.truncate(0)
        written += write(path, later)
    assert sorted(service.settle()) == sorted(written)
    assert len(service.committed) == len(written)


def test_archives_shifted_after_the_listing_keep_their_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Archives shifted (``mail.log.8.gz`` -> ``mail.log.9.gz`` -> ``...10.gz``) between
    the poll's listing and its look at each file: the name listed for an archive holds
    the next archive by then. Its first line was read by name, so the archive took the
    other one's identity ("replaced") and was read again from its start, or skipped as
    old. The first line is read by name only while the name holds the listed inode."""
    logs = tmp_path / "logs"
    logs.mkdir()
    written: list[str] = []
    # mail.log.10.gz sorts before mail.log.8.gz: files are looked at in no time order
    for n, numbers in ((10, range(10)), (9, range(10, 30)), (8, range(30, 35))):
        written += write(logs / f"mail.log.{n}", numbers)
        gzip_file(logs / f"mail.log.{n}")
    written += write(logs / "mail.log", range(35, 40))
    service = Service(logs)
    service.settle()
    follower = service.follower
    for shift in (0, 1):
        for n in range(10 + shift, 7 + shift, -1):
            (logs / f"mail.log.{n}.gz").rename(logs / f"mail.log.{n + 1}.gz")
        if not shift:
            stale = list_files(follower.paths)  # the next poll lists the first shift
    with monkeypatch.context() as patched:
        patched.setattr(follow, "list_files", lambda _paths, _unlisted=None: stale)  # poll()
        service.read()
    heads = {}  # inode -> the hash of its first line
    for path in logs.iterdir():
        with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as handle:
            heads[path.stat().st_ino] = hashlib.sha256(handle.readline()).hexdigest()
    for f in follower.files.values():  # each identity is the file's own first line
        assert f.first_hash in ("", heads[f.ino])
    assert sorted(service.settle()) == sorted(written)
    assert len(service.committed) == len(written)


@pytest.mark.parametrize("seed", range(40))
def test_random_rotations_polls_and_crashes(tmp_path: Path, seed: int) -> None:
    """Every logrotate style, step by step, with writes, polls (batches consumed in
    part, files changing meanwhile), saves and crashes between any two steps (an inode
    freed by one step may hold another file at the next poll): every line committed
    once."""
    rng = random.Random(seed)
    logs, ref = tmp_path / "logs", tmp_path / "ref"
    logs.mkdir()
    ref.mkdir()
    writer = LogWriter(logs, "mail.log", ref / "mail.log")
    rotator = Rotator(writer, STYLES[0], keep=100)
    n = 0

    def lines(k: int) -> list[str]:  # 20 minutes apart: a file spans hours, as on a server
        nonlocal n
        n += k
        return [mail(20 * i) for i in range(n - k, n)]

    writer.write(lines(5))
    service = Service(logs)
    for _ in range(40):
        rotator.style = rng.choice(STYLES)
        for name, step in rotator.steps():
            for _ in range(rng.randint(0, 3)):
                op = rng.choice(["write", "poll", "part", "save", "crash", "time", "more"])
                if op == "write" and name != "truncate":  # lost by copytruncate itself
                    writer.write(lines(rng.randint(1, 30)))
                elif op == "poll":
                    service.read()
                elif op == "part":
                    service.read(limit=rng.randint(0, 20))
                elif op == "more":
                    service.more(rng.randint(1, 20))
                elif op == "save":
                    service.save()
                elif op == "crash":
                    service.crash()
                else:
                    service.clock.now += rng.choice([1, 6, 70])
            step()
    writer.close()
    committed = service.settle()
    missing = sorted({mail(20 * i) for i in range(n)} - set(committed))
    twice = sorted(x for x, k in Counter(committed).items() if k > 1)
    assert (missing, twice) == ([], [])


def test_the_first_line_is_read_by_name_only_from_the_listed_inode(tmp_path: Path) -> None:
    """An archive's name taken by the next one since the listing: its first line is not
    there to read (None: looked at again at the next poll), never the other one's."""
    write(tmp_path / "a", range(5))
    write(tmp_path / "b", range(5, 10))
    listed = gzip_file(tmp_path / "a")
    st = listed.stat()
    f = FollowedFile(str(listed), st.st_dev, st.st_ino, LogFile(str(listed), "mail"), 1)
    f.compressed = True
    assert read_head(f) == (mail(0) + "\n").encode()
    gzip_file(tmp_path / "b").replace(listed)  # another archive under the listed name
    assert read_head(f) is None


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_the_last_line_is_read_only_from_the_listed_inode(tmp_path: Path, compressed: bool) -> None:
    """``last_stamp`` (is every line old?) never answers for the file that took the
    name since the listing: None (unknown, so the file is read), never the other's."""
    from kerio_watch.sources.identity import last_stamp, stamp_of  # noqa: PLC0415

    write(tmp_path / "a", range(5))
    write(tmp_path / "b", range(500, 505))
    listed = gzip_file(tmp_path / "a") if compressed else tmp_path / "a"
    st = listed.stat()
    f = FollowedFile(str(listed), st.st_dev, st.st_ino, LogFile(str(listed), "mail"), 1)
    f.compressed = compressed
    assert last_stamp(f) == stamp_of(f, mail(4).encode())
    other = gzip_file(tmp_path / "b") if compressed else tmp_path / "b"
    other.replace(listed)
    assert last_stamp(f) is None


def test_compression_is_told_only_from_the_listed_inode(tmp_path: Path) -> None:
    """A plain file listed, then a gzip archive under its name: the file is not taken
    for compressed (it stays unidentified until the listing shows where it went), and
    a known file is not the same file any more."""
    from kerio_watch.sources.discovery import adopt, same_file  # noqa: PLC0415
    from kerio_watch.sources.tail import State, is_gzip  # noqa: PLC0415

    write(tmp_path / "mail.log", range(5))
    write(tmp_path / "b", range(5, 10))
    listed = tmp_path / "mail.log"
    st = listed.stat()
    assert is_gzip(str(listed), st) is False
    known = adopt(str(listed), st, 1, 0.0)
    assert known.first_hash and not known.compressed
    gzip_file(tmp_path / "b").replace(listed)
    assert is_gzip(str(listed), st) is None
    f = adopt(str(listed), st, 2, 0.0)
    assert f.state is State.PENDING and not f.first_hash and not f.compressed
    assert not same_file(known, str(listed), st)
