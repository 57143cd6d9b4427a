"""A long scan keeps its work: interrupted anywhere, then run again, it ends as one
uninterrupted scan does, row for row, and no alert reaches a sink twice.

A scan saved once, at its end: Ctrl-C, SIGTERM, ``kill -9`` or a power cut near the end
of a year of logs kept nothing. It now saves checkpoints as it goes
(:mod:`kerio_watch.pipeline.autosave`) and the same scan run again continues from the
last one (:mod:`kerio_watch.pipeline.resume`). CI runs these with both engines.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.cli import scan as scan_cli
from kerio_watch.native import reader
from kerio_watch.pipeline.autosave import UNFINISHED, Autosave
from kerio_watch.sources.files import Record
from nativediff import extension
from scanresume import Killed, Site, differences, make_site, readers, scan, tables


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("resume"))


@pytest.fixture(scope="module")
def reference(site: Site, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """One uninterrupted scan without checkpoints: its work folder, and the order in
    which its records were read ((file name, line number) each)."""
    work = tmp_path_factory.mktemp("reference")
    order: list[tuple[str, int]] = []
    real = reader.scan_records

    def counted(*args: Any) -> Iterator[Record]:
        for rec in real(*args):
            order.append((Path(rec.source.path).name, rec.lineno))
            yield rec

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan_cli, "scan_records", counted)
        scan(site, work, Autosave(0))
    return work, order


def where(order: list[Any], name: str, lineno: int) -> int:
    """How many records were read before the given line."""
    return order.index((name, lineno))


def test_checkpoints_change_nothing(
    site: Site, reference: tuple[Path, list[Any]], tmp_path: Path
) -> None:
    """A checkpoint every 10 minutes of log time (about 800 of them): the same database
    as without any."""
    ref, _ = reference
    scan(site, tmp_path, Autosave(0, seconds_of_log=600))
    assert differences(tables(tmp_path / "s.db"), tables(ref / "s.db")) == {}
    assert site.sent(tmp_path) == site.sent(ref)


POINTS: dict[str, Callable[[list[Any]], int]] = {
    "first record": lambda order: 1,
    "a tenth in": lambda order: len(order) // 10,
    "before the glitch": lambda order: where(order, "security.log", 443) - 1,
    "inside the glitch": lambda order: where(order, "security.log", 443) + 1,
    "after the glitch": lambda order: where(order, "security.log", 444) + 3,
    "inside the jump": lambda order: where(order, "audit.log", int(1068 * 0.7) + 3),
    "half way": lambda order: len(order) // 2,
    "near the end": lambda order: len(order) - 50,
    "at the last line": lambda order: len(order) - 1,
}
"""Where the first scan is killed (records read): the time guard holds the lines of a
glitch in security.log (two lines a day ahead, then set aside) and of a real jump of
audit.log's clock (four lines a day ahead: confirmed, then the clock comes back)."""


@pytest.mark.parametrize("every", [300, 3600])
@pytest.mark.parametrize("point", sorted(POINTS))
def test_killed_then_run_again(
    site: Site, reference: tuple[Path, list[Any]], tmp_path: Path, point: str, every: int
) -> None:
    ref, order = reference
    kill_after = POINTS[point](order)
    with pytest.raises(Killed):
        scan(site, tmp_path, Autosave(0, seconds_of_log=every), kill_after=kill_after)
    scan(site, tmp_path, Autosave(0))
    assert differences(tables(tmp_path / "s.db"), tables(ref / "s.db")) == {}
    assert sorted(site.sent(tmp_path)) == sorted(site.sent(ref))


