"""Alerts on the terminal: JSON lines for machines, grouped colour text for people."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from kerio_watch.incidents import playbook
from kerio_watch.incidents.changes import alert_changes
from kerio_watch.incidents.lifecycle import REACTIVATED
from kerio_watch.severity import Severity
from kerio_watch.sources.files import MAX_LINE
from kerio_watch.textsafe import json_text, printable
from kerio_watch.values.alert import Alert

SEVERITY_STYLES = {
    Severity.INFO: "dim",
    Severity.LOW: "cyan",
    Severity.MEDIUM: "yellow",
    Severity.HIGH: "bold red",
    Severity.CRITICAL: "bold white on red",
}


def alert_json(alert: Alert) -> str:
    """One JSON line (non-ASCII kept, every control character escaped)."""
    return json_text(alert.to_dict())


class JsonLinesPrinter:
    """Prints each reported alert as it happens."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, alert: Alert, reported: bool) -> None:
        """Listener for the pipeline."""
        if reported:
            self.stream.write(alert_json(alert) + "\n")
            self.stream.flush()


def safe(text: str | None) -> str:
    """Log text made printable and free of rich markup."""
    return escape(printable(text))


TERMINAL_LINE = 300
"""A log line quoted on a terminal is cut at this many characters (ending in ``…``)."""


def quoted(line: str, terminal: bool) -> str:
    r"""A log line for text output, printable. On a terminal at most
    :data:`TERMINAL_LINE` characters, ``…`` marking a cut, so an alert stays readable;
    anywhere else (a pipe, a file, cron's mail) whole, up to :data:`MAX_LINE`, the most
    of a line kerio-watch reads (a longer one was cut when read, and counted).

    >>> quoted("x" * 400, terminal=True)[-3:], len(quoted("x" * 400, terminal=True))
    ('xx…', 300)
    >>> len(quoted("x" * 400, terminal=False)), quoted("a\x1b[2Jb", terminal=False)
    (400, 'a\\x1b[2Jb')
    """
    text = printable(line[:MAX_LINE])
    if terminal and len(text) > TERMINAL_LINE:
        return text[: TERMINAL_LINE - 1] + "…"
    return text


def _history(group: Sequence[Alert]) -> str:
    """How an incident's alerts went, oldest first: each step's time of day, with its
    date when it falls on another day than the step before (the first alert's date is
    given with it elsewhere).

    ``medium at 23:58:02, critical at 2026-03-24 00:01:48, active again at 2026-03-26
    21:21:02``
    """
    steps = []
    day = ""
    for a in sorted(group, key=lambda a: a.ts):
        date, clock = a.time[:10], a.time[11:19]
        when = clock if date == day or not day else f"{date} {clock}"
        day = date
        what = "active again" if a.status == REACTIVATED else a.severity.label
        steps.append(f"{what} at {when}")
    return ", ".join(steps)


def render_alerts(console: Console, alerts: Sequence[Alert], evidence: int = 3) -> None:
    """Alerts grouped by incident: the latest state first line, then its history."""
    by_incident: dict[int, list[Alert]] = {}
    for alert in alerts:
        by_incident.setdefault(alert.incident_id, []).append(alert)
    order = sorted(
        by_incident.values(), key=lambda group: (-max(a.severity for a in group), group[0].ts)
    )
    for group in order:
        last = max(group, key=lambda a: (a.severity, a.ts))
        style = SEVERITY_STYLES[last.severity]
        who = last.user or (f"IP {last.source_ip}" if last.source_ip else "server")
        head = Text()
        head.append(f"{last.severity.label.upper():8}", style=style)
        head.append(f" #{last.incident_id} ", style="bold")
        head.append(printable(who), style="bold")
        head.append(f"  score {last.score}  first alert {group[0].time}")
        console.print(head)
        for reason in last.reasons:
            console.print(Text("  - " + printable(reason)))
        if playbook.applies(last.severity):
            console.print(Text("  What to do now:", style="bold"))
            addresses = [a.source_ip for a in group if a.source_ip]
            changes = alert_changes(last)
            machine = playbook.is_machine(rules=last.rules)
            todo = playbook.steps(last.user, addresses, None, changes, machine)
            for i, step in enumerate(todo, 1):
                console.print(Text(f"    {i}. {step.line()}"))
        if len(group) > 1:
            console.print(Text(f"  escalation: {_history(group)}", style="dim"))
        for line in last.evidence[:evidence]:
            console.print(Text("  > " + quoted(line, console.is_terminal), style="dim"))
        more = len(last.evidence) - evidence
        if more > 0:
            noun = "line" if more == 1 else "lines"
            console.print(Text(f"  > ... {more} more evidence {noun}", style="dim"))
        console.print()
