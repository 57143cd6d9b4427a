"""The mail server's side of the direct-SMTP detector, in either engine.

:class:`MailServers` keeps Kerio's own outbound deliveries (``Sent:`` lines with a
``Remote-Host``), to tell a connection the mail server made for Kerio from one a PC
made on its own, each LAN address's tally of outbound SMTP connections, and the
inference of the mail server's LAN address: the address whose outbound SMTP matches
Kerio's deliveries, or that receives SMTP from the internet.

A native run keeps the same state in the core (``kerio_watch._native.MailServers``,
``native/src/smtp.rs``), with the same answers and the same saved form;
:func:`new_mail_servers` makes the engine's (:func:`use_native_mail_servers`), and
:func:`saved_mail` reads a saved form for either.
"""

from __future__ import annotations

import bisect
from typing import Any

HOUR = 3600
MAX_DELIVERY_HOSTS = 50_000
INBOUND_SOURCES = 3
"""Outside addresses that must reach a LAN machine on port 25 before it counts as an MX."""
PROVEN = 3
"""Outbound SMTP connections, none of them Kerio's, after which a machine is judged at once."""
INT64 = 1 << 63


class MailServers:
    """Kerio's outbound deliveries and the mail server's inferred addresses.

    Args:
        matches: connections matching Kerio's deliveries before an address is inferred.
        share: the part of the address's outbound SMTP connections that must match.
    """

    def __init__(self, matches: int, share: float) -> None:
        self.need_matches = matches
        self.need_share = share
        self.deliveries: dict[str, list[int]] = {}
        """Remote host -> log times Kerio delivered (or tried) to it, oldest first."""
        self.tally: dict[str, list[int]] = {}
        """LAN address -> [connections matching a delivery, outbound SMTP connections]."""
        self.inbound: dict[str, list[str]] = {}
        """LAN address -> outside addresses that connected to it on port 25."""
        self.inferred: dict[str, dict[str, Any]] = {}
        """LAN address -> {"since": log time, "why": text}."""

    # -- Kerio's deliveries ---------------------------------------------------------------
    def delivered(self, remote: str, ts: int) -> None:
        """Kerio's mail.log says it delivered to ``remote`` at ``ts``."""
        times = self.deliveries.get(remote)
        if times is None:
            if len(self.deliveries) >= MAX_DELIVERY_HOSTS:
                self.prune(ts)
            times = self.deliveries[remote] = []
        if times and ts < times[-1]:
            bisect.insort(times, ts)
        else:
            times.append(ts)
        if len(times) > 256:
            del times[:128]

    def kerio_delivered(self, remote: str, start: int, end: int) -> bool:
        """Whether Kerio delivered to ``remote`` between ``start`` and ``end``."""
        times = self.deliveries.get(remote)
        if not times:
            return False
        i = bisect.bisect_left(times, start)
        return i < len(times) and times[i] <= end

    # -- inference ------------------------------------------------------------------------
    def outbound(self, host: str, matched: bool, ts: int, infer: bool = True) -> bool:
        """Count one outbound SMTP connection of ``host``; True once it is inferred."""
        tally = self.tally.get(host)
        if tally is None:
            tally = self.tally[host] = [0, 0]
        tally[0] += matched
        tally[1] += 1
        if not infer:
            return False
        if host in self.inferred:
            return True
        hits, total = tally
        if hits >= self.need_matches and hits >= self.need_share * total:
            self.inferred[host] = {
                "since": ts,
                "why": f"{hits:,} of its {total:,} SMTP connections carried Kerio's deliveries",
            }
            return True
        return False

    def carried(self, host: str, remote: str, ts: int, start: int, end: int, infer: bool) -> bool:
        """A settled connection of ``host`` to ``remote`` at ``ts``: whether it carried
        Kerio's mail (a delivery to ``remote`` between ``start`` and ``end``) or ``host``
        is the mail server; counted in the tally (:meth:`outbound`) either way."""
        matched = self.kerio_delivered(remote, start, end)
        return self.outbound(host, matched, ts, infer) or matched

    def carries_no_kerio_mail(self, host: str) -> bool:
        """``host`` made :data:`PROVEN` outbound SMTP connections and none carried Kerio's
        deliveries: its next ones need not wait for Kerio's ``Sent:`` lines."""
        tally = self.tally.get(host)
        return tally is not None and tally[0] == 0 and tally[1] >= PROVEN

    def received(self, host: str, source: str, ts: int) -> bool:
        """An outside address connected to ``host`` on port 25; True once it is inferred."""
        if host in self.inferred:
            return True
        sources = self.inbound.setdefault(host, [])
        if source not in sources:
            sources.append(source)
            if len(sources) > 64:
                del sources[:32]
        if len(sources) >= INBOUND_SOURCES:
            self.inferred[host] = {
                "since": ts,
                "why": f"it accepts SMTP from the internet ({len(sources)} outside senders)",
            }
            return True
        return False

    def prune(self, now: int) -> None:
        """Forget deliveries older than an hour."""
        edge = now - HOUR
        for remote in list(self.deliveries):
            times = self.deliveries[remote]
            i = bisect.bisect_left(times, edge)
            if i >= len(times):
                del self.deliveries[remote]
            elif i:
                del times[:i]

    def dump(self, now: int) -> dict[str, Any]:
        """For saving: deliveries of the last hour, tallies, inbound evidence, inferences."""
        edge = now - HOUR
        return {
            "deliveries": {
                r: [t for t in times if t > edge]
                for r, times in self.deliveries.items()
                if times and times[-1] > edge
            },
            "tally": self.tally,
            "inbound": self.inbound,
            "inferred": self.inferred,
        }

    def load(
        self,
        deliveries: list[tuple[str, list[int]]],
        tally: list[tuple[str, int, int]],
        inbound: list[tuple[str, list[str]]],
        inferred: list[tuple[str, int, str]],
    ) -> None:
        """Take back :meth:`dump`, read by :func:`saved_mail` (deliveries are added one by
        one, the other tables replaced)."""
        for remote, times in deliveries:
            for t in times:
                self.delivered(remote, t)
        self.tally = {h: [a, b] for h, a, b in tally}
        self.inbound = {h: list(v) for h, v in inbound}
        self.inferred = {h: {"since": t, "why": why} for h, t, why in inferred}


