"""Following live firewall logs across rotation: nothing lost, nothing read twice.

The follower is driven step by step (no sleeps), as in ``test_follow.py``: kern.log
rotated by rename and create (rsyslog/logrotate), by copy and truncate, compressed;
Windows Firewall's ``pfirewall.log`` renamed to ``pfirewall.log.old`` when full and
started again with its directives, which count as headers and never as unparsed lines.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

from fwlines import netfilter_line
from kerio_watch.sources.follow import Follower, FollowOptions
from kerio_watch.values.checkpoint import FileCheckpoint

T0 = dt.datetime(2026, 3, 10, 10, 0, 0)
HEADER = [
    "#Version: 1.5",
    "#Software: Microsoft Windows Firewall",
    "#Time Format: Local",
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path pid",
    "",
]


def kern(n: int) -> str:
    """The ``n``-th kern.log line (a second apart)."""
    return netfilter_line(T0 + dt.timedelta(seconds=n), "192.168.1.41", f"198.51.100.{n % 250}",
                          sport=20000 + n)  # fmt: skip


def pfw(n: int) -> str:
    """The ``n``-th pfirewall.log record."""
    when = T0 + dt.timedelta(seconds=n)
    return (
        f"{when:%Y-%m-%d %H:%M:%S} DROP TCP 192.168.1.42 203.0.113.{n % 250} {30000 + n} 25 "
        "0 - 0 0 0 - - - SEND 4711"
    )


def append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A follower, what it yielded, and restarts from its checkpoints."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clock = Clock()
        self.saved: list[FileCheckpoint] = []
        self.first = True
        self.raw: list[str] = []
        self.follower = self._new()

    def _new(self) -> Follower:
        f = Follower([str(self.folder)], self.saved, first_start=self.first,
                     options=FollowOptions(), clock=self.clock)  # fmt: skip
        self.first = False
        return f

    def read(self) -> None:
        self.raw += [r.raw for r in self.follower.poll()]
        self.saved = self.follower.checkpoints()

    def settle(self) -> None:
        for _ in range(3):
            self.read()
            self.clock.now += 10
        self.read()

    def restart(self) -> None:
        self.follower.close()
        self.follower = self._new()

    def unparsed(self) -> int:
        return sum(f.source.unparsed_total for f in self.follower.files.values())

    def headers(self) -> int:
        return sum(f.source.events["header"] for f in self.follower.files.values())


def test_kern_log_rename_create_copytruncate_and_gzip(tmp_path: Path) -> None:
    path = tmp_path / "kern.log"
    append(path, [kern(n) for n in range(10)])
    h = Harness(tmp_path)
    h.read()
    with path.open("a", encoding="utf-8") as writer:  # rsyslog keeps its handle
        writer.write(kern(10) + "\n")
        writer.flush()
        path.rename(tmp_path / "kern.log.1")
        writer.write(kern(11) + "\n")  # straggler after the rename
    append(path, [kern(n) for n in range(12, 20)])
    h.read()
    h.settle()
    h.restart()  # a restart in between reads nothing twice
    append(path, [kern(n) for n in range(20, 25)])
    h.read()
    shutil.copy(path, tmp_path / "kern.log.0")  # copytruncate
    append(tmp_path / "kern.log.0", [kern(25)])  # written between the copy and the truncation
    path.write_text("")
    append(path, [kern(n) for n in range(26, 30)])
    with (
        (tmp_path / "kern.log.1").open("rb") as src,
        gzip.open(tmp_path / "kern.log.2.gz", "wb") as dst,
    ):
        shutil.copyfileobj(src, dst)  # the old rotation compressed
    (tmp_path / "kern.log.1").unlink()
    h.settle()
    assert sorted(h.raw) == sorted(kern(n) for n in range(30))
    assert len(h.raw) == 30
    assert h.unparsed() == 0


def test_pfirewall_log_old_and_new_with_directives(tmp_path: Path) -> None:
    path = tmp_path / "pfirewall.log"
    append(path, HEADER + [pfw(n) for n in range(5)])
    h = Harness(tmp_path)
    h.read()
    assert h.raw == [pfw(n) for n in range(5)]
    assert h.headers() == 4  # the directives (the blank line after them is skipped)
    append(path, [pfw(n) for n in range(5, 8)])
    path.replace(tmp_path / "pfirewall.log.old")  # Windows: the full log becomes .old
    append(path, HEADER)  # the new file: its directives only, for now
    h.settle()
    assert h.raw == [pfw(n) for n in range(8)]
    append(path, [pfw(n) for n in range(8, 12)])
    h.settle()
    assert h.unparsed() == 0
    h.restart()
    append(path, [pfw(12)])
    h.settle()
    assert h.raw == [pfw(n) for n in range(13)]
    assert h.unparsed() == 0
