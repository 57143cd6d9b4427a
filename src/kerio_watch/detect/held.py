"""What the learner keeps aside while an account is on probation, and its saved form."""

from __future__ import annotations

from typing import Any, NamedTuple

from kerio_watch.enrich.messages import Submission
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
        ]
    return ["l", item.ts, item.log, item.protocol, item.user, item.source, item.user_agent]


def held_from(row: list[Any]) -> Held:
    """Inverse of :func:`held_row` (a submission's event keeps only what learning reads)."""
    tag = row[0]
    if tag == "h":
        return HeldHour(int(row[1]), int(row[2]), int(row[3]))
    if tag == "s":
        _, ts, account, queue_id, new, sender, rcpts, service, host, logged, via = row
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
