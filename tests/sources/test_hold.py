"""Lines of one log wait for the other logs to catch up with their time (follow).

Driven step by step with a fake clock: a log written late (Kerio buffers its logs)
still has its lines merged before the later lines of the others, as ``scan`` merges
them; a quiet log is not waited for; nothing waits longer than ``order_wait``; held
lines are not checkpointed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import pytest

from kerio_watch.sources.follow import Follower, FollowOptions
from kerio_watch.sources.hold import MARGIN, QUIET


class Clock:
    """Monotonic time that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stamp(n: int) -> str:
    minutes, seconds = divmod(n, 60)
    hours, minutes = divmod(minutes, 60)
    return f"[10/Mar/2026 {10 + hours:02d}:{minutes:02d}:{seconds:02d}]"


def mail(n: int) -> str:
    return (
        f"{stamp(n)} Sent: Queue-ID: 69b00000-{n:08x}, Recipient: <u{n}@example.com>, "
        "Result: delivered, Status: 2.0.0 "
    )


def audit(n: int) -> str:
    return (
        f"{stamp(n)} HTTP/WebMail: User u{n}@example.com authenticated  "
        f"from IP address 10.0.0.{n % 250}"
    )


def append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines))


EPOCH = dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC).timestamp()
"""The wall clock when the clock is at 1000 (log time 0, stamp(0))."""


class Run:
    """A follower of one directory, as the service drives it."""

    def __init__(self, logs: Path, wait: float = 30.0) -> None:
        self.logs = logs
        self.clock = Clock()
        self.options = FollowOptions(order_wait=wait)
        self.follower = Follower(
            [str(logs)], options=self.options, clock=self.clock, wall=self.wall
        )

    def wall(self) -> float:
        """Wall-clock seconds, in step with the clock."""
        return self.clock.now - 1000.0 + EPOCH

    def read(self) -> list[str]:
        """One poll, consumed as the service does (stops when the batch is falsy)."""
        batch = self.follower.poll()
        got: list[str] = []
        while batch:
            got.extend(r.raw for r in batch)
        return got

    def restart(self) -> None:
        """kill -9 right after a checkpoint: a new follower from the saved positions."""
        saved = self.follower.checkpoints()
        self.follower.close()
        self.follower = Follower(
            [str(self.logs)],
            saved,
            first_start=False,
            options=self.options,
            clock=self.clock,
            wall=self.wall,
        )


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    written(folder / "mail.log", 0.0, mail(0))
    written(folder / "audit.log", 0.0, audit(0))
    return folder


def security(n: int) -> str:
    return f"{stamp(n)} Failed SMTP login from 198.51.100.{n % 250}, missing username"


def test_a_late_log_is_merged_in_time_order(logs: Path) -> None:
    """Sends written before the login they follow wait for it (as scan orders them)."""
    run = Run(logs)
    assert run.read() == [audit(0), mail(0)]
    append(logs / "mail.log", mail(20), mail(21))
    assert run.read() == []  # audit.log may still hold lines before 20
    append(logs / "audit.log", audit(10))
    assert run.read() == [audit(10)]  # still before the sends
    append(logs / "audit.log", audit(19), audit(25))
    assert run.read() == [audit(19), mail(20), mail(21)]  # audit.log is past them
    run.clock.now += 30
    assert run.read() == [audit(25)]  # mail.log was not heard from within order_wait


def test_held_lines_are_not_checkpointed(logs: Path) -> None:
    """A restart reads the lines that were held again, once."""
    run = Run(logs)
    run.read()
    append(logs / "mail.log", mail(20))
    assert run.read() == []
    run.restart()
    append(logs / "audit.log", audit(10), audit(30))
    assert run.read() == [audit(10), mail(20)]  # the restart had forgotten audit(0)
    run.clock.now += 30
    assert run.read() == [audit(30)]
    run.restart()
    assert run.read() == []


def test_the_wait_is_bounded_for_each_line(logs: Path) -> None:
    """A line waits at most order_wait from the poll that found it; a line found later
    waits its own time, as do lines after the follower caught up."""
    run = Run(logs, wait=5)  # shorter than audit.log's lag and margin
    run.read()
    append(logs / "mail.log", mail(5))
    assert run.read() == []
    run.clock.now += 4.9
    append(logs / "mail.log", mail(6))
    assert run.read() == []
    run.clock.now += 0.1
    assert run.read() == [mail(5)]  # found 5 s ago; mail(6) only 0.1 s ago
    run.clock.now += 4.9
    assert run.read() == [mail(6)]
    append(logs / "mail.log", mail(7))
    assert run.read() == []
    append(logs / "audit.log", audit(8))
    assert run.read() == [mail(7)]


