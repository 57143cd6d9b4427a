"""The direct-SMTP detector's address tests, in either engine.

:class:`SmtpNets` answers, for one address text, the questions the detector asks of
every connection: is it a LAN address (inside the trusted networks, and an IP
address), outside every trusted network, or excluded as a connection's source or
destination by ``[firewall]``'s ``mail_servers``, ``relays`` and ``allowed_hosts``;
and keeps the machines an administrator marked benign. The answers are bits of one
integer (:data:`LAN`, :data:`EXTERNAL`, :data:`FROM_EXCLUDED`, :data:`TO_EXCLUDED`).

A native run asks the core's (``kerio_watch._native.SmtpNets``,
``native/src/smtpnet.rs``): it answers a dotted quad as
:func:`~kerio_watch.enrich.network.network_of` reads one from IPv4 prefix tables, and
asks this module's :meth:`SmtpNets.answer` once for any other text (IPv6, a host name,
a malformed address), keeping the answer. :func:`new_smtp_nets` makes the engine's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kerio_watch.detect.smtp_hosts import Exclusions, remember
from kerio_watch.detect.smtp_hosts_mail import native_module
from kerio_watch.enrich.network import Networks
from kerio_watch.values.ip import is_ip

LAN = 1
"""Inside the trusted networks, and an IP address."""
EXTERNAL = 2
"""Outside every trusted network (:meth:`Networks.is_external`)."""
FROM_EXCLUDED = 4
"""A connection from it is not counted (:meth:`Exclusions.source`)."""
TO_EXCLUDED = 8
"""A connection to it is not counted (:meth:`Exclusions.destination`)."""


class SmtpNets:
    """The trusted networks, the configured exclusions and the benign machines."""

    def __init__(self, networks: Networks, fixed: Exclusions) -> None:
        self.networks, self.fixed = networks, fixed
        self.known: dict[str, int] = {}
        self._benign: set[str] = set()

    def answer(self, host: str) -> int:
        """The answers for ``host``, from :class:`Networks` and :class:`Exclusions`."""
        trusted = self.networks.is_trusted(host)
        out = LAN if trusted and is_ip(host) else 0
        if trusted is False:
            out |= EXTERNAL
        if self.fixed.source(host):
            out |= FROM_EXCLUDED
        if self.fixed.destination(host):
            out |= TO_EXCLUDED
        return out

    def classify(self, host: str) -> int:
        """The answers for ``host`` (kept: the same addresses recur)."""
        known = self.known.get(host)
        if known is None:
            known = self.answer(host)
            remember(self.known, host, known)
        return known

    def excluded(self, host: str, dst: str) -> bool:
        """A connection from ``host`` to ``dst`` is not counted."""
        return bool(
            self.classify(host) & FROM_EXCLUDED
            or host in self._benign
            or self.classify(dst) & TO_EXCLUDED
        )

    def set_benign(self, hosts: Iterable[str]) -> None:
        """The machines an administrator marked benign (replaced)."""
        self._benign = set(hosts)

    @property
    def benign(self) -> list[str]:
        """The machines marked benign, sorted."""
        return sorted(self._benign)


def ipv4_prefixes(networks: Networks) -> list[tuple[int, int]]:
    """The IPv4 networks of ``networks`` as (network address, prefix length) pairs."""
    return [
        (int(net.network_address), net.prefixlen) for net in networks.networks if net.version == 4
    ]


def new_smtp_nets(networks: Networks, fixed: Exclusions) -> Any:
    """An :class:`SmtpNets` of the engine in use (the core's asks Python's for any text
    that is no dotted quad)."""
    python = SmtpNets(networks, fixed)
    module = native_module()
    if module is None:
        return python
    return module.SmtpNets(
        ipv4_prefixes(networks),
        ipv4_prefixes(fixed.servers),
        ipv4_prefixes(fixed.relays),
        ipv4_prefixes(fixed.allowed),
        python.answer,
    )
