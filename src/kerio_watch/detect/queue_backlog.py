"""Queue backlog: an account's accepted mail is still not delivered after a while.

The Kerio forum's "50,000 emails in the outgoing queue by morning" starts as a backlog
per sending account: receiving servers defer the spam, so recipients stay queued. Each
message an authenticated account submits is looked up again ``after_minutes`` later (in
log time) in the Queue-ID tracker; recipients without a final delivery or failure by
then count as pending. Pending recipients over a sliding window, against the share the
account usually has delayed, raise the signal.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import (
    Recent,
    Window,
    count,
    percent,
)
from kerio_watch.enrich.messages import Submission
from kerio_watch.settings.numbers import factor, period, points, share, threshold
from kerio_watch.textsafe import printable

if TYPE_CHECKING:
    pass

RULE = "kerio.queue.backlog"
MAX_SAVED = 50_000
"""Messages waiting to be checked that are saved between runs (the newest)."""


@dataclass(frozen=True)
class QueueBacklogOptions:
    """``[detectors.queue_backlog]`` options."""

    after_minutes: int = period(30, "minutes")
    window_minutes: int = period(60, "minutes")
    min_pending: int = threshold(20)
    min_share: float = share(0.2)
    rate_factor: float = factor(5.0)
    min_history: int = threshold(100)
    score: int = points(25)


class QueueBacklogDetector(SavedState):
    """Flags accounts whose mail piles up undelivered in the queue."""

    name: ClassVar[str] = "queue_backlog"
    wants: ClassVar[frozenset[str]] = frozenset({"submission"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Mail stuck in the queue",
            "Recipients of an account's messages that had no final delivery or failure "
            "in mail.log 30 minutes after the message was accepted: at least 20 within "
            "an hour, a share far above what the account usually has delayed.",
            "Receiving servers defer mail from a server that suddenly sends spam; the "
            "queue fills with the hijacked account's messages long before anyone looks.",
            "A partner's mail server down for hours, a mailing to a slow domain; the "
            "server's own queue problems (then every account is affected).",
            side="use",
        ),
    )
    options_class: ClassVar[type[QueueBacklogOptions]] = QueueBacklogOptions

    def __init__(self, ctx: Context, options: QueueBacklogOptions) -> None:
        self.ctx = ctx
        self.after = int(options.after_minutes * 60)
        self.span = int(options.window_minutes * 60)
        self.min_pending = options.min_pending
        self.min_share = options.min_share
        self.rate_factor = options.rate_factor
        self.min_history = options.min_history
        self.score = options.score
        self.queue: deque[tuple[int, str, str, str]] = deque()
        """(accepted at, Queue-ID, account, raw line) waiting to be checked."""
        self.windows: dict[str, Window] = {}
        """account -> (recipients checked, pending) over the window."""
        self.recent = Recent(self.span)

    def observe(self, item: Submission) -> Sequence[Signal] | None:
        """Remember a new message to check later."""
        if item.new_message:
            self.queue.append((item.ts, item.queue_id, item.account, item.event.raw))
        return None

    def flush(self, now: int) -> Sequence[Signal]:
        """Check the messages accepted ``after_minutes`` ago."""
        queue = self.queue
        edge = now - self.after
        if not queue or queue[0][0] > edge:
            return ()
        messages = self.ctx.messages.messages
        touched: dict[str, str] = {}
        while queue and queue[0][0] <= edge:
            ts, qid, account, raw = queue.popleft()
            state = messages.get(qid)
            if state is None:
                continue
            pending = max(0, state.accepted - len(state.final))
            window = self.windows.get(account)
            if window is None:
                window = self.windows[account] = Window(self.span)
            window.add(ts, state.accepted, pending)
            if pending:
                touched[account] = raw
        out: list[Signal] = []
        for account, raw in touched.items():
            signal = self._judge(account, now, raw)
            if signal is not None:
                out.append(signal)
        return out

    def _judge(self, account: str, now: int, raw: str) -> Signal | None:
        window = self.windows[account]
        if window.b < self.min_pending:
            return None
        window.expire(window.entries[-1][0])
        if window.b < self.min_pending:
            return None
        prof = self.ctx.profile(account)
        # Delivery results are learned two hours after acceptance: not this window's.
        history = prof.delivered + prof.failed + prof.delayed
        rate = prof.delayed / history if history >= self.min_history else 0.02
        share = window.b / window.a if window.a else 1.0
        if share < max(self.min_share, self.rate_factor * rate):
            return None
        if not self.recent.due(account, now, window.b.bit_length()):
            return None
        usual = "usually" if history >= self.min_history else "typically"
        summary = (
            f"{window.b:,} of {count(window.a, 'recipient')} of {account}'s mail "
            f"({percent(share)}) still had no final delivery {self.after // 60} minutes after "
            f"it was accepted; {usual} {percent(rate)} are delayed"
        )
        return Signal(RULE, account, now, self.score, printable(summary), None, (raw,))

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """The messages waiting to be checked (lines stored once) and the windows."""
        lines: dict[str, int] = {}
        queue = self.queue
        start = max(0, len(queue) - MAX_SAVED)
        waiting = [
            [ts, qid, account, lines.setdefault(raw, len(lines))]
            for i, (ts, qid, account, raw) in enumerate(queue)
            if i >= start
        ]
        # Windows run on acceptance times, which lag ``now``: keep a margin.
        edge = now - self.after - 3600
        windows = {a: rows for a, w in self.windows.items() if (rows := w.dump(edge))}
        return {"queue": waiting, "lines": list(lines), "windows": windows}

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        lines = data["lines"]
        for ts, qid, account, line in data["queue"]:
            self.queue.append((int(ts), str(qid), str(account), lines[line]))
        for account, rows in data["windows"].items():
            self.windows[account] = Window.restore(self.span, rows)

    dated: ClassVar[tuple[str, ...]] = ("windows",)

    def reset_state(self) -> None:
        """Forget the waiting messages and the windows."""
        self.queue.clear()
        self.windows.clear()

    def forget_after(self, new: int) -> None:
        """The clock set back to ``new``: messages accepted after it and not checked yet
        count as accepted at ``new`` (checked ``after_minutes`` after the jump, not once
        the log's time passes them again); the windows forget (:attr:`dated`)."""
        self.queue = deque((min(ts, new), qid, who, raw) for ts, qid, who, raw in self.queue)
