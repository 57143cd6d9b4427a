"""Incidents as JSON for tools: every time in ISO 8601 with the server's offset."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kerio_watch.incidents.changes import FACT, iso_records
from kerio_watch.incidents.playbook import Step
from kerio_watch.values.decision import Decision
from kerio_watch.values.incident import Incident

Iso = Callable[[int], str]


def incident_record(inc: Incident, iso: Iso) -> dict[str, Any]:
    """The stored form, with ISO 8601 times instead of epoch seconds."""
    data = inc.to_dict()
    for key in ("opened", "updated", "first_signal", "quiet_since"):
        if data.get(key) is not None:
            data[key] = iso(int(data[key]))
    for signal in (*data["signals"], *data.get("window", ()), *data.get("peak", ())):
        signal["ts"] = iso(int(signal["ts"]))
    if FACT in data["facts"]:
        data["facts"] = {**data["facts"], FACT: iso_records(data["facts"][FACT], iso)}
    spans = data.get("ip_span", {})
    data["ip_span"] = {ip: [iso(int(t)) for t in span] for ip, span in spans.items()}
    return data


def incident_detail(
    inc: Incident, iso: Iso, decisions: Sequence[Decision], todo: Sequence[Step]
) -> dict[str, Any]:
    """``incidents show -f json``: the incident, its decisions and what to do now."""
    data = incident_record(inc, iso)
    data["decisions"] = [d.to_dict(iso) for d in decisions]
    data["what_to_do"] = [{"title": s.title, "text": s.text} for s in todo]
    return data
