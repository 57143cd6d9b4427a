"""What an incident list asks the store for (kept free of other kerio-watch imports, so
that the store's interface can name it without an import circle)."""

from __future__ import annotations

from dataclasses import dataclass

SORTS = {
    "severity": "severity {d}, updated DESC, id DESC",
    "updated": "updated {d}, id {d}",
    "opened": "opened {d}, id {d}",
    "score": "score {d}, updated DESC, id DESC",
    "id": "id {d}",
    "key": "key {d}, updated DESC, id DESC",
}
"""The columns an incident list can be sorted by."""


@dataclass(frozen=True)
class IncidentQuery:
    """Which incidents, in which order, which page."""

    status: str | None = None
    min_severity: int = 0
    key: str | None = None
    """Only the incidents of this key (an account's address, ``ip:<addr>``)."""
    sort: str = "severity"
    descending: bool = True
    limit: int = 50
    offset: int = 0
