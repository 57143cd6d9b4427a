"""Reports and timelines on the terminal (rich tables).

Log values go into :class:`rich.text.Text` after :func:`~kerio_watch.textsafe.printable`,
never into markup strings: a hostile subject or user agent can neither inject rich
markup nor terminal escape sequences.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kerio_watch.alerts.console import SEVERITY_STYLES
from kerio_watch.report.machines import render_machines_text
from kerio_watch.report.model import Report, SenderRow
from kerio_watch.report.servertime import ServerTime
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable


def t(value: object, style: str = "") -> Text:
    """A log value as inert text."""
    return Text(printable(str(value)), style=style)


def sev(label: str) -> Text:
    """A severity in its colour."""
    return Text(label, style=SEVERITY_STYLES[Severity.parse(label)])


def boxed(body: RenderableType, title: str) -> Panel:
    """A titled box as wide as its content (never as wide as a pipe's console)."""
    return Panel(body, title=title, title_align="left", expand=False)


def joined(values: Iterable[object]) -> str:
    """Log values, inert, separated by commas."""
    return ", ".join(printable(str(v)) for v in values)


def _ratio(row: SenderRow, recipients: bool = False) -> Text:
    ratio = row.recipient_ratio if recipients else row.ratio
    if ratio is None:
        return Text("no history", style="dim")
    return Text(f"x{ratio:.1f}", style="bold red" if row.above_norm else "")


def render_report_text(console: Console, r: Report, st: ServerTime) -> None:
    """The report as rich tables."""
    console.rule(
        f"kerio-watch report {st.fmt_hour(r.period.since)} - {st.fmt_hour(r.period.until)}"
    )
    console.print(Text(f"{r.time_note}. ", style="dim"))
    if r.empty:
        console.print(Text("The state database has no activity in this period.", style="yellow"))
    tot = r.totals
    console.print(
        f"{tot.sent:,} messages sent by {tot.active_accounts} active accounts to "
        f"{tot.recipients:,} recipients; {tot.inbound:,} received; "
        f"{tot.failed_logins:,} failed logins; {tot.bounces:,} bounces."
    )
    _incidents(console, r, st)
    render_machines_text(console, r.direct_smtp, st)
    _response(console, r, st)
    _senders(console, r, st)
    _outside(console, r, st)
    _off_hours(console, r, st)
    _bounces(console, r)
    _guessing(console, r)
    _hardening(console, r, st)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for col in columns:
        numeric = col in {
            "messages",
            "recipients",
            "usual",
            "vs usual",
            "count",
            "failures",
            "score",
            "logins",
            "sources",
            "blocked",
            "DSN",
            "failed",
            "delayed",
        }
        table.add_column(col, justify="right" if numeric else "left", overflow="fold")
    return table


def _incidents(console: Console, r: Report, st: ServerTime) -> None:
    if not r.incidents:
        console.print("\nNo incidents in this period.")
        return
    table = _table("Incidents", "severity", "#", "account / IP", "score", "status", "opened", "why")
    for i in r.incidents:
        table.add_row(
            sev(i.severity),
            str(i.id),
            t(i.key),
            str(i.score),
            i.status,
            st.fmt(i.opened),
            t(i.headline[:300] + (f" (+{len(i.reasons) - 1} more)" if len(i.reasons) > 1 else "")),
        )
    console.print(table)


def _response(console: Console, r: Report, st: ServerTime) -> None:
    resp = r.response
    if resp is None:
        return
    head = f"\nKerio API: {resp.state}" + (f" ({t(resp.error or '')})" if resp.error else "")
    if resp.polled:
        head += f"; queue at {st.fmt(resp.polled)}: {resp.queue_total} messages"
        head += f", {resp.queue_deferred} deferred"
    console.print(Text(head))
    if resp.senders:
        table = _table("Queue by sender (last poll)", "account", "queue")
        for row in resp.senders:
            table.add_row(t(row["account"]), t(row["text"]))
        console.print(table)
    if resp.actions:
        table = _table("Containment", "incident", "when", "account", "action")
        for a in resp.actions:
            table.add_row(f"#{a.incident}", st.fmt(a.when), t(a.account or ""), t(a.what))
        console.print(table)


def _senders(console: Console, r: Report, st: ServerTime) -> None:
    for title, rows in (
        ("Top senders by messages", r.top_by_messages),
        ("Top senders by recipients", r.top_by_recipients),
    ):
        if not rows:
            continue
        usual = "usual msgs" if "messages" in title else "usual rcpts"
        table = _table(
            title, "account", "messages", "recipients", usual, "vs usual", "busiest hour"
        )
        for s in rows:
            base = s.usual_messages if "messages" in title else s.usual_recipients
            peak = (
                f"{st.fmt_hour(s.peak_hour)}: {s.peak_messages} (usually {s.peak_norm:g})"
                if s.peak_hour is not None
                else ""
            )
            table.add_row(
                t(s.account),
                str(s.messages),
                str(s.recipients),
                "-" if base is None else f"{base:g}",
                _ratio(s, recipients="messages" not in title),
                peak,
            )
        console.print(table)


def _outside(console: Console, r: Report, st: ServerTime) -> None:
    if not r.external_hosts:
        console.print("\nEvery login and submission came from the trusted networks.")
        return
    table = _table(
        "Sending and login addresses outside the trusted networks",
        "account",
        "address",
        "what",
        "via",
        "count",
        "last",
        "",
    )
    for h in r.external_hosts:
        via = joined(h.via) + ("".join(f"\n{printable(a)}" for a in h.agents[:3]))
        table.add_row(
            t(h.account),
            Text(printable(h.address) + (f"\n{printable(h.where)}" if h.where else "")),
            "sent mail" if h.kind == "send" else "logged in",
            Text(via),
            str(h.count),
            st.fmt(h.last),
            Text("NEW", style="bold red") if h.new else Text("known", style="dim"),
        )
    console.print(table)
    if r.external_hosts_more:
        more = r.external_hosts_more
        console.print(f"... and {more:,} more addresses of places the accounts knew")


def _off_hours(console: Console, r: Report, st: ServerTime) -> None:
    if not r.off_hours:
        return
    table = _table(
        f"Mail sent {r.off_hours_basis}",
        "account",
        "messages",
        "busiest such hours",
        "usually sends",
    )
    for o in r.off_hours:
        hours = ", ".join(f"{st.fmt_hour(h.ts)}: {h.count}" for h in o.hours)
        table.add_row(t(o.account), str(o.messages), hours, o.usual)
    console.print(table)


def _bounces(console: Console, r: Report) -> None:
    if not r.bounces:
        return
    table = _table("Bounce leaders", "account", "DSN", "failed", "delayed", "recipients", "rate")
    for b in r.bounces:
        table.add_row(
            t(b.account),
            str(b.dsn),
            str(b.failed),
            str(b.delayed),
            str(b.recipients),
            f"{b.rate:.0%}",
        )
    console.print(table)


def _guessing(console: Console, r: Report) -> None:
    if r.guess_sources:
        table = _table(
            "Password guessing: sources", "address", "failures", "accounts tried", "via", "blocked"
        )
        for g in r.guess_sources:
            tried = joined(f"{a} ({n})" for a, n in g.accounts)
            if g.unknown_users:
                tried += f"{'; ' if tried else ''}{g.unknown_users} unknown users"
            cell = t(g.source)
            if g.logged_in:
                cell.append(f"\nthen logged in as {joined(g.logged_in)}", style="bold red")
            table.add_row(cell, str(g.failures), Text(tried), joined(g.protocols), str(g.blocked))
        console.print(table)
    if r.targets:
        table = _table(
            "Password guessing: targeted accounts", "account", "failures", "sources", "top sources"
        )
        for tg in r.targets:
            cell = t(tg.account)
            if tg.compromised_from:
                cell.append("\nlogged in from a guessing source", style="bold red")
            table.add_row(
                cell,
                str(tg.failures),
                str(tg.sources),
                Text(joined(f"{s} ({n})" for s, n in tg.top_sources)),
            )
        console.print(table)


def _hardening(console: Console, r: Report, st: ServerTime) -> None:
    h = r.hardening
    console.rule("Hardening")
    if h.groups:
        table = _table(
            "Access policies: allow only what each group used", "allow only", "disallow", "accounts"
        )
        for g in h.groups:
            table.add_row(", ".join(g.used), ", ".join(g.disallow), Text(joined(g.accounts)))
        console.print(table)
        suspects = [u for u in h.services if u.suspect]
        for u in suspects:
            console.print(
                Text(
                    f"  {printable(u.account)}: {', '.join(u.suspect)} first used around an "
                    "incident (maybe the intruder's, not the owner's)",
                    style="yellow",
                )
            )
    if h.external:
        table = _table(
            "Accounts reached from outside the LAN",
            "account",
            "service",
            "addresses",
            "logins",
            "last",
        )
        for e in h.external:
            table.add_row(
                t(e.account),
                t(e.service),
                Text(joined(e.addresses[:5])),
                str(e.count),
                st.fmt(e.last),
            )
        console.print(table)
    console.print(Text("\nLet only the mail server send mail to the internet", style="bold"))
    console.print(Text(h.egress.why))
    if not h.egress.mail_server:
        console.print(Text("Replace MAIL_SERVER_IP (or pass --mail-server).", style="yellow"))
    console.print(boxed(Text(h.egress.nftables.rstrip()), "nftables"))
    console.print(boxed(Text(h.egress.iptables.rstrip()), "iptables"))
    for title, text in (
        ("pfSense, OPNsense", h.egress.pfsense),
        ("Kerio Control", h.egress.kerio_control),
    ):
        console.print(boxed(Text(text.rstrip()), title))
