"""Filter rules (``SimConfig.forwarding``, off by default): forwards and auto-replies.

Kerio logs a message its filter rules make as a ``Recv:`` line with ``Service: Sieve``
from the loopback (docs/kerio-log-formats.md section 3.3: the value is seen in a live
10.x lab; its meaning is inferred). Whether such a line names the account in ``User:``
is not known, so the simulator writes both: with it on even seeds, without on odd ones.

What is planted, with its own random numbers (the rest of the site is the same with
forwarding on or off):

- ``forwarder`` (benign): an account has forwarded all its mail to a private address
  since before the logs begin;
- ``vacation_reply`` (benign): for three working days an account answers every message
  with an auto-reply;
- ``private_forward`` (benign): an account starts forwarding to a private address one
  working day, set from the office;
- ``forward_rule`` (hijack): a webmail login from a hosting network abroad sets a rule
  that forwards all the account's mail to an outside drop address; nothing is sent.
"""

from __future__ import annotations

import ipaddress
import random
import string
from dataclasses import dataclass

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import ascii_name
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.mail import MailLog, Spec
from kerio_watch.simulate.netplan import Net
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import Persona

PRIVATE_DOMAINS = ("gmx.de", "web.de", "gmail.com", "t-online.de")
DROP_DOMAINS = ("protonmail.com", "tutanota.com", "mail.ru", "outlook.com")
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Rule:
    """One account's filter rule: forward to ``dest`` (or auto-reply when it is empty)
    for mail received from ``start`` until ``end``; ``remote``: the forward's server
    (empty for an auto-reply, which goes to each sender's own)."""

    start: int
    end: int
    dest: str
    remote: str
    tag: str


class Rules:
    """The filter rules of the site; :class:`MailLog` asks them after each inbound message."""

    def __init__(
        self, rng: random.Random, with_user: bool, hostname: str, remotes: tuple[Net, ...]
    ) -> None:
        self.rng = rng
        self.remotes = remotes
        self.with_user = with_user
        self.hostname = hostname
        self.by_account: dict[str, list[Rule]] = {}
        self.counter = 0

    def add(self, account: str, rule: Rule) -> None:
        """Give ``account`` a rule."""
        self.by_account.setdefault(account, []).append(rule)

    def remote(self) -> str:
        """An address of an outside mail server."""
        net = ipaddress.ip_network(self.rng.choice(self.remotes).cidr)
        return str(net[self.rng.randrange(2, min(net.num_addresses - 2, 250))])

    def after(self, mail: MailLog, spec: Spec) -> None:
        """The rules' messages for an inbound message (``spec``) just rendered."""
        t, _, svc, frm, _h, userf, _s, rcpts, subj, size, mid = spec[:11]
        if svc != "SMTP" or userf or not frm:
            return
        for r in rcpts:
            for rule in self.by_account.get(r[0], ()):
                if rule.start <= t < rule.end:
                    self._message(mail, r[0], rule, (t, frm, subj, size, mid))

    def _message(
        self, mail: MailLog, account: str, rule: Rule, msg: tuple[int, str, str, int, str]
    ) -> None:
        t, frm, subj, size, mid = msg
        self.counter += 1
        qid = f"{t:08x}-f{self.counter:07x}"
        user = f", User: {account}" if self.with_user else ""
        if rule.dest:
            sender, to, subject, msg_id = frm, rule.dest, subj, mid
        else:  # an auto-reply to the sender
            sender, to, subject = account, frm, f"Abwesenheitsnotiz: {subj}"
            msg_id = f"{t:x}.{self.rng.getrandbits(32):08x}@{self.hostname}"
        app = mail.sink.lines.append
        app(
            (
                t + 1,
                f"Recv: Queue-ID: {qid}, Service: Sieve, From: <{sender}>, To: <{to}>, "
                f"Size: {size + 420}, Sender-Host: {LOOPBACK}{user}, SSL: no, "
                f"Subject: {subject}, Msg-Id: <{msg_id}>\n",
            )
        )
        remote = rule.remote or self.remote()  # an auto-reply: the sender's own server
        app(
            (
                t + 2 + self.rng.randrange(0, 3),
                f"Sent: Queue-ID: {qid}, Recipient: <{to}>, Result: delivered, "
                f"Status: 2.0.0 , Remote-Host: {remote}, Msg-Id: <{msg_id}>\n",
            )
        )
        mail.count(t + 1, t + 2, False, 1, [], rule.tag)


