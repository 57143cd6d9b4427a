"""The background of every Kerio server: internet noise, typos, the admin, warnings."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import (
    BURST_DOMAINS,
    DNSBL_NAMES,
    GUESSED_LOCALS,
    NOTIFIERS,
    SPAM_TLDS,
    SPAM_WORDS,
    VIRUS_NAMES,
    WEBMAIL_AGENTS,
)
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import ADMIN_IP, Persona, Site
from kerio_watch.simulate.text import Text

HOUR = 3600


class NoiseLogs(NamedTuple):
    security: LogSink
    audit: LogSink
    spam: LogSink
    warning: LogSink
    config: LogSink


class Guesser:
    """One IP guessing passwords; applies Kerio's AntiHammering (10 failures in 60 s)."""

    def __init__(self, security: LogSink, ip: str, proto: str = "SMTP") -> None:
        self.security = security
        self.ip = ip
        self.proto = proto
        self.recent: deque[int] = deque()
        self.blocked_until = 0
        self.blocked_lines = 0

    def fail(self, t: int, text: str) -> bool:
        """Log one failed attempt at ``t``; False if it hit an AntiHammering block instead."""
        if t < self.blocked_until:
            if self.blocked_lines < 2:
                self.blocked_lines += 1
                self.security.add(
                    t,
                    f"{self.proto}: AntiHammering: connection from IP address {self.ip} "
                    "is blocked\n",
                )
            return False
        self.security.add(t, text)
        recent = self.recent
        recent.append(t)
        while recent and recent[0] <= t - 60:
            recent.popleft()
        if len(recent) >= 10 and self.proto == "SMTP":
            self.security.add(
                t,
                f"SMTP: AntiHammering - IP address {self.ip} will be blocked for 5 minutes, "
                "too many failed logins from this IP address.\n",
            )
            self.blocked_until = t + 300
            self.blocked_lines = 0
            recent.clear()
        return True


def sasl_failure(ip: str, rng: random.Random) -> str:
    method = rng.choice(("LOGIN", "LOGIN", "LOGIN", "PLAIN", "CRAM-MD5"))
    return f"Failed SMTP login from {ip} with SASL method {method}.\n"


def named_failure(proto: str, ip: str, user: str, exists: bool) -> str:
    """A failed login naming the user, in the form Kerio uses for ``proto``."""
    if proto == "SMTP":
        if exists:
            return f"SMTP: Invalid password for user {user}. Attempt from IP address {ip}.\n"
        return f"SMTP: User {user} doesn't exist. Attempt from IP address {ip}.\n"
    if exists:
        return f"{proto}: Invalid password for user {user}. Attempt from IP address {ip}.\n"
    return f"Failed {proto} login from {ip}, user {user} not found.\n"


