"""What the learner keeps aside while an account is on probation, and its saved form."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from kerio_watch.enrich.messages import Submission
from kerio_watch.enrich.network import Networks
from kerio_watch.events import LoginSucceeded, MessageReceived


class HeldHour(NamedTuple):
    """A finished hour of sending kept aside: (clock hour, messages, recipients)."""

    hour: int
    messages: int
    recipients: int


Held = Submission | LoginSucceeded | HeldHour


def held_row(item: Held) -> list[Any]:
    """A held item in compact saved form (see :func:`held_from`)."""
    if isinstance(item, HeldHour):
        return ["h", item.hour, item.messages, item.recipients]
    if isinstance(item, Submission):
        return [
            "s",
            item.ts,
            item.account,
            item.queue_id,
            item.new_message,
            item.sender,
            list(item.recipients),
            item.service,
            item.host,
            item.logged_host,
            item.via_session,
            item.event.msg_id,
        ]
    return ["l", item.ts, item.log, item.protocol, item.user, item.source, item.user_agent]


def held_from(row: list[Any]) -> Held:
    """Inverse of :func:`held_row` (a submission's event keeps only what learning reads:
    its Message-ID is the mail program learned, :func:`~kerio_watch.enrich.clients.client_of`;
    a row saved without it learns none)."""
    tag = row[0]
    if tag == "h":
        return HeldHour(int(row[1]), int(row[2]), int(row[3]))
    if tag == "s":
        _, ts, account, queue_id, new, sender, rcpts, service, host, logged, via = row[:11]
        msg_id = row[11] if len(row) > 11 else None  # older rows lack it
        recipients = tuple(str(r) for r in rcpts)
        event = MessageReceived(
            int(ts),
            "mail",
            "",
            str(queue_id),
            str(service),
            str(sender),
            recipients,
            sender_host=logged,
            user=str(account),
            msg_id=None if msg_id is None else str(msg_id),
        )
        return Submission(
            int(ts),
            str(account),
            str(queue_id),
            bool(new),
            str(sender),
            recipients,
            str(service),
            host,
            logged,
            bool(via),
            event,
        )
    if tag == "l":
        _, ts, log_name, protocol, user, source, agent = row
        return LoginSucceeded(
            int(ts), str(log_name), "", str(protocol), str(user), str(source), agent
        )
    raise ValueError(f"unknown held item {tag!r}")


def from_inside(item: Held, networks: Networks) -> bool:
    """Done from inside the trusted networks (the office LAN, the VPN): a message or a
    login; an hour's count has no address."""
    if isinstance(item, Submission):
        return networks.is_trusted(item.host) is True
    if isinstance(item, LoginSucceeded):
        return networks.is_trusted(item.source) is True
    return False


def address_of(item: Held | None) -> str | None:
    """The client address of a message or a login; None for an hour's count or no item
    (whose learning is held whenever the account's is)."""
    if isinstance(item, Submission):
        return item.host
    if isinstance(item, LoginSucceeded):
        return item.source
    return None


class Hold:
    """Learning held for one account during one incident (:mod:`.learner`)."""

    __slots__ = ("forgot", "items", "opened", "since", "worst")

    def __init__(self, opened: int | None, since: int) -> None:
        self.opened = opened
        self.since = since
        self.worst = 0
        self.forgot = False
        self.items: list[Held] = []


def holds_rows(holds: dict[str, Hold]) -> dict[str, list[Any]]:
    """The saved form of the learner's holds."""
    return {
        a: [h.opened, h.since, h.worst, h.forgot, [held_row(i) for i in h.items]]
        for a, h in holds.items()
    }


def holds_from(rows: dict[str, Any]) -> dict[str, Hold]:
    """Holds from their saved form (:func:`holds_rows`)."""
    holds: dict[str, Hold] = {}
    for account, (opened, since, worst, forgot, items) in rows.items():
        hold = Hold(None if opened is None else int(opened), int(since))
        hold.worst = int(worst)
        hold.forgot = bool(forgot)
        hold.items = [held_from(row) for row in items]
        holds[str(account)] = hold
    return holds


def sent_rows(
    sent: Iterable[tuple[int, str, str]],
    messages: Mapping[str, Any],
    counts: Mapping[str, tuple[int, int, int]],
) -> list[list[Any]]:
    """The saved form of messages whose delivery results are pending, with the results
    so far (from the message tracker, or saved by an earlier run)."""
    rows: list[list[Any]] = []
    for ts, queue_id, account in sent:
        state = messages.get(queue_id)
        if state is not None:
            rows.append([ts, queue_id, account, state.delivered, state.failed, state.delayed])
        elif queue_id in counts:
            rows.append([ts, queue_id, account, *counts[queue_id]])
        else:
            rows.append([ts, queue_id, account])
    return rows


def restore_sent(
    rows: Iterable[Any],
    sent: deque[tuple[int, str, str]],
    counts: dict[str, tuple[int, int, int]],
) -> None:
    """Pending messages (and their results so far) from :func:`sent_rows`' form."""
    for row in rows:
        ts, queue_id, account = int(row[0]), str(row[1]), str(row[2])
        sent.append((ts, queue_id, account))
        if len(row) > 3:
            counts[queue_id] = (int(row[3]), int(row[4]), int(row[5]))
