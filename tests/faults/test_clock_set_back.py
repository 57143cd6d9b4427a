"""The server's clock set back by an administrator: every later line is dated before
lines already read. ``scan`` run again and again (the Task Scheduler's way) must read
each line once, as ``follow`` does by its file positions."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import factories
from faultlib import T0, cli, counted, shifted, site_lines
from kerio_watch.events import Event
from kerio_watch.pipeline.marks import SET_BACK, Watermarks, back_key
from kerio_watch.sources.files import LogFile, Record
from logtools import recv_line
from test_follow_cli import Follow, append, wait_for


def processed(stderr: str) -> int:
    """Lines a scan processed: those of its summary's files, less those skipped."""
    total = sum(int(n.replace(",", "")) for n in re.findall(r"\(mail\): ([\d,]+) lines", stderr))
    skipped = re.search(r"([\d,]+) lines were already processed", stderr)
    return total - (int(skipped.group(1).replace(",", "")) if skipped else 0)


@pytest.mark.parametrize("hours", [-1, -2])
def test_rescans_read_each_line_once(tmp_path: Path, hours: int) -> None:
    """Four scans of a growing mail.log across a clock set back: 800 lines processed in
    all, as one scan of the final file, and the fourth scan reads nothing new. Scans
    took every line dated before the watermark for processed: set back two hours, the
    second and third scans processed 114 and 214 of their 300 new lines (one hour: 258
    and 300). Each raises the one alert per hijack: a message after the jump counted
    the account's messages dated after it as in its hour (one-to-many), 17 alerts in one
    scan and 22 in four, set back two hours."""
    lines = site_lines(400)
    chunks = [lines[:200], lines[200:300] + [shifted(x, hours) for x in lines[300:500]]]
    chunks += [[shifted(x, hours) for x in lines[500:]], []]
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "s.db"
    done = []
    for chunk in chunks:
        with (logs / "mail.log").open("a") as handle:
            handle.write("".join(x + "\n" for x in chunk))
        result = cli("scan", "--db", str(db), str(logs))
        assert result.returncode == 0, result.stderr
        done.append(processed(result.stderr))
    assert done == [200, 300, 300, 0]
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "mail.log").write_text((logs / "mail.log").read_text())
    assert cli("scan", "--db", str(tmp_path / "ref.db"), str(tmp_path / "ref")).returncode == 0
    assert counted(db) == counted(tmp_path / "ref.db")
    assert alerts(db) == alerts(tmp_path / "ref.db") == HIJACKS


HIJACKS = sorted(
    (f"u{n // 40}@example.com", "kerio.mail.from_external")
    for n in range(400)
    if n >= 40 and n % 40 == 20
)
"""The alerts of :func:`faultlib.site_lines` (400): one per hijacked account."""


def alerts(db: Path) -> list[tuple[str, str]]:
    """(account, rule) of every alert in a database."""
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute("SELECT user, rule FROM alerts").fetchall())


def test_watermarks_follow_the_lines_after_the_jump() -> None:
    """Run by run: the lines after the jump are new up to where an earlier run read
    them (the back mark), and the back mark goes once they pass the watermark."""
    old = list(range(1000, 1100))
    back = [t - 2 * SET_BACK for t in range(1100, 1150)]
    first = Watermarks({})
    assert not any(first.already_seen("mail", t) for t in old)
    second = Watermarks(first.merged())
    assert all(second.already_seen("mail", t) for t in old)
    assert not any(second.already_seen("mail", t) for t in back)
    marks = second.merged()
    assert marks["mail"] == (1099, 1) and marks[back_key("mail")] == (back[-1], 1)
    later = [t - 2 * SET_BACK for t in range(1150, 1800)]
    third = Watermarks(marks)
    assert all(third.already_seen("mail", t) for t in old + back)
    assert not any(third.already_seen("mail", t) for t in later)
    marks = third.merged()
    assert marks["mail"] == (later[-1], 1) and marks[back_key("mail")] == (0, 0)
    fourth = Watermarks(marks)
    assert all(fourth.already_seen("mail", t) for t in old + back + later)


def test_a_line_a_moment_out_of_order_is_no_jump() -> None:
    """Lines a few seconds out of order at the watermark are still the earlier run's."""
    marks = Watermarks({"mail": (1000, 1)})
    assert marks.already_seen("mail", 1000)
    assert marks.already_seen("mail", 1000 - SET_BACK + 1)
    assert not marks.set_back


