"""Network identity (``enrich/geo.py``, ``enrich/hosting.py``): country, AS and hosting
flag of outside addresses, from real MaxMind-format files written here, and from the
data file that ships with geoip2fast."""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import json
import logging
import pickle
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import ALICE, BOB, at, failed, feed, login, office_history, pipeline, recv, rules
from kerio_watch.app.config import config_from_dict
from kerio_watch.cli import main
from kerio_watch.config import EnrichConfig
from kerio_watch.detect.auth_rules import RULE_GUESSED, RULE_SENT
from kerio_watch.detect.new_host import RULE, RULE_HOSTING
from kerio_watch.enrich.geo import UNKNOWN, NetInfo, open_geo
from kerio_watch.enrich.hosting import HostingList
from kerio_watch.errors import ConfigError
from kerio_watch.simulate.netplan import ANONYMIZERS
from kerio_watch.values.profile import Profile
from logtools import recv_line

DAVE = "dave@example.com"

mmdb_writer = pytest.importorskip("mmdb_writer")
netaddr = pytest.importorskip("netaddr")

NETWORKS = {
    # prefix: (AS number, AS name, country)
    "45.77.0.0/16": (20473, "AS-CHOOPA", "US"),
    "84.128.0.0/12": (3320, "Deutsche Telekom AG", "DE"),
    "80.187.0.0/17": (3320, "Deutsche Telekom AG", "DE"),
    "91.64.0.0/14": (3209, "Vodafone GmbH", "DE"),
    "86.128.0.0/14": (2856, "British Telecommunications PLC", "GB"),
}


