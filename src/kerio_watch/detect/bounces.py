"""Bounces: an account's mail fails, is delayed or bounces far more than it usually does.

Spam lists are full of dead and trap addresses, and receiving servers defer and refuse
mail from a server that suddenly sends spam. Failed and delayed deliveries (``Sent:``
lines, joined to the sending account by Queue-ID; local deliveries ignored) and the
server's bounces back to the account (``Recv:`` with ``Service: DSN``) are counted over
a sliding window against the recipients the account submitted in it, and compared with
the account's usual failure rate. Successful deliveries cost nothing: most lines of a
mail.log are those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import (
    Recent,
    Window,
    count,
    percent,
)
from kerio_watch.events import MessageDelivery, MessageReceived
from kerio_watch.settings.numbers import factor, period, points, share, threshold
from kerio_watch.textsafe import printable

if TYPE_CHECKING:
    pass

RULE = "kerio.mail.bounces"
LOCAL_HOSTS = frozenset(("127.0.0.1", "::1"))


@dataclass(frozen=True)
class BouncesOptions:
    """``[detectors.bounces]`` options."""

    window_minutes: int = period(60, "minutes")
    min_failures: int = threshold(10)
    min_share: float = share(0.1)
    rate_factor: float = factor(4.0)
    min_history: int = threshold(100)
    site_rate: float = share(0.03)
    score: int = points(25)
    score_high_share: int = points(10)


class BouncesDetector(SavedState):
    """Flags failed and delayed deliveries and DSNs far above the account's rate."""

    name: ClassVar[str] = "bounces"
    wants: ClassVar[frozenset[str]] = frozenset({"message_delivery", "message_received"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Many failed deliveries",
            "Within a sliding window (60 minutes), at least 10 remote deliveries of an "
            "account's mail failed or were delayed (or bounces came back to it), a share "
            "far above its usual failure rate.",
            "Spam goes to harvested lists full of dead addresses and is deferred by "
            "receiving servers; the owner's mail to real correspondents gets through.",
            "A mailing to an old address list; a partner's mail server down for hours "
            "(many delays to one domain).",
            side="use",
        ),
    )
    options_class: ClassVar[type[BouncesOptions]] = BouncesOptions

    def __init__(self, ctx: Context, options: BouncesOptions) -> None:
        self.ctx = ctx
        self.span = int(options.window_minutes * 60)
        self.min_failures = options.min_failures
        self.min_share = options.min_share
        self.rate_factor = options.rate_factor
        self.min_history = options.min_history
        self.site_rate = options.site_rate
        self.score = options.score
        self.score_high = options.score_high_share
        self.windows: dict[str, Window] = {}
        """account -> (recipients submitted, failed or delayed deliveries, DSNs back)."""
        self.recent = Recent(self.span)

    def observe(self, item: MessageDelivery | MessageReceived) -> Sequence[Signal] | None:
        """Count recipients an account submitted, its failed deliveries and its DSNs."""
        if item.__class__ is MessageDelivery:
            sent: MessageDelivery = item
            result = sent.result
            if result == "delivered" or result == "relayed":  # noqa: PLR1714 (hot path)
                return None
            state = self.ctx.messages.messages.get(sent.queue_id)
            if state is None or state.account is None or sent.remote_host in LOCAL_HOSTS:
                return None
            if result != "delayed" and not sent.is_failure:
                return None
            return self._count(state.account, sent.ts, 0, 1, 0, sent.raw)
        recv: MessageReceived = item  # type: ignore[assignment]
        user = recv.user
        if user is not None:
            if recv.service != "DSN":
                # The denominator: recipients the account handed to the server.
                window = self.windows.get(user)
                if window is None:
                    window = self.windows[user] = Window(self.span)
                n = len(recv.recipients)
                entries = window.entries
                last = entries[-1] if entries else None
                if last is not None and last[0] == recv.ts:
                    # one Recv line per recipient at the same second: one entry
                    entries[-1] = (last[0], last[1] + n, last[2], last[3])
                    window.a += n
                else:
                    window.add(recv.ts, n)
            return None
        if recv.service != "DSN" and (recv.sender or recv.report is None):
            return None
        out: list[Signal] = []
        for rcpt in recv.recipients:
            if self.ctx.is_local(rcpt):
                out.extend(self._count(rcpt, recv.ts, 0, 0, 1, recv.raw) or ())
        return out or None

    def _count(
        self, account: str, ts: int, attempts: int, bad: int, dsn: int, raw: str | None
    ) -> Sequence[Signal] | None:
        window = self.windows.get(account)
        if window is None:
            window = self.windows[account] = Window(self.span)
        window.add(ts, attempts, bad, dsn)
        if raw is None or window.b + window.c < self.min_failures:
            return None
        window.expire(ts)
        if window.b + window.c < self.min_failures:
            return None
        prof = self.ctx.profile(account)
        history = prof.delivered + prof.failed + prof.delayed
        rate = prof.failure_rate() if history >= self.min_history else self.site_rate
        share = min(1.0, window.b / window.a) if window.a else 1.0
        if share < max(self.min_share, self.rate_factor * rate) and window.c < self.min_failures:
            return None
        score = self.score + (self.score_high if share >= 0.3 else 0)
        if not self.recent.due(account, ts, score * 100 + (window.b + window.c).bit_length()):
            return None
        parts = []
        if window.b:
            parts.append(
                f"{count(window.b, 'delivery', 'deliveries')} of its mail to "
                f"{count(window.a, 'recipient')} failed or were delayed ({percent(share)})"
            )
        if window.c:
            parts.append(f"{count(window.c, 'bounce')} came back to it")
        usual = "usually" if history >= self.min_history else "a typical account"
        summary = (
            f"{account}: {' and '.join(parts)} within {self.span // 60} minutes; "
            f"{usual} {percent(rate)}"
        )
        return (Signal(RULE, account, ts, score, printable(summary), None, (raw,)),)

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven (windows expire as results arrive)."""
        return ()

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """The windows (entries within the window)."""
        return {"windows": {a: rows for a, w in self.windows.items() if (rows := w.dump(now))}}

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        for account, rows in data["windows"].items():
            self.windows[account] = Window.restore(self.span, rows)

    dated: ClassVar[tuple[str, ...]] = ("windows",)

    def reset_state(self) -> None:
        """Forget the windows."""
        self.windows.clear()
