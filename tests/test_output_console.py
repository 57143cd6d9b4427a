"""``cli/output.py``: what command output looks like off a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys

from rich import box
from rich.table import Table

from kerio_watch.cli.output import OutputConsole, make_console


def _table() -> Table:
    table = Table(title="Planted scenarios", box=box.SIMPLE_HEAD)
    table.add_column("planted")
    table.add_column("found")
    table.add_row("hijack night burst", "caught (critical), high after 0 min")
    table.add_row("benign traveller", "quiet")
    return table


def test_a_table_through_a_pipe_ends_no_line_with_blanks() -> None:
    out = io.StringIO()
    make_console(out).print(_table())
    lines = out.getvalue().splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    # The cells still line up: each row's second column starts where the header's does.
    header = next(line for line in lines if "planted" in line)
    row = next(line for line in lines if "benign traveller" in line)
    assert row.index("quiet") == header.index("found")


def test_blanks_inside_a_line_are_kept_and_a_capture_is_trimmed_too() -> None:
    out = io.StringIO()
    console = make_console(out)
    console.print("two  blanks inside   ")
    with console.capture() as captured:
        console.print(_table())
    assert out.getvalue() == "two  blanks inside\n"
    assert "quiet\n" in captured.get()


def test_on_a_terminal_rich_lays_the_table_out_as_always() -> None:
    screen = io.StringIO()
    terminal = OutputConsole(file=screen, force_terminal=True, width=60, color_system=None)
    terminal.print(_table())
    assert any(line != line.rstrip() for line in screen.getvalue().splitlines())


def test_a_reader_that_goes_away_ends_the_command_quietly_with_0() -> None:
    """``kerio-watch list formats | true``: rich's handler of the broken pipe exited 1,
    which the README keeps for an unexpected error to report; what click writes ended
    with 0. Every command's output through rich now ends as click's does."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kerio_watch", "list", "formats"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