def plan_rules(sc: Planner, days: list[Day], seed: int) -> Rules:
    """Plant the four kinds on accounts no other scenario uses (as many as there are
    free ones, the hijack first) and return the rules."""
    rng = random.Random(seed * 1_000_003 + 17)
    rules = Rules(rng, seed % 2 == 0, sc.site.hostname, sc.site.nets.hosting_abroad)
    taken = {p.account for p in sc.plans}
    people = [p for p in sc.site.users if p.address not in taken]
    rng.shuffle(people)
    work = [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]
    first, end = days[0].start, days[-1].end + 86400
    # most telling first: a small site without enough free accounts plants fewer
    if people:
        _forward_rule(sc, rules, rng.choice(work), people.pop(), end)
    if people:
        _private_forward(sc, rules, rng.choice(work), people.pop(), end)
    if people:
        p = people.pop()
        rules.add(p.address, Rule(first, end, _private(p, rng), rules.remote(), "forwarder"))
        sc.plans.append(Plan("forwarder", p.address, LOOPBACK, _describe_forwarder()))
    if people:
        p = people.pop()
        start = rng.randrange(max(1, len(work) - 2))
        trip = work[start : start + 3]
        rules.add(p.address, Rule(trip[0].start, trip[-1].end, "", "", "vacation_reply"))
        sc.plans.append(Plan("vacation_reply", p.address, LOOPBACK, _describe_away()))
    return rules


def _private(p: Persona, rng: random.Random) -> str:
    first, _, last = p.name.partition(" ")
    local = f"{ascii_name(first)}.{ascii_name(last)}".lower().strip(".")
    return f"{local}{rng.randrange(1, 99)}@{rng.choice(PRIVATE_DOMAINS)}"


def _private_forward(sc: Planner, rules: Rules, day: Day, p: Persona, end: int) -> None:
    rng = rules.rng
    t = day.at(rng.uniform(9.0, 16.0) * HOUR)
    sc._login(t, "HTTP/WebMail", p.address, p.lan_ip, p.agent)
    rules.add(p.address, Rule(t + 60, end, _private(p, rng), rules.remote(), "private_forward"))
    sc.plans.append(
        Plan(
            "private_forward",
            p.address,
            p.lan_ip,
            {
                "describe": "Benign: {a} set a rule from the office ({ip}) that forwards its "
                "mail to a private address; {n} messages were forwarded ({span})."
            },
        )
    )


def _forward_rule(sc: Planner, rules: Rules, day: Day, v: Persona, end: int) -> None:
    rng = rules.rng
    ip = rules.remote()
    t = day.at(rng.uniform(6.0, 20.0) * HOUR)
    sc._login(t, "HTTP/WebMail", v.address, ip, v.agent)
    token = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(9))
    drop = f"{token}@{rng.choice(DROP_DOMAINS)}"
    rules.add(
        v.address, Rule(t + rng.randrange(120, 900), end, drop, rules.remote(), "forward_rule")
    )
    sc.plans.append(
        Plan(
            "forward_rule",
            v.address,
            ip,
            {
                "describe": "Hijack: a webmail login for {a} from the hosting address {ip} set "
                f"a filter rule forwarding all its mail to {drop}; {{n}} messages were "
                "forwarded ({span}) and nothing was sent."
            },
        )
    )


def _describe_forwarder() -> dict[str, str]:
    return {
        "describe": "Benign: {a} forwards all its mail to a private address by a filter "
        "rule set before the logs begin; {n} messages were forwarded ({span})."
    }


def _describe_away() -> dict[str, str]:
    return {
        "describe": "Benign: {a} was away for three working days and answered every "
        "message with an auto-reply (Service: Sieve)."
    }
