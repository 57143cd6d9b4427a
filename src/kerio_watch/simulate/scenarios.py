"""Planted hijacks and benign look-alikes, and their ground truth."""

from __future__ import annotations

import random
from collections.abc import Callable

from kerio_watch.simulate.clock import Day, SiteClock
from kerio_watch.simulate.data import (
    ATTACKER_AGENTS,
    BURST_DOMAINS,
    FAIL_TEXTS,
    FIRST_NAMES,
    FREEMAIL,
    GUESSED_LOCALS,
    LAST_NAMES,
    PARTNER_KINDS,
    PARTNER_STEMS,
    PARTNER_TLDS,
    ascii_name,
)
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.internet import Guesser, named_failure, sasl_failure
from kerio_watch.simulate.mail import NORMAL, MailLog, burst_profile
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.model import ALL_HIJACK_KINDS, Scenario
from kerio_watch.simulate.more import Victims, plan_more
from kerio_watch.simulate.plan import Hook, Plan
from kerio_watch.simulate.services import Services
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import ERP_IP, HELPDESK_IPS, NEWSLETTER_IP, Peer, Persona, Site
from kerio_watch.simulate.text import Text
from kerio_watch.simulate.truth import describe
from kerio_watch.simulate.users import WEBMAIL_HOST, WEBMAIL_SERVICE, UserTraffic


