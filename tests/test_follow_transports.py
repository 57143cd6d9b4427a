"""End to end: ``follow`` finds what ``scan`` finds, whatever the transport, copies included.

The simulated site of ``tests/test_transports.py`` is written as it happens: its logs in
three steps of log time (the first before the follower starts), each file rotated
(renamed, a new one started) between the second and the third, in each transport the
follower reads (plain, CRLF with a byte order mark, RFC 5424, RFC 3164 and rsyslog's
layouts). The follow service runs in-process over the folders, and its incidents,
event counts and unparsed lines must be those of a ``scan`` of the plain files.

Copies: the log folder with the syslog server's file of every log (present from the
start, or started after the follower: its lines from then on), a backup of each log
written while the follower runs, and a restart from the checkpoints in the middle.
Each line must count once. Waits are for the follower's own counts and polls, never of
fixed length.

Each step is written one log after another, with a poll between: the follower finds
a day or more of one log's lines before the same day's lines of the others, which the
cross-log hold waits for (a log is not taken for quiet by the stamps of another read
at once: one incident came out split in two, in every transport, when it was).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import transports as t
from kerio_watch.service import FollowService, ServiceOptions, Totals
from kerio_watch.sources.batch import Batch
from kerio_watch.sources.follow import FollowOptions
from kerio_watch.store import open_store
from kerio_watch.values.alert import Alert
from test_transports import ZONE, Logs, Outcome, Site, make_site, scan

STEPS = 3
ROTATE_BEFORE = 2
"""The step before which every file is rotated (renamed to ``.1``, a new one started)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("site"), dt.date(2026, 3, 2))


def steps(logs: Logs) -> list[Logs]:
    """The site's lines in :data:`STEPS` parts of log time (each a day or more)."""
    times = sorted(t.local_time(x) for lines in logs.values() for x in lines)
    first, last = times[0], times[-1]
    bounds = [first + (last - first) * (i + 1) / STEPS for i in range(STEPS - 1)]
    parts: list[Logs] = [{} for _ in range(STEPS)]
    for name, lines in logs.items():
        for line in lines:
            when = t.local_time(line)
            part = sum(when >= b for b in bounds)
            parts[part].setdefault(name, []).append(line)
    return parts


# -- how each log reaches the follower ------------------------------------------------
Frame = Callable[[list[str], str], list[str]]


@dataclass(frozen=True)
class Transport:
    """How a log's lines are written: framed, with this line end and byte order mark
    (files are written now: an RFC 3164 line's year is this year)."""

    name: str
    frame: Frame = lambda lines, _log: lines
    newline: str = "\n"
    bom: bool = False


TRANSPORTS = [
    Transport("plain"),
    Transport("crlf_bom", newline="\r\n", bom=True),
    Transport("rfc5424", lambda lines, log: t.rfc5424(lines, log, ZONE)),
    Transport("rfc3164", lambda lines, log: t.with_pid(t.rfc3164(lines, log), log)),
    Transport(
        "rsyslog_utc", lambda lines, log: t.rsyslog_precise(lines, log, ZONE, relay_zone="UTC")
    ),
]


def append(path: Path, lines: list[str], how: Transport, log: str) -> None:
    """Append ``lines`` of ``log`` to ``path`` as ``how`` writes them."""
    if not lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    head = b"\xef\xbb\xbf" if how.bom and not path.exists() else b""
    data = "".join(x + how.newline for x in how.frame(lines, log)).encode()
    with path.open("ab") as handle:
        handle.write(head + data)


def relay_records(part: Logs) -> list[str]:
    """Every log of one step in the relay's one file (RFC 5424, app-name ``kerio``), in
    the order the relay received them."""
    records = []
    for name, lines in part.items():
        framed = t.rfc5424(lines, name, ZONE, app="kerio")
        records += [(t.local_time(x), r) for x, r in zip(lines, framed, strict=True)]
    records.sort(key=lambda item: item[0])
    return [r for _, r in records]


# -- the follower in-process ----------------------------------------------------------
def _files_of(service: FollowService) -> str:
    """Each followed file's state, for a settle that timed out."""
    follower = service.follower
    if follower is None:
        return "none"
    rows = []
    for f in follower.files.values():
        size = os.stat(f.path).st_size if os.path.exists(f.path) else -1
        echo = f.echo
        waits = "" if echo is None else f" decided={echo.decided} since={echo.missing_since}"
        rows.append(f"{f.path} log={f.source.log} {f.state.name} at={f.offset}/{size}{waits}")
    return "; ".join(rows)


