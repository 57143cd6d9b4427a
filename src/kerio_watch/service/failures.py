"""What the follower says when writing its state fails (see :mod:`kerio_watch.service`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from kerio_watch.errors import KerioWatchError, StoreError
from kerio_watch.log import note
from kerio_watch.store.diagnose import is_damage, is_readonly, unusable
from kerio_watch.values.checkpoint import FileCheckpoint

DAMAGE_TRIES = 2
"""Attempts to reopen a damaged database (a passing I/O error) before giving up."""


def log_failure(error: str, damaged: bool, db_path: Path, pause: float, not_processed: str) -> None:
    """Log a failed write: what happened, and what is (not) lost."""
    if damaged:
        event = "state_damaged"
        lost = "the state in the damaged file; the logs are intact (db recover)"
    else:
        event = "state_write_failed"
        lost = "nothing yet (reading resumes from the last checkpoint once writing works)"
    note(
        logging.ERROR,
        event,
        error=error,
        db=str(db_path),
        hint=hint(error),
        retry_in=pause,
        not_processed=not_processed,
        lost=lost,
    )


def log_giving_up(db_path: Path, damaged: bool, give_up_after: float, not_processed: str) -> None:
    """Log that the service exits for its supervisor to restart it."""
    note(
        logging.ERROR,
        "giving_up",
        db=str(db_path),
        reason="the state database is damaged"
        if damaged
        else f"writing failed for {give_up_after:g} s",
        not_processed=not_processed,
        next=f"kerio-watch db check --db {db_path}"
        if damaged
        else "free the disk or the database, then start again (status 7)",
    )


def unprocessed(committed: Sequence[FileCheckpoint]) -> str:
    """What the last commit does not cover: each followed file from its position."""
    parts = []
    for cp in committed:
        if cp.gone or cp.compressed:
            continue
        try:
            size = Path(cp.path).stat().st_size
        except OSError:
            continue
        if size > cp.offset:
            parts.append(f"{cp.path} from byte {cp.offset} ({size - cp.offset} bytes)")
    return "; ".join(parts) or "nothing"


def one_line(exc: BaseException) -> str:
    """An error's text on one line."""
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def is_readonly_error(exc: BaseException) -> bool:
    """A read-only database (not a damaged one)."""
    return is_readonly(exc) and not is_damage(exc)


def write_error(db_path: Path, exc: BaseException) -> KerioWatchError:
    """A failed first write, as one clear error."""
    if isinstance(exc, StoreError) and not (is_damage(exc) or is_readonly(exc)):
        return unusable(db_path, f"{exc} ({hint(str(exc))})")
    return unusable(db_path, exc)


def hint(error: str) -> str:
    """What an error most likely means for the administrator."""
    low = error.lower()
    if is_damage(low):
        return "the database file is damaged: kerio-watch db check, then db recover"
    if "locked" in low or "busy" in low:
        return "another program holds a write lock on the database"
    if "full" in low:
        return "the disk may be full (or a file size limit reached)"
    if "i/o" in low:  # SQLite says only "disk I/O error" for several causes
        return (
            "the disk may be full (or a file size limit reached), or the file system failed, "
            "went away or made the database's files read-only"
        )
    return "see the error"