def test_a_log_always_behind_keeps_the_order(logs: Path) -> None:
    """A log that trails by less than order_wait all along: every line waits for it,
    however long the follower has had lines waiting."""
    run = Run(logs, wait=30)
    run.read()
    got: list[str] = []
    for n in range(1, 20):
        append(logs / "mail.log", mail(10 * n))
        if n > 2:
            append(logs / "audit.log", audit(10 * n - 25))
        got += run.read()
        run.clock.now += 10
    expected = sorted(
        [*(mail(10 * n) for n in range(1, 20)), *(audit(10 * n - 25) for n in range(3, 20))],
        key=lambda line: (line[:22], "Sent" in line),
    )
    assert got == [x for x in expected if x in got]
    assert len(got) > 30


def test_a_quiet_log_is_not_waited_for(logs: Path) -> None:
    """A log whose last line is long before a line (at night, config.log) holds
    nothing back."""
    run = Run(logs)
    run.read()
    run.clock.now += QUIET + 2  # the lines are written at their time
    append(logs / "mail.log", mail(QUIET + 1), mail(QUIET + 2))
    assert run.read() == [mail(QUIET + 1), mail(QUIET + 2)]


def test_a_log_is_quiet_only_once_its_silence_was_seen(logs: Path) -> None:
    """Ten minutes of one log's stamps read at once (a backlog, a day replayed) are not
    ten minutes of silence of the others: audit.log is waited for, and its lines of
    those minutes, written a moment later, come first (as scan orders them). The sends
    were handed over at once, before them (all seven logs of a day written one after
    another in tests/test_follow_transports.py: 725 lines out of order, a new-host
    incident split in two)."""
    run = Run(logs)
    run.read()
    run.clock.now += 1
    append(logs / "mail.log", mail(QUIET + 5), mail(QUIET + 6))
    assert run.read() == []  # audit.log may still hold lines before them
    run.clock.now += 0.1
    append(logs / "audit.log", audit(QUIET + 1), audit(QUIET + 7))
    assert run.read() == [audit(QUIET + 1), mail(QUIET + 5), mail(QUIET + 6)]


def test_no_wait_merges_each_poll_as_it_is(logs: Path) -> None:
    """order_wait 0: lines are handed over as soon as they are read."""
    run = Run(logs, wait=0)
    run.read()
    append(logs / "mail.log", mail(20))
    assert run.read() == [mail(20)]
    append(logs / "audit.log", audit(10))
    assert run.read() == [audit(10)]


def written(path: Path, at: float, *lines: str) -> None:
    """Append lines at log second ``at`` (the file's modification time)."""
    append(path, *lines)
    os.utime(path, (EPOCH + at, EPOCH + at))


def live(run: Run, logs: Path, n: int, *lines: tuple[str, str]) -> list[str]:
    """At log second ``n`` (the clock in step, 0.3 s after it), append and poll."""
    run.clock.now = 1000.0 + n + 0.3
    for name, line in lines:
        written(logs / name, n + 0.3, line)
    return run.read()


def test_a_prompt_log_with_nothing_to_say_is_waited_for_its_lag_only(logs: Path) -> None:
    """audit.log wrote its lines within a second for a while, then nothing: a mail line
    waits for it as long as its lines have taken to arrive (plus a margin), not the
    whole order_wait."""
    run = Run(logs, wait=30)
    run.read()
    for n in range(1, 8):
        assert live(run, logs, n, ("mail.log", mail(n)), ("audit.log", audit(n))) == [
            audit(n),
            mail(n),
        ]
    assert live(run, logs, 10, ("mail.log", mail(10))) == []  # audit.log may still write 9
    assert live(run, logs, 11) == []
    # Its lines arrived 0.3 s after their time (its last line at start, 0 s): by
    # 10 + 0.3 + MARGIN + SPREAD * 0.3, audit.log has written all it had up to 10.
    assert live(run, logs, 13) == [mail(10)]


