"""The benign kinds of round eight (:mod:`.heldout8`), and what both write: a message of a
person's usual program, forwarded documents, the days of a person's leave.

- ``stale_home_pc`` (benign): a person changes its password at the desk on a working day
  of the last third; the mail program of its PC at home (its own home line, its usual
  program) still holds the old one and checks for mail about once an hour while the PC is
  on (weekday evenings, weekend days): one failed IMAP login an hour, for two to four
  days. One evening the person types the new password at home: the program logs in and
  sends the two to five messages that waited in its outbox, to people the person knows.
- ``grand_tour`` (benign): a person spends its week of leave (the site's planned leave)
  travelling through three other countries, two or three days in each, and keeps up with
  mail from the laptop with its usual program through each hotel's Wi-Fi (a new address
  of the hotel's /24 per connection) at that country's hours: reading, and one to four
  messages a day to people it knows.
- ``forward_home`` (benign): one evening at home (its own home line, its usual program) a
  person forwards 8 to 20 work documents it received ("WG: <their subject>", with their
  attachments) to its own private address at a freemail provider, one message each, to
  work on them over the weekend.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.countries import COUNTRIES, net_plan
from kerio_watch.simulate.data import FREEMAIL, ascii_name
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout5_benign import WEBMAIL, home_address
from kerio_watch.simulate.heldout7_benign import sent_item
from kerio_watch.simulate.heldout_kit import MINUTE, Out, hook, late_workdays, people_of, plan
from kerio_watch.simulate.internet import named_failure
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.plan import Plan
from kerio_watch.simulate.site import Persona

FORWARDS = ("WG: ", "Fwd: ", "FW: ")


def plan_benign8(out: Out, days: list[Day], people: list[Persona]) -> None:
    """Plant the benign kinds on the free people left."""
    rng = out.rng
    late = late_workdays(days)
    homes = [p for p in people if at_home(p) and not p.webmail and people_of(p)]
    if homes and len(late) > 1:
        people.remove(homes[0])
        change = rng.choice(late[:-1])
        fixed = days[min(len(days) - 1, change.index + rng.randrange(2, 5))]
        _stale_pc(out, days[change.index : fixed.index + 1], homes[0])
    tourists = [p for p in people if len(leave_of(days, p)) >= 3 and people_of(p)]
    if tourists:
        people.remove(tourists[0])
        _tour(out, leave_of(days, tourists[0]), tourists[0])
    lines = [p for p in people if p.home_net and people_of(p)]
    if lines:  # the last kind: the first of them whose home line is in the logs by then
        _forward_home(out, rng.choice(late), sorted(lines, key=lambda p: not at_home(p)))


def at_home(v: Persona) -> bool:
    """Whether the person works from its home line now and then (evenings, weekends), so
    that the line is its own in the logs before the kind uses it."""
    return v.home_net is not None and (v.remote or max(v.evening_prob, v.weekend_prob) >= 0.2)


def leave_of(days: list[Day], v: Persona) -> list[Day]:
    """The days of the person's leave (weekends between included), none if it has none."""
    if not v.off_days:
        return []
    return days[min(v.off_days) : max(v.off_days) + 1]


def send_usual(out: Out, t: int, how: tuple[str, str], v: Persona, to: str,
               what: tuple[str, int]) -> None:  # fmt: skip
    """One message of ``v`` with its usual program from ``ip`` (``how``: address, kind;
    ``what``: subject, size); the webmail's move to Sent Items too."""
    text = out.text
    ip, kind = how
    subj, size = what
    if v.webmail:
        mid = text.mid("webmail", out.sc.site.hostname)
        out.message(t, WEBMAIL, v, [to], (subj, size, mid), kind, 0.01)
        sent_item(out, t + 1, (ip, v), (subj, mid, size))
        return
    mid = text.mid(v.client, v.domain)
    out.message(t, ("SMTP", ip, "yes"), v, [to], (subj, size, mid), kind, 0.01)


def login_usual(out: Out, t: int, v: Persona, ip: str) -> None:
    """The usual program's logins: the webmail, or its reader and then SMTP."""
    if v.webmail:
        out.login(t, "HTTP/WebMail", v.address, ip, v.agent)
        return
    out.login(t, v.reader if v.reader == "IMAP" else "IMAP", v.address, ip)
    out.login(t + out.rng.randrange(20, 3 * MINUTE), "SMTP", v.address, ip)


def received_subjects(out: Out, v: Persona, n: int) -> list[str]:
    """Up to ``n`` subjects of mail the person received (fresh ones first), else business
    subjects."""
    seen = list(dict.fromkeys(subj for _, subj in reversed(v.repliable[-400:])))
    seen = [s for s in seen if not s.startswith(("AW:", "Re:", "RE:", "WG:", "Fwd:", "FW:"))]
    text = out.text
    while len(seen) < n:
        seen.append(text.pick(text.business))
    return seen[:n]


# -- stale_home_pc --------------------------------------------------------------------------


def _stale_pc(out: Out, span: list[Day], v: Persona) -> None:
    plan(
        out,
        "stale_home_pc",
        v.address,
        None,
        "Benign: {a} changed its password at the desk; its PC at home (its own home line, "
        "its usual program) failed to log in with the old one about once an hour while it "
        f"was on, for {len(span) - 1} days, until the new password was typed in one "
        "evening and the program sent the {n} messages of its outbox ({span}).",
    )
    for k, d in enumerate(span):
        step = "change" if k == 0 else "fixed" if k == len(span) - 1 else "stale"
        hook(out, d, partial(_stale_day, out, step, v))


