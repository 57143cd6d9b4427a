"""Messages and sessions: outbound submissions, the Recv/Sent join, webmail sessions.

- :class:`Submission`: an authenticated account put a message (or more recipients of
  one) into the queue. Built from a ``Recv:`` line with a ``User:``.
- :class:`MessageTracker`: joins each message's ``Recv:`` and ``Sent:`` lines by Queue-ID
  with bounded memory (oldest messages are forgotten first), so that deliveries,
  delays and failures are attributed to the account that sent the message.
- :class:`SessionTracker`: webmail sends are logged with ``Sender-Host: 0.0.0.0``; they
  are attributed to the IP of the account's live webmail session from audit.log.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

from kerio_watch.events import LoginSucceeded, MessageDelivery, MessageReceived

WEBMAIL_HOSTS = frozenset(("0.0.0.0", "::", ""))  # noqa: S104 (a logged value, not a bind)
RULE_SERVICES = frozenset({"sieve"})
"""``Service:`` values (lower case) of the messages Kerio's filter rules make (forwards,
redirects, auto-replies): not an account's own submissions (``RULE_SERVICE`` in the
native core's ``py.rs`` says the same)."""


@lru_cache(maxsize=64)
def is_rule_service(service: str) -> bool:
    """Whether a ``Service:`` is that of Kerio's filter rules (ignoring ASCII case;
    cached: a log has a handful of services, and every ``Recv:`` line asks)."""
    return service.isascii() and service.lower() in RULE_SERVICES


WEBMAIL_PROTOCOLS = (
    "HTTP/WebMail",
    "HTTP/KOFF",
    "HTTP",
    "HTTPS",
    "HTTP/WebDAV",
    "HTTP/EWS",
    "HTTP/ActiveSync",
)
SESSION_TTL = 12 * 3600
"""A webmail login is assumed live this long after its last use."""
MAX_PLACES = 8
"""Addresses of recent HTTP logins kept per account (the oldest go)."""
PLACE_TTL = 72 * 3600
"""How long an HTTP session's address is kept as a place where a filter rule may have
been set: a rule shows when it first forwards a message, which may be after a night or a
weekend, long after the session that set it ended."""
WEBMAIL_PROTOCOL = "http/webmail"
"""The audit.log protocol (lower case) of a webmail login."""


@dataclass(slots=True)
class Submission:
    """An outbound message submitted by an authenticated account.

    ``host`` is the effective client address: the logged ``Sender-Host`` or, for webmail
    sends logged as ``0.0.0.0``, the IP of the account's webmail session (``via_session``
    is then true). ``new_message`` is false for a further ``Recv:`` line of a Queue-ID
    already seen (one line per recipient).
    """

    ts: int
    account: str
    queue_id: str
    new_message: bool
    sender: str
    recipients: tuple[str, ...]
    service: str
    host: str | None
    logged_host: str | None
    via_session: bool
    event: MessageReceived

    kind = "submission"


@dataclass(slots=True)
class MessageState:
    """What is known about one queued message."""

    ts: int
    account: str | None
    sender: str
    accepted: int = 0
    delivered: int = 0
    failed: int = 0
    delayed: int = 0
    final: set[str] = field(default_factory=set)


class MessageTracker:
    """Queue-ID -> :class:`MessageState`, bounded to ``limit`` messages."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.messages: OrderedDict[str, MessageState] = OrderedDict()
        self.evicted = 0

    def received(self, event: MessageReceived, account: str | None) -> bool:
        """Record a Recv line; True when it is the message's first."""
        state = self.messages.get(event.queue_id)
        new = state is None
        if state is None:
            state = MessageState(event.ts, account, event.sender)
            self.messages[event.queue_id] = state
            if len(self.messages) > self.limit:
                self.messages.popitem(last=False)
                self.evicted += 1
        state.accepted += len(event.recipients)
        return new

    def delivered(self, event: MessageDelivery) -> MessageState | None:
        """Record a Sent line; returns the message it belongs to, if known."""
        state = self.messages.get(event.queue_id)
        if state is None:
            return None
        result = event.result
        if result == "delayed" or ((event.status or "").startswith("4") and result != "delivered"):
            state.delayed += 1
        elif event.is_failure:
            state.failed += 1
            state.final.add(event.recipient)
        else:
            state.delivered += 1
            state.final.add(event.recipient)
        return state

    def pending(self, older_than: int) -> list[tuple[str, MessageState]]:
        """Messages accepted before ``older_than`` with recipients still not delivered."""
        out = []
        for qid, state in self.messages.items():
            if state.ts >= older_than:
                break
            if state.accepted > len(state.final):
                out.append((qid, state))
        return out

    def dump(self, now: int, max_age: int = 7200, limit: int = 20_000) -> list[list[Any]]:
        """The newest messages (at most ``limit``, younger than ``max_age`` seconds of
        log time at ``now``), oldest first, compact for saving."""
        edge = now - max_age
        newest: list[list[Any]] = []
        for qid in islice(reversed(self.messages), limit):
            st = self.messages[qid]
            if st.ts < edge:
                break
            newest.append(
                [
                    qid,
                    st.ts,
                    st.account,
                    st.sender,
                    st.accepted,
                    st.delivered,
                    st.failed,
                    st.delayed,
                    sorted(st.final),
                ]
            )
        newest.reverse()
        return newest

    def restore(self, rows: list[list[Any]]) -> None:
        """Add the messages :meth:`dump` saved (in their order)."""
        messages = self.messages
        for qid, ts, account, sender, accepted, delivered, failed, delayed, final in rows:
            messages[str(qid)] = MessageState(
                int(ts),
                account,
                sender,
                int(accepted),
                int(delivered),
                int(failed),
                int(delayed),
                set(final),
            )
        while len(messages) > self.limit:
            messages.popitem(last=False)

    def forget_before(self, ts: int) -> None:
        """Drop messages older than ``ts``."""
        while self.messages:
            qid, state = next(iter(self.messages.items()))
            if state.ts >= ts:
                break
            del self.messages[qid]


