"""The three containment actions: what each writes, how to check it, how to undo it.

- ``stop_sending``: ``Users.set`` with ``hasDomainRestriction`` (the account may mail its
  own domain only), ``isEnabled = false``, or another ``accessPolicy``; undone by setting
  the previous value back.
- ``remove_queued``: ``Queue.remove`` of the account's messages queued since the incident
  began (or ``Queue.removeMatching`` of everything it has queued). Cannot be undone.
- ``block_ip``: ``IpAddressGroups.create`` of an entry for the attacker's address in the
  configured group; undone by ``IpAddressGroups.remove`` of that entry.

Planning makes read calls only and returns the exact write calls, so a dry run shows
them and a real run records them before making them. :func:`in_effect` and
:func:`is_released` ask the API whether an action (or its release) took effect; they
make reconciling after a crash safe: an action whose effect is there is not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kerio_watch.respond.client import ApiClient, RpcError
from kerio_watch.respond.kerio import find_entry, find_group, find_policy, find_user, write_errors
from kerio_watch.respond.queue import ToUtc, parse_item
from kerio_watch.respond.settings import KerioApiConfig

Call = tuple[str, dict[str, Any]]
CHUNK = 500
"""Queue IDs per ``Queue.remove`` call."""


@dataclass
class Plan:
    """What one action will write, or why it writes nothing."""

    action: str
    target: str
    calls: list[Call] = field(default_factory=list)
    undo: dict[str, Any] = field(default_factory=dict)
    skip: str | None = None
    what: str = ""
    """One line for people: what the calls do."""


# -- stop_sending ---------------------------------------------------------------------------
_MODES = {
    "domain_restriction": ("hasDomainRestriction", True, "restrict {a} to mail within its domain"),
    "disable": ("isEnabled", False, "disable the account {a}"),
}


def plan_stop(client: ApiClient, api: KerioApiConfig, account: str) -> Plan:
    """Stop an account sending, by the configured control."""
    mode = api.contain.stop_sending
    user = find_user(client, account)
    plan = Plan("stop_sending", account, undo={"mode": mode, "user_id": user["id"]})
    if mode == "access_policy":
        policy = find_policy(client, api.contain.access_policy or "")
        previous = str((user.get("accessPolicy") or {}).get("id") or "")
        if previous == policy:
            plan.skip = f"{account} already has the access policy {api.contain.access_policy}"
            return plan
        plan.undo.update(field="accessPolicy", value={"id": policy}, previous={"id": previous})
        plan.what = f"switch {account} to the access policy {api.contain.access_policy}"
    else:
        name, value, what = _MODES[mode]
        if user.get(name) == value:
            plan.skip = f"{account} already has {name} = {str(value).lower()}"
            return plan
        plan.undo.update(field=name, value=value, previous=user.get(name, not value))
        plan.what = what.format(a=account)
    pattern = {plan.undo["field"]: plan.undo["value"]}
    plan.calls.append(("Users.set", {"userIds": [user["id"]], "pattern": pattern}))
    return plan


# -- block_ip --------------------------------------------------------------------------------
def plan_block(client: ApiClient, api: KerioApiConfig, ip: str, note: str) -> Plan:
    """Put an address into the configured IP address group."""
    name = api.contain.ip_group
    group_id = find_group(client, name)
    plan = Plan("block_ip", ip, undo={"group_id": group_id, "group": name, "host": ip})
    if find_entry(client, group_id, ip) is not None:
        plan.skip = f"{ip} is already in the IP address group {name}"
        return plan
    entry = {
        "groupId": group_id,
        "groupName": name,
        "type": "Host",
        "host": ip,
        "description": note[:200],
        "enabled": True,
    }
    plan.calls.append(("IpAddressGroups.create", {"groups": [entry]}))
    plan.what = f"add {ip} to the IP address group {name}"
    return plan


# -- remove_queued ---------------------------------------------------------------------------
def queued_ids(
    client: ApiClient, api: KerioApiConfig, to_utc: ToUtc, account: str, since: int | None
) -> list[str]:
    """Queue IDs of ``account``'s messages queued at or after ``since`` (all if None)."""
    ids: list[str] = []
    start = 0
    while start < api.queue_limit:
        result = client.call("Queue.get", {"query": {"start": start, "limit": 1000}})
        page = result.get("list") or []
        for raw in page:
            msg = parse_item(raw, api, to_utc) if isinstance(raw, dict) else None
            if msg is None or msg.account != account:
                continue
            if since is None or msg.created is None or msg.created >= since:
                ids.append(msg.id)
        start += len(page)
        if len(page) < 1000 or start >= int(result.get("totalItems") or 0):
            break
    return ids