def _stale_day(out: Out, step: str, v: Persona, day: Day) -> None:
    rng = out.rng
    ip = home_address(out, v)  # the home line's lease of the day
    on = (18.0, 23.0) if day.workday else (9.5, 23.0)
    start = max(on[0], v.end / HOUR + 1.0) if step == "change" else on[0]
    end = rng.uniform(19.0, 21.0) if step == "fixed" else on[1]
    t = day.at(start * HOUR + rng.randrange(0, 30 * MINUTE))
    while t < day.at(end * HOUR):
        out.sc.security.add(t, named_failure("IMAP", ip, v.address, True))
        t += rng.randrange(57 * MINUTE, 63 * MINUTE)
    if step != "fixed":
        return
    login_usual(out, t, v, ip)
    people = people_of(v)
    t += 3 * MINUTE
    for _ in range(rng.randrange(2, 6)):
        t += rng.randrange(2, 20)
        subj = out.text.pick(out.text.business)
        send_usual(out, t, (ip, "stale_home_pc"), v, rng.choice(people), (subj, out.text.size()))


# -- grand_tour -----------------------------------------------------------------------------


def _tour(out: Out, leave: list[Day], v: Persona) -> None:
    rng, site = out.rng, out.sc.site
    three = rng.sample([c for c in COUNTRIES if c != site.nets.country], 3)
    cut = sorted(rng.sample(range(1, len(leave)), 2))
    legs = [leave[: cut[0]], leave[cut[0] : cut[1]], leave[cut[1] :]]
    plan(
        out,
        "grand_tour",
        v.address,
        None,
        f"Benign: {{a}} spent its leave ({len(leave)} days) travelling through "
        + ", ".join(three)
        + " and kept up with mail from the laptop through each hotel's Wi-Fi, with its "
        "usual program: {n} messages to people it knows ({span}).",
    )
    for country, leg in zip(three, legs, strict=True):
        there = net_plan(country)
        block = address_in(rng.choice(there.hotel), rng).rpartition(".")[0]
        for d in leg:
            hook(out, d, partial(_tour_day, out, (block, _shift(site.nets.zone, there.zone, d)), v))


def _shift(home: str, away: str, day: Day) -> float:
    """Seconds to add to a local hour of ``away`` to get the site's local hour."""
    noon = datetime.combine(day.date, datetime.min.time()).replace(hour=12)
    here, there = ZoneInfo(home).utcoffset(noon), ZoneInfo(away).utcoffset(noon)
    return (here - there).total_seconds() if here is not None and there is not None else 0.0


def _tour_day(out: Out, where: tuple[str, float], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    block, shift = where
    people = people_of(v)

    def ip() -> str:  # the hotel leases in its /24
        return f"{block}.{rng.randrange(2, 254)}"

    for _ in range(rng.randrange(2, 6)):
        t = day.at(rng.uniform(7.5, 23.0) * HOUR + shift)
        proto, agent = ("HTTP/WebMail", v.agent) if v.webmail else (v.reader, None)
        out.login(t, proto, v.address, ip(), agent)
    for _ in range(rng.randrange(1, 5)):
        t, addr = day.at(rng.uniform(8.0, 22.5) * HOUR + shift), ip()
        if not v.webmail:
            out.login(t - rng.randrange(2, 9), "SMTP", v.address, addr)
        subj = f"{rng.choice(text.replies)}{text.pick(text.business)}"
        send_usual(out, t, (addr, "grand_tour"), v, rng.choice(people), (subj, text.size()))


# -- forward_home ---------------------------------------------------------------------------


def private_address(out: Out, v: Persona) -> str:
    """The person's own address at a freemail provider (its name in it)."""
    first, _, last = v.name.partition(" ")
    local = f"{ascii_name(first)}.{ascii_name(last or first)}".lower()
    return f"{local}{out.rng.randrange(1, 99)}@{out.rng.choice(FREEMAIL)}"


def _forward_home(out: Out, day: Day, people: list[Persona]) -> None:
    plan(
        out,
        "forward_home",
        people[0].address,
        None,
        "Benign: one evening at home ({ip}, its own home line) {a} forwarded {n} work "
        "documents it had received to its own private address with its usual program, one "
        "message each ({span}).",
    )
    hook(out, day, partial(_forwards, out, out.sc.plans[-1], people))


def _forwards(out: Out, planned: Plan, people: list[Persona], day: Day) -> None:
    """The evening of the first of ``people`` whose home line is in the logs (none: the
    kind is not planted, and the result says so)."""
    rng = out.rng
    v = next((p for p in people if p.home_ip[1]), None)
    if v is None:
        return
    ip = v.home_ip[1]  # the home line's latest lease
    planned.account, planned.source_ip = v.address, ip
    private = private_address(out, v)
    t = day.at(rng.uniform(19.0, 21.5) * HOUR)
    login_usual(out, t, v, ip)
    t += 5 * MINUTE
    prefix = rng.choice(FORWARDS)
    for subj in received_subjects(out, v, rng.randrange(8, 21)):
        t += rng.randrange(40, 4 * MINUTE)
        size = rng.randrange(150_000, 3_000_000)
        send_usual(out, t, (ip, "forward_home"), v, private, (prefix + subj, size))