_mail_class: Any = MailServers
_module: Any = None


def use_native_mail_servers(module: Any | None) -> None:
    """Make :func:`new_mail_servers` build ``module.MailServers`` (the native core), or
    Python's :class:`MailServers`; the detector's other state follows
    (:func:`native_module`)."""
    global _mail_class, _module  # noqa: PLW0603 (one engine per process, like the books)
    _mail_class = module.MailServers if module is not None else MailServers
    _module = module


def native_module() -> Any:
    """The native extension the direct-SMTP detector's state uses, or None (Python)."""
    return _module


def new_mail_servers(matches: int, share: float) -> MailServers:
    """An empty :class:`MailServers` of the engine in use."""
    mail: MailServers = _mail_class(matches, share)
    return mail


def saved_int(value: Any) -> int:
    """A saved integer (``int()``), refused beyond 64 bits (the core keeps 64)."""
    number = int(value)
    if not -INT64 <= number < INT64:
        raise ValueError(f"a saved number beyond 64 bits: {number}")
    return number


def saved_text(value: Any) -> str:
    """A saved text (``str()``), refused when it is no UTF-8 (a lone surrogate, which no
    log line yields: lines are decoded with replacement)."""
    text = str(value)
    text.encode("utf-8")
    return text


def saved_mail(data: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """:meth:`MailServers.dump`'s form read for :meth:`MailServers.load` (raises what
    malformed saved state raises, before either engine's state changes)."""
    deliveries = [
        (saved_text(r), [saved_int(t) for t in times]) for r, times in data["deliveries"].items()
    ]
    tally = [(saved_text(h), saved_int(a), saved_int(b)) for h, (a, b) in data["tally"].items()]
    inbound = [(saved_text(h), [saved_text(s) for s in v]) for h, v in data["inbound"].items()]
    inferred = [
        (saved_text(h), saved_int(v["since"]), saved_text(v["why"]))
        for h, v in data["inferred"].items()
    ]
    return deliveries, tally, inbound, inferred
