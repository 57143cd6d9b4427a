"""The demo's rows for the planted machines (the simulated firewall log)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kerio_watch.severity import Severity
from kerio_watch.store.base import Store

if TYPE_CHECKING:
    from kerio_watch.simulate import SimResult


def machine_rows(result: SimResult, store: Store) -> list[tuple[str, str, str]]:
    """(planted, machine, what kerio-watch found) for each planted machine; for an infected
    one, whether the incident named exactly the accounts that use it."""
    rows = []
    for host in result.hosts:
        found = store.incidents(key=f"host:{host.host}", limit=50)
        best = max((i.severity for i in found), default=None)
        label = best.label if best is not None else "nothing"
        named = sorted({a for i in found for a in i.facts.get("accounts", [])})
        kind = host.kind.replace("_", " ")
        who = host.host  # narrow, as the accounts above it: the users are checked, not shown
        if host.malicious:
            planted = f"[red]host[/red] {kind}"
            start = int(host.start.timestamp())
            highs = [
                a.ts
                for a in store.alerts(since=start - 3600, limit=100_000)
                if a.incident_id in {i.id for i in found} and a.severity >= Severity.HIGH
            ]
            if highs:
                users = "users named" if tuple(named) == host.users else "[red]users wrong[/red]"
                minutes = max(0, min(highs) - start) / 60
                verdict = (
                    f"[green]detected ({label})[/green], high after {minutes:.0f} min, {users}"
                )
            else:
                verdict = f"[red]missed ({label})[/red]"
        else:
            planted = f"[cyan]host[/cyan] {kind}"
            medium = best is not None and best >= Severity.MEDIUM
            quiet = "quiet" if best is None else f"{label} only"
            verdict = f"[red]false alarm: {label}[/red]" if medium else f"[green]{quiet}[/green]"
        rows.append((planted, who, verdict))
    return rows
