"""One writer per state database (issue 9, defect 3), and readers that never wait.

``scan`` and ``follow`` both run the whole pipeline over the database; two at once
allocated the same incident ids and overwrote each other's rows. Now the second is
refused (exit status 6) with one clear line; ``ack`` and the dashboard's buttons go
through the acknowledgement queue a running writer applies; read-only commands never
wait for anyone.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner, Result

if TYPE_CHECKING:
    from kerio_watch.store.lock import WriterLock

from kerio_watch.cli import main
from test_follow_cli import Follow, append, dataset, line, started, wait_for


def writer_lock(db: Path, role: str) -> WriterLock:
    from kerio_watch.store.lock import WriterLock  # noqa: PLC0415 (new in issue 9)

    return WriterLock(db, role)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kerio_watch", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


class TestOneWriter:
    def test_scan_is_refused_while_follow_runs(self, follow: Follow, logs: Path) -> None:
        """The issue: a scan beside a running follower mixed up their incidents. Now it
        is refused, touches nothing, and the follower goes on (main: exit 0, ids mixed)."""
        append(logs / "mail.log", dataset(300))
        proc = follow.start()
        wait_for(lambda: follow.totals().lines == 600)
        before = run("incidents", "--db", str(follow.db), "--format", "jsonl").stdout
        result = cli("scan", "--db", str(follow.db), "--no-progress", str(logs))
        assert result.returncode == 6, result.stderr
        assert f"kerio-watch follow (pid {proc.pid}) is writing to {follow.db}" in result.stderr
        assert "mix up their incidents" in result.stderr and "Traceback" not in result.stderr
        assert run("incidents", "--db", str(follow.db), "--format", "jsonl").stdout == before
        append(logs / "mail.log", [line(900, bad=True)])
        wait_for(lambda: follow.totals().lines == 601)
        assert follow.stop() == 0

    def test_follow_is_refused_while_a_scan_writes(self, follow: Follow, logs: Path) -> None:
        """And the other way round, with the scan's pid in the message."""
        append(logs / "mail.log", [line(0)])
        with writer_lock(follow.db, "scan"):
            proc = follow.start()
            assert proc.wait(10) == 6
        assert f"kerio-watch scan (pid {os.getpid()}) is writing" in follow.err()
        assert "Traceback" not in follow.err()

    def test_two_scans(self, tmp_path: Path, logs: Path) -> None:
        """A second scan waits for nobody: it is refused at once."""
        append(logs / "mail.log", [line(0)])
        db = tmp_path / "state.db"
        with writer_lock(db, "scan"):
            result = run("scan", "--db", str(db), str(logs))
            status = run("status", "--db", str(db))
        assert result.exit_code == 6
        assert "kerio-watch scan (pid" in result.stderr and "wait until it has finished" in (
            result.stderr
        )
        assert status.exit_code == 5  # no database yet (a path): the refused scan made none
        assert run("scan", "--db", str(db), str(logs)).exit_code == 0


class TestCooperating:
    def test_a_scan_between_two_follower_runs(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """The service stopped, a scan of the same logs into its database, the service
        started again: every line processed once, as one scan of them all (was: the
        follower read again from its positions what the scan had processed: 1,056
        sends in the baseline for 800)."""
        lines = dataset(400)
        append(logs / "mail.log", lines[:400])
        follow.start()
        wait_for(lambda: follow.totals().lines == 400)
        assert follow.stop() == 0
        append(logs / "mail.log", lines[400:])
        assert cli("scan", "--db", str(follow.db), str(logs)).returncode == 0
        follow.start()
        wait_for(lambda: follow.totals().lines == 800)
        assert follow.stop() == 0
        (tmp_path / "ref").mkdir()
        append(tmp_path / "ref" / "mail.log", lines)
        assert cli("scan", "--db", str(tmp_path / "ref.db"), str(tmp_path / "ref")).returncode == 0

        def sends(db: Path) -> object:
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT sum(count) FROM activity").fetchone()[0]

        assert sends(follow.db) == sends(tmp_path / "ref.db")

    def test_ack_while_follow_runs_is_kept(self, follow: Follow, logs: Path) -> None:
        """ack is not refused: the follower applies it and never writes it back undone."""
        append(logs / "mail.log", dataset(300))
        follow.start()
        wait_for(lambda: len(follow.printed()) == 2)
        incident = follow.printed()[0]["incident"]
        result = cli("ack", "--db", str(follow.db), str(incident), "--resolve")
        assert result.returncode == 0, result.stderr
        append(logs / "mail.log", [line(700 + i) for i in range(20)])
        wait_for(lambda: follow.totals().lines == 620)
        assert follow.stop() == 0
        rows = run("incidents", "--db", str(follow.db), "--format", "jsonl").stdout
        statuses = {d["id"]: d["status"] for d in map(json.loads, rows.splitlines())}
        assert statuses[incident] == "resolved"

    def test_readers_never_wait(self, follow: Follow, logs: Path) -> None:
        """With the follower running and another program holding SQLite's write lock,
        status, incidents, report, user and db check answer at once."""
        append(logs / "mail.log", dataset(300))
        follow.start()
        wait_for(lambda: len(follow.printed()) == 2)
        holder = sqlite3.connect(follow.db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            db = str(follow.db)
            for args in (
                ("status",),
                ("incidents",),
                ("report", "--format", "json"),
                ("user", "user0@example.com"),
                ("db", "check"),
            ):
                began = time.monotonic()
                result = cli(*args, "--db", db)
                assert result.returncode == 0, (args, result.stderr)
                assert time.monotonic() - began < 8, args
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert follow.stop() == 0

    def test_status_names_the_writer(self, follow: Follow, logs: Path) -> None:
        """status says who writes: the follower, or a scan."""
        append(logs / "mail.log", [line(0)])
        follow.start()
        wait_for(started(follow))
        assert follow.stop() == 0
        with writer_lock(follow.db, "scan"):
            result = run("status", "--db", str(follow.db), "--format", "json")
            text = run("status", "--db", str(follow.db)).stdout
        report = json.loads(result.stdout)
        assert report["running"] is False
        assert report["writer"] == {"role": "scan", "pid": os.getpid()}
        assert f"kerio-watch scan (pid {os.getpid()}) is writing" in text
