"""The signal: one piece of evidence about one account (or IP), as detectors raise it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kerio_watch.severity import Severity
from kerio_watch.values.ip import ip_or_none


@dataclass(slots=True)
class Signal:
    """One piece of evidence about one account (or IP).

    Args:
        rule: dotted rule id, e.g. ``kerio.mail.from_mismatch``.
        key: the account address, or ``ip:<addr>`` for signals about an IP alone.
        ts: log time (UTC epoch seconds) of the event that raised it.
        score: points added to the account's incident (a rule counts once per
            incident, at its highest score).
        summary: one sentence that says what happened against what is normal.
        source_ip: the client address involved, if any (anything that is not an IP
            address is dropped).
        evidence: raw log lines (or Queue-IDs) that support it.
        min_severity: a floor for the incident's severity (strong single signals).
        facts: learnable facts (hosts, services, From addresses, recipients...) that
            ``ack --benign`` teaches the baseline.
        side: ``access``, ``use``, ``decisive`` or ``context`` (see
            :mod:`kerio_watch.values.verdict`); empty counts as context.
        who: for a use signal, where the use came from in words (the alert says it
            when no access signal names a stranger).
        inside: it happened inside the trusted networks (set by the pipeline from
            ``source_ip`` unless the detector says so): use from the office does not
            corroborate a stranger's access from outside.
    """

    rule: str
    key: str
    ts: int
    score: int
    summary: str
    source_ip: str | None = None
    evidence: tuple[str, ...] = ()
    min_severity: Severity = Severity.INFO
    facts: dict[str, Any] = field(default_factory=dict)
    side: str = ""
    who: str = ""
    inside: bool | None = None

    def __post_init__(self) -> None:
        # Detectors pass the logged client (Sender-Host may be a host name, or any text
        # an attacker put there): only an IP address may become a source_ip.
        self.source_ip = ip_or_none(self.source_ip)
