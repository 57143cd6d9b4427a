"""Replaying a simulated site as a live server: in real time, with a live queue.

The simulator writes a site's logs in one go, in simulated time. For ``follow`` with
Kerio's API (tests and ``benchmarks/containment.py``) the site has to run now: every
line is moved by one constant shift so that a chosen moment (shortly before a planted
hijack) falls a little after the start, the lines before it are written at once (the
history ``follow`` backfills), and the rest are written when the clock reaches them.

The replay plays the mail server's part too. Messages enter the emulator's queue with
their ``Recv:`` line and leave it with their last final ``Sent:`` line; after a
containment the server refuses what it would refuse (the account may not send, the
address is blocked) and does not send what was removed from the queue: those lines are
not written, and counted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.simulate.clock import MONTHS
from kerio_watch.simulate.kerio_state import KerioState
from kerio_watch.simulate.model import LOG_FILES, Scenario

_STAMP = re.compile(r"^\[(\d\d)/(\w\w\w)/(\d{4}) (\d\d):(\d\d):(\d\d)\] ")
_QID = re.compile(r"(Queue-ID: )([0-9a-f]{8})(-)")
_DELIVERED = re.compile(r"(Delivered: )(\d\d/\w\w\w/\d{4} \d\d:\d\d:\d\d)")
_RECV = re.compile(
    r"^Recv: Queue-ID: (\S+), Service: ([^,]*), From: <([^>]*)>, To: <(.*?)>, Size: (\d+)"
    r"(?:, Sender-Host: ([^,]+))?(?:, User: ([^,]+))?"
)
_SENT = re.compile(
    r"^Sent: Queue-ID: (\S+), Recipient: <([^>]*)>, Result: (\w+), Status: ([^,]*), "
    r"Remote-Host: ([^,]+)"
)
_MONTH = {m: i + 1 for i, m in enumerate(MONTHS)}


@dataclass
class Line:
    """One log line: UTC time (shifted), log name, text after the time prefix."""

    t: int
    log: str
    text: str


@dataclass
class ReplayStats:
    """What the hijack's account did in the replay, in shifted UTC times."""

    accepted: int = 0
    """Hijack messages accepted (distinct Queue-IDs whose Recv lines were written)."""
    refused: int = 0
    """Hijack messages the server refused after containment (not written)."""
    delivered: int = 0
    """Hijack recipients delivered to remote servers (Sent: delivered lines written)."""
    not_sent: int = 0
    """Deliveries not made because the message had been removed from the queue."""
    first_bad: int = 0
    first_bounce: int | None = None
    """The first failed delivery or DSN of the hijack written."""
    first_written: float | None = None
    """Wall-clock time the hijack's first message was written (paced replays)."""


