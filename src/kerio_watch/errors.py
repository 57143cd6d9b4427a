"""Domain errors. The CLI maps them to exit codes and one clear message each."""

from __future__ import annotations

from kerio_watch.exitcodes import ExitStatus


class KerioWatchError(Exception):
    """Base of every error kerio-watch reports to the user without a traceback."""

    exit_status: ExitStatus = ExitStatus.ERROR


class UsageError(KerioWatchError):
    """Wrong usage that the option parser cannot see: a bad value, options that
    contradict each other, or something named that does not exist (an incident, an
    account)."""

    exit_status = ExitStatus.USAGE


class InstallError(KerioWatchError):
    """Part of kerio-watch's installation is missing; the message names the fix."""

    exit_status = ExitStatus.CONFIG_ERROR


class OutputError(KerioWatchError):
    """An output file (``-o``) cannot be written."""

    exit_status = ExitStatus.INPUT_ERROR


class ListenError(KerioWatchError):
    """The dashboard cannot listen on its address: the port is in use, below 1024
    without the right to it, or the address is not this machine's."""

    exit_status = ExitStatus.INPUT_ERROR


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


class StoreMissing(StoreError):
    """The state database named by ``--db`` (or the default one) does not exist."""

    exit_status = ExitStatus.INPUT_ERROR


class SinkError(KerioWatchError):
    """An alert sink gave up delivering an alert."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what the interrupted command kept (``kept``: one clause, printed
    after "interrupted: ")."""

    def __init__(self, kept: str) -> None:
        self.kept = kept
        super().__init__(kept)