def plan_remove(
    client: ApiClient, api: KerioApiConfig, to_utc: ToUtc, account: str, since: int
) -> Plan:
    """Remove the account's queued messages (those of the incident, or all of them)."""
    plan = Plan("remove_queued", account)
    if api.contain.queue_scope == "sender":
        plan.calls.append(
            ("Queue.removeMatching", {"senderPattern": account, "recipientPattern": "*"})
        )
        plan.undo = {"scope": "sender"}
        plan.what = f"remove every message from {account} in the queue"
        return plan
    ids = queued_ids(client, api, to_utc, account, since)
    plan.undo = {"scope": "incident", "ids": ids, "since": since}
    if not ids:
        plan.skip = f"no message from {account} in the queue since the incident began"
        return plan
    for i in range(0, len(ids), CHUNK):
        plan.calls.append(("Queue.remove", {"messageIds": ids[i : i + CHUNK]}))
    plan.what = f"remove {len(ids)} queued message{'s' if len(ids) != 1 else ''} from {account}"
    return plan


# -- results, checks and undo ---------------------------------------------------------------
def check_answer(method: str, result: dict[str, Any], undo: dict[str, Any]) -> None:
    """Raise when a write's answer reports a failure; note what a release needs.

    Raises:
        RpcError: the answer lists errors (mass operations answer 200 with ``errors``).
    """
    errors = write_errors(result)
    if errors:
        raise RpcError(1000, "; ".join(errors), method)
    if method == "IpAddressGroups.create":
        created = result.get("result") or []
        if not created or not isinstance(created[0], dict) or not created[0].get("id"):
            raise RpcError(1000, "no entry was created", method)
        undo["entry_id"] = str(created[0]["id"])


def in_effect(client: ApiClient, api: KerioApiConfig, to_utc: ToUtc, record: Any) -> bool:
    """Whether an action's effect is in place (reconciling a crash or a lost answer)."""
    undo = record.undo
    if record.action == "stop_sending":
        user = find_user(client, record.target)
        value = user.get(undo["field"])
        if undo["field"] == "accessPolicy":
            return str((value or {}).get("id")) == str(undo["value"]["id"])
        return bool(value == undo["value"])
    if record.action == "block_ip":
        entry = find_entry(client, undo["group_id"], record.target)
        if entry is not None:
            undo["entry_id"] = str(entry.get("id"))
        return entry is not None
    if undo.get("scope") == "sender":
        return not queued_ids(client, api, to_utc, record.target, None)
    remaining = set(queued_ids(client, api, to_utc, record.target, None))
    return not remaining.intersection(undo.get("ids") or [])


def remaining_calls(
    client: ApiClient, api: KerioApiConfig, to_utc: ToUtc, record: Any
) -> list[Call]:
    """The writes still needed for an action that is not (fully) in effect."""
    if record.action == "remove_queued" and record.undo.get("scope") == "incident":
        present = set(queued_ids(client, api, to_utc, record.target, None))
        ids = [i for i in record.undo.get("ids") or [] if i in present]
        return [
            ("Queue.remove", {"messageIds": ids[i : i + CHUNK]}) for i in range(0, len(ids), CHUNK)
        ]
    return [(c["call"][0], c["call"][1]) for c in record.calls if c.get("planned")]


def undo_calls(client: ApiClient, record: Any) -> list[Call]:
    """The writes that release an action (nothing for removed queue messages)."""
    undo = record.undo
    if record.action == "stop_sending":
        pattern = {undo["field"]: undo["previous"]}
        return [("Users.set", {"userIds": [undo["user_id"]], "pattern": pattern})]
    if record.action == "block_ip":
        entry_id = undo.get("entry_id")
        if not entry_id:
            entry = find_entry(client, undo["group_id"], record.target)
            entry_id = entry.get("id") if entry else None
        return [("IpAddressGroups.remove", {"groupIds": [entry_id]})] if entry_id else []
    return []


def is_released(client: ApiClient, record: Any) -> bool:
    """Whether an action's effect is gone (released, or undone by hand)."""
    undo = record.undo
    if record.action == "stop_sending":
        user = find_user(client, record.target)
        value = user.get(undo["field"])
        if undo["field"] == "accessPolicy":
            return str((value or {}).get("id")) != str(undo["value"]["id"])
        return bool(value != undo["value"])
    if record.action == "block_ip":
        return find_entry(client, undo["group_id"], record.target) is None
    return True
