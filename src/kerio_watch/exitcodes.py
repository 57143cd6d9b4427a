"""Process exit codes of ``kerio-watch`` (documented in the README)."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Exit codes; ``FINDINGS`` only with ``--fail-on``.

    ``DB_BUSY``: another ``scan`` or ``follow`` is writing to the state database.
    ``DB_UNUSABLE``: the state database is damaged, or cannot be created or written.
    """

    OK = 0
    ERROR = 1
    USAGE = 2
    CONFIG_ERROR = 3
    FINDINGS = 4
    INPUT_ERROR = 5
    DB_BUSY = 6
    DB_UNUSABLE = 7
    ERROR_CTRL_C = 130
