"""The learner: updates account profiles after every detector has scored an event.

Learning hygiene (a hijacker must not teach the baseline):

- While an account has an open incident at ``medium``, what it does from outside the trusted
  networks is *on probation* (below ``medium``, what it does from an address its access
  alone was given to, :mod:`kerio_watch.incidents.sharing`): kept aside (up to
  :data:`MAX_HELD` items) instead of learned (from the office LAN or the VPN it is the
  owner's, learned at once: the stranger must be where the harm is). If the incident is
  still below ``high`` :data:`PROBATION` seconds later, or closes without reaching it, the
  held activity is learned after all: an unconfirmed ``medium`` is unusual but legitimate (a
  new phone, an undeclared alias); held forever, the same benign activity would alarm every
  week.
- Once the incident reaches ``high``, the held activity is discarded, nothing more is
  learned while it is undecided (a high or critical incident stays open, quiet or
  active again, until an administrator decides: :mod:`kerio_watch.incidents.lifecycle`),
  and what the account did *for the first time* since the evidence of the incident's
  verdict began (hosts, networks, services, From addresses, user agents) is forgotten
  again, once: the first message of a hijack is often learned before the second signal
  makes the incident serious, and nothing was learned after that. Only ``ack --benign`` teaches it.
- Held accounts' bounces and failures count neither for them nor for the site norms
  (:mod:`.site`); results are learned per message two hours after it was accepted.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from kerio_watch.detect.context import Context
from kerio_watch.detect.correspondents import new_correspondents
from kerio_watch.detect.held import (
    Held,
    HeldHour,
    Hold,
    address_of,
    from_inside,
    holds_from,
    holds_rows,
    restore_sent,
    sent_rows,
)
from kerio_watch.detect.site import SiteProfile
from kerio_watch.detect.state import RESTORE_ERRORS, STATE_VERSION, load_state, restore_failed
from kerio_watch.enrich.clients import client_of
from kerio_watch.enrich.messages import Submission
from kerio_watch.events import Event, LoginSucceeded, MessageDelivery, MessageReceived
from kerio_watch.severity import Severity

if TYPE_CHECKING:
    from kerio_watch.store.base import Store

log = logging.getLogger(__name__)

HOLD_LEARNING_AT = Severity.MEDIUM
DISCARD_AT = Severity.HIGH
PROBATION = 24 * 3600
MAX_HELD = 500
SITE_META_KEY = "site_profile"
BULK_HOUR_MESSAGES = 100
BULK_HOUR_RECIPIENTS = 300
DAY = 86400
DELIVERY_DELAY = 2 * 3600
"""How long after a message was accepted its delivery results are learned."""


class Learner:
    """Feeds profiles from submissions, logins, inbound mail and delivery results."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # account -> [hour, messages, recipients] of the hour being counted
        self.current: dict[str, list[int]] = {}
        self.holds: dict[str, Hold] = {}
        # account -> (day, distinct outside login addresses that day)
        self.day_ips: dict[str, tuple[int, set[str]]] = {}
        self.sent: deque[tuple[int, str, str]] = deque()
        """(accepted at, Queue-ID, account) of sent messages whose results are pending."""
        self.sent_counts: dict[str, tuple[int, int, int]] = {}
        """Queue-ID -> (delivered, failed, delayed) saved by an earlier run for pending
        messages the restored message tracker no longer holds."""
        self._day = 0
        self._hour = 0
        self.correspondents = new_correspondents(ctx)
        """Inbound mail's correspondents (the engine's: :mod:`.correspondents`)."""

    # -- hygiene ------------------------------------------------------------------------
    def _holding(self, account: str, ts: int, item: Held | None = None) -> bool:
        """Whether learning about ``account`` is held now (keeping ``item`` aside)."""
        ctx = self.ctx
        severity = ctx.incidents.severity_of(account)
        if severity < HOLD_LEARNING_AT and not ctx.incidents.shared_on(account):
            if self.holds:
                hold = self.holds.get(account)
                if hold is not None:
                    self._end_hold(account, hold)
            return False
        if severity < HOLD_LEARNING_AT and not ctx.incidents.shared_on(account, address_of(item)):
            return False  # its owner elsewhere: only that address's access was given away
        hold = self.holds.get(account)
        opened = ctx.incidents.opened_at(account)
        if hold is None or hold.opened != opened:
            if hold is not None:
                self._end_hold(account, hold)
            hold = self.holds[account] = Hold(opened, ts)
        hold.worst = max(hold.worst, severity)
        if hold.worst >= DISCARD_AT:
            hold.items.clear()
            if not hold.forgot and opened is not None:
                hold.forgot = True
                self._forget(account, ctx.incidents.evidence_since(account) or opened)
            return True
        if ts - hold.since >= PROBATION:
            self._release(hold, account)
            hold.since = ts
        if item is not None and from_inside(item, ctx.networks):
            return False  # the owner's own: the stranger must be where the harm is
        if item is not None and len(hold.items) < MAX_HELD:
            hold.items.append(item)
        return True

    def _forget(self, account: str, opened: int) -> None:
        prof = self.ctx.profile(account)
        for network, entry in prof.networks.items():
            if entry[1] >= opened:
                self.ctx.site.forget_network(network, account)
        if prof.forget_since(opened):
            self.ctx.dirty.add(account)

    def _release(self, hold: Hold, account: str) -> None:
        """Learn what was held: the incident stayed below high."""
        items, hold.items = hold.items, []
        for item in items:
            if isinstance(item, Submission):
                self._learn_submission(item)
            elif isinstance(item, HeldHour):
                self._learn_hour(item.hour, item.messages, item.recipients, account)
            else:
                self._learn_login(item)

    def _end_hold(self, account: str, hold: Hold) -> None:
        del self.holds[account]
        if hold.worst < DISCARD_AT:
            self._release(hold, account)

    # -- what is learned ----------------------------------------------------------------
    def submission(self, sub: Submission) -> None:
        """An outbound message: hosts, service, From, recipients, hour, volume."""
        self._count_hour(sub.account, sub.ts, 1 if sub.new_message else 0, len(sub.recipients))
        if sub.new_message:
            self.sent.append((sub.ts, sub.queue_id, sub.account))
        if not self._holding(sub.account, sub.ts, sub):
            self._learn_submission(sub)

    def _learn_submission(self, sub: Submission) -> None:
        account = sub.account
        ctx = self.ctx
        site, prof = ctx.site, ctx.profile(account)
        ts = sub.ts
        how = ctx.hour_of_week(ts)
        new, domains = prof.learn_send(
            sub.service,
            sub.sender,
            sub.recipients,
            how,
            ts,
            sub.new_message,
            ctx.local_domains,
            ctx.domain_aliases,
        )
        if domains:
            day = ts // DAY
            prof.learn_novelty(len(domains), new, day)
            site.learn_recipients(domains, new, day)
        if sub.new_message:
            prof.learn_mail_service(sub.service, ts)
            client = client_of(sub.event.msg_id)
            if client:
                prof.learn_client(client, ts)
            site.learn_send(sub.service, how, ts, client)
            if sub.host:
                network = ctx.network_of(sub.host)
                prof.learn_host(sub.host, network, ts)
                site.learn_network(network, account)
                info = ctx.net_info(sub.host)
                prof.learn_place(info.as_key, info.country, ts)
                site.learn_country(info.country, account)
        ctx.dirty.add(account)

    def event(self, event: Event) -> None:
        """Logins, inbound mail (correspondents, :mod:`.correspondents`) and DSNs (each
        sent message's delivery results are learned once, :data:`DELIVERY_DELAY` later:
        :meth:`_learn_deliveries`)."""
        ctx = self.ctx
        cls = event.__class__
        if cls is MessageDelivery:
            return
        if cls is MessageReceived:
            msg: MessageReceived = event  # type: ignore[assignment]
            if msg.user is not None:
                return
            if msg.is_dsn:
                for rcpt in msg.recipients:
                    if ctx.is_local(rcpt) and not self._holding(rcpt, msg.ts):
                        ctx.profile(rcpt).bounces += 1
                        ctx.dirty.add(rcpt)
                return
            if msg.sender:
                self.correspondents.learn(msg.recipients, msg.sender, msg.ts)
        elif cls is LoginSucceeded:
            login: LoginSucceeded = event  # type: ignore[assignment]
            if not self._holding(login.user, login.ts, login):
                self._learn_login(login)

    def _learn_login(self, event: LoginSucceeded) -> None:
        ctx, user = self.ctx, event.user
        prof = ctx.profile(user)
        prof.touch(event.ts)
        network = ctx.network_of(event.source)
        prof.learn_login(event.source, network, event.protocol, event.user_agent, event.ts)
        ctx.site.learn_network(network, user)
        ctx.site.learn_protocol(event.protocol)
        ctx.dirty.add(user)
        if ctx.networks.is_external(event.source):
            info = ctx.net_info(event.source)
            prof.learn_place(info.as_key, info.country, event.ts)
            ctx.site.learn_country(info.country, user)
            day = event.ts // DAY
            entry = self.day_ips.get(user)
            if entry is None or entry[0] != day:
                if entry is not None:
                    prof.learn_ip_day(len(entry[1]))
                entry = (day, set())
                self.day_ips[user] = entry
            entry[1].add(event.source)

    # -- hourly volume ------------------------------------------------------------------
    def _count_hour(self, account: str, ts: int, messages: int, recipients: int) -> None:
        hour = ts // 3600
        cur = self.current.get(account)
        if cur is None:
            self.current[account] = [hour, messages, recipients]
            return
        if cur[0] != hour:
            if cur[1] or cur[2]:  # an hour :meth:`flush` closed already is not learned twice
                self._close(account, cur)
            cur[0], cur[1], cur[2] = hour, 0, 0
        cur[1] += messages
        cur[2] += recipients

    def _close(self, account: str, cur: list[int]) -> None:
        if self.ctx.incidents.severity_of(account) < HOLD_LEARNING_AT and not self.holds:
            self._learn_hour(cur[0], cur[1], cur[2], account)
            return
        held = HeldHour(cur[0], cur[1], cur[2])
        if not self._holding(account, cur[0] * 3600, held):
            self._learn_hour(cur[0], cur[1], cur[2], account)

    def _learn_hour(self, hour: int, messages: int, recipients: int, account: str) -> None:
        ts = hour * 3600
        ctx = self.ctx
        prof = ctx.profile(account)
        how = ctx.hour_of_week(ts)
        prof.volume.add(how, ctx.week_index(ts), messages, recipients)
        if messages >= BULK_HOUR_MESSAGES or recipients >= BULK_HOUR_RECIPIENTS:
            # Repeatedly large hours that were not incidents: a bulk sender by habit.
            peaks = sum(
                1 for weeks in prof.volume.messages.values() for c in weeks.values() if c >= 50
            )
            if peaks >= 2:
                prof.bulk = True
        if not prof.bulk and messages:
            ctx.site.learn_hour(how % 24, messages)
        ctx.dirty.add(account)

    def _learn_deliveries(self, now: int) -> None:
        """Fold the delivery results of messages accepted long enough ago into their
        accounts' failure rates (after the windows of the delivery rules have passed,
        so a burst is never judged against its own failures)."""
        sent = self.sent
        edge = now - DELIVERY_DELAY
        messages = self.ctx.messages.messages
        while sent and sent[0][0] <= edge:
            ts, queue_id, account = sent.popleft()
            state = messages.get(queue_id)
            saved = self.sent_counts.pop(queue_id, None) if self.sent_counts else None
            if state is not None:
                counts = (state.delivered, state.failed, state.delayed)
            elif saved is not None:
                counts = saved
            else:
                continue
            if self._holding(account, ts):
                continue
            prof = self.ctx.profile(account)
            prof.delivered += counts[0]
            prof.failed += counts[1]
            prof.delayed += counts[2]
            self.ctx.dirty.add(account)

    def hour_count(self, account: str, ts: int) -> tuple[int, int]:
        """(messages, recipients) the account sent so far in the clock hour of ``ts``."""
        cur = self.current.get(account)
        if cur is None or cur[0] != ts // 3600:
            return 0, 0
        return cur[1], cur[2]

    def flush(self, now: int) -> None:
        """Close every counted hour that ended before ``now``; finish days of logins."""
        hour = now // 3600
        if hour == self._hour:
            return
        self._hour = hour
        for account, cur in sorted(self.current.items()):  # one order, however restored
            if cur[0] < hour and (cur[1] or cur[2]):
                self._close(account, cur)
                cur[1], cur[2] = 0, 0
        self._learn_deliveries(now)
        for account in list(self.holds):
            self._holding(account, now)  # releases probation, ends holds of closed incidents
        day = now // DAY
        if day != self._day:
            self._day = day
            for account, (seen, ips) in list(self.day_ips.items()):
                if seen < day:
                    del self.day_ips[account]
                    if not self._holding(account, now):
                        places = {self.ctx.place_of(ip) for ip in ips}
                        self.ctx.profile(account).learn_ip_day(len(places))
                        self.ctx.dirty.add(account)

    # -- persistence --------------------------------------------------------------------
    def load(self, store: Store) -> None:
        """Read the site-wide norms and the learning state of earlier runs."""
        text = store.get_meta(SITE_META_KEY)
        if text:
            try:
                self.ctx.site = SiteProfile.from_dict(json.loads(text))
            except (ValueError, TypeError, AttributeError) as exc:
                log.warning("ignoring unreadable site norms in the state database: %s", exc)
        data = load_state(store, STATE_NAME)
        if data is None:
            return
        try:
            self._restore(data)
        except RESTORE_ERRORS as exc:
            self.current.clear()
            self.holds.clear()
            self.day_ips.clear()
            self.sent.clear()
            self.sent_counts.clear()
            self._day = self._hour = 0
            restore_failed(STATE_NAME, exc)

    def _restore(self, data: dict[str, Any]) -> None:
        self._hour = int(data["hour"])
        self._day = int(data["day"])
        for account, (hour, messages, recipients) in data["current"].items():
            self.current[str(account)] = [int(hour), int(messages), int(recipients)]
        self.holds.update(holds_from(data["holds"]))
        for account, (day, ips) in data["day_ips"].items():
            self.day_ips[str(account)] = (int(day), {str(ip) for ip in ips})
        restore_sent(data["sent"], self.sent, self.sent_counts)

    def save(self, store: Store) -> None:
        """Write the site-wide norms and what is being learned (this hour's counts, held
        activity, today's login addresses, messages whose results are pending) inside
        the caller's transaction."""
        store.set_meta(SITE_META_KEY, json.dumps(self.ctx.site.to_dict(), separators=(",", ":")))
        now = self.ctx.now
        if not now:
            return
        hour = now // 3600
        # an hour already closed and not counted since needs nothing more
        current = {a: c for a, c in self.current.items() if c[0] >= hour or c[1] or c[2]}
        holds = holds_rows(self.holds)
        day_ips = {a: [day, sorted(ips)] for a, (day, ips) in self.day_ips.items()}
        sent = sent_rows(self.sent, self.ctx.messages.messages, self.sent_counts)
        store.save_detector_state(
            STATE_NAME,
            {
                "v": STATE_VERSION,
                "now": now,
                "hour": self._hour,
                "day": self._day,
                "current": current,
                "holds": holds,
                "day_ips": day_ips,
                "sent": sent,
            },
        )


STATE_NAME = "learner"
