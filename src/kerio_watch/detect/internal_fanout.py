"""Internal fan-out: an account suddenly writes to many colleagues it has nothing to do with.

A stolen mailbox is worth most inside the company: colleagues trust mail from a
colleague, so the phishing lure (a "shared document", a salary table, an invoice to
approve) goes to the whole staff, often in a few messages with many recipients each. No
outside rule sees it: the recipients are local, the volume is small and there may be
only two or three messages. Microsoft 365 caps internal recipients per hour for the
same reason (``RecipientLimitInternalPerHour``).

Within a sliding window (60 minutes) the colleagues an account reaches are counted (real
accounts of this server, not list or role addresses, nor its own aliases), and with them
those it has nothing to do with: it never wrote to them and they never wrote to it. The
rule fires when at least ``min_colleagues`` colleagues were reached and most of them
(``min_new_share``) are such strangers. Someone who mails the whole staff as part of the
job (the assistant, HR, the managing director) has written to them before and stays
quiet; a first all-staff announcement is use evidence alone (low, no alert) and counts
only with a stranger's access. Sent from inside the trusted networks (the office, the
VPN) it is context, not use: the owner at the desk writing to the staff, whose other
evidence (a busy hour) must not add up to an alert with it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, hourly
from kerio_watch.detect.clockback import redate
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import IdleSweep, Recent, count, doublings, stepped
from kerio_watch.enrich.messages import Submission
from kerio_watch.settings.numbers import period, points, share, threshold
from kerio_watch.textsafe import printable
from kerio_watch.values.verdict import CONTEXT

RULE = "kerio.mail.internal_fanout"
MAX_RAWS = 5
"""Lines kept per account as the signal's evidence."""


class _Account:
    """The colleagues an account reached in the window: colleague -> (last ts, stranger),
    ordered by last ts (oldest first)."""

    __slots__ = ("messages", "raws", "reached", "strangers")

    def __init__(self) -> None:
        self.reached: dict[str, tuple[int, bool]] = {}
        self.strangers = 0
        self.messages: deque[int] = deque()
        self.raws: deque[str] = deque(maxlen=MAX_RAWS)

    def __len__(self) -> int:
        return len(self.reached)

    def reach(self, colleague: str, ts: int, stranger: bool) -> None:
        old = self.reached.pop(colleague, None)
        if old is not None:
            stranger = old[1]  # judged when first reached in the window
            self.strangers -= stranger
        self.reached[colleague] = (ts, stranger)
        self.strangers += stranger

    def clock_set_back(self, new: int) -> None:
        """What it reached after ``new``, the server's clock set back, reached at ``new``."""
        redate(self.reached, new)
        redate(self.messages, new)

    def expire(self, edge: int) -> None:
        reached = self.reached
        while reached:
            colleague = next(iter(reached))
            ts, stranger = reached[colleague]
            if ts > edge:
                break
            del reached[colleague]
            self.strangers -= stranger
        while self.messages and self.messages[0] <= edge:
            self.messages.popleft()


@dataclass(frozen=True)
class InternalFanoutOptions:
    """``[detectors.internal_fanout]`` options."""

    window_minutes: int = period(60, "minutes")
    min_colleagues: int = threshold(10)
    min_new_share: float = share(0.6)
    warmup_days: float = period(3.0, "days", positive=False)
    score: int = points(25, at_most="score_max")
    score_step: int = points(5)
    score_max: int = points(40)


