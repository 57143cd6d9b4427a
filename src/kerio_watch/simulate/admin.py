"""Administration from outside (``SimConfig.admin``, off by default).

The site's own administrator works from the LAN (:mod:`.internet`). This adds, with its
own random numbers (the rest of the site is the same with it on or off):

- ``remote_admin`` (benign): the site's IT service provider administers the server
  from its office line every few working days through the whole period, routine and
  account changes alike, with an administrator account of its own;
- ``admin_takeover`` (hijack): the administrator's password used at night from a
  hosting network abroad, with another browser: a new account, the relay opened, and
  forwarding set on a colleague's mailbox. No mail is sent.
"""

from __future__ import annotations

import random
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import WEBMAIL_AGENTS
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.sink import LogSink

ATTACKER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"
ROUTINE = (
    'Update User {{loginName="{login}", quota="10240"}}',
    'Update User {{loginName="{login}", description="Vertrieb"}}',
    'Update AntiSpam {{spamScoreLimit="6.0", blockScoreLimit="12.0"}}',
    'Update SecurityPolicy {{lockoutEnabled="True", lockoutCount="10"}}',
    'Insert Alias {{alias="projekt@{domain}", deliverTo="{address}"}}',
    'Insert TimeRange {{description="Backup", type="TimeRangeDaily", days="6"}}',
)


def plan_admin(sc: Planner, days: list[Day], seed: int, config: LogSink) -> None:
    """Plant the service provider's sessions and the takeover (``config``: config.log)."""
    rng = sc.site.ips.group(seed * 7_000_003 + 29)
    site = sc.site
    office = address_in(rng.choice(site.nets.home), rng)
    work = [d for d in days if d.workday]
    visits = work[:: rng.choice((3, 4))]
    for day in visits:
        sc.hooks.setdefault(day.index, []).append(partial(_visit, sc, config, office, rng))
    describe = (
        "Benign: the IT service provider administered the server as {a} from its office "
        "line {ip} on {n} working days ({span}), routine and account changes alike."
    )
    sc.plans.append(Plan("remote_admin", _partner(sc), office, {"describe": describe}))
    late = [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]
    day = rng.choice(late)
    attacker = address_in(rng.choice(site.nets.hosting_abroad), rng)
    plan = Plan("admin_takeover", site.admin, attacker)
    sc.plans.append(plan)
    sc.hooks.setdefault(day.index, []).append(partial(_takeover, sc, config, plan, rng))


def _partner(sc: Planner) -> str:
    """The service provider's administrator account."""
    return f"it-partner@{sc.site.domain}"


def _visit(sc: Planner, config: LogSink, ip: str, rng: random.Random, day: Day) -> None:
    site, admin = sc.site, _partner(sc)
    t = day.at(rng.uniform(9.0, 16.0) * HOUR)
    sc._login(t, "HTTP/WebAdmin", admin, ip, WEBMAIL_AGENTS[1])
    first = t
    for _ in range(rng.randrange(1, 4)):
        t += rng.randrange(60, 900)
        p = rng.choice(site.users)
        text = rng.choice(ROUTINE).format(
            login=p.address.partition("@")[0], address=p.address, domain=site.domain
        )
        config.add(t, f"{admin} - {text}\n")
    sc.mail.count(first, t, False, 0, [], "remote_admin")


def _takeover(sc: Planner, config: LogSink, plan: Plan, rng: random.Random, day: Day) -> None:
    site = sc.site
    ip = plan.source_ip or ""
    t = day.at(rng.uniform(1.0, 4.5) * HOUR)
    sc._login(t, "HTTP/WebAdmin", site.admin, ip, ATTACKER_AGENT)
    victim = rng.choice(site.users)
    login = victim.address.partition("@")[0]
    drop = f"{login}.{rng.randrange(100, 999)}@protonmail.com"
    changes = (
        'Insert User {loginName="backup-svc", fullName="Backup Service", authType="0"}',
        'Update SmtpServer {relayControl="allowAll", relayAuthenticated="False"}',
        f'Update User {{loginName="{login}", emailForwarding="mode=forward, '
        f'emailAddresses={drop}"}}',
    )
    first = t
    for text in changes:
        t += rng.randrange(40, 240)
        config.add(t, f"{site.admin} - {text}\n")
    sc.mail.count(first, t, False, 0, [], "admin_takeover")
    plan.notes["describe"] = (
        "Hijack: the administrator account {a} logged in to the administration console "
        "from the hosting address {ip} at night with another browser, created an account, "
        f"opened the relay and set forwarding on {victim.address} ({{span}})."
    )
