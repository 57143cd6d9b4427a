"""Hijacks by attackers who know how detectors work (beyond the five classic kinds).

- ``proxy_drip``: a slow drip through residential proxies in the victim's own country,
  a new address of another provider for every message, to a handful of strangers each.
- ``reply_chain``: from a rented server abroad, replies to the victim's real
  correspondents in their real threads, one lure with one attachment.
- ``aitm_session``: an adversary-in-the-middle phishing proxy in a German cloud region
  logs in to webmail with the victim's own browser string; the stolen session mails one
  "shared document" to the victim's contacts and colleagues, then hides the sent items
  from another cloud address.
- ``stuffing_spam``: credential stuffing that works on the first try (no failed login
  at all), then spam from a residential line far away.
- ``botnet_spam``: a spam run spread over dozens of botnet addresses in many countries,
  each sending a few messages.
"""

from __future__ import annotations

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import FREEMAIL
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.mail import NORMAL, Profile, burst_profile
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import Peer, Persona
from kerio_watch.simulate.users import WEBMAIL_HOST, WEBMAIL_SERVICE

NEW_KINDS: tuple[str, ...] = (
    "proxy_drip",
    "reply_chain",
    "aitm_session",
    "stuffing_spam",
    "botnet_spam",
)


def _smtp(
    sc: Planner,
    t: int,
    v: Persona,
    ip: str,
    rcpts: list[Peer],
    subj: str,
    tag: str,
    *,
    style: str = "bot",
    size: int | None = None,
    ssl: str = "yes",
    profile: Profile = NORMAL,
) -> None:
    """One message the attacker submits over SMTP as the victim."""
    text = sc.text
    mid = text.mid(style, v.domain)
    size = text.small_size() if size is None else size
    sc.mail.emit(
        t, "SMTP", v.address, ip, v.address, ssl, rcpts, subj, size, mid, profile, tag,
        sc.rng.random() < 0.2,
    )  # fmt: skip