def test_a_follower_restarted_after_the_jump_reads_on(
    follow: Follow, logs: Path, tmp_path: Path
) -> None:
    """A scan, the clock set back two hours, follow started, stopped and started again:
    every line after the jump is read once. The restart skipped the 50 lines written
    while it was stopped, dated before the scan's watermark, which it applied again."""
    lines = site_lines(150)
    append(logs / "mail.log", lines[:200])
    assert cli("scan", "--db", str(follow.db), str(logs)).returncode == 0
    append(logs / "mail.log", [shifted(x, -2) for x in lines[200:250]])

    def events() -> int:
        return sum(follow.totals().events.values())

    follow.start()
    wait_for(lambda: events() == 50, 60)
    assert follow.stop() == 0
    append(logs / "mail.log", [shifted(x, -2) for x in lines[250:]])
    follow.start()
    wait_for(lambda: events() == 100, 60)
    assert follow.stop() == 0
    assert follow.totals().already_seen == 200


def test_a_jump_in_the_first_scan_is_not_read_twice(tmp_path: Path) -> None:
    """The clock set back inside the logs a new database's first scan reads: a second
    scan of the same logs processes nothing. The first scan saved no back mark (it had
    no watermark to be behind), so the second took every line after the jump, dated
    before the watermark, for new: 200 of 400 lines processed twice."""
    lines = site_lines(400)
    logs = tmp_path / "logs"
    logs.mkdir()
    text = "".join(x + "\n" for x in lines[:400] + [shifted(x, -4) for x in lines[400:]])
    (logs / "mail.log").write_text(text)
    db = tmp_path / "s.db"
    done = []
    for _ in range(2):
        result = cli("scan", "--db", str(db), str(logs))
        assert result.returncode == 0, result.stderr
        done.append(processed(result.stderr))
    assert done == [800, 0]


def campaign(start: dt.datetime, messages: int) -> list[str]:
    """u3's mail of one subject to a partner, one message every 30 s from ``start``."""
    return [
        recv_line(
            start + dt.timedelta(seconds=30 * k + 7),
            1,
            90_000 + k,
            sender="u3@example.com",
            to="p3@partner.test",
            user="u3@example.com",
            host="192.168.1.13",
        )
        for k in range(messages)
    ]


def test_a_window_across_a_restart_after_the_jump(tmp_path: Path) -> None:
    """The clock set back two hours, then 16 messages of one subject (one to many), the
    logs scanned in two parts split after the eighth: the second scan raises what one
    scan of the whole log does. Detector state was saved as of the newest log time,
    before the jump, so everything the windows held after it was more than their hour
    old and dropped: the second scan counted 8 messages and raised nothing."""
    lines = site_lines(400)
    jump = T0 + dt.timedelta(seconds=50 * 300, hours=-2)
    after = sorted(
        [shifted(x, -2) for x in lines[600:]] + campaign(jump, 16),
        key=lambda x: dt.datetime.strptime(x[1:21], "%d/%b/%Y %H:%M:%S"),
    )
    eighth = [i for i, x in enumerate(after) if "Msg-Id: <9000" in x][7] + 1
    logs, whole = tmp_path / "logs", tmp_path / "whole"
    logs.mkdir()
    whole.mkdir()
    (whole / "mail.log").write_text("".join(x + "\n" for x in lines[:600] + after))
    assert cli("scan", "--db", str(tmp_path / "whole.db"), str(whole)).returncode == 0
    for part in (lines[:600] + after[:eighth], after[eighth:]):
        with (logs / "mail.log").open("a") as handle:
            handle.write("".join(x + "\n" for x in part))
        result = cli("scan", "--db", str(tmp_path / "parts.db"), str(logs))
        assert result.returncode == 0, result.stderr
    assert ("u3@example.com", "kerio.mail.one_to_many") in alerts(tmp_path / "whole.db")
    assert alerts(tmp_path / "parts.db") == alerts(tmp_path / "whole.db")


def steady(messages: int, back_at: int | None, hours: int = -2) -> list[str]:
    """u5's usual mail, one message every 4 minutes (15 an hour) to five partners it
    writes to all the time, with its delivery lines; from message ``back_at`` on, the
    server's clock set back ``hours``."""
    lines = []
    for n in range(messages):
        when = T0 + dt.timedelta(seconds=240 * n)
        to = f"p{n % 5}@partner.test"
        recv = recv_line(when, 1, n, sender="u5@example.com", to=to, user="u5@example.com",
                         host="192.168.1.15", subject=f"re: order {n}")  # fmt: skip
        recv = recv.replace("Size: 1200", f"Size: {1200 + 700 * (n % 9)}")
        qid = recv.split("Queue-ID: ")[1][:17]
        sent = (
            f"{recv[:23]}Sent: Queue-ID: {qid}, Recipient: <{to}>, Result: delivered, "
            f"Status: 2.0.0 , Remote-Host: 198.51.100.25, Msg-Id: <{n}@mail.example.com>"
        )
        pair = [recv, sent]
        if back_at is not None and n >= back_at:
            pair = [shifted(x, hours) for x in pair]
        lines += pair
    return lines


