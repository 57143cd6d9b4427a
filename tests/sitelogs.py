"""A small Kerio site's logs, written line by line, for report and dashboard tests.

Three weeks of ordinary office mail for three accounts on a LAN, then a hijack of
alice's account on the last night: a webmail login from outside with a hostile user
agent, and a burst of mail sent as an outside address with a hostile subject. Also a
password-guessing source, bounces and inbound mail. Scanning it with the real
pipeline gives a state database with profiles, hourly activity and incidents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from kerio_watch.cli import main

OFFSET_HOURS = 1
START = dt.datetime(2026, 3, 2, 0, 0)  # a Monday, local time
DAYS = 21
HOSTILE_SUBJECT = "<script>alert(1)</script>"
HOSTILE_AGENT = '<img src=x onerror="alert(2)">Mozilla/5.0'
HOSTILE_FROM = "x<script>alert(3)</script>@evil.test"
ATTACKER_IP = "203.0.113.66"
GUESSER_IP = "198.51.100.77"
MAIL_SERVER = "192.168.1.5"
HIJACK_QUEUE_ID_COUNTER = 900_001

CONFIG = """\
[site]
local_domains = ["example.com"]
trusted_networks = ["192.168.1.0/24", "127.0.0.0/8"]
office_hours = "Mon-Fri 07:00-19:00"
"""


@dataclass(frozen=True)
class Site:
    """A scanned site (``tests/sitelogs.py``): its logs folder, config file and database."""

    logs: Path
    config: Path
    db: Path


def _stamp(local: dt.datetime) -> str:
    return local.strftime("[%d/%b/%Y %H:%M:%S]")


def _qid(local: dt.datetime, counter: int) -> str:
    utc = (local - dt.timedelta(hours=OFFSET_HOURS)).replace(tzinfo=dt.UTC)
    return f"{int(utc.timestamp()):08x}-{counter:08x}"


class SiteLogs:
    """Accumulates mail.log, security.log and audit.log lines."""

    def __init__(self) -> None:
        self.mail: list[tuple[dt.datetime, str]] = []
        self.security: list[tuple[dt.datetime, str]] = []
        self.audit: list[tuple[dt.datetime, str]] = []
        self.counter = 0

    def send(
        self,
        when: dt.datetime,
        user: str,
        to: list[str],
        *,
        sender: str | None = None,
        host: str = "192.168.1.10",
        service: str = "SMTP",
        subject: str = "hello",
        counter: int | None = None,
        fail: bool = False,
    ) -> str:
        if counter is None:
            self.counter += 1
            counter = self.counter
        qid = _qid(when, counter)
        rcpts = ", ".join(f"<{r}>" for r in to)
        self.mail.append(
            (
                when,
                f"{_stamp(when)} Recv: Queue-ID: {qid}, Service: {service}, "
                f"From: <{sender or user}>, To: {rcpts}, Size: 1200, Sender-Host: {host}, "
                f"User: {user}, SSL: yes, Subject: {subject}, Msg-Id: <{counter}@example.com>",
            )
        )
        later = when + dt.timedelta(seconds=2)
        for r in to:
            result = "failed, Status: 5.1.1 user unknown" if fail else "delivered, Status: 2.0.0"
            self.mail.append(
                (
                    later,
                    f"{_stamp(later)} Sent: Queue-ID: {qid}, Recipient: <{r}>, Result: {result}, "
                    f"Remote-Host: 192.0.2.25, Msg-Id: <{counter}@example.com>",
                )
            )
        return qid

    def inbound(self, when: dt.datetime, sender: str, to: str) -> None:
        self.counter += 1
        qid = _qid(when, self.counter)
        self.mail.append(
            (
                when,
                f"{_stamp(when)} Recv: Queue-ID: {qid}, Service: SMTP, From: <{sender}>, "
                f"To: <{to}>, Size: 3000, Sender-Host: 192.0.2.80, SSL: yes, "
                f"Subject: news, Msg-Id: <in{self.counter}@partner.test>",
            )
        )

    def login(self, when: dt.datetime, user: str, protocol: str, ip: str, agent: str = "") -> None:
        tail = f"; {agent}" if agent else ""
        self.audit.append(
            (
                when,
                f"{_stamp(when)} {protocol}: User {user} authenticated from IP address {ip}{tail}",
            )
        )

    def failed(self, when: dt.datetime, user: str, ip: str) -> None:
        self.security.append(
            (
                when,
                f"{_stamp(when)} SMTP: Invalid password for user {user}. "
                f"Attempt from IP address {ip}.",
            )
        )

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, lines in (
            ("mail.log", self.mail),
            ("security.log", self.security),
            ("audit.log", self.audit),
        ):
            ordered = [text for _, text in sorted(lines, key=lambda item: item[0])]
            (folder / name).write_text("\n".join(ordered) + "\n", encoding="utf-8")


def site_logs() -> SiteLogs:
    """The whole scenario."""
    logs = SiteLogs()
    partners = ["anna@partner.test", "ben@supplier.test", "cho@client.test", "dan@partner.test"]
    for day in range(DAYS):
        date = START + dt.timedelta(days=day)
        if date.weekday() >= 5:
            continue
        logs.login(date.replace(hour=8, minute=2), "alice@example.com", "IMAP", "192.168.1.10")
        logs.login(
            date.replace(hour=8, minute=30),
            "bob@example.com",
            "HTTP/WebMail",
            "192.168.1.11",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0",
        )
        logs.login(date.replace(hour=9, minute=1), "carol@example.com", "HTTP/KOFF", "192.168.1.12")
        for i, hour in enumerate((9, 10, 11, 14, 15, 16)):
            when = date.replace(hour=hour, minute=5 + i)
            logs.send(when, "alice@example.com", [partners[(day + i) % 4]])
            logs.inbound(when.replace(minute=40), partners[i % 4], "alice@example.com")
            logs.send(
                when.replace(minute=20),
                "bob@example.com",
                [partners[(day + i + 1) % 4], "carol@example.com"],
                host="0.0.0.0",
                service="Kerio Connect Client",
            )
        logs.send(
            date.replace(hour=13, minute=7),
            "carol@example.com",
            ["ben@supplier.test"],
            host="192.168.1.12",
            service="Kerio Outlook Connector",
        )
        if day % 5 == 2:
            logs.send(
                date.replace(hour=12, minute=3),
                "carol@example.com",
                ["nobody@gone.test"],
                host="192.168.1.12",
                service="Kerio Outlook Connector",
                fail=True,
            )
    # bob works from home on the second Saturday (outside the LAN, outside office hours)
    sat = START + dt.timedelta(days=12)
    logs.login(sat.replace(hour=21), "bob@example.com", "IMAP", "198.51.100.20")
    logs.send(
        sat.replace(hour=21, minute=10),
        "bob@example.com",
        ["anna@partner.test"],
        host="198.51.100.20",
    )
    # password guessing against carol, then one of the guessers gets in elsewhere
    guess_day = START + dt.timedelta(days=DAYS - 3)
    for i in range(30):
        logs.failed(guess_day.replace(hour=2, minute=i), "carol@example.com", GUESSER_IP)
    for i in range(5):
        logs.failed(guess_day.replace(hour=3, minute=i), "bob@example.com", "192.0.2.99")
    # the hijack: last night, alice's password is used from outside
    night = START + dt.timedelta(days=DAYS - 1, hours=2)
    logs.login(night, "alice@example.com", "HTTP/WebMail", ATTACKER_IP, HOSTILE_AGENT)
    for i in range(12):
        logs.send(
            night + dt.timedelta(minutes=2 + i),
            "alice@example.com",
            [f"victim{i * 5 + k}@mailbox.test" for k in range(5)],
            sender=HOSTILE_FROM,
            host=ATTACKER_IP,
            subject=HOSTILE_SUBJECT,
            counter=HIJACK_QUEUE_ID_COUNTER + i,
        )
    return logs


def build_site(folder: Path) -> tuple[Path, Path, Path]:
    """Write the logs and config, scan them; returns (logs dir, config, state db)."""
    logs_dir = folder / "logs"
    site_logs().write(logs_dir)
    config = folder / "kerio-watch.toml"
    config.write_text(CONFIG, encoding="utf-8")
    db = folder / "state.db"
    result = CliRunner().invoke(
        main,
        ["scan", "--db", str(db), "--config", str(config), str(logs_dir)],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 4), result.output
    return logs_dir, config, db


def hijack_queue_id() -> str:
    """The Queue-ID of the first hijack message."""
    night = START + dt.timedelta(days=DAYS - 1, hours=2, minutes=2)
    return _qid(night, HIJACK_QUEUE_ID_COUNTER)