class Scenarios:
    """Chooses victims, days and attacker addresses; runs the hooks; reports the truth."""

    def __init__(
        self,
        site: Site,
        mail: MailLog,
        traffic: UserTraffic,
        services: Services,
        security: LogSink,
        clock: SiteClock,
        rng: random.Random,
        text: Text,
    ) -> None:
        self.site = site
        self.mail = mail
        self.traffic = traffic
        self.services = services
        self.security = security
        self.audit = traffic.logs.audit
        self.ops = traffic.logs.operations
        self.clock = clock
        self.rng = rng
        self.text = text
        self.plans: list[Plan] = []
        self.slow_days: list[Day] = []
        self.spoof_as: Persona | None = None
        self.hooks: dict[int, list[Hook]] = {}

    # -- planning ---------------------------------------------------------------------------

    def plan(self, days: list[Day]) -> None:
        rng = self.rng
        first = (2 * len(days) + 2) // 3  # the last third; earlier weeks are clean history
        window = days[first:] or days[-1:]
        work = [d for d in window if d.workday]
        if not work:  # a short period ending on a weekend: use its last working days
            work = [d for d in days if d.workday][-3:] or window
        victims = Victims(self.site.users, rng)
        take = victims.take

        nets = self.site.nets

        def far() -> str:
            return rng.choice((*nets.hosting_abroad, *nets.faraway)).cidr

        takeover = take(lambda p: not p.webmail)
        takeover.client, takeover.reader = "outlook", "IMAP"
        slow = take(lambda p: p.webmail)
        slow.client = "webmail"
        traveller = take(lambda p: not p.webmail)
        late = take(lambda p: p.evening_prob < 0.1)
        night, spoofed, guessed = take(bool), take(bool), take(bool)
        ips = self.site.ips

        self._hook(rng.choice(work), night, "night_burst", ips.in_net(far()), self._night_burst)
        self._hook(rng.choice(work), spoofed, "spoofed_from", ips.in_net(far()), self._spoofed_from)
        self._hook(
            rng.choice(work), takeover, "webmail_takeover", ips.in_net(far()), self._takeover
        )
        self._hook(
            rng.choice(work), guessed, "guess_then_spam", ips.in_net(far()), self._guess_then_spam
        )
        i = rng.randrange(max(1, len(work) - 1))
        slow_days = work[i : i + 2]
        self.slow_days = slow_days
        slow_ip = ips.in_net(rng.choice(nets.home).cidr)
        self._hook(slow_days[0], slow, "low_and_slow", slow_ip, self._low_and_slow)

        self._plan_lookalikes(work, traveller, late)
        self.spoof_as = rng.choice([p for p in self.site.users if p is not spoofed] or [spoofed])
        svc = self.services
        self.plans += [
            Plan("newsletter", svc.newsletter, NEWSLETTER_IP),
            Plan("erp_invoices", svc.billing, ERP_IP),
            Plan("helpdesk", svc.support.address, HELPDESK_IPS[0]),
        ]
        plan_more(self, days, work, victims.fresh)

    def _plan_lookalikes(self, work: list[Day], traveller: Persona, late: Persona) -> None:
        """The traveller's three hotel days and the late worker's three evenings."""
        rng = self.rng
        i = rng.randrange(max(1, len(work) - 2))
        hotel = self.site.ips.block(self.site.nets.hotel)
        traveller.travel = {d.index: hotel for d in work[i : i + 3]}
        traveller.travel_tag = "traveller"
        self.plans.append(Plan("traveller", traveller.address, f"{hotel}0/24"))
        late.late_days = frozenset(d.index for d in rng.sample(work, min(3, len(work))))
        self.plans.append(Plan("late_worker", late.address, late.vpn_ip or late.lan_ip))

    def _hook(
        self,
        day: Day,
        victim: Persona,
        kind: str,
        ip: str,
        fn: Callable[[Day, Persona, Plan], None],
    ) -> Plan:
        plan = Plan(kind, victim.address, ip)
        self.plans.append(plan)
        self.hooks.setdefault(day.index, []).append(lambda d: fn(d, victim, plan))
        return plan

    def run(self, day: Day) -> None:
        for hook in self.hooks.get(day.index, ()):
            hook(day)

    # -- helpers ----------------------------------------------------------------------------

    def _login(self, t: int, proto: str, account: str, ip: str, agent: str | None = None) -> None:
        suffix = f"; {agent}" if agent else ""
        self.audit.add(t, f"{proto}: User {account} authenticated  from IP address {ip}{suffix}\n")

    def _stranger(self, domains: tuple[str, ...] = BURST_DOMAINS) -> Peer:
        rng = self.rng
        local = rng.choice(
            (
                self.text.token(rng.randrange(5, 10)),
                f"{ascii_name(rng.choice(FIRST_NAMES))}{rng.randrange(1, 9999)}",
                f"{ascii_name(rng.choice(FIRST_NAMES))}.{ascii_name(rng.choice(LAST_NAMES))}",
            )
        )
        return self.site.domains.peer(f"{local}@{rng.choice(domains)}", "")

    def _times(self, t0: int, n: int, span: int) -> list[int]:
        rnd = self.rng.random
        return [t0, *sorted(t0 + 1 + int(rnd() * span) for _ in range(n - 1))]

    # -- hijacks ----------------------------------------------------------------------------

    def _night_burst(self, day: Day, v: Persona, plan: Plan) -> None:
        rng = self.rng
        ip = plan.source_ip or ""
        t0 = day.at(2 * HOUR + rng.randrange(60, 900))
        span = day.at(3 * HOUR) - t0 - rng.randrange(60, 400)
        self._login(t0 - rng.randrange(4, 40), "SMTP", v.address, ip)
        for i, t in enumerate(self._times(t0, rng.randrange(300, 501), span)):
            if i and i % 40 == 0:
                self._login(t - 1, "SMTP", v.address, ip)
            rcpts = [self._stranger() for _ in range(rng.randrange(3, 21))]
            subj = self.text.pick(self.text.spam)
            mid = self.text.mid("bot", rcpts[0][0].rpartition("@")[2])
            self.mail.emit(
                t,
                "SMTP",
                v.address,
                ip,
                v.address,
                "no",
                rcpts,
                subj,
                self.text.small_size(),
                mid,
                burst_profile(0.2, 0.18),
                "night_burst",
                rng.random() < 0.2,
            )

    def _spoofed_from(self, day: Day, v: Persona, plan: Plan) -> None:
        rng, text = self.rng, self.text
        ip = plan.source_ip or ""
        t0 = day.at(rng.uniform(9.5, 15.0) * HOUR)
        times = self._times(t0, rng.randrange(55, 66), 3400)
        local_at = set(rng.sample(range(1, len(times)), 2))
        self._login(t0 - rng.randrange(3, 30), "SMTP", v.address, ip)
        spoof_as = self.spoof_as or v
        plan.notes["local_from"] = spoof_as.address
        for i, t in enumerate(times):
            if i and i % 20 == 0:
                self._login(t - 1, "SMTP", v.address, ip)
            if i in local_at:
                frm = spoof_as.address
            else:
                word = rng.choice(("billing", "accounts", "payment", "ceo", "office", "service"))
                kind, tld = rng.choice(PARTNER_KINDS), rng.choice(PARTNER_TLDS)
                frm = f"{word}@{text.token(6)}-{kind}{tld}"
            rcpts = [self._stranger() for _ in range(rng.randrange(1, 6))]
            mid = text.mid("generic", frm.rpartition("@")[2])
            self.mail.emit(
                t,
                "SMTP",
                frm,
                ip,
                v.address,
                "yes",
                rcpts,
                text.pick(text.phish),
                text.size(),
                mid,
                (0.05, 0.06, FAIL_TEXTS),
                "spoofed_from",
                rng.random() < 0.2,
            )

    def _takeover(self, day: Day, v: Persona, plan: Plan) -> None:
        rng, text = self.rng, self.text
        ip = plan.source_ip or ""
        agent = rng.choice(ATTACKER_AGENTS)
        plan.notes["agent"] = agent
        login = day.at(rng.uniform(9.0, 15.5) * HOUR)
        self._login(login, "HTTP/WebMail", v.address, ip, agent)
        times = self._times(login + rng.randrange(60, 240), rng.randrange(90, 111), 2300)
        sent: list[tuple[int, str, str, int]] = []
        for t in times:
            rcpts = [self._stranger() for _ in range(rng.randrange(1, 4))]
            subj = text.pick(text.phish)
            mid = text.mid("webmail", self.site.domain)
            size = text.size()
            self.mail.emit(
                t,
                WEBMAIL_SERVICE,
                v.address,
                WEBMAIL_HOST,
                v.address,
                "yes",
                rcpts,
                subj,
                size,
                mid,
                (0.04, 0.08, FAIL_TEXTS),
                "webmail_takeover",
                rng.random() < 0.2,
            )
            self.traffic.sent_item(t, v, ip, v.address, subj, mid, size)
            sent.append((t, subj, mid, size))
        t = times[-1] + rng.randrange(60, 300)
        a = v.address
        for when, subj, mid, size in rng.sample(sent, min(len(sent), 25)):
            t += rng.randrange(1, 4)
            self.ops.add(
                t,
                f"{{MOVE}} Protocol: HTTP/WebMail, User: {a}, IP: {ip}, Folder: ~{a}/Sent Items, "
                f'Destination Folder: ~{a}/Deleted Items, From: "{v.name}" <{a}>, '
                f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, '
                f"Delivered: {self.clock.wall(when)}, Size: {size}\n",
            )

    def _guess_then_spam(self, day: Day, v: Persona, plan: Plan) -> None:
        rng, text = self.rng, self.text
        ip = plan.source_ip or ""
        attempts = self._guesses(day, v, ip)
        guesser = Guesser(self.security, ip, "SMTP")
        logged = 0
        for t, line in attempts:
            if guesser.fail(t, line or sasl_failure(ip, rng)) and v.address in line:
                logged += 1
        last = attempts[-1][0]
        plan.notes["failures"] = str(logged)
        success = last + rng.randrange(30, 120)
        self._login(success, "IMAP", v.address, ip)
        smtp = success + rng.randrange(60, 300)
        self._login(smtp, "SMTP", v.address, ip)
        for i, t in enumerate(
            self._times(smtp + rng.randrange(5, 30), rng.randrange(180, 221), 1750)
        ):
            if i and i % 50 == 0:
                self._login(t - 1, "SMTP", v.address, ip)
            rcpts = [self._stranger(FREEMAIL) for _ in range(rng.randrange(1, 11))]
            mid = text.mid("bot", rcpts[0][0].rpartition("@")[2])
            self.mail.emit(
                t,
                "SMTP",
                v.address,
                ip,
                v.address,
                "no",
                rcpts,
                text.pick(text.spam),
                text.small_size(),
                mid,
                burst_profile(0.12, 0.12),
                "guess_then_spam",
                rng.random() < 0.2,
            )

    def _guesses(self, day: Day, v: Persona, ip: str) -> list[tuple[int, str]]:
        """The guessing before the hijack: the victim's password slowly, a few others and
        names that do not exist, and a SASL burst that trips AntiHammering ("": refused
        while blocked)."""
        rng = self.rng
        rnd = rng.random
        g0 = day.at(rng.uniform(10.0, 14.5) * HOUR)
        n_victim = rng.randrange(15, 41)
        others = [p.address for p in self.site.users if p is not v]
        attempts: list[tuple[int, str]] = []
        burst = g0 + rng.randrange(300, 500)
        step = 1200 / n_victim  # at most ~3 a minute: only the SASL burst trips AntiHammering
        for i in range(n_victim):
            t = g0 + int(i * step + rnd() * step / 2)
            if t >= burst - 5:  # after the burst, wait out the five-minute block
                t += 340
            attempts.append((t, named_failure("IMAP", ip, v.address, exists=True)))
        for _ in range(rng.randrange(3, 9)):
            t = g0 + int(rnd() * 280)
            if others:
                attempts.append((t, named_failure("IMAP", ip, rng.choice(others), exists=True)))
            ghost = f"{rng.choice(GUESSED_LOCALS)}@{self.site.domain}"
            attempts.append((t + 2, named_failure("IMAP", ip, ghost, exists=False)))
        attempts += [(burst + 3 * k, sasl_failure(ip, rng)) for k in range(11)]
        attempts += [(burst + 40, ""), (burst + 120, "")]  # refused while blocked
        attempts.sort(key=lambda item: item[0])
        return attempts

    def _low_and_slow(self, day: Day, v: Persona, plan: Plan) -> None:
        rng, text = self.rng, self.text
        ip = plan.source_ip or ""
        days = self.slow_days
        picks = sorted(
            (rng.randrange(len(days)), rng.uniform(9.0, 17.0) * HOUR)
            for _ in range(rng.randrange(6, 10))
        )
        new_domains = tuple(
            f"{rng.choice(PARTNER_STEMS)}{rng.randrange(2, 99)}-{rng.choice(PARTNER_KINDS)}.com"
            for _ in range(4)
        )
        for index, sec in picks:
            t = days[index].at(sec)
            self._login(t - rng.randrange(2, 6), "SMTP", v.address, ip)
            rcpts = [self._stranger(new_domains + FREEMAIL) for _ in range(rng.randrange(1, 4))]
            mid = text.mid("thunderbird", v.address.rpartition("@")[2])
            self.mail.emit(
                t,
                "SMTP",
                v.address,
                ip,
                v.address,
                "yes",
                rcpts,
                text.pick(text.phish),
                text.size(),
                mid,
                NORMAL,
                "low_and_slow",
            )

    # -- truth ------------------------------------------------------------------------------

    def results(self, until: int | None) -> list[Scenario]:
        out = []
        for plan in self.plans:
            st = self.mail.stats.get(plan.notes.get("tag", plan.kind))
            if st is None or (until is not None and st.first > until):
                continue
            out.append(
                Scenario(
                    kind=plan.kind,
                    account=plan.account,
                    malicious=plan.kind in ALL_HIJACK_KINDS,
                    start=self.clock.utc(st.first),
                    end=self.clock.utc(min(st.last, until) if until is not None else st.last),
                    source_ip=plan.source_ip,
                    description=describe(plan, st, self.clock, len(self.services.subscribers)),
                )
            )
        return out
