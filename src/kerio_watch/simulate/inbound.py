"""Mail from the internet to ordinary users: people they write with, robots, and spam.

Part of the simulator's hot path: the per-message code indexes pre-expanded pools and
appends spec tuples directly.
"""

from __future__ import annotations

import random

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import FREEMAIL, HOSTILE_SUBJECTS, NOTIFIERS, SPAM_TLDS, SPAM_WORDS
from kerio_watch.simulate.draws import HOUR, poisson
from kerio_watch.simulate.mail import NORMAL, MailLog
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Peer, Persona, Site, make_person
from kerio_watch.simulate.text import Text

#: Today's mail from people to one user: (time, sender, subject)
Inbound = list[tuple[int, Peer, str]]


class InboundMail:
    """Generates each ordinary user's incoming mail of a day."""

    def __init__(
        self,
        site: Site,
        mail: MailLog,
        spam_log: LogSink,
        rng: random.Random,
        text: Text,
        full: bool,
    ) -> None:
        self.site = site
        self.mail = mail
        self.spam_log = spam_log
        self.rng = rng
        self.text = text
        self.full = full
        self.notifiers = [site.domains.peer(a, n) for a, n in NOTIFIERS]
        self.spam_hosts = [site.ips.attacker() for _ in range(300)]
        self.spam_senders = [self._spam_sender() for _ in range(400)]

    def _spam_sender(self) -> str:
        rng = self.rng
        word = rng.choice(SPAM_WORDS)
        domain = f"{word}-{self.text.token(5)}{rng.choice(SPAM_TLDS)}"
        return f"{rng.choice((word, 'info', 'noreply', self.text.token(8)))}@{domain}"

    def new_peer(self) -> Peer:
        """Someone the site never wrote with: a freemail address or a partner's."""
        rng = self.rng
        domain = rng.choice(FREEMAIL) if rng.random() < 0.3 else rng.choice(self.site.partners)
        return self.site.domains.peer(*make_person(rng, domain))

    def day(self, p: Persona, day: Day) -> Inbound:
        """Mail from the internet to ``p`` today; returns what people (not robots) sent."""
        rng = self.rng
        rnd = rng.random
        people: Inbound = []
        for _ in range(poisson(rng, p.in_mean * (1.0 if day.workday else 0.15))):
            u = rnd()  # what kind of mail: spam, robot or person (new or known)
            if u < 0.07:
                self._spam(p, day.at(rnd() * 86399))
                continue
            if u < 0.25:
                t, peer, subj = self._robot(day)
            else:
                t, peer, subj = self._person(p, day, u < 0.2875)
                people.append((t, peer, subj))
            self._receive(p, t, peer, subj)
        if len(p.inbox) > 80:
            del p.inbox[:40]
        people.sort(key=lambda item: item[0])
        return people

    def _robot(self, day: Day) -> tuple[int, Peer, str]:
        """A notification from a service the site uses, at any time of the day."""
        rnd, text, base = self.rng.random, self.text, day.base
        peer = self.notifiers[int(rnd() * len(self.notifiers))]
        t = base + int(rnd() * 86399) if base is not None else day.at(rnd() * 86399)
        subj = text.notify[int(rnd() * len(text.notify))]
        return t, peer, subj

    def _person(self, p: Persona, day: Day, new: bool) -> tuple[int, Peer, str]:
        """A message from a contact (or someone new) in waking hours."""
        rnd, text, base = self.rng.random, self.text, day.base
        if new:
            peer = self.new_peer()
            p.contacts.append(peer)
        else:
            peer = p.contacts[int(rnd() * len(p.contacts))]
        sec = (6.5 + rnd() * 13) * HOUR if day.workday else (8 + rnd() * 14) * HOUR
        t = base + int(sec) if base is not None else day.at(sec)
        v = rnd()
        if v > 0.03:
            subj = text.business[int((v - 0.03) * (len(text.business) / 0.97))]
        elif v > 0.0007:
            subj = text.foreign[int(rnd() * len(text.foreign))]
        else:
            subj = self.rng.choice(HOSTILE_SUBJECTS)
        return t, peer, subj

    def _receive(self, p: Persona, t: int, peer: Peer, subj: str) -> None:
        """The Recv line of one message to ``p`` (maybe copied to a colleague)."""
        rnd, bits = self.rng.random, self.rng.getrandbits
        w = rnd()  # copied to a colleague? (a fifth of those in one Recv line)
        if w < 0.08:
            rcpts = [p.me, p.colleagues[int(rnd() * len(p.colleagues))]]
            if rcpts[1][0] == p.address:
                del rcpts[1]
        else:
            rcpts = [p.me]
        if peer[5] == "gmail.com":
            mid = f"CA{bits(160):040X}@mail.gmail.com"
        else:
            mid = f"{bits(88):022x}@{peer[5]}"
        size = self.text.sizes[int(rnd() * 4096)]
        combine = w < 0.016 and len(rcpts) > 1
        self.mail.today.append(
            (
                t,
                self.mail.seq(),
                "SMTP",
                peer[0],
                peer[3],
                "",
                peer[4],
                rcpts,
                subj,
                size,
                mid,
                NORMAL,
                None,
                combine,
            )
        )
        if self.full:
            p.inbox.append((t, peer[1] or peer[0].partition("@")[0], peer[0], subj, mid, size))

    def _spam(self, p: Persona, t: int) -> None:
        rng, text = self.rng, self.text
        sender = self.spam_senders[int(rng.random() * len(self.spam_senders))]
        host = self.spam_hosts[int(rng.random() * len(self.spam_hosts))]
        subj = text.pick(text.spam)
        size = text.small_size()
        mid = text.mid("bot", sender.rpartition("@")[2])
        self.mail.today.append(
            (
                t,
                self.mail.seq(),
                "SMTP",
                sender,
                host,
                "",
                "no",
                [p.me],
                subj,
                size,
                mid,
                NORMAL,
                None,
                False,
            )
        )
        if self.full:
            score = rng.uniform(5.2, 16.0)
            self.spam_log.add(
                t + 1,
                f"Message marked as spam with score: {score:.2f}, To: {p.address}, "
                f"Message size: {size}, From: {sender}, Subject: {subj}\n",
            )
