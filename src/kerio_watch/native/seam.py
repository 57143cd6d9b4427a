"""Where the native engine plugs into the pipeline (the only two changes it makes).

1. The mail parser: ``Recv:`` and ``Sent:`` messages are parsed by the Rust core into
   the same events; whatever it leaves (other lines, lines whose fields depend on
   Python's Unicode tables) goes to the Python :class:`~kerio_watch.formats.mail.MailParser`.
2. The message tracker: the core's Queue-ID join (``_native.QueueJoin``, with
   :class:`~kerio_watch.enrich.messages.MessageTracker`'s interface and results) takes
   its place, and keeps a native set of its Queue-IDs in step, so the native reader can
   drop the ``Sent:`` lines of messages no account sent (the pre-filter of
   :meth:`Pipeline.skip_line <kerio_watch.pipeline.Pipeline.skip_line>`) without asking
   Python line by line.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.events import Event, MessageDelivery, MessageReceived, Unparsed
from kerio_watch.formats.mail import MailParser

if TYPE_CHECKING:
    from kerio_watch.detect.context import Context


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


def attach(ctx: Context, parsers: dict[str, Any], module: ModuleType) -> Any:
    """Plug the native engine in (before any state is restored and before the stages
    that hold the tracker are built); the Queue-ID set."""
    if ctx.messages.messages:
        raise RuntimeError("the native join replaces a message tracker that holds messages")
    ids = module.QidSet()
    ctx.messages = module.QueueJoin(ctx.messages.limit, ids)
    parsers["mail"] = NativeMailParser(module)
    return ids
