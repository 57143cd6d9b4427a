"""A provider's server for several companies and a site of role mailboxes
(``simulate/tenants.py``)."""

from __future__ import annotations

import random
import re
import tomllib
from collections import Counter
from dataclasses import replace
from pathlib import Path

from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.simulate.site import LAN_PREFIX
from kerio_watch.simulate.tenants import company_sizes

SMALL = SimConfig(seed=3, users=24, days=9, forwarding=True, admin=True)
_LOGIN = re.compile(r"\] (\S+): User (\S+) authenticated  from IP address ([\d.]+)")


def _logins(directory: Path) -> list[tuple[str, str, str]]:
    text = (directory / "audit.log").read_text(encoding="utf-8")
    return [m.groups() for m in _LOGIN.finditer(text)]  # type: ignore[misc]


def test_companies_have_three_people_or_more() -> None:
    for seed in range(20):
        sizes = company_sizes(random.Random(seed), 40, 8)
        assert sum(sizes) == 40 and min(sizes) >= 3 and len(sizes) == 8
    assert len(company_sizes(random.Random(1), 8, 6)) == 2


def test_a_hosting_server_has_a_domain_per_company(tmp_path: Path) -> None:
    """Every company's domain is local; the provider's own staff is on the LAN, the
    others' offices are outside it, and nobody of theirs comes from the LAN."""
    one = simulate(SMALL, tmp_path / "one")
    many = simulate(replace(SMALL, hosting=4), tmp_path / "many")
    domains = Counter(a.rpartition("@")[2] for a in many.accounts)
    config = tomllib.loads(many.config_toml)
    assert set(domains) <= set(config["site"]["local_domains"])
    assert len(domains) >= 4 and len(one.accounts) == len(many.accounts)
    lan = {u for _, u, ip in _logins(many.directory) if ip.startswith(LAN_PREFIX)}
    outside = {a for a in many.accounts if a.rpartition("@")[2] not in one.config_toml}
    assert outside and not lan & outside


def test_role_mailboxes_are_used_from_many_places(tmp_path: Path) -> None:
    """A role mailbox is logged into from several desks in a day; every account is
    listed once."""
    result = simulate(replace(SMALL, role_mailboxes=True), tmp_path / "roles")
    assert len(result.accounts) == len(set(result.accounts))
    desks: dict[str, set[str]] = {}
    for _, user, ip in _logins(result.directory):
        if ip.startswith(LAN_PREFIX):
            desks.setdefault(user, set()).add(ip)
    roles = [u for u in desks if "." not in u.partition("@")[0] and len(desks[u]) >= 2]
    assert len(roles) >= 2


_RECV = re.compile(r"Queue-ID: ([0-9a-f-]+), Service: [^,]+, From: <([^>]+)>, To: <([^>]+)>")


def _recipients(directory: Path, account: str, subject: str) -> list[str]:
    """Every To of the messages ``account`` sent with ``subject``."""
    out: list[str] = []
    for line in (directory / "mail.log").read_text(encoding="utf-8").splitlines():
        m = _RECV.search(line)
        if m and m.group(2) == account and f"Subject: {subject}," in line:
            out.append(m.group(3))
    return out


def test_mail_to_the_staff_reaches_each_colleague_of_the_company_once(tmp_path: Path) -> None:
    """Internal phishing goes to the victim's own company, each address once (several
    people work in one role mailbox; a provider hosts other companies)."""
    for name, shape in (("roles", {"role_mailboxes": True}), ("hosting", {"hosting": 3})):
        config = replace(SMALL, lateral=True, **shape)
        result = simulate(config, tmp_path / name)
        phish = next(s for s in result.scenarios if s.kind == "internal_phish")
        subject = phish.description.split("('", 1)[1].split("')", 1)[0]
        rcpts = _recipients(result.directory, phish.account, subject)
        assert len(rcpts) >= 3 and len(rcpts) == len(set(rcpts)), name
        domain = phish.account.rpartition("@")[2]
        if name == "hosting" and domain not in (config.domain, "example.org"):
            assert {r.rpartition("@")[2] for r in rcpts} == {domain}
