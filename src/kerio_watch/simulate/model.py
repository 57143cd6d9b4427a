"""Public values of the demo simulator: its configuration, the planted scenarios and the result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from kerio_watch.simulate.countries import COUNTRIES

#: Every scenario kind the simulator can plant, hijacks first.
HIJACK_KINDS: tuple[str, ...] = (
    "night_burst",
    "spoofed_from",
    "webmail_takeover",
    "guess_then_spam",
    "low_and_slow",
    "proxy_drip",
    "reply_chain",
    "aitm_session",
    "stuffing_spam",
    "botnet_spam",
)
BENIGN_KINDS: tuple[str, ...] = (
    "traveller",
    "late_worker",
    "newsletter",
    "erp_invoices",
    "helpdesk",
    "mass_mailing",
    "catch_up",
    "new_phone",
    "conference",
    "shared_mailbox",
    "assistant_alias",
    "erp_month_end",
)
SCENARIO_KINDS: tuple[str, ...] = HIJACK_KINDS + BENIGN_KINDS
#: Planted only with ``SimConfig.forwarding`` (:mod:`.forwards`): filter rules.
FORWARD_HIJACK_KINDS: tuple[str, ...] = ("forward_rule",)
FORWARD_BENIGN_KINDS: tuple[str, ...] = ("forwarder", "vacation_reply", "private_forward")
#: Planted only with ``SimConfig.admin`` (:mod:`.admin`): administration from outside.
ADMIN_HIJACK_KINDS: tuple[str, ...] = ("admin_takeover",)
ADMIN_BENIGN_KINDS: tuple[str, ...] = ("remote_admin",)
#: Planted only with ``SimConfig.lateral`` (:mod:`.lateral`): mail to the staff.
LATERAL_HIJACK_KINDS: tuple[str, ...] = ("internal_phish",)
LATERAL_BENIGN_KINDS: tuple[str, ...] = ("all_staff",)
#: Planted only with ``SimConfig.newcomer`` (:mod:`.newcomer`): a new colleague's first week.
NEWCOMER_BENIGN_KINDS: tuple[str, ...] = ("newcomer",)
#: Planted only with ``SimConfig.recon`` (:mod:`.recon`): an intruder reads for days first.
RECON_HIJACK_KINDS: tuple[str, ...] = ("read_then_spam",)
#: Planted only with ``SimConfig.shifts`` (:mod:`.shifts`): what a held-out site may hold.
SHIFT_HIJACK_KINDS: tuple[str, ...] = ("dormant_takeover", "desk_malware")
SHIFT_BENIGN_KINDS: tuple[str, ...] = ("office_isp", "vpn_user", "home_isp_change")
#: Planted only with ``SimConfig.noise`` (:mod:`.noise`): machines and stale devices.
NOISE_BENIGN_KINDS: tuple[str, ...] = ("stale_device", "copier", "new_copier", "cloud_app")
#: Planted only with ``SimConfig.attacks`` (:mod:`.attacks`): attacks no issue names.
ATTACK_HIJACK_KINDS: tuple[str, ...] = ("shared_proxy", "bec_fraud", "relay_drip")
#: Planted only with ``SimConfig.heldout`` (:mod:`.heldout`): kinds no other group plants.
HELDOUT_HIJACK_KINDS: tuple[str, ...] = (
    "spray_then_read",
    "mobile_proxy",
    "session_replay",
    "imap_exfil",
)
HELDOUT_BENIGN_KINDS: tuple[str, ...] = ("archive_reader", "phone_swap", "quota_cleanup")
#: Planted only with ``SimConfig.heldout2`` (:mod:`.heldout2`): round two of them.
HELDOUT2_HIJACK_KINDS: tuple[str, ...] = ("lan_night_spam", "vpn_intruder", "autoreply_lure")
HELDOUT2_BENIGN_KINDS: tuple[str, ...] = ("field_engineer", "outside_bookkeeper", "leave_abroad")
#: Planted only with ``SimConfig.heldout3`` (:mod:`.heldout3`): traces outside mail.log.
HELDOUT3_HIJACK_KINDS: tuple[str, ...] = ("inbox_diversion", "device_pair", "admin_alias")
HELDOUT3_BENIGN_KINDS: tuple[str, ...] = ("mass_archive", "holiday_phone", "admin_from_home")
#: Planted only with ``SimConfig.heldout4`` (:mod:`.heldout4`): invitations, replies, a check.
HELDOUT4_HIJACK_KINDS: tuple[str, ...] = ("invite_spam", "reply_mule", "check_then_sell")
HELDOUT4_BENIGN_KINDS: tuple[str, ...] = ("event_invitation", "junk_cleanup", "laptop_setup")
#: Planted only with ``SimConfig.heldout5`` (:mod:`.heldout5`): a thin campaign, a mimic, resets.
HELDOUT5_HIJACK_KINDS: tuple[str, ...] = ("thin_campaign", "mimic_spam", "reset_pivot")
HELDOUT5_BENIGN_KINDS: tuple[str, ...] = ("leave_backlog", "fair_followup", "assistant_home")
#: Planted only with ``SimConfig.heldout6`` (:mod:`.heldout6`): a botnet, a copier, a thread hijack.
HELDOUT6_HIJACK_KINDS: tuple[str, ...] = ("botnet_guess", "scanner_takeover", "vpn_thread_spam")
HELDOUT6_BENIGN_KINDS: tuple[str, ...] = ("failed_spray", "scan_cloud", "vpn_catchup")
#: Planted only with ``SimConfig.heldout7`` (:mod:`.heldout7`): a laptop, a bank change, a role box.
HELDOUT7_HIJACK_KINDS: tuple[str, ...] = ("laptop_theft", "bank_change", "role_box_spam")
HELDOUT7_BENIGN_KINDS: tuple[str, ...] = ("holiday_greetings", "team_move", "night_shift")
#: Every hijack kind, the opt-in ones too.
ALL_HIJACK_KINDS: frozenset[str] = frozenset(
    (
        *HIJACK_KINDS,
        *FORWARD_HIJACK_KINDS,
        *ADMIN_HIJACK_KINDS,
        *LATERAL_HIJACK_KINDS,
        *RECON_HIJACK_KINDS,
        *SHIFT_HIJACK_KINDS,
        *ATTACK_HIJACK_KINDS,
        *HELDOUT_HIJACK_KINDS,
        *HELDOUT2_HIJACK_KINDS,
        *HELDOUT3_HIJACK_KINDS,
        *HELDOUT4_HIJACK_KINDS,
        *HELDOUT5_HIJACK_KINDS,
        *HELDOUT6_HIJACK_KINDS,
        *HELDOUT7_HIJACK_KINDS,
    )
)
#: The kinds each opt-in group plants (``SimConfig`` field -> kinds): a kind of a group
#: asked for that is not in the truth was not planted (:attr:`SimResult.unplanted`).
GROUP_KINDS: dict[str, tuple[str, ...]] = {
    "scenarios": SCENARIO_KINDS,
    "forwarding": FORWARD_HIJACK_KINDS + FORWARD_BENIGN_KINDS,
    "admin": ADMIN_HIJACK_KINDS + ADMIN_BENIGN_KINDS,
    "lateral": LATERAL_HIJACK_KINDS + LATERAL_BENIGN_KINDS,
    "newcomer": NEWCOMER_BENIGN_KINDS,
    "recon": RECON_HIJACK_KINDS,
    "shifts": SHIFT_HIJACK_KINDS + SHIFT_BENIGN_KINDS,
    "noise": NOISE_BENIGN_KINDS,
    "attacks": ATTACK_HIJACK_KINDS,
    "heldout": HELDOUT_HIJACK_KINDS + HELDOUT_BENIGN_KINDS,
    "heldout2": HELDOUT2_HIJACK_KINDS + HELDOUT2_BENIGN_KINDS,
    "heldout3": HELDOUT3_HIJACK_KINDS + HELDOUT3_BENIGN_KINDS,
    "heldout4": HELDOUT4_HIJACK_KINDS + HELDOUT4_BENIGN_KINDS,
    "heldout5": HELDOUT5_HIJACK_KINDS + HELDOUT5_BENIGN_KINDS,
    "heldout6": HELDOUT6_HIJACK_KINDS + HELDOUT6_BENIGN_KINDS,
    "heldout7": HELDOUT7_HIJACK_KINDS + HELDOUT7_BENIGN_KINDS,
}
#: Machines on the LAN that speak SMTP to the internet (firewall log), infected first.
HOST_MALICIOUS_KINDS: tuple[str, ...] = ("infected_pc",)
HOST_BENIGN_KINDS: tuple[str, ...] = ("mail_server", "smarthost", "swaks_test", "monitoring_probe")
HOST_KINDS: tuple[str, ...] = HOST_MALICIOUS_KINDS + HOST_BENIGN_KINDS
#: Firewall log formats the simulator writes ("auto": one per seed, in this order).
FIREWALL_FORMATS: tuple[str, ...] = ("netfilter", "filterlog", "pfirewall", "control")

#: Log name -> file name, in the order the files are listed in a result.
LOG_FILES: dict[str, str] = {
    "mail": "mail.log",
    "security": "security.log",
    "audit": "audit.log",
    "operations": "operations.log",
    "spam": "spam.log",
    "warning": "warning.log",
    "config": "config.log",
}


@dataclass(frozen=True)
class SimConfig:
    """What to simulate.

    The defaults cover four weeks from Monday 2 March 2026 plus Monday 30 March, so the run
    crosses the Europe/Berlin change to summer time on Sunday 29 March 2026 (02:00 local does
    not exist that night) and ends with one working day at the new offset.
    """

    seed: int = 1
    start: date = date(2026, 3, 2)  # a Monday
    days: int = 29
    users: int = 40  # ordinary mailbox accounts
    domain: str = "example.com"  # primary local domain; a second one (example.org) is derived
    timezone: str = "Europe/Berlin"  # site zone: lines carry local time, Queue-IDs UTC epoch
    scenarios: bool = True  # plant hijacks and benign look-alikes
    max_mail_lines: int | None = None  # stop when mail.log reaches this many lines
    only_mail: bool = False  # write only mail.log (benchmarks)
    firewall: str | None = "auto"  # firewall log format (FIREWALL_FORMATS), "auto" or None
    forwarding: bool = False  # plant filter rules: forwards and auto-replies (Service: Sieve)
    admin: bool = False  # plant remote administration and an administrator takeover
    lateral: bool = False  # plant internal phishing and an announcement to the staff
    newcomer: bool = False  # plant a new colleague's first week
    recon: bool = False  # plant an intruder that reads for days from a cloud, then spams
    shifts: bool = False  # a server outside the office; the office changes provider, and more
    noise: bool = False  # a phone with an old password, copiers, a web shop in a cloud
    attacks: bool = False  # plant attacks no issue names: a shared proxy, BEC, a relay drip
    heldout: bool = False  # plant kinds no other group plants: a spray, a mobile proxy, ...
    heldout2: bool = False  # round two: spam from a desk PC at night, an intruder on the VPN, ...
    heldout3: bool = False  # round three: mail hidden in a folder, a phone paired from abroad, ...
    heldout4: bool = False  # round four: invitation spam, a reply mule, a checked password sold
    heldout5: bool = False  # round five: a campaign spread thin, a mimic, password resets hidden
    heldout6: bool = False  # round six: a botnet guessing, a copier's account, a thread hijack
    heldout7: bool = False  # round seven: a stolen laptop, a bank change, a role mailbox
    country: str = "DE"  # the site's country: its people's home, mobile and hotel networks
    remote: float = 0.0  # share of the staff working from home lines for good (remote-first)
    webmail_proxy: bool = False  # web logins logged at a reverse proxy's LAN address
    shift_work: bool = False  # rotating shifts round the clock and a branch office abroad
    ipv6: float = 0.0  # share of home lines, phones and attackers' servers on IPv6
    hosting: int = 0  # companies on one provider's server, each on its own domain (0: one)
    role_mailboxes: bool = False  # most of the staff also works in shared role mailboxes

    @property
    def firewall_format(self) -> str | None:
        """The firewall log to write, or None."""
        if self.firewall is None or self.only_mail or self.shifts:  # no office firewall
            return None
        if self.firewall == "auto":
            return FIREWALL_FORMATS[self.seed % len(FIREWALL_FORMATS)]
        return self.firewall

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if self.users < 1:
            raise ValueError(f"users must be at least 1, got {self.users}")
        if self.max_mail_lines is not None and self.max_mail_lines < 0:
            raise ValueError(f"max_mail_lines must not be negative, got {self.max_mail_lines}")
        if "@" in self.domain or "." not in self.domain:
            raise ValueError(f"domain must be a bare domain name, got {self.domain!r}")
        if not 0.0 <= self.remote <= 1.0:
            raise ValueError(f"remote must be a share from 0 to 1, got {self.remote}")
        if not 0.0 <= self.ipv6 <= 1.0:
            raise ValueError(f"ipv6 must be a share from 0 to 1, got {self.ipv6}")
        if self.hosting < 0:
            raise ValueError(f"hosting must be a number of companies, got {self.hosting}")
        if self.country not in COUNTRIES:
            raise ValueError(f"country must be one of {COUNTRIES}, got {self.country!r}")
        if self.firewall not in (None, "auto", *FIREWALL_FORMATS):
            raise ValueError(f"firewall must be one of {FIREWALL_FORMATS}, got {self.firewall!r}")


@dataclass(frozen=True)
class Scenario:
    """One planted hijack (``malicious=True``) or benign look-alike, as ground truth."""

    kind: str
    account: str
    malicious: bool
    start: datetime  # aware UTC: the first bad (or odd) message
    end: datetime  # aware UTC: the last line the scenario wrote to mail.log
    source_ip: str | None
    description: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, times as ISO 8601 UTC."""
        return {
            "kind": self.kind,
            "account": self.account,
            "malicious": self.malicious,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "source_ip": self.source_ip,
            "description": self.description,
        }


