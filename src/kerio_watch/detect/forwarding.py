"""Forwarding: an account's mail starts to leave for an outside address it never used.

Kerio logs the messages its filter rules make (a forward, a redirect, an auto-reply)
as ``Recv:`` lines with ``Service: Sieve``; a forward keeps the original sender, and
the account whose rule made it is its ``User:`` when logged, else the local recipient
of the inbound message with the same Message-ID. Those messages are not the account's
own submissions (:mod:`kerio_watch.enrich.enrichers` does not make them one), so the
From/User and new-host checks never see the server's loopback and the original sender.
What they say is different: a rule that sends an account's mail to an address outside
the company is how an intruder keeps reading it after the password is changed (inbox
forwarding, the first step of business e-mail compromise).

The detector learns each account's forward destinations. A destination it never
forwarded to raises a ``use`` signal (the account's mail leaves the company): a medium
alert alone (the owner may have set it), high with a stranger's access (a login from
a new place, a new country). It is learned as the learner learns (learning hygiene):
after a day in which the account's incident stayed below high, or when an administrator
accepts it (``ack --benign``); never while the incident is high, so that a rule still in
place after a confirmed hijack opens a new incident. Replies to people who wrote to the
account (auto-replies) and forwards inside the company are not forwards out. Forwards
seen in the first ``warmup_hours`` of the logs were set before kerio-watch watched and
are learned.

A rule is set in a session, and the session is the access evidence: when the account's
last web session (webmail, Outlook's connector) is from outside and still live when the
new forward comes, from an address its incident already holds as a place it never used, the
forward also raises an ``access`` signal that ties them (a login alone from a new place
is weak: travel, a new phone; the session that changed where its mail goes is not). A new
address of a network the account uses (its home line's next lease, its carrier; without
network data a new /24 of a provider's range it used ``usual_network_uses`` times) is no
new place: ``new_host`` counts it as weak, and the tie does not count it again.
When every web session of the account in the 72 hours before the new forward (a rule
shows when it first forwards a message, which may be after a night or a weekend) is inside
the trusted networks, or at a place of the staff (the office's line when the trusted
networks do not name it, :func:`.ipstate.staff_place`), the rule was set there: the forward
is use from inside, which does not pair with a stranger's access elsewhere (the owner's
evening mail from a home line the history does not know yet, then a private forward set
from the office desk); a session at a place of the staff is not a stranger's session.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.clockback import jump
from kerio_watch.detect.context import Context
from kerio_watch.detect.ipstate import staff_place
from kerio_watch.detect.state import SavedState
from kerio_watch.enrich.messages import is_rule_service
from kerio_watch.enrich.network import provider_range
from kerio_watch.events import MessageReceived
from kerio_watch.settings.numbers import period, points
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable
from kerio_watch.values.verdict import COMBINE

RULE = "kerio.mail.new_forward"
RULE_SESSION = "kerio.net.forward_session"
NEW_PLACE = "kerio.net.new_host"
"""The rule whose signal says an address is a place the account never used."""
ORIGINALS_SECONDS = 3600
"""How long an inbound message's Message-ID attributes a rule's message to its
recipient (rules act when the message is delivered, within seconds)."""
MAX_ORIGINALS = 50_000
RING = 512
"""Inbound messages kept before the first rule message without ``User:`` (rules act
within seconds of delivery, so the last few hundred cover the first one)."""
MAX_DESTINATIONS = 50
"""Destinations remembered per account (the least recently used go)."""
USUAL_USES = 3
"""``[detectors.new_host] usual_network_uses``'s default (:attr:`ForwardingDetector.usual_uses`)."""
PROBATION = 24 * 3600
"""A reported destination is learned when the account's incident stayed below high this
long (an unconfirmed medium is the owner's forward, as the learner judges it); one seen
while the incident was high is learned only from ``ack --benign``."""


