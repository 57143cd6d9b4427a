"""What one outside address did in the last day: its failed logins, for the auth rules,
and the signals about the address alone."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from kerio_watch.detect.base import Signal
from kerio_watch.detect.clockback import redate
from kerio_watch.detect.state import SavedState
from kerio_watch.enrich.network import provider_range
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable

if TYPE_CHECKING:
    from kerio_watch.detect.context import Context
    from kerio_watch.store.base import Store
    from kerio_watch.values.profile import Profile

DAY = 86400
MAX_FAILS = 512
MAX_ACCOUNTS = 200
USUAL_USES = 3
"""Uses from which a network is one the account regularly uses (as in ``new_host``)."""
STAFF = 3
"""Colleagues at one address that make it a place of the staff (:func:`staff_place`)."""


class IpState:
    """What one outside address did in the last day."""

    __slots__ = (
        "accounts",
        "blocked",
        "dirty",
        "fails",
        "first",
        "last",
        "last_block",
        "lines",
        "source",
        "updated",
    )

    def __init__(self, ts: int) -> None:
        self.fails: deque[int] = deque(maxlen=MAX_FAILS)
        self.accounts: dict[str, int] = {}
        self.last: dict[str, int] = {}
        """account -> its last failure here (:func:`tried_elsewhere` asks about a day)."""
        self.blocked = 0
        self.last_block = 0
        self.first = ts
        self.updated = ts
        self.lines: deque[str] = deque(maxlen=5)
        self.source = ""
        """The address of its latest line (an IPv6 client's state is its /64's)."""
        self.dirty = True

    def failures_since(self, since: int) -> int:
        """Failed logins at or after ``since`` (the deque is in time order)."""
        n = 0
        for t in reversed(self.fails):
            if t < since:
                break
            n += 1
        return n

    def failed(self, ts: int, raw: str, user: str | None, source: str = "") -> None:
        """Count a failed login from ``source``, and the account it tried (up to
        ``MAX_ACCOUNTS``)."""
        self.fails.append(ts)
        self.lines.append(raw)
        self.source = source
        if user:
            if user in self.accounts:
                self.accounts[user] += 1
                self.last[user] = ts
            elif len(self.accounts) < MAX_ACCOUNTS:
                self.accounts[user] = 1
                self.last[user] = ts

    def clock_set_back(self, new: int) -> None:
        """The server's clock set back to ``new``: what this address did after it counts
        as done at ``new`` (:mod:`.clockback`); saved again."""
        redate(self.fails, new)
        redate(self.last, new)
        self.first, self.updated = min(self.first, new), min(self.updated, new)
        self.last_block = min(self.last_block, new)
        self.dirty = True

    def tried(self) -> str:
        """The accounts it tried most, for a summary ("" if none)."""
        if not self.accounts:
            return ""
        names = sorted(self.accounts, key=lambda a: -self.accounts[a])[:3]
        more = len(self.accounts) - len(names)
        return f" (accounts tried: {', '.join(names)}" + (f" and {more:,} more)" if more else ")")

    def signal(self, rule: str, ip: str, ts: int, score: int, summary: str) -> Signal:
        """A signal about the address alone (key ``ip:<addr>``; an IPv6 client's /64),
        with its last lines, from the address of its latest line."""
        source = self.source or ip
        return Signal(
            rule,
            f"ip:{ip}",
            ts,
            score,
            printable(summary),
            source,
            tuple(self.lines),
            facts={"hosts": [source]},
        )

    def to_dict(self, now: int) -> dict[str, Any]:
        """The persisted form (only the last day of failures; the last lines, a signal's
        evidence after a restart)."""
        return {
            "fails": [t for t in self.fails if t >= now - DAY],
            "accounts": self.accounts,
            "last": self.last,
            "blocked": self.blocked,
            "last_block": self.last_block,
            "first": self.first,
            "updated": self.updated,
            "lines": list(self.lines),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IpState:
        """Inverse of :meth:`to_dict`."""
        state = cls(int(data.get("first", 0)))
        state.fails.extend(int(t) for t in data.get("fails", ()))
        state.accounts = {str(k): int(v) for k, v in data.get("accounts", {}).items()}
        state.last = {str(k): int(v) for k, v in data.get("last", {}).items()}
        state.blocked = int(data.get("blocked", 0))
        state.last_block = int(data.get("last_block", 0))
        state.updated = int(data.get("updated", state.first))
        state.lines.extend(str(line) for line in data.get("lines", ()))
        state.dirty = False
        return state


class IpClock(SavedState):
    """``auth``'s ``clock_set_back``: the state of the addresses the last run saved is
    read first (a run that starts with the jump reads it at its first event, after)."""

    _store: Store | None

    def _load(self, ts: int) -> None:
        raise NotImplementedError

    def clock_set_back(self, old: int, new: int) -> None:
        """Read the addresses' state, then re-date it (:attr:`~.SavedState.redated`)."""
        if self._store is not None:
            self._load(new)
        super().clock_set_back(old, new)


def shared_with(
    state: IpState, user: str, ctx: Context, ip: str, ts: int, limits: tuple[int, int] = (5, 3)
) -> bool:
    """Whether the guessing address ``ip`` is one the account shares with it, where the
    account regularly is.

    - It never tried this account's password, and lies in a /24 the account used
      :data:`USUAL_USES` times or in its phone carrier's or home line's provider range
      (:meth:`Profile.range_use`): a carrier's CGNAT address or a hotel's NAT carries
      many customers at once, a sprayer among them.
    - It tried only this account's password, from a network (AS) the account uses
      regularly, or from this very address after the account had used it (logged in
      or sent from it before its first failure here): the owner's phone or home PC
      keeps the old password after a change. A guesser has no login before its guesses.

    Either way the owner's login from there is not a guess that worked; a sprayer that
    tried this account among others is, wherever it is, unless the address is a place
    of the staff (:func:`staff_place`) and the failures were colleagues' typos: without
    those of accounts that work there it would not be guessing (``limits``: failures
    and accounts that make an address a guessing one, :func:`tried_elsewhere`)."""
    if staff_place(ctx, ip, user):
        fails, accounts = tried_elsewhere(state, ctx, ip, user, ts)
        if fails < limits[0] and accounts < limits[1]:
            return True
    prof, network, as_key = ctx.profile(user), ctx.network_of(ip), ctx.net_info(ip).as_key
    tried = state.accounts
    if user in tried and len(tried) > 1:
        return False
    entry = prof.networks.get(network)
    if entry is not None and entry[0] >= USUAL_USES:
        return True
    if user in tried:
        if used_before(prof, ip, state.first):
            return True
        if as_key:
            used = prof.asns.get(as_key)
            return used is not None and used[0] >= USUAL_USES
    return prof.range_use(provider_range(network), ts, USUAL_USES)[0]


def used_before(prof: Profile, ip: str, ts: int) -> bool:
    """Whether the account logged in or sent mail from ``ip`` before ``ts`` (what it
    learned: a use held under suspicion is not its own)."""
    for table in (prof.login_ips, prof.hosts):
        entry = table.get(ip)
        if entry is not None and entry[1] < ts:
            return True
    return False


def staff_place(ctx: Context, ip: str, user: str, ts: int | None = None) -> bool:
    """Whether at least :data:`STAFF` other accounts of the site, none of them under
    suspicion (an open incident at ``medium`` or above, or whose access alone from this
    address was given to the address's own incident), have logged in or sent mail
    from this very address: a place the staff shares, such as the office's line when
    the trusted networks do not name it (never set for an office behind one public
    address, or the office moved to another provider).

    Failures there are the staff's typos, as they are in the trusted networks, not a
    stranger's guessing; and one hijack worked from there does not make every colleague
    there a stranger. A sprayer's or a phishing proxy's address is nobody's place: the
    accounts it broke into are under suspicion. Every account in memory is asked, so a
    site of any size counts all its colleagues there (the site's table of networks
    keeps only a few accounts per /24).

    With ``ts`` (is the address a stranger's, whose victims may be quiet?), a colleague
    counts only where it works: it sent mail from the address, or used it a day or more
    before ``ts``. A stranger who took several passwords logs in to each account from
    its address within minutes, reads and sends nothing yet: those accounts are no
    witnesses for it. The staff send their mail from their place, and the place of
    yesterday is theirs too (:func:`worked_at`)."""
    found = 0
    for account, prof in ctx.profiles.items():
        if account == user or suspect(ctx, account, ip):
            continue
        if prof.knows_host(ip) if ts is None else worked_at(prof, ip, ts):
            found += 1
            if found >= STAFF:
                return True
    return False


def suspect(ctx: Context, account: str, ip: str) -> bool:
    """Whether the account is under suspicion at ``ip``: an open incident at ``medium``
    or above, or one whose access alone from ``ip`` went to the address's own incident
    (:mod:`kerio_watch.incidents.sharing`): it is no witness that ``ip`` is a place of
    the staff, nor a colleague who makes its network less strange."""
    incidents = ctx.incidents
    return incidents.severity_of(account) >= Severity.MEDIUM or incidents.shared_on(account, ip)


def worked_at(prof: Profile, ip: str, ts: int) -> bool:
    """Whether the account worked at ``ip``: it sent mail from it, or logged in from it
    a day or more before ``ts`` (not only today: logins alone are what a stranger's
    tool leaves on each account it took)."""
    if ip in prof.hosts:
        return True
    seen = prof.login_ips.get(ip)
    return seen is not None and ts - seen[1] >= DAY


def tried_elsewhere(state: IpState, ctx: Context, ip: str, user: str, ts: int) -> tuple[int, int]:
    """The failed logins from ``ip``, and the accounts they named, within the last day
    before ``ts``, that are not a colleague's typo there: failures for accounts that
    never logged in or sent from the address, and for names that are no account of the
    site. (An account under suspicion that logged in there still explains its own
    failures: a guesser's failures are for accounts it did not get into, and counting
    them again would make one colleague's alert every typo's.)

    A colleague at the office mistypes its own password, then gets it right from the
    same address. A tool working through a leaked list fails for the stale entries
    (people who changed their password or left) between the ones that work; those
    accounts never worked from its address, so three accounts it took quietly do not
    turn its failures into the staff's typos. ``user``'s own failures are left out (its
    typo, then the right password, is judged by :func:`shared_with`'s own places).
    Failures that name no account (an SMTP SASL failure) are not counted: nothing
    says whose they were."""
    fails = accounts = 0
    for account, n in state.accounts.items():
        if account == user or state.last.get(account, state.updated) < ts - DAY:
            continue
        prof = ctx.profiles.get(account)
        if prof is not None and prof.knows_host(ip):
            continue
        fails += n
        accounts += 1
    return fails, accounts
