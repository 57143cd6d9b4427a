"""Hardening advice from what the logs show.

- Per account, the Kerio services it actually used, so the others can be disallowed in
  its access policy (a stolen password is then useless over POP3 or ActiveSync if the
  account never used them); accounts with the same set are grouped into one policy.
- Accounts reached from outside the trusted networks, per service.
- An egress rule for the LAN firewall that lets only the mail server reach the mail
  ports (nftables, iptables, pfSense/OPNsense, Kerio Control): an infected PC that talks
  SMTP straight to the internet never touches Kerio, so nothing in its logs would show
  it. The firewall then logs the attempts, and kerio-watch reads those logs
  (docs/firewall.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from kerio_watch.enrich.network import Networks
from kerio_watch.report.model import (
    EgressRule,
    ExternalAccess,
    PolicyGroup,
    ServiceUse,
    split_key,
)
from kerio_watch.severity import Severity
from kerio_watch.values.profile import Profile

ACCESS_SERVICES: tuple[tuple[str, str], ...] = (
    ("SMTP", "sending with a mail client (authenticated SMTP)"),
    ("IMAP", "IMAP mail clients"),
    ("POP3", "POP3 mail clients"),
    ("WebMail", "Kerio Connect Client (webmail)"),
    ("KOFF", "Kerio Outlook Connector"),
    ("ActiveSync", "phones and tablets (Exchange ActiveSync)"),
    ("EWS", "Exchange Web Services (Outlook for Mac, Apple Mail)"),
    ("WebDAV", "CalDAV, CardDAV and WebDAV"),
    ("XMPP", "instant messaging"),
)
"""Services of a Kerio Connect access policy, in the order its dialog lists them."""

MAIL_PORTS = (25, 465, 587, 2525)
SUSPECT_FROM = Severity.HIGH
"""Services first used around an incident at least this severe may be the intruder's. A
weaker incident (an info one on the first day of learning, say) says nothing about the
services the account went on using every day."""

_MATCHES: tuple[tuple[str, str], ...] = (
    ("ACTIVESYNC", "ActiveSync"),
    ("EWS", "EWS"),
    ("KOFF", "KOFF"),
    ("OUTLOOK", "KOFF"),
    ("WEBMAIL", "WebMail"),
    ("KERIO CONNECT", "WebMail"),
    ("WEBCLIENT", "WebMail"),
    ("CALDAV", "WebDAV"),
    ("CARDDAV", "WebDAV"),
    ("WEBDAV", "WebDAV"),
    ("XMPP", "XMPP"),
    ("JABBER", "XMPP"),
)


def access_service(logged: str) -> str | None:
    """The access-policy service behind a logged protocol or ``Service:`` name.

    >>> access_service("HTTP/WebMail"), access_service("Kerio Outlook Connector")
    ('WebMail', 'KOFF')
    >>> access_service("IMAPS"), access_service("HTTP/WebAdmin") is None
    ('IMAP', True)
    """
    upper = logged.upper()
    for needle, service in _MATCHES:
        if needle in upper:
            return service
    for prefix in ("SMTP", "IMAP", "POP3"):
        if upper.startswith(prefix):
            return prefix
    return None


def service_use(
    profiles: Iterable[Profile],
    seen: dict[str, dict[str, int]],
    incident_spans: dict[str, list[tuple[int, int]]] | None = None,
) -> list[ServiceUse]:
    """Services used per account: learned by the profile, plus seen in the period.

    Args:
        profiles: the accounts' profiles.
        seen: account -> logged name -> uses in the period (logins and sends).
        incident_spans: account -> (opened, updated) of its incidents that reached
            :data:`SUSPECT_FROM` and were not found benign; a service first used around
            one may be the intruder's.
    """
    names = [name for name, _ in ACCESS_SERVICES]
    spans = incident_spans or {}
    out: list[ServiceUse] = []
    by_account = {p.account: p for p in profiles}
    for account in sorted(set(by_account) | set(seen)):
        prof = by_account.get(account)
        learned = dict(prof.services) if prof is not None else {}
        raw = sorted(set(learned) | set(seen.get(account, {})))
        used = {s for s in (access_service(r) for r in raw) if s}
        trusted: set[str] = set()
        for name, entry in learned.items():
            service = access_service(name)
            first = entry[1]
            near = any(
                opened - 3600 <= first <= updated for opened, updated in spans.get(account, [])
            )
            if service and not near:
                trusted.add(service)
        suspect = used - trusted
        out.append(
            ServiceUse(
                account,
                [n for n in names if n in used],
                [n for n in names if n not in used],
                raw,
                [n for n in names if n in suspect],
            )
        )
    return out


def policy_groups(uses: list[ServiceUse]) -> list[PolicyGroup]:
    """Accounts grouped by the exact set of services they used, biggest group first."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for use in uses:
        owned = tuple(s for s in use.used if s not in use.suspect)
        if owned:
            groups.setdefault(owned, []).append(use.account)
    names = [name for name, _ in ACCESS_SERVICES]
    return sorted(
        (
            PolicyGroup(list(used), [n for n in names if n not in used], sorted(accounts))
            for used, accounts in groups.items()
        ),
        key=lambda g: (-len(g.accounts), g.used),
    )


