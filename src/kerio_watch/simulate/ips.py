"""Addresses handed out to the simulated site's peers, people and attackers, each only once."""

from __future__ import annotations

import ipaddress
import random

from kerio_watch.simulate.data import ATTACKER_PREFIXES, PUBLIC_OCTETS
from kerio_watch.simulate.netplan import GroupRandom, Net


class IpRegistry:
    """Hands out addresses that were never handed out before (so planted IPs stay unseen)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.groups: list[tuple[set[str], set[str]]] = []
        """The clients' and servers' addresses each opt-in group drew (:meth:`group`)."""

    def group(self, seed: int) -> GroupRandom:
        """An opt-in group's own random numbers (seeded with ``seed``), whose addresses
        are never one another group drew for another actor."""
        return GroupRandom(seed, self.groups)

    def fresh(self, prefix: str) -> str:
        rnd = self.rng.randrange
        for _ in range(1000):
            octets = 4 - prefix.count(".")
            ip = prefix + ".".join(str(rnd(1, 255)) for _ in range(octets))
            if ip not in self.used:
                self.used.add(ip)
                return ip
        raise RuntimeError(f"address space {prefix}* exhausted")

    def public(self) -> str:
        return self.fresh(f"{self.rng.choice(PUBLIC_OCTETS)}.")

    def in_net(self, cidr: str) -> str:
        """A never handed out address inside a prefix (``"84.128.0.0/12"``)."""
        net = ipaddress.ip_network(cidr)
        base, size = int(net.network_address), net.num_addresses
        for _ in range(1000):
            ip = str(ipaddress.ip_address(base + self.rng.randrange(1, size - 1)))
            if ip not in self.used and not ip.endswith((".0", ".255")):
                self.used.add(ip)
                return ip
        raise RuntimeError(f"address space {cidr} exhausted")

    def block(self, nets: tuple[Net, ...]) -> str:
        """A /24 inside one of ``nets``, as a prefix ``"a.b.c."`` (a hotel's DHCP pool)."""
        return self.in_net(self.rng.choice(nets).cidr).rpartition(".")[0] + "."

    def lease(self, block: str) -> str:
        """A new address in a /24 prefix from :meth:`block`."""
        return self.fresh(block)

    def attacker(self) -> str:
        return self.fresh(self.rng.choice(ATTACKER_PREFIXES))
