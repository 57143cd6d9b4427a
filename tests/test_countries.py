"""The simulated site's country: its own networks at home, the others abroad."""

from __future__ import annotations

import ipaddress
import random

import pytest

from kerio_watch.config import EnrichConfig
from kerio_watch.enrich.geo import open_geo
from kerio_watch.simulate import SimConfig, netplan
from kerio_watch.simulate.countries import COUNTRIES, clock_shift, net_plan
from kerio_watch.simulate.site import SiteBuilder

OWN = ("home", "mobile", "hotel", "hosting")
FOREIGN = ("abroad", "hosting_abroad", "faraway")


def test_the_german_plan_is_the_default_one() -> None:
    """A default site is drawn from the same lists as before (goldens stay)."""
    plan = net_plan()
    assert plan == net_plan("DE") and SimConfig().country == "DE"
    assert plan.home == netplan.HOME_DE and plan.mobile == netplan.MOBILE_DE
    assert plan.hotel == netplan.HOTEL_DE and plan.hosting == netplan.HOSTING_DE
    assert plan.abroad == netplan.ABROAD and plan.hosting_abroad == netplan.HOSTING_ABROAD
    assert plan.faraway == netplan.FARAWAY


@pytest.mark.parametrize("country", COUNTRIES)
def test_own_networks_at_home_the_others_abroad(country: str) -> None:
    plan = net_plan(country)
    for name in OWN:
        nets = getattr(plan, name)
        assert nets and {n.country for n in nets} == {country}, name
    for name in FOREIGN:
        nets = getattr(plan, name)
        assert nets and country not in {n.country for n in nets}, name


@pytest.mark.parametrize("country", COUNTRIES)
def test_people_live_on_their_countrys_networks(country: str) -> None:
    plan = net_plan(country)
    site = SiteBuilder(random.Random(4), "example.com", 30, plan).build()
    homes = {p.home_net for p in site.users if p.home_net}
    carriers = {p.carrier for p in site.users if p.carrier}
    assert homes and homes <= {n.cidr for n in plan.home}
    assert carriers and carriers <= {n.cidr for n in plan.mobile}


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="country"):
        SimConfig(country="XX")
    with pytest.raises(ValueError, match="country"):
        net_plan("de")


def test_a_conference_abroad_keeps_the_venues_clock() -> None:
    """Hours the site's clock is ahead of the venue's (the German site as before)."""
    us, gb = (netplan.Net("1.0.0.0/8", c, "x") for c in ("US", "GB"))
    assert clock_shift(net_plan("DE"), us) == 6 and clock_shift(net_plan("DE"), gb) == 1
    assert clock_shift(net_plan("US"), gb) == -5 and clock_shift(net_plan("JP"), us) == 14


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_prefix_resolves_as_its_note_says(country: str) -> None:
    """geoip2fast's data resolves (almost) every address of each prefix to the country
    and owner noted, and hosting prefixes to hosting networks."""
    pytest.importorskip("geoip2fast")
    geo = open_geo(EnrichConfig(geo="geoip2fast"))
    plan = net_plan(country)
    rng = random.Random(7)
    for name in (*OWN, *FOREIGN):
        for net in getattr(plan, name):
            prefix = ipaddress.ip_network(net.cidr)
            infos = [
                geo.lookup(str(prefix[rng.randrange(1, prefix.num_addresses - 1)]))
                for _ in range(200)
            ]
            same = sum(i.country == net.country and i.as_name == net.owner for i in infos)
            assert same >= 194, (name, net, same)
            if name.startswith("hosting"):
                assert all(i.hosting for i in infos if i.as_name == net.owner), (name, net)
