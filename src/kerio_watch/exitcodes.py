"""Process exit codes of ``kerio-watch`` (documented in the README)."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """Exit codes; ``FINDINGS`` only with ``--fail-on``."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONFIG_ERROR = 3
    FINDINGS = 4
    INPUT_ERROR = 5
    ERROR_CTRL_C = 130
