"""What an administrator session from outside changed, said as what to undo.

The ``admin_changes`` detector keeps each change of such a session as a fact of its
signal (``config_changes``: time, verb, object, the object's name, the fields set); an
incident gathers them. :func:`from_facts` reads them back (from an incident, with epoch
times, or from an alert, with ISO 8601 times) and :meth:`AdminChange.phrase` says each
in words: "SMTP relay settings changed at 2026-03-26 03:12", "user backup-svc created at
...", "forwarding on niklas.meyer set at ...". Every value came from a log line: it is
made printable again here, whatever stored it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert

FACT = "config_changes"
"""The fact that holds the changes (:data:`kerio_watch.detect.admin_changes.FACT`)."""
SHOWN = 8
"""Changes named in the step; the rest are counted."""
PAST = {"insert": "created", "update": "changed", "delete": "deleted", "replace": "replaced"}


@dataclass(frozen=True)
class AdminChange:
    """One change, ready to be said."""

    when: str
    action: str
    obj: str
    name: str
    fields: tuple[str, ...]

    def phrase(self) -> str:
        """The change in words, with its time on the server's clock."""
        verb, obj = self.action.lower(), self.obj.lower()
        fields = [f.lower() for f in self.fields]
        name = f" {self.name}" if self.name else ""
        done = PAST.get(verb, f"changed ({self.action})")
        if any("relay" in f for f in fields):
            what = "SMTP relay settings changed"
        elif "smtp" in obj:
            what = f"SMTP server settings ({self.obj}) {done}"
        elif obj == "user" and verb == "update" and any("forward" in f for f in fields):
            what = f"forwarding on{name or ' a user'} set"
        elif obj == "user" and verb == "update":
            shown = [f for f in self.fields if f.lower() not in ("loginname", "name")]
            what = f"user{name} changed" + (f" ({', '.join(shown[:4])})" if shown else "")
        elif obj == "user":
            what = f"user{name} {done}"
        else:
            what = f"{self.obj or 'configuration'}{name} {done}"
        return f"{what} at {self.when}"


def _when(at: Any, fmt: Callable[[int], str]) -> str:
    """Epoch seconds through ``fmt``; ISO 8601 text (an alert's) as its wall-clock time."""
    if isinstance(at, int) and not isinstance(at, bool):
        return fmt(at)
    try:
        return dt.datetime.fromisoformat(str(at)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return printable(str(at))[:40]


def _order(at: Any) -> float:
    if isinstance(at, int):
        return at
    try:
        return dt.datetime.fromisoformat(str(at)).timestamp()
    except ValueError:
        return 0


def from_facts(facts: Mapping[str, Any], fmt: Callable[[int], str]) -> list[AdminChange]:
    """The changes among ``facts`` (``config_changes``), oldest first."""
    records = sorted(
        (r for r in facts.get(FACT) or () if isinstance(r, Mapping)),
        key=lambda r: _order(r.get("at")),
    )
    return [
        AdminChange(
            _when(r.get("at"), fmt),
            printable(str(r.get("action") or ""))[:40],
            printable(str(r.get("object") or ""))[:80],
            printable(str(r.get("name") or ""))[:120],
            tuple(printable(str(f))[:60] for f in r.get("fields") or ()),
        )
        for r in records
    ]


def alert_changes(alert: Alert) -> list[AdminChange]:
    """The changes an alert carries (ISO 8601 times, said on the server's clock)."""
    return from_facts({FACT: alert.changes}, str)


def iso_records(records: Sequence[Any], iso: Callable[[int], str]) -> list[dict[str, Any]]:
    """The change facts with ISO 8601 times (for JSON and alerts)."""
    out = []
    for r in records:
        if isinstance(r, Mapping):
            at = r.get("at")
            out.append({**r, "at": iso(at) if isinstance(at, int) else at})
    return out


def undo_text(changes: Sequence[AdminChange]) -> str:
    """What the step says: each change (the first :data:`SHOWN`), and how many more."""
    named = "; ".join(c.phrase() for c in changes[:SHOWN])
    more = len(changes) - SHOWN
    rest = f"; and {more} more (config.log has them all)" if more > 0 else ""
    created = any(c.obj.lower() == "user" and c.action.lower() == "insert" for c in changes)
    return (
        "a session from outside changed the server's configuration. In Kerio Connect's "
        f"administration, review and undo what nobody on your staff did: {named}{rest}."
        + (
            " Remove the accounts nobody on your staff created, and their queued mail."
            if created
            else ""
        )
    )
