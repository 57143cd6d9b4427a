"""Benign high-volume senders present from the first week: newsletter, ERP invoices, helpdesk."""

from __future__ import annotations

import random
from datetime import timedelta

from kerio_watch.simulate.clock import Day, SiteClock
from kerio_watch.simulate.data import FAIL_TEXTS, WEBMAIL_AGENTS
from kerio_watch.simulate.draws import HOUR, poisson
from kerio_watch.simulate.mail import MailLog, Profile
from kerio_watch.simulate.site import (
    ERP_IP,
    HELPDESK_IPS,
    NEWSLETTER_IP,
    Peer,
    Persona,
    Site,
    SiteBuilder,
)
from kerio_watch.simulate.text import Text
from kerio_watch.simulate.users import WEBMAIL_HOST, WEBMAIL_SERVICE, UserTraffic

BULK: Profile = (0.01, 0.012, FAIL_TEXTS)


class Services:
    """The three service accounts; each ``day`` plans that day's mail."""

    def __init__(
        self,
        site: Site,
        builder: SiteBuilder,
        mail: MailLog,
        traffic: UserTraffic,
        clock: SiteClock,
        rng: random.Random,
        text: Text,
    ) -> None:
        self.site = site
        self.builder = builder
        self.mail = mail
        self.traffic = traffic
        self.clock = clock
        self.rng = rng
        self.text = text
        d = site.domain
        self.newsletter = f"newsletter@{d}"
        self.billing = f"billing@{d}"
        self.support = Persona(
            address=f"support@{d}",
            name="Kundenservice",
            client="webmail",
            lan_ip=HELPDESK_IPS[0],
            start=8 * HOUR,
            end=17 * HOUR + 1800,
            out_mean=0,
            in_mean=0,
            p_internal=0,
            agent=WEBMAIL_AGENTS[2],
        )
        site.service_accounts += [self.newsletter, self.billing, self.support.address]
        self.subscribers = [builder.external_peer(0.6) for _ in range(rng.randrange(380, 421))]
        self.customers = [builder.external_peer(0.1) for _ in range(rng.randrange(350, 451))]
        self.clients: list[Peer] = [builder.external_peer(0.7) for _ in range(150)]
        self.invoice_no = rng.randrange(10000, 20000)
        self.ticket_no = rng.randrange(40000, 60000)

    def day(self, day: Day) -> None:
        if day.weekday == 1:
            self._newsletter(day)
        if day.workday:
            if day.weekday == 0:
                self.customers += [
                    self.builder.external_peer(0.1) for _ in range(self.rng.randrange(5, 16))
                ]
            self._invoices(day)
        self._helpdesk(day)

    def _smtp_login(self, t: int, account: str, ip: str) -> None:
        if self.traffic.full:
            self.traffic.logs.audit.add(
                t, f"SMTP: User {account} authenticated  from IP address {ip}\n"
            )

    def _newsletter(self, day: Day) -> None:
        rng, text = self.rng, self.text
        t = day.at(10 * HOUR + rng.randrange(0, 20))
        week = day.date.isocalendar().week
        topic = rng.choice(("Neuheiten", "Messetermine", "Produktupdate", "Aktionen im Frühjahr"))
        subj = f"Example News KW {week}/{day.date.year}: {topic}"
        host = f"news.{self.site.domain}"
        for i, sub in enumerate(self.subscribers):
            if i % 100 == 0:
                self._smtp_login(t - 2, self.newsletter, NEWSLETTER_IP)
            mid = text.mid("generic", host)
            size = 38000 + rng.randrange(0, 900)
            self.mail.emit(
                t,
                "SMTP",
                self.newsletter,
                NEWSLETTER_IP,
                self.newsletter,
                "yes",
                [sub],
                subj,
                size,
                mid,
                BULK,
                "newsletter",
            )
            t += 1 + (rng.random() < 0.5)

    def _invoices(self, day: Day) -> None:
        rng = self.rng
        t = day.at(6.5 * HOUR + rng.randrange(0, 120))
        n = rng.randrange(80, 151)
        step = 1700 / n
        self._smtp_login(t - 2, self.billing, ERP_IP)
        for i in range(n):
            customer = rng.choice(self.customers)
            self.invoice_no += 1
            de = customer[0].endswith(".de") or customer[0].endswith(".at")
            subj = (
                f"Rechnung RE-{day.date.year}-{self.invoice_no:06d}"
                if de
                else f"Invoice INV-{day.date.year}-{self.invoice_no:06d}"
            )
            mid = f"{t + int(i * step)}.{self.invoice_no}.JavaMail.erp@erp.{self.site.domain}"
            size = rng.randrange(60_000, 250_000)
            self.mail.emit(
                t + int(i * step),
                "SMTP",
                self.billing,
                ERP_IP,
                self.billing,
                "no",
                [customer],
                subj,
                size,
                mid,
                BULK,
                "erp_invoices",
            )

    def _next_morning(self, day: Day) -> int:
        d = day.date + timedelta(days=1)
        while d.weekday() >= 5:
            d += timedelta(days=1)
        nxt = Day(self.clock, day.index + (d - day.date).days, d)
        return nxt.at((8 + self.rng.random() * 2.5) * HOUR)

    def _helpdesk(self, day: Day) -> None:
        rng, text, mail = self.rng, self.text, self.mail
        rnd = rng.random
        support = self.support
        me = support.me
        requests = poisson(rng, 190 if day.workday else 25)
        open_from = day.at(8 * HOUR)
        close_at = day.at(17.5 * HOUR)
        if day.workday and self.traffic.full:
            self._helpdesk_logins(day)
        for _ in range(requests):
            if rnd() < 0.55:
                customer = self.builder.external_peer(0.7)
                self.clients.append(customer)
            else:
                customer = self.clients[int(rnd() * len(self.clients))]
            if day.workday and rnd() < 0.75:
                t = day.at((8 + rnd() * 10) * HOUR)
            else:
                t = day.at(rnd() * 86399)
            self.ticket_no += 1
            subj = f"{text.pick(text.support)}"
            mid = text.mid(
                "gmail" if customer[0].endswith("@gmail.com") else "generic",
                customer[0].rpartition("@")[2],
            )
            mail.emit(
                t, "SMTP", customer[0], customer[3], "", customer[4], [me], subj, text.size(), mid
            )
            if rnd() < 0.12:
                continue
            if day.workday and open_from <= t < close_at - 600:
                reply_at = min(t + 180 + int(rnd() * 7000), close_at)
            else:
                reply_at = (
                    self._next_morning(day)
                    if t >= open_from or not day.workday
                    else day.at((8 + rnd() * 2) * HOUR)
                )
            self._reply(
                reply_at, customer, f"{rng.choice(('Re: ', 'AW: '))}[#{self.ticket_no}] {subj}"
            )
        if day.workday:
            self._follow_ups(day)

    def _helpdesk_logins(self, day: Day) -> None:
        """The support desks log in to webmail in the morning and after lunch."""
        rnd = self.rng.random
        for k, ip in enumerate(HELPDESK_IPS):
            t = day.at(7.8 * HOUR + rnd() * 900)
            self.traffic.webmail_login(self.support, t, ip, WEBMAIL_AGENTS[2 + k])
            self.traffic.webmail_login(
                self.support, day.at(13 * HOUR + rnd() * 900), ip, WEBMAIL_AGENTS[2 + k]
            )

    def _follow_ups(self, day: Day) -> None:
        """Answers on older tickets."""
        rng = self.rng
        rnd = rng.random
        for _ in range(rng.randrange(5, 20)):
            customer = self.clients[int(rnd() * len(self.clients))]
            self._reply(
                day.at((8.2 + rnd() * 9) * HOUR),
                customer,
                f"Ihre Anfrage [#{rng.randrange(40000, self.ticket_no)}]",
            )

    def _reply(self, t: int, customer: Peer, subj: str) -> None:
        text = self.text
        s = self.support
        mid = text.mid("webmail", self.site.domain)
        size = text.small_size() + 1200
        self.mail.emit(
            t,
            WEBMAIL_SERVICE,
            s.address,
            WEBMAIL_HOST,
            s.address,
            "yes",
            [customer],
            subj,
            size,
            mid,
            tag="helpdesk",
        )
        if self.traffic.full:
            ip = HELPDESK_IPS[int(self.rng.random() * 2)]
            self.traffic.sent_item(t, s, ip, s.address, subj, mid, size)
