"""audit.log: successful authentications (``shared/docs/kerio-log-formats.md`` §5).

``<PROTO>: User <account> authenticated  from IP address <ip>[; <User-Agent>]``

- ``PROTO`` may contain ``/`` (``HTTP/WebMail``, ``HTTP/KOFF``, ``HTTP/WebAdmin``).
- On disk there are two spaces before ``from``; the syslog example has one: any
  whitespace is accepted.
- The user agent follows the first ``;`` after the address and is kept whole (it may
  contain ``;`` itself). A trailing ``.`` after the address is dropped; a ``.`` at the
  end of a user agent belongs to the user agent.
- The address is read only up to whitespace or ``;``, so a user agent (which the
  client chooses) cannot change it.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kerio_watch.events import Event, LoginSucceeded, Unparsed

LOG = "audit"

_LINE = re.compile(
    r"(?P<proto>[A-Za-z0-9][A-Za-z0-9/_.-]*): User (?P<user>\S.*?) authenticated\s+"
    r"from IP address (?P<ip>[^\s;]+?)\.?(?:;[ \t]*(?P<ua>.*?))?[ \t\r\n]*\Z"
)


class AuditParser:
    """Parser for ``audit.log``."""

    name: ClassVar[str] = "audit"

    def sniff(self, message: str) -> bool:
        """A successful-authentication line."""
        return " authenticated" in message and _LINE.match(message) is not None

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one audit.log message."""
        if " authenticated" not in message:
            return None
        m = _LINE.match(message)
        if m is None:
            return Unparsed(LOG, raw, "unreadable authentication line")
        ua = m["ua"]
        return LoginSucceeded(
            ts, LOG, raw, m["proto"], m["user"].lower(), m["ip"], ua if ua else None
        )