class Internet:
    """Daily background lines of security, audit (admin), spam, warning and config logs."""

    def __init__(self, site: Site, logs: NoiseLogs, rng: random.Random, text: Text) -> None:
        self.site = site
        self.logs = logs
        self.rng = rng
        self.text = text
        self.botnet = [site.ips.attacker() for _ in range(150)]
        self.real = [p.address for p in site.users]
        domain = site.domain
        self.fake = [f"{local}@{domain}" for local in GUESSED_LOCALS] + list(site.former)

    def _ip(self) -> str:
        rng = self.rng
        return rng.choice(self.botnet) if rng.random() < 0.6 else self.site.ips.attacker()

    def _outsider(self) -> str:
        rng = self.rng
        word = rng.choice(SPAM_WORDS)
        return f"{word}{rng.randrange(1, 999)}@{self.text.token(6)}{rng.choice(SPAM_TLDS)}"

    def day(self, day: Day) -> None:
        rng = self.rng
        for _ in range(rng.randrange(2, 7)):
            self._campaign(day)
        self._smtp_noise(day)
        if day.workday:
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                self._typo(day, rng.choice(self.site.users))
            for _ in range(rng.choice((0, 1, 1, 2))):
                self._spam_action(day, rng.choice(self.site.users))
            if rng.random() < 0.5:
                self._admin(day)
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            self._warning(day)

    def _campaign(self, day: Day) -> None:
        rng = self.rng
        rnd = rng.random
        ip = self._ip()
        kind = rng.choice(("smtp_fast", "smtp_fast", "smtp_slow", "imap", "imap", "pop3"))
        proto = "SMTP" if kind.startswith("smtp") else kind.upper()
        guesser = Guesser(self.logs.security, ip, proto)
        t = day.at(rnd() * 80000)
        users = rng.sample(self.real, min(len(self.real), rng.randrange(1, 6)))
        for _ in range(rng.randrange(5, 81)):
            if kind == "smtp_fast":
                t += 1 + int(rnd() * 5)
            else:
                t += 40 + int(rnd() * 400)
            if proto == "SMTP" and rnd() < 0.65:
                line = sasl_failure(ip, rng)
            elif rnd() < 0.6:
                line = named_failure(proto, ip, rng.choice(users), exists=True)
            else:
                line = named_failure(proto, ip, rng.choice(self.fake), exists=False)
            if not guesser.fail(t, line) and rnd() < 0.3:
                return

    def _smtp_noise(self, day: Day) -> None:
        rnd = self.rng.random

        def when() -> int:
            return day.at(rnd() * 86399)

        locals_ = (
            self.real + list(self.site.groups) + [a for p in self.site.users for a in p.aliases]
        )
        self._blocked(when, locals_)
        self._refused(when)
        self._rare(when, locals_)

    def _blocked(self, when: Callable[[], int], locals_: list[str]) -> None:
        """security.log: blacklisted senders, relay attempts, spam attacks."""
        rng, security = self.rng, self.logs.security
        for _ in range(rng.randrange(5, 26)):
            security.add(
                when(),
                f"IP address {self._ip()} found in DNS blacklist {rng.choice(DNSBL_NAMES)}, "
                f"mail from <{self._outsider()}> to <{rng.choice(locals_)}> rejected\n",
            )
        for _ in range(rng.randrange(0, 5)):
            victim = f"{self.text.token(7)}@{rng.choice(BURST_DOMAINS)}"
            security.add(
                when(),
                f"Relay attempt from IP address {self._ip()}, mail from <{self._outsider()}> "
                f"to <{victim}> rejected\n",
            )
        for _ in range(rng.randrange(2, 16)):
            why = rng.choice(("closed connection", "sent data"))
            security.add(
                when(),
                f"SMTP Spam attack detected from {self._ip()}, client {why} before SMTP greeting\n",
            )

    def _refused(self, when: Callable[[], int]) -> None:
        """security.log: unknown recipients, hosts without reverse DNS, fake sender domains."""
        rng, security = self.rng, self.logs.security
        for _ in range(rng.randrange(3, 21)):
            security.add(
                when(),
                f"Attempt to deliver to unknown recipient <{rng.choice(self.fake)}>, "
                f"from <{self._outsider()}>, IP address {self._ip()}\n",
            )
        for _ in range(rng.randrange(1, 9)):
            security.add(
                when(),
                f"Client with IP address {self._ip()} has no reverse DNS entry, "
                "connection rejected before SMTP greeting\n",
            )
        for _ in range(rng.randrange(0, 5)):
            security.add(
                when(),
                f"Message from IP address {self._ip()}, sender <{self._outsider()}> "
                "rejected: sender domain does not exist\n",
            )

    def _rare(self, when: Callable[[], int], locals_: list[str]) -> None:
        """Now and then: a refused admin login, a virus, a phishing message."""
        rng, security = self.rng, self.logs.security
        rnd = rng.random
        if rnd() < 0.06:
            security.add(
                when(),
                f"Administration login into Web Administration from {self._ip()} failed: "
                "IP address not allowed\n",
            )
        if rnd() < 0.05:
            security.add(
                when(),
                f"Found virus in mail from <{self._outsider()}> to <{rng.choice(locals_)}>: "
                f"{rng.choice(VIRUS_NAMES)}\n",
            )
        for _ in range(rng.choice((0, 0, 1, 2))):
            self.logs.spam.add(
                when(),
                f"Message rejected as malware/phishing spam, From: {self._outsider()}, "
                f"To: {rng.choice(self.real)}, Sender IP: {self._ip()}, "
                f"Subject: {self.text.pick(self.text.phish)}, "
                f"Message size: {self.text.small_size()}\n",
            )

    def _typo(self, day: Day, p: Persona) -> None:
        """An employee mistypes the password, then gets it right."""
        rng = self.rng
        ip = p.desk(day.weekday)
        t = day.at(p.start + rng.random() * (p.end - p.start))
        if p.webmail:
            for i in range(rng.choice((1, 1, 2))):
                self.logs.security.add(
                    t + 8 * i,
                    f"HTTP/WebMail: Invalid password for user {p.address}. "
                    f"Attempt from IP address {ip}\n",
                )
            self.logs.audit.add(
                t + 20 + rng.randrange(40),
                f"HTTP/WebMail: User {p.address} authenticated  from IP address {ip}; {p.agent}\n",
            )
            return
        proto = "IMAP" if p.reader == "HTTP/KOFF" else p.reader
        for i in range(rng.choice((1, 1, 2, 3))):
            self.logs.security.add(t + 5 * i, named_failure(proto, ip, p.address, exists=True))
        self.logs.audit.add(
            t + 30 + rng.randrange(90),
            f"{proto}: User {p.address} authenticated  from IP address {ip}\n",
        )

    def _spam_action(self, day: Day, p: Persona) -> None:
        rng, text = self.rng, self.text
        t = day.at(p.start + rng.random() * (p.end - p.start))
        a = p.address
        size = text.small_size()
        roll = rng.random()
        if roll < 0.4:
            sender, name = rng.choice(NOTIFIERS)
            line = (
                f"User {a} marked a message as spam, Folder: ~{a}/INBOX, Size: {size}, "
                f'From: "{name}" <{sender}>, Subject: {text.pick(text.notify)}\n'
            )
        elif roll < 0.75:
            line = (
                f"User {a} moved a message to Junk E-mail folder, Folder: ~{a}/Junk E-mail, "
                f"Size: {size}, From: <{self._outsider()}>, Subject: {text.pick(text.spam)}\n"
            )
        else:
            sender, name = rng.choice(NOTIFIERS)
            line = (
                f"User {a} marked a message as not spam, Folder: ~{a}/Junk E-mail, Size: {size}, "
                f'From: "{name}" <{sender}>, Subject: {text.pick(text.notify)}\n'
            )
        self.logs.spam.add(t, line)

    def _warning(self, day: Day) -> None:
        rng = self.rng
        t = day.at(rng.random() * 86399)
        group = rng.choice(self.site.groups)
        if rng.random() < 0.7:
            line = f"No local mailbox {rng.choice(self.site.former)}, expanded from {group}\n"
        else:
            line = f"Address <{group}> expanded to zero recipients\n"
        self.logs.warning.add(t, line)

    def _admin(self, day: Day) -> None:
        rng, site = self.rng, self.site
        admin = site.admin
        t = day.at(rng.uniform(8, 17) * HOUR)
        self.logs.audit.add(
            t,
            f"HTTP/WebAdmin: User {admin} authenticated  from IP address {ADMIN_IP}; "
            f"{WEBMAIL_AGENTS[0]}\n",
        )
        for _ in range(rng.randrange(1, 5)):
            t += rng.randrange(30, 600)
            self.logs.config.add(t, f"{admin} - {self._config_change()}\n")

    def _config_change(self) -> str:
        rng, site = self.rng, self.site
        p = rng.choice(site.users)
        login = p.address.partition("@")[0]
        department = rng.choice(("Vertrieb", "Einkauf", "Buchhaltung", "IT", "Geschäftsleitung"))
        logo = f"loginlogo_{self.text.token(5)}.png"
        choices = (
            f'Update User {{loginName="{login}", fullName="{p.name}", '
            f'quota="{rng.choice((2048, 5120, 10240))}"}}',
            f'Update User {{loginName="{login}", description="{department}"}}',
            "Update ConnectClientOptions "
            f'{{customLoginLogoEnabled="True", customLoginLogoFilename="{logo}"}}',
            'Insert TimeRange {description="Wartungsfenster", enabled="True", '
            'type="TimeRangeDaily", days="6", fromTime="79200", toTime="82800"}',
            f'Update Domain {{name="{site.domain}", description="Hauptdomain"}}',
            f'Update AntiSpam {{spamScoreLimit="{rng.choice(("5.0", "6.0", "8.0"))}", '
            'blockScoreLimit="12.0"}',
            f'Update Alias {{alias="{rng.choice(site.groups)}", deliverTo="{p.address}"}}',
            'Update SecurityPolicy {lockoutEnabled="True", lockoutCount="10", '
            'lockoutResetInterval="300"}',
        )
        return rng.choice(choices)
