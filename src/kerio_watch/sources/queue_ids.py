"""The server's UTC offset, read from the first Queue-IDs of its mail logs.

Kerio's Queue-IDs carry the UTC time a message was queued; the local time stamp of the
same line gives the offset (:func:`kerio_watch.timebase.offset_from_queue_id`). A mail
log forwarded to syslog is read too: an RFC 3164 stamp is the server's clock, and an
RFC 5424 stamp carries its offset, the wall clock it was written in
(:func:`~kerio_watch.formats.envelope.wall_clock`).
"""

from __future__ import annotations

import gzip

from kerio_watch.formats.envelope import Framed, StampParser, split_syslog, wall_clock
from kerio_watch.sources.files import LogFile, decode_line, open_binary
from kerio_watch.timebase import offset_from_queue_id


def infer_initial_delta(files: list[LogFile], max_lines: int = 5000) -> int | None:
    """``UTC - local`` from the first Queue-IDs of the mail logs (None if none found)."""
    for log_file in files:
        if log_file.log != "mail" and not (log_file.syslog and log_file.log is None):
            continue  # a syslog file that names no log may hold the mail log's lines
        stamp = StampParser()
        checked = 0
        with open_binary(log_file) as handle:
            try:
                for data in handle:
                    checked += 1
                    if checked > max_lines:
                        break
                    text = decode_line(data, LogFile(log_file.path, None))
                    framed = _framed(text, log_file, stamp)
                    if framed is None or not framed.message.startswith("Recv: Queue-ID: "):
                        continue
                    local = wall_clock(text) if framed.utc else framed.ts
                    if local is None:
                        continue
                    delta = offset_from_queue_id(framed.message[16:33], local)
                    if delta is not None:
                        return delta
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
    return None


def _framed(text: str, log_file: LogFile, stamp: StampParser) -> Framed | None:
    if not log_file.syslog:
        return stamp.split(text)
    return split_syslog(text, log_file.year) or stamp.split(text)