def test_killed_twice(site: Site, reference: tuple[Path, list[Any]], tmp_path: Path) -> None:
    """Killed, continued and killed again: the third run ends as one run does."""
    ref, order = reference
    for kill_after in (len(order) // 3, 2 * len(order) // 3):
        with pytest.raises(Killed):
            scan(site, tmp_path, Autosave(0, seconds_of_log=1800), kill_after=kill_after)
    scan(site, tmp_path, Autosave(0))
    assert differences(tables(tmp_path / "s.db"), tables(ref / "s.db")) == {}
    assert sorted(site.sent(tmp_path)) == sorted(site.sent(ref))


@pytest.fixture(scope="module")
def gzip_site(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The site with its mail.log rotated and compressed (``mail.log.1.gz``)."""
    logs = tmp_path_factory.mktemp("gzip") / "logs"
    shutil.copytree(site.logs, logs)
    with (logs / "mail.log").open("rb") as src, gzip.open(logs / "mail.log.1.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    (logs / "mail.log").unlink()
    return Site(logs, site.config)


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_the_core_continues_an_interrupted_scan(
    site: Site, gzip_site: Site, tmp_path: Path, compressed: bool
) -> None:
    """The native engine killed half way, then run again: the core reads each file after
    the lines done (passed over in Rust; the Python reader reads none), and the database
    is the pure-Python engine's of one uninterrupted scan, row for row (they were read
    in Python: the core read a file from its first line only)."""
    extension()
    logs = gzip_site if compressed else site
    scan(logs, tmp_path / "python", Autosave(0), engine="python")
    with pytest.raises(Killed):
        scan(logs, tmp_path / "n", Autosave(0, seconds_of_log=1800), 9000, engine="native")
    with readers() as used:
        scan(logs, tmp_path / "n", Autosave(0), engine="native")
    assert used["python"] == []
    started = {name: start for name, start, _offset, _on in used["native"] if start}
    assert ("mail.log.1.gz" if compressed else "mail.log") in started
    assert differences(tables(tmp_path / "n" / "s.db"), tables(tmp_path / "python" / "s.db")) == {}
    assert sorted(logs.sent(tmp_path / "n")) == sorted(logs.sent(tmp_path / "python"))


CLI = [sys.executable, "-m", "kerio_watch"]


def unfinished(db: Path) -> str:
    """The database's :data:`UNFINISHED` metadata, read beside the running scan."""
    if not db.exists():
        return ""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (UNFINISHED,)).fetchone()
    except sqlite3.OperationalError:  # not created yet
        return ""
    return str(row[0]) if row else ""


def scan_argv(site: Site, work: Path) -> list[str]:
    """``kerio-watch scan`` of the site (its jsonl sink in ``work``), with a checkpoint
    about every 0.02 s of wall-clock time."""
    work.mkdir(exist_ok=True)
    config = work / "kw.toml"
    config.write_text(site.config.read_text().replace("SENT", str(work / "sent.jsonl")))
    argv = [*CLI, "scan", "--db", str(work / "s.db"), "-c", str(config), "-f", "jsonl"]
    return [*argv, "--checkpoint-every", "0.02", str(site.logs)]


def after_a_checkpoint(proc: subprocess.Popen[str], db: Path) -> None:
    """Wait until the scan committed a checkpoint (and is still running)."""
    deadline = time.monotonic() + 120
    while not unfinished(db):
        assert proc.poll() is None, "the scan ended before its first checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.005)


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Twice the days: a scan long enough to be stopped in its middle."""
    return make_site(tmp_path_factory.mktemp("big"), days=12)


@pytest.fixture(scope="module")
def big_reference(big_site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("big-reference")
    scan(big_site, work, Autosave(0))
    return work


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_real_process_stopped_then_run_again(
    big_site: Site, big_reference: Path, tmp_path: Path, how: signal.Signals
) -> None:
    """The real CLI stopped after a checkpoint: ``kill -9`` keeps what it committed;
    Ctrl-C and SIGTERM save at the next safe point and say what was kept (exit 130).
    The same scan run again says it continues, and ends as one uninterrupted scan."""
    db = tmp_path / "s.db"
    argv = scan_argv(big_site, tmp_path)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    after_a_checkpoint(proc, db)
    os.kill(proc.pid, how)
    _out, err = proc.communicate(timeout=120)
    if how == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:
        assert proc.returncode == 130, err
        assert "kerio-watch: interrupted: saved up to " in err, err
        assert "run the same scan again to continue from there" in err
    assert unfinished(db)
    second = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "continued a scan interrupted after " in second.stderr
    assert unfinished(db) == ""
    assert differences(tables(db), tables(big_reference / "s.db")) == {}
    sent = big_site.sent(tmp_path)
    assert sorted(sent) == sorted(big_site.sent(big_reference))
    assert len(sent) == len(set(sent))