class Counted(FollowService):
    """The follow service, counting its polls and the empty ones in a row."""

    polls = 0
    quiet = 0

    def _build(self) -> None:
        super()._build()
        follower = self.follower
        assert follower is not None
        poll = follower.poll

        def counted() -> Batch:
            batch = poll()
            self.quiet = 0 if batch else self.quiet + 1
            self.polls += 1
            return batch

        follower.poll = counted  # type: ignore[method-assign]


class Running:
    """A follow service in a thread over ``paths``; :meth:`settle` waits for it."""

    def __init__(self, paths: list[Path], config: Path, db: Path) -> None:
        self.alerts: list[Alert] = []
        self.service = Counted(
            [str(p) for p in paths],
            config,
            db,
            self.alerts.append,
            ServiceOptions(poll=0.02, save_every=0.1, follow=FollowOptions(order_wait=1.0)),
        )
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.service.run()
        except BaseException as exc:
            self.error = exc

    def settle(self, lines: int, timeout: float = 120.0) -> None:
        """Wait until at least ``lines`` lines were read in all and three polls in a row
        found nothing more (the follower has looked at every file since)."""
        done = threading.Event()

        def ready() -> bool:
            s = self.service
            return s.totals.lines + _run_lines(s) >= lines and s.quiet >= 3

        deadline = timeout
        while not ready():
            if self.error is not None or not self.thread.is_alive():
                raise AssertionError(f"the follower stopped: {self.error!r}")
            deadline -= 0.02
            if deadline <= 0:
                s = self.service
                raise AssertionError(
                    f"{s.totals.lines} + {_run_lines(s)} lines read, not {lines}; "
                    f"{s.polls} polls, the last {s.quiet} empty; files: {_files_of(s)}"
                )
            done.wait(0.02)

    def polled(self, timeout: float = 60.0) -> None:
        """Wait for a whole poll after now (one that started after what was written)."""
        done = threading.Event()
        until = self.service.polls + 2
        while self.service.polls < until:
            if self.error is not None or not self.thread.is_alive():
                raise AssertionError(f"the follower stopped: {self.error!r}")
            timeout -= 0.005
            if timeout <= 0:
                raise AssertionError("no poll")
            done.wait(0.005)

    def stop(self) -> None:
        self.service.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error


def _run_lines(s: FollowService) -> int:
    """Lines this run read and not yet in its saved totals."""
    follower = s.follower
    return 0 if follower is None else follower.lines - s._marks.lines