class InternalFanoutDetector(SavedState):
    """Flags an account reaching many colleagues it never had anything to do with."""

    name: ClassVar[str] = "internal_fanout"
    wants: ClassVar[frozenset[str]] = frozenset({"submission"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Mail to many colleagues it has nothing to do with",
            "Within a sliding window (60 minutes), an account wrote to at least 10 "
            "colleagues (accounts of this server), most of whom it never wrote to and who "
            "never wrote to it.",
            "Inside the company a stolen mailbox is trusted: the attacker sends the lure "
            "(a shared document, a salary table) to the staff in a few messages with many "
            "recipients. Outside rules do not see it, and the volume is small.",
            "A first announcement to the whole staff: alone it stays low (no alert), and "
            "from the office it is only context. It counts with a stranger's access; "
            '[users."x"] bulk = true for accounts that mail the staff by design.',
            side="use",
        ),
    )
    options_class: ClassVar[type[InternalFanoutOptions]] = InternalFanoutOptions
    redated: ClassVar[tuple[str, ...]] = ("accounts",)

    def __init__(self, ctx: Context, options: InternalFanoutOptions) -> None:
        self.ctx = ctx
        self.opts = options
        self.span = int(options.window_minutes * 60)
        self.accounts: dict[str, _Account] = {}
        self.recent = Recent(self.span)
        self.sweep = IdleSweep()

    def observe(self, item: Submission) -> Sequence[Signal] | None:
        """Count the colleagues of one submission; fire when they are many strangers."""
        ctx, account = self.ctx, item.account
        acc: _Account | None = None
        for rcpt in item.recipients:
            if not ctx.is_local(rcpt) or ctx.is_own_address(account, rcpt):
                continue
            colleague = ctx.canonical(rcpt)
            if colleague == account or not ctx.is_account(colleague):
                continue
            if acc is None:
                acc = self.accounts.get(account)
                if acc is None:
                    acc = self.accounts[account] = _Account()
            acc.reach(colleague, item.ts, self._stranger(account, colleague))
        if acc is None:
            return None
        if item.new_message:
            acc.messages.append(item.ts)
        acc.raws.append(item.event.raw)
        acc.expire(item.ts - self.span)
        if len(acc.reached) < self.opts.min_colleagues:
            return None
        return self._judge(item, acc)

    def _stranger(self, account: str, colleague: str) -> bool:
        """Neither wrote to the other (as far as the profiles remember)."""
        prof = self.ctx.profile(account)
        if colleague in prof.recipients or colleague in prof.correspondents:
            return False
        other = self.ctx.profiles.get(colleague)
        return other is None or account not in other.recipients

    def _judge(self, item: Submission, acc: _Account) -> Sequence[Signal] | None:
        reached, strangers, opts = len(acc.reached), acc.strangers, self.opts
        if strangers < opts.min_new_share * reached:
            return None
        prof = self.ctx.profile(item.account)
        user = self.ctx.user_config(item.account)
        if prof.bulk or (user and user.bulk) or prof.days_known(item.ts) < opts.warmup_days:
            return None
        level = doublings(reached / opts.min_colleagues)
        if not self.recent.due(item.account, item.ts, level):
            return None
        score = stepped(opts.score, opts.score_step, opts.score_max, level)
        first = next(iter(acc.reached.values()))[0]
        minutes = max(1, -(-(item.ts - first) // 60))
        messages = max(1, len(acc.messages))
        subject = (item.event.subject or "")[:80]
        about = f", the last one '{subject}'" if subject else ""
        summary = (
            f"{item.account} wrote to {count(reached, 'colleague')} in "
            f"{count(minutes, 'minute')} ({count(messages, 'message')}{about}); "
            f"{strangers} of them it never wrote to and they never wrote to it"
        )
        # From the office it is the owner writing to the staff: context, not harm.
        inside = self.ctx.networks.is_trusted(item.host) is True
        return (
            Signal(
                RULE,
                item.account,
                item.ts,
                score,
                printable(summary),
                item.host,
                tuple(acc.raws),
                facts={"colleagues": [reached, strangers]},
                who=self.ctx.describe_host(item.host),
                side=CONTEXT if inside else "",
            ),
        )

    @hourly
    def flush(self, now: int) -> Sequence[Signal]:
        """Hourly: forget accounts whose window is empty."""
        self.sweep(self.accounts, now, self.span)
        return ()

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """The colleagues still in each account's window."""
        edge = now - self.span
        out: dict[str, Any] = {}
        for account, acc in self.accounts.items():
            rows = [[c, ts, int(s)] for c, (ts, s) in acc.reached.items() if ts > edge]
            if rows:
                out[account] = [rows, [t for t in acc.messages if t > edge], list(acc.raws)]
        return {"accounts": out}

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        for account, (rows, messages, raws) in data["accounts"].items():
            acc = _Account()
            for colleague, ts, stranger in rows:
                acc.reach(str(colleague), int(ts), bool(stranger))
            acc.messages.extend(int(t) for t in messages)
            acc.raws.extend(str(r) for r in raws)
            self.accounts[str(account)] = acc
        self.sweep.hour = int(data["now"]) // 3600

    def reset_state(self) -> None:
        """Forget the windows."""
        self.accounts.clear()
