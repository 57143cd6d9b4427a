"""Read-only look-ups in Kerio Connect: users, access policies, IP address groups.

Each function makes read calls only; the writes are planned in
:mod:`kerio_watch.respond.actions` and carried out by :mod:`kerio_watch.respond.contain`.
Method and field names: see docs/kerio-api.md.
"""

from __future__ import annotations

from typing import Any

from kerio_watch.respond.client import ApiClient, RpcError


class NotFound(RpcError):
    """What an action needs does not exist in Kerio (a user, a group, a policy)."""

    def __init__(self, what: str, method: str) -> None:
        super().__init__(1002, what, method)


def eq(field: str, value: str) -> dict[str, Any]:
    """A search query matching one field exactly."""
    return {
        "fields": [],
        "conditions": [{"fieldName": field, "comparator": "Eq", "value": value}],
        "combining": "And",
        "start": 0,
        "limit": -1,
    }


EVERYTHING: dict[str, Any] = {"start": 0, "limit": -1}


def find_user(client: ApiClient, address: str) -> dict[str, Any]:
    """A user by e-mail address (``Domains.get`` for the domain, then ``Users.get``).

    Raises:
        NotFound: no such domain or user.
    """
    login, _, domain = address.lower().partition("@")
    domains = client.call("Domains.get", {"query": eq("name", domain)}).get("list") or []
    domain_id = next((d.get("id") for d in domains if str(d.get("name")).lower() == domain), None)
    if not domain_id:
        raise NotFound(f"no domain {domain} in Kerio", "Domains.get")
    users = client.call("Users.get", {"query": eq("loginName", login), "domainId": domain_id})
    for user in users.get("list") or []:
        if str(user.get("loginName", "")).lower() == login and user.get("id"):
            return dict(user)
    raise NotFound(f"no user {address} in Kerio", "Users.get")


def find_policy(client: ApiClient, name: str) -> str:
    """An access policy's id by name (``AccessPolicy.getGroupList``).

    Raises:
        NotFound: no policy of that name.
    """
    groups = client.call("AccessPolicy.getGroupList").get("groups") or []
    for group in groups:
        if str(group.get("name", "")).lower() == name.lower() and group.get("id"):
            return str(group["id"])
    raise NotFound(f"no access policy named {name!r} in Kerio", "AccessPolicy.getGroupList")


def find_group(client: ApiClient, name: str) -> str:
    """An IP address group's id by name (``IpAddressGroups.getGroupList``).

    Raises:
        NotFound: no such group (kerio-watch does not create it: the admin must, and tie
            it to a blocking rule).
    """
    groups = client.call("IpAddressGroups.getGroupList").get("groups") or []
    for group in groups:
        if str(group.get("name", "")) == name and group.get("id"):
            return str(group["id"])
    raise NotFound(
        f"no IP address group named {name!r} in Kerio: create it and tie it to a blocking "
        "rule (Spam Filter > Blacklists > custom blacklist)",
        "IpAddressGroups.getGroupList",
    )


def find_entry(client: ApiClient, group_id: str, host: str) -> dict[str, Any] | None:
    """The entry for ``host`` in a group (``IpAddressGroups.get``), if any."""
    entries = client.call("IpAddressGroups.get", {"query": EVERYTHING}).get("list") or []
    for entry in entries:
        if str(entry.get("groupId")) == group_id and str(entry.get("host")) == host:
            return dict(entry)
    return None


def write_errors(result: dict[str, Any]) -> list[str]:
    """The messages of a mass operation's ``errors`` list."""
    errors = result.get("errors") or []
    return [str(e.get("message") or e) if isinstance(e, dict) else str(e) for e in errors]
