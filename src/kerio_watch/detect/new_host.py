"""New host: an account sends or logs in from an outside address it has never used.

Most people use their mail from a handful of places: the office LAN, a VPN, a home line,
a phone carrier. A hijacker uses whatever address the botnet hands out. Addresses in
the trusted networks never fire; an outside address fires when neither it nor its /24
is one the account has used (a new address in the account's usual /24 is a DHCP lease
renewal, not news). Sending weighs more than logging in (a login to the administration
console weighs as a send: it is where the server is changed, not where mail is read), a
/24 nobody on the site has used weighs more than an address colleagues share, and an
account with little history is judged against the site's networks only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.ipstate import staff_place, suspect
from kerio_watch.detect.places import administers, owner_networks, read_only_since, usual_host
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import Recent
from kerio_watch.enrich.geo import NetInfo
from kerio_watch.enrich.messages import Submission
from kerio_watch.enrich.network import provider_range
from kerio_watch.events import LoginSucceeded
from kerio_watch.settings.numbers import period, points, threshold
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile

RULE = "kerio.net.new_host"
RULE_HOSTING = "kerio.net.hosting"
RULE_HIJACK = "kerio.net.hijack_address"
DAY = 86400


@dataclass(frozen=True)
class NewHostOptions:
    """``[detectors.new_host]`` options."""

    score_send: int = points(25)
    score_login: int = points(15)
    score_country: int = points(15)
    score_hosting: int = points(20)
    score_same_as: int = points(10)
    score_rare_network: int = points(15)
    score_shared_network: int = points(15)
    score_provider_range: int = points(10)
    score_hijack_address: int = points(45)
    usual_network_uses: int = threshold(3)
    warmup_days: float = period(2.0, "days", positive=False)


class NewHostDetector(SavedState):
    """Flags sends and logins from outside addresses new to the account."""

    name: ClassVar[str] = "new_host"
    wants: ClassVar[frozenset[str]] = frozenset({"submission", "login_succeeded"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "New outside address",
            "An account sent mail from, or logged in from, an address outside the trusted "
            "networks that it has never used, in a /24 it does not usually use. Sending "
            "counts more than a login (a login to the administration console counts as a "
            "send: the server is changed in it); a network no account of the site has used "
            "counts more than an address other accounts share, and a new /24 in the /16 "
            "of the account's provider (mobile carriers rotate addresses) counts little, "
            "and nothing once the account has used several /24s of that range since "
            "before today. The first mail from an address it has only read mail from, at "
            "a place (network owner, else provider range) it never sent from and first "
            "used within two weeks, counts as mail from a new network: reading alone does "
            "not make a place its own.",
            "A stolen password is used from the attacker's address, not the owner's; the "
            "first message or login from it is the earliest sign of a takeover.",
            "Travel (hotel and conference networks), a new home line or phone carrier, a "
            "new branch office not yet in [site] trusted_networks, a new phone's first "
            "message after days of reading. Each fires once, at low severity on its own; "
            "ack --benign teaches the address and its network.",
            side="access",
        ),
        RuleDoc(
            RULE_HOSTING,
            "Used from a hosting network",
            "An account sent mail or logged in from an address of a hosting, cloud or "
            "data-centre network (by its AS, see [enrich]) that it does not regularly use "
            "(on usual_network_uses days or more, and sent mail from: an intruder reads "
            "for days before it acts, and its reads do not make the network the account's "
            "own).",
            "People read their mail at home, in the office and on the phone; rented "
            "servers, cloud regions and VPN exits are where spam tools and phishing "
            "proxies run. A trip does not explain it.",
            "A commercial VPN or a company proxy in a cloud: once used on a few days and "
            "sent from, it is the account's own network (reads alone stay low); ack "
            "--benign or [enrich] hosting teaches it. Never for bulk senders.",
            side="access",
        ),
        RuleDoc(
            RULE_HIJACK,
            "Used from another account's hijack address",
            "An account sent mail or logged in from an outside address (IPv6: its /64) that, "
            "within the last day, another account's hijack was worked from (an address its "
            "open high or critical incident rests on that did harm, or was used before the "
            "harm: an archive reading the mailbox later is not), unless three colleagues "
            "without suspicion work from it too (the office's line, not in the trusted networks).",
            "One stranger often holds several passwords and works them from the same "
            "addresses: once one account's hijack is known, every account that address "
            "touches has been opened by the same stranger, whatever its own history says "
            "(the address may even look like the owner's provider, or a network colleagues "
            "share, because the other victims used it).",
            "An address the intruder shares with a colleague: a mobile carrier's shared "
            "(CGNAT) address or a commercial VPN exit. On its own it makes a medium alert, "
            "high only with harm from the account; ack --benign teaches the address.",
            side="access",
        ),
    )
    options_class: ClassVar[type[NewHostOptions]] = NewHostOptions

    def __init__(self, ctx: Context, options: NewHostOptions) -> None:
        self.ctx = ctx
        self.score_send = options.score_send
        self.score_login = options.score_login
        self.score_country = options.score_country
        self.score_hosting = options.score_hosting
        self.score_same_as = options.score_same_as
        self.score_rare = options.score_rare_network
        self.score_shared = options.score_shared_network
        self.score_provider = options.score_provider_range
        self.usual_uses = options.usual_network_uses
        self.warmup_days = options.warmup_days
        self.score_hijack = options.score_hijack_address
        self.recent = Recent(DAY)
        self.episodes: dict[tuple[str, str], tuple[int, str]] = {}
        self.hijacks = Recent(DAY)
        """(account, address) :data:`RULE_HIJACK` fired for within the day (saved)."""

    def observe(self, item: Submission | LoginSucceeded) -> Sequence[Signal] | None:
        """Check one submission or login."""
        if item.__class__ is Submission:
            sub: Submission = item
            host = sub.host
            if not sub.new_message or host is None:
                return None
            account = sub.account
            prof = self.ctx.profile(account)
            key = (account, host)
            raw = sub.event.raw
            hijack = self._hijack(account, prof, host, sub.ts, f"sent mail via {sub.service}", raw)
            if (host in prof.hosts or host in prof.login_ips) and (
                not self.episodes or key not in self.episodes or not self.recent.seen(key, sub.ts)
            ):
                # a cloud address is a cloud's until used on days (sent from once, or read
                # from); a place only read from lately is not yet one it sends from
                at = (account, prof, host, sub.ts, sub.service, raw)
                found: Sequence[Signal] | None = [
                    *self._hosting(*at),
                    *(() if host in prof.hosts else self._read_only(*at)),
                ]
            else:
                found = self._check(account, prof, host, sub.ts, True, sub.service, raw)
            return [*hijack, *(found or ())] if hijack else found
        login: LoginSucceeded = item  # type: ignore[assignment]
        prof = self.ctx.profile(login.user)
        hijack = self._hijack(
            login.user, prof, login.source, login.ts, f"logged in via {login.protocol}", login.raw
        )
        found = self._check(
            login.user, prof, login.source, login.ts, False, login.protocol, login.raw
        )
        return [*hijack, *(found or ())] if hijack else found

    def _hijack(
        self, account: str, prof: Profile, host: str, ts: int, did: str, raw: str
    ) -> list[Signal]:
        """From an address another account's open hijack was worked from in the last
        day (once a day per account and address)."""
        if not self.score_hijack or not self.ctx.networks.is_external(host):
            return []  # the office's addresses first: most logins and mail come from there
        other = self.ctx.incidents.hijacked_from(host, account, ts)
        if other is None:
            return []
        if prof.is_accepted("hosts", host) or staff_place(self.ctx, host, account, ts):
            return []  # the office's line: colleagues not hijacked work from there too
        if not self.hijacks.due((account, host), ts, self.score_hijack):
            return []
        summary = printable(
            f"{account} {did} from {self.ctx.describe_host(host)}, an address that "
            f"{other}'s hijack was worked from within the last day (one stranger, "
            "several passwords)"
        )
        facts = {"hosts": [host]}
        return [
            Signal(RULE_HIJACK, account, ts, self.score_hijack, summary, host, (raw,), facts=facts)
        ]

    def _check(
        self, account: str, prof: Profile, host: str, ts: int, send: bool, how: str, raw: str
    ) -> Sequence[Signal] | None:
        ctx = self.ctx
        key = (account, host)
        known: tuple[int, str] | None = None
        if host in prof.hosts or host in prof.login_ips:
            # A host flagged earlier today is judged as it was then: the login that was
            # flagged has been learned since, but the send that follows it is still news.
            known = self.episodes.get(key) if self.episodes else None
            if known is None or not self.recent.seen(key, ts):
                return None
        if not ctx.networks.is_external(host):
            return None
        network = ctx.network_of(host)
        if prof.is_accepted("hosts", host) or prof.is_accepted("networks", network):
            return None
        out = self._hosting(account, prof, host, ts, how, raw)
        cap, why = known or self._classify(prof, account, network, ts, host)
        login = min(cap, max(self.score_login, cap - (self.score_send - self.score_login)))
        score = cap if send or administers(how) else login
        if score <= 0 or not self.recent.due(key, ts, score):
            return out
        if len(self.episodes) > 10_000:
            self.episodes = {k: v for k, v in self.episodes.items() if self.recent.seen(k, ts)}
        self.episodes[key] = (cap, why)
        usual = usual_host(prof)
        usual_text = f"; usually {usual}" if usual and usual != host else ""
        verb = f"sent mail via {how}" if send else f"logged in via {how}"
        label = ctx.net_info(host).label()
        where = f" in {label}" if label else ""
        summary = printable(f"{account} {verb} from {host}, never seen ({why}{where}{usual_text})")
        facts = {"hosts": [host], "networks": [network, *owner_networks(ctx.net_info(host))]}
        out.append(Signal(RULE, account, ts, score, summary, host, (raw,), facts=facts))
        return out

    def _hosting(
        self, account: str, prof: Profile, host: str, ts: int, how: str, raw: str
    ) -> list[Signal]:
        """A hosting network the account does not regularly use (once a day per AS)."""
        info = self.ctx.net_info(host)
        if not info.hosting or prof.bulk or prof.is_accepted("networks", info.as_key):
            return []
        user = self.ctx.user_config(account)
        if (user and user.bulk) or self._own_place(prof, info.as_key):
            return []
        if not self.recent.due((account, info.as_key), ts, self.score_hosting):
            return []
        summary = printable(
            f"{account} used {how} from {host}, a hosting network ({info.label()}), "
            "not where people read their mail"
        )
        facts = {"hosts": [host], "networks": owner_networks(info)}
        return [
            Signal(
                RULE_HOSTING, account, ts, self.score_hosting, summary, host, (raw,), facts=facts
            )
        ]

    def _read_only(
        self, account: str, prof: Profile, host: str, ts: int, how: str, raw: str
    ) -> list[Signal]:
        """The first mail from an address the account has only read mail from lately
        (:func:`.places.read_only_since`): scored as a send from a new network."""
        if prof.days_known(ts) < self.warmup_days:
            return []
        since = read_only_since(self.ctx, prof, host, ts)
        if since is None or not self.recent.due((account, host), ts, self.score_send):
            return []
        n, unit = (since // DAY, "day") if since >= DAY else (since // 3600, "hour")
        when = f"{n} {unit}{'' if n == 1 else 's'}" if n else "less than an hour"
        info = self.ctx.net_info(host)
        where = f" in {info.label()}" if info.label() else ""
        summary = printable(
            f"{account} sent mail via {how} from {host}, an address it has only read mail "
            f"from (first {when} before), at a place it never sent from{where}"
        )
        facts = {"hosts": [host], "networks": [self.ctx.network_of(host), *owner_networks(info)]}
        return [Signal(RULE, account, ts, self.score_send, summary, host, (raw,), facts=facts)]

    def _own_place(self, prof: Profile, as_key: str) -> bool:
        """A hosting network the account used on several days and has sent mail from (a
        VPN or a company proxy): reading alone does not make it its own, an intruder
        reads for days before it acts."""
        if prof.place_days(as_key) < self.usual_uses:
            return False
        net_info = self.ctx.net_info
        return any(net_info(host).as_key == as_key for host in prof.hosts)

    def _classify(
        self, prof: Profile, account: str, network: str, ts: int, host: str
    ) -> tuple[int, str]:
        """(what a send from this host scores, why it is new).

        Colleagues who use the network make it less strange (an office, a hotel at a
        conference), unless they are under suspicion themselves (an open incident at
        medium or above; a colleague's own first use of the hotel is low): a stranger's
        address is not a shared network because the stranger used it with other stolen
        passwords too. A new account is judged by the site (a /24 new to it, and a country);
        an account with history only by colleagues at the same address (:meth:`_sharers`).
        """
        ctx = self.ctx
        others = [
            a
            for a in ctx.site.network_accounts(network)
            if a != account and not suspect(ctx, a, host)
        ]
        warmup = not prof.first_ts or prof.days_known(ts) < self.warmup_days
        if warmup:
            if others:
                return 0, ""
            why = f"new account; network {network} new to the site"
            if self.ctx.site.country_unknown(country := self.ctx.net_info(host).country):
                return self.score_rare + self.score_country, f"{why}; {country}, a country too"
            return self.score_rare, why
        entry = prof.networks.get(network)
        if entry is not None and entry[0] >= self.usual_uses:
            return 0, ""
        prefix = provider_range(network)
        rotates, uses = self._rotation(prof, prefix, ts)
        if rotates:
            return 0, ""
        if entry is not None:
            return self.score_rare, f"network {network} used {entry[0]}x before"
        others = self._sharers(others, host)
        info = self.ctx.net_info(host)
        if info.as_key:
            return self._by_owner(prof, info, bool(others))
        if uses >= self.usual_uses:
            return self.score_provider, (
                f"new network {network}, in its provider's range {prefix}* used {uses:,}x"
            )
        if others:
            n = len(others)
            return self.score_shared, (
                f"new network {network}, an address {n} other account"
                + (" uses" if n == 1 else "s use")
            )
        return self.score_send, f"new network {network}"

    def _sharers(self, colleagues: list[str], host: str) -> list[str]:
        """Those of the /24's ``colleagues`` who used this very address (the office's,
        the conference hotel's line).

        The address, not only its /24: colleagues' home lines and phones fall into the
        same /24 by chance, the more often the larger the site (at 300 accounts half of
        the site's /24s had two or more accounts), and a residential proxy in the /24
        of a colleague's home line is no place the account's colleagues go.
        """
        profile = self.ctx.profile
        return [a for a in colleagues if profile(a).knows_host(host)]

    def _rotation(self, prof: Profile, prefix: str | None, ts: int) -> tuple[bool, int]:
        """Whether the account rotates through the provider range ``prefix`` (its phone
        carrier or dynamic line), and how often it used the range
        (:meth:`Profile.range_use`). One AS may hold both a carrier's mobile pool and its
        home lines (where residential proxies live): the range tells them apart.
        """
        return prof.range_use(prefix, ts, self.usual_uses)

    def _by_owner(self, prof: Profile, info: NetInfo, shared: bool) -> tuple[int, str]:
        """A new /24 judged by its network's owner and country: one place per AS."""
        used = prof.asns.get(info.as_key)
        if used is not None or prof.is_accepted("networks", info.as_key):
            n = used[0] if used else 0
            return self.score_same_as, f"a network it uses, {n:,}x before"
        score = self.score_shared if shared else self.score_send
        reasons = ["a network it never used"]
        if info.country and prof.countries and info.country not in prof.countries:
            score += self.score_country
            usual = ", ".join(prof.top(prof.countries, 2))
            reasons.append(f"first time from {info.country} (usually {usual})")
        return score, "; ".join(reasons)

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven."""
        return ()

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """How each host flagged within the day was judged."""
        seen = self.recent.seen
        return {
            "episodes": [
                [a, h, cap, why]
                for (a, h), (cap, why) in self.episodes.items()
                if seen((a, h), now)
            ],
            "hijacks": self.hijacks.dump(now),
        }

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        for account, host, cap, why in data["episodes"]:
            self.episodes[(str(account), str(host))] = (int(cap), str(why))
        self.hijacks.restore(data.get("hijacks", []))

    def reset_state(self) -> None:
        """Forget the judged hosts."""
        self.episodes.clear()
        self.hijacks = Recent(DAY)