def proxy_drip(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng = sc.rng
    homes = [n for n in sc.site.nets.home if n.cidr != v.home_net]
    t = day.at(rng.uniform(9.5, 13.0) * HOUR)
    ip = plan.source_ip or ""
    lure = sc.text.pick(sc.text.phish)
    n = rng.randrange(15, 26)
    for i in range(n):
        if i:
            ip = sc.site.ips.in_net(rng.choice(homes).cidr)
            t += rng.randrange(240, 720)
        sc._login(t - rng.randrange(2, 8), "SMTP", v.address, ip)
        rcpts = [sc._stranger(FREEMAIL) for _ in range(rng.randrange(1, 5))]
        _smtp(sc, t, v, ip, rcpts, lure, "proxy_drip", style="generic")
    plan.notes["describe"] = (
        "Hijack: {a} sent {n} phishing messages to {recipients} strangers ({span}) over "
        f"SMTP, each from a new address of another {sc.site.nets.adjective} home-internet provider "
        "(residential proxies, first {ip}), a few minutes apart."
    )


def reply_chain(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng = sc.rng
    ip = plan.source_ip or ""
    login = day.at(rng.uniform(8.0, 14.0) * HOUR)
    sc._login(login, "IMAP", v.address, ip)
    t = login + rng.randrange(1800, 5400)
    sc._login(t - 3, "SMTP", v.address, ip)
    threads = list({peer[0]: (peer, subj) for peer, subj in reversed(v.repliable)}.values())
    rng.shuffle(threads)
    size = rng.randrange(150_000, 260_000)
    for peer, subj in threads[: rng.randrange(25, 41)]:
        t += rng.randrange(20, 90)
        about = f"AW: {subj}"
        jitter = size + len(about) * 2 + rng.randrange(0, 600)
        _smtp(sc, t, v, ip, [peer], about, "reply_chain", style="generic", size=jitter)
    plan.notes["describe"] = (
        "Hijack: a login for {a} from the rented server {ip} read the mailbox, then sent "
        "{n} replies in the account's real threads to {recipients} of its real "
        "correspondents ({span}), one lure with the same attachment."
    )


def aitm_session(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng, text = sc.rng, sc.text
    ip = plan.source_ip or ""
    login = day.at(rng.uniform(9.0, 15.0) * HOUR)
    sc._login(login, "HTTP/WebMail", v.address, ip, v.agent)
    t = login + rng.randrange(180, 600)
    subj = text.pick(text.phish)
    size = rng.randrange(9_000, 30_000)
    people = [peer for peer in v.contacts + v.colleagues if peer[0] != v.address]
    people = list({p[0]: p for p in people}.values())
    rng.shuffle(people)
    targets = people[: rng.randrange(40, 81)]
    sent: list[tuple[int, str, int]] = []
    while targets:
        k = rng.randrange(1, 6)
        rcpts, targets = targets[:k], targets[k:]
        t += rng.randrange(10, 50)
        mid = text.mid("webmail", sc.site.domain)
        one = size + rng.randrange(0, 200)
        sc.mail.emit(
            t, WEBMAIL_SERVICE, v.address, WEBMAIL_HOST, v.address, "yes", rcpts, subj, one, mid,
            NORMAL, "aitm_session",
        )  # fmt: skip
        sent.append((t, mid, one))
    replay = sc.site.ips.in_net(rng.choice(sc.site.nets.hosting).cidr)
    a = v.address
    for when, mid, one in sent[-20:]:
        t += rng.randrange(1, 4)
        sc.ops.add(
            t,
            f"{{MOVE}} Protocol: HTTP/WebMail, User: {a}, IP: {replay}, Folder: ~{a}/Sent Items, "
            f'Destination Folder: ~{a}/Deleted Items, From: "{quoted(v.name)}" <{a}>, '
            f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, Delivered: {sc.clock.wall(when)}, '
            f"Size: {one}\n",
        )
    plan.notes["describe"] = (
        "Hijack: a phishing proxy logged in to {a}'s webmail from the cloud address {ip} with "
        "the user's own browser string; the stolen session sent one 'shared document' to "
        f"{{recipients}} of the account's contacts and colleagues in {{n}} messages ({{span}}), "
        f"then moved sent items to Deleted Items from {replay}."
    )


def stuffing_spam(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng, text = sc.rng, sc.text
    ip = plan.source_ip or ""
    t = day.at(rng.uniform(6.0, 20.0) * HOUR)
    sc._login(t - rng.randrange(3, 20), "SMTP", v.address, ip)
    for i, when in enumerate(sc._times(t, rng.randrange(150, 301), 2400)):
        if i and i % 50 == 0:
            sc._login(when - 1, "SMTP", v.address, ip)
        rcpts = [sc._stranger() for _ in range(rng.randrange(2, 9))]
        _smtp(
            sc, when, v, ip, rcpts, text.pick(text.spam), "stuffing_spam", ssl="no",
            profile=burst_profile(0.15, 0.15),
        )  # fmt: skip
    plan.notes["describe"] = (
        "Hijack: {ip} logged in as {a} at the first try (a password from another site's "
        "leak: no failed login before) and sent {n} spam messages to {recipients} "
        "recipients ({span}); {bounces}."
    )


def botnet_spam(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng, text = sc.rng, sc.text
    plan_nets = sc.site.nets
    nets = (*plan_nets.faraway, *plan_nets.abroad, *plan_nets.hosting_abroad)
    t0 = day.at(rng.uniform(1.0, 18.0) * HOUR)
    bots = [plan.source_ip or ""] + [
        sc.site.ips.in_net(rng.choice(nets).cidr) for _ in range(rng.randrange(40, 81))
    ]
    for k, ip in enumerate(bots):
        t = t0 + (k * 7200) // len(bots) + rng.randrange(0, 60)
        sc._login(t - 2, "SMTP", v.address, ip)
        for _ in range(rng.randrange(2, 7)):
            rcpts = [sc._stranger() for _ in range(rng.randrange(3, 11))]
            _smtp(
                sc, t, v, ip, rcpts, text.pick(text.spam), "botnet_spam", ssl="no",
                profile=burst_profile(0.2, 0.15),
            )  # fmt: skip
            t += rng.randrange(5, 60)
    plan.notes["describe"] = (
        "Hijack: {a} sent {n} spam messages to {recipients} recipients ({span}) from "
        f"{len(bots)} botnet addresses in many countries, each logging in over SMTP and "
        "sending a few; {bounces}."
    )
