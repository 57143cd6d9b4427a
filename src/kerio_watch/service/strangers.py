"""Followed files none of whose lines is Kerio's, named once in the service log.

A Postfix log from a syslog server is framed like Kerio's logs forwarded there, so
``follow`` takes it; nothing in it is understood and the follower said nothing, so
the administrator believed it was watching. ``scan`` names such a file
(:attr:`~kerio_watch.sources.logfile.LogFile.not_kerio`); the follower says it once
per file (``event=not_kerio``) when the file has given :data:`ENOUGH` lines, or at least
:data:`FEW` at its first read, and none was understood. It is still followed: in a
shared syslog file Kerio's lines may come later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kerio_watch.log import note
from kerio_watch.sources.logfile import NOT_KERIO
from kerio_watch.sources.tail import FollowedFile, State

ENOUGH = 100
"""Lines after which a file none of whose lines was understood is named."""
FEW = 20
"""Lines a file must give at its first read to be named then (fewer: wait for ENOUGH)."""

_Key = tuple[int, int, str]


class Strangers:
    """Which followed files were judged (named, or found to hold a Kerio line)."""

    def __init__(self) -> None:
        self._decided: set[_Key] = set()
        self._read: set[_Key] = set()
        """Files that gave lines at an earlier look (their first read is over)."""
        self.named: list[str] = []
        """The paths named so far (this run)."""

    def look(self, files: Iterable[FollowedFile]) -> None:
        """After a poll's lines were processed: name the files that qualify."""
        for f in files:
            source = f.source
            key = (f.dev, f.ino, f.first_hash)
            lines = source.lines
            if key in self._decided or not lines or source.copy_of is not None:
                continue
            if f.state not in (State.LIVE, State.GONE):
                continue
            if not source.not_kerio:  # a line was understood (or a header)
                self._decided.add(key)
                continue
            if lines >= ENOUGH or (lines >= FEW and key not in self._read):
                self._decided.add(key)
                self.named.append(f.path)
                note(
                    logging.WARNING,
                    "not_kerio",
                    path=f.path,
                    lines=lines,
                    hint=f"{NOT_KERIO}; it is still followed, in case Kerio's lines come later",
                )
            self._read.add(key)
