"""Unusual service: an account sends or logs in through a channel it does not use.

People keep to one mail program: a webmail user does not suddenly submit over SMTP, an
Outlook user does not suddenly use webmail. Attackers use whatever the stolen password
opens (SMTP for a spam bot, webmail for a phishing kit). Three rules:

- the ``Service:`` of a sent message the account never (or hardly ever) used;
- a login protocol the account never used, from outside the trusted networks;
- a browser (user agent) the account never used for webmail, from outside.

- the mail program that wrote a message (by the shape of its Message-ID, see
  :mod:`kerio_watch.enrich.clients`), when the account keeps to a few programs and this
  one is not among them.

An account with little history is compared with the services in use on the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import (
    Recent,
    percent,
)
from kerio_watch.enrich.clients import client_of, program_name
from kerio_watch.enrich.messages import Submission
from kerio_watch.events import LoginSucceeded
from kerio_watch.settings.numbers import period, points, share, threshold
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile

if TYPE_CHECKING:
    pass

RULE_SERVICE = "kerio.mail.unusual_service"
RULE_PROTOCOL = "kerio.login.unusual_protocol"
RULE_AGENT = "kerio.login.new_user_agent"
RULE_CLIENT = "kerio.mail.new_client"
DAY = 86400


def _total(table: dict[str, list[int]]) -> int:
    return sum(e[0] for e in table.values())


def _top(table: dict[str, list[int]]) -> str | None:
    return max(table.items(), key=lambda kv: kv[1][0])[0] if table else None


@dataclass(frozen=True)
class UnusualServiceOptions:
    """``[detectors.unusual_service]`` options."""

    min_messages: int = threshold(20, low=0)
    min_logins: int = threshold(10, low=0)
    min_days: float = period(7.0, "days", positive=False)
    rare_share: float = share(0.02)
    score_service: int = points(25)
    score_rare_service: int = points(10)
    score_site_service: int = points(20)
    score_protocol: int = points(15)
    score_agent: int = points(10)
    client_share: float = share(0.9)
    score_client: int = points(15)
    score_site_client: int = points(25)


class UnusualServiceDetector(SavedState):
    """Flags mail services, login protocols and browsers new to the account."""

    name: ClassVar[str] = "unusual_service"
    wants: ClassVar[frozenset[str]] = frozenset({"submission", "login_succeeded"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE_SERVICE,
            "Sent through an unusual service",
            "An account with a sending history sent a message through a mail.log "
            "Service (SMTP, Kerio Connect Client...) it has never or hardly ever used. A "
            "new account is flagged only for a service nobody on the site uses.",
            "Spam bots submit over SMTP, phishing kits use the webmail; the owner keeps "
            "to the mail program they always use.",
            "A new phone or mail program, a switch from Outlook to webmail; fires once "
            "per service and day; ack --benign teaches the service.",
            side="access",
        ),
        RuleDoc(
            RULE_PROTOCOL,
            "Logged in through an unusual protocol",
            "A successful login from outside the trusted networks with a protocol "
            "(IMAP, POP3, SMTP, HTTP/WebMail...) the account has never used.",
            "An attacker tries the stolen password wherever it works; the owner's "
            "programs use the same protocols every day.",
            "A user setting up a phone or reading mail in a browser while travelling.",
            side="access",
        ),
        RuleDoc(
            RULE_AGENT,
            "Webmail from a new browser",
            "A webmail login from outside the trusted networks with a browser (user "
            "agent) the account has never used, when it has used webmail before.",
            "Phishing kits and session-stealing proxies log in with their own browser "
            "string; weak on its own, it corroborates other signals.",
            "Browser updates change the string; a new computer.",
            side="access",
        ),
        RuleDoc(
            RULE_CLIENT,
            "Sent with a mail program it never uses",
            "A message whose Message-ID has the shape of a mail program (Outlook, "
            "Thunderbird, Apple Mail, the webmail, or an unknown tool's own pattern) this "
            "account never used, when nearly all of its mail comes from a few programs; "
            "stronger when nobody on the site writes with that program either.",
            "Spam tools, scripts and malware on a desk PC write their own Message-IDs; the "
            "owner writes with the programs on their own computer and phone, wherever they "
            "are, and a new program is usually one colleagues already use. A trip does not "
            "explain it.",
            "A new phone or mail program (fires once a day per program; ack --benign "
            "teaches it); messages without a Message-ID are never judged.",
            side="access",
        ),
    )
    options_class: ClassVar[type[UnusualServiceOptions]] = UnusualServiceOptions

    def __init__(self, ctx: Context, options: UnusualServiceOptions) -> None:
        self.ctx = ctx
        self.min_messages = options.min_messages
        self.min_logins = options.min_logins
        self.min_days = options.min_days
        self.rare_share = options.rare_share
        self.score_service = options.score_service
        self.score_rare = options.score_rare_service
        self.score_site = options.score_site_service
        self.score_protocol = options.score_protocol
        self.score_agent = options.score_agent
        self.client_share = options.client_share
        self.score_client = options.score_client
        self.score_site_client = options.score_site_client
        self.recent = Recent(DAY)

    def observe(self, item: Submission | LoginSucceeded) -> Sequence[Signal] | None:
        """Check one submission or login."""
        if item.__class__ is Submission:
            sub: Submission = item
            if not sub.new_message:
                return None
            out = [*(self._service(sub) or ()), *self._client(sub)]
            return out or None
        return self._login(item)  # type: ignore[arg-type]

    # -- sending ------------------------------------------------------------------------
    def _service(self, sub: Submission) -> Sequence[Signal] | None:
        prof = self.ctx.profile(sub.account)
        service = sub.service
        table = prof.mail_services
        entry = table.get(service)
        if entry is not None and entry[0] >= 3:
            return None
        if prof.is_accepted("services", service):
            return None
        score, why = self._judge_service(prof, table, entry, service, sub.ts)
        if score <= 0 or not self.recent.due((sub.account, "send", service), sub.ts, score):
            return None
        where = f" from {sub.host}" if sub.host else ""
        return (
            Signal(
                RULE_SERVICE,
                sub.account,
                sub.ts,
                score,
                printable(f"{sub.account} sent mail via {service}{where}, {why}"),
                sub.host,
                (sub.event.raw,),
                facts={"services": [service]},
            ),
        )

    def _judge_service(
        self,
        prof: Profile,
        table: dict[str, list[int]],
        entry: list[int] | None,
        service: str,
        ts: int,
    ) -> tuple[int, str]:
        total = _total(table)
        if total < self.min_messages or prof.days_known(ts) < self.min_days:
            site = self.ctx.site
            if site.messages >= 100 and site.services.get(service, 0) < 3:
                return self.score_site, "a service nobody on this site uses"
            return 0, ""
        usual = _top(table)
        if entry is None:
            return self.score_service, f"usually {usual} (never {service} in {total:,} messages)"
        if entry[0] < self.rare_share * total:
            share = percent(entry[0] / total)
            return self.score_rare, f"usually {usual} ({service} for {share} of its mail)"
        return 0, ""

    def _client(self, sub: Submission) -> list[Signal]:
        """A mail program (Message-ID shape) the account never used, when it keeps to a
        few: its three most used programs wrote ``client_share`` of its mail."""
        client = client_of(sub.event.msg_id)
        if not client:
            return []
        prof = self.ctx.profile(sub.account)
        table = prof.clients
        if client in table or prof.is_accepted("clients", client):
            return []
        counts = sorted((e[0] for e in table.values()), reverse=True)
        total = sum(counts)
        if total < self.min_messages or prof.days_known(sub.ts) < self.min_days:
            return []
        if sum(counts[:3]) < self.client_share * total:
            return []
        nobody = self.ctx.site.client_unknown(client)
        score = self.score_site_client if nobody else self.score_client
        if not self.recent.due((sub.account, "client", client), sub.ts, score):
            return []
        usual = ", ".join(program_name(c) for c in prof.top(table, 2))
        where = f" from {sub.host}" if sub.host else ""
        who = "it never used and nobody on this site uses" if nobody else "it never used"
        summary = (
            f"{sub.account} sent mail{where} written by {program_name(client)}, a mail program "
            f"{who} (usually {usual}, {total:,} messages)"
        )
        return [
            Signal(
                RULE_CLIENT,
                sub.account,
                sub.ts,
                score,
                printable(summary),
                sub.host,
                (sub.event.raw,),
                facts={"clients": [client]},
            )
        ]

    # -- logins -------------------------------------------------------------------------
    def _login(self, login: LoginSucceeded) -> Sequence[Signal] | None:
        ctx = self.ctx
        prof = ctx.profile(login.user)
        protocol = login.protocol
        agent = login.user_agent
        known_protocol = protocol in prof.services
        known_agent = agent is None or agent[:200] in prof.user_agents
        if known_protocol and known_agent:
            return None
        if not ctx.networks.is_external(login.source):
            return None
        if prof.days_known(login.ts) < self.min_days:
            return None
        out: list[Signal] = []
        if not known_protocol and not prof.is_accepted("services", protocol):
            logins = _total(prof.login_ips)
            if logins >= self.min_logins and self.recent.due(
                (login.user, "login", protocol), login.ts, self.score_protocol
            ):
                usual = ", ".join(k for k in prof.top(prof.services, 2) if k != protocol)
                out.append(
                    Signal(
                        RULE_PROTOCOL,
                        login.user,
                        login.ts,
                        self.score_protocol,
                        printable(
                            f"{login.user} logged in via {protocol} from {login.source}, "
                            f"never before (usually {usual or 'nothing'})"
                        ),
                        login.source,
                        (login.raw,),
                        facts={"services": [protocol]},
                    )
                )
        if agent and not known_agent:
            out.extend(self._agent(prof, login, agent[:200]))
        return out or None

    def _agent(self, prof: Profile, login: LoginSucceeded, agent: str) -> list[Signal]:
        if _total(prof.user_agents) < self.min_logins or prof.is_accepted("user_agents", agent):
            return []
        if not self.recent.due((login.user, "agent", agent), login.ts, self.score_agent):
            return []
        usual = _top(prof.user_agents) or ""
        return [
            Signal(
                RULE_AGENT,
                login.user,
                login.ts,
                self.score_agent,
                printable(
                    f"{login.user} logged in via {login.protocol} from {login.source} with a "
                    f"new browser '{agent[:80]}' (usually '{usual[:80]}')"
                ),
                login.source,
                (login.raw,),
                facts={"user_agents": [agent]},
            )
        ]

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven."""
        return ()