def external_access(
    logins: Iterable[tuple[int, str, str, str, int]], networks: Networks
) -> list[ExternalAccess]:
    """Accounts that logged in from outside the trusted networks, per logged service.

    Args:
        logins: ``login`` activity rows (hour, account, kind, key, count).
        networks: the trusted networks.
    """
    found: dict[tuple[str, str], tuple[set[str], int, int]] = {}
    for hour, account, _kind, key, count in logins:
        protocol, ip, _agent = split_key(key)
        if not networks.is_external(ip):
            continue
        addresses, n, last = found.get((account, protocol), (set(), 0, 0))
        addresses.add(ip)
        found[(account, protocol)] = (addresses, n + count, max(last, hour))
    return sorted(
        (
            ExternalAccess(account, protocol, sorted(addrs), n, last)
            for (account, protocol), (addrs, n, last) in found.items()
        ),
        key=lambda e: (-e.count, e.account, e.service),
    )


WHY_EGRESS = (
    "An infected PC on the LAN does not need your mail server to send spam: it can talk "
    "SMTP straight to mail servers on the internet. Nothing of that passes through Kerio "
    "Connect, so nothing shows in its logs, in this report or in any kerio-watch alert, "
    "while your public address lands on blocklists. With this rule on the LAN's firewall "
    "only the mail server may open connections to ports 25, 465, 587 and 2525; every "
    "other machine's attempt is rejected and logged, and the firewall log names the "
    "infected machine (give that log to kerio-watch and it raises an incident naming the "
    "machine's users). Users' mail clients are not affected: they submit to the mail "
    "server, which is on the inside."
)


def _pfsense(server: str, v6: bool) -> str:
    family = "IPv6" if v6 else "IPv4"
    ports = " ".join(str(p) for p in MAIL_PORTS)
    return (
        "# pfSense or OPNsense (web interface). Firewall > Aliases > Ports:\n"
        f"#   name MAIL_PORTS, ports {ports}\n"
        "# Firewall > Rules > LAN, these two at the top, in this order:\n"
        f"#   1. Pass    {family}  TCP  source: single host {server}  destination: any\n"
        "#              destination port: MAIL_PORTS   description: mail server may send\n"
        "#   2. Reject  IPv4+IPv6  TCP  source: LAN net  destination: any\n"
        "#              destination port: MAIL_PORTS   Log: on\n"
        "#              description: no direct SMTP from the LAN\n"
        "# The rejected attempts go to the filter log (filterlog); forward it by syslog or\n"
        "# give /var/log/filter.log to kerio-watch.\n"
    )


