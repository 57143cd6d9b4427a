"""The server's UTC offset, read from the first Queue-IDs of its mail logs.

Kerio's Queue-IDs carry the UTC time a message was queued; the local time stamp of the
same line gives the offset (:func:`kerio_watch.timebase.offset_from_queue_id`).
"""

from __future__ import annotations

import gzip

from kerio_watch.formats.envelope import StampParser
from kerio_watch.sources.files import LogFile, decode_line, open_binary
from kerio_watch.timebase import offset_from_queue_id


def infer_initial_delta(files: list[LogFile], max_lines: int = 5000) -> int | None:
    """``UTC - local`` from the first Queue-IDs of the mail logs (None if none found)."""
    for log_file in files:
        if log_file.log != "mail" or log_file.syslog:
            continue
        stamp = StampParser()
        checked = 0
        with open_binary(log_file) as handle:
            try:
                for data in handle:
                    checked += 1
                    if checked > max_lines:
                        break
                    text = decode_line(data, LogFile(log_file.path, None))
                    framed = stamp.split(text)
                    if framed is None or not framed.message.startswith("Recv: Queue-ID: "):
                        continue
                    delta = offset_from_queue_id(framed.message[16:33], framed.ts)
                    if delta is not None:
                        return delta
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
    return None
