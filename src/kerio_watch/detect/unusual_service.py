"""Unusual service: an account sends or logs in through a channel it does not use.

People keep to one mail program: a webmail user does not suddenly submit over SMTP, an
Outlook user does not suddenly use webmail. Attackers use whatever the stolen password
opens (SMTP for a spam bot, webmail for a phishing kit). Three rules:

- the ``Service:`` of a sent message the account never (or hardly ever) used;
- a login protocol the account never used, from outside the trusted networks;
- a browser (user agent) the account never used for webmail, from outside.

An account with little history is compared with the services in use on the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, option
from kerio_watch.detect.context import Context
from kerio_watch.detect.profile import Profile
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import (
    Recent,
    percent,
)
from kerio_watch.enrich.messages import Submission
from kerio_watch.events import LoginSucceeded
from kerio_watch.textsafe import printable

if TYPE_CHECKING:
    pass

RULE_SERVICE = "kerio.mail.unusual_service"
RULE_PROTOCOL = "kerio.login.unusual_protocol"
RULE_AGENT = "kerio.login.new_user_agent"
DAY = 86400


def _total(table: dict[str, list[int]]) -> int:
    return sum(e[0] for e in table.values())


def _top(table: dict[str, list[int]]) -> str | None:
    return max(table.items(), key=lambda kv: kv[1][0])[0] if table else None


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
    )
    defaults: ClassVar[dict[str, Any]] = {
        "min_messages": 20,
        "min_logins": 10,
        "min_days": 7.0,
        "rare_share": 0.02,
        "score_service": 25,
        "score_rare_service": 10,
        "score_site_service": 20,
        "score_protocol": 15,
        "score_agent": 10,
    }

    def __init__(self, ctx: Context, options: dict[str, Any]) -> None:
        self.ctx = ctx
        d = self.defaults
        self.min_messages = option(options, "min_messages", d["min_messages"])
        self.min_logins = option(options, "min_logins", d["min_logins"])
        self.min_days = option(options, "min_days", d["min_days"])
        self.rare_share = option(options, "rare_share", d["rare_share"])
        self.score_service = option(options, "score_service", d["score_service"])
        self.score_rare = option(options, "score_rare_service", d["score_rare_service"])
        self.score_site = option(options, "score_site_service", d["score_site_service"])
        self.score_protocol = option(options, "score_protocol", d["score_protocol"])
        self.score_agent = option(options, "score_agent", d["score_agent"])
        self.recent = Recent(DAY)

    def observe(self, item: Submission | LoginSucceeded) -> Sequence[Signal] | None:
        """Check one submission or login."""
        if item.__class__ is Submission:
            sub: Submission = item
            if not sub.new_message:
                return None
            return self._service(sub)
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

    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven."""
        return ()
