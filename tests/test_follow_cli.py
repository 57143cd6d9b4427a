"""``kerio-watch follow`` and ``status`` as real processes: latency, kill -9, bad databases.

Each test runs the installed CLI as a subprocess on a temporary log directory with a
real SQLite database, writes lines the way Kerio does, and looks at stdout (alerts),
stderr (the service log) and the database. Waits are bounded polls, never fixed sleeps
longer than a fraction of a second.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import pytest

from kerio_watch.service import Totals
from logtools import kerio_stamp, recv_line

T0 = dt.datetime(2026, 3, 10, 8, 0, 0)  # local time at a UTC+1 site
USERS = [f"user{i}@example.com" for i in range(8)]


def line(n: int, bad: bool = False) -> str:
    """The ``n``-th mail.log line: a user's normal send, or (bad) a send as an outsider."""
    user = USERS[n % len(USERS)]
    when = T0 + dt.timedelta(seconds=7 * n)
    if bad:
        return recv_line(
            when,
            1,
            n,
            sender=f"boss{n}@evil.test",
            to="x@victim.test",
            user=user,
            host=f"203.0.113.{n % 250 + 1}",  # its own: one hijack, one alert
        )
    return recv_line(when, 1, n, sender=user, to=f"p{n % 5}@partner.test", user=user)


def dataset(messages: int, every: int = 150) -> list[str]:
    """A quiet site's mail.log: ``messages`` sends (each with its delivery line), one
    every 50 s, and a send as an outsider every ``every`` messages (from the 100th)."""
    lines = []
    for n in range(messages):
        user = USERS[n % len(USERS)]
        when = T0 + dt.timedelta(seconds=50 * n)
        bad = n >= 100 and n % every == 100 % every
        sender = f"boss{n}@evil.test" if bad else user
        host = f"203.0.113.{n % 250 + 1}" if bad else f"192.168.1.{10 + n % len(USERS)}"
        recv = recv_line(
            when, 1, n, sender=sender, to=f"p{n % 5}@partner.test", user=user, host=host
        )
        qid = recv.split("Queue-ID: ")[1][:17]
        sent = (
            f"{kerio_stamp(when + dt.timedelta(seconds=2))} Sent: Queue-ID: {qid}, "
            f"Recipient: <p{n % 5}@partner.test>, Result: delivered, Status: 2.0.0 , "
            f"Remote-Host: 198.51.100.25, Msg-Id: <{n}@mail.example.com>"
        )
        lines += [recv, sent]
    return lines


class Follow:
    """One ``kerio-watch follow`` process (and its restarts) on one database."""

    def __init__(self, tmp: Path, logs: Path, *extra: str) -> None:
        self.tmp = tmp
        self.logs = logs
        self.db = tmp / "state.db"
        self.extra = extra
        self.runs = 0
        self.proc: subprocess.Popen[str] | None = None
        self._copiers: list[tuple[subprocess.Popen[str], threading.Thread]] = []
        """Each run's threads copying its stdout and stderr to files."""

    def start(self, *more: str) -> subprocess.Popen[str]:
        """Start a run; its stdout and stderr are copied to out-N.txt and err-N.txt.

        Through pipes, not files, so a file size limit set on the child (the full-disk
        test) does not silence its log.
        """
        self._settle()  # the runs that have exited: their last lines are copied first
        n = self.runs
        self.runs += 1
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kerio_watch",
                "follow",
                "--db",
                str(self.db),
                "--format",
                "jsonl",
                "--poll",
                "0.05",
                *self.extra,
                *more,
                str(self.logs),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stream, name in ((self.proc.stdout, "out"), (self.proc.stderr, "err")):
            target = self.tmp / f"{name}-{n}.txt"
            target.write_text("")
            copier = threading.Thread(target=_copy, args=(stream, target), daemon=True)
            copier.start()
            self._copiers.append((self.proc, copier))
        return self.proc

    def _settle(self) -> None:
        """For each run that has exited, wait for its last output to be copied (the
        copier threads read until end of file, after the exit)."""
        for proc, copier in self._copiers:
            if proc.poll() is not None:
                copier.join(10)
        self._copiers = [(p, c) for p, c in self._copiers if c.is_alive()]

    def err(self, n: int | None = None) -> str:
        self._settle()
        return (self.tmp / f"err-{self.runs - 1 if n is None else n}.txt").read_text()

    def printed(self) -> list[dict[str, object]]:
        """Alerts printed on stdout by every run so far."""
        self._settle()
        found = []
        for n in range(self.runs):
            for text in (self.tmp / f"out-{n}.txt").read_text().splitlines():
                if text.startswith("{"):
                    found.append(json.loads(text))
        return found

    def totals(self) -> Totals:
        if not self.db.exists():
            return Totals()
        try:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'follow.stats'").fetchone()
        except sqlite3.Error:
            return Totals()
        return Totals.from_json(row[0] if row else None)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(10)


