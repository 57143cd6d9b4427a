"""What to do now about a high or critical incident: concrete Kerio Connect steps.

The steps name this incident's account and addresses. Where they name a place in Kerio
Connect's administration, it is one its documentation names (*Accounts > Users*,
*Status > Active Connections*, *Status > Message Queue* with its *Remove messages*
button and *Authenticated Sender* / *Sender IP* columns, *Configuration > Definitions >
IP Address Groups*); everything else is said by what to do, since menus differ between
versions. Shown in the text output, ``incidents show``, e-mail alerts and the dashboard;
an incident whose administrator session from outside changed the server's configuration
also gets a step that names each change to undo (:mod:`kerio_watch.incidents.changes`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kerio_watch.detect.direct_smtp import KEY_PREFIX as MACHINE_KEY
from kerio_watch.detect.direct_smtp import RULE as MACHINE_RULE
from kerio_watch.enrich.network import DEFAULT_TRUSTED, Networks
from kerio_watch.incidents.changes import AdminChange, undo_text
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable

SHOWN_FROM = Severity.HIGH
_DEFAULT = Networks(DEFAULT_TRUSTED)
WEBMAIL_HOST = "0.0.0.0"  # noqa: S104 (how Kerio logs webmail sends, not an address to use)


@dataclass(frozen=True)
class Step:
    """One thing to do: a short title and what exactly, with the names filled in."""

    title: str
    text: str

    def line(self) -> str:
        """``Title: text`` on one line."""
        return f"{self.title}: {self.text}"


def private_address(address: str) -> bool:
    """In the default trusted networks (private and loopback ranges): the meaning of
    "your own network" when the site's configuration is not at hand (e-mail alerts)."""
    return bool(_DEFAULT.is_trusted(address))


def _addresses(addresses: Sequence[str]) -> list[str]:
    out: list[str] = []
    for a in addresses:
        if a and a not in out and a != WEBMAIL_HOST:
            out.append(printable(a))
    return out


def _machine(inside: list[str], outside: list[str], user: str) -> Step:
    if inside:
        where = ", ".join(inside)
        return Step(
            "Check the machine it uses",
            f"{where} is on your own network: find that machine and take it off the "
            "network, then scan it for malware before the owner logs in again (a new "
            "password typed on an infected machine is stolen again).",
        )
    where = f" ({', '.join(outside)})" if outside else ""
    return Step(
        "Check the machines it uses",
        f"the activity came from outside your network{where}, so {user}'s password was "
        "guessed or stolen: check the owner's own devices (office PC, phone, home "
        "computer) for malware before handing over the new password.",
    )


def _account_steps(user: str) -> list[Step]:
    """Password and sessions, forwarding and filters, the queue."""
    return [
        Step(
            "Change the password and end its sessions",
            f"in Kerio Connect's administration, Accounts > Users, edit {user} and set "
            "a new password (tell the owner by phone, not by e-mail). A new password "
            "does not close what is already logged in: look for its connections and "
            "WebMail sessions in Status > Active Connections, and deactivate the "
            "account until the owner has the new password if they stay; remove "
            "mobile devices of the account that the owner does not recognise.",
        ),
        Step(
            "Check its forwarding and filter rules",
            f"look in {user}'s settings (Accounts > Users) for a forwarding address the "
            "owner did not set, and in its own message filter rules for rules that "
            "forward, redirect or delete mail: intruders hide replies and bounces "
            "this way.",
        ),
        Step(
            "Remove its queued messages",
            "in Status > Message Queue, show the Authenticated Sender and Sender IP "
            "columns (right-click a column header, Columns), then use Remove messages "
            f"for the messages of {user} that the owner did not write, before they are "
            "retried.",
        ),
    ]


def _lone_machine(inside: list[str]) -> Step:
    return Step(
        "Check the machine",
        f"{', '.join(inside)} is on your own network: find that machine and take it off "
        "the network, scan it for malware, and change the passwords of the accounts used "
        "on it once it is clean (a new password typed on an infected machine is stolen "
        "again).",
    )


def by_design(hosts: Sequence[str]) -> Step:
    """A LAN machine that sends mail itself (``direct_smtp``): how to stop the reports
    when it is meant to (the ``[firewall]`` keys that exclude it; nothing is scored
    differently)."""
    where = ", ".join(printable(h) for h in hosts) or "the machine"
    return Step(
        "If it is meant to send mail",
        f"if {where} is a mail server or smarthost, list it in [firewall] mail_servers; "
        "if it is another machine allowed to send (an application server, a monitoring "
        "probe), in [firewall] allowed_hosts; if what it reaches is an outside server it "
        "must use (the ISP's smarthost), list that server in [firewall] relays. Its "
        "connections are then not counted (kerio-watch ack --benign also stops the "
        "reports about this machine).",
    )


def is_machine(key: str | None = None, rules: Sequence[str] = ()) -> bool:
    """Whether an incident (by its key) or an alert (by its rules) is about a LAN
    machine that sends mail itself."""
    return bool(key and key.startswith(MACHINE_KEY)) or MACHINE_RULE in rules


def steps(
    account: str | None,
    addresses: Sequence[str],
    is_internal: Callable[[str], bool | None] | None = None,
    changes: Sequence[AdminChange] = (),
    machine: bool = False,
) -> list[Step]:
    """The steps for an incident about ``account`` involving ``addresses``.

    Args:
        account: the account, None for an incident about an address alone.
        addresses: the client addresses involved, most important first.
        is_internal: whether an address is on the site's own networks (default:
            private, loopback and link-local addresses).
        changes: what an administrator session from outside changed
            (:func:`kerio_watch.incidents.changes.from_facts`): named in a step of its
            own, right after the password, to be undone.
        machine: the incident is about a LAN machine sending mail itself
            (:func:`is_machine`): a last step says how to stop the reports if it is
            meant to.
    """
    inside_of = is_internal or private_address
    shown = _addresses(addresses)
    inside = [a for a in shown if inside_of(a)]
    outside = [a for a in shown if a not in inside]
    out: list[Step] = []
    if account:
        out += _account_steps(printable(account))
    if changes:
        out.insert(1, Step("Undo what the administrator session changed", undo_text(changes)))
    if outside:
        where = ", ".join(outside)
        out.append(
            Step(
                "Block the address",
                f"block {where} at your firewall or router; if it must be refused by "
                "Kerio Connect itself, put it in an IP address group (Configuration > "
                "Definitions > IP Address Groups) that your access policy or spam "
                "filter refuses.",
            )
        )
    if account:
        out.append(_machine(inside, outside, printable(account)))
    elif inside:  # an incident about a machine of the LAN alone (direct SMTP, say)
        out.append(_lone_machine(inside))
        if machine:
            out.append(by_design(inside))
    return out


def applies(severity: Severity) -> bool:
    """Whether an incident of this severity gets the steps (high and critical)."""
    return severity >= SHOWN_FROM
