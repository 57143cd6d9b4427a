"""The report's "Machines that spoke SMTP directly", from the direct_smtp detector.

Firewall logs show what Kerio's cannot: LAN machines that send mail to the internet
themselves. The section lists the machines with an incident in the period (most severe
first), each with the accounts that use it, and says which addresses are taken as the
mail server (configured, or inferred from Kerio's own deliveries) and whether any
firewall log was read at all. The mail server's address also fills the egress rule.
Account timelines show the machine incidents that name the account
(:func:`machine_incidents`).
"""

from __future__ import annotations

import ipaddress

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kerio_watch.config import Config
from kerio_watch.detect.direct_smtp import KEY_PREFIX, NAME, RULE
from kerio_watch.detect.state import load_state
from kerio_watch.report.model import DirectSmtp, MachineRow, Period, split_key
from kerio_watch.report.servertime import ServerTime
from kerio_watch.store.base import Store
from kerio_watch.textsafe import printable
from kerio_watch.values.incident import Incident

_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _machine_incidents(store: Store) -> list[Incident]:
    """Every incident about a LAN machine (found by its rule, newest first)."""
    found = store.incidents_containing(RULE, 5000)
    return [i for i in found if i.key.startswith(KEY_PREFIX)]


def machine_incidents(store: Store, account: str, since: int, until: int) -> list[Incident]:
    """Incidents about LAN machines that name ``account`` as a user, in ``[since, until)``."""
    return [
        i
        for i in _machine_incidents(store)
        if account in i.facts.get("accounts", []) and i.updated >= since and i.opened < until
    ]


def _row(inc: Incident, counts: dict[str, list[int]]) -> MachineRow:
    reasons = inc.reasons()
    host = inc.key[len(KEY_PREFIX) :]
    connections, blocked = counts.get(host, [0, 0])
    return MachineRow(
        inc.key[len(KEY_PREFIX) :],
        inc.id,
        inc.severity.label,
        inc.status,
        inc.opened,
        inc.updated,
        [str(a) for a in inc.facts.get("accounts", [])],
        sorted(int(p) for p in inc.facts.get("ports", []) if str(p).isdigit()),
        reasons[0].summary if reasons else inc.summary(),
        connections,
        blocked,
    )


def _counts(store: Store, period: Period) -> dict[str, list[int]]:
    """Machine -> [SMTP connections, blocked ones] in the period (hourly activity)."""
    out: dict[str, list[int]] = {}
    for hour, _account, _kind, key, n in store.activity(
        period.since, period.until, kinds=("smtp",)
    ):
        if not period.since <= hour < period.until:
            continue
        source, _port, action = split_key(key)
        pair = out.setdefault(source, [0, 0])
        pair[0] += n
        if action == "block":
            pair[1] += n
    return out


def mail_servers(store: Store, config: Config) -> list[tuple[str, str]]:
    """(address, where it comes from): configured ones first, then inferred ones."""
    out = [(net.strip(), "configured") for net in config.firewall.mail_servers]
    state = load_state(store, NAME)
    try:
        inferred = state["mail"]["inferred"] if state is not None else {}
        out += [(h, f"inferred: {v['why']}") for h, v in sorted(inferred.items())]
    except (KeyError, TypeError):
        pass
    return out


def known_mail_server(store: Store, config: Config) -> str | None:
    """The mail server's LAN address for the egress rule (configured first), or None."""
    from kerio_watch.enrich.network import Networks  # noqa: PLC0415

    trusted = Networks(config.site.trusted_networks)
    candidates = [a for a, _ in mail_servers(store, config) if "/" not in a]
    for address in candidates:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            continue
        if trusted.is_trusted(address):
            return address
    return None


def direct_smtp_section(store: Store, config: Config, period: Period) -> DirectSmtp:
    """Machines with an incident in the period, the mail server, whether firewalls were read."""
    counts = _counts(store, period)
    rows = [
        _row(i, counts)
        for i in _machine_incidents(store)
        if i.updated >= period.since and i.opened < period.until
    ]
    rows.sort(key=lambda r: (_ORDER.get(r.severity, 5), -r.updated))
    state = load_state(store, NAME)
    seen = bool(state and state.get("seen"))
    servers = [f"{a} ({why})" for a, why in mail_servers(store, config)]
    return DirectSmtp(rows, servers, seen)


def render_machines_text(console: Console, section: DirectSmtp | None, st: ServerTime) -> None:
    """The section on the terminal."""
    if section is None:
        return
    if not section.firewall_seen:
        console.print(
            "\nNo firewall log was read: machines that send mail past the mail server cannot "
            "be seen (see docs/firewall.md)."
        )
        return
    if not section.machines:
        console.print("\nNo machine spoke SMTP to the internet directly in this period.")
    else:
        table = Table(title="Machines that spoke SMTP directly", title_justify="left")
        for col in ("severity", "#", "machine", "used by", "connections", "first", "last", "what"):
            table.add_column(col, overflow="fold")
        for m in section.machines:
            table.add_row(
                Text(m.severity),
                str(m.incident_id),
                Text(printable(m.host)),
                Text(printable(", ".join(m.accounts) or "-")),
                f"{m.connections:,} ({m.blocked:,} blocked)",
                st.fmt(m.opened),
                st.fmt(m.updated),
                Text(printable(m.headline[:300])),
            )
        console.print(table)
    for server in section.mail_servers:
        console.print(Text(f"Mail server, not counted: {printable(server)}", style="dim"))