@pytest.fixture(scope="module")
def mmdb(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A tiny GeoLite2-ASN and -Country pair, written with mmdb-writer."""
    root = tmp_path_factory.mktemp("mmdb")
    asn = mmdb_writer.MMDBWriter(ip_version=4, database_type="GeoLite2-ASN")
    country = mmdb_writer.MMDBWriter(ip_version=4, database_type="GeoLite2-Country")
    for prefix, (number, name, code) in NETWORKS.items():
        block = netaddr.IPSet([prefix])
        asn.insert_network(
            block,
            {"autonomous_system_number": number, "autonomous_system_organization": name},
        )
        country.insert_network(block, {"country": {"iso_code": code}})
    paths = {"asn_db": str(root / "asn.mmdb"), "country_db": str(root / "country.mmdb")}
    asn.to_db_file(paths["asn_db"])
    country.to_db_file(paths["country_db"])
    return paths


def test_maxmind_databases(mmdb: dict[str, str]) -> None:
    """Country, AS and the hosting flag of public addresses; nothing for private ones."""
    geo = open_geo(EnrichConfig(country_db=mmdb["country_db"], asn_db=mmdb["asn_db"]))
    assert geo.source == "maxmind"
    choopa = geo.lookup("45.77.3.4")
    assert choopa == NetInfo("US", 20473, "AS-CHOOPA", True)
    assert choopa.label() == "AS20473 AS-CHOOPA, US, hosting" and choopa.as_key == "AS20473"
    home = geo.lookup("84.130.9.9")
    assert (home.country, home.as_key, home.hosting) == ("DE", "AS3320", False)
    assert geo.lookup("84.130.9.9") is home  # cached
    for other in ("192.168.1.10", "198.51.100.7", "8.8.8.8", "not an address", None):
        assert geo.lookup(other) == UNKNOWN


def test_a_broken_database_turns_identity_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A corrupt file never stops detection: identity is off, and the log says why."""
    bad = tmp_path / "asn.mmdb"
    bad.write_bytes(b"\x00not a maxmind database" * 10)
    with caplog.at_level(logging.WARNING):
        geo = open_geo(EnrichConfig(asn_db=str(bad)))
    assert geo.lookup("45.77.3.4") == UNKNOWN
    assert "network identity is off" in caplog.text


def test_enrich_settings_are_checked(tmp_path: Path) -> None:
    """An unknown source or a missing database names the key and the expectation."""
    with pytest.raises(ConfigError) as err:
        config_from_dict({"enrich": {"geo": "ipinfo"}})
    assert "enrich.geo: expected one of auto, maxmind, geoip2fast, off" in str(err.value)
    with pytest.raises(ConfigError) as err:
        config_from_dict({"enrich": {"asn_db": str(tmp_path / "missing.mmdb")}})
    assert "enrich.asn_db: expected a readable .mmdb file" in str(err.value)
    with pytest.raises(ConfigError) as err:
        config_from_dict({"enrich": {"geo": "maxmind"}})
    assert "needs country_db or asn_db" in str(err.value)


def test_hosting_networks() -> None:
    """Well-known hosting ASes by number and name words; a site adds its own."""
    hosting = HostingList(["AS64500", "example cloud"])
    assert hosting.matches(64500, "") and hosting.matches(16509, "")
    assert hosting.matches(0, "Hetzner Online GmbH") and hosting.matches(0, "DIGITALOCEAN-ASN")
    assert hosting.matches(0, "Example Cloud Services")
    assert not hosting.matches(3320, "Deutsche Telekom AG")
    assert not hosting.matches(0, "")
    # Tor exit operators and hosters whose names say nothing of it
    for name in ("Stiftung Erneuerbare Freiheit", "F3 Netze e.V.", "EMERALD-ONION", "netcup GmbH"):
        assert hosting.matches(0, name), name
    assert not hosting.matches(0, "Vodafone GmbH") and not hosting.matches(0, "Torrent Telecom")
    # hosters of every region, not only Europe's and America's clouds
    for name in ("SAKURA Internet Inc.", "IDC Frontier Inc.", "HUAWEI CLOUDS", "RACKSPACE",
                 "AS-26496-GO-DADDY-COM-LLC", "LIQUIDWEB", "Ikoula Net SAS",
                 "TimeWeb Ltd."):  # fmt: skip
        assert hosting.matches(0, name), name
    assert hosting.matches(9370, "") and hosting.matches(4694, "")
    # Google by the names GeoLite2 gives its AS15169 and AS19527 (its cloud's IPv6
    # ranges are named so), not its fibre lines or its public Wi-Fi
    assert hosting.matches(0, "GOOGLE") and hosting.matches(0, "GOOGLE-2")
    assert not hosting.matches(0, "GOOGLE-FIBER") and not hosting.matches(0, "GOOGLEWIFI")
    # a site's home providers are not hosting networks, whatever the country
    for name in ("COMCAST-7922", "ATT-INTERNET4", "CELLCO-PART", "T-MOBILE-AS21928", "Free SAS",
                 "Orange", "Bouygues Telecom SA", "NTT Communications Corporation",
                 "SoftBank Corp.", "KDDI CORPORATION", "NTT DOCOMO, INC.", "OPTAGE Inc.",
                 "Liquid Telecommunications Ltd", "SAKURA KCS Corporation."):  # fmt: skip
        assert not hosting.matches(0, name), name


def test_geoip2fast_data_file() -> None:
    """The data files that install with geoip2fast know real networks (IPv4 and IPv6)."""
    pytest.importorskip("geoip2fast")
    geo = open_geo(EnrichConfig(geo="geoip2fast"))
    telekom = geo.lookup("84.128.0.1")
    assert telekom.country == "DE" and "telekom" in telekom.as_name.lower()
    assert geo.lookup("188.166.1.1").hosting  # DigitalOcean, by name
    for net in ANONYMIZERS:  # the simulator's Tor exits resolve as their operators
        info = geo.lookup(net.cidr.split("/")[0].rsplit(".", 1)[0] + ".7")
        assert info.hosting and info.as_name == net.owner and info.country == net.country
    assert geo.lookup("10.0.0.1") == UNKNOWN
    # IPv6 from its own file (before, it was unknown: the IPv4 file has none)
    hetzner = geo.lookup("2a01:4f8:c17:1b2e::1")
    assert hetzner.as_name == "Hetzner Online GmbH" and hetzner.hosting
    # an IPv6 address outside the data: unknown, not a country called "--"
    assert geo.lookup("2001:db8::1") == geo.lookup("3fff::1") == UNKNOWN


def test_the_compact_table_answers_as_geoip2fast_does() -> None:
    """Country and AS name from the arrays (geotable) equal geoip2fast's own lookup: at
    every network's first and last address and just outside them, and at random."""
    geoip2fast = pytest.importorskip("geoip2fast")
    from kerio_watch.enrich import geotable  # noqa: PLC0415

    table = geotable.load(Path(geoip2fast.__file__).parent / "geoip2fast-asn.dat.gz")
    assert table is not None
    db = geoip2fast.GeoIP2Fast(geoip2fast_data_file="geoip2fast-asn.dat.gz")
    rng = random.Random(13)
    values = {rng.randrange(1 << 32) for _ in range(20_000)}
    for first, bits in zip(table.first[::50], table.lens[::50], strict=True):
        last = first + (1 << (32 - bits)) - 1
        values |= {first, last, min(last + 1, (1 << 32) - 1), max(first - 1, 0)}
    for first, bits in zip(table.as_first[::50], table.as_lens[::50], strict=True):
        values |= {first, first + (1 << (32 - bits)), max(first - 1, 0)}

    def country(code: str) -> str:  # as geo.py reads both: "--" and "ASIA" are none
        return code if len(code) == 2 and code.isalpha() else ""

    differ = []
    for value in sorted(values):
        ip = str(ipaddress.IPv4Address(min(value, (1 << 32) - 1)))
        r = db.lookup(ip)
        code, name = table.lookup(ip)
        if (country(code), name) != (country(r.country_code), r.asn_name or ""):
            differ.append((ip, (code, name), (r.country_code, r.asn_name)))
    assert not differ, differ[:5]
    assert len(values) > 40_000
    assert table.lookup("2a01:4f8::1") == ("", "") and table.lookup("not an address") == ("", "")


def test_another_data_layout_falls_back(tmp_path: Path) -> None:
    """A file that is not the IPv4 country-and-AS layout (or no file) is not read by the
    compact table: geo.py then uses geoip2fast itself."""
    from kerio_watch.enrich import geotable  # noqa: PLC0415

    city = tmp_path / "city.dat.gz"
    with gzip.open(city, "wb") as f:
        pickle.dump((120, {"country": False, "city": True, "asn": True}, 0, ()), f)
    assert geotable.load(city) is None
    assert geotable.load(tmp_path / "missing.dat.gz") is None
    junk = tmp_path / "junk.dat.gz"
    junk.write_bytes(b"not gzip")
    assert geotable.load(junk) is None


def _with_geo(mmdb: dict[str, str]):  # type: ignore[no-untyped-def]
    p = pipeline("new_host", enrich=dict(mmdb))
    history = office_history(ALICE, days=14)
    history += [login(at(d, "20:00"), ALICE, f"84.13{d % 4}.{d}.7") for d in range(1, 14, 2)]
    feed(p, history)
    return p


class TestNewHostWithIdentity:
    """One place per network owner; country and hosting networks."""

    def test_a_new_address_of_a_provider_it_used_once_is_weak(self, mmdb: dict[str, str]) -> None:
        p = pipeline("new_host", enrich=dict(mmdb))
        feed(p, [*office_history(ALICE, days=14), login(at(13, "20:00"), ALICE, "84.130.1.7")])
        (s,) = feed(p, [recv(at(15, "21:00"), host="84.140.1.2")])
        assert s.rule == RULE and s.score == 10
        assert "a network it uses" in s.summary and "AS3320 Deutsche Telekom AG, DE" in s.summary
        assert "AS3320" in s.facts["networks"]

    def test_a_carriers_pool_it_rotates_in_is_one_place(self, mmdb: dict[str, str]) -> None:
        """A phone carrier hands out a new /24 every few logins: once the account has
        used several of one /16 (since before today), a new /24 there is no news, nor is
        a /24 of it used only once or twice. The same carrier's home lines (another
        range of the same AS, where residential proxies live) still count."""
        p = pipeline("new_host", enrich=dict(mmdb))
        phone = [login(at(d, "19:00"), ALICE, f"80.187.{d}.7", "IMAP") for d in range(1, 13)]
        feed(p, [*office_history(ALICE, days=14), *phone])
        assert feed(p, [login(at(15, "22:00"), ALICE, "80.187.99.9", "IMAP")]) == []
        assert feed(p, [login(at(15, "22:30"), ALICE, "80.187.1.99", "IMAP")]) == []
        assert feed(p, [recv(at(16, "08:00"), host="80.187.100.1")]) == []
        (s,) = feed(p, [recv(at(16, "09:00"), host="84.140.1.2")])
        assert s.score == 10 and "a network it uses" in s.summary

    def test_a_pool_first_used_today_is_not_yet_a_place(self, mmdb: dict[str, str]) -> None:
        """Three /24s of one range today do not make it usual (an intruder's own pool,
        learned while its incident is low): the fourth still counts; the next day, a
        new one of them does not."""
        p = pipeline("new_host", enrich=dict(mmdb))
        feed(p, office_history(ALICE, days=14))
        first = feed(
            p, [login(at(15, f"1{i}:00"), ALICE, f"91.64.{i}.2", "IMAP") for i in range(3)]
        )
        assert [s.score for s in first] == [15, 10, 10]
        (s,) = feed(p, [login(at(15, "16:00"), ALICE, "91.64.9.2", "IMAP")])
        assert s.score == 10 and "a network it uses, 3x before" in s.summary
        assert feed(p, [login(at(16, "17:00"), ALICE, "91.64.10.2", "IMAP")]) == []

    def test_another_provider_is_a_new_place(self, mmdb: dict[str, str]) -> None:
        p = _with_geo(mmdb)
        (s,) = feed(p, [recv(at(15, "21:00"), host="91.65.1.2")])
        assert s.score == 25 and "a network it never used" in s.summary

    def test_a_new_country_adds(self, mmdb: dict[str, str]) -> None:
        p = _with_geo(mmdb)
        (s,) = feed(p, [recv(at(15, "21:00"), host="86.129.1.2")])
        assert s.score == 40 and "first time from GB (usually DE)" in s.summary

    def test_a_new_account_from_a_country_nobody_on_the_site_used(
        self, mmdb: dict[str, str]
    ) -> None:
        """An account with no history (new, or a mailbox silent until now) is judged by
        the site's places: a network new to the site is weak, and a country nobody on the
        site used adds what a first country adds for an account with history. A country
        the colleagues (two accounts or more) work from adds nothing."""
        p = pipeline("new_host", enrich=dict(mmdb))
        homes = [
            login(at(i % 14, "20:00") + i, (BOB, DAVE)[i % 2], f"84.13{i % 4}.{i}.7")
            for i in range(100)
        ]
        feed(p, [*office_history(BOB, days=14), *homes])
        (s,) = feed(p, [recv(at(15, "10:00"), user=ALICE, host="86.129.1.2")])
        assert s.score == 30 and "new to the site" in s.summary and "GB, a country" in s.summary
        (s,) = feed(p, [recv(at(15, "10:00"), user="carol@example.com", host="91.65.1.2")])
        assert s.score == 15 and "country" not in s.summary

    def test_a_country_only_one_account_used_is_not_the_site_s(self, mmdb: dict[str, str]) -> None:
        """One account's logins from a country (an intruder's, below any alert, learned
        at once) do not make it the site's: a mailbox silent until now first used from
        there is still judged by a country nobody else on the site works from."""
        p = pipeline("new_host", enrich=dict(mmdb))
        homes = [
            login(at(i % 14, "20:00") + i, (BOB, DAVE)[i % 2], f"84.13{i % 4}.{i}.7")
            for i in range(100)
        ]
        intruder = [login(at(14, "21:00") + i, BOB, f"86.129.2.{i}") for i in range(3)]
        feed(p, [*office_history(BOB, days=14), *homes, *intruder])
        (s,) = feed(p, [recv(at(15, "10:00"), user=ALICE, host="86.129.1.2")])
        assert s.score == 30 and "GB, a country" in s.summary
        feed(p, [login(at(15, "11:00"), DAVE, "86.129.3.3")])
        (s,) = feed(p, [recv(at(15, "12:00"), user="carol@example.com", host="86.129.4.2")])
        assert s.score == 15 and "country" not in s.summary

    def test_a_hosting_network_is_its_own_rule(self, mmdb: dict[str, str]) -> None:
        p = _with_geo(mmdb)
        signals = feed(p, [login(at(15, "11:00"), ALICE, "45.77.3.4")])
        assert rules(signals) == {RULE, RULE_HOSTING}
        (h,) = [s for s in signals if s.rule == RULE_HOSTING]
        assert h.score == 20 and "a hosting network (AS20473 AS-CHOOPA, US, hosting)" in h.summary
        assert h.side == "access"
        # once a day per network owner, not per address
        again = feed(p, [login(at(15, "11:30"), ALICE, "45.77.9.9")])
        assert RULE_HOSTING not in rules(again)

    def test_a_hosting_network_is_the_accounts_own_on_several_days_not_hits(
        self, mmdb: dict[str, str]
    ) -> None:
        """An intruder's three reads on one day (learned while its incident is low) do
        not make the hosting network one the account uses: days later its send from
        there is still a hosting network. A VPN it reads and sends from on three days is
        the owner's."""
        p = _with_geo(mmdb)
        feed(p, [login(at(15, f"1{i}:00"), ALICE, f"45.77.{i}.4", "IMAP") for i in range(3)])
        feed(p, [login(at(16, "14:00"), ALICE), login(at(17, "14:00"), ALICE)])  # the office
        assert p.ctx.profile(ALICE).asns["AS20473"][0] == 3  # learned: three uses, one day
        assert p.ctx.profile(ALICE).place_days("AS20473") == 1
        later = feed(p, [recv(at(18, "21:00"), host="45.77.7.7")])
        assert RULE_HOSTING in rules(later)
        q = _with_geo(mmdb)
        for d in range(15, 19):
            vpn = f"45.77.{d}.4"
            feed(q, [login(at(d, "19:00"), ALICE, vpn, "IMAP"), recv(at(d, "19:05"), host=vpn)])
        assert q.ctx.profile(ALICE).place_days("AS20473") >= 3
        assert RULE_HOSTING not in rules(feed(q, [recv(at(19, "21:00"), host="45.77.8.8")]))

    def test_reading_from_a_hosting_network_for_days_does_not_make_it_the_accounts(
        self, mmdb: dict[str, str]
    ) -> None:
        """An intruder reads from one cloud address for four days (each day's reads
        learned while its incident is low), then sends from it: still a hosting network,
        a place the account never sent from, not where people read their mail."""
        p = _with_geo(mmdb)
        cloud = "45.77.3.4"
        feed(p, [login(at(d, f"0{d - 13}:00"), ALICE, cloud, "IMAP") for d in range(15, 19)])
        assert p.ctx.profile(ALICE).place_days("AS20473") >= 3
        assert RULE_HOSTING in rules(feed(p, [recv(at(19, "11:00"), host=cloud)]))

    def test_one_night_of_sending_from_a_cloud_does_not_make_it_the_accounts(
        self, mmdb: dict[str, str]
    ) -> None:
        """A credential checker logs in from a rented server at night and sends one test
        message (learned when its incident stays below high); when it comes back days
        later from the same address to send, that is still a hosting network: an address
        sent from once is not a network used on several days. Once a VPN in a cloud has
        been read and sent from on three days, sending from a known address of it is
        quiet."""
        p = _with_geo(mmdb)
        checker = "45.77.3.4"
        check = feed(
            p, [login(at(15, "02:00"), ALICE, checker), recv(at(15, "02:01"), host=checker)]
        )
        assert RULE_HOSTING in rules(check)
        feed(p, [login(at(16, "14:00"), ALICE), login(at(17, "14:00"), ALICE)])  # the office
        assert checker in p.ctx.profile(ALICE).hosts  # learned: its incident stayed medium
        assert RULE_HOSTING in rules(feed(p, [recv(at(18, "19:00"), host=checker)]))
        q = _with_geo(mmdb)
        vpn = "45.77.8.8"
        for d in range(15, 18):
            feed(q, [login(at(d, "19:00"), ALICE, vpn, "IMAP"), recv(at(d, "19:05"), host=vpn)])
        assert RULE_HOSTING not in rules(feed(q, [recv(at(19, "21:00"), host=vpn)]))

    def test_days_of_use_of_a_network_owner(self) -> None:
        """Counted per UTC day; a profile saved before days were counted is read as the
        most days its uses and span allow (an established network stays established)."""
        day = 86400
        prof = Profile("a@example.com")
        for ts in (10 * day + 60, 10 * day + 120, 11 * day, 11 * day + 5, 14 * day):
            prof.learn_place("AS1", "DE", ts)
        assert prof.asns["AS1"] == [5, 10 * day + 60, 14 * day, 3] and prof.place_days("AS1") == 3
        old = Profile.from_dict({"account": "b@example.com", "asns": {"AS2": [9, 0, 20 * day]}})
        assert old.place_days("AS2") == 9 and old.place_days("AS3") == 0
        burst = Profile.from_dict({"account": "c@example.com", "asns": {"AS2": [3, 0, 600]}})
        assert burst.place_days("AS2") == 1
        burst.learn_place("AS2", "", 3 * day)
        assert burst.asns["AS2"] == [4, 0, 3 * day, 2]

    def test_bulk_senders_are_not_judged_for_hosting(self, mmdb: dict[str, str]) -> None:
        p = pipeline("new_host", enrich=dict(mmdb), users={ALICE: {"bulk": True}})
        feed(p, office_history(ALICE, days=14))
        assert RULE_HOSTING not in rules(feed(p, [login(at(15, "11:00"), ALICE, "45.77.3.4")]))


class TestGuessingOnTheOwnersNetwork:
    """A guessing address on the owner's own provider network (auth, with identity)."""

    def test_an_old_password_on_a_new_home_lease(self, mmdb: dict[str, str]) -> None:
        """After a password change the home PC keeps the old one: 30 failures for this
        account only, from a new lease of the home line's provider (another /24, another
        /16: a DSL reconnect), then the new password and mail. The owner, not a guess."""
        p = pipeline("auth", enrich=dict(mmdb))
        feed(p, [login(at(d, "20:00"), ALICE, f"84.13{d % 4}.{d}.7") for d in range(1, 14)])
        lease = "84.141.7.9"
        feed(p, [failed(at(15, "18:00") + 300 * i, lease, ALICE) for i in range(30)])
        signals = feed(p, [login(at(15, "21:00"), ALICE, lease), recv(at(15, "21:05"), host=lease)])
        assert rules(signals) & {RULE_GUESSED, RULE_SENT} == set()

    def test_the_same_guessing_on_another_provider_is_the_compromise(
        self, mmdb: dict[str, str]
    ) -> None:
        """The same failures and login from a provider the account never uses."""
        p = pipeline("auth", enrich=dict(mmdb))
        feed(p, [login(at(d, "20:00"), ALICE, f"84.13{d % 4}.{d}.7") for d in range(1, 14)])
        other = "91.65.7.9"
        feed(p, [failed(at(15, "18:00") + 300 * i, other, ALICE) for i in range(30)])
        signals = feed(p, [login(at(15, "21:00"), ALICE, other), recv(at(15, "21:05"), host=other)])
        assert {RULE_GUESSED, RULE_SENT} <= rules(signals)


HOSTILE_AS = '<img src=x onerror="alert(4)">Evil\x1b[31mHosting'


def test_country_and_network_in_user_and_report(tmp_path: Path) -> None:
    """``user`` and ``report`` name the network and country of outside addresses, with
    the AS name (it comes from a data file) escaped like log content."""
    asn = mmdb_writer.MMDBWriter(ip_version=4, database_type="GeoLite2-ASN")
    asn.insert_network(
        netaddr.IPSet(["45.77.0.0/16"]),
        {"autonomous_system_number": 64512, "autonomous_system_organization": HOSTILE_AS},
    )
    asn.to_db_file(str(tmp_path / "asn.mmdb"))
    config = tmp_path / "kw.toml"
    config.write_text(
        '[site]\nlocal_domains = ["example.com"]\ntrusted_networks = ["192.168.1.0/24"]\n'
        f'timezone = "UTC"\n\n[enrich]\nasn_db = "{tmp_path / "asn.mmdb"}"\n'
    )
    lines = []
    start = dt.datetime(2026, 3, 2, 9, 0)
    for day in range(10):
        for k, host in enumerate(("192.168.1.10", "192.168.1.10", "45.77.3.4")):
            when = start + dt.timedelta(days=day, hours=k)
            lines.append(
                recv_line(when, 0, day * 10 + k, sender=ALICE, to="bob@partner.test",
                          user=ALICE, host=host)
            )  # fmt: skip
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "mail.log").write_text("\n".join(lines) + "\n")
    db = str(tmp_path / "state.db")
    runner = CliRunner(env={"COLUMNS": "250"})
    scan = runner.invoke(
        main, ["scan", "--db", db, "--config", str(config), "--no-progress", str(logs)]
    )
    assert scan.exit_code in (0, 4), scan.output
    user = runner.invoke(main, ["user", ALICE, "--db", db, "--config", str(config)])
    assert user.exit_code == 0, user.output
    assert "45.77.3.4  10x outside LAN (AS64512 <img" in user.stdout
    assert "\x1b[31m" not in user.stdout and "\\x1b[31mHosting" in user.stdout
    data = runner.invoke(main, ["user", ALICE, "--db", db, "--config", str(config), "-f", "json"])
    places = json.loads(data.stdout)["normal"]["places"]
    assert {p["value"] for p in places} == {"AS64512"}
    html = tmp_path / "report.html"
    report = runner.invoke(
        main, ["report", "--db", db, "--config", str(config), "--days", "30", "-o", str(html)]
    )
    assert report.exit_code == 0, report.output
    page = html.read_text()
    assert "AS64512" in page and HOSTILE_AS not in page
    assert "&lt;img src=x onerror=" in page


def test_the_hosters_of_czechia_italy_and_brazil_are_hosting() -> None:
    """Rented servers there (WEDOS, Active24, Forpsi, VSHosting, Aruba, Locaweb) are
    hosting networks; the countries' home and mobile providers are not."""
    hosting = HostingList()
    for name in (
        "WEDOS Internet, a.s.",
        "ACTIVE 24, s.r.o.",
        "INTERNET CZ, a.s.",
        "VSHosting s.r.o.",
        "Aruba S.p.A.",
        "Locaweb Servicos de Internet SA",
    ):
        assert hosting.matches(0, name), name
    for name in (
        "O2 Czech Republic, a.s.",
        "T-Mobile Czech Republic a.s.",
        "Telecom Italia",
        "Fastweb",
        "Claro NXT Telecomunicacoes Ltda",
        "Setar N.V.",  # Aruba, the island's provider
    ):
        assert not hosting.matches(0, name), name
