"""Volume: an account sends far more than it does at this hour of the week.

Messages and recipients are counted over a short and a long sliding window (10 and 60
minutes by default) and compared with the account's own norm for this hour of the week:
the median of what it sent in this hour on recent weeks (zeros included) plus ``k``
median absolute deviations, never below the floors (20 messages or 50 recipients an
hour). Scheduled senders are normal at their times: the threshold is at least half as
much again as the most the account ever sent around this time of day, and for bulk
accounts (``[users."x"] bulk = true``, or learned: repeatedly hundreds an hour outside
any incident) as its overall peak. Accounts with less than a week of history are
compared with the busiest accounts of the site at this hour, and score ``low`` at most
on volume alone (their first newsletter is not an incident; a hijack of a new account
shows in the other rules too).

The score grows with each doubling above the threshold. When most of the window's
recipients are people the account knows (it wrote to them or they wrote to it, and every
colleague: mail to the staff never leaves the company), the score is weak
(``known_factor``), and below what pairs with a stranger's access on its own (an owner
answering a backlog of 200 mails one evening from home is busy, not abused) -- unless
most of it was written by a mail program the account never wrote with
(``program_share``): the owner answers its backlog with its own program; a stranger
replaying the mailbox's threads to their people uses its tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import (
    DualWindow,
    Recent,
    Window,
    count,
    doublings,
    number,
    percent,
    stepped,
)
from kerio_watch.enrich.clients import client_of, program_name
from kerio_watch.enrich.messages import Submission
from kerio_watch.settings.numbers import factor, period, points, share, threshold
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile
from kerio_watch.values.verdict import MODERATE

if TYPE_CHECKING:
    pass

RULE = "kerio.mail.volume"
WEBMAIL = "Kerio webmail"
"""The family of Message-IDs Kerio's own webmail writes (:func:`.client_of`)."""


class _Limits:
    """Thresholds of one account for one clock hour, and how to explain them."""

    __slots__ = ("hour", "long_m", "long_r", "norm", "short_m", "short_r", "warmup")

    def __init__(
        self,
        hour: int,
        long_m: float,
        long_r: float,
        short_m: float,
        short_r: float,
        norm: str,
        warmup: bool,
    ) -> None:
        self.hour = hour
        self.long_m = long_m
        self.long_r = long_r
        self.short_m = short_m
        self.short_r = short_r
        self.norm = norm
        self.warmup = warmup


class _Account:
    __slots__ = ("limits", "novel", "program", "program_ts", "window")

    def __init__(self, short: int, long: int) -> None:
        self.window = DualWindow(short, long)
        self.novel = Window(long)
        """Recipients, those the account never wrote to nor heard from, and those of mail
        written by a program it never wrote with."""
        self.program = ""
        """The last such program: it stays one while it writes (the learner may learn it
        from its first message), and it names it in the summary."""
        self.program_ts = 0
        self.limits: _Limits | None = None


@dataclass(frozen=True)
class VolumeOptions:
    """``[detectors.volume]`` options."""

    short_minutes: int = period(10, "minutes", below="long_minutes")
    long_minutes: int = period(60, "minutes")
    min_messages: int = threshold(20)
    min_recipients: int = threshold(50)
    min_messages_short: int = threshold(10, at_most="min_messages")
    min_recipients_short: int = threshold(30, at_most="min_recipients")
    mad_factor: float = factor(5.0)
    median_factor: float = factor(3.0)
    peak_factor: float = factor(1.5)
    short_share: float = share(0.5)
    warmup_days: float = period(7.0, "days", positive=False)
    site_factor: float = factor(3.0)
    score: int = points(35, at_most="score_max")
    score_step: int = points(10)
    score_max: int = points(75)
    warmup_score_max: int = points(35)
    known_share: float = share(0.3)
    known_factor: float = share(0.4)
    program_share: float = share(0.5)
    program_messages: int = threshold(20, low=0)