WEEK_AND_A_DAY = 8 * 24 * 15
"""Messages of :func:`steady` in eight days (a week of history, then a day)."""


def scan_signals(tmp_path: Path, name: str, parts: list[list[str]]) -> list[tuple[str, str]]:
    """(account, rule) of the signals (of every incident, alerted or not) of scans of a
    mail.log grown by each part in turn."""
    logs = tmp_path / name
    logs.mkdir()
    for part in parts:
        with (logs / "mail.log").open("a") as handle:
            handle.write("".join(x + "\n" for x in part))
        result = cli("scan", "--db", str(tmp_path / f"{name}.db"), str(logs))
        assert result.returncode == 0, result.stderr
    return signals(tmp_path / f"{name}.db")


@pytest.mark.parametrize("hours", [-2, -3])
def test_a_steady_sender_through_a_jump(tmp_path: Path, hours: int) -> None:
    """An account sending at its usual rate through a clock set back two or three hours
    raises nothing, as the same mail without the jump: the windows forget what is dated
    after the new clock. They kept the messages before the jump counted until the log's
    time passed them again: "u5@example.com sent 23 messages to 23 recipients in 1
    minute" (`volume`; people it knows, so no alert here)."""
    back_at = WEEK_AND_A_DAY - 4 * 15
    assert scan_signals(tmp_path, "plain", [steady(WEEK_AND_A_DAY, None)]) == []
    assert scan_signals(tmp_path, "jump", [steady(WEEK_AND_A_DAY, back_at, hours)]) == []


def test_a_steady_sender_restarted_at_the_jump(tmp_path: Path) -> None:
    """The same mail scanned in two parts, split at the jump (the second scan starts
    with the first line after it) or an hour after it: as one scan, nothing."""
    back_at = WEEK_AND_A_DAY - 4 * 15
    lines = steady(WEEK_AND_A_DAY, back_at)
    for cut in (2 * back_at, 2 * back_at + 30):
        parts = [lines[:cut], lines[cut:]]
        assert scan_signals(tmp_path, f"cut{cut}", parts) == []


