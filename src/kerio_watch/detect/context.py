"""What every detector may consult: configuration, networks, clock, profiles, sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kerio_watch.detect.site import SiteProfile
from kerio_watch.enrich.geo import NetInfo, open_geo
from kerio_watch.enrich.messages import MessageTracker, SessionTracker
from kerio_watch.enrich.network import Networks, network_of
from kerio_watch.settings.config import Config
from kerio_watch.settings.site import UserConfig
from kerio_watch.timebase import Timebase
from kerio_watch.values.profile import Profile
from kerio_watch.values.signal import Signal


class IncidentLookup(Protocol):
    """What detectors may ask about the open incidents (the incident engine answers)."""

    def severity_of(self, key: str) -> int:
        """Severity (as int) of the key's open incident, 0 if none."""
        ...

    def opened_at(self, key: str) -> int | None:
        """Log time the key's open incident opened, None if none."""
        ...

    def evidence_since(self, key: str) -> int | None:
        """Log time the evidence of the key's open verdict began, None if none."""
        ...

    def shared_on(self, key: str, address: str | None = None) -> bool:
        """Whether the key's open incident gave its access alone from ``address`` (any
        address, with None) to the address's own incident (one cause, one alert)."""
        ...

    def hijacked_from(self, address: str, account: str, ts: int) -> str | None:
        """Another account whose open hijack was worked from ``address`` in the day
        before ``ts``, None if none."""
        ...

    def signal_from(self, key: str, rule: str, address: str, since: int) -> Signal | None:
        """The latest signal of ``rule`` from ``address`` that still counts in the key's
        open incident, at or after log time ``since``; None if none."""
        ...


class NoIncidents:
    """An :class:`IncidentLookup` with no incident open (a context without an engine)."""

    def severity_of(self, key: str) -> int:
        """Always 0."""
        return 0

    def opened_at(self, key: str) -> int | None:
        """Always None."""
        return None

    def evidence_since(self, key: str) -> int | None:
        """Always None."""
        return None

    def shared_on(self, key: str, address: str | None = None) -> bool:
        """Always False."""
        return False

    def hijacked_from(self, address: str, account: str, ts: int) -> str | None:
        """Always None."""
        return None

    def signal_from(self, key: str, rule: str, address: str, since: int) -> Signal | None:
        """Always None."""
        return None


