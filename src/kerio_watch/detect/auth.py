"""Authentication: password guessing, and the successful login that follows it.

Failed logins are internet background noise; what matters is the moment a guess works.
The detector keeps, per outside IP (an IPv6 client's /64), its failed logins of the last
day (which accounts it tried, whether AntiHammering blocked it), across runs. Rules:

- about an IP alone (key ``ip:<addr>``, never above ``low``): many failures in an hour
  (brute force), failures for many accounts (password spraying), an AntiHammering block;
- about an account: many failed logins for it in an hour (weak: attackers pick real
  names from the web); a **successful login from an IP that was guessing passwords**
  (the compromise itself: at least ``medium``); **mail sent after it** (``high``); and
  logins from far more distinct outside addresses in a day than the account ever uses.

Failures from the trusted networks (typos in the office) never count, and a login where
colleagues log in too is no guess when the failures there are theirs
(:func:`.ipstate.staff_place`, :func:`.ipstate.tried_elsewhere`). Rules: :mod:`.auth_rules`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.auth_rules import (
    RULE_ACCOUNT,
    RULE_BLOCKED,
    RULE_BRUTE,
    RULE_GUESSED,
    RULE_MANY_IPS,
    RULE_SENT,
    RULE_SPRAY,
    RULES,
)
from kerio_watch.detect.base import RuleDoc, Signal, hourly
from kerio_watch.detect.context import Context
from kerio_watch.detect.ipstate import DAY, IpClock, IpState, shared_with
from kerio_watch.detect.window import Recent, count
from kerio_watch.enrich.messages import Submission
from kerio_watch.enrich.network import machine_of
from kerio_watch.events import Event, HostBlocked, LoginFailed, LoginSucceeded
from kerio_watch.settings.numbers import factor, points, threshold
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable

if TYPE_CHECKING:
    from kerio_watch.store.base import Store

HOUR = 3600


@dataclass(frozen=True)
class AuthOptions:
    """``[detectors.auth]`` options."""

    ip_failures: int = threshold(10)
    spray_accounts: int = threshold(5)
    account_failures: int = threshold(10)
    guess_failures: int = threshold(5)
    guess_accounts: int = threshold(3)
    min_ips: int = threshold(5)
    ips_factor: float = factor(3.0)
    score_bruteforce: int = points(20)
    score_spray: int = points(25)
    score_blocked: int = points(20)
    score_account: int = points(10)
    score_guessed: int = points(45)
    score_guessed_same_account: int = points(55)
    score_sent: int = points(70)
    score_many_ips: int = points(30)


class AuthDetector(IpClock):
    """Failed logins per IP and account, and logins that follow password guessing."""

    name: ClassVar[str] = "auth"
    wants: ClassVar[frozenset[str]] = frozenset(
        {"login_failed", "login_succeeded", "host_blocked", "submission"}
    )
    rules: ClassVar[tuple[RuleDoc, ...]] = RULES
    options_class: ClassVar[type[AuthOptions]] = AuthOptions
    redated: ClassVar[tuple[str, ...]] = ("ips", "account_fails", "guessed", "logins")

    def __init__(self, ctx: Context, options: AuthOptions) -> None:
        self.ctx = ctx
        self.ip_failures = options.ip_failures
        self.spray_accounts = options.spray_accounts
        self.account_failures = options.account_failures
        self.guess = (options.guess_failures, options.guess_accounts)  # failures, accounts
        self.min_ips = options.min_ips
        self.ips_factor = options.ips_factor
        self.score_brute = options.score_bruteforce
        self.score_spray = options.score_spray
        self.score_blocked = options.score_blocked
        self.score_account = options.score_account
        self.score_guessed = options.score_guessed
        self.score_guessed_same = options.score_guessed_same_account
        self.score_sent = options.score_sent
        self.score_many = options.score_many_ips
        self.ips: dict[str, IpState] = {}
        self.account_fails: dict[str, deque[int]] = {}
        self.guessed: dict[str, tuple[str, int, str]] = {}
        """account -> (guessing IP, login time, summary) of a login after guessing."""
        self.logins: dict[str, dict[str, int]] = {}
        """account -> outside login address -> last login time (for many_ips)."""
        self.recent = Recent(DAY)
        self._store: Store | None = None
        self._hour = 0

    # -- persistence (SavedState, plus per-IP state in its own table) -----------------
    def load(self, store: Store) -> None:
        """Restore the per-account state; remember the store, as IP state is read at the
        first event (its log time)."""
        self._store = store
        super().load(store)

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        for user, times in data["fails"].items():
            self.account_fails[str(user)] = deque((int(t) for t in times), maxlen=1000)
        for user, (ip, ts, summary) in data["guessed"].items():
            self.guessed[str(user)] = (str(ip), int(ts), str(summary))
        for user, seen in data["logins"].items():
            self.logins[str(user)] = {str(ip): int(t) for ip, t in seen.items()}

    def reset_state(self) -> None:
        """Forget the per-account state."""
        self.account_fails.clear()
        self.guessed.clear()
        self.logins.clear()

    def _load(self, ts: int) -> None:
        store, self._store = self._store, None
        if store is None:
            return
        for ip, data in store.load_ip_state(ts - DAY).items():
            if ip not in self.ips and isinstance(data, dict):
                self.ips[ip] = IpState.from_dict(data)

    def save(self, store: Store) -> None:
        """Save the IP state changed since the last save, then the per-account state."""
        now = max((s.updated for s in self.ips.values()), default=0)
        changed = {ip: s.to_dict(now) for ip, s in self.ips.items() if s.dirty}
        if changed:
            store.save_ip_state(changed)
        for s in self.ips.values():
            s.dirty = False
        super().save(store)

    def dump_state(self, now: int) -> dict[str, Any]:
        """What the rules still look at: failures of the last hour, logins after guessing
        and login addresses of the last day."""
        hour_edge, day_edge = now - HOUR, now - DAY
        fails = {u: [t for t in f if t > hour_edge] for u, f in self.account_fails.items()}
        guessed = {u: list(g) for u, g in self.guessed.items() if now - g[1] <= DAY}
        logins = {
            u: {ip: t for ip, t in seen.items() if t > day_edge} for u, seen in self.logins.items()
        }
        return {
            "fails": {u: f for u, f in fails.items() if f},
            "guessed": guessed,
            "logins": {u: seen for u, seen in logins.items() if seen},
        }

    # -- events -------------------------------------------------------------------------
    def observe(self, item: Event | Submission) -> Sequence[Signal] | None:
        """Dispatch on the event kind."""
        if self._store is not None:
            self._load(item.ts)
        kind = item.kind
        if kind == "login_failed":
            return self._failed(item)  # type: ignore[arg-type]
        if kind == "submission":
            return self._sent(item)  # type: ignore[arg-type]
        if kind == "login_succeeded":
            return self._login(item)  # type: ignore[arg-type]
        return self._blocked(item)  # type: ignore[arg-type]

    def _state(self, ip: str, ts: int) -> IpState:
        state = self.ips.get(ip)
        if state is None:
            state = self.ips[ip] = IpState(ts)
        state.updated = ts
        state.dirty = True
        return state

    def _failed(self, ev: LoginFailed) -> Sequence[Signal] | None:
        if self.ctx.networks.is_trusted(ev.source):
            return None
        state = self._state(ip := machine_of(ev.source), ts := ev.ts)  # IPv6: the /64
        user = ev.user
        state.failed(ts, ev.raw, user, ev.source)
        out: list[Signal] = []
        hourly = state.failures_since(ts - HOUR + 1)
        if hourly >= self.ip_failures and self.recent.due(
            (RULE_BRUTE, ip), ts, hourly.bit_length()
        ):
            out.append(
                state.signal(
                    RULE_BRUTE,
                    ip,
                    ts,
                    self.score_brute,
                    f"{ip} failed {count(hourly, 'login')} within an hour" + state.tried(),
                )
            )
        tried = len(state.accounts)
        if tried >= self.spray_accounts and self.recent.due(
            (RULE_SPRAY, ip), ts, tried.bit_length()
        ):
            out.append(
                state.signal(
                    RULE_SPRAY,
                    ip,
                    ts,
                    self.score_spray,
                    f"{ip} tried the passwords of {count(tried, 'account')}" + state.tried(),
                )
            )
        if user and ev.reason != "unknown_user" and self.ctx.is_local(user):
            out.extend(self._account_failed(user, ev))
        return out or None

    def _account_failed(self, user: str, ev: LoginFailed) -> list[Signal]:
        fails = self.account_fails.get(user)
        if fails is None:
            fails = self.account_fails[user] = deque(maxlen=1000)
        ts = ev.ts
        fails.append(ts)
        while fails and fails[0] <= ts - HOUR:
            fails.popleft()
        n = len(fails)
        if n < self.account_failures or not self.recent.due(
            (RULE_ACCOUNT, user), ts, n.bit_length()
        ):
            return []
        summary = f"{count(n, 'failed login')} for {user} within an hour (last from {ev.source})"
        return [
            Signal(
                RULE_ACCOUNT, user, ts, self.score_account, printable(summary), ev.source, (ev.raw,)
            )
        ]

    def _blocked(self, ev: HostBlocked) -> Sequence[Signal] | None:
        if ev.action != "block" or self.ctx.networks.is_trusted(ev.source):
            return None
        state = self._state(ip := machine_of(ev.source), ev.ts)
        state.source = ev.source
        state.blocked += 1
        state.last_block = ev.ts
        state.lines.append(ev.raw)
        if not self.recent.due((RULE_BLOCKED, ip), ev.ts, state.blocked.bit_length()):
            return None
        minutes = f" for {ev.minutes} minutes" if ev.minutes else ""
        summary = f"AntiHammering blocked {ev.source} ({ev.protocol}){minutes}" + state.tried()
        return (state.signal(RULE_BLOCKED, ip, ev.ts, self.score_blocked, summary),)

    # -- the compromise -----------------------------------------------------------------
    def _guessing(self, ip: str, ts: int, user: str) -> IpState | None:
        """The address's (an IPv6 client's /64's) state when it was guessing passwords in
        the last day, unless ``user`` shares it with the guesser (:func:`.ipstate.shared_with`)."""
        state = self.ips.get(machine_of(ip))
        if state is None:
            return None
        if (
            state.failures_since(ts - DAY) >= self.guess[0]
            or (state.last_block and ts - state.last_block <= DAY)
            or (len(state.accounts) >= self.guess[1] and ts - state.updated <= DAY)
        ) and not shared_with(state, user, self.ctx, ip, ts, self.guess):
            return state
        return None

    def _login(self, ev: LoginSucceeded) -> Sequence[Signal] | None:
        ip, user, ts = ev.source, ev.user, ev.ts
        if not self.ctx.networks.is_external(ip):
            return None
        out: list[Signal] = []
        state = self._guessing(ip, ts, user) if self.ips else None
        if state is not None and not self.ctx.profile(user).is_accepted("hosts", ip):
            mine = state.accounts.get(user, 0)
            score = self.score_guessed_same if mine >= 3 else self.score_guessed
            if self.recent.due((RULE_GUESSED, user, ip), ts, score):
                fails = state.failures_since(ts - DAY)
                about = f", {mine:,} of them for {user}" if mine else ""
                block = ", blocked by AntiHammering" if state.last_block else ""
                origin = "it" if machine_of(ip) == ip else f"its network {machine_of(ip)}"
                summary = printable(
                    f"{user} logged in via {ev.protocol} from {ip} after "
                    f"{count(fails, 'failed login')} from {origin} within a day{about}{block}"
                )
                self.guessed[user] = (ip, ts, summary)
                evidence = (*tuple(state.lines)[-3:], ev.raw)
                out.append(
                    Signal(
                        RULE_GUESSED,
                        user,
                        ts,
                        score,
                        summary,
                        ip,
                        evidence,
                        Severity.MEDIUM,
                        {"hosts": [ip], "networks": [self.ctx.network_of(ip)]},
                    )
                )
        many = self._many_ips(ev)
        if many is not None:
            out.append(many)
        return out or None

    def _sent(self, sub: Submission) -> Sequence[Signal] | None:
        if not sub.new_message or self.ctx.networks.is_trusted(sub.host):
            return None  # mail from the office or the VPN is not the guesser's
        account, ts = sub.account, sub.ts
        guessed = self.guessed.get(account)
        if guessed is not None and ts - guessed[1] > DAY:
            del self.guessed[account]
            guessed = None
        if guessed is None and sub.host is not None and self.ips:
            state = self._guessing(sub.host, ts, account)
            if state is not None and self.ctx.networks.is_external(sub.host):
                fails = state.failures_since(ts - DAY)
                guessed = (
                    sub.host,
                    ts,
                    f"{machine_of(sub.host)} failed {count(fails, 'login')} within a day before",
                )
        if guessed is None or not self.recent.due((RULE_SENT, account), ts, 1):
            return None
        ip, _login_ts, why = guessed
        if self.ctx.profile(account).is_accepted("hosts", ip):
            return None
        where = f" from {sub.host}" if sub.host else ""
        summary = printable(f"{account} sent mail{where} via {sub.service} after this: {why}")
        return (
            Signal(
                RULE_SENT,
                account,
                ts,
                self.score_sent,
                summary,
                ip,
                (sub.event.raw,),
                Severity.HIGH,
                {"hosts": [ip]},
            ),
        )

    def _many_ips(self, ev: LoginSucceeded) -> Signal | None:
        user, ts = ev.user, ev.ts
        seen = self.logins.setdefault(user, {})
        seen[ev.source] = ts
        if len(seen) < self.min_ips:
            return None
        for ip in [ip for ip, t in seen.items() if t <= ts - DAY]:
            del seen[ip]
        prof = self.ctx.profile(user)
        if prof.days_known(ts) < 1:
            return None  # no day of its own to compare with: "none on any day before" is empty
        usual = max(prof.ip_days, default=0)  # no more places than addresses: asked if enough
        need = max(self.min_ips, self.ips_factor * usual)
        if len(seen) < need or (n := len({self.ctx.place_of(ip) for ip in seen})) < need:
            return None
        if not self.recent.due((RULE_MANY_IPS, user), ts, n.bit_length()):
            return None
        before = f"at most {usual:,} a day before" if usual else "none on any day before"
        summary = printable(
            f"{user} logged in from {count(n, 'outside network')} ({len(seen):,} addresses) "
            f"within a day (latest {self.ctx.describe_host(ev.source)} via {ev.protocol}); "
            f"{before}"
        )
        return Signal(
            RULE_MANY_IPS,
            user,
            ts,
            self.score_many,
            summary,
            ev.source,
            (ev.raw,),
            facts={"hosts": sorted(seen)},
        )

    @hourly  # housekeeping
    def flush(self, now: int) -> Sequence[Signal]:
        """Hourly: forget addresses and accounts quiet for a day."""
        hour = now // HOUR
        if hour == self._hour:
            return ()
        self._hour = hour
        edge = now - DAY
        for ip in [ip for ip, s in self.ips.items() if s.updated < edge]:
            del self.ips[ip]
        for user in [u for u, f in self.account_fails.items() if not f or f[-1] < edge]:
            del self.account_fails[user]
        for user in [u for u, seen in self.logins.items() if max(seen.values()) < edge]:
            del self.logins[user]
        if len(self.recent.fired) > 10_000:
            self.recent.prune(now)
        return ()
