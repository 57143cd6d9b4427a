"""One message to many: the same subject or the same size, sent separately to many people.

A campaign sends one message again and again: the same lure to every contact, one
"shared document" to the whole address book, the same attachment in reply after reply.
People write different messages to different people. Mail.log carries each message's
``Subject`` and ``Size``, so within a sliding window (60 minutes) every message of an
account is counted under its subject (``Re:``/``AW:``/``Fwd:`` stripped, case and spaces
folded) and its size (1% steps; a neighbouring step counts too, so that a longer
address or subject line does not split a campaign). The rule fires when one subject or
one size makes up most of the account's mail in the window and at least 10 separate
messages. Bulk senders (newsletters, invoicing) do this by design and are not judged,
nor are accounts with less than a week of history (their first mailing may be what they
are for; a hijack of a new account shows in the other rules), unless they sent on the
first day kerio-watch saw (a new installation: their history is missing, not the account
new);
an account that already sent a large hour (50+ messages) outside incidents is judged
against half as much again as its peak hour, and so is an accepted peak (``ack
--benign``).
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, hourly
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import IdleSweep, Recent, count, doublings, stepped
from kerio_watch.enrich.messages import Submission
from kerio_watch.settings.numbers import factor, period, points, share, threshold
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile

RULE = "kerio.mail.one_to_many"
_STEP = math.log(1.01)
_PREFIX = re.compile(r"^\s*(?:(?:re|aw|fwd?|wg|sv|antw|tr|rif|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_SPACE = re.compile(r"\s+")
FIRST_DAY = 86400
"""An account that sent within this long of the site's first message was there before."""

Entry = tuple[int, str, int, int]
"""(ts, subject key, size step, recipients) of one message."""


@lru_cache(maxsize=4096)
def subject_key(subject: str | None) -> str:
    """A subject with reply and forward prefixes stripped, case and spaces folded
    (cached: a pure function, and subjects repeat).

    >>> subject_key("AW: Re:  Angebot  2026"), subject_key("  "), subject_key(None)
    ('angebot 2026', '', '')
    """
    if not subject:
        return ""
    return _SPACE.sub(" ", _PREFIX.sub("", subject)).strip().lower()[:200]


def size_step(size: int | None) -> int:
    """The 1% step a size falls in (-1 when unknown).

    >>> size_step(201_000) - size_step(200_000), size_step(230_000) - size_step(200_000)
    (1, 14)
    """
    if not size or size <= 0:
        return -1
    return int(math.log(size) / _STEP)


class _Account:
    """An account's messages in the window, and how many share each subject and size."""

    __slots__ = ("entries", "last_qid", "rcpts", "sizes", "subjects")

    def __init__(self) -> None:
        self.entries: deque[Entry] = deque()
        self.subjects: dict[str, list[int]] = {}
        self.sizes: dict[int, list[int]] = {}
        self.rcpts = 0
        self.last_qid = ""

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        _, subject, step, n = entry
        if subject:
            _bump(self.subjects, subject, 1, n)
        if step >= 0:
            _bump(self.sizes, step, 1, n)
        self.rcpts += n

    def more(self, n: int) -> None:
        """More recipients of the latest message (a further Recv line)."""
        ts, subject, step, had = self.entries[-1]
        self.entries[-1] = (ts, subject, step, had + n)
        if subject:
            _bump(self.subjects, subject, 0, n)
        if step >= 0:
            _bump(self.sizes, step, 0, n)
        self.rcpts += n

    def expire(self, edge: int) -> None:
        entries = self.entries
        while entries and entries[0][0] <= edge:
            _, subject, step, n = entries.popleft()
            if subject:
                _bump(self.subjects, subject, -1, -n)
            if step >= 0:
                _bump(self.sizes, step, -1, -n)
            self.rcpts -= n

    def size_cluster(self, step: int) -> tuple[int, int]:
        """(messages, recipients) within one step of ``step``."""
        m = r = 0
        for s in (step - 1, step, step + 1):
            c = self.sizes.get(s)
            if c:
                m += c[0]
                r += c[1]
        return m, r


CLOCK_BACK = 300
"""Seconds a message must be dated before the account's last one for the server's clock
to count as set back (``pipeline.marks.SET_BACK``): the messages before the jump are
dated after it, and neither old nor in its window."""


def _bump(table: dict[Any, list[int]], key: Any, m: int, r: int) -> None:
    c = table.get(key)
    if c is None:
        table[key] = [m, r]
        return
    c[0] += m
    c[1] += r
    if c[0] <= 0:
        del table[key]


@dataclass(frozen=True)
class OneToManyOptions:
    """``[detectors.one_to_many]`` options."""

    window_minutes: int = period(60, "minutes")
    min_messages: int = threshold(10)
    min_share: float = share(0.5)
    large_hour: int = threshold(50)
    peak_factor: float = factor(1.5)
    warmup_days: float = period(7.0, "days", positive=False)
    score: int = points(25, at_most="score_max")
    score_step: int = points(10)
    score_max: int = points(45)