def test_a_log_written_late_is_still_waited_for(tmp_path: Path) -> None:
    """audit.log's lines arrive 12 s after their time: mail lines wait for them, past the
    time a prompt log would be waited for, and come in scan's order."""
    logs = tmp_path
    written(logs / "mail.log", 0.3, mail(0))
    written(logs / "audit.log", 12.3, audit(0))
    run = Run(logs, wait=30)
    run.clock.now = 1012.3
    assert run.read() == [audit(0), mail(0)]
    got: list[str] = []
    for n in range(13, 60):
        lines = [("mail.log", mail(n))] if n % 2 else []
        if n > 12 and n % 2 == 0:
            lines.append(("audit.log", audit(n - 12)))
        got += live(run, logs, n, *lines)
    assert got[-1] == audit(46)
    # audit.log is quiet now: mail lines from 47 on wait for its lines up to their time,
    # due by then + 12.3 s (its lag) + MARGIN + SPREAD * 12.3 (its lag varied: its last
    # line at start came at once), not the whole order_wait.
    for n in range(60, 90):
        for line in live(run, logs, n):
            got.append(line)
            second = int(line[19:21])
            assert second + 12.3 + MARGIN <= n + 0.3 + 1e-6 < second + 25
    assert got[-1] == mail(59)
    expected = sorted(
        [*(mail(n) for n in range(13, 60, 2)), *(audit(n - 12) for n in range(14, 60, 2))],
        key=lambda line: line[:22],
    )
    assert got == expected


def test_a_log_seen_arriving_rarely_is_waited_for_with_a_wide_margin(logs: Path) -> None:
    """audit.log is known only by its last line at the start (its modification time: on
    time): a mail line waits for it its lag plus MARGIN plus SPREAD * UNSURE."""
    run = Run(logs, wait=30)
    assert live(run, logs, 0) == [audit(0), mail(0)]
    assert live(run, logs, 5, ("mail.log", mail(5))) == []
    assert live(run, logs, 11) == []
    assert live(run, logs, 12) == [mail(5)]  # due at 5 + 0.3 + MARGIN + SPREAD * UNSURE


def test_a_log_never_seen_arriving_is_waited_for_up_to_order_wait(logs: Path) -> None:
    """security.log's last line is not complete at the start (no line arrived at its
    modification time), and it writes nothing since: a mail line waits up to
    order_wait for it."""
    append(logs / "security.log", security(3))
    with (logs / "security.log").open("a") as handle:
        handle.write(security(4)[:20])  # being written
    run = Run(logs, wait=30)
    assert live(run, logs, 4) == [audit(0), mail(0)]  # security(3) waits for them
    assert live(run, logs, 5, ("mail.log", mail(5)), ("audit.log", audit(5))) == [security(3)]
    assert live(run, logs, 34) == []
    assert live(run, logs, 35) == [audit(5), mail(5)]  # found at 5.3: 30 s waited


def test_a_log_that_wrote_before_the_start_is_known_by_its_last_write(logs: Path) -> None:
    """security.log wrote its last line 0.5 s after its time, before the start (its
    modification time), and nothing since: it is waited for that long plus a margin."""
    written(logs / "security.log", 25.5, security(25))
    run = Run(logs, wait=30)
    run.clock.now = 1030.3
    assert run.read() == [audit(0), mail(0)]  # security(25) waits for them
    got = live(run, logs, 40, ("mail.log", mail(40)), ("audit.log", audit(40)))
    assert got == [security(25)]
    assert live(run, logs, 47) == []
    # due at 40 + 0.5 + MARGIN + SPREAD * UNSURE (seen arriving once)
    assert live(run, logs, 48) == [audit(40), mail(40)]


def test_every_line_in_scan_order_with_logs_written_in_bursts(logs: Path) -> None:
    """Property: mail.log written within a second of its lines' time, audit.log flushed
    every 1 to 12 s (its lines up to 12 s late), security.log written for two minutes
    and then quiet, a look every half second: every line is handed over in scan's
    order, and mail lines wait about as long as audit.log is late, not order_wait."""
    rng = random.Random(7)
    run = Run(logs, wait=30)
    append(logs / "security.log", security(0))
    run.read()
    arrivals: list[tuple[float, str, str]] = []  # (when it reaches the disk, file, line)
    flush = 0.0
    for n in range(1, 600):
        if n % 3 == 1:
            arrivals.append((n + rng.uniform(0.0, 0.9), "mail.log", mail(n)))
        elif n % 3 == 2:
            if flush <= n:
                flush = n + rng.uniform(1.0, 12.0)
            arrivals.append((flush, "audit.log", audit(n)))
        elif n < 120:
            arrivals.append((n + rng.uniform(0.0, 0.9), "security.log", security(n)))
    arrivals.sort()
    due = {line: at for at, _, line in arrivals}
    got: list[str] = []
    waited: list[float] = []
    t = 0.0
    while len(got) < len(due) and t < 700:
        t += 0.5
        while arrivals and arrivals[0][0] <= t:
            at, name, line = arrivals.pop(0)
            written(logs / name, at, line)
        run.clock.now = 1000.0 + t
        for line in run.read():
            got.append(line)
            if "Sent:" in line:
                waited.append(t - due[line])
    assert got == sorted(due, key=lambda line: line[:22])  # scan's order
    waited.sort()
    assert waited[len(waited) // 2] < 12 and waited[-1] < 25, waited