@dataclass(frozen=True)
class HostScenario:
    """A planted machine that speaks SMTP to the internet (firewall log), as ground truth."""

    kind: str
    host: str  # the machine's LAN address
    malicious: bool
    start: datetime  # aware UTC: its first SMTP connection
    end: datetime  # aware UTC: its last one
    users: tuple[str, ...]  # the accounts that use the machine
    description: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, times as ISO 8601 UTC."""
        return {
            "kind": self.kind,
            "host": self.host,
            "malicious": self.malicious,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "users": list(self.users),
            "description": self.description,
        }


@dataclass(frozen=True)
class SimResult:
    """What :func:`kerio_watch.simulate.simulate` wrote."""

    directory: Path
    files: dict[str, Path]  # log name -> path
    lines: dict[str, int]  # log name -> lines written
    scenarios: tuple[Scenario, ...]
    accounts: tuple[str, ...]  # all local accounts
    aliases: dict[str, tuple[str, ...]]  # account -> From aliases it legitimately uses
    trusted_networks: tuple[str, ...]  # the LAN/VPN CIDRs of the site
    config_toml: str  # a kerio-watch TOML config for this site
    hosts: tuple[HostScenario, ...] = ()  # planted machines (firewall log)
    firewall_file: Path | None = None  # the firewall log written, if any
    firewall_lines: int = 0
    unplanted: tuple[tuple[str, str], ...] = ()
    """(kind, why) of the kinds of the groups asked for that were not planted: no account
    was free for them (every account another scenario's, or none with what they need),
    or they wrote nothing before the logs end."""