def outcome(db: Path) -> Outcome:
    """What the follower found: incidents, events and unparsed lines (all logs as one)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'follow.stats'").fetchone()
    totals = Totals.from_json(row[0])
    store = open_store(db, readonly=True)
    try:
        found = store.incidents(limit=100_000)
    finally:
        store.close()
    return Outcome(
        Counter((i.key, i.severity.label, tuple(sorted(i.best))) for i in found),
        +totals.events,
        Counter({"all": totals.unparsed}) if totals.unparsed else Counter(),
        0,
        [],
    )


def assert_same(found: Outcome, plain: Outcome) -> None:
    assert found.events == plain.events, (
        f"only plain: {plain.events - found.events}; only here: {found.events - plain.events}"
    )
    assert sum(found.unparsed.values()) == sum(plain.unparsed.values())
    assert found.incidents == plain.incidents, (
        f"only plain: {sorted(plain.incidents - found.incidents)}; "
        f"only here: {sorted(found.incidents - plain.incidents)}"
    )


# -- scenarios ------------------------------------------------------------------------
@dataclass
class Run:
    """One follow of the site: where its files go, and what happens at each step."""

    site: Site
    root: Path
    how: Transport
    relay_from: int | None = None
    """The step from which the relay's file of every log is written (None: no relay)."""
    backup_at: int | None = None
    """The step after which a backup of every log is written beside it."""
    restart_at: int | None = None
    """The step before which the follower is stopped and started again."""
    only_relayed: str | None = None
    """A log the relay has and the folder does not."""
    lost_every: int | None = None
    """The relay loses every this many records (UDP)."""
    folder_from: int = 0
    """The first step the folder holds (the earlier ones: rotated away and deleted)."""
    start_after: int = 0
    """The step after which the follower starts."""
    forwarded: str | None = None
    """A log also forwarded to its own file on the syslog server (RFC 5424)."""
    forwarded_only_older: bool = False
    """:attr:`folder_from` holds for the forwarded log alone (the folder keeps every
    other log's older files)."""
    crlf_backup_at: int | None = None
    """The step after which a copy of every log with CRLF line ends is written beside it."""
    gzip_rotated: tuple[str, ...] = ()
    """The folders (``logs``, ``relay``) whose rotated files (``.1``) are compressed at once."""
    crlf_mirror: bool = False
    """The CRLF copy is kept up until the rotation: each later step's lines before it
    are appended to it too."""
    crlf_mirror_to: int = ROTATE_BEFORE
    """The step before which the kept-up CRLF copy stops (:data:`STEPS`: across the
    rotation, the copy not rotated with its log)."""

    @property
    def folder(self) -> Path:
        return self.root / "logs"

    @property
    def relay(self) -> Path:
        return self.root / "relay"

    def write(self, n: int, part: Logs, between: Callable[[], None] = lambda: None) -> int:
        """Write step ``n``, calling ``between`` after each log's file; the lines it adds
        (each once)."""
        if n == ROTATE_BEFORE:
            self.rotate()
        for name, lines in part.items():
            dropped = not self.forwarded_only_older or name == self.forwarded
            if name != self.only_relayed and (n >= self.folder_from or not dropped):
                append(self.folder / f"{name}.log", lines, self.how, name)
                between()
        if self.relay_from is not None and n >= self.relay_from:
            records = relay_records(part)
            if self.lost_every:
                records = [r for i, r in enumerate(records, 1) if i % self.lost_every]
            append(self.relay / "kerio", records, Transport("relay"), "")
        if self.forwarded is not None and self.forwarded in part:
            lines = t.rfc5424(part[self.forwarded], self.forwarded, ZONE)
            append(self.relay / f"{self.forwarded}.log", lines, Transport("relay"), "")
        mirrored = self.crlf_backup_at is not None and self.crlf_backup_at < n < self.crlf_mirror_to
        if self.crlf_mirror and mirrored:
            crlf = Transport("crlf", newline="\r\n")
            for name, lines in part.items():
                append(self.folder / f"{name}.log.win", lines, crlf, name)
        if self.crlf_backup_at == n:
            for name in part.keys() - {self.only_relayed}:
                live = self.folder / f"{name}.log"
                data = live.read_bytes().replace(b"\n", b"\r\n")
                live.with_name(live.name + ".win").write_bytes(data)
        if self.backup_at == n:
            for name in part.keys() - {self.only_relayed}:
                live = self.folder / f"{name}.log"
                shutil.copyfile(live, live.with_name(live.name + ".bak"))
        return sum(len(x) for x in part.values())

    def rotate(self) -> None:
        for path in [
            *self.folder.glob("*.log"),
            *self.relay.glob("kerio"),
            *self.relay.glob("*.log"),
        ]:
            path.rename(path.with_name(path.name + ".1"))
        for folder in self.gzip_rotated:
            for path in (self.root / folder).glob("*.1"):
                with path.open("rb") as src, gzip.open(f"{path}.gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                path.unlink()

    def scan(self, db: Path) -> Outcome:
        """A scan of the files the follow left (incidents, events, unparsed lines)."""
        found = scan(self.site.config, db, self.folder, self.relay)
        return Outcome(
            found.incidents,
            found.events,
            Counter({"all": found.unparsed.total()}) if found.unparsed else Counter(),
            0,
            [],
        )

    def follow(self, db: Path, timeout: float = 120.0) -> Outcome:
        self.folder.mkdir(parents=True)
        self.relay.mkdir(parents=True)
        paths = [self.folder, self.relay]
        parts = steps(self.site.logs)
        total = sum(self.write(n, part) for n, part in enumerate(parts[: self.start_after + 1]))
        run = Running(paths, self.site.config, db)
        run.settle(total, timeout)
        for n, part in enumerate(parts[self.start_after + 1 :], self.start_after + 1):
            if self.restart_at == n:
                run.stop()
            # a poll between the logs (order across logs: see the docstring)
            total += self.write(n, part, (lambda: None) if self.restart_at == n else run.polled)
            if self.restart_at == n:
                run = Running(paths, self.site.config, db)
            run.settle(total, timeout)
        run.stop()
        return outcome(db)


@pytest.mark.parametrize("how", TRANSPORTS, ids=lambda h: h.name)
def test_follow_finds_what_scan_finds_whatever_the_transport(
    site: Site, tmp_path: Path, how: Transport
) -> None:
    if how.name == "rfc3164" and dt.date.today().year != 2026:
        pytest.skip("RFC 3164 has no year: a live file's is this year's, not the site's")
    found = Run(site, tmp_path, how).follow(tmp_path / "state.db")
    assert_same(found, site.plain)


@pytest.mark.parametrize(
    ("relay_from", "backup_at", "restart_at"),
    [(0, None, None), (1, None, None), (None, 1, None), (None, None, 1), (0, 1, 2), (1, 2, 1)],
    ids=["relay", "relay_later", "backup", "restart", "relay_backup_restart", "all_later"],
)
def test_follow_reads_a_log_given_twice_once(
    site: Site,
    tmp_path: Path,
    relay_from: int | None,
    backup_at: int | None,
    restart_at: int | None,
) -> None:
    """The relay's file of every log beside the folder from the start (or from the
    second step: its lines from then on), a ``.bak`` copy of each log written beside it
    mid-run, a restart from the checkpoints: every line counts once. Before the relay's
    lines were looked for in the folder, they were all read again (every event doubled
    with the relay from the start; from the second step, 1,147 more messages received)."""
    run = Run(site, tmp_path, TRANSPORTS[0], relay_from, backup_at, restart_at)
    assert_same(run.follow(tmp_path / "state.db"), site.plain)
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)