@contextlib.contextmanager
def read_only(path: Path, modes: tuple[int, int] = (0o444, 0o644)) -> Iterator[None]:
    """Make a file (or, with ``modes`` for one, a directory) unwritable for this user,
    then writable again (root ignores modes: the immutable flag)."""
    if os.geteuid() != 0:
        path.chmod(modes[0])
        try:
            yield
        finally:
            path.chmod(modes[1])
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {done.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _copy(stream: IO[str] | None, target: Path) -> None:
    assert stream is not None
    with target.open("a") as out:
        for text in stream:
            out.write(text)
            out.flush()


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> float:
    """Poll until true; the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true within {timeout} s: {predicate}")
        time.sleep(0.02)


def append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines))


def scan_alerts(tmp: Path, lines: list[str]) -> list[dict[str, object]]:
    """What ``kerio-watch scan`` reports for the same lines (one file, fresh database)."""
    ref = tmp / "ref"
    ref.mkdir(exist_ok=True)
    (ref / "mail.log").write_text("".join(x + "\n" for x in lines))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kerio_watch",
            "scan",
            "--db",
            str(tmp / "scan.db"),
            "--format",
            "jsonl",
            str(ref),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


@pytest.fixture
def follow(tmp_path: Path, logs: Path) -> Iterator[Follow]:
    f = Follow(tmp_path, logs)
    yield f
    if f.proc is not None and f.proc.poll() is None:
        f.proc.kill()
        f.proc.wait()


def started(f: Follow) -> Callable[[], bool]:
    return lambda: "event=started" in f.err()


class TestLive:
    """Alerts as they happen, clean stops and reloads."""

    def test_alert_is_out_within_two_seconds(self, follow: Follow, logs: Path) -> None:
        """The alert for a line is on stdout well within 2 s of the line being written."""
        append(logs / "mail.log", [line(0), line(1)])
        follow.start()
        wait_for(started(follow))
        wait_for(lambda: follow.totals().lines == 2)
        append(logs / "mail.log", [line(2, bad=True)])
        latency = wait_for(follow.printed, timeout=5)
        assert latency < 2.0
        (alert,) = follow.printed()
        assert alert["rule"] == "kerio.mail.from_external"
        assert "event=alert" in follow.err()
        assert follow.stop() == 0
        assert "event=stopped status=0" in follow.err()

    def test_sighup_reloads_and_keeps_a_good_config(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """A broken config on SIGHUP is refused (logged); a good one is applied."""
        config = tmp_path / "kw.toml"
        config.write_text('[site]\ntimezone = "Europe/Berlin"\n')
        append(logs / "mail.log", [line(0)])
        proc = follow.start("--config", str(config))
        wait_for(started(follow))
        config.write_text("[site\nthis is not toml")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "event=reload_failed" in follow.err())
        assert "keeping the old configuration" in follow.err()
        assert proc.poll() is None
        config.write_text(
            '[site]\ntimezone = "Europe/Berlin"\n[users."user2@example.com"]\n'
            'aliases = ["boss2@evil.test"]\n'
        )
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "event=reloaded" in follow.err())
        append(logs / "mail.log", [line(2, bad=True), line(3, bad=True)])
        wait_for(lambda: follow.totals().lines == 3)
        # user2's new alias is fine now; user3 sending as an outsider is not.
        wait_for(lambda: len(follow.printed()) == 1)
        assert follow.printed()[0]["user"] == "user3@example.com"
        assert follow.stop() == 0

    def test_status_while_running_and_after(self, follow: Follow, logs: Path) -> None:
        """status shows files, lag, totals and whether the follower runs."""
        append(logs / "mail.log", [line(0), line(1)])
        follow.start()
        wait_for(lambda: follow.totals().lines == 2)

        def status() -> dict[str, object]:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "kerio_watch",
                    "status",
                    "--db",
                    str(follow.db),
                    "--format",
                    "json",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            return json.loads(result.stdout)  # type: ignore[no-any-return]

        running = status()
        assert running["running"] is True
        assert running["pid"] == follow.proc.pid  # type: ignore[union-attr]
        (entry,) = cast(list[dict[str, object]], running["files"])
        assert entry["lag_bytes"] == 0 and entry["offset"] == (logs / "mail.log").stat().st_size
        assert running["totals"]["lines"] == 2  # type: ignore[index]
        assert running["last_event"] == "2026-03-10T08:00:07+01:00"
        follow.stop()
        append(logs / "mail.log", [line(2)])
        stopped = status()
        assert stopped["running"] is False
        assert stopped["lag_bytes"] == len(line(2)) + 1
        assert stopped["db_bytes"] >= follow.db.stat().st_size > 0  # type: ignore[operator]
        assert stopped["activity"] == {  # on the server's clock, like every time
            "first_hour": "2026-03-10T08:00:00+01:00",
            "last_hour": "2026-03-10T08:00:00+01:00",
        }
        text = subprocess.run(
            [sys.executable, "-m", "kerio_watch", "status", "--db", str(follow.db)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "not running" in text and "mail.log" in text
        assert "hourly activity 2026-03-10 to 2026-03-10" in text

    def test_status_names_the_files_not_read(self, follow: Follow, logs: Path) -> None:
        """status shows the files follow found and did not read as Kerio logs: another
        program's text file, and a syslog file none of whose lines is Kerio's (followed
        all the same). They were only in the service log: an administrator who pointed
        follow at the wrong folder saw "files: none followed yet" or nothing at all."""
        (logs / "notes.txt").write_text("shopping list\n" * 30)
        postfix = [
            f"Mar 10 08:00:{n:02d} mx postfix/smtpd[12{n:02d}]: connect from unknown[192.0.2.{n}]"
            for n in range(30)
        ]
        append(logs / "maillog", postfix)
        follow.start("--order-wait", "0")
        wait_for(lambda: "event=not_kerio" in follow.err(), timeout=30)
        follow.stop()
        result = subprocess.run(
            [sys.executable, "-m", "kerio_watch", "status", "--db", str(follow.db), "-f", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        skipped = json.loads(result.stdout)["skipped"]
        assert skipped == [
            {"path": str(logs / "notes.txt"), "why": "not a Kerio Connect log"},
            {"path": str(logs / "maillog"), "why": "none of its lines is from a Kerio Connect log"},
        ]
        text = subprocess.run(
            [sys.executable, "-m", "kerio_watch", "status", "--db", str(follow.db)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "not read as Kerio logs: 2 files" in text
        assert f"{logs / 'notes.txt'}: not a Kerio Connect log" in text
        assert "kerio-watch list formats" in text

    def test_one_follower_per_database(self, follow: Follow, logs: Path, tmp_path: Path) -> None:
        """A second follower on the same database is refused with a clear message."""
        append(logs / "mail.log", [line(0)])
        follow.start()
        wait_for(started(follow))
        second = Follow(tmp_path, logs)
        second.runs = 10
        proc = second.start()
        assert proc.wait(10) == 6
        err = second.err()
        assert "already using" in err and "Traceback" not in err


class TestOutput:
    """What follow prints: --min-severity and -o (issue 12)."""

    def test_min_severity_and_an_output_file(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """A high alert (an outside From sent from outside: decisive) is stored but not
        printed under --min-severity critical; printed alerts are appended to the -o
        file, not to stdout."""
        out = tmp_path / "alerts.jsonl"
        out.write_text('{"kept": "what was there before"}\n')
        append(logs / "mail.log", [line(0)])
        follow.start("--min-severity", "critical", "-o", str(out))
        wait_for(lambda: follow.totals().lines == 1)
        append(logs / "mail.log", [line(1, bad=True)])
        wait_for(lambda: follow.totals().alerts >= 1)
        assert follow.stop() == 0
        assert follow.printed() == []
        assert out.read_text().splitlines() == ['{"kept": "what was there before"}']
        with sqlite3.connect(follow.db) as db:
            (severity,) = db.execute("SELECT severity FROM alerts").fetchone()
        assert severity == 3  # high: stored, not printed
        follow.start("--min-severity", "high", "-o", str(out))
        append(logs / "mail.log", [line(2, bad=True)])
        wait_for(lambda: out.read_text().count("\n") == 2)  # two whole lines
        assert follow.stop() == 0
        assert json.loads(out.read_text().splitlines()[1])["severity"] == "high"
        assert follow.printed() == []


class TestSinks:
    """Alerts also go to the configured sinks; status shows their health."""

    def test_alert_reaches_the_sinks_and_failures_are_reported(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """A working file sink gets the alert once; a broken one is reported failing.

        Every wait polls with a deadline (a sink's file exists before its line is
        written, and the delivery is recorded after the line is written)."""
        config = tmp_path / "kw.toml"
        alerts = tmp_path / "alerts.jsonl"
        config.write_text(
            f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{alerts}"\n'
            f'[[sinks]]\ntype = "jsonl"\nname = "broken"\npath = "{tmp_path / "no" / "a.jsonl"}"\n'
        )
        append(logs / "mail.log", [line(0)])
        follow.start("--config", str(config))
        wait_for(lambda: follow.totals().lines == 1)
        append(logs / "mail.log", [line(1, bad=True)])
        wait_for(lambda: len(delivered_ids(alerts)) == 1)
        wait_for(lambda: len(follow.printed()) == 1)
        assert delivered_ids(alerts) == [follow.printed()[0]["id"]]
        wait_for(lambda: "broken" in follow.err() and "directory does not exist" in follow.err())
        health: dict[str, dict[str, Any]] = {}

        def settled() -> bool:
            health.update(sink_health(follow.db, config))
            return bool(health["file"]["sent"] == 1 and health["broken"]["pending"] == 1)

        wait_for(settled, timeout=30)
        assert health["file"]["ok"] is True and health["broken"]["ok"] is False
        assert "directory does not exist" in health["broken"]["last_error"]
        follow.kill9()
        follow.start("--config", str(config))
        wait_for(started(follow))
        # A second alert after the restart: once it is in the file, the restarted
        # follower has been through the pending deliveries; the first is not repeated.
        append(logs / "mail.log", [line(2, bad=True)])
        wait_for(lambda: len(delivered_ids(alerts)) >= 2)
        assert follow.stop() == 0
        first, second = delivered_ids(alerts)
        assert first == follow.printed()[0]["id"] and second == follow.printed()[1]["id"]
        assert first != second


def delivered_ids(path: Path) -> list[object]:
    """The alert ids of the complete lines of a jsonl sink's file (none yet: [])."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(row)["id"] for row in complete.splitlines()]


def sink_health(db: Path, config: Path) -> dict[str, dict[str, Any]]:
    """``kerio-watch status --format json``'s sinks, by name (a separate process)."""
    result = subprocess.run(
        [sys.executable, "-m", "kerio_watch", "status", "--db", str(db), "--config", str(config),
         "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {s["name"]: s for s in json.loads(result.stdout)["sinks"]}


class TestExactlyOnce:
    """kill -9 anywhere, restart: every line once, every alert once."""

    def test_kill_9_mid_stream(self, follow: Follow, logs: Path, tmp_path: Path) -> None:
        """Killed three times while lines stream in (and rotated while down): same as scan."""
        lines = dataset(1200)
        path = logs / "mail.log"
        follow.start()
        wait_for(started(follow))
        kills = {6, 12, 19}
        for chunk in range(24):
            append(path, lines[chunk * 100 : (chunk + 1) * 100])
            time.sleep(0.03)
            if chunk in kills:
                follow.kill9()
                if chunk == 12:
                    path.rename(logs / "mail.log.1")  # rotated while kerio-watch is down
                follow.start()
        wait_for(lambda: follow.totals().lines == len(lines), timeout=20)
        assert follow.stop() == 0
        totals = follow.totals()
        assert totals.lines == 2400
        assert totals.events == Counter({"message_received": 1200, "message_delivery": 1200})
        expected = scan_alerts(tmp_path, lines)
        assert len(expected) == 4
        printed = follow.printed()
        assert sorted(a["id"] for a in printed) == sorted(a["id"] for a in expected)  # type: ignore[type-var]
        key = ("user", "rule", "severity", "time")
        assert sorted(tuple(a[k] for k in key) for a in printed) == sorted(
            tuple(a[k] for k in key) for a in expected
        )
        with sqlite3.connect(follow.db) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT count(*) FROM alerts").fetchone() == (4,)

    def test_restarted_inside_the_repeated_hour(
        self, follow: Follow, logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """[site] timezone Europe/Berlin, stopped and started 20 minutes into the second
        pass of the hour repeated when summer time ends: the same alerts, at the same
        times, as one scan (was: the rest of that pass read an hour early)."""
        config = tmp_path / "kw.toml"
        config.write_text('[site]\ntimezone = "Europe/Berlin"\n')
        monkeypatch.setenv("KERIO_WATCH_CONFIG", str(config))  # follow's and the scan's
        lines: list[str] = []
        for offset, start, end in ((2, 0, 3), (1, 2, 4)):  # 00:00-02:59 +02, 02:00-03:59 +01
            when = dt.datetime(2026, 10, 25, start)
            while when < dt.datetime(2026, 10, 25, end):
                n = len(lines)
                user, bad = USERS[n % len(USERS)], n % 37 == 20
                host = f"203.0.113.{n % 250 + 1}" if bad else "192.168.1.10"
                lines.append(recv_line(when, offset, n, sender=f"x{n}@evil.test" if bad else user,
                                       to="p@partner.test", user=user, host=host))  # fmt: skip
                when += dt.timedelta(minutes=1)
        append(logs / "mail.log", lines[:200])
        follow.start()
        wait_for(lambda: follow.totals().lines == 200)
        assert follow.stop() == 0
        append(logs / "mail.log", lines[200:])
        follow.start()
        wait_for(lambda: follow.totals().lines == len(lines))
        assert follow.stop() == 0
        key = ("user", "rule", "time")
        expected = sorted(tuple(a[k] for k in key) for a in scan_alerts(tmp_path, lines))
        in_second_pass = [t for _u, _r, t in expected if str(t).startswith("2026-10-25T02:2")]
        assert in_second_pass and all(str(t).endswith("+01:00") for t in in_second_pass)
        assert sorted(tuple(a[k] for k in key) for a in follow.printed()) == expected

    def test_more_rotated_files_than_descriptors(self, follow: Follow, logs: Path) -> None:
        """A folder of 500 rotated files under a limit of 384 open files (systemd's
        default is 1,024): read as scan reads them (was: "Too many open files" for the
        files, the folder's listing and the journal; with 1,500 files under 1,024, files
        read out of order and 32 alerts where scan raises 16)."""
        lines = dataset(1000, every=25)
        for n in range(500):  # mail.log.500 is the oldest
            (logs / f"mail.log.{500 - n}").write_text("\n".join(lines[n * 4 : n * 4 + 4]) + "\n")
        # Followed through a link to an empty folder, limited, then shown them all at once.
        (follow.tmp / "empty").mkdir()
        follow.logs = follow.tmp / "current"
        follow.logs.symlink_to(follow.tmp / "empty")
        proc = follow.start()
        wait_for(started(follow))
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (384, 384))
        (follow.tmp / "next").symlink_to(logs)
        (follow.tmp / "next").replace(follow.logs)
        wait_for(lambda: follow.totals().lines == len(lines), timeout=60)
        assert follow.stop() == 0
        assert "Too many open files" not in follow.err()
        expected = scan_alerts(follow.tmp, lines)
        assert len(expected) >= 8
        key = ("user", "rule", "severity", "time")
        assert sorted(tuple(a[k] for k in key) for a in follow.printed()) == sorted(
            tuple(a[k] for k in key) for a in expected
        )


class TestBadDatabase:
    """Locked, read-only and full: clear messages, no tracebacks, no damage."""

    def test_locked_database_waits_then_continues(self, follow: Follow, logs: Path) -> None:
        """Another writer holding the lock delays the follower; nothing is lost or doubled."""
        append(logs / "mail.log", [line(0)])
        follow.start()
        wait_for(lambda: follow.totals().lines == 1)
        other = sqlite3.connect(follow.db, isolation_level=None, timeout=5)
        other.execute("BEGIN IMMEDIATE")
        append(logs / "mail.log", [line(1), line(2, bad=True)])
        time.sleep(1.5)
        assert follow.printed() == []  # waiting for the lock, nothing half-done
        other.execute("ROLLBACK")
        other.close()
        wait_for(lambda: len(follow.printed()) == 1)
        assert follow.totals().lines == 3
        assert follow.stop() == 0
        assert "Traceback" not in follow.err()

    def test_read_only_database_is_a_clear_error(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """A state database the user cannot write: exit 7, one clear line, no traceback."""
        append(logs / "mail.log", [line(0)])
        subprocess.run(
            [sys.executable, "-m", "kerio_watch", "scan", "--db", str(follow.db), str(logs)],
            capture_output=True,
            check=True,
        )
        with read_only(follow.db):
            proc = follow.start()
            assert proc.wait(10) == 7
        err = follow.err()
        assert "cannot write the state database" in err and "state.db" in err
        assert "Traceback" not in err
        with sqlite3.connect(f"file:{follow.db}?mode=ro", uri=True) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    def test_full_disk_is_survived(self, follow: Follow, logs: Path) -> None:
        """Writes fail (file size limit): logged clearly, retried, then nothing lost."""
        append(logs / "mail.log", [line(0)])
        proc = follow.start()
        wait_for(lambda: follow.totals().lines == 1)
        soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (1, hard))
        append(logs / "mail.log", [line(1), line(2, bad=True), line(3)])
        wait_for(lambda: "event=state_write_failed" in follow.err())
        assert follow.printed() == []
        assert proc.poll() is None
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (soft, hard))
        wait_for(lambda: "event=state_write_recovered" in follow.err(), timeout=15)
        wait_for(lambda: len(follow.printed()) == 1)
        assert follow.totals().lines == 4
        assert follow.stop() == 0
        err = follow.err()
        assert "Traceback" not in err and "disk may be full" in err
        with sqlite3.connect(follow.db) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    def test_stop_while_the_disk_is_full(self, follow: Follow, logs: Path) -> None:
        """SIGTERM while writes fail: exit 1, said clearly; the last commit stays intact."""
        append(logs / "mail.log", [line(0)])
        proc = follow.start()
        wait_for(lambda: follow.totals().lines == 1)
        _soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (1, hard))
        append(logs / "mail.log", [line(1)])
        wait_for(lambda: "event=state_write_failed" in follow.err())
        assert follow.stop() == 1
        err = follow.err()
        assert "event=stopped status=1" in err and "Traceback" not in err
        assert follow.totals().lines == 1
        with sqlite3.connect(follow.db) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


class TestBadInput:
    """Mistakes on the command line get one clear line and an exit status."""

    def test_missing_path(self, tmp_path: Path) -> None:
        """A log directory that does not exist."""
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kerio_watch",
                "follow",
                "--db",
                str(tmp_path / "s.db"),
                str(tmp_path / "nowhere"),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
        assert result.returncode == 5
        assert "no such file or directory" in result.stderr
        assert "Traceback" not in result.stderr

    def test_bad_config(self, tmp_path: Path, logs: Path) -> None:
        """An invalid configuration stops the start."""
        config = tmp_path / "bad.toml"
        config.write_text("[site]\ntimezone = 'Mars/Olympus'\n")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kerio_watch",
                "follow",
                "--config",
                str(config),
                "--db",
                str(tmp_path / "s.db"),
                str(logs),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
        assert result.returncode == 3
        assert "timezone" in result.stderr and "Traceback" not in result.stderr

    def test_a_zone_the_logs_contradict_is_told(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """[site] timezone set to another zone than the server's (a UTC+1 site said to
        be in Tokyo): a warning once, naming what the Queue-IDs say."""
        config = tmp_path / "kw.toml"
        config.write_text('[site]\ntimezone = "Asia/Tokyo"\n')
        follow.extra = ("--config", str(config))
        append(logs / "mail.log", dataset(20))
        follow.start()
        wait_for(lambda: "event=timezone_doubt" in follow.err())
        append(logs / "mail.log", dataset(40)[40:])
        wait_for(lambda: follow.totals().lines == 80)
        assert follow.stop() == 0
        err = follow.err()
        assert err.count("event=timezone_doubt") == 1
        assert "disagrees with the logs" in err and "at UTC+01:00" in err