class VolumeDetector(SavedState):
    """Flags message and recipient counts far above the account's norm for the hour."""

    name: ClassVar[str] = "volume"
    wants: ClassVar[frozenset[str]] = frozenset({"submission"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Unusual volume",
            "Messages or recipients in the last 10 or 60 minutes far above what this "
            "account sends at this hour of the week (median + k x MAD over recent weeks, "
            "never below 20 messages / 50 recipients an hour), and above its own peaks "
            "around this time of day (its overall peak for bulk senders).",
            "A hijacked account is used to send as much spam as possible before it is "
            "stopped: hundreds or thousands of messages an hour where the owner sends a "
            "handful.",
            "A one-off mass mailing from a normal account, a newly scheduled job. Bulk "
            "senders are learned after two large hours outside incidents, or set "
            '[users."x"] bulk = true; ack --benign accepts the volume as a new peak.',
            side="use",
        ),
    )
    options_class: ClassVar[type[VolumeOptions]] = VolumeOptions

    def __init__(self, ctx: Context, options: VolumeOptions) -> None:
        self.ctx = ctx
        self.short_span = options.short_minutes * 60  # 0 < short < long: checked at load
        self.long_span = options.long_minutes * 60
        self.min_m = options.min_messages
        self.min_r = options.min_recipients
        self.min_sm = options.min_messages_short
        self.min_sr = options.min_recipients_short
        self.mad_factor = options.mad_factor
        self.median_factor = options.median_factor
        self.peak_factor = options.peak_factor
        self.short_share = options.short_share
        self.warmup_days = options.warmup_days
        self.site_factor = options.site_factor
        self.score = options.score
        self.score_step = options.score_step
        self.score_max = options.score_max
        self.warmup_max = options.warmup_score_max
        self.known_share = options.known_share
        self.known_factor = options.known_factor
        self.program_share = options.program_share
        self.program_messages = options.program_messages
        self.accounts: dict[str, _Account] = {}
        self.recent = Recent(self.long_span)

    def observe(self, item: Submission) -> Sequence[Signal] | None:
        """Count one submission; fire when a window passes the account's threshold."""
        account = item.account
        acc = self.accounts.get(account)
        if acc is None:
            acc = self.accounts[account] = _Account(self.short_span, self.long_span)
        ts = item.ts
        m = 1 if item.new_message else 0
        r = len(item.recipients)
        w = acc.window
        w.add(ts, m, r)
        if r:
            prof = self.ctx.profile(account)
            known = prof.recipients
            heard = prof.correspondents
            is_local = self.ctx.is_local  # colleagues are people it knows, too
            fresh = sum(
                1 for x in item.recipients if x not in known and x not in heard and not is_local(x)
            )
            foreign = self._foreign(item, prof, acc)
            acc.novel.add(ts, r, fresh, r if foreign else 0)
        # Sums over-estimate until expired; the long sums bound the short ones, and the
        # short floors are the lower ones: below them there is nothing to do.
        if w.long_a < self.min_sm and w.long_b < self.min_sr:
            return None
        w.expire(ts)
        if (
            w.short_a < self.min_sm
            and w.short_b < self.min_sr
            and w.long_a < self.min_m
            and w.long_b < self.min_r
        ):
            return None
        limits = acc.limits
        if limits is None or limits.hour != ts // 3600:
            limits = acc.limits = self._limits(account, ts)
        ratio_long = max(w.long_a / limits.long_m, w.long_b / limits.long_r)
        ratio_short = max(w.short_a / limits.short_m, w.short_b / limits.short_r)
        ratio = max(ratio_long, ratio_short)
        if ratio < 1:
            return None
        level = doublings(ratio)
        if not self.recent.due(account, ts, level):
            return None
        return (self._signal(item, acc, limits, level, ratio_short > ratio_long),)

    def _signal(
        self, item: Submission, acc: _Account, limits: _Limits, level: int, short: bool
    ) -> Signal:
        """The volume signal: its score (weaker when the recipients are people the account
        knows) and what it says."""
        account, ts, w = item.account, item.ts, acc.window
        score = stepped(self.score, self.score_step, self.score_max, level)
        if limits.warmup:
            score = min(score, self.warmup_max)
        acc.novel.expire(ts)
        strangers = acc.novel.b / acc.novel.a if acc.novel.a else 0.0
        busy = ""
        foreign = acc.novel.c / acc.novel.a if acc.novel.a else 0.0
        if strangers < self.known_share and foreign >= self.program_share:
            program = program_name(acc.program) if acc.program else "a mail program"
            busy = (
                f"; {percent(1 - strangers)} of the recipients are people it knows, "
                f"in mail written by {program}, a program it never used"
            )
        elif strangers < self.known_share:
            # Mostly people it knows: a busy day, weak evidence of abuse on its own. Weak
            # evidence corroborates but never decides: below what pairs with a stranger.
            score = min(round(score * self.known_factor), MODERATE - 1)
            busy = f"; {percent(1 - strangers)} of the recipients are people it knows"
        n_m, n_r = (w.short_a, w.short_b) if short else (w.long_a, w.long_b)
        minutes = max(1, -(-(ts - (w.first_ts(short) or ts)) // 60))
        summary = (
            f"{account} sent {count(n_m, 'message')} to {count(n_r, 'recipient')} "
            f"in {count(minutes, 'minute')}, {limits.norm}{busy}"
        )
        return Signal(
            RULE,
            account,
            ts,
            score,
            printable(summary),
            item.host,
            (item.event.raw,),
            facts={"peak": [w.long_a, w.long_b]},
            who=self.ctx.describe_host(item.host),
        )

    def _foreign(self, item: Submission, prof: Profile, acc: _Account) -> bool:
        """Whether the message was written by a mail program (Message-ID shape) the
        account never wrote with, once it has ``program_messages`` of its own."""
        client = client_of(item.event.msg_id)
        if not client or client == WEBMAIL:
            return False  # the server writes the webmail's: every owner's program anywhere
        if client == acc.program and item.ts - acc.program_ts < self.long_span:
            acc.program_ts = item.ts
            return True
        if client in prof.clients or prof.is_accepted("clients", client):
            return False
        if sum(e[0] for e in prof.clients.values()) < self.program_messages:
            return False
        acc.program, acc.program_ts = client, item.ts
        return True

    def _limits(self, account: str, ts: int) -> _Limits:
        ctx = self.ctx
        prof = ctx.profile(account)
        how = ctx.hour_of_week(ts)
        hour = how % 24
        weeks = prof.weeks_known(ts)
        vol = prof.volume
        med_m, mad_m = vol.norm(how, weeks)
        med_r, mad_r = vol.norm(how, weeks, recipients=True)
        k, f = self.mad_factor, self.median_factor
        long_m = max(float(self.min_m), med_m + k * mad_m, f * med_m)
        long_r = max(float(self.min_r), med_r + k * mad_r, f * med_r)
        peak_m = vol.peak_at_hour(hour)
        peak_r = vol.peak_at_hour(hour, recipients=True)
        user = ctx.user_config(account)
        bulk = prof.bulk or bool(user and user.bulk)
        if bulk:
            peak_m = max(peak_m, vol.peak())
            peak_r = max(peak_r, vol.peak(recipients=True))
        accepted = _accepted_peak(prof)
        peak_m, peak_r = max(peak_m, accepted), max(peak_r, accepted)
        p = self.peak_factor
        long_m, long_r = max(long_m, p * peak_m), max(long_r, p * peak_r)
        warmup = not prof.first_ts or prof.days_known(ts) < self.warmup_days
        when = ctx.describe_how(how)
        if bulk and peak_m < self.min_m and not warmup:
            # Declared a bulk sender but no large hour learned yet: its first mailing
            # is what it is for; capped like a new account until its peak is known.
            warmup = True
            norm = "a bulk sender whose peak is not known yet"
        elif warmup:
            busy = ctx.site.busy_hour(hour)
            long_m = max(long_m, self.site_factor * busy)
            long_r = max(long_r, self.site_factor * busy * 2)
            norm = (
                f"a new account (the busiest accounts here send up to {busy:,} an hour "
                f"around {hour:02d}:00)"
            )
        elif bulk:
            norm = f"a bulk sender whose peak is {count(peak_m, 'message')} an hour"
        else:
            norm = f"usually {number(med_m)} on {when}"
        share = self.short_share
        short_m = max(float(self.min_sm), share * long_m, 1.25 * peak_m)
        short_r = max(float(self.min_sr), share * long_r, 1.25 * peak_r)
        return _Limits(ts // 3600, long_m, long_r, short_m, short_r, norm, warmup)

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven (windows expire as mail arrives)."""
        return ()

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """The windows (entries within the long window) and this hour's limits."""
        hour = now // 3600
        accounts: dict[str, Any] = {}
        for account, acc in self.accounts.items():
            rows = acc.window.dump(now)
            if not rows:
                continue
            lim = acc.limits
            accounts[account] = {
                "w": rows,
                "n": acc.novel.dump(now),
                "l": None
                if lim is None or lim.hour != hour
                else [
                    lim.hour,
                    lim.long_m,
                    lim.long_r,
                    lim.short_m,
                    lim.short_r,
                    lim.norm,
                    lim.warmup,
                ],
            }
        return {"accounts": accounts}

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        for account, saved in data["accounts"].items():
            acc = _Account(self.short_span, self.long_span)
            acc.window = DualWindow.restore(self.short_span, self.long_span, saved["w"])
            acc.novel = Window.restore(self.long_span, saved.get("n", []))
            lim = saved.get("l")
            if lim:
                acc.limits = _Limits(
                    int(lim[0]),
                    float(lim[1]),
                    float(lim[2]),
                    float(lim[3]),
                    float(lim[4]),
                    str(lim[5]),
                    bool(lim[6]),
                )
            self.accounts[account] = acc

    def reset_state(self) -> None:
        """Forget the windows."""
        self.accounts.clear()

    def forget_after(self, new: int) -> None:
        """The clock set back to ``new``: each account's windows forget what is after it."""
        for account, acc in list(self.accounts.items()):
            if not acc.window.forget_after(new) + acc.novel.forget_after(new):
                del self.accounts[account]


def _accepted_peak(prof: Profile) -> int:
    values = prof.accepted.get("peak")
    return max((int(v) for v in values), default=0) if values else 0
