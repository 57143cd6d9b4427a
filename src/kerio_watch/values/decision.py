"""A decision about an incident, as kept in the state database's decision history.

Every ``ack`` (command line or dashboard) is kept: what was decided, when (wall clock),
by whom when that is known, why, the administrator's notes, and for ``benign`` exactly
which values teaching added to the account's profile, so that undoing it removes those
values and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("benign", "resolved", "undo")


@dataclass
class Decision:
    """One decision.

    Args:
        incident_id: the incident decided about.
        decision: ``benign``, ``resolved`` or ``undo``.
        at: when (wall-clock UTC epoch seconds).
        by: who, when known (the login name on the command line, the dashboard user).
        why: the reason given (a default when none was).
        notes: free text.
        taught: for ``benign``: fact -> the values teaching added (not those the profile
            had accepted already); None when unknown (decisions recorded before the
            history existed).
        undoes: for ``undo``: the id of the decision it undid.
        undone_by: the id of the ``undo`` that undid this decision, if any.
        id: assigned by the store.
    """

    incident_id: int
    decision: str
    at: float
    by: str | None = None
    why: str = ""
    notes: str = ""
    taught: dict[str, list[Any]] | None = field(default_factory=dict)
    undoes: int | None = None
    undone_by: int | None = None
    id: int = 0

    @property
    def active(self) -> bool:
        """A benign or resolved decision that has not been undone."""
        return self.decision != "undo" and self.undone_by is None

    def data(self) -> dict[str, Any]:
        """The JSON-stored part."""
        return {"taught": self.taught, "undoes": self.undoes}

    def to_dict(self, iso: Any) -> dict[str, Any]:
        """JSON-ready, ``iso`` turning the wall-clock time into ISO 8601 text."""
        return {
            "id": self.id,
            "incident": self.incident_id,
            "decision": self.decision,
            "at": iso(int(self.at)),
            "by": self.by,
            "why": self.why,
            "notes": self.notes,
            "taught": self.taught,
            "undoes": self.undoes,
            "undone_by": self.undone_by,
        }