class Context:
    """Shared, read-mostly state for one run of the pipeline.

    Profiles are loaded lazily through ``load_profile`` (the store) and kept in memory
    for the run; ``dirty`` lists the accounts whose profile changed since the last save.
    """

    def __init__(
        self,
        config: Config,
        timebase: Timebase,
        load_profile: Callable[[str], Profile | None] | None = None,
        incidents: IncidentLookup | None = None,
    ) -> None:
        self.config = config
        self.timebase = timebase
        self.networks = Networks(config.site.trusted_networks)
        self.geo = open_geo(config.enrich)
        """Country and AS of outside addresses (:mod:`kerio_watch.enrich.geo`)."""
        self.local_domains: set[str] = set(config.site.local_domains)
        self.learn_domains = not config.site.local_domains
        self.domain_aliases = dict(config.site.domain_aliases)
        self.profiles: dict[str, Profile] = {}
        self.dirty: set[str] = set()
        self.messages = MessageTracker()
        self.sessions = SessionTracker()
        self.incidents: IncidentLookup = incidents if incidents is not None else NoIncidents()
        """The open incidents (the pipeline's incident engine)."""
        self.now = 0
        """Latest log time processed; set by the pipeline before it saves state."""
        self.site = SiteProfile()
        """Site-wide norms: the warm-up baseline for accounts with little history."""
        self._net_cache: dict[str, str] = {}
        self._load_profile = load_profile
        self._how_cache: dict[int, int] = {}
        self.office = config.site.office

    # -- accounts -----------------------------------------------------------------------
    def profile(self, account: str) -> Profile:
        """The account's profile, loaded or created."""
        prof = self.profiles.get(account)
        if prof is None:
            prof = self._load_profile(account) if self._load_profile else None
            if prof is None:
                prof = Profile(account)
                user = self.config.user(account)
                prof.bulk = bool(user and user.bulk)
            self.profiles[account] = prof
        return prof

    def is_account(self, address: str) -> bool:
        """Whether someone logs in as this address (it sent mail or logged in as itself):
        a colleague's account, not a role or alias address."""
        prof = self.profiles.get(address)
        if prof is None and self._load_profile is not None:
            prof = self._load_profile(address)
            if prof is not None:
                self.profiles[address] = prof
        return prof is not None and (prof.messages > 0 or bool(prof.login_ips))

    def user_config(self, account: str) -> UserConfig | None:
        """The configured settings of an account."""
        return self.config.user(account)

    def note_local_domain(self, address: str) -> None:
        """Learn a local domain from an authenticated user (when none are configured)."""
        if self.learn_domains:
            domain = address.rpartition("@")[2]
            if domain:
                self.local_domains.add(domain)

    def is_local(self, address: str) -> bool:
        """An address in a domain this server hosts (or an alias domain of one)."""
        domain = address.rpartition("@")[2]
        return domain in self.local_domains or domain in self.domain_aliases

    def canonical(self, address: str) -> str:
        """Map an alias-domain address to its primary domain."""
        local, _, domain = address.rpartition("@")
        target = self.domain_aliases.get(domain)
        return f"{local}@{target}" if target else address

    def is_own_address(self, account: str, address: str) -> bool:
        """The address is the account itself, a configured alias, or via an alias domain."""
        if address == account or self.canonical(address) == account:
            return True
        user = self.config.user(account)
        return bool(user and address in user.aliases)

    def network_of(self, host: str) -> str:
        """The /24 (IPv4) or /48 (IPv6) around an address, cached."""
        net = self._net_cache.get(host)
        if net is None:
            net = network_of(host)
            if len(self._net_cache) > 200_000:
                self._net_cache.clear()
            self._net_cache[host] = net
        return net

    def net_info(self, host: str | None) -> NetInfo:
        """Country, AS and hosting flag of an outside address (cached; empty if unknown)."""
        return self.geo.lookup(host)

    def place_of(self, host: str) -> str:
        """One place for an account: the AS of an address, else its /24."""
        return self.net_info(host).as_key or self.network_of(host)

    def describe_host(self, host: str | None) -> str:
        """``185.1.2.3 (AS9009 M247 Europe SRL, RO, hosting)``, or the bare address."""
        if not host:
            return "an unknown address"
        if not self.networks.is_external(host):
            return f"{host} (trusted network)"
        label = self.net_info(host).label()
        return f"{host} ({label})" if label else host

    # -- time ---------------------------------------------------------------------------
    def hour_of_week(self, ts: int) -> int:
        """0..167: Monday 00:00-00:59 local time is 0."""
        hour = ts // 3600
        cached = self._how_cache.get(hour)
        if cached is None:
            local = self.timebase.localize(ts)
            cached = local.weekday() * 24 + local.hour
            if len(self._how_cache) > 50_000:
                self._how_cache.clear()
            self._how_cache[hour] = cached
        return cached

    def week_index(self, ts: int) -> int:
        """Weeks since the epoch (local Monday boundaries are close enough for buckets)."""
        return (ts + 3 * 86400) // (7 * 86400)

    def in_office_hours(self, ts: int) -> bool | None:
        """Inside the configured office hours; None when none are configured."""
        if self.office is None:
            return None
        days, start, end = self.office
        local = self.timebase.localize(ts)
        minute = local.hour * 60 + local.minute
        return local.weekday() in days and start <= minute < end

    @staticmethod
    def describe_how(how: int) -> str:
        """``"Mondays at 02:00"`` for an hour-of-week."""
        days = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
        return f"{days[how // 24]} at {how % 24:02d}:00"
