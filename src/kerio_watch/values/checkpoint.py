"""Where ``follow`` is in one log file: what the store keeps for the sources."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileCheckpoint:
    """Where ``follow`` is in one log file.

    The identity is ``(dev, ino, first_hash)``: the inode and the SHA-256 of the file's
    first complete line (fail2ban's rule), so a reused inode or a rewritten file is not
    mistaken for the one read before. ``offset`` is the byte after the last line handed
    to the pipeline; ``gone`` marks a file that was rotated away or deleted (kept for a
    while so a compressed or copied twin of it is not read twice); ``checked`` one whose
    lines are looked for in its log's other files before they are read (a copy saved
    with other line ends: nothing in the two files says which one is the copy).
    """

    dev: int
    ino: int
    first_hash: str
    path: str
    log: str | None
    offset: int
    lineno: int
    size: int
    compressed: bool = False
    gone: bool = False
    updated: int = 0
    """Wall-clock epoch seconds when this was recorded (for display and pruning only)."""
    first_ts: int | None = None
    """Log time (local seconds) of the first line, to tell an old copy from a new file."""
    checked: bool = False
    """Its lines are checked against its log's files (:mod:`kerio_watch.sources.echo`)."""
