"""What the Kerio Connect emulator knows: domains, users, the queue, IP address groups.

The state behind :mod:`kerio_watch.simulate.kerio_api`. The replayer
(:mod:`kerio_watch.simulate.replay`) fills the queue from the simulated ``mail.log`` as
it writes it, and asks :meth:`KerioState.may_send` whether the server would still accept
a message (after a containment it would not). Every write call is recorded in
:attr:`KerioState.writes` so tests can count them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

NO_SMTP_POLICY = "No sending"
"""The access policy the emulator knows that denies sending (for stop_sending =
access_policy)."""


@dataclass
class QueueItem:
    """One message in the queue (one Queue-ID, its recipients still pending)."""

    id: str
    sender: str
    auth_user: str
    ip: str
    created: int
    recipients: list[str]
    size: int = 0
    status: str = ""
    next_try: int | None = None
    """UTC epoch of the next attempt once deferred; None: as soon as possible."""


@dataclass
class User:
    """A Kerio user (the fields the emulator models)."""

    id: str
    domain_id: str
    login: str
    enabled: bool = True
    restricted: bool = False
    policy_id: str = "keriodb://accesspolicygroup/default"

    def address(self, domains: dict[str, str]) -> str:
        """``login@domain``."""
        return f"{self.login}@{domains[self.domain_id]}"


@dataclass
class Entry:
    """An IP address group entry (``IpAddressEntry``: one host in one group)."""

    id: str
    group_id: str
    group_name: str
    host: str
    description: str = ""
    enabled: bool = True


@dataclass
class KerioState:
    """The emulated server's data; every method takes the lock."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    domains: dict[str, str] = field(default_factory=dict)
    """id -> name."""
    users: dict[str, User] = field(default_factory=dict)
    queue: dict[str, QueueItem] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    """IP address group id -> name."""
    entries: dict[str, Entry] = field(default_factory=dict)
    policies: dict[str, str] = field(default_factory=dict)
    """access policy id -> name."""
    writes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    """Queue-IDs removed through the API."""
    lock: threading.RLock = field(default_factory=threading.RLock)
    _seq: int = 0

    def __post_init__(self) -> None:
        self.policies.setdefault("keriodb://accesspolicygroup/default", "Default")
        self.policies.setdefault("keriodb://accesspolicygroup/nosmtp", NO_SMTP_POLICY)

    def next_id(self, kind: str) -> str:
        self._seq += 1
        return f"keriodb://{kind}/{self._seq:08x}-0000-4000-8000-{self._seq:012x}"

    # -- set-up ---------------------------------------------------------------------------
    def add_account(self, address: str) -> User:
        """Create the domain and user of an address (idempotent)."""
        with self.lock:
            login, _, domain = address.lower().partition("@")
            domain_id = next((i for i, n in self.domains.items() if n == domain), None)
            if domain_id is None:
                domain_id = self.next_id("domain")
                self.domains[domain_id] = domain
            for user in self.users.values():
                if user.domain_id == domain_id and user.login == login:
                    return user
            user = User(self.next_id("user"), domain_id, login)
            self.users[user.id] = user
            return user

    def add_group(self, name: str, hosts: tuple[str, ...] = ("192.0.2.1",)) -> str:
        """An IP address group (Kerio keeps no empty groups: it starts with one entry)."""
        with self.lock:
            group_id = self.next_id("ipaddressgroup")
            self.groups[group_id] = name
            for host in hosts:
                entry_id = self.next_id("ipaddressentry")
                entry = Entry(entry_id, group_id, name, host, "created with the group")
                self.entries[entry.id] = entry
            return group_id

    def user_by_address(self, address: str) -> User | None:
        """The user of an address, if any."""
        login, _, domain = address.lower().partition("@")
        for user in self.users.values():
            if user.login == login and self.domains.get(user.domain_id) == domain:
                return user
        return None

    # -- the mail flow (called by the replayer) ---------------------------------------------
    def may_send(self, account: str | None, recipient: str, ip: str | None) -> bool:
        """Whether Kerio would accept this submission now."""
        with self.lock:
            if ip and self.blocked(ip):
                return False
            if not account:
                return True
            user = self.user_by_address(account)
            if user is None:
                return True
            if not user.enabled or self.policies.get(user.policy_id) == NO_SMTP_POLICY:
                return False
            own = self.domains.get(user.domain_id, "")
            return not (user.restricted and recipient.lower().rpartition("@")[2] != own)

    def blocked(self, ip: str) -> bool:
        """Whether an address is in an enabled entry of any IP address group."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        for entry in self.entries.values():
            if not entry.enabled:
                continue
            try:
                if addr in ipaddress.ip_network(entry.host, strict=False):
                    return True
            except ValueError:
                continue
        return False

    def accept(
        self, qid: str, created: int, sender: str, user: str, ip: str, rcpts: list[str], size: int
    ) -> None:
        """A ``Recv:`` line: the message enters the queue (or gains recipients)."""
        with self.lock:
            if qid in self.removed:
                return
            item = self.queue.get(qid)
            if item is None:
                self.queue[qid] = QueueItem(qid, sender, user, ip, created, list(rcpts), size)
            else:
                item.recipients.extend(r for r in rcpts if r not in item.recipients)

    def deliver(self, qid: str, recipient: str, result: str, status: str, ts: int) -> bool:
        """A ``Sent:`` line; False when the message was removed (Kerio would not send it)."""
        with self.lock:
            if qid in self.removed:
                return False
            item = self.queue.get(qid)
            if item is None:
                return True
            if result == "delayed":
                item.status = status
                item.next_try = ts + 900
                return True
            if recipient in item.recipients:
                item.recipients.remove(recipient)
            if not item.recipients:
                del self.queue[qid]
            return True

    # -- the API's view of a queue item --------------------------------------------------------
    def local_text(self, ts: int) -> str:
        """``YYYY-MM-DD HH:MM:SS`` on the server's clock."""
        return dt.datetime.fromtimestamp(ts, self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def item_json(self, item: QueueItem) -> dict[str, Any]:
        """A ``Queue.get`` list entry (field names: see docs/kerio-api.md)."""
        return {
            "id": item.id,
            "from": item.sender,
            "to": ", ".join(item.recipients),
            "authSender": item.auth_user,
            "senderIp": item.ip,
            "status": item.status,
            "created": self.local_text(item.created),
            "nextTry": "ASAP" if item.next_try is None else self.local_text(item.next_try),
            "size": item.size,
        }
