"""What a failed write of the state database most likely means (``service.failures.hint``)."""

from __future__ import annotations

from kerio_watch.service.failures import hint


def test_a_full_disk_says_so() -> None:
    assert hint("database or disk is full") == (
        "the disk may be full (or a file size limit reached)"
    )


def test_an_io_error_names_more_than_a_full_disk() -> None:
    """SQLite's "disk I/O error" also comes from a file system that failed, went away
    (a network share) or made the files read-only (an immutable write-ahead log): the
    hint names those too instead of only a full disk."""
    text = hint("disk I/O error")
    assert "disk may be full" in text
    assert "read-only" in text and "went away" in text


def test_a_lock_and_other_errors() -> None:
    assert "write lock" in hint("database is locked")
    assert hint("something else") == "see the error"
