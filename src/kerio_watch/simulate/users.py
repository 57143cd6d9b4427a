"""Ordinary mailbox users: a working day of mail, logins and mailbox housekeeping each.

This is the simulator's hot path (most of mail.log), so the per-message code indexes
pre-expanded pools and appends spec tuples directly instead of calling helpers.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from typing import NamedTuple

from kerio_watch.simulate.away import Away
from kerio_watch.simulate.clock import Day, SiteClock
from kerio_watch.simulate.draws import HOUR, poisson
from kerio_watch.simulate.inbound import Inbound, InboundMail
from kerio_watch.simulate.mail import NORMAL, MailLog
from kerio_watch.simulate.mailbox import housekeeping, quoted
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Peer, Persona, Site
from kerio_watch.simulate.text import Text

WEBMAIL_SERVICE = "Kerio Connect Client"
WEBMAIL_HOST = "0.0.0.0"  # noqa: S104 - what Kerio logs as Sender-Host for webmail


class Channel(NamedTuple):
    """How a message is submitted: SMTP from a client address, or webmail (0.0.0.0)."""

    kind: str  # "smtp" | "web"
    ip: str  # where the client connects from (audit.log, operations.log)
    svc: str  # mail.log Service
    host: str  # mail.log Sender-Host
    style: str  # Message-ID style


def channel(p: Persona, ip: str) -> Channel:
    if p.webmail:
        return Channel("web", ip, WEBMAIL_SERVICE, WEBMAIL_HOST, "webmail")
    return Channel("smtp", ip, "SMTP", ip, p.client)


def phone_channel(ip: str) -> Channel:
    return Channel("smtp", ip, "SMTP", ip, "iphone")


class Logs(NamedTuple):
    audit: LogSink
    operations: LogSink
    spam: LogSink


class UserTraffic:
    """Generates each ordinary user's day."""

    def __init__(
        self,
        site: Site,
        mail: MailLog,
        logs: Logs,
        clock: SiteClock,
        rng: random.Random,
        text: Text,
        full: bool,
        away: Away | None = None,
    ) -> None:
        self.site = site
        self.away = away or Away(site, logs.audit, rng, full)
        self.mail = mail
        self.logs = logs
        self.clock = clock
        self.rng = rng
        self.text = text
        self.full = full
        self.inbound = InboundMail(site, mail, logs.spam, rng, text, full)

    # -- one user, one day ------------------------------------------------------------------

    def day(self, p: Persona, day: Day) -> None:
        inbound = self.inbound.day(p, day)
        sends = self._plan_sends(p, day)
        sends.sort(key=lambda item: item[0])
        times = [item[0] for item in inbound]
        for t, ch, tag in sends:
            self._send(p, t, ch, inbound, bisect_left(times, t), tag)
        if inbound:
            p.repliable.extend((peer, subj) for _, peer, subj in inbound)
            if len(p.repliable) > 400:
                del p.repliable[:200]
        if self.full and day.workday and not self.away.off(p, day):
            hotel = p.travel.get(day.index)
            ip = self.away.connection(hotel) if hotel else p.desk(day.weekday)
            housekeeping(self.logs.operations, self.clock, self.rng, p, day, ip)

    def _plan_sends(self, p: Persona, day: Day) -> list[tuple[int, Channel, str | None]]:
        """Today's outbound messages: (time, how, scenario tag)."""
        rng, away = self.rng, self.away
        rnd = rng.random
        hotel = p.travel.get(day.index)
        sends: list[tuple[int, Channel, str | None]] = []
        if day.workday and not away.off(p, day) and (rnd() > 0.03 or hotel is not None):
            if hotel:
                where = hotel
            else:
                if p.remote:
                    away.home(p, day)  # today's lease of the home line
                where = p.desk(day.weekday)
            tag = p.travel_tag if hotel else None
            span, first = p.end - p.start - 600, p.start + 600
            at = day.at
            for _ in range(poisson(rng, p.out_mean * away.busy(p, day))):
                t = at(first + rnd() * span)
                if p.carrier and rnd() < 0.07:
                    sends.append((t, phone_channel(away.phone(p) or ""), None))
                else:
                    sends.append((t, channel(p, away.connection(where)), tag))
            if self.full:
                self._reader_logins(p, day, where)
        if day.index in p.late_days:
            usual = channel(p, p.vpn_ip or p.lan_ip)
            for _ in range(rng.randrange(3, 7)):
                sends.append((day.at(22 * HOUR + rnd() * 5400), usual, "late_worker"))
        self._evenings(p, day, sends)
        away.phone_logins(p, day)
        return sends

    def _evenings(self, p: Persona, day: Day, sends: list[tuple[int, Channel, str | None]]) -> None:
        """A few messages in the evening or at the weekend, from the phone or from home."""
        rng, away = self.rng, self.away
        rnd = rng.random
        if away.off(p, day) and rnd() < 0.7:
            return
        if day.workday and rnd() < p.evening_prob:
            n, start, span = rng.randrange(1, 4), 19 * HOUR, 12600
        elif not day.workday and rnd() < p.weekend_prob:
            n, start, span = rng.randrange(1, 5), 10 * HOUR, 10 * HOUR
        else:
            return
        home = away.home(p, day)
        for _ in range(n):
            if p.carrier and (home is None or rnd() < 0.5):
                ch = phone_channel(away.phone(p) or "")
            elif home is not None:
                ch = channel(p, home)
            elif p.vpn_ip:
                ch = channel(p, p.vpn_ip)
            else:
                return
            sends.append((day.at(start + rnd() * span), ch, None))

    def _send(
        self, p: Persona, t: int, ch: Channel, today: Inbound, arrived: int, tag: str | None
    ) -> None:
        """One outbound message; ``today[:arrived]`` is the mail that came in before ``t``."""
        rng, text = self.rng, self.text
        rnd = rng.random
        if self.full:
            self._login(p, t, ch)
        k = self._recipient_count()
        rcpts, subj = self._reply(p, today, arrived)
        usual_only = tag == "late_worker"
        while len(rcpts) < k:
            rcpts.append(self._recipient(p, usual_only))
        if k > 1:
            rcpts = list({r[0]: r for r in rcpts if r[0] != p.address}.values()) or [
                p.colleagues[0]
            ]
        if not subj:
            subj = text.business[int(rnd() * len(text.business))]
        frm = p.address
        if p.aliases and rnd() < p.alias_prob:
            frm = p.aliases[int(rnd() * len(p.aliases))]
        size = text.sizes[int(rnd() * 4096)]
        mid = text.mid(ch.style, p.domain)
        combine = k > 1 and len(rcpts) > 1 and rnd() < 0.2
        self.mail.today.append(
            (
                t,
                self.mail.seq(),
                ch.svc,
                frm,
                ch.host,
                p.user_field,
                "yes",
                rcpts,
                subj,
                size,
                mid,
                NORMAL,
                tag,
                combine,
            )
        )
        if ch.kind == "web" and self.full:
            self.sent_item(t, p, ch.ip, frm, subj, mid, size)

    def _recipient_count(self) -> int:
        """How many recipients a message has: mostly one, rarely up to ten."""
        rnd = self.rng.random
        u = rnd()
        return (
            1
            if u < 0.7
            else 2
            if u < 0.85
            else 3 + int(rnd() * 3)
            if u < 0.96
            else 6 + int(rnd() * 5)
        )

    def _reply(self, p: Persona, today: Inbound, arrived: int) -> tuple[list[Peer], str]:
        """Maybe a reply: to mail that came in today, or to someone who wrote before."""
        rnd, replies = self.rng.random, self.text.replies
        rcpts: list[Peer] = []
        subj = ""
        repliable = p.repliable
        if arrived and rnd() < 0.5:
            _, peer, about = today[int(rnd() * arrived)]
            rcpts.append(peer)
            subj = replies[int(rnd() * 6)] + about
        elif repliable and rnd() < 0.8:
            peer, about = repliable[int(rnd() * len(repliable))]
            rcpts.append(peer)
            if rnd() < 0.6:
                subj = replies[int(rnd() * 6)] + about
        return rcpts, subj

    def _recipient(self, p: Persona, usual_only: bool) -> Peer:
        rnd = self.rng.random
        if rnd() < p.p_internal:
            return p.colleagues[int(rnd() * len(p.colleagues))]
        if p.repliable and rnd() < 0.75:
            return p.repliable[int(rnd() * len(p.repliable))][0]
        if usual_only or rnd() < 0.97:
            return p.contacts[int(rnd() * len(p.contacts))]
        peer = self.inbound.new_peer()
        p.contacts.append(peer)
        return peer

    # -- logins and housekeeping ----------------------------------------------------------

    def _login(self, p: Persona, t: int, ch: Channel) -> None:
        rnd = self.rng.random
        if ch.kind == "smtp":
            last_t, last_ip = p.last_smtp
            if last_ip != ch.ip or t - last_t > 600:
                self.logs.audit.add(
                    t - 1 - int(rnd() * 3),
                    f"SMTP: User {p.address} authenticated  from IP address {ch.ip}\n",
                )
            p.last_smtp = (t, ch.ip)
        else:
            last_t, last_ip = p.last_web
            if last_ip != ch.ip or t - last_t > 4 * HOUR:
                self.webmail_login(p, t - 20 - int(rnd() * 300), ch.ip, p.agent)
            p.last_web = (t, ch.ip)

    def webmail_login(self, p: Persona, t: int, ip: str, agent: str) -> None:
        self.logs.audit.add(
            t, f"HTTP/WebMail: User {p.address} authenticated  from IP address {ip}; {agent}\n"
        )

    def _reader_logins(self, p: Persona, day: Day, where: str) -> None:
        """The mail client's logins through the working day (webmail: the morning login)."""
        rnd = self.rng.random
        t = day.at(p.start - rnd() * 900)
        end = day.at(p.end)
        ip = self.away.connection(where)
        if p.webmail:
            self.webmail_login(p, t, ip, p.agent)
            p.last_web = (t, ip)
            return
        low, high = (600, 900) if p.reader == "POP3" else (3600, 9000)
        while t < end:
            self.logs.audit.add(
                t, f"{p.reader}: User {p.address} authenticated  from IP address {ip}\n"
            )
            t += low + int(rnd() * (high - low))
            ip = self.away.connection(where)

    def sent_item(
        self, t: int, p: Persona, ip: str, frm: str, subj: str, mid: str, size: int
    ) -> None:
        """operations.log: webmail moves a sent message from Drafts to Sent Items."""
        a = p.address
        self.logs.operations.add(
            t,
            f"{{MOVE}} Protocol: HTTP/WebMail, User: {a}, IP: {ip}, Folder: ~{a}/Drafts, "
            f'Destination Folder: ~{a}/Sent Items, From: "{quoted(p.name)}" <{frm}>, '
            f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, Delivered: {self.clock.wall(t)}, '
            f"Size: {size}\n",
        )
