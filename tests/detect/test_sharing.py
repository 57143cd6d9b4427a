"""One cause, one alert: access alone from one outside address to many accounts."""

from __future__ import annotations

import json

from factories import ALICE, BOB, at, feed, login, office_history, pipeline
from kerio_watch.cli.incident_text import incident_steps
from kerio_watch.config import Config
from kerio_watch.detect.ipstate import staff_place
from kerio_watch.incidents.engine import IncidentEngine
from kerio_watch.incidents.sharing import RULE
from kerio_watch.report.servertime import ServerTime
from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert
from kerio_watch.values.incident import Incident
from kerio_watch.values.signal import Signal

ARCHIVE = "203.0.113.7"
CAROL = "carol@example.com"
DAVE = "dave@example.com"


def _engine(first: int = 1) -> IncidentEngine:
    ids = iter(range(first, first + 1000))
    return IncidentEngine(lambda: next(ids), str)


def _access(account: str, ts: int, rule: str, score: int, ip: str = ARCHIVE) -> Signal:
    return Signal(rule, account, ts, score, f"{account} {rule}", ip, side="access", inside=False)


def _read(eng: IncidentEngine, account: str, ts: int, ip: str = ARCHIVE) -> list[Alert]:
    """What a hosted archive's night raises on one account: a hosting network and a
    protocol it never used (medium for access alone)."""
    signals = [
        _access(account, ts, "kerio.net.hosting", 20, ip),
        _access(account, ts, "kerio.login.unusual_protocol", 30, ip),
    ]
    return [a for s in signals if (a := eng.ingest(s)) is not None]


def test_many_accounts_read_from_one_address_make_one_alert_about_it() -> None:
    """The first account alerts on its own (nothing says yet that the address reads
    others); from the second on, the address's own incident alerts once, at medium,
    naming the accounts, and the accounts stay low."""
    eng = _engine()
    first = _read(eng, ALICE, 1000)
    assert [(a.user, a.severity) for a in first] == [(ALICE, Severity.MEDIUM)]
    second = _read(eng, BOB, 1100)
    assert [(a.user, a.severity, a.rule) for a in second] == [(None, Severity.MEDIUM, RULE)]
    assert ALICE in second[0].summary and BOB in second[0].summary
    assert "trusted_networks" in second[0].summary
    assert _read(eng, CAROL, 1200) == [] and _read(eng, DAVE, 1300) == []
    assert eng.severity_of(BOB) == eng.severity_of(CAROL) == Severity.LOW
    assert eng.open[f"ip:{ARCHIVE}"].facts["accounts"] == [ALICE, BOB, CAROL, DAVE]
    assert eng.shared_on(CAROL) and eng.shared_on(CAROL, ARCHIVE)
    assert not eng.shared_on(CAROL, "198.51.100.9") and not eng.shared_on(ALICE)


def test_one_account_read_from_an_address_is_its_own_alert() -> None:
    """A stranger copying one mailbox is the account's own medium, as before."""
    eng = _engine()
    assert [a.user for a in _read(eng, ALICE, 1000)] == [ALICE]
    assert [a.user for a in _read(eng, BOB, 1100, ip="198.51.100.9")] == [BOB]
    assert eng.severity_of(BOB) == Severity.MEDIUM
    assert f"ip:{ARCHIVE}" not in eng.open and not eng.shared_on(BOB)


def test_harm_from_the_address_is_each_accounts_own_incident() -> None:
    """Use from the address pairs with the access given to it, exactly as if it had
    never been given: high for the account itself."""
    eng = _engine()
    _read(eng, ALICE, 1000)
    _read(eng, BOB, 1100)
    assert eng.severity_of(BOB) == Severity.LOW
    use = Signal("kerio.mail.one_to_many", BOB, 2000, 25, "lure", ARCHIVE, side="use")
    use.inside = False
    alert = eng.ingest(use)
    assert alert is not None and alert.user == BOB and alert.severity == Severity.HIGH
    assert "hosting" in alert.summary


def test_guessing_from_the_address_is_not_given_away() -> None:
    """A login after guessing is evidence of its own: the account alerts itself."""
    eng = _engine()
    _read(eng, ALICE, 1000)
    _read(eng, BOB, 1100)
    guessed = _access(CAROL, 1200, "kerio.auth.login_after_guessing", 45)
    alert = eng.ingest(guessed)
    assert alert is not None and alert.user == CAROL and alert.severity == Severity.MEDIUM
    assert not eng.shared_on(CAROL)


def test_access_given_away_is_held_from_learning() -> None:
    """The learner holds what an account whose access alone went to the address's
    incident does from that address, as under a medium incident of its own (a stranger's
    address must not become the account's place), and learns it after the probation;
    what it does from elsewhere is learned at once, as under a low incident."""
    p = pipeline("from_mismatch")
    feed(p, office_history(ALICE, days=14) + office_history(BOB, days=14, host="192.168.1.11"))
    ts = at(15, "01:00")
    p.inject([_access(BOB, ts, "kerio.net.hosting", 20), _access(BOB, ts, "x.y", 30)])
    p.inject([_access(ALICE, ts + 60, "kerio.net.hosting", 20)])
    p.inject([_access(ALICE, ts + 60, "kerio.login.unusual_protocol", 30)])
    assert p.engine.severity_of(ALICE) == Severity.LOW and p.engine.shared_on(ALICE)
    feed(p, [login(ts + 61, ALICE, ARCHIVE), login(ts + 62, ALICE, "198.51.100.20")])
    assert ARCHIVE not in p.ctx.profile(ALICE).login_ips
    # its owner elsewhere: only that address's access was given away
    assert "198.51.100.20" in p.ctx.profile(ALICE).login_ips
    feed(p, [login(at(16, "09:30"), ALICE)])  # log time moves on past the probation
    p.tick(at(16, "10:00"))
    assert ARCHIVE in p.ctx.profile(ALICE).login_ips


