"""A planted scenario's plan, and what its hooks use of the planner (below :mod:`.scenarios`).

:mod:`.more`, :mod:`.hijacks`, :mod:`.lookalikes` and :mod:`.truth` take the planner as a
:class:`Planner`, so they need not import :mod:`.scenarios`, which imports them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from kerio_watch.simulate.clock import Day, SiteClock
from kerio_watch.simulate.mail import MailLog
from kerio_watch.simulate.services import Services
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Peer, Persona, Site
from kerio_watch.simulate.text import Text
from kerio_watch.simulate.users import UserTraffic

Hook = Callable[[Day], None]


@dataclass
class Plan:
    kind: str
    account: str
    source_ip: str | None
    notes: dict[str, str] = field(default_factory=dict)


class Planner(Protocol):
    """What the scenario hooks use of :class:`.scenarios.Scenarios`."""

    site: Site
    mail: MailLog
    traffic: UserTraffic
    services: Services
    ops: LogSink
    security: LogSink
    clock: SiteClock
    rng: random.Random
    text: Text
    plans: list[Plan]
    hooks: dict[int, list[Hook]]

    def _hook(
        self,
        day: Day,
        victim: Persona,
        kind: str,
        ip: str,
        fn: Callable[[Day, Persona, Plan], None],
    ) -> Plan: ...

    def _login(
        self, t: int, proto: str, account: str, ip: str, agent: str | None = None
    ) -> None: ...

    def _stranger(self, domains: tuple[str, ...] = ...) -> Peer: ...

    def _times(self, t0: int, n: int, span: int) -> list[int]: ...
