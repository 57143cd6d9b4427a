"""Odd things where a log should be, and odd bytes in one, through the real CLI: what a
power cut, another platform or a mistyped path leaves for ``scan`` and ``follow``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from faultlib import cli, site_lines


def test_follow_refuses_a_named_pipe(tmp_path: Path) -> None:
    """follow of a named pipe says what it is and what to use (exit status 5). It was
    stuck opening the pipe until a writer came, silent and deaf to SIGTERM; scan still
    reads a pipe once (``scan <(zcat ...)``)."""
    fifo = tmp_path / "mail.log"
    os.mkfifo(fifo)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kerio_watch",
                "follow",
                "--db",
                str(tmp_path / "s.db"),
                str(fifo),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError("follow hung on a named pipe") from exc
    assert done.returncode == 5, done.stderr
    assert f"{fifo}: a named pipe or a device, not a file" in done.stderr
    assert "kerio-watch scan" in done.stderr
    assert "Traceback" not in done.stderr
    writer = subprocess.Popen(
        ["sh", "-c", 'cat "$0" > "$1"', "-", str(fifo)],
        stdin=subprocess.PIPE,
    )
    assert writer.stdin is not None
    writer.stdin.write("".join(x + "\n" for x in site_lines(50)).encode())
    writer.stdin.close()
    scanned = cli("scan", "--db", str(tmp_path / "scan.db"), str(fifo))
    writer.wait(30)
    assert scanned.returncode == 0, scanned.stderr
    assert "100 lines: 50 message_received, 50 message_delivery" in scanned.stderr