def _kerio_control(server: str) -> str:
    ports = ", ".join(str(p) for p in MAIL_PORTS)
    return (
        "# Kerio Control (administration interface).\n"
        f"# Definitions > Services: a group MAIL_PORTS with TCP ports {ports}.\n"
        "# Traffic Rules, these two above the rule that lets the LAN reach the internet:\n"
        f"#   1. Mail server may send   Source: host {server}   Destination: Internet\n"
        "#      Interfaces   Service: MAIL_PORTS   Action: Allow\n"
        "#   2. No direct SMTP from the LAN   Source: Trusted/Local Interfaces\n"
        "#      Destination: Internet Interfaces   Service: MAIL_PORTS   Action: Deny\n"
        "#      Log: Log packets (they go to the Filter log, which kerio-watch reads)\n"
    )


def egress_rule(mail_server: str | None) -> EgressRule:
    """Rules for the LAN's firewall (the forward path): nftables, iptables, pfSense and
    OPNsense, Kerio Control.

    Args:
        mail_server: the mail server's address as the firewall sees it; None writes a
            placeholder to replace.

    Raises:
        ValueError: ``mail_server`` is not an IP address.
    """
    if mail_server is not None:
        address = ipaddress.ip_address(mail_server.strip())
        server = str(address)
        v6 = address.version == 6
    else:
        server, v6 = "MAIL_SERVER_IP", False
    return EgressRule(
        None if mail_server is None else server,
        MAIL_PORTS,
        _nftables(server, v6),
        _iptables(server, v6),
        WHY_EGRESS,
        _pfsense(server, v6),
        _kerio_control(server),
    )


def _nftables(server: str, v6: bool) -> str:
    """The rule as an nftables file."""
    ports = ", ".join(str(p) for p in MAIL_PORTS)
    family = "ip6" if v6 else "ip"
    return (
        "# /etc/nftables.d/mail-egress.nft  (load with: nft -f /etc/nftables.d/mail-egress.nft)\n"
        "# Only the mail server may reach SMTP ports on the internet; others are logged.\n"
        "table inet mail_egress {\n"
        "    chain forward {\n"
        "        type filter hook forward priority filter; policy accept;\n"
        f"        {family} saddr {server} tcp dport {{ {ports} }} accept\n"
        f'        tcp dport {{ {ports} }} limit rate 6/minute log prefix "mail-egress: "\n'
        f"        tcp dport {{ {ports} }} reject with tcp reset\n"
        "    }\n"
        "}\n"
    )


def _iptables(server: str, v6: bool) -> str:
    """The rule as iptables commands (and for the other family, which reaches no mail)."""
    multiport = ",".join(str(p) for p in MAIL_PORTS)
    main, other = ("ip6tables", "iptables") if v6 else ("iptables", "ip6tables")
    lines = [
        "# Only the mail server may reach SMTP ports on the internet; others are logged.",
        f"{main} -N MAIL_EGRESS",
        f"{main} -A MAIL_EGRESS -s {server} -j RETURN",
        f'{main} -A MAIL_EGRESS -m limit --limit 6/min -j LOG --log-prefix "mail-egress: "',
        f"{main} -A MAIL_EGRESS -p tcp -j REJECT --reject-with tcp-reset",
        f"{main} -I FORWARD -p tcp -m multiport --dports {multiport} -j MAIL_EGRESS",
        f"# The same for {'IPv4' if v6 else 'IPv6'}, where the mail server has no address:",
        f"{other} -N MAIL_EGRESS",
        f'{other} -A MAIL_EGRESS -m limit --limit 6/min -j LOG --log-prefix "mail-egress: "',
        f"{other} -A MAIL_EGRESS -p tcp -j REJECT --reject-with tcp-reset",
        f"{other} -I FORWARD -p tcp -m multiport --dports {multiport} -j MAIL_EGRESS",
        "# Save them with your distribution's tool (iptables-save, netfilter-persistent).",
    ]
    return "\n".join(lines) + "\n"