class OneToManyDetector(SavedState):
    """Flags the same subject or size sent separately to many recipients."""

    name: ClassVar[str] = "one_to_many"
    wants: ClassVar[frozenset[str]] = frozenset({"submission"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "One message sent to many",
            "Within a sliding window (60 minutes), an account sent at least 10 separate "
            "messages with the same subject (reply prefixes aside) or the same size "
            "(within about 1.5%), making up most of its mail in the window.",
            "A hijacked account is used for a campaign: one lure to every contact, one "
            "'shared document' to the address book, the same attachment in reply after "
            "reply in real threads. The owner writes different messages to different "
            "people, and the recipients may all be people it knows.",
            "A one-off mailing sent message by message (an invitation, an offer); "
            'declare real mailing accounts with [users."x"] bulk = true; ack --benign '
            "accepts the volume as a peak.",
            side="use",
        ),
    )
    options_class: ClassVar[type[OneToManyOptions]] = OneToManyOptions

    def __init__(self, ctx: Context, options: OneToManyOptions) -> None:
        self.ctx = ctx
        self.span = int(options.window_minutes * 60)
        self.min_messages = options.min_messages
        self.min_share = options.min_share
        self.large_hour = options.large_hour
        self.peak_factor = options.peak_factor
        self.warmup_days = options.warmup_days
        self.score = options.score
        self.score_step = options.score_step
        self.score_max = options.score_max
        self.accounts: dict[str, _Account] = {}
        self.recent = Recent(self.span)
        self.sweep = IdleSweep()

    def observe(self, item: Submission) -> Sequence[Signal] | None:
        """Count one submission; fire when one subject or size dominates the window."""
        acc = self.accounts.get(item.account)
        if acc is None:
            acc = self.accounts[item.account] = _Account()
        n = len(item.recipients)
        event = item.event
        if not item.new_message:
            if acc.entries and acc.last_qid == item.queue_id:
                acc.more(n)
            return None
        acc.last_qid = item.queue_id
        if acc.entries and item.ts < acc.entries[-1][0] - CLOCK_BACK:
            acc.expire(max(e[0] for e in acc.entries))  # the clock set back: start again
        acc.add((item.ts, subject_key(event.subject), size_step(event.size), n))
        if len(acc.entries) < self.min_messages:
            return None
        acc.expire(item.ts - self.span)
        total = len(acc.entries)
        if total < self.min_messages:
            return None
        return self._judge(item, acc, total)

    def _judge(self, item: Submission, acc: _Account, total: int) -> Sequence[Signal] | None:
        entry = acc.entries[-1]
        by_subject = acc.subjects.get(entry[1], [0, 0]) if entry[1] else [0, 0]
        by_size = acc.size_cluster(entry[2]) if entry[2] >= 0 else (0, 0)
        same_subject = by_subject[0] >= by_size[0]
        m, r = (by_subject[0], by_subject[1]) if same_subject else by_size
        if m < self.min_messages or m < self.min_share * total:
            return None
        prof = self.ctx.profile(item.account)
        user = self.ctx.user_config(item.account)
        if prof.bulk or (user and user.bulk) or self._new_account(prof, item.ts):
            return None
        threshold = max(float(self.min_messages), self._accepted(item.account))
        peak = prof.volume.peak()
        if peak >= self.large_hour:
            # It has sent mailings before (a large hour outside incidents): this one
            # must be larger than its largest.
            threshold = max(threshold, self.peak_factor * peak)
        if m < threshold:
            return None
        level = doublings(m / threshold)
        if not self.recent.due(item.account, item.ts, level):
            return None
        score = stepped(self.score, self.score_step, self.score_max, level)
        first = next((e[0] for e in acc.entries if _same(e, entry, same_subject)), item.ts)
        minutes = max(1, -(-(item.ts - first) // 60))
        if same_subject:
            what = f"the same subject '{(item.event.subject or '')[:80]}'"
        else:
            what = f"the same size (about {_kb(item.event.size)})"
        summary = (
            f"{item.account} sent one message to many: {count(m, 'message')} to "
            f"{count(r, 'recipient')} in {count(minutes, 'minute')} with {what}, "
            f"{percent_of(m, total)} of its mail in that time"
        )
        return (
            Signal(
                RULE,
                item.account,
                item.ts,
                score,
                printable(summary),
                item.host,
                (item.event.raw,),
                facts={"peak": [m, r]},
                who=self.ctx.describe_host(item.host),
            ),
        )

    def _new_account(self, prof: Profile, ts: int) -> bool:
        """Less than a week of history, unless it sent on kerio-watch's first day: then
        its history is missing (a new installation), not the account new."""
        if prof.days_known(ts) >= self.warmup_days:
            return False
        start = self.ctx.site.first_ts
        return not start or prof.first_ts - start > FIRST_DAY

    def _accepted(self, account: str) -> float:
        """1.5 times a volume an administrator accepted for the account (0 if none)."""
        values = self.ctx.profile(account).accepted.get("peak")
        return 1.5 * max((int(v) for v in values), default=0) if values else 0.0

    @hourly
    def flush(self, now: int) -> Sequence[Signal]:
        """Hourly: forget accounts whose window is empty."""
        self.sweep(self.accounts, now, self.span)
        return ()

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """The messages still in each account's window."""
        edge = now - self.span
        return {
            "accounts": {
                account: [acc.last_qid, [list(e) for e in acc.entries if e[0] > edge]]
                for account, acc in self.accounts.items()
                if acc.entries and acc.entries[-1][0] > edge
            }
        }

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        for account, (last_qid, rows) in data["accounts"].items():
            acc = _Account()
            for ts, subject, step, n in rows:
                acc.add((int(ts), str(subject), int(step), int(n)))
            acc.last_qid = str(last_qid)
            self.accounts[str(account)] = acc
        self.sweep.hour = int(data["now"]) // 3600

    def reset_state(self) -> None:
        """Forget the windows."""
        self.accounts.clear()


def _same(e: Entry, latest: Entry, by_subject: bool) -> bool:
    return e[1] == latest[1] if by_subject else abs(e[2] - latest[2]) <= 1


def _kb(size: int | None) -> str:
    return f"{(size or 0) / 1024:,.0f} KB" if (size or 0) >= 1024 else f"{size or 0} bytes"


def percent_of(part: int, whole: int) -> str:
    """``"90%"`` of a whole (``"100%"`` when the whole is empty)."""
    return f"{100 * part // max(1, whole)}%"