@dataclass(frozen=True)
class ForwardingOptions:
    """``[detectors.forwarding]`` options."""

    score: int = points(30)
    score_session: int = points(10)
    warmup_hours: float = period(72.0, "hours", positive=False)


class ForwardingDetector(SavedState):
    """Flags the first forward of an account's mail to a new outside address."""

    name: ClassVar[str] = "forwarding"
    wants: ClassVar[frozenset[str]] = frozenset({"message_received"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Mail forwarded to a new outside address",
            "A filter rule of the account (a Service: Sieve message) forwarded its mail to "
            "an address outside the company that it never forwarded to before.",
            "An intruder who sets a forwarding rule keeps reading the account's mail after "
            "the password is changed, and learns whom to defraud: forwarding to an outside "
            "address is the usual first step of business e-mail compromise.",
            "A user who forwards to a private address or a new phone's mailbox (one alert "
            "per new address; it is learned after a day below high, or with ack --benign); "
            "auto-replies are not counted.",
            side="use",
        ),
        RuleDoc(
            RULE_SESSION,
            "Forward set in a session from a new place",
            "A new forward to an outside address came while the account's web session "
            "from an address it never used was live (a place its incident holds).",
            "Filter rules are set in a webmail or Outlook session: the login that set a "
            "forward is the intruder's session, and a login from a new place alone is "
            "weak evidence (travel, a new phone).",
            "An owner who sets a forward to a private address while travelling (learned "
            "with ack --benign).",
            side="access",
        ),
    )
    options_class: ClassVar[type[ForwardingOptions]] = ForwardingOptions

    def __init__(self, ctx: Context, options: ForwardingOptions) -> None:
        self.ctx = ctx
        self.score = options.score
        self.score_session = options.score_session
        self.usual_uses = int(
            ctx.config.detectors.get("new_host", {}).get("usual_network_uses", USUAL_USES)
        )
        """Uses of a provider range after which ``new_host`` counts a new /24 in it weak."""
        self.warmup = int(options.warmup_hours * 3600)
        self.started = 0
        """Log time of the first message this detector saw (its warm-up runs from it)."""
        self.originals: OrderedDict[str, tuple[int, tuple[str, ...]]] = OrderedDict()
        """Message-ID -> (received, its local recipients) of recent inbound mail."""
        self.destinations: dict[str, dict[str, int]] = {}
        """account -> outside address -> last forward to it."""
        self.unconfirmed: dict[str, dict[str, tuple[int, bool]]] = {}
        """account -> outside address -> (first forward, seen with a high incident) of
        destinations reported and not learned yet."""
        self.attributing = False
        """Whether rules' messages came without ``User:`` (then inbound Message-IDs are
        remembered; a server that names the account costs nothing per message)."""
        self.ring: deque[MessageReceived] = deque(maxlen=RING)
        """The last inbound messages before that is known (one append each), so that the
        first rule message without ``User:`` is attributed too."""

    def observe(self, item: MessageReceived) -> Sequence[Signal] | None:
        """Remember inbound mail (once rules' messages come without ``User:``); judge
        the messages rules make."""
        if not self.started:
            self.started = item.ts
        if not is_rule_service(item.service):
            if item.user is None:
                if self.attributing:
                    self._remember(item)
                else:
                    self.ring.append(item)
            return None
        if item.user is None and not self.attributing:
            # This server logs its rules' messages without the account: from now on the
            # inbound mail they answer is remembered, starting with the last few.
            self.attributing = True
            for msg in self.ring:
                self._remember(msg)
            self.ring.clear()
        account = self._account(item)
        if account is None:
            return None
        return self._judge(account, item)

    def _judge(self, account: str, item: MessageReceived) -> Sequence[Signal] | None:
        """Learn or report the outside destinations of one rule's message."""
        ctx, prof, ts = self.ctx, self.ctx.profile(account), item.ts
        known = self.destinations.setdefault(account, {})
        fresh = []
        for r in item.recipients:
            if r in known:
                known[r] = ts
            elif not ctx.is_local(r) and r not in prof.correspondents:
                fresh.append(r)
        if not fresh:
            return None
        if ts - self.started < self.warmup:  # set before kerio-watch watched
            known.update(dict.fromkeys(fresh, ts))
            return None
        waiting = self.unconfirmed.setdefault(account, {})
        confirmed = ctx.incidents.severity_of(account) >= Severity.HIGH
        report = []
        for r in fresh:
            first, condemned = waiting.get(r, (ts, False))
            condemned = condemned or confirmed
            if prof.is_accepted("forwards", r) or (not condemned and ts - first >= PROBATION):
                known[r] = ts  # accepted, or unconfirmed for a day: the owner's
                waiting.pop(r, None)
            else:
                waiting[r] = (first, condemned)
                report.append(r)
        while len(waiting) > MAX_DESTINATIONS:  # the oldest reports go (bounded memory)
            del waiting[min(waiting, key=lambda d: waiting[d][0])]
        if not waiting:
            del self.unconfirmed[account]
        while len(known) > MAX_DESTINATIONS:
            del known[min(known, key=known.__getitem__)]
        if not report:
            return None
        session = self._session(account, item)
        signal = self._signal(account, item, report)
        return (signal,) if session is None else (signal, session)

    def _session(self, account: str, msg: MessageReceived) -> Signal | None:
        """The access signal tying a new forward to the web session that set it: the
        account's last web session, from outside and still live, from an address its
        incident holds as a new place (see the module documentation)."""
        session = self.ctx.sessions.live(account, msg.ts) if self.score_session else None
        if session is None or self.ctx.networks.is_trusted(session[0]) is not False:
            return None
        if staff_place(self.ctx, session[0], account, msg.ts):  # the office: the desk
            return None
        ip, used = session[0], session[1]
        if self._own_network(account, ip, msg.ts):
            return None
        place = self.ctx.incidents.signal_from(account, NEW_PLACE, ip, msg.ts - COMBINE)
        if place is None:
            return None
        hours = (msg.ts - used) // 3600
        ago = f"{hours} hour{'s' if hours != 1 else ''} before" if hours else "within the hour"
        summary = (
            f"{account}'s mail is forwarded out by a rule that appeared while its web "
            f"session from {ip}, a place it never used, was live (last active {ago}): the "
            "session that set the rule"
        )
        return Signal(
            RULE_SESSION,
            account,
            msg.ts,
            self.score_session,
            printable(summary),
            ip,
            (*place.evidence[:2], msg.raw),
            side="access",
            who=self.ctx.describe_host(ip),
        )

    def _own_network(self, account: str, ip: str, ts: int) -> bool:
        """The session's address is new, but its network is one the account uses (its
        owner, else the provider range the account rotates through): the home line's
        next lease, the phone's carrier. That is weak evidence, as ``new_host`` counts it
        (a new address of a network the account uses), and no new place a rule was set
        from: doubled by the tie it would decide the verdict with a private forward."""
        ctx = self.ctx
        prof = ctx.profile(account)
        as_key = ctx.net_info(ip).as_key
        if as_key:
            return as_key in prof.asns
        rotates, uses = prof.range_use(provider_range(ctx.network_of(ip)), ts)
        return rotates or uses >= self.usual_uses  # new_host's weak "its provider's range"

    def _remember(self, msg: MessageReceived) -> None:
        if msg.msg_id is None or msg.is_dsn:
            return
        local = tuple(r for r in msg.recipients if self.ctx.is_local(r))
        if not local:
            return
        originals = self.originals
        earlier = originals.get(msg.msg_id)
        if earlier is not None and msg.ts - earlier[0] <= ORIGINALS_SECONDS:
            # the same message, logged once per recipient: all of them received it
            local = earlier[1] + tuple(r for r in local if r not in earlier[1])
        originals[msg.msg_id] = (msg.ts, local)
        originals.move_to_end(msg.msg_id)
        if len(originals) > MAX_ORIGINALS:
            originals.popitem(last=False)
        horizon = msg.ts - ORIGINALS_SECONDS
        while next(iter(originals.values()))[0] < horizon:
            originals.popitem(last=False)

    def _account(self, msg: MessageReceived) -> str | None:
        """The account whose rule made ``msg``: its User, else the original's recipient."""
        if msg.user is not None:
            return msg.user if self.ctx.is_local(msg.user) else None
        original = self.originals.get(msg.msg_id or "")
        if original is None or msg.ts - original[0] > ORIGINALS_SECONDS:
            return None  # not known (or long ago): not the forward of a message received now
        candidates = original[1]
        if len(candidates) > 1:  # sent to several accounts: the one that forwards there
            candidates = tuple(
                a
                for a in candidates
                if any(r in self.destinations.get(a, ()) for r in msg.recipients)
            )
        return candidates[0] if len(candidates) == 1 else None

    def _signal(self, account: str, msg: MessageReceived, fresh: list[str]) -> Signal:
        known = sorted(a for a in self.destinations[account] if a not in fresh)
        usual = f" (it forwards to {', '.join(known[:3])})" if known else " (it never forwarded)"
        whom = ", ".join(fresh[:3]) + (f" and {len(fresh) - 3} more" if len(fresh) > 3 else "")
        summary = (
            f"{account}'s mail is forwarded by a filter rule to {whom}, an outside address "
            f"it never forwarded to{usual}"
        )
        places = self.ctx.sessions.recent_places(account, msg.ts)
        trusted, ctx = self.ctx.networks.is_trusted, self.ctx
        office = bool(places) and all(
            trusted(ip) is True or staff_place(ctx, ip, account, msg.ts) for ip in places
        )
        where = ", set while its web sessions were all inside" if office else ""
        return Signal(
            RULE,
            account,
            msg.ts,
            self.score,
            printable(summary),
            evidence=(msg.raw,),
            min_severity=Severity.MEDIUM,
            facts={"forwards": fresh},
            side="use",
            who=f"a filter rule of the account (Service: Sieve){where}",
            inside=True if office else None,
        )

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven."""
        return ()

    def clock_set_back(self, old: int, new: int) -> None:
        """The server's clock set back from ``old``: the warm-up's start goes back by the
        jump, so that it ends when it would have (it went on that much longer, and new
        forwards in that time were learned as the owner's)."""
        super().clock_set_back(old, new)
        if self.started:
            self.started -= jump(old, new)

    def dump_state(self, now: int) -> dict[str, Any]:
        """Destinations, the warm-up's start, and the last hour's inbound Message-IDs."""
        horizon = now - ORIGINALS_SECONDS
        return {
            "started": self.started,
            "attributing": self.attributing,
            "unconfirmed": {
                account: {dest: [first, condemned] for dest, (first, condemned) in dests.items()}
                for account, dests in self.unconfirmed.items()
            },
            "destinations": self.destinations,
            "originals": [
                [mid, ts, list(rcpts)]
                for mid, (ts, rcpts) in self.originals.items()
                if ts >= horizon
            ],
        }

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        self.started = int(data["started"])
        self.attributing = bool(data.get("attributing", False))
        self.unconfirmed = {
            str(account): {str(d): (int(v[0]), bool(v[1])) for d, v in dests.items()}
            for account, dests in data.get("unconfirmed", {}).items()
        }
        self.destinations = {
            str(account): {str(a): int(ts) for a, ts in dests.items()}
            for account, dests in data["destinations"].items()
        }
        self.originals = OrderedDict(
            (str(mid), (int(ts), tuple(map(str, rcpts)))) for mid, ts, rcpts in data["originals"]
        )

    def reset_state(self) -> None:
        """Forget everything."""
        self.started = 0
        self.attributing = False
        self.unconfirmed.clear()
        self.originals.clear()
        self.destinations.clear()
