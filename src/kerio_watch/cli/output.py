"""Where command output goes: the terminal, a pipe, or the ``-o/--output`` file.

On a terminal, rich lays text out for the terminal's width. Anywhere else (a pipe, a
file, cron's mail) nothing is hard-wrapped and nothing is cut: a line is as long as
its content, so ``grep`` finds whole lines and identifiers are never split or
shortened with an ellipsis; quoted log lines are whole up to what kerio-watch reads of
a line (:func:`kerio_watch.alerts.console.quoted`). Rules (the ``----- title -----``
lines) keep a readable width there. Documents whose tables would otherwise pad every
line to their longest cell (the report, ``list rules``) are laid out
:data:`REPORT_WIDTH` wide, and the incident list prints one line per incident instead
of a table. No line ends with the blanks rich pads a table's cells with.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import click
from rich.align import AlignMethod
from rich.console import Console
from rich.rule import Rule
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from kerio_watch.errors import OutputError

F = TypeVar("F", bound=Callable[..., Any])
PIPE_WIDTH = 100_000
"""The console width when output is not a terminal: wide enough never to wrap."""
RULE_WIDTH = 80


class OutputConsole(Console):
    """A rich Console that never wraps output that does not go to a terminal, and there
    ends no line with the blanks rich pads a table's cells with."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # Where rich turns what was printed into text (also for ``capture``).
        text = super()._render_buffer(buffer)
        if self.is_terminal:
            return text
        return "\n".join(line.rstrip(" ") for line in text.split("\n"))

    def on_broken_pipe(self) -> None:
        """The reader went away (``kerio-watch incidents | head``): raised as the
        BrokenPipeError the command line ends quietly on, with status 0, as for what
        click writes (rich's own handler exited 1, "an unexpected error" by the README)."""
        self.quiet = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more reaches the pipe,
            os.dup2(devnull, self.file.fileno())  # not even the flush at exit
        raise BrokenPipeError

    def rule(
        self,
        title: str | Text = "",
        *,
        characters: str = "─",
        style: str | Style = "rule.line",
        align: AlignMethod = "center",
    ) -> None:
        """A horizontal rule; at most :data:`RULE_WIDTH` wide when not on a terminal."""
        if self.is_terminal:
            super().rule(title, characters=characters, style=style, align=align)
            return
        rule = Rule(title, characters=characters, style=style, align=align)
        self.print(rule, width=min(self.width, RULE_WIDTH))


REPORT_WIDTH = 160
"""The width of a report for people written to a file or a pipe (a cron mail): its
tables wrap their cells, or every line would be padded to the longest cell."""


def make_console(
    file: IO[str] | None = None, *, stderr: bool = False, document: bool = False
) -> Console:
    """A console for command output (standard output, standard error or ``file``);
    ``document``: a report for people, :data:`REPORT_WIDTH` wide off a terminal
    (otherwise output off a terminal is never wrapped)."""
    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    terminal = _isatty(stream)
    if terminal:
        return OutputConsole(file=stream, highlight=False)
    if document:
        return OutputConsole(file=stream, highlight=False, width=REPORT_WIDTH)
    return OutputConsole(file=stream, highlight=False, width=PIPE_WIDTH, soft_wrap=True)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def output_file_option(
    help: str = "Write to this file instead of standard output.",
) -> Callable[[F], F]:
    """``-o/--output FILE`` (the value arrives as ``output``)."""
    return click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(path_type=Path, dir_okay=False),
        help=help,
    )


@contextmanager
def open_output(path: Path | None, append: bool = False) -> Iterator[IO[str]]:
    """Standard output, or ``path`` opened for writing (UTF-8).

    Raises:
        OutputError: the file cannot be written.
    """
    if path is None:
        yield sys.stdout
        return
    try:
        fh = path.open("a" if append else "w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    with fh:
        yield fh
