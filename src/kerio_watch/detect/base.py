"""The detector seam: signals, rule documentation, and the detector protocol.

A detector looks at events (and at outbound :class:`Submission` records built by the
enrichment stage) and returns :class:`Signal` objects: evidence that one account (or
one IP, keyed ``ip:<addr>``) is not behaving like its owner. Detectors *score before
learning*: they read the account's :class:`~kerio_watch.detect.profile.Profile` but never
write it; the learner updates profiles after every detector has seen the event.

To add a detector: write ``detect/<name>.py`` with a class implementing
:class:`Detector` (its options a frozen dataclass, ``options_class``: the schema of
``[detectors.<name>]``, converted by :mod:`kerio_watch.settings.schema`), add one line to
``DETECTORS`` in ``detect/__init__.py``, and test it with events built by the factories
in ``tests/factories.py``. A detector with windows or
other state that must survive a restart subclasses
:class:`~kerio_watch.detect.state.SavedState` and says what its state is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from kerio_watch.enrich.network import ip_or_none
from kerio_watch.severity import Severity

if TYPE_CHECKING:
    from kerio_watch.detect.context import Context
    from kerio_watch.events import Event


@dataclass(frozen=True)
class RuleDoc:
    """What a rule fires on, why it matters, and its known false positives."""

    id: str
    title: str
    what: str
    why: str
    false_positives: str
    side: str = "context"
    """``access`` (is this the owner?), ``use`` (is this abuse?), ``decisive`` or
    ``context``: see :mod:`kerio_watch.incidents.verdict`."""


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
            :mod:`kerio_watch.incidents.verdict`); empty counts as context.
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


class Stateful(Protocol):
    """What keeps state between runs: loaded when a run starts, saved at every
    checkpoint inside its transaction (detectors, the learner)."""

    def load(self, store: Any) -> None:
        """Restore the state an earlier run saved."""
        ...

    def save(self, store: Any) -> None:
        """Save the state (a checkpoint)."""
        ...


class Detector(Stateful, Protocol):
    """A detector: built once per run with the shared context and its options."""

    name: ClassVar[str]
    rules: ClassVar[tuple[RuleDoc, ...]]
    wants: ClassVar[frozenset[str]]
    """Event kinds it observes (``message_received``..., and ``submission``)."""
    options_class: ClassVar[type[Any]]
    """Its options: a frozen dataclass, the schema of ``[detectors.<name>]``."""

    def observe(self, item: Event | Any) -> Sequence[Signal] | None:
        """Look at one event or submission; return signals or None."""
        ...

    def flush(self, now: int) -> Sequence[Signal]:
        """Time-driven checks at log time ``now`` (windows that ended)."""
        ...


class DetectorFactory(Protocol):
    """How the registry builds a detector."""

    name: ClassVar[str]
    rules: ClassVar[tuple[RuleDoc, ...]]

    options_class: ClassVar[type[Any]]

    def __call__(self, ctx: Context, options: Any) -> Detector:
        """Build the detector."""
        ...