class SessionTracker:
    """The last HTTP login of each account: (ip, ts, user agent); and apart, the last
    webmail one (``HTTP/WebMail``).

    A webmail send belongs to the webmail's session, not to the Outlook connector
    (``HTTP/KOFF``) at the owner's desk: an intruder's webmail session from a Tor exit
    and the owner's Outlook in the office are live at once, and the owner's later login
    must not take over the intruder's sends. Without a live webmail session, the last
    HTTP login of any kind is the session (what sends through it is not documented).
    Apart, the addresses of each account's HTTP sessions logged in or used for a webmail
    send in the last :data:`PLACE_TTL` (at most :data:`MAX_PLACES`): where a filter
    rule may have been set.
    """

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[str, int, str | None]] = {}
        self.webmail: dict[str, tuple[str, int, str | None]] = {}
        self.places: dict[str, dict[str, int]] = {}

    def login(self, event: LoginSucceeded) -> None:
        """Remember an HTTP login."""
        protocol = event.protocol
        if protocol.startswith("HTTP"):
            session = (event.source, event.ts, event.user_agent)
            self.sessions[event.user] = session
            if protocol.lower() == WEBMAIL_PROTOCOL:
                self.webmail[event.user] = session
            self._place(event.user, event.source, event.ts)

    def _place(self, account: str, ip: str, ts: int) -> None:
        places = self.places.setdefault(account, {})
        places[ip] = max(ts, places.pop(ip, ts))
        for old in [a for a, t in places.items() if ts - t > PLACE_TTL]:
            del places[old]
        while len(places) > MAX_PLACES:
            del places[next(iter(places))]

    def recent_places(self, account: str, ts: int) -> list[str]:
        """The addresses of the account's HTTP sessions logged in or used within
        :data:`PLACE_TTL` before ``ts``: where a filter rule seen at ``ts`` may have been
        set."""
        places = self.places.get(account, {})
        return [ip for ip, t in places.items() if 0 <= ts - t <= PLACE_TTL]

    def dump(self, now: int) -> list[list[Any]]:
        """``[account, ip, ts, None, "place"]`` of the recent logins' addresses, then
        ``[account, ip, ts, user agent]`` of the sessions still live at ``now``, then
        ``[account, ip, ts, user agent, "webmail"]`` of the live webmail ones."""
        rows: list[list[Any]] = [
            [account, ip, ts, agent]
            for account, (ip, ts, agent) in self.sessions.items()
            if now - ts <= SESSION_TTL
        ]
        rows += [
            [account, ip, ts, agent, "webmail"]
            for account, (ip, ts, agent) in self.webmail.items()
            if now - ts <= SESSION_TTL
        ]
        places: list[list[Any]] = [
            [account, ip, ts, None, "place"]
            for account, ips in self.places.items()
            for ip, ts in ips.items()
            if now - ts <= PLACE_TTL
        ]
        return places + rows  # first: a version without places takes the rows after

    def restore(self, rows: list[list[Any]]) -> None:
        """Add the sessions :meth:`dump` saved (rows of four: any HTTP session)."""
        for row in rows:
            account, ip, ts, agent = row[:4]
            if row[4:] == ["place"]:
                self._place(str(account), str(ip), int(ts))
                continue
            table = self.webmail if row[4:] == ["webmail"] else self.sessions
            table[str(account)] = (str(ip), int(ts), agent)

    def clear(self) -> None:
        """Forget every session."""
        self.sessions.clear()
        self.webmail.clear()
        self.places.clear()

    def live(self, account: str, ts: int) -> tuple[str, int, str | None] | None:
        """``(ip, last used, user agent)`` of the account's last HTTP session of any kind
        if it is still live at ``ts`` (what :meth:`dump` keeps across a restart); it
        does not keep the session alive (a look, not a use)."""
        session = self.sessions.get(account)
        return session if session is not None and 0 <= ts - session[1] <= SESSION_TTL else None

    def clock_set_back(self, first: int) -> None:
        """The server's clock set back, ``first`` the first line after the jump: what
        was used after it counts as used at it, live for its time from the jump (a
        webmail send right after the jump was dated before its session's last use and
        belonged to no session)."""
        for table in (self.sessions, self.webmail):
            for account, (ip, ts, agent) in table.items():
                table[account] = (ip, min(ts, first), agent)
        for places in self.places.values():
            for ip, ts in places.items():
                places[ip] = min(ts, first)

    def ip_for(self, account: str, ts: int) -> str | None:
        """The webmail session IP in force for ``account`` at ``ts``, if any: the live
        webmail session's, else the live HTTP session's."""
        for table in (self.webmail, self.sessions):
            session = table.get(account)
            if session is None or ts - session[1] > SESSION_TTL or ts < session[1] - 60:
                continue
            # Each use keeps the session alive (and its place: a rule may be set in it).
            table[account] = (session[0], max(session[1], ts), session[2])
            self._place(account, session[0], ts)
            return session[0]
        return None


def is_webmail_host(host: str | None) -> bool:
    """The ``Sender-Host`` Kerio logs for webmail submissions."""
    return host is None or host in WEBMAIL_HOSTS
