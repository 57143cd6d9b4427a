"""Where the native engine plugs into the pipeline (the only two changes it makes).

1. The mail parser: ``Recv:`` and ``Sent:`` messages are parsed by the Rust core into
   the same events; whatever it leaves (other lines, lines whose fields depend on
   Python's Unicode tables) goes to the Python :class:`~kerio_watch.formats.mail.MailParser`.
2. The message tracker's table keeps a native set of its Queue-IDs in step, so the
   native reader can drop the ``Sent:`` lines of messages no account sent (the
   pre-filter of :meth:`Pipeline.skip_line <kerio_watch.pipeline.Pipeline.skip_line>`)
   without asking Python line by line.
"""

from __future__ import annotations

from collections import OrderedDict
from types import ModuleType
from typing import Any, ClassVar

from kerio_watch.enrich.messages import MessageState, MessageTracker
from kerio_watch.events import Event, MessageDelivery, MessageReceived, Unparsed
from kerio_watch.formats.mail import MailParser


class MirroredTable(OrderedDict[str, MessageState]):
    """``MessageTracker.messages`` that mirrors its keys into a native ``QidSet``."""

    def __init__(self, ids: Any) -> None:
        super().__init__()
        self.ids = ids

    def __setitem__(self, key: str, value: MessageState) -> None:
        if key not in self:
            self.ids.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.ids.discard(key)

    def popitem(self, last: bool = True) -> tuple[str, MessageState]:
        """Remove and return a (Queue-ID, state) pair (oldest with ``last=False``)."""
        key, value = super().popitem(last)
        self.ids.discard(key)
        return key, value

    def pop(self, key: str, *default: Any) -> Any:
        """Remove a Queue-ID and return its state (or the default)."""
        value = super().pop(key, *default)
        self.ids.discard(key)
        return value

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Insert a Queue-ID if missing; its state."""
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        """Forget every message."""
        super().clear()
        self.ids.clear()


class NativeMailParser:
    """The mail.log parser of the native engine: Rust first, Python for the rest."""

    name: ClassVar[str] = "mail"

    def __init__(self, module: ModuleType) -> None:
        self._native = module.MailParser(MessageReceived, MessageDelivery)
        self._python = MailParser()

    def sniff(self, message: str) -> bool:
        """As :meth:`MailParser.sniff`."""
        return self._python.sniff(message)

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """As :meth:`MailParser.parse` (same events, same unparsed reasons)."""
        event: Event | None = self._native.parse(message, ts, raw)
        if event is not None:
            return event
        return self._python.parse(message, ts, raw)


def attach(tracker: MessageTracker, parsers: dict[str, Any], module: ModuleType) -> Any:
    """Plug the native engine in (before any state is restored); the Queue-ID set."""
    ids = module.QidSet()
    table = MirroredTable(ids)
    table.update(tracker.messages)
    tracker.messages = table
    parsers["mail"] = NativeMailParser(module)
    return ids
