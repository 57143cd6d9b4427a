"""The emulated API methods: ``handler(state, params) -> result``.

Parameter and result names follow the public clients cited in docs/kerio-api.md
(``igiant/connect``, Kerio's PHP SDK, the Java ``kerio-admin`` client and the Python
``KerioAPI`` example). Search queries support ``conditions`` (``Eq`` or ``Like``, also
given as 0 and 2 as in the Python example), ``start`` and ``limit``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from kerio_watch.simulate.kerio_state import Entry, KerioState, User


class Fail(Exception):
    """A JSON-RPC error answer with Kerio's positional message parameters."""

    def __init__(self, code: int, message: str, params: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


def _matches(row: dict[str, Any], cond: dict[str, Any]) -> bool:
    value = row.get(str(cond["fieldName"]))
    wanted = cond.get("value")
    comparator = cond.get("comparator", "Eq")
    if comparator in ("Eq", 0):
        return str(value).lower() == str(wanted).lower()
    if comparator in ("Like", 2):
        return str(wanted).lower() in str(value).lower()
    raise ValueError(f"comparator {comparator!r}")


def _query(rows: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    query = params.get("query") or {}
    conditions = query.get("conditions") or []
    found = [r for r in rows if all(_matches(r, c) for c in conditions)]
    start = int(query.get("start", 0))
    limit = int(query.get("limit", -1))
    page = found[start:] if limit < 0 else found[start : start + limit]
    return {"list": page, "totalItems": len(found)}


def _user_json(state: KerioState, user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "domainId": user.domain_id,
        "loginName": user.login,
        "isEnabled": user.enabled,
        "hasDomainRestriction": user.restricted,
        "accessPolicy": {"id": user.policy_id, "name": state.policies.get(user.policy_id, "")},
        "emailAddresses": [],
    }


def domains_get(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    rows = [{"id": i, "name": n} for i, n in state.domains.items()]
    return _query(rows, params)


def users_get(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    domain_id = params["domainId"]
    users = [u for u in state.users.values() if u.domain_id == domain_id]
    return _query([_user_json(state, u) for u in users], params)


def users_set(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    ids, pattern = list(params["userIds"]), dict(params["pattern"])
    state.writes.append(("Users.set", {"userIds": ids, "pattern": pattern}))
    errors = []
    for i, uid in enumerate(ids):
        user = state.users.get(uid)
        if user is None:
            errors.append({"inputIndex": i, "code": 1002, "message": "User does not exist."})
            continue
        if "isEnabled" in pattern:
            user.enabled = bool(pattern["isEnabled"])
        if "hasDomainRestriction" in pattern:
            user.restricted = bool(pattern["hasDomainRestriction"])
        if "accessPolicy" in pattern:
            policy = str(pattern["accessPolicy"]["id"])
            if policy not in state.policies:
                raise Fail(1002, "Access policy %1 does not exist.", [policy])
            user.policy_id = policy
    return {"errors": errors}


def policies_get(state: KerioState, _params: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [{"id": i, "name": n} for i, n in state.policies.items()]}


def queue_get(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    items = sorted(state.queue.values(), key=lambda i: (i.created, i.id))
    out = _query([state.item_json(i) for i in items], params)
    out["volume"] = {"value": sum(i.size for i in items), "units": "Bytes"}
    return out


def queue_remove(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    ids = [str(i) for i in params["messageIds"]]
    state.writes.append(("Queue.remove", {"messageIds": ids}))
    deleted = 0
    for qid in ids:
        if state.queue.pop(qid, None) is not None:
            deleted += 1
            state.removed.add(qid)
    return {"deletedItems": deleted}


def queue_remove_matching(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    sender = str(params["senderPattern"]).lower() or "*"
    recipient = str(params["recipientPattern"]).lower() or "*"
    state.writes.append(("Queue.removeMatching", {"senderPattern": sender}))
    doomed = [
        i.id
        for i in state.queue.values()
        if fnmatch.fnmatchcase(i.sender.lower(), sender)
        and any(fnmatch.fnmatchcase(r.lower(), recipient) for r in i.recipients)
    ]
    for qid in doomed:
        del state.queue[qid]
        state.removed.add(qid)
    return {"deletedItems": len(doomed)}


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "groupId": entry.group_id,
        "groupName": entry.group_name,
        "description": entry.description,
        "type": "Host",
        "enabled": entry.enabled,
        "host": entry.host,
    }


def groups_list(state: KerioState, _params: dict[str, Any]) -> dict[str, Any]:
    groups = sorted(state.groups.items(), key=lambda g: g[1].lower())
    return {"groups": [{"id": i, "name": n} for i, n in groups]}


def groups_get(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    return _query([_entry_json(e) for e in state.entries.values()], params)


def groups_create(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    entries = list(params["groups"])
    state.writes.append(("IpAddressGroups.create", {"groups": entries}))
    result, errors = [], []
    for i, data in enumerate(entries):
        name = str(data.get("groupName") or "")
        group_id = str(data.get("groupId") or "")
        if not group_id:
            group_id = next((g for g, n in state.groups.items() if n == name), "")
        if not group_id:
            group_id = state.next_id("ipaddressgroup")
            state.groups[group_id] = name
        host = str(data["host"])
        if any(e.group_id == group_id and e.host == host for e in state.entries.values()):
            errors.append({"inputIndex": i, "code": 1001, "message": "This address group "
                           "already exists!"})  # fmt: skip
            continue
        entry = Entry(
            state.next_id("ipaddressentry"),
            group_id,
            state.groups[group_id],
            host,
            str(data.get("description") or ""),
            bool(data.get("enabled", True)),
        )
        state.entries[entry.id] = entry
        result.append({"inputIndex": i, "id": entry.id})
    return {"errors": errors, "result": result}


def groups_remove(state: KerioState, params: dict[str, Any]) -> dict[str, Any]:
    ids = [str(i) for i in params["groupIds"]]
    state.writes.append(("IpAddressGroups.remove", {"groupIds": ids}))
    errors = []
    for i, entry_id in enumerate(ids):
        if state.entries.pop(entry_id, None) is None:
            errors.append({"inputIndex": i, "code": 1002, "message": "Item does not exist."})
    return {"errors": errors}


METHODS: dict[str, Callable[[KerioState, dict[str, Any]], dict[str, Any]]] = {
    "Domains.get": domains_get,
    "Users.get": users_get,
    "Users.set": users_set,
    "AccessPolicy.getGroupList": policies_get,
    "Queue.get": queue_get,
    "Queue.remove": queue_remove,
    "Queue.removeMatching": queue_remove_matching,
    "IpAddressGroups.getGroupList": groups_list,
    "IpAddressGroups.get": groups_get,
    "IpAddressGroups.create": groups_create,
    "IpAddressGroups.remove": groups_remove,
}
"""Method name -> handler (called with the state's lock held)."""
