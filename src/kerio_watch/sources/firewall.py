"""What the readers need for firewall logs: discovery by content, headers, syslog years.

- :data:`NAME_HINTS`: file names that name a firewall log (``pfirewall.log``).
- :func:`refine_head`: a file with Windows Firewall's own directives
  (``#Software: Microsoft Windows Firewall``) is a ``pfirewall`` log whatever its name;
  the directives of a W3C log are left out of the lines sniffed.
- :func:`firewall_log`: a syslog file whose records name no log (``kern.log``, a
  firewall's syslog file) is the firewall log most of its messages look like.
- :func:`is_header`: W3C directive lines (``#Fields: ...``) are counted as headers,
  not as unparsed lines.
- :func:`newest_time`, :func:`dated` and :func:`last_year`: an RFC 3164 stamp has no
  year, so the year of the file's last change is used; a stamp later than that change
  (December lines in a file written in January) is last year's. A followed file's last
  change is taken again as it grows (:func:`year_of`), so January's lines written
  after New Year are this year's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kerio_watch.formats import sniff_log
from kerio_watch.formats.connection import FIREWALL_LOGS
from kerio_watch.formats.envelope import MONTHS, Framed
from kerio_watch.formats.pfirewall import is_directive
from kerio_watch.formats.pfirewall import is_header as is_w3c_header

NAME_HINTS: dict[str, str] = {
    "pfirewall": "pfirewall",
    "filterlog": "filterlog",
    "connection": "control",
}
"""File-name stems (``pfirewall.log``, Kerio Control's ``connection.log``) -> log."""

W3C_LOGS = frozenset({"pfirewall"})
"""Logs whose files start with W3C directives."""

DAY = 86400


def refine_head(head: list[str], name_hint: str | None) -> tuple[list[str], str | None]:
    """The first lines to sniff and the name hint, knowing W3C directives."""
    if any(is_w3c_header(line) for line in head):
        name_hint = name_hint or "pfirewall"
    if name_hint in W3C_LOGS:
        head = [line for line in head if not is_directive(line)]
    return head, name_hint


def firewall_log(messages: list[str]) -> str | None:
    """The firewall log these syslog messages belong to, or None."""
    sniffed = sniff_log(messages)
    return sniffed if sniffed in FIREWALL_LOGS else None


def is_header(raw: str, log: str | None) -> bool:
    """A directive line of a W3C log."""
    return log in W3C_LOGS and is_directive(raw)


def newest_time(path: str) -> int | None:
    """A day after the file's last change (epoch seconds): no line of it is later."""
    try:
        return int(Path(path).stat().st_mtime) + DAY
    except OSError:
        return None


AHEAD = 14 * 3600
"""Seconds the clock furthest ahead of UTC is ahead (UTC+14)."""


def year_of(mtime: float) -> int:
    """The year of a file's modification time on the clock furthest ahead (UTC+14): an
    RFC 3164 stamp on any server's clock then is of that year or, when it is later than
    a day after the change (:func:`dated`), of the year before. (In UTC, a file written
    at 00:30 on 1 January in Berlin had its January lines put a year early.) 1970 when
    it cannot be told."""
    try:
        return dt.datetime.fromtimestamp(mtime + AHEAD, dt.UTC).year
    except (OverflowError, ValueError, OSError):
        return 1970


def dated(framed: Framed, raw: str, written: float | None) -> Framed:
    """A record as :func:`last_year` leaves it when it is later than a day after
    ``written`` (its file's last change; None: not known)."""
    if written is None or framed.ts <= written + DAY:
        return framed
    return last_year(framed, raw)


def last_year(framed: Framed, raw: str) -> Framed:
    """An RFC 3164 record moved back a year; other records (their stamps carry the year)
    are returned as they are."""
    head = raw[raw.find(">") + 1 :] if raw.startswith("<") else raw
    if framed.utc or head[:3] not in MONTHS:
        return framed
    when = dt.datetime.fromtimestamp(framed.ts, dt.UTC)
    try:
        earlier = when.replace(year=when.year - 1)
    except ValueError:  # 29 February
        earlier = when.replace(year=when.year - 1, day=28)
    return framed._replace(ts=int(earlier.timestamp()))
