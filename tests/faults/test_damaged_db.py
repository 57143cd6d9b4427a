"""A damaged, lost or unwritable state database (issue 9, defects 4 and 5).

The follower says exactly what happened and what was not processed, and exits (status
7) so that its supervisor acts; ``db check`` gives a verdict; ``db recover`` rebuilds
from the logs, raising what was never raised and re-sending nothing the sinks had.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import time
from pathlib import Path

from faultlib import cli, delivered, scanned, sink_config, site_lines
from test_follow_cli import Follow, append, read_only, wait_for


def lose_contents(db: Path) -> None:
    """What a truncation does to a running database: the file cut to its first page, its
    write-ahead log emptied and its shared index cleared."""
    os.truncate(db, 4096)
    for suffix, size in (("-wal", 0), ("-shm", None)):
        part = Path(f"{db}{suffix}")
        if part.exists():
            if size is None:
                part.write_bytes(bytes(part.stat().st_size))
            else:
                os.truncate(part, size)


def overwrite(db: Path) -> None:
    """Garbage over the middle of a stopped database (and its write-ahead log, whose
    pages would otherwise still be read)."""
    for part in (db, Path(f"{db}-wal")):
        if part.exists():
            size = part.stat().st_size
            with part.open("r+b") as handle:
                handle.seek(min(4096, size // 2))
                handle.write(b"\xa5" * max(0, size - min(4096, size // 2) - 1024))


class TestDamagedWhileRunning:
    def test_reported_exactly_then_recovered_without_resending(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """The issue: the file is truncated under a running follower. Main said "the disk
        may be full", lost="nothing", retried forever (or silently started afresh and
        re-sent every alert). Now: event=state_damaged with what was not processed, exit
        7 within seconds; db check says DAMAGED; db recover raises every alert the lines
        after the damage hold and re-sends none the sink had."""
        lines = site_lines(800)
        config = sink_config(tmp_path)
        append(logs / "mail.log", lines[:800])
        proc = follow.start("--config", str(config))
        wait_for(lambda: follow.totals().lines == 800, timeout=20)
        wait_for(lambda: sum(delivered(tmp_path).values()) == len(follow.printed()) >= 5)
        before = delivered(tmp_path)
        time.sleep(1)  # idle: nothing half-written
        lose_contents(follow.db)
        append(logs / "mail.log", lines[800:])
        assert proc.wait(30) == 7
        err = follow.err()
        assert "event=state_damaged" in err and "event=giving_up" in err
        assert f'not_processed="{logs / "mail.log"} from byte' in err
        assert "disk may be full" not in err and 'lost="nothing' not in err
        assert "db recover" in err and "Traceback" not in err
        assert cli("db", "check", "--db", str(follow.db)).returncode == 7

        result = cli("db", "recover", "--db", str(follow.db), "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert "kept the damaged file as" in result.stdout
        after = delivered(tmp_path)
        assert max(after.values()) == 1  # nothing delivered twice
        assert after == scanned(tmp_path, lines)  # and nothing missing
        assert sum(after.values()) > sum(before.values())
        assert cli("db", "check", "--db", str(follow.db)).returncode == 0
        proc = follow.start("--config", str(config))
        append(logs / "mail.log", lines[-2:])
        wait_for(lambda: follow.totals().lines == len(lines) + 2)  # the logs, from the start
        assert follow.totals().already_seen == len(lines)  # ... all processed by the rebuild
        assert follow.stop() == 0
        assert delivered(tmp_path) == after

    def test_restart_on_a_damaged_file_says_what_to_do(self, follow: Follow, logs: Path) -> None:
        """A damaged file at start: exit 7 and the next step (main: exit 1, no next step)."""
        append(logs / "mail.log", site_lines(200))
        follow.start()
        wait_for(lambda: follow.totals().lines == 400)
        assert follow.stop() == 0
        overwrite(follow.db)
        assert follow.start().wait(20) == 7
        err = follow.err()
        assert "the state database is damaged" in err and "kerio-watch db recover" in err
        assert "Traceback" not in err

    def test_a_deleted_database_is_not_silently_started_afresh(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """Deleting the database made main start afresh and re-send every alert; its
        journal now says it held data: refused, with the way out."""
        config = sink_config(tmp_path)
        append(logs / "mail.log", site_lines(300))
        follow.start("--config", str(config))
        wait_for(lambda: follow.totals().lines == 600)
        wait_for(lambda: sum(delivered(tmp_path).values()) == len(follow.printed()) >= 1)
        assert follow.stop() == 0
        sent = delivered(tmp_path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{follow.db}{suffix}").unlink(missing_ok=True)
        assert follow.start("--config", str(config)).wait(20) == 7
        assert "shows it held data" in follow.err()
        assert delivered(tmp_path) == sent
        result = cli("db", "recover", "--db", str(follow.db), "--config", str(config))
        assert result.returncode == 0, result.stderr
        assert delivered(tmp_path) == sent


class TestCheckAndRecover:
    def test_check(self, follow: Follow, logs: Path) -> None:
        """A verdict and an exit status, in text and JSON."""
        append(logs / "mail.log", site_lines(200))
        follow.start()
        wait_for(lambda: follow.totals().lines == 400)
        ok = cli("db", "check", "--db", str(follow.db))  # while the follower runs
        assert ok.returncode == 0 and "verdict: ok" in ok.stdout
        assert follow.stop() == 0
        overwrite(follow.db)
        bad = cli("db", "check", "--db", str(follow.db), "--format", "json")
        assert bad.returncode == 7
        report = json.loads(bad.stdout)
        assert report["ok"] is False and report["problems"]
        missing = cli("db", "check", "--db", str(follow.db.with_name("none.db")))
        assert missing.returncode == 5 and "no such database" in missing.stderr

    def test_recover_keeps_decisions_and_refuses_beside_a_follower(
        self, follow: Follow, logs: Path, tmp_path: Path
    ) -> None:
        """An incident marked benign stays benign after the rebuild; recover does not run
        while a follower writes (exit 6)."""
        append(logs / "mail.log", site_lines(300))
        follow.start()
        wait_for(lambda: len(follow.printed()) >= 2)
        incident = follow.printed()[0]["incident"]
        assert (
            cli(
                "ack",
                "--db",
                str(follow.db),
                str(incident),
                "--benign",
                "--yes",
                "--override-critical",
            ).returncode
            == 0
        )
        busy = cli("db", "recover", "--db", str(follow.db), "--force")
        assert busy.returncode == 6 and "kerio-watch follow (pid" in busy.stderr
        wait_for(lambda: follow.totals().lines == 600)
        assert follow.stop() == 0
        key = json.loads(cli("incidents", "--db", str(follow.db), "--format", "jsonl").stdout
                         .splitlines()[-1])["key"]  # fmt: skip
        overwrite(follow.db)
        result = cli("db", "recover", "--db", str(follow.db))
        assert result.returncode == 0, result.stderr
        assert "decisions re-applied: 1" in result.stdout
        rows = cli("incidents", "--db", str(follow.db), "--format", "jsonl").stdout.splitlines()
        statuses = {d["key"]: d["status"] for d in map(json.loads, rows)}
        assert key in statuses
        assert "benign" in statuses.values()

    def test_a_path_with_uri_characters(self, tmp_path: Path, logs: Path) -> None:
        """``#``, ``?`` and ``%`` in the database's path (was: the read-only commands
        opened, and created, another file, and db check called the database damaged and
        told to recover it)."""
        append(logs / "mail.log", site_lines(50))
        folder = tmp_path / "kw #1? 100%20"
        db = str(folder / "st#ate?a=1%41.db")
        assert cli("scan", "--db", db, str(logs)).returncode == 0
        check = cli("db", "check", "--db", db)
        assert check.returncode == 0 and "verdict: ok" in check.stdout
        for args in (("status",), ("incidents",), ("report",), ("db", "recover")):
            result = cli(*args, "--db", db)
            assert result.returncode == 0, (args, result.stderr)
            assert "damaged" not in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["kw #1? 100%20", "logs"]

    def test_recover_a_sound_database_does_nothing(self, tmp_path: Path, logs: Path) -> None:
        append(logs / "mail.log", site_lines(50))
        db = str(tmp_path / "s.db")
        assert cli("scan", "--db", db, str(logs)).returncode == 0
        result = cli("db", "recover", "--db", db)
        assert result.returncode == 0 and "nothing to recover" in result.stdout


def read_only_dir(path: Path) -> contextlib.AbstractContextManager[None]:
    """A directory this user cannot write (root: the immutable flag)."""
    return read_only(path, (0o555, 0o755))


class TestUnwritable:
    def test_read_only_state_directory(self, tmp_path: Path, logs: Path) -> None:
        """Which path, why, what to do, exit 7 (main: "unable to open database file",
        exit 1)."""
        append(logs / "mail.log", site_lines(20))
        state = tmp_path / "state"
        state.mkdir()
        db = str(state / "state.db")
        with read_only_dir(state):
            for args in (
                ("scan", "--db", db, str(logs)),
                ("follow", "--db", db, str(logs)),
            ):
                result = cli(*args, timeout=20)
                assert result.returncode == 7, (args, result.stderr)
                assert f"the directory {state} is not writable for" in result.stderr
                assert "--db" in result.stderr and "unable to open" not in result.stderr
            # ack never creates a database: there is none to decide in (exit 5, a path).
            result = cli("ack", "--db", db, "1", "--resolve", timeout=20)
            assert result.returncode == 5 and "no such database" in result.stderr

    def test_read_only_database_file(self, tmp_path: Path, logs: Path) -> None:
        append(logs / "mail.log", site_lines(20))
        db = tmp_path / "state.db"
        assert cli("scan", "--db", str(db), str(logs)).returncode == 0
        with read_only(db):
            result = cli("scan", "--db", str(db), str(logs))
        assert result.returncode == 7
        assert "cannot write the state database" in result.stderr

    def test_full_disk_gives_up_after_the_bound(self, follow: Follow, logs: Path) -> None:
        """Writes that keep failing: logged, retried, then exit 7 so the supervisor acts."""
        append(logs / "mail.log", site_lines(5))
        proc = follow.start("--give-up-after", "1")  # the least: one retry, then it gives up
        wait_for(lambda: follow.totals().lines == 10)
        _soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (1, hard))
        append(logs / "mail.log", site_lines(8)[10:])
        assert proc.wait(30) == 7
        err = follow.err()
        assert "event=state_write_failed" in err and "event=giving_up" in err
        assert "disk may be full" in err and "Traceback" not in err
