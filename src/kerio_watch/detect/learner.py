"""The learner: updates account profiles after every detector has scored an event.

Learning hygiene: what an account does while it has an open incident at ``medium`` or
above does not become normal (a hijacker must not teach the baseline); ``ack --benign``
teaches it explicitly afterwards.
"""

from __future__ import annotations

from kerio_watch.detect.context import Context
from kerio_watch.enrich.messages import Submission
from kerio_watch.enrich.network import network_of
from kerio_watch.events import Event, LoginSucceeded, MessageDelivery, MessageReceived
from kerio_watch.severity import Severity

HOLD_LEARNING_AT = Severity.MEDIUM


class Learner:
    """Feeds profiles from submissions, logins, inbound mail and delivery results."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # account -> [hour, messages, recipients] of the hour being counted
        self.current: dict[str, list[int]] = {}
        self._flushed_hour = 0

    def _holding(self, account: str) -> bool:
        return self.ctx.open_incident(account) >= HOLD_LEARNING_AT

    def submission(self, sub: Submission) -> None:
        """An outbound message: hosts, service, From, recipients, hour, volume."""
        account = sub.account
        self._count_hour(account, sub.ts, 1 if sub.new_message else 0, len(sub.recipients))
        if self._holding(account):
            return
        ctx = self.ctx
        prof = ctx.profile(account)
        how = ctx.hour_of_week(sub.ts)
        prof.learn_send(sub.service, sub.sender, sub.recipients, how, sub.ts, sub.new_message)
        if sub.host and sub.new_message:
            prof.learn_host(sub.host, network_of(sub.host), sub.ts)
        ctx.dirty.add(account)

    def event(self, event: Event) -> None:
        """Logins, inbound mail (correspondents), DSNs and delivery results."""
        ctx = self.ctx
        if isinstance(event, MessageReceived):
            if event.user is not None:
                return
            if event.is_dsn:
                for rcpt in event.recipients:
                    if ctx.is_local(rcpt):
                        ctx.profile(rcpt).bounces += 1
                        ctx.dirty.add(rcpt)
                return
            sender = event.sender
            if not sender:
                return
            for rcpt in event.recipients:
                if ctx.is_local(rcpt):
                    ctx.profile(rcpt).learn_correspondent(sender, event.ts)
                    ctx.dirty.add(rcpt)
        elif isinstance(event, LoginSucceeded):
            if self._holding(event.user):
                return
            prof = ctx.profile(event.user)
            prof.touch(event.ts)
            prof.learn_login(
                event.source, network_of(event.source), event.protocol, event.user_agent, event.ts
            )
            ctx.dirty.add(event.user)
        elif isinstance(event, MessageDelivery):
            state = ctx.messages.messages.get(event.queue_id)
            if state is None or state.account is None:
                return
            prof = ctx.profile(state.account)
            if event.result == "delayed":
                prof.delayed += 1
            elif event.is_failure:
                prof.failed += 1
            else:
                prof.delivered += 1
            ctx.dirty.add(state.account)

    def _count_hour(self, account: str, ts: int, messages: int, recipients: int) -> None:
        hour = ts // 3600
        cur = self.current.get(account)
        if cur is None:
            self.current[account] = [hour, messages, recipients]
            return
        if cur[0] != hour:
            self._close(account, cur)
            cur[0], cur[1], cur[2] = hour, 0, 0
        cur[1] += messages
        cur[2] += recipients

    def _close(self, account: str, cur: list[int]) -> None:
        if self._holding(account):
            return
        ts = cur[0] * 3600
        prof = self.ctx.profile(account)
        prof.volume.add(self.ctx.hour_of_week(ts), self.ctx.week_index(ts), cur[1], cur[2])
        if cur[1] >= 100 or cur[2] >= 300:
            # Repeatedly large hours that were not incidents: a bulk sender by habit.
            peaks = sum(
                1 for weeks in prof.volume.messages.values() for c in weeks.values() if c >= 50
            )
            if peaks >= 2:
                prof.bulk = True
        self.ctx.dirty.add(account)

    def hour_count(self, account: str, ts: int) -> tuple[int, int]:
        """(messages, recipients) the account sent so far in the clock hour of ``ts``."""
        cur = self.current.get(account)
        if cur is None or cur[0] != ts // 3600:
            return 0, 0
        return cur[1], cur[2]

    def flush(self, now: int) -> None:
        """Close every counted hour that ended before ``now``."""
        hour = now // 3600
        if hour == self._flushed_hour:
            return
        self._flushed_hour = hour
        for account, cur in self.current.items():
            if cur[0] < hour and (cur[1] or cur[2]):
                self._close(account, cur)
                cur[1], cur[2] = 0, 0
