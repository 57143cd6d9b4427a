"""``kerio-watch incidents show``: one incident on the terminal.

Log values go into :class:`rich.text.Text` after :func:`~kerio_watch.textsafe.printable`,
never into markup, so hostile log content can inject neither rich markup nor escape
sequences.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from kerio_watch.alerts.console import SEVERITY_STYLES
from kerio_watch.cli.hints import invocation, same_store
from kerio_watch.config import Config
from kerio_watch.enrich.network import Networks
from kerio_watch.incidents import playbook
from kerio_watch.incidents.changes import from_facts
from kerio_watch.incidents.lifecycle import status_text
from kerio_watch.incidents.playbook import Step
from kerio_watch.incidents.teach import describe
from kerio_watch.report.servertime import ServerTime
from kerio_watch.respond.views import RELEASABLE, print_actions
from kerio_watch.store.sqlite.responses import ActionRecord
from kerio_watch.textsafe import printable
from kerio_watch.values.decision import Decision
from kerio_watch.values.incident import Incident, signal_count

EVIDENCE = 12
DAY = 86400


def incident_steps(inc: Incident, config: Config, st: ServerTime) -> list[Step]:
    """What to do now (high and critical incidents), with the site's own networks and
    what an administrator session from outside changed."""
    if not playbook.applies(inc.severity):
        return []
    networks = Networks(config.site.trusted_networks)
    changes = from_facts(inc.facts, st.fmt)
    machine = playbook.is_machine(inc.key)
    return playbook.steps(inc.user, inc.worked_from(), networks.is_trusted, changes, machine)


def _heading(console: Console, title: str) -> None:
    console.print()
    console.print(Text(title, style="bold"))


def decision_line(d: Decision, st: ServerTime) -> Text:
    """``2026-03-30 14:02  benign by root: why — notes``, with what it taught."""
    when = st.fmt(int(d.at))
    line = Text(f"  {when}  ")
    line.append(d.decision, style="bold")
    if d.by:
        line.append(f" by {printable(d.by)}")
    line.append(f": {printable(d.why)}")
    if d.notes:
        line.append(f" — {printable(d.notes)}")
    if d.undone_by is not None:
        line.append(f" (undone by decision {d.undone_by})", style="yellow")
    for fact in describe(d.taught or {}):
        verb = "removed from normal" if d.decision == "undo" else "taught"
        line.append(f"\n      {verb}: {fact}", style="dim")
    return line


def render_incident(
    console: Console,
    inc: Incident,
    st: ServerTime,
    decisions: Sequence[Decision],
    todo: Sequence[Step],
    contained: Sequence[ActionRecord] = (),
) -> None:
    """The incident, why, the evidence, what to do now, the decisions, its containment
    through Kerio's API (if any), and what next."""
    head = Text()
    head.append(f"{inc.severity.label.upper()}", style=SEVERITY_STYLES[inc.severity])
    head.append(f"  #{inc.id}  ", style="bold")
    head.append(printable(inc.key), style="bold")
    head.append(f"  score {inc.score}")
    console.print(head)
    console.print(Text(f"status       {status_text(inc, st.fmt)}"))
    console.print(Text(f"opened       {st.fmt(inc.opened)}   last signal {st.fmt(inc.updated)}"))
    if inc.peak_since() - inc.opened >= DAY:
        label = inc.severity.label
        console.print(Text(f"{label:12} since {st.fmt(inc.peak_since())} (weaker evidence before)"))
    if inc.source_ips:
        console.print(Text("from         " + ", ".join(printable(a) for a in inc.source_ips)))
    console.print(Text(st.note, style="dim"))
    _heading(console, "Why")
    for s in inc.reasons():
        count = inc.counts.get(s.rule, 1)
        tally = f", {signal_count(count)}" if count > 1 else ""
        console.print(
            Text(f"  - {printable(s.summary)}")
            + Text(f"  [{s.rule} +{s.score}{tally}]", style="dim")
        )
    _heading(console, f"Evidence ({len(inc.evidence)} log lines)")
    for line in inc.evidence[:EVIDENCE]:
        console.print(Text("  > " + printable(line), style="dim"))
    if len(inc.evidence) > EVIDENCE:
        console.print(Text(f"  > ... {len(inc.evidence) - EVIDENCE} more (-f json)", style="dim"))
    if todo:
        _heading(console, "What to do now")
        for i, step in enumerate(todo, 1):
            console.print(
                Text(f"  {i}. ") + Text(step.title, style="bold") + Text(f": {step.text}")
            )
    _heading(console, "Decisions")
    if not decisions:
        console.print(Text("  none yet", style="dim"))
    for d in decisions:
        console.print(decision_line(d, st))
    if contained:
        console.print()
        print_actions(console, list(contained))
    _next(console, inc, contained)


def _next(console: Console, inc: Incident, contained: Sequence[ActionRecord]) -> None:
    me, store = invocation(), same_store()
    _heading(console, "Next")
    if any(r.status in RELEASABLE for r in contained):
        console.print(Text(f"  undo containment:   {me} release {inc.id}{store} --reason '...'"))
    if inc.status in ("benign", "resolved"):
        console.print(Text(f"  undo the decision:  {me} ack {inc.id}{store} --undo"))
        return
    console.print(Text(f"  handled:            {me} ack {inc.id}{store} --resolve --why '...'"))
    console.print(Text(f"  a false alarm:      {me} ack {inc.id}{store} --benign --why '...'"))
    if inc.user:
        console.print(Text(f"  the account:        {me} user {printable(inc.user)}{store}"))
    elif playbook.is_machine(inc.key) and not playbook.applies(inc.severity):  # else a step
        console.print(
            Text(
                "  meant to send mail: list it in [firewall] mail_servers or allowed_hosts, "
                f"or what it reaches in [firewall] relays ({me} config reference)"
            )
        )
