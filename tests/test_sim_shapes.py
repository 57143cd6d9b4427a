"""Sites of another shape (``simulate/shapes.py``): remote-first, a web proxy, shift work."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.simulate.shapes import PROXY_IP, proxy_rewrite
from kerio_watch.simulate.site import LAN_PREFIX

SMALL = SimConfig(seed=3, users=12, days=9, forwarding=True, admin=True)
_LOGIN = re.compile(r"\] (\S+): User (\S+) authenticated  from IP address ([\d.]+)")
_SENT = re.compile(r"\[\d\d/\w+/\d{4} (\d\d):\d\d:\d\d\] Recv: .*Sender-Host: ([\d.]+)")


def _lines(directory: Path, name: str) -> list[str]:
    return (directory / name).read_text(encoding="utf-8").splitlines()


def test_a_shape_left_off_draws_the_default_site(tmp_path: Path) -> None:
    """Options at their defaults are the default site, byte for byte."""
    a = simulate(SMALL, tmp_path / "a")
    b = simulate(
        replace(SMALL, remote=0.0, webmail_proxy=False, shift_work=False, hosting=0),
        tmp_path / "b",
    )
    c = simulate(replace(SMALL, role_mailboxes=False), tmp_path / "c")
    for name, path in a.files.items():
        assert path.read_bytes() == c.files[name].read_bytes(), name
    for name, path in a.files.items():
        assert path.read_bytes() == b.files[name].read_bytes(), name


def test_the_proxy_changes_only_the_web_clients_addresses(tmp_path: Path) -> None:
    """Behind a reverse proxy every web login, failure and folder operation is logged at
    the proxy's address; everything else (mail.log, the administration, IMAP) is as
    without the proxy, drawn from the same random numbers."""
    plain = simulate(SMALL, tmp_path / "plain")
    proxied = simulate(replace(SMALL, webmail_proxy=True), tmp_path / "proxied")
    assert _lines(plain.directory, "mail.log") == _lines(proxied.directory, "mail.log")
    for name in ("audit.log", "security.log", "operations.log"):
        before, after = _lines(plain.directory, name), _lines(proxied.directory, name)
        assert [proxy_rewrite(line) for line in before] == after, name
    logins = [_LOGIN.search(line) for line in _lines(proxied.directory, "audit.log")]
    web = {m.group(3) for m in logins if m and m.group(1) == "HTTP/WebMail"}
    assert web == {PROXY_IP}
    admin = {m.group(3) for m in logins if m and m.group(1) == "HTTP/WebAdmin"}
    assert admin and PROXY_IP not in admin
    assert any(m and m.group(1) == "IMAP" and m.group(3) != PROXY_IP for m in logins)


def test_a_remote_first_company_works_from_home_lines(tmp_path: Path) -> None:
    """Nearly every working day's mail comes from the staff's home lines; the LAN is
    seen on the office days of some."""
    office = simulate(SMALL, tmp_path / "office")
    remote = simulate(replace(SMALL, remote=1.0), tmp_path / "remote")
    assert remote.accounts == office.accounts

    def lan_share(directory: Path) -> float:
        logins = [_LOGIN.search(line) for line in _lines(directory, "audit.log")]
        people = [m for m in logins if m and m.group(1) != "HTTP/WebAdmin"]
        return float(sum(m.group(3).startswith(LAN_PREFIX) for m in people) / len(people))

    assert lan_share(office.directory) > 0.5
    assert 0.0 < lan_share(remote.directory) < 0.3


def test_shift_work_sends_from_the_office_at_night(tmp_path: Path) -> None:
    """Rotating shifts send from the office LAN at night."""
    office = simulate(SMALL, tmp_path / "office")
    shifts = simulate(replace(SMALL, shift_work=True), tmp_path / "shifts")

    def night_lan(directory: Path) -> int:
        sent = [_SENT.search(line) for line in _lines(directory, "mail.log")]
        return sum(
            1
            for m in sent
            if m and m.group(2).startswith(LAN_PREFIX) and int(m.group(1)) in (0, 1, 2, 3, 4)
        )

    assert night_lan(shifts.directory) > 10 * max(1, night_lan(office.directory))


def test_remote_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="remote"):
        SimConfig(remote=1.5)


@pytest.mark.parametrize("shape", [{"remote": 0.9}, {"shift_work": True}])
def test_the_infected_pc_is_a_desk_at_the_office(shape: dict[str, object], tmp_path: Path) -> None:
    """The firewall's infected PC is a desk on the LAN someone works at: every account
    the truth names as its user logged in from it (a remote worker without an office
    day, or the branch office abroad, has no desk there to share)."""
    for seed in (1, 2, 6):
        config = replace(SMALL, seed=seed, users=8, **shape)  # type: ignore[arg-type]
        site = simulate(config, tmp_path / str(seed))
        logins = [_LOGIN.search(line) for line in _lines(site.directory, "audit.log")]
        for pc in (h for h in site.hosts if h.kind == "infected_pc"):
            assert pc.host.startswith(LAN_PREFIX), (seed, pc.host)
            seen = {m.group(2) for m in logins if m and m.group(3) == pc.host}
            assert set(pc.users) <= seen, (seed, pc.host, pc.users)