def test_follow_reads_what_only_the_relay_has(site: Site, tmp_path: Path) -> None:
    """The relay's file of every log beside a folder without the security log: follow
    reads the relay's security lines (at once: no on-disk file of that log), the rest
    from the folder. (The relay's new file after the rotation, seen empty when a poll
    came before its first write, was ignored for good: step 2's 318 security lines were
    lost in 3 CI runs of 6.)"""
    run = Run(site, tmp_path, TRANSPORTS[0], relay_from=0, only_relayed="security")
    assert_same(run.follow(tmp_path / "state.db"), site.plain)
    # scan too reads the relay's lines the folder lacks, and only those: it read the
    # whole relay, and its other lines counted twice (2,064 deliveries, 1,710 messages
    # received, 934 mailbox operations more)
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)


def test_follow_passes_over_a_relay_that_lost_records(site: Site, tmp_path: Path) -> None:
    """A relay that lost every 50th record (UDP): its other lines are still the folder's
    (found further on in the file of their log), so none is read twice."""
    run = Run(site, tmp_path, TRANSPORTS[0], relay_from=0, lost_every=50)
    assert_same(run.follow(tmp_path / "state.db"), site.plain)
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)


def test_follow_reads_the_relay_s_lines_older_than_the_folder(site: Site, tmp_path: Path) -> None:
    """The relay's file holds the first step, the folder only what came after (its
    older files deleted) when the follower starts: those lines are read from the
    relay, without a wait (the folder's files of their logs start later), and the
    later ones from the folder."""
    run = Run(site, tmp_path, TRANSPORTS[0], relay_from=0, folder_from=1, start_after=1)
    assert_same(run.follow(tmp_path / "state.db", timeout=30.0), site.plain)
    # scan too (it read the relay's older file whole: 398 deliveries, 373 messages
    # received, 354 mailbox operations more)
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)


def test_follow_reads_a_log_forwarded_beside_the_folder_once(site: Site, tmp_path: Path) -> None:
    """The mail log also in the syslog server's file of that log (RFC 5424, app-name
    ``mail``) beside the folder, from the start and across the rotation: its lines are
    the folder's, read once (they were read twice: 1,952 deliveries more, and 116
    failed logins fewer)."""
    run = Run(site, tmp_path, TRANSPORTS[0], forwarded="mail")
    assert_same(run.follow(tmp_path / "state.db"), site.plain)
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)


def test_follow_reads_a_forwarded_log_s_lines_older_than_the_folder(
    site: Site, tmp_path: Path
) -> None:
    """The mail log's own file on the syslog server holds the first step, the folder's
    mail log only what came after (its older files deleted): those lines are read from
    the forwarded file, once, and the later ones from the folder. Scan decided the
    forwarded file whole: neither the folder's start nor a copy, it was read whole and
    its later lines counted twice."""
    run = Run(site, tmp_path, TRANSPORTS[0], forwarded="mail", folder_from=1, start_after=1,
              forwarded_only_older=True)  # fmt: skip
    follow = run.follow(tmp_path / "state.db", timeout=30.0)
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)
    assert_same(follow, site.plain)


