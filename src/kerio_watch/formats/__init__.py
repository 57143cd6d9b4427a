"""Log formats: one parser module per Kerio log (and per firewall log), registered here.

To add a format: write ``formats/<name>.py`` with a class implementing
:class:`kerio_watch.formats.base.Parser`, add one line to :data:`FORMATS`, and add
golden samples under ``tests/samples/<name>.log``.
"""

from __future__ import annotations

from kerio_watch.formats.audit import AuditParser
from kerio_watch.formats.base import Parser
from kerio_watch.formats.config_log import ConfigLogParser
from kerio_watch.formats.control import ControlParser
from kerio_watch.formats.filterlog import FilterlogParser
from kerio_watch.formats.mail import MailParser
from kerio_watch.formats.netfilter import NetfilterParser
from kerio_watch.formats.operations import OperationsParser
from kerio_watch.formats.pfirewall import PfirewallParser
from kerio_watch.formats.security import SecurityParser
from kerio_watch.formats.spam import SpamParser
from kerio_watch.formats.warning import WarningParser

FORMATS: dict[str, type[Parser]] = {
    "mail": MailParser,
    "security": SecurityParser,
    "audit": AuditParser,
    "operations": OperationsParser,
    "spam": SpamParser,
    "warning": WarningParser,
    "config": ConfigLogParser,
    "netfilter": NetfilterParser,
    "filterlog": FilterlogParser,
    "pfirewall": PfirewallParser,
    "control": ControlParser,
}
"""Log name -> parser class. The name is also the ``log`` of the events it makes."""


def build_parsers() -> dict[str, Parser]:
    """One instance of every registered parser, by log name."""
    return {name: cls() for name, cls in FORMATS.items()}


def sniff_log(messages: list[str]) -> str | None:
    """The log name whose parser recognises most of these messages, or None."""
    best, best_hits = None, 0
    for name, parser in build_parsers().items():
        hits = sum(1 for m in messages if parser.sniff(m))
        if hits > best_hits:
            best, best_hits = name, hits
    return best
