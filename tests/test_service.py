"""The follow service in-process: restarts, log time across DST, scan then follow, logging.

The service runs in a thread over real files and a real SQLite database; tests stop it
with :meth:`FollowService.stop` (what SIGTERM does) and start a new one to restart.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kerio_watch.errors import StoreError
from kerio_watch.service import (
    FollowLock,
    FollowService,
    KeyValueFormatter,
    ServiceOptions,
    Totals,
    follower_running,
)
from kerio_watch.sources.follow import FollowOptions
from kerio_watch.store import open_store
from kerio_watch.store.lock import lock_path
from kerio_watch.values.alert import Alert
from logtools import kerio_stamp, queue_id


def recv(local: dt.datetime, utc: dt.datetime, n: int, user: str, sender: str) -> str:
    """A Recv line written at local wall time ``local`` (UTC instant ``utc``)."""
    host = "192.168.1.20" if sender == user else "203.0.113.9"
    return (
        f"{kerio_stamp(local)} Recv: Queue-ID: {queue_id(utc, n)}, Service: SMTP, "
        f"From: <{sender}>, To: <p{n}@partner.test>, Size: 1200, Sender-Host: {host}, "
        f"User: {user}, SSL: yes, Subject: s{n}, Msg-Id: <{n}@mail.example.com>"
    )


def append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines))


class Running:
    """A FollowService in a background thread, with what it printed."""

    def __init__(self, logs: Path, db: Path, config: Path | None, **options: object) -> None:
        self.alerts: list[Alert] = []
        follow = FollowOptions(**options)  # type: ignore[arg-type]
        self.service = FollowService(
            [str(logs)],
            config,
            db,
            self.alerts.append,
            ServiceOptions(poll=0.02, save_every=0.1, follow=follow),
        )
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.service.run()
        except BaseException as exc:
            self.error = exc

    def stop(self) -> None:
        self.service.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def totals(db: Path) -> Totals:
    if not db.exists():
        return Totals()
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'follow.stats'").fetchone()
    except sqlite3.Error:
        return Totals()
    return Totals.from_json(row[0] if row else None)


def initialized(db: Path) -> bool:
    """A follower's first save is committed (it has placed the files it follows)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT 1 FROM meta WHERE key = 'follow.initialized'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.01)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """(log directory, database, config with the Berlin zone)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    config = tmp_path / "kw.toml"
    config.write_text('[site]\ntimezone = "Europe/Berlin"\nlocal_domains = ["example.com"]\n')
    yield logs, tmp_path / "state.db", config


BERLIN = dt.timezone(dt.timedelta(hours=1))


