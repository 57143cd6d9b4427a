"""config.log: administrators' configuration changes (formats doc §8).

- current: ``<admin> - <Verb> <Object> {key="value", ...}`` ->
  ``ConfigChange(admin, Verb, Object, detail="{...}")``;
- Kerio MailServer 6 (2004), SQL-like: ``Admin - insert User set Name='...', ...`` ->
  ``ConfigChange("admin", "insert", "User", "set Name='...', ...")``;
- ``Admin - session opened for host 127.0.0.1`` (also ``closed``) ->
  ``ConfigChange("admin", "session opened", None, "127.0.0.1")``;
- ``Admin - Store backup started`` -> ``ConfigChange("admin", "Store backup started")``;
- any other ``<admin> - <text>`` -> ``ConfigChange(admin, "other", None, text)``; a line
  without `` - `` is ``Unparsed``.

The admin account is lower-cased (accounts and addresses are case-insensitive), so it
joins with the users of the other logs. :meth:`ConfigLogParser.sniff` accepts only the
known shapes.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kerio_watch.events import ConfigChange, Event, Unparsed

LOG = "config"

# The {...} may be cut short (Kerio truncates long lines), so only "{" is required.
_CURRENT = re.compile(
    r"(?P<verb>[A-Z][A-Za-z]*) (?P<obj>[A-Za-z][A-Za-z0-9_.]*) (?P<detail>\{.*)\Z"
)
_SQL = re.compile(
    r"(?P<verb>insert|update|delete|replace) (?P<obj>[A-Za-z][A-Za-z0-9_.]*)(?: (?P<detail>.*))?\Z"
)
# Kerio Control appends ". User-Agent: <ua>"; it is kept in the detail after the host.
_SESSION = re.compile(
    r"session (?P<what>opened|closed) for host (?P<host>\S+?)\.?(?:\s+(?P<more>.*))?\Z"
)
_BACKUP = re.compile(r"Store backup [a-z][a-z ]*\Z")


class ConfigLogParser:
    """Parser for ``config.log``."""

    name: ClassVar[str] = "config"

    def sniff(self, message: str) -> bool:
        """A known config-log shape (not the catch-all ``other``)."""
        event = self.parse(message, 0, message)
        return isinstance(event, ConfigChange) and event.action != "other"

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one config.log message."""
        text = message.rstrip()
        if not text:
            return None
        admin, sep, rest = text.partition(" - ")
        admin = admin.strip()
        if not sep or not admin or " " in admin:
            return Unparsed(LOG, raw, "config: no '<admin> - ' prefix")
        admin = admin.lower()
        m = _CURRENT.match(rest)
        if m is not None:
            return ConfigChange(ts, LOG, raw, admin, m["verb"], m["obj"], m["detail"])
        m = _SQL.match(rest)
        if m is not None:
            return ConfigChange(ts, LOG, raw, admin, m["verb"], m["obj"], m["detail"])
        m = _SESSION.match(rest)
        if m is not None:
            detail = m["host"] if m["more"] is None else f"{m['host']} {m['more']}"
            return ConfigChange(ts, LOG, raw, admin, "session " + m["what"], None, detail)
        if _BACKUP.match(rest):
            return ConfigChange(ts, LOG, raw, admin, rest)
        return ConfigChange(ts, LOG, raw, admin, "other", None, rest)