def signals(db: Path) -> list[tuple[str, str]]:
    """(account, rule) of the signals of every incident in a database, alerted or not."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT data FROM incidents").fetchall()
    return sorted(
        (x["user"], s["rule"]) for (data,) in rows for x in [json.loads(data)] for s in x["signals"]
    )


def test_a_steady_sender_followed_through_a_jump(follow: Follow, logs: Path) -> None:
    """``follow`` through the same jump, killed (kill -9) an hour after it and started
    again: nothing, as a scan of the mail without the jump."""
    back_at = WEEK_AND_A_DAY - 4 * 15
    lines = steady(WEEK_AND_A_DAY, back_at)
    append(logs / "mail.log", lines[: 2 * back_at])
    follow.start()

    def events() -> int:
        return sum(follow.totals().events.values())

    wait_for(lambda: events() == 2 * back_at, 120)
    append(logs / "mail.log", lines[2 * back_at : 2 * back_at + 30])
    wait_for(lambda: events() == 2 * back_at + 30, 60)
    follow.kill9()
    append(logs / "mail.log", lines[2 * back_at + 30 :])
    follow.start()
    wait_for(lambda: events() == len(lines), 60)
    assert follow.stop() == 0
    assert signals(follow.db) == []


def told_jumps(mail: list[int], security: list[int], lag: int, jump: int | None) -> list[int]:
    """The horizons the detectors are told of (:class:`SetBack`) when a pipeline admits a
    mail.log line a minute (moved by its jitter, in seconds) and a security.log line a
    minute, the security log read ``lag`` seconds late; from the middle of each log on,
    the server's clock set back ``jump`` seconds. Every line is processed."""
    p = factories.pipeline()
    told: list[int] = []
    p.setback.tell = lambda _old, new: told.append(new)
    base = factories.at(3)
    back = [0 if jump is None or i < len(mail) // 2 else jump for i in range(len(mail))]
    lines: list[tuple[int, Event]] = [
        (60 * i, factories.recv(base + 60 * i + j - back[i])) for i, j in enumerate(mail)
    ]
    back = [0 if jump is None or i < len(security) // 2 else jump for i in range(len(security))]
    lines += [
        (60 * i + lag, factories.failed(base + 60 * i + j - back[i], "198.51.100.7"))
        for i, j in enumerate(security)
    ]
    files = {log: LogFile(f"{log}.log", log) for log in ("mail", "security")}
    for n, (_, event) in enumerate(sorted(lines, key=lambda x: x[0])):
        p._admit(event, Record(event.ts, True, event.log, "", event.raw, files[event.log], n))
    assert sum(p.stats.events.values()) == len(mail) + len(security)
    return told


JITTER = st.lists(st.integers(-120, 120), min_size=4, max_size=30)
"""Seconds each line of a log is out of order (two lines at most 4 minutes apart)."""


@settings(max_examples=40, deadline=None)
@given(mail=JITTER, security=JITTER, lag=st.integers(0, 4 * 3600))
def test_lines_out_of_order_are_no_jump(mail: list[int], security: list[int], lag: int) -> None:
    """Lines of each log up to 4 minutes out of order, and a log read up to four hours
    late (more than SET_BACK behind the other's): no clock set back is told, so no
    window forgets anything (a fix inside the windows, forgetting after any line 5
    minutes behind, dropped counts whenever lines reached detection out of order)."""
    assert told_jumps(mail, security, lag, None) == []


@settings(max_examples=40, deadline=None)
@given(
    mail=JITTER,
    security=JITTER,
    lag=st.integers(0, 4 * 3600),
    jump=st.integers(2 * SET_BACK + 120, 3 * 3600),
)
def test_a_jump_is_told(mail: list[int], security: list[int], lag: int, jump: int) -> None:
    """The same logs with the server's clock set back half way: the detectors are told,
    of a horizon before mail.log's newest line before the jump (what is dated after it is
    forgotten). A log read late may tell it again: its lines from before the jump are in
    the new clock's future when they come after the other's from after it."""
    told = told_jumps(mail, security, lag, jump)
    half = len(mail) // 2
    assert told and told[0] < max(factories.at(3) + 60 * i + j for i, j in enumerate(mail[:half]))


def stuck(start: dt.datetime, messages: int) -> list[str]:
    """u5's messages to two list addresses each, every 10 s from ``start``, that the
    server cannot deliver (no ``Sent:`` line)."""
    return [
        recv_line(
            start + dt.timedelta(seconds=10 * k),
            1,
            95_000 + k,
            sender="u5@example.com",
            to=f"a{k}@list.test>, <b{k}@list.test",
            user="u5@example.com",
            host="192.168.1.15",
        )
        for k in range(messages)
    ]


@pytest.mark.parametrize("kill", [False, True])
def test_a_stuck_queue_followed_through_a_jump(follow: Follow, logs: Path, kill: bool) -> None:
    """``follow`` through a clock set back three hours: u5's usual mail for a week, and
    right after the jump 30 messages to 60 addresses the server cannot deliver, the log
    going on for two hours; in one run, and killed (kill -9) an hour after the jump and
    started again. The follower raises "no final delivery 30 minutes after" while it
    follows, in both. Its ticks (once a log minute) followed the newest time before the
    jump, so in one run they paused for three hours of the new clock: the alert came only
    when the follower was stopped (a follower restarted after the jump raised it)."""
    back_at = WEEK_AND_A_DAY - 4 * 15
    lines = steady(back_at + 30, back_at, hours=-3)
    jump = T0 + dt.timedelta(seconds=240 * back_at + 30, hours=-3)
    post = lines[2 * back_at : 2 * back_at + 2] + stuck(jump, 30) + lines[2 * back_at + 2 :]
    append(logs / "mail.log", lines[: 2 * back_at])
    follow.start()

    def events() -> int:
        return sum(follow.totals().events.values())

    wait_for(lambda: events() == 2 * back_at, 120)
    half = 2 + 30 + 30 if kill else len(post)
    append(logs / "mail.log", post[:half])
    wait_for(lambda: events() == 2 * back_at + half, 60)
    if kill:
        follow.kill9()
        append(logs / "mail.log", post[half:])
        follow.start()
        wait_for(lambda: events() == 2 * back_at + len(post), 60)
    wait_for(lambda: ("u5@example.com", "kerio.queue.backlog") in signals(follow.db), 30)
    assert follow.stop() == 0
