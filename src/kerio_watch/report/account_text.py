"""One account's norm and timeline on the terminal (``kerio-watch user``).

Log values go into :class:`rich.text.Text` inert, as in :mod:`kerio_watch.report.text`.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kerio_watch.alerts.console import SEVERITY_STYLES
from kerio_watch.report.servertime import ServerTime
from kerio_watch.report.text import boxed, joined, sev, t
from kerio_watch.report.timeline import AccountView, Entry, Known, Normal
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable

FLAG_STYLES = {
    "outside LAN": "bold red",
    "new address": "red",
    "new From": "bold red",
    "new user agent": "yellow",
    "new service": "yellow",
    "off hours": "yellow",
    "password guessing": "red",
    "known address": "dim",
}


def _known_lines(items: list[Known], tag_trust: bool = False) -> Text:
    out = Text()
    for k in items:
        if out:
            out.append("\n")
        out.append(printable(k.value)[:120])
        out.append(f"  {k.count}x", style="dim")
        if tag_trust and k.trusted is False:
            out.append(" outside LAN", style="yellow")
        if k.where:
            out.append(f" ({printable(k.where)})", style="dim")
    return out or Text("-", style="dim")


def _normal_table(n: Normal, st: ServerTime) -> Table:
    """What is normal for an account, as a two-column table."""
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("known since", f"{st.fmt(n.known_since)} (last seen {st.fmt(n.last_seen)})")
    table.add_row("usually sends", n.active_hours)
    table.add_row(
        "typical volume",
        f"a busy hour: {n.typical_hour:g}, peak {n.peak_hour} messages; "
        f"{n.recipients_per_message:.1f} recipients per message; {n.messages} learned"
        + (" (bulk sender)" if n.bulk else ""),
    )
    for label, items, trust in (
        ("sending hosts", n.hosts, True),
        ("login addresses", n.login_ips, True),
        ("countries, networks", n.places, False),
        ("services", n.services, False),
        ("From addresses", n.froms, False),
        ("user agents", n.user_agents, False),
    ):
        table.add_row(label, _known_lines(items, trust))
    for fact, values in n.accepted.items():
        table.add_row(f"accepted {fact}", Text(joined(values)))
    return table


def render_account_text(console: Console, view: AccountView, st: ServerTime, limit: int) -> None:
    """An account's norm, then its timeline."""
    console.rule(
        f"{printable(view.account)}: {st.fmt_hour(view.period.since)} - "
        f"{st.fmt_hour(view.period.until)}"
    )
    n = view.normal
    if n is None:
        console.print(
            Text(
                "No profile: kerio-watch has not seen this account send or log in.", style="yellow"
            )
        )
    else:
        table = _normal_table(n, st)
        console.print(boxed(table, "What is normal for this account"))
    lines = not console.is_terminal  # a pipe, a file, cron's mail: no padded tables
    if view.incidents:
        console.print(_incident_lines(view, st) if lines else _incident_table(view, st))
    entries = view.entries
    if not entries:
        console.print("No activity in this period.")
        return
    console.print(_timeline_lines(view, st, limit) if lines else _timeline_table(view, st, limit))


def _incident_table(view: AccountView, st: ServerTime) -> Table:
    """The account's incidents in the period."""
    inc = Table(
        "severity",
        "#",
        "status",
        "opened",
        "why",
        title="Incidents",
        title_justify="left",
        title_style="bold",
    )
    for i in view.incidents:
        inc.add_row(sev(i.severity), str(i.id), i.status, st.fmt(i.opened), t(i.summary[:300]))
    return inc


def _incident_lines(view: AccountView, st: ServerTime) -> Text:
    """Off a terminal: one line per incident, its explanation whole (a table there pads
    every line to the longest explanation)."""
    out = Text("Incidents", style="bold")
    for i in view.incidents:
        out.append(f"\n#{i.id}  ")
        out.append_text(sev(i.severity))
        out.append(f"  {i.status}  opened {st.fmt(i.opened)}  ")
        out.append_text(t(i.summary))
    return out


def _timeline_lines(view: AccountView, st: ServerTime, limit: int) -> Text:
    """Off a terminal: the timeline one entry a line, its flags in brackets."""
    shown, cut = _shown(view, limit)
    out = Text("Timeline (hourly)", style="bold")
    for e in shown:
        out.append(f"\n{st.fmt_hour(e.ts)}  ")
        out.append_text(t(e.text[:400]))
        if e.flags:
            out.append(f"  [{', '.join(e.flags)}]")
    if cut:
        out.append(f"\n{cut}")
    return out


def _shown(view: AccountView, limit: int) -> tuple[list[Entry], str]:
    """The last ``limit`` entries of the timeline (0: all), and what says they are cut."""
    entries = view.entries
    shown = entries[-limit:] if limit else entries
    cut = len(shown) < len(entries)
    return shown, f"the last {len(shown)} of {len(entries)} entries (--limit)" if cut else ""


def _timeline_table(view: AccountView, st: ServerTime, limit: int) -> Table:
    """The last ``limit`` entries of the timeline (0: all), with their flags."""
    shown, cut = _shown(view, limit)
    table = Table(
        "hour", "what", "", title="Timeline (hourly)", title_justify="left", title_style="bold"
    )
    if cut:
        table.caption = cut
    for e in shown:
        flags = Text()
        for f in e.flags:
            if flags:
                flags.append(" ")
            flags.append(f, style=FLAG_STYLES.get(f, ""))
        what = t(e.text[:400], "bold" if e.kind == "incident" else "")
        if e.kind == "incident" and e.severity:
            what.stylize(SEVERITY_STYLES[Severity.parse(e.severity)])
        table.add_row(st.fmt_hour(e.ts), what, flags)
    return table