@pytest.mark.parametrize(
    ("crlf_backup_at", "restart_at"),
    [(1, None), (1, 2), (0, None)],
    ids=["mid_run", "restart", "at_start"],
)
def test_follow_reads_a_crlf_copy_written_mid_run_once(
    site: Site, tmp_path: Path, crlf_backup_at: int, restart_at: int | None
) -> None:
    """A copy of each log saved with CRLF line ends (``mail.log.win``) written beside it
    mid-run (a restart after it; or there when the follower starts): scan reads it once,
    and so does follow (its first line, framed as the readers frame it, is its log's:
    its lines are looked for there). Follow knew a copy only by its first line's bytes
    and read it again: mid-run 176 mailbox operations more and 298 deliveries fewer;
    with the restart 827 deliveries more; there at the start 429 deliveries more."""
    run = Run(site, tmp_path, TRANSPORTS[0], restart_at=restart_at, crlf_backup_at=crlf_backup_at)
    follow = run.follow(tmp_path / "state.db")
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)
    assert_same(follow, site.plain)


def test_follow_checks_a_crlf_copy_kept_up_across_a_restart(site: Site, tmp_path: Path) -> None:
    """A CRLF copy of each log (``mail.log.win``) written beside it, then kept up (each
    later step appended to it too), and a restart: the copy's lines are still looked
    for in its log's files after the restart (the checkpoint says it is a copy).
    Before, the restarted follower took the copy for an ordinary file and read the
    lines appended to it again: 342 deliveries, 322 messages received, 249 mailbox
    operations more; 20 failed logins, a config change and a content rejection fewer."""
    run = Run(site, tmp_path, TRANSPORTS[0], restart_at=1, crlf_backup_at=0, crlf_mirror=True)
    follow = run.follow(tmp_path / "state.db")
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)
    assert_same(follow, site.plain)


def test_scan_reads_a_crlf_copy_kept_up_across_the_rotation_once(
    site: Site, tmp_path: Path
) -> None:
    """A CRLF copy of each log (``mail.log.win``) kept up across its log's rotation (not
    rotated itself: ``mail.log.1`` is its start, ``mail.log`` its end): the files of
    the log's own name are the originals, the copy's lines they hold are not read
    again. Scan took ``mail.log.1`` for a copy of ``mail.log.win`` and read
    ``mail.log`` too: the last step twice (1,181 deliveries, 876 messages received, 379
    mailbox operations more)."""
    run = Run(site, tmp_path, TRANSPORTS[0], crlf_backup_at=0, crlf_mirror=True,
              crlf_mirror_to=STEPS)  # fmt: skip
    follow = run.follow(tmp_path / "state.db")
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)
    assert_same(follow, site.plain)


@pytest.mark.parametrize("start_after", [0, 2], ids=["live", "backlog"])
@pytest.mark.parametrize(
    "gzipped", [("logs",), ("relay",), ("logs", "relay")], ids=["folder", "relay", "both"]
)
def test_follow_reads_a_relay_beside_gzip_archives_once(
    site: Site, tmp_path: Path, start_after: int, gzipped: tuple[str, ...]
) -> None:
    """The relay's file of every log beside the folder, each rotated file compressed at
    once (the folder's, the relay's, or both), followed as it is written or found at
    the first start with the archives there: every line counts once. The relay's lines
    were looked for only in plain files, and its archives not checked at all."""
    run = Run(site, tmp_path, TRANSPORTS[0], relay_from=0, gzip_rotated=gzipped,
              start_after=start_after)  # fmt: skip
    follow = run.follow(tmp_path / "state.db")
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)
    assert_same(follow, site.plain)


@pytest.mark.parametrize("how", [TRANSPORTS[2], TRANSPORTS[4]], ids=lambda h: h.name)
def test_follow_reads_a_relay_beside_a_syslog_folder_once(
    site: Site, tmp_path: Path, how: Transport
) -> None:
    """The log folder itself in a syslog envelope (each log's file written by a syslog
    server, RFC 5424 or rsyslog's layout) and the relay's file of every log beside it:
    the relay's lines are those of the folder's files, read once. Its lines were looked
    for only in plain files, and every event counted twice (1,952 deliveries, 1,608
    messages received more)."""
    run = Run(site, tmp_path, how, relay_from=0)
    follow = run.follow(tmp_path / "state.db")
    assert_same(run.scan(tmp_path / "scan.db"), site.plain)
    assert_same(follow, site.plain)