class Replay:
    """A simulated site, replayed now (see the module documentation).

    Args:
        source: the simulated logs (the directory ``simulate()`` wrote).
        out: the directory to write the live logs into (what ``follow`` reads).
        zone: the site's time zone (``SimConfig.timezone``).
        hijack: the planted scenario to replay (ground truth).
        state: the emulated server (queue, containment effects).
        lead: seconds from now until the replay's paced part begins.
        before: seconds of log before the hijack's first message that are paced too.
    """

    def __init__(
        self,
        source: Path,
        out: Path,
        zone: str,
        hijack: Scenario,
        state: KerioState,
        lead: float = 10.0,
        before: int = 30,
    ) -> None:
        self.source = source
        self.out = out
        self.zone = ZoneInfo(zone)
        self.hijack = hijack
        self.account = hijack.account.lower()
        self.state = state
        start = int(hijack.start.timestamp())
        self.cut = start - before
        self.shift = int(time.time() + lead) - self.cut
        self.lines = self._read()
        self.stats = ReplayStats(first_bad=start + self.shift)
        self.first_bad = start + self.shift
        """Wall-clock (and shifted log) time of the hijack's first message."""
        self.last_bad = int(hijack.end.timestamp()) + self.shift
        self._qids: set[str] = set()
        self._dropped: set[str] = set()
        self._pos = 0

    # -- reading and shifting --------------------------------------------------------------
    def _read(self) -> list[Line]:
        lines: list[Line] = []
        for log, name in LOG_FILES.items():
            path = self.source / name
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as handle:
                for raw in handle:
                    m = _STAMP.match(raw)
                    if m is None:
                        continue
                    local = dt.datetime(int(m[3]), _MONTH[m[2]], int(m[1]), int(m[4]),
                                        int(m[5]), int(m[6]), tzinfo=self.zone)  # fmt: skip
                    lines.append(Line(int(local.timestamp()), log, raw[m.end() :]))
        lines.sort(key=lambda line: line.t)
        for line in lines:
            line.t += self.shift
            line.text = self._shift_text(line.text)
        return lines

    def _shift_text(self, text: str) -> str:
        if "Queue-ID: " in text:
            text = _QID.sub(lambda m: f"{m[1]}{int(m[2], 16) + self.shift:08x}{m[3]}", text)
        if "Delivered: " in text:
            text = _DELIVERED.sub(lambda m: m[1] + self._local(self._parse_local(m[2])), text)
        return text

    def _parse_local(self, text: str) -> int:
        when = dt.datetime.strptime(text, "%d/%b/%Y %H:%M:%S").replace(tzinfo=self.zone)
        return int(when.timestamp()) + self.shift

    def _local(self, t: int) -> str:
        local = dt.datetime.fromtimestamp(t, self.zone)
        return f"{local.day:02d}/{MONTHS[local.month - 1]}/{local.year} {local:%H:%M:%S}"

    def stamp(self, line: Line) -> str:
        """The line as Kerio writes it, with its (shifted) local time prefix."""
        return f"[{self._local(line.t)}] {line.text}"

    # -- writing ---------------------------------------------------------------------------
    @property
    def start_wall(self) -> float:
        """Wall-clock time of the first paced line."""
        return float(self.cut + self.shift)

    def write_history(self) -> int:
        """Write every line before the paced part at once; how many. Each file's
        modification time is its last line's time (not in the future), as if it had
        been written as its lines happened (``follow`` learns how late a log is written
        from it)."""
        self.out.mkdir(parents=True, exist_ok=True)
        cut = self.cut + self.shift
        handles = {log: (self.out / name).open("a", encoding="utf-8") for log, name in
                   LOG_FILES.items()}  # fmt: skip
        last: dict[str, int] = {}
        try:
            while self._pos < len(self.lines) and self.lines[self._pos].t < cut:
                line = self.lines[self._pos]
                self._pos += 1
                if self._admit(line):
                    handles[line.log].write(self.stamp(line))
                    last[line.log] = line.t
        finally:
            for handle in handles.values():
                handle.close()
        now = time.time()
        for log, t in last.items():
            os.utime(self.out / LOG_FILES[log], (min(t, now), min(t, now)))
        return self._pos

    def run(self, stop: threading.Event, until: float | None = None, speed: float = 1.0) -> None:
        """Write the paced lines as the clock reaches them (``speed`` > 1: faster), until
        ``stop`` is set, the wall clock passes ``until``, or the logs end."""
        base = self.start_wall
        while self._pos < len(self.lines) and not stop.is_set():
            line = self.lines[self._pos]
            due = base + (line.t - base) / speed
            if until is not None and due > until:
                return
            wait = due - time.time()
            if wait > 0 and stop.wait(wait):
                return
            self._pos += 1
            if self._admit(line):
                with (self.out / LOG_FILES[line.log]).open("a", encoding="utf-8") as handle:
                    handle.write(self.stamp(line))
                if self.stats.first_written is None and self.stats.accepted:
                    self.stats.first_written = time.time()

    def finish(self) -> None:
        """Play the rest at once (in memory, nothing written): the counts of what the
        hijack would still have done."""
        while self._pos < len(self.lines):
            self._admit(self.lines[self._pos])
            self._pos += 1

    # -- the mail server's part -------------------------------------------------------------
    def _admit(self, line: Line) -> bool:
        """Update the queue; False when the server would not have written the line."""
        if line.log != "mail":
            return True
        text = line.text
        if text.startswith("Recv: "):
            return self._recv(line)
        if text.startswith("Sent: "):
            return self._sent(line)
        return True

    def _recv(self, line: Line) -> bool:
        m = _RECV.match(line.text)
        if m is None:
            return True
        qid, service, sender, rcpts, size, host, user = m.groups()
        to = [r.strip() for r in rcpts.split(">, <")]
        ours = (user or "").lower() == self.account and self.first_bad <= line.t <= self.last_bad
        if service == "DSN" and to[0].lower() == self.account and line.t >= self.first_bad:
            self._bounce(line.t)
        if user and not all(self.state.may_send(user, r, host) for r in to):
            if ours and qid not in self._dropped:
                self.stats.refused += 1
            self._dropped.add(qid)
            return False
        self.state.accept(qid, line.t, sender, user or "", host or "", to, int(size))
        if ours and qid not in self._qids:
            self._qids.add(qid)
            self.stats.accepted += 1
        return True

    def _sent(self, line: Line) -> bool:
        m = _SENT.match(line.text)
        if m is None:
            return True
        qid, rcpt, result, status, remote = m.groups()
        if qid in self._dropped:
            return False
        sent = self.state.deliver(qid, rcpt, result, status.strip(), line.t)
        if qid not in self._qids:
            return sent
        if not sent:
            self.stats.not_sent += 1
            return False
        if result == "delivered" and remote.strip() not in ("127.0.0.1", "::1"):
            self.stats.delivered += 1
        elif result == "failed":
            self._bounce(line.t)
        return True

    def _bounce(self, t: int) -> None:
        if self.stats.first_bounce is None:
            self.stats.first_bounce = t