def test_accounts_whose_access_was_given_away_are_no_witnesses() -> None:
    """Colleagues whose access alone from an address went to its incident do not make
    it a place of the staff (a stranger holding their passwords would whitewash its
    own address), as colleagues under a medium incident do not."""
    p = pipeline("from_mismatch")
    staff = [f"c{i}@example.com" for i in range(3)]
    feed(p, [login(at(1, "09:00") + i, a, ARCHIVE) for i, a in enumerate(staff)])
    ts = at(3, "01:00")
    assert staff_place(p.ctx, ARCHIVE, ALICE, ts)
    p.inject([_access(BOB, ts, "kerio.net.hosting", 20), _access(BOB, ts, "x.y", 30)])
    for i, a in enumerate(staff):
        p.inject([_access(a, ts + i, "kerio.net.hosting", 20)])
        p.inject([_access(a, ts + i, "kerio.login.unusual_protocol", 30)])
    assert all(p.engine.shared_on(a, ARCHIVE) for a in staff)
    assert not staff_place(p.ctx, ARCHIVE, ALICE, ts)


def test_what_was_given_away_survives_a_restart() -> None:
    """The address's incident and the accounts' facts are all the state there is: a
    run restored from saved incidents judges the next account as one long run would."""
    eng = _engine()
    _read(eng, ALICE, 1000)
    _read(eng, BOB, 1100)
    saved = [Incident.from_dict(json.loads(json.dumps(i.to_dict()))) for i in eng.open.values()]
    again = _engine(first=100)
    again.restore(saved)
    assert again.shared_on(BOB, ARCHIVE) and again.severity_of(BOB) == Severity.LOW
    assert _read(again, CAROL, 1200) == []
    assert again.open[f"ip:{ARCHIVE}"].facts["accounts"] == [ALICE, BOB, CAROL]


def _hijack(eng: IncidentEngine, account: str, ts: int, ip: str) -> None:
    """An intruder's access and lure from ``ip``: the account's incident is high."""
    _read(eng, account, ts, ip)
    use = Signal("kerio.mail.one_to_many", account, ts + 60, 25, "lure", ip, side="use")
    use.inside = False
    eng.ingest(use)
    assert eng.severity_of(account) >= Severity.HIGH


def test_an_address_that_only_read_after_the_harm_is_not_the_hijack_s() -> None:
    """An archive's nightly read of a mailbox already high for mail sent from elsewhere
    is not where the hijack was worked from: the next mailbox it reads is not "used from
    a hijack's address" (16 false alerts in one simulated site, a cloud app's mailbox
    beside a hosted archive). The intruder's own addresses still are: the one it read
    from before its lure, and the one it sent from."""
    eng = _engine()
    reader, sender = "198.51.100.30", "198.51.100.40"
    eng.ingest(_access(ALICE, 500, "kerio.net.new_host", 25, reader))  # it reads first
    _hijack(eng, ALICE, 1000, sender)
    _read(eng, ALICE, 5000)  # the archive, hours later, no harm from it
    assert eng.hijacked_from(ARCHIVE, BOB, 5100) is None
    assert eng.hijacked_from(sender, BOB, 5100) == ALICE
    assert eng.hijacked_from(reader, BOB, 5100) == ALICE


def test_what_to_do_never_says_to_block_an_archive_that_read_after_the_harm() -> None:
    """The steps of a hijacked account's incident (and the containment's blocks, from the
    same list) name the intruder's address, not an archive's read hours after the harm:
    blocking that would have cut the site's own archive off."""
    eng = _engine()
    sender = "198.51.100.40"
    _hijack(eng, ALICE, 1000, sender)
    _read(eng, ALICE, 5000)
    inc = eng.open[ALICE]
    st = ServerTime(None, 0, "times in UTC", Config().site.office, Config().site.office_hours)
    text = " ".join(s.text for s in incident_steps(inc, Config(), st))
    assert sender in text and ARCHIVE not in text
    assert ARCHIVE in inc.suspect_ips()  # it is in the verdict's signals all the same


def test_an_ipv6_reader_is_one_address_by_its_slash_64() -> None:
    """A server on IPv6 owns a whole /64 and may read each mailbox from a new address of
    it: that is one address to the rule, as it is to the auth rules, so the accounts
    after the first go to one incident about the /64 instead of an alert each."""
    eng = _engine()
    net = "2a01:4f8:c17:1a2b"
    assert [a.user for a in _read(eng, ALICE, 1000, ip=f"{net}::11")] == [ALICE]
    second = _read(eng, BOB, 1100, ip=f"{net}::2:5")
    assert [(a.user, a.rule) for a in second] == [(None, RULE)]
    assert _read(eng, CAROL, 1200, ip=f"{net}:0:3::9") == []
    key = f"ip:{net}::/64"
    assert eng.open[key].facts["accounts"] == [ALICE, BOB, CAROL]
    assert eng.severity_of(CAROL) == Severity.LOW
    assert eng.shared_on(CAROL, f"{net}::ffff") and not eng.shared_on(CAROL, "2a01:4f8:c17:1a2c::1")
    # another /64 of the same provider is another machine
    assert [a.user for a in _read(eng, DAVE, 1300, ip="2a01:4f8:c17:1a2c::1")] == [DAVE]
