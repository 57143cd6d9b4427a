"""Both engines scan to identical alerts, summaries and saved state.

The native engine changes how lines are read, parsed and pre-filtered, nothing else;
these scans compare everything a scan leaves: the alerts printed, the per-file summary
and every row of the state database (but the engine's own name and the migration
times).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kerio_watch.alerts.console import alert_json
from kerio_watch.cli import main
from kerio_watch.cli.common import load, make_timebase
from kerio_watch.detect import context
from kerio_watch.enrich.messages import MessageTracker
from kerio_watch.native import activity as native_activity
from kerio_watch.native.activity import activity_stage
from kerio_watch.pipeline import Pipeline
from kerio_watch.pipeline import core as pipeline_core
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.sources.files import discover, merged_records
from kerio_watch.store import open_store
from kerio_watch.values.alert import Alert
from nativediff import extension

ENGINES = ("python", "native")


def _scan(engine: str, paths: list[Path], db: Path, config: Path | None) -> tuple[str, str]:
    args = ["--engine", engine, "scan", "--no-progress", "-f", "jsonl", "--db", str(db)]
    if config is not None:
        args += ["--config", str(config)]
    result = CliRunner().invoke(main, [*args, *map(str, paths)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def _state(db: Path) -> dict[str, list[str]]:
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = {}
        for table in tables:
            if table == "schema_migrations":
                continue
            rows = con.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(repr(r) for r in rows if r[:1] != ("engine",))
        return out
    finally:
        con.close()


def _both(tmp: Path, runs: list[list[Path]], config: Path | None) -> list[tuple[str, str]]:
    """Run the same scans with each engine on its own database; assert they agree."""
    extension()
    outputs: dict[str, list[tuple[str, str]]] = {}
    states = {}
    db = tmp / "state.db"
    for engine in ENGINES:
        outputs[engine] = [_scan(engine, paths, db, config) for paths in runs]
        states[engine] = _state(db)
        for path in tmp.glob("state.db*"):
            path.unlink()
    assert outputs["native"] == outputs["python"]
    assert states["native"] == states["python"]
    return outputs["native"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("native-site")
    simulate(SimConfig(seed=4, days=7, users=8), folder)
    return folder


@pytest.mark.parametrize("zoned", [True, False], ids=["timezone", "inferred"])
def test_full_scan_and_rescan_agree(site: Path, tmp_path: Path, zoned: bool) -> None:
    config = site / "kerio-watch.toml" if zoned else None
    outputs = _both(tmp_path, [[site], [site]], config)
    assert outputs[0][0].count("\n") > 0  # the planted hijacks alert
    assert "already processed" in outputs[1][1]


def test_scans_in_chunks_agree(site: Path, tmp_path: Path) -> None:
    """A first scan of part of mail.log, then the whole site (overlapping watermarks)."""
    part = tmp_path / "part"
    part.mkdir()
    lines = (site / "mail.log").read_bytes().splitlines(keepends=True)
    (part / "mail.log").write_bytes(b"".join(lines[: len(lines) // 3]))
    _both(tmp_path, [[part], [site]], site / "kerio-watch.toml")


def test_a_full_message_join_agrees(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for 40 messages the message tracker forgets the oldest all through the
    scan: the native engine's mirror of its Queue-IDs must forget the same ones (a
    Queue-ID missing there has its ``Sent:`` lines dropped while Python tracks the
    message), and the recent messages saved after the first scan are restored into the
    second; deliveries, delays and failures are attributed alike only if both engines
    hold the same messages in the same order throughout."""
    extension()
    monkeypatch.setattr(context, "MessageTracker", partial(MessageTracker, 40))
    store = open_store(tmp_path / "probe.db")
    try:
        config = load(site / "kerio-watch.toml")
        pipeline = Pipeline(config, store, make_timebase(config, []), engine="native")
        assert pipeline.ctx.messages.limit == 40
        assert pipeline.native_ids is not None
    finally:
        store.close()
    part = tmp_path / "part"
    part.mkdir()
    lines = (site / "mail.log").read_bytes().splitlines(keepends=True)
    (part / "mail.log").write_bytes(b"".join(lines[: len(lines) // 2]))
    outputs = _both(tmp_path, [[part], [site]], site / "kerio-watch.toml")
    assert outputs[0][0].count("\n") > 0


def test_rotated_gzip_logs_agree(site: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(site, logs)
    data = (logs / "mail.log").read_bytes().splitlines(keepends=True)
    half = len(data) // 2
    (logs / "mail.log.1.gz").write_bytes(gzip.compress(b"".join(data[:half])))
    (logs / "mail.log").write_bytes(b"".join(data[half:]))
    _both(tmp_path, [[logs]], logs / "kerio-watch.toml")


def test_odd_lines_in_mail_log_agree(tmp_path: Path) -> None:
    """Unstamped, syslog-framed, non-UTF-8 and old-layout lines among normal ones."""
    folder = tmp_path / "odd"
    simulate(SimConfig(seed=9, days=3, users=6, only_mail=True), folder)
    lines = (folder / "mail.log").read_bytes().splitlines(keepends=True)
    odd = [
        b"garbage without a stamp\n",
        b"<22>1 2026-03-02T10:00:00+01:00 host mail - - - Recv: Queue-ID: zz, Service: SMTP\n",
        b"[02/Mar/2026 10:00:00] Recv: Queue-ID: q\xff, Service: SMTP, From: <a@b>\n",
        b"[02/Mar/2026 10:00:01] SMTP: From: <x@example.com>, To: <y@z>, Size: 5\n",
        b"[02/Mar/2026 10:00:02] Sent: Queue-ID: \n",
        b"[02/Mar/2026 10:00:03] Recv: Queue-ID: u1, Service: SMTP, From: <\xc3\x84@x>, "
        b"To: <y@z>, Size: 1, User: \xc3\x84@example.com\n",
        b"\xef\xbb\xbf\x00\r\n",
    ]
    mixed = []
    for i, line in enumerate(lines):
        mixed.append(line)
        if i % 97 == 0:
            mixed.append(odd[i % len(odd)])
    (folder / "mail.log").write_bytes(b"".join(mixed))
    outputs = _both(tmp_path, [[folder / "mail.log"]], None)
    assert "unparsed" in outputs[0][1]


def _sent(when: dt.datetime, n: int, result: str = "delivered, Status: 2.0.0 ") -> bytes:
    """An on-disk ``Sent:`` line of message ``7fffffff-<n>``."""
    stamp = when.strftime("[%d/%b/%Y %H:%M:%S]")
    return (
        f"{stamp} Sent: Queue-ID: 7fffffff-{n:08x}, Recipient: <nobody@example.org>, "
        f"Result: {result}, Remote-Host: 127.0.0.1, Msg-Id: <{n}@example.com>\n"
    ).encode()


def _submission(when: dt.datetime, n: int, user: str) -> bytes:
    """An on-disk ``Recv:`` line of message ``7fffffff-<n>``, sent by ``user``."""
    stamp = when.strftime("[%d/%b/%Y %H:%M:%S]")
    return (
        f"{stamp} Recv: Queue-ID: 7fffffff-{n:08x}, Service: SMTP, From: <{user}>, "
        f"To: <nobody@example.org>, Size: 1200, Sender-Host: 192.168.10.7, User: {user}, "
        f"SSL: yes, Subject: hello, Msg-Id: <{n}@example.com>\n"
    ).encode()


def _time(line: bytes) -> dt.datetime:
    return dt.datetime.strptime(line[1:21].decode(), "%d/%b/%Y %H:%M:%S")


def _without_days(path: Path, days: set[dt.date]) -> list[bytes]:
    """The lines of a Kerio log (``[dd/Mon/yyyy ...``) or syslog file (``Mon dd ...``)
    but those of ``days``."""
    cut = {d.strftime("%d/%b/%Y").encode() for d in days}
    cut |= {f"{d:%b} {d.day:2d} ".encode() for d in days}
    return [
        line
        for line in path.read_bytes().splitlines(keepends=True)
        if line[1:12] not in cut and line[:7] not in cut
    ]


def _gap_mail_log(site: Path, gap: set[dt.date]) -> tuple[list[bytes], list[bytes]]:
    """The site's mail.log without the days of ``gap``, with lines of untracked messages
    dated days ahead (the first line, one waiting and contradicted, one dated after the
    file was written), and two messages an account sent whose lines wait (the first lines
    of a new database, the first after the gap), failed once the next lines confirmed
    their time. The native reader reads the batch with a failure while the message's line
    waits (unparsed lines after it fill a batch), or before Python processed it, when the
    merge reads ahead at the gap (an unstamped line ends the batch after it)."""
    mail = _without_days(site / "mail.log", gap)
    after = next(i for i, line in enumerate(mail) if _time(line).date() > max(gap))
    user = next(line for line in mail if b", User: " in line).split(b", User: ")[1]
    user = user.split(b",")[0]
    failure = "failed, Status: 5.1.1 User unknown"
    start, first = _time(mail[0]), _time(mail[after])
    waits = [
        _submission(start, 4, user.decode()),
        *[start.strftime("[%d/%b/%Y %H:%M:%S] Unparsed line\n").encode()] * 300,
    ]
    ahead = [_submission(first, 5, user.decode()), b"no stamp on this line\n"]
    at = len(mail) * 4 // 5
    odd = [
        _sent(dt.datetime(2026, 3, 5, 12), 1),
        _sent(_time(mail[at]) + dt.timedelta(days=3), 2),
        _sent(dt.datetime(2099, 1, 1), 3),
    ]
    mail = [
        odd[0], *waits, *mail[:2], _sent(_time(mail[1]), 4, failure), *mail[2:after],
        *ahead, *mail[after : after + 3], _sent(_time(mail[after + 2]), 5, failure),
        *mail[after + 3 : at], odd[1], *mail[at : at + 50], odd[2], *mail[at + 50 :],
    ]  # fmt: skip
    return mail, odd


@pytest.mark.parametrize("whole", [False, True], ids=["mail-log", "whole-site"])
def test_a_gap_of_days_agrees(site: Path, tmp_path: Path, whole: bool) -> None:
    """Two days without lines (the server was down): the first lines after the gap are
    more than a day ahead of the last trusted one and wait until the next ones confirm the
    new time, the Sent: lines of untracked messages among them (the core drops those
    unread), and a message an account sent. Single untracked Sent: lines dated days ahead
    are not confirmed and are set aside by both engines, with their line numbers and text.
    """
    folder = tmp_path / "gap"
    folder.mkdir()
    start = dt.date(2026, 3, 2)  # the simulated site's first day
    gap = {start + dt.timedelta(days=2), start + dt.timedelta(days=3)}
    mail, odd = _gap_mail_log(site, gap)
    (folder / "mail.log").write_bytes(b"".join(mail))
    if whole:
        for log in site.glob("*.log"):
            if log.name != "mail.log":
                (folder / log.name).write_bytes(b"".join(_without_days(log, gap)))
    outputs = _both(tmp_path, [[folder], [folder]], site / "kerio-watch.toml")
    summary = outputs[0][1]
    assert "not kept" not in summary
    for line in odd:
        assert f"mail.log line {mail.index(line) + 1}: " in summary
        assert line.decode().strip() in summary


def _collect(out: list[str]) -> Callable[[Alert, bool], None]:
    def listen(alert: Alert, _reported: bool) -> None:
        out.append(alert_json(alert))

    return listen


def test_follow_style_runs_agree(site: Path, tmp_path: Path) -> None:
    """``follow`` feeds the pipeline Python-framed records in chunks with the pre-filter
    on (``prefilter=True``): with the native engine its mail parser and mirrored tracker
    run there; the alerts and the saved state must match, restarts included."""
    extension()
    config = load(site / "kerio-watch.toml")
    files = discover([str(site)])
    outputs: dict[str, list[str]] = {}
    states = {}
    for engine in ENGINES:
        db = tmp_path / f"{engine}.db"
        alerts: list[str] = []
        records = list(merged_records(discover([str(site)])))
        for chunk in (records[: len(records) // 2], records[len(records) // 2 :]):
            store = open_store(db)  # a restart between the chunks
            try:
                timebase = make_timebase(config, files)
                pipeline = Pipeline(config, store, timebase, engine=engine)
                pipeline.listeners.append(_collect(alerts))
                pipeline.run(iter(chunk), prefilter=True)
                pipeline.save()
            finally:
                store.close()
        outputs[engine] = alerts
        states[engine] = _state(db)
    assert outputs["native"] == outputs["python"]
    assert outputs["native"]
    assert states["native"] == states["python"]


@pytest.mark.parametrize("seed", [2, 3], ids=["with-user", "without-user"])
def test_filter_rule_messages_agree(tmp_path: Path, seed: int) -> None:
    """Forwards and auto-replies (Service: Sieve): the core lets Python see their Sent
    lines (tracked without an account) whether or not the line names the account."""
    folder = tmp_path / "rules"
    simulate(SimConfig(seed=seed, days=10, users=30, forwarding=True), folder)
    outputs = _both(tmp_path, [[folder]], folder / "kerio-watch.toml")
    assert "new_forward" in outputs[0][0]


def test_kerio_control_site_agrees(tmp_path: Path) -> None:
    """A site whose firewall is Kerio Control: the core parses filter.log, operations.log
    and audit.log too (with odd lines among them), a scan and a rescan."""
    folder = tmp_path / "control"
    simulate(SimConfig(seed=6, days=6, users=10, firewall="control"), folder)
    odd = {
        "filter.log": [
            "PERMIT 'x' packet to WAN, proto:TCP, ip/port:[2001:db8::1]:5 -> 10.0.0.1:25",
            "DROP 'x' packet from LAN, proto:TCP, len:47",
            "ALLOW URL 'r' 10.0.0.9 bob HTTP GET http://example.com/",
            "[ID] 7 [Rule] NAT [Connection] TCP 10.0.0.9:1 -> example.com:80 [Bytes] 1",
        ],
        "operations.log": ["{MOVE}", "{1x} y", "{DELETE} Protocol: IMAP, User: Ä@example.com"],
        "audit.log": ["IMAP: User Ä@x authenticated from IP address 10.0.0.9", "IMAP: x"],
    }
    for name, messages in odd.items():
        lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        step = max(1, len(lines) // (len(messages) + 1))
        for i, message in enumerate(messages, 1):
            lines.insert(i * step, lines[i * step - 1][:23] + message + "\n")
        (folder / name).write_text("".join(lines), encoding="utf-8")
    outputs = _both(tmp_path, [[folder], [folder]], folder / "kerio-watch.toml")
    assert outputs[0][0].count("\n") > 0


def test_scans_writing_many_batches_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 50 rows: the recorders are written at minute ticks all through the
    scan, in the transactions of both engines, then a second scan of more lines."""
    monkeypatch.setattr(native_activity, "BATCH", 50)
    writes: list[str] = []

    class Counting:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def write(self, store: Any) -> None:
            writes.append(type(self.inner).__name__)
            self.inner.write(store)

    def counting(*args: Any) -> tuple[Any, Any]:
        recorder, enricher = activity_stage(*args)
        return Counting(recorder), enricher

    monkeypatch.setattr(pipeline_core, "activity_stage", counting)
    folder = tmp_path / "site"
    simulate(SimConfig(seed=6, days=5, users=6), folder)
    part = tmp_path / "part"
    part.mkdir()
    lines = (folder / "mail.log").read_bytes().splitlines(keepends=True)
    (part / "mail.log").write_bytes(b"".join(lines[: len(lines) // 2]))
    _both(tmp_path, [[part], [folder]], folder / "kerio-watch.toml")
    assert writes.count("Activity") > 10  # the core's, at ticks and saves
    assert writes.count("ActivityRecorder") == writes.count("Activity")


def _stamp(line: bytes, near: dt.datetime) -> dt.datetime:
    """The time of a Kerio log line or a syslog line (of ``near``'s year)."""
    if line.startswith(b"["):
        return _time(line)
    return dt.datetime.strptime(f"{near.year} {line[:15].decode()}", "%Y %b %d %H:%M:%S")


def _firewall_state(db: Path) -> dict[str, Any]:
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT data FROM detector_state WHERE name = 'direct_smtp'").fetchone()
    finally:
        con.close()
    return dict(json.loads(row[0]))


def test_firewall_site_in_chunks_agrees_across_engines(site: Path, tmp_path: Path) -> None:
    """``direct_smtp``'s mail-server state (Kerio's deliveries, each address's tally, the
    inferred server; in the core with the native engine) saved after the first half of
    every log and taken back for the whole site: the same database with each engine, and
    with a database one engine wrote and the other one read on."""
    part = tmp_path / "part"
    part.mkdir()
    mail = (site / "mail.log").read_bytes().splitlines(keepends=True)
    cut = _time(mail[len(mail) // 2])  # a working hour: Kerio delivers, the PCs connect
    for log in site.glob("*.log"):
        lines = log.read_bytes().splitlines(keepends=True)
        (part / log.name).write_bytes(b"".join(x for x in lines if _stamp(x, cut) <= cut))
    config = site / "kerio-watch.toml"
    runs = [[part], [site]]
    outputs = _both(tmp_path, runs, config)
    db = tmp_path / "state.db"
    states = []
    for first, second in (("python", "native"), ("native", "python"), ("python", "python")):
        crossed = [_scan(first, [part], db, config)]
        saved = _firewall_state(db)
        assert saved["mail"]["inferred"] and saved["mail"]["tally"]
        assert saved["mail"]["deliveries"] and saved["pending"]
        crossed.append(_scan(second, [site], db, config))
        assert crossed == outputs
        states.append(_state(db))
        for path in tmp_path.glob("state.db*"):
            path.unlink()
    assert states[0] == states[1] == states[2]
