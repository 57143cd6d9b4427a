"""``type = "command"``: run a program with the alert as JSON on its standard input.

The program is started directly from an argv list, never through a shell, so nothing
in an alert can become part of a command line. It gets the alert JSON (the ``jsonl``
record) on stdin and a few ``KERIO_WATCH_*`` variables; exit status 0 means delivered.
A program still running at ``timeout`` is killed with its whole process group.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass

from kerio_watch.alerts.base import TIMEOUT, Sink, SinkOptions, option
from kerio_watch.alerts.jsonl import alert_record
from kerio_watch.errors import SinkError
from kerio_watch.masking import mask_argv
from kerio_watch.textsafe import json_text, printable
from kerio_watch.values.alert import Alert


@dataclass(frozen=True, kw_only=True)
class CommandOptions(SinkOptions):
    """Options of the command sink."""

    command: tuple[str, ...] = option(
        help="The program and its arguments as a list (run directly, no shell; secrets in "
        "it, like --token=..., are masked on display).",
        example='["/usr/local/bin/notify-pager", "--team", "mail"]',
        mask=mask_argv,
    )
    env: dict[str, str] = option(  # noqa: RUF009 (option() returns a dataclasses.Field)
        {},
        "Extra environment variables for the program (values are masked on display).",
        secret=True,
        example='{ PAGER_TEAM = "mail" }',
    )
    timeout: float = option(
        30.0,
        "Time box for one run; the program (and its children) is killed when it ends.",
        kind="duration",
        example='"30s"',
        bounds=TIMEOUT,
    )

    def check(self) -> list[str]:
        """A non-empty argv."""
        problems = super().check()
        if not self.command or not self.command[0]:
            problems.append(
                'command: expected a list like ["/usr/local/bin/notify", "--json"] '
                "(no shell: the program is run directly)"
            )
        return problems


class CommandSink(Sink[CommandOptions]):
    """Runs a program for each alert."""

    type = "command"
    options_class = CommandOptions

    def send(self, alert: Alert) -> None:
        """Run the program once; non-zero exit or a timeout is a failure."""
        o = self.options
        program = o.command[0]
        if os.sep not in program and shutil.which(program) is None:
            raise SinkError(f"command: {program} not found on PATH (give its full path)")
        data = (json_text(alert_record(alert)) + "\n").encode("utf-8")
        env = {
            **os.environ,
            **o.env,
            "KERIO_WATCH_SINK": self.name,
            "KERIO_WATCH_SEVERITY": alert.severity.label,
            "KERIO_WATCH_INCIDENT": str(alert.incident_id),
            "KERIO_WATCH_USER": printable(alert.user or ""),
        }
        try:
            proc = subprocess.Popen(  # noqa: S603 (argv list from the configuration, no shell)
                list(o.command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise SinkError(f"cannot run {program}: {exc.strerror or exc}") from None
        try:
            _out, err = proc.communicate(data, timeout=o.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise SinkError(f"{program} did not finish within {o.timeout:g} s (killed)") from None
        if proc.returncode != 0:
            tail = printable(err.decode("utf-8", "replace").strip()[-300:])
            status = (
                f"killed by signal {-proc.returncode}"
                if proc.returncode < 0
                else f"exit status {proc.returncode}"
            )
            raise SinkError(f"{program} failed ({status})" + (f": {tail}" if tail else ""))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the program and everything it started, then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:  # a grandchild in its own session holds the pipes
        proc.kill()
