"""Domain errors. The CLI maps them to exit codes and one clear message each."""

from __future__ import annotations

from kerio_watch.exitcodes import ExitStatus


class KerioWatchError(Exception):
    """Base of every error kerio-watch reports to the user without a traceback."""

    exit_status: ExitStatus = ExitStatus.ERROR


class ConfigError(KerioWatchError):
    """The configuration is invalid; ``problems`` lists every problem found."""

    exit_status = ExitStatus.CONFIG_ERROR

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SourceError(KerioWatchError):
    """A log path is missing, unreadable or not a log."""

    exit_status = ExitStatus.INPUT_ERROR


class StoreError(KerioWatchError):
    """The state database cannot be opened, read or written."""


class SinkError(KerioWatchError):
    """An alert sink gave up delivering an alert."""
