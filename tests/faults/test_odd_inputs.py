"""Odd things where a log should be, and odd bytes in one, through the real CLI: what a
power cut, another platform or a mistyped path leaves for ``scan`` and ``follow``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


RSS = (
    "import atexit, re, sys\n"
    "atexit.register(lambda: print('maxrss', re.search(r'VmHWM:\\s*(\\d+)', "
    "open('/proc/self/status').read()).group(1), file=sys.stderr))\n"
    "from kerio_watch.cli import main\n"
    "main()\n"
)
"""``python -m kerio_watch`` that says how much memory it held at most (KiB): its own
peak, not ``ru_maxrss``, which counts the parent's memory when it was forked (a test
worker's hundreds of MB)."""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux's /proc")
def test_a_power_cut_s_nul_bytes_are_read_in_bounded_memory(tmp_path: Path) -> None:
    """256 MB of NUL bytes in the middle of mail.log (a file system's answer to a power
    cut) are read in bounded memory: the native reader held all of it (563 MB resident
    for 300 MB), as Python's never did. Every line around it is read, the line written
    after the block included (it was glued to the cut fragment, both unparsed): the
    fragment is the one unparsed line."""
    lines = site_lines(200)
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "mail.log"
    log.write_text("".join(x + "\n" for x in lines[:200]) + lines[200][:40])
    os.truncate(log, log.stat().st_size + (256 << 20))  # sparse: NUL bytes, no disk
    with log.open("a") as handle:
        handle.write("".join(x + "\n" for x in lines[201:]))
    done = subprocess.run(
        [sys.executable, "-c", RSS, "scan", "--db", str(tmp_path / "s.db"), str(logs)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "400 lines: 200 message_delivery, 199 message_received, 1 unparsed" in done.stderr
    held = int(done.stderr.rsplit("maxrss ", 1)[1].split()[0])
    assert held < 150 * 1024, f"{held} KiB resident"


def test_lines_that_end_in_cr_alone(tmp_path: Path) -> None:
    """A mail.log whose lines end in CR alone is read by scan as the same lines in LF
    (it was one line cut at 65,536 characters: 1 of 400 lines, no alert of 4), and
    follow says once that it does not read it (it read nothing and said nothing)."""
    lines = site_lines(200)
    for name, end in (("lf", "\n"), ("cr", "\r")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "mail.log").write_bytes("".join(x + end for x in lines).encode())
    lf = cli("scan", "--db", str(tmp_path / "lf.db"), "-f", "jsonl", str(tmp_path / "lf"))
    cr = cli("scan", "--db", str(tmp_path / "cr.db"), "-f", "jsonl", str(tmp_path / "cr"))
    assert cr.returncode == 0, cr.stderr
    assert "400 lines: 200 message_received, 200 message_delivery" in cr.stderr
    assert "its lines end in CR alone" in cr.stderr
    assert len(cr.stdout.splitlines()) == 4
    assert cr.stdout == lf.stdout
    again = cli("scan", "--db", str(tmp_path / "cr.db"), str(tmp_path / "cr"))
    assert "400 lines were already processed" in again.stderr
    follow = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kerio_watch",
            "follow",
            "--db",
            str(tmp_path / "f.db"),
            "--poll",
            "0.05",
            str(tmp_path / "cr"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert follow.stderr is not None
    told = []
    for text in follow.stderr:
        told.append(text)
        if "event=started" in text:
            break
    follow.terminate()
    _, rest = follow.communicate(timeout=30)
    log = "".join(told) + rest
    assert log.count("event=cr_line_ends") == 1, log
    assert "kerio-watch scan reads this file" in log
