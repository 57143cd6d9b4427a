"""The alert: what sinks receive when an incident opens or escalates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kerio_watch.severity import Severity


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert.

    ``time`` is ISO 8601 with the server's UTC offset; ``ts`` the same instant as UTC
    epoch seconds. ``user`` is None for alerts about an IP alone. ``reasons`` are the
    incident's signal summaries, strongest first; ``summary`` joins them.
    """

    id: str
    incident_id: int
    ts: int
    time: str
    user: str | None
    rule: str
    severity: Severity
    score: int
    summary: str
    source_ip: str | None
    evidence: tuple[str, ...]
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    status: str
    """``opened`` or ``escalated``."""
    changes: tuple[dict[str, Any], ...] = ()
    """What an administrator session from outside changed (the incident's
    ``config_changes`` facts, times in ISO 8601): the steps name them to undo."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``--format jsonl``, webhooks, the alert table)."""
        return {
            "id": self.id,
            "incident": self.incident_id,
            "time": self.time,
            "user": self.user,
            "rule": self.rule,
            "rules": list(self.rules),
            "severity": self.severity.label,
            "score": self.score,
            "status": self.status,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "source_ip": self.source_ip,
            "evidence": list(self.evidence),
        } | ({"changes": list(self.changes)} if self.changes else {})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        """Inverse of :meth:`to_dict`."""
        when = datetime.fromisoformat(data["time"])
        return cls(
            id=data["id"],
            incident_id=int(data["incident"]),
            ts=int(when.astimezone(UTC).timestamp()),
            time=data["time"],
            user=data.get("user"),
            rule=data["rule"],
            severity=Severity.parse(data["severity"]),
            score=int(data.get("score", 0)),
            summary=data["summary"],
            source_ip=data.get("source_ip"),
            evidence=tuple(data.get("evidence", ())),
            reasons=tuple(data.get("reasons", ())),
            rules=tuple(data.get("rules", (data["rule"],))),
            status=data.get("status", "opened"),
            changes=tuple(c for c in data.get("changes", ()) if isinstance(c, dict)),
        )
