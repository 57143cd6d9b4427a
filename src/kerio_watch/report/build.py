"""Building a report from the state database: hourly activity, profiles and incidents.

The default period is the last seven days of *log* time in the database (up to the
newest activity), not of the wall clock, so a report on last month's logs shows last
month. Each account is compared with its own norm: its sending in windows of the same
length over the weeks before the period, and the volume its profile learned for each
hour of the week.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable

from kerio_watch.config import Config
from kerio_watch.enrich.geo import open_geo
from kerio_watch.enrich.network import Networks
from kerio_watch.report import hardening, machines
from kerio_watch.report.guessing import ActivityRow, password_guessing
from kerio_watch.report.model import (
    BounceRow,
    GuessSource,
    Hardening,
    Heatmap,
    HostRow,
    HourCount,
    IncidentRow,
    OffHoursRow,
    Period,
    Report,
    SenderRow,
    TargetRow,
    Totals,
    TrafficBin,
    split_key,
)
from kerio_watch.report.outside import outside_hosts
from kerio_watch.report.periods import DEFAULT_DAYS, default_period, resolve_period
from kerio_watch.report.servertime import ServerTime, describe_active_hours
from kerio_watch.respond.views import response_section
from kerio_watch.severity import Severity
from kerio_watch.store.base import Store
from kerio_watch.values.profile import Profile

DAY = 86400
HISTORY_WINDOWS = 8
"""Earlier windows (of the period's length) that make an account's usual volume."""
TOP = 10
MAX_TRAFFIC_BINS = 240
HEATMAP_ACCOUNTS = 8
"""Accounts with a heatmap besides those with a high or critical incident (all shown)."""
MAX_INCIDENTS = 100_000
"""Incidents a report lists at most (every one of a period, in practice)."""
QUIET_SHARE = 0.01
"""An hour of the week holding less than this share of an account's mail is unusual."""
MIN_MESSAGES_FOR_HOURS = 20
"""Learned hours count only once the account has sent this many messages."""

__all__ = ["DEFAULT_DAYS", "ReportBuilder", "build_report", "default_period", "resolve_period"]


class ReportBuilder:
    """Gathers one period's data once and derives every section from it."""

    def __init__(
        self,
        store: Store,
        config: Config,
        period: Period,
        st: ServerTime,
        mail_server: str | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.period = period
        self.st = st
        self.mail_server = mail_server
        self.networks = Networks(config.site.trusted_networks)
        self.geo = open_geo(config.enrich)
        self.rows = store.activity(period.since, period.until)
        self.by_kind: dict[str, list[ActivityRow]] = defaultdict(list)
        for row in self.rows:
            if period.since <= row[0] < period.until:
                self.by_kind[row[2]].append(row)
        self._profiles: dict[str, Profile | None] = {}

    def profile(self, account: str) -> Profile | None:
        """An account's profile (cached)."""
        if account not in self._profiles:
            self._profiles[account] = self.store.load_profile(account)
        return self._profiles[account]

    # -- the whole report ---------------------------------------------------------
    def build(self) -> Report:
        """Every section."""
        incidents = self.incidents()
        off_basis = (
            f"outside office hours ({self.st.office_text})"
            if self.st.office is not None
            else "outside each account's learned hours"
        )
        by_messages, by_recipients = self.senders()
        sources, targets = self.guessing()
        hosts, more_hosts = self.external_hosts()
        return Report(
            period=self.period,
            time_note=self.st.note,
            off_hours_basis=off_basis,
            totals=self.totals(),
            incidents=incidents,
            top_by_messages=by_messages,
            top_by_recipients=by_recipients,
            external_hosts=hosts,
            external_hosts_more=more_hosts,
            off_hours=self.off_hours(),
            bounces=self.bounces(),
            guess_sources=sources,
            targets=targets,
            traffic=self.traffic(),
            heatmaps=self.heatmaps(incidents),
            hardening=self.hardening(),
            empty=not self.rows,
            response=response_section(
                self.store, self.period.since, self.period.until, self.st.iso
            ),
        )

    def totals(self) -> Totals:
        """Counts over the period."""
        t = Totals()
        k = self.by_kind
        t.sent = sum(r[4] for r in k["send"])
        t.recipients = sum(r[4] for r in k["rcpt"])
        t.inbound = sum(r[4] for r in k["inbound"])
        t.failed_logins = sum(r[4] for r in k["fail"])
        t.bounces = sum(r[4] for r in k["bounce"] if r[3] != "delayed")
        t.active_accounts = len({r[1] for r in k["send"]} | {r[1] for r in k["login"]})
        return t

    def incidents(self) -> list[IncidentRow]:
        """Incidents active in the period, and the high and critical ones opened before
        it that are still open (quiet, they wait for a decision: a report of the last
        days must not drop them), the most severe first."""
        found = self.store.incidents(
            since=self.period.since, until=self.period.until, limit=MAX_INCIDENTS
        )
        waiting = self.store.incidents(
            status="open",
            until=self.period.until,
            min_severity=int(Severity.HIGH),
            limit=MAX_INCIDENTS,
        )
        seen = {i.id for i in found}
        rows = [IncidentRow.of(i) for i in [*found, *(i for i in waiting if i.id not in seen)]]
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
        return sorted(rows, key=lambda r: (order.get(r.severity, 5), -r.score, -r.updated))

    # -- senders ------------------------------------------------------------------
    def _usual(self) -> dict[str, tuple[float, float]]:
        """account -> (median messages, median recipients) per earlier window."""
        length = self.period.seconds
        span = self.store.activity_span()
        first_hour = span[0] if span else self.period.since
        windows: list[tuple[int, dict[str, list[int]]]] = []
        for k in range(1, HISTORY_WINDOWS + 1):
            since = self.period.since - k * length
            if since < first_hour - length // 2:
                break
            totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for account, kind, n in self.store.account_totals(
                since, since + length, ("send", "rcpt")
            ):
                totals[account][0 if kind == "send" else 1] += n
            windows.append((since, totals))
        accounts = {a for _, totals in windows for a in totals}
        out: dict[str, tuple[float, float]] = {}
        for account in accounts:
            prof = self.profile(account)
            first = prof.first_ts if prof is not None and prof.first_ts else first_hour
            # Windows before the account existed do not count as quiet ones.
            values = [
                totals.get(account, [0, 0])
                for since, totals in windows
                if since >= first - length // 2
            ] or [totals.get(account, [0, 0]) for _, totals in windows]
            out[account] = (
                float(statistics.median(v[0] for v in values)),
                float(statistics.median(v[1] for v in values)),
            )
        return out

    def senders(self) -> tuple[list[SenderRow], list[SenderRow]]:
        """Top senders by messages and by recipients, against their norms."""
        messages: Counter[str] = Counter()
        recipients: Counter[str] = Counter()
        hourly: dict[str, Counter[int]] = defaultdict(Counter)
        for hour, account, _k, _key, n in self.by_kind["send"]:
            messages[account] += n
            hourly[account][hour] += n
        for _hour, account, _k, _key, n in self.by_kind["rcpt"]:
            recipients[account] += n
        usual = self._usual()
        rows: dict[str, SenderRow] = {}
        for account in set(messages) | set(recipients):
            prof = self.profile(account)
            peak_hour, peak = (None, 0)
            if hourly[account]:
                peak_hour, peak = hourly[account].most_common(1)[0]
            med, mad = 0.0, 0.0
            if prof is not None and peak_hour is not None:
                med, mad = prof.volume.norm(
                    self.st.how(peak_hour), prof.weeks_known(self.period.until)
                )
            u = usual.get(account)
            um = u[0] if u else None
            ur = u[1] if u else None
            above = (um is not None and messages[account] >= 2 * max(um, 1.0) + 10) or (
                ur is not None and recipients[account] >= 2 * max(ur, 1.0) + 30
            )
            above = above or (peak_hour is not None and peak >= med + max(10.0, 5 * mad))
            rows[account] = SenderRow(
                account,
                messages[account],
                recipients[account],
                um,
                ur,
                peak_hour,
                peak,
                med,
                mad,
                above,
            )
        by_messages = sorted(rows.values(), key=lambda r: (-r.messages, r.account))[:TOP]
        by_recipients = sorted(rows.values(), key=lambda r: (-r.recipients, r.account))[:TOP]
        return by_messages, by_recipients

    # -- hosts --------------------------------------------------------------------
    def external_hosts(self) -> tuple[list[HostRow], int]:
        """Sending and login addresses outside the trusted networks, per account (new
        places first, at most :data:`.outside.MAX_ROWS`), and how many more there were."""
        return outside_hosts(
            self.by_kind,
            self.networks.is_external,
            self.profile,
            self.period.since,
            lambda host: self.geo.lookup(host).label(),
        )

    # -- hours --------------------------------------------------------------------
    def _off_hours(self, account: str, hour: int) -> bool:
        inside = self.st.in_office_hours(hour)
        if inside is not None:
            return not inside
        prof = self.profile(account)
        if prof is None or sum(prof.how) < MIN_MESSAGES_FOR_HOURS:
            return False
        return prof.activity_share(self.st.how(hour)) < QUIET_SHARE

    def off_hours(self) -> list[OffHoursRow]:
        """Accounts that sent outside office hours (or their own usual hours)."""
        per: dict[str, Counter[int]] = defaultdict(Counter)
        for hour, account, _k, _key, n in self.by_kind["send"]:
            if self._off_hours(account, hour):
                per[account][hour] += n
        rows = []
        for account, hours in per.items():
            prof = self.profile(account)
            rows.append(
                OffHoursRow(
                    account,
                    sum(hours.values()),
                    [HourCount(h, c) for h, c in hours.most_common(5)],
                    describe_active_hours(prof.how) if prof else "unknown",
                )
            )
        return sorted(rows, key=lambda r: (-r.messages, r.account))[: TOP * 2]

    # -- bounces ------------------------------------------------------------------
    def bounces(self) -> list[BounceRow]:
        """Accounts whose mail bounced most."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for _h, account, _k, key, n in self.by_kind["bounce"]:
            counts[account][key] += n
        recipients: Counter[str] = Counter()
        for _h, account, _k, _key, n in self.by_kind["rcpt"]:
            recipients[account] += n
        rows = [
            BounceRow(account, c["dsn"], c["failed"], c["delayed"], recipients[account])
            for account, c in counts.items()
        ]
        return sorted(rows, key=lambda r: (-r.total, -r.delayed, r.account))[:TOP]

    # -- password guessing --------------------------------------------------------
    def guessing(self) -> tuple[list[GuessSource], list[TargetRow]]:
        """Sources of failed logins and the accounts they tried."""
        trusted = Networks(self.config.site.trusted_networks).is_trusted
        sources, targets = password_guessing(self.by_kind, trusted)
        return sources[: TOP * 2], targets[: TOP * 2]

    # -- traffic ------------------------------------------------------------------
    def traffic(self) -> list[TrafficBin]:
        """The server's traffic per hour (wider bins for long periods)."""
        hours = max(1, self.period.seconds // 3600)
        width = 3600 * max(1, -(-hours // MAX_TRAFFIC_BINS))
        start = self.period.since - self.period.since % 3600
        n_bins = -(-(self.period.until - start) // width)
        acc = [[0, 0, 0, 0, 0] for _ in range(n_bins)]
        slot = {"send": 0, "rcpt": 1, "inbound": 2, "fail": 3, "bounce": 4}
        for hour, kind, n in self.store.hourly_totals(
            self.period.since, self.period.until, tuple(slot)
        ):
            i = (hour - start) // width
            if 0 <= i < n_bins:
                acc[i][slot[kind]] += n
        return [
            TrafficBin(start + i * width, width, v[0], v[1], v[2], v[3], v[4])
            for i, v in enumerate(acc)
        ]

    def heatmaps(self, incidents: Iterable[IncidentRow]) -> list[Heatmap]:
        """Hour-of-week sending of the accounts with incidents."""
        accounts: list[str] = []
        serious = 0
        for inc in incidents:  # the most severe first
            if inc.user and inc.user not in accounts:
                accounts.append(inc.user)
                serious += inc.severity in ("high", "critical")
        out = []
        for account in accounts[: max(serious, HEATMAP_ACCOUNTS)]:
            period = [0] * 168
            for hour, acct, _k, _key, n in self.by_kind["send"]:
                if acct == account:
                    period[self.st.how(hour)] += n
            prof = self.profile(account)
            usual = list(prof.how) if prof is not None else [0] * 168
            out.append(Heatmap(account, usual, period, describe_active_hours(usual)))
        return out

    # -- hardening ----------------------------------------------------------------
    def hardening(self) -> Hardening:
        """Services per account, outside access, the egress rule."""
        seen: dict[str, dict[str, int]] = defaultdict(dict)
        for kind in ("login", "send"):
            for _h, account, _k, key, n in self.by_kind[kind]:
                name = split_key(key)[0]
                if name:
                    seen[account][name] = seen[account].get(name, 0) + n
        profiles = [p for p in (self.profile(a) for a in self.store.accounts()) if p is not None]
        spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for inc in self.store.incidents(limit=5000):
            if inc.user and inc.status != "benign" and inc.severity >= hardening.SUSPECT_FROM:
                spans[inc.user].append((inc.first_signal or inc.opened, inc.updated))
        uses = hardening.service_use(profiles, seen, spans)
        return Hardening(
            uses,
            hardening.policy_groups(uses),
            hardening.external_access(self.by_kind["login"], self.networks),
            hardening.egress_rule(self.mail_server),
        )


def build_report(
    store: Store,
    config: Config,
    period: Period,
    st: ServerTime,
    mail_server: str | None = None,
) -> Report:
    """The report for one period."""
    server = mail_server or machines.known_mail_server(store, config)
    report = ReportBuilder(store, config, period, st, server).build()
    report.direct_smtp = machines.direct_smtp_section(store, config, period)
    return report