class TestRestarts:
    """What a restart must not lose or repeat."""

    def test_lines_sharing_a_second_across_a_restart(self, site: tuple[Path, Path, Path]) -> None:
        """Lines of one second on both sides of a checkpoint are all processed once."""
        logs, db, config = site
        local = dt.datetime(2026, 3, 10, 9, 0, 0)
        utc = local - dt.timedelta(hours=1)
        user = "alice@example.com"
        first = [recv(local, utc, n, user, user) for n in range(5)]
        second = [recv(local, utc, n, user, user) for n in range(5, 12)]
        append(logs / "mail.log", first)
        run = Running(logs, db, config)
        wait_for(lambda: totals(db).lines == 5)
        run.stop()
        append(logs / "mail.log", second)
        run = Running(logs, db, config)
        wait_for(lambda: totals(db).lines == 12)
        run.stop()
        assert totals(db).events["message_received"] == 12

    def test_an_alert_saved_but_not_printed_is_printed_at_the_next_start(
        self, site: tuple[Path, Path, Path]
    ) -> None:
        """Killed after the save that recorded an alert and before printing it: the next
        start prints it (once; a third start prints nothing). It was lost from stdout."""
        logs, db, config = site
        local = dt.datetime(2026, 3, 10, 9, 0, 0)
        utc = local - dt.timedelta(hours=1)
        append(logs / "mail.log", [recv(local, utc, 1, "bob@example.com", "x1@evil.test")])

        class Died(BaseException):
            """The process ends here."""

        def die(_alert: Alert) -> None:
            raise Died

        options = ServiceOptions(poll=0.02, save_every=0.1)
        with pytest.raises(Died):
            FollowService([str(logs)], config, db, die, options).run()
        store = open_store(db, readonly=True)
        try:
            (saved,) = store.alerts()
        finally:
            store.close()
        run = Running(logs, db, config)
        wait_for(lambda: run.alerts)
        time.sleep(0.3)
        run.stop()
        assert [a.id for a in run.alerts] == [saved.id]
        again = Running(logs, db, config)
        time.sleep(0.3)
        again.stop()
        assert again.alerts == []
        # killed after printing it (the journal has it) but before the next save
        with sqlite3.connect(db) as conn:
            conn.execute(
                "UPDATE meta SET value = ? WHERE key = 'follow.unprinted'",
                (json.dumps([saved.to_dict()]),),
            )
        third = Running(logs, db, config)
        time.sleep(0.3)
        third.stop()
        assert third.alerts == []

    def test_daylight_saving_ends_with_a_restart_in_the_repeated_hour(
        self, site: tuple[Path, Path, Path]
    ) -> None:
        """02:00-03:00 happens twice on 25 Oct 2026 in Berlin: every line counts once."""
        logs, db, config = site
        user = "bob@example.com"
        start = dt.datetime(2026, 10, 24, 23, 30, tzinfo=dt.UTC)  # 01:30 CEST
        lines = []
        for n in range(240):  # one line a minute for four hours, across the change
            utc = start + dt.timedelta(minutes=n)
            local = utc.astimezone(_berlin()).replace(tzinfo=None)
            sender = f"x{n}@evil.test" if n in (60, 100, 150) else user
            lines.append(recv(local, utc.replace(tzinfo=None), n, user, sender))
        # The log's own clock goes back an hour at line 90 (01:00 UTC).
        assert lines[89][13:21] == "02:59:00" and lines[90][13:21] == "02:00:00"
        append(logs / "mail.log", lines[:100])  # stop inside the second pass of 02:xx
        run = Running(logs, db, config)
        wait_for(lambda: totals(db).lines == 100)
        run.stop()
        append(logs / "mail.log", lines[100:])
        run2 = Running(logs, db, config)
        wait_for(lambda: totals(db).lines == 240)
        run2.stop()
        assert totals(db).events["message_received"] == 240
        store = open_store(db, readonly=True)
        try:
            stored = sorted((a.user, a.rule, a.ts) for a in store.alerts())
        finally:
            store.close()
        # The same lines scanned at once, into another database.
        scanned = _scan(logs.parent / "ref", lines, config)
        assert stored == scanned
        assert [a.ts for a in run.alerts + run2.alerts] == sorted(a[2] for a in stored)

    def test_wall_clock_jumps_do_not_matter(
        self, site: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The wall clock going back an hour (NTP, a VM restore) changes nothing."""
        logs, db, config = site
        user = "carol@example.com"
        local = dt.datetime(2026, 3, 10, 9, 0, 0)
        append(logs / "mail.log", [recv(local, local, 0, user, user)])
        run = Running(logs, db, config)
        wait_for(lambda: totals(db).lines == 1)
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() - 3600)
        later = local + dt.timedelta(minutes=1)
        append(logs / "mail.log", [recv(later, later, 1, user, "ceo@evil.test")])
        wait_for(lambda: len(run.alerts) == 1)
        monkeypatch.setattr(time, "time", lambda: real() + 86400)
        append(logs / "mail.log", [recv(later, later, 2, user, user)])
        wait_for(lambda: totals(db).lines == 3)
        run.stop()

    def test_no_backfill_then_resume(self, site: tuple[Path, Path, Path]) -> None:
        """--no-backfill skips what is there at the first start only."""
        logs, db, config = site
        user = "dave@example.com"
        t = dt.datetime(2026, 3, 10, 9, 0, 0)
        append(logs / "mail.log", [recv(t, t, n, user, user) for n in range(3)])
        run = Running(logs, db, config, backfill=False)
        # Once it has placed the files (a fixed 0.1 s was shorter than a start that
        # opens the database slowly: line 3 was skipped too and the wait below failed).
        wait_for(lambda: initialized(db))
        append(logs / "mail.log", [recv(t, t, 3, user, user)])
        wait_for(lambda: totals(db).lines == 1)
        run.stop()
        append(logs / "mail.log", [recv(t, t, 4, user, user)])
        run = Running(logs, db, config, backfill=False)
        wait_for(lambda: totals(db).lines == 2)
        run.stop()


class TestScanThenFollow:
    """A database a scan filled: follow does not count those lines again."""

    def test_follow_skips_what_scan_processed(self, site: tuple[Path, Path, Path]) -> None:
        """The first start backfills, but lines scanned before are already seen."""
        logs, db, config = site
        user = "erin@example.com"
        t = dt.datetime(2026, 3, 10, 9, 0, 0)
        old = [recv(t + dt.timedelta(seconds=n), t, n, user, user) for n in range(4)]
        old.append(recv(t + dt.timedelta(seconds=5), t, 5, user, "x@evil.test"))
        _scan_into(logs, old, config, db)
        run = Running(logs, db, config)
        wait_for(lambda: totals(db).lines == 5)
        assert totals(db).already_seen == 5
        new = t + dt.timedelta(minutes=5)
        append(logs / "mail.log", [recv(new, new, 9, user, user)])
        wait_for(lambda: totals(db).lines == 6)
        run.stop()
        assert totals(db).events["message_received"] == 1
        assert run.alerts == []  # the scan reported it already


class TestTimebase:
    """Without a configured zone the inferred offset survives restarts."""

    def test_inferred_offset_is_kept(self, tmp_path: Path) -> None:
        """The UTC offset learned from Queue-IDs is stored and reused."""
        logs = tmp_path / "logs"
        logs.mkdir()
        db = tmp_path / "state.db"
        local = dt.datetime(2026, 3, 10, 9, 0, 0)
        utc = local - dt.timedelta(hours=1)
        user = "fred@example.com"
        append(logs / "mail.log", [recv(local, utc, 0, user, user)])
        run = Running(logs, db, None)
        wait_for(lambda: totals(db).lines == 1)
        run.stop()
        store = open_store(db, readonly=True)
        try:
            assert store.get_meta("follow.timebase_delta") == "-3600"
            assert store.get_meta("follow.last_event") == "2026-03-10T09:00:00+01:00"
        finally:
            store.close()


class TestLockAndLog:
    """One follower per database; the service log format."""

    def test_second_lock_is_refused(self, tmp_path: Path) -> None:
        """The lock names the holder; status sees it; it goes with its holder."""
        db = tmp_path / "state.db"
        first = FollowLock(db)
        first.acquire()
        assert follower_running(db)[0] is True
        with pytest.raises(StoreError, match="already using"):
            FollowLock(db).acquire()
        first.release()
        assert follower_running(db) == (False, None)

    def test_a_status_probe_does_not_refuse_a_starting_follower(self, tmp_path: Path) -> None:
        """``status`` looks at the lock by taking a shared flock for an instant. A follower
        starting in that instant was refused as if another one ran ("pid ?", exit 6): 438
        of 20,000 starts beside a probing loop. It waits for probes, not for a writer."""
        db = tmp_path / "state.db"
        with FollowLock(db):
            pass  # the lock file exists, as after any earlier run
        probe = os.open(lock_path(db), os.O_RDONLY)
        fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)  # caught while it looks
        timer = threading.Timer(0.2, os.close, [probe])
        timer.start()
        lock = FollowLock(db)
        try:
            lock.acquire()
            assert follower_running(db) == (True, os.getpid())
        finally:
            timer.join()
            lock.release()

    def test_key_value_and_json_lines(self) -> None:
        """Values with spaces or quotes are quoted; JSON lines are valid JSON."""
        record = logging.LogRecord("kerio_watch.service", 20, "x", 1, "rotation", None, None)
        record.kv = {"path": "/var/log/a b.log", "ok": True, "n": 3}
        line = KeyValueFormatter().format(record)
        assert 'event=rotation path="/var/log/a b.log" ok=true n=3' in line
        data = json.loads(KeyValueFormatter(as_json=True).format(record))
        assert data["path"] == "/var/log/a b.log" and data["event"] == "rotation"

    def test_controls_in_values_are_escaped(self) -> None:
        """A path (or any value from outside) with a C1 control or a bidi override is
        written as escapes in both forms, never as a raw terminal control."""
        record = logging.LogRecord("kerio_watch.service", 20, "x", 1, "rotation", None, None)
        record.kv = {"path": "/logs/\x9b2Jmail\u202e.log"}
        for as_json in (False, True):
            line = KeyValueFormatter(as_json=as_json).format(record)
            assert "\x9b" not in line and "\u202e" not in line
            assert "\\u009b" in line and "\\u202e" in line

    def test_totals_survive_damage(self) -> None:
        """Stored totals round-trip; damaged ones read as zero, not as a crash."""
        t = Totals(lines=3, unparsed=1, alerts=2)
        t.events["message_received"] = 3
        assert Totals.from_json(t.to_json()) == t
        assert Totals.from_json("{not json") == Totals()
        assert Totals.from_json("[1, 2]") == Totals()


def _berlin() -> dt.tzinfo:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    return ZoneInfo("Europe/Berlin")


def _scan_into(logs: Path, lines: list[str], config: Path, db: Path) -> None:
    from kerio_watch.cli.scan import run_scan  # noqa: PLC0415

    append(logs / "mail.log", lines)
    run_scan((str(logs),), config, db, None, show_progress=False)


def _scan(ref: Path, lines: list[str], config: Path) -> list[tuple[str | None, str, int]]:
    ref.mkdir()
    db = ref / "scan.db"
    _scan_into(ref, lines, config, db)
    store = open_store(db, readonly=True)
    try:
        return sorted((a.user, a.rule, a.ts) for a in store.alerts())
    finally:
        store.close()


def postfix(n: int, start: int = 0) -> list[str]:
    """``n`` lines of a Postfix log as a syslog server writes it (framed like Kerio's
    logs forwarded there)."""
    return [
        f"Dec  7 01:{i // 60 % 60:02d}:{i % 60:02d} mx postfix/smtpd[1234]: "
        f"connect from unknown[203.0.113.{i % 250}]"
        for i in range(start, start + n)
    ]


def saved_lines(db: Path, n: int) -> Callable[[], bool]:
    """Whether the follower's saved totals count ``n`` lines."""
    return lambda: totals(db).lines == n


def not_kerio_events(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "not_kerio"]


class TestAnotherProgramsLog:
    """``follow`` pointed at another program's log (a Postfix log in syslog framing)
    waited and said nothing: the administrator believed it was watching. The service
    log names such a file once; it is still followed."""

    def test_named_once_after_its_first_read(
        self, site: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="kerio_watch")
        logs, db, config = site
        append(logs / "maillog", postfix(30))
        run = Running(logs, db, config)
        try:
            wait_for(lambda: not_kerio_events(caplog))
            append(logs / "maillog", postfix(120, 30))
            wait_for(lambda: totals(db).lines == 150)
        finally:
            run.stop()
        named = not_kerio_events(caplog)
        assert len(named) == 1, named
        fields = named[0].kv  # type: ignore[attr-defined]
        assert fields["path"] == str(logs / "maillog") and fields["lines"] == 30
        assert "none of its lines is from a Kerio Connect log" in fields["hint"]
        assert named[0].levelno == logging.WARNING

    def test_a_few_lines_wait_for_more(
        self, site: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
    ) -> None:
        """Fewer than 20 lines at the first read: named once 100 lines were read."""
        caplog.set_level(logging.INFO, logger="kerio_watch")
        logs, db, config = site
        append(logs / "maillog", postfix(5))
        run = Running(logs, db, config)
        try:
            wait_for(lambda: totals(db).lines == 5)
            for start in range(5, 100, 19):
                append(logs / "maillog", postfix(min(19, 100 - start), start))
                wait_for(saved_lines(db, min(start + 19, 100)))
            wait_for(lambda: not_kerio_events(caplog))
        finally:
            run.stop()
        named = not_kerio_events(caplog)
        assert [r.kv["lines"] for r in named] == [100]  # type: ignore[attr-defined]

    def test_a_kerio_log_is_not_named(
        self, site: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
    ) -> None:
        """A Kerio log with an odd line among its lines is not named."""
        caplog.set_level(logging.INFO, logger="kerio_watch")
        logs, db, config = site
        local = dt.datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN)
        lines = [
            recv(
                local + dt.timedelta(seconds=n),
                (local + dt.timedelta(seconds=n)).astimezone(dt.UTC),
                n,
                "alice@example.com",
                "alice@example.com",
            )
            for n in range(30)
        ]
        append(logs / "mail.log", ["[10/Mar/2026 09:00:00] not a Recv line", *lines])
        run = Running(logs, db, config)
        try:
            wait_for(lambda: totals(db).lines == 31)
        finally:
            run.stop()
        assert not not_kerio_events(caplog)
