"""After quick start 1, the demo's suggestions work as printed (issue 12, finding 7).

The README installs into ``.venv`` and runs ``.venv/bin/kerio-watch demo``: the demo
suggested ``kerio-watch ...`` commands (not on the PATH) and ``kerio-watch serve``
exited 1, pointing at ``pip install 'kerio-watch[web]'`` on the package index. Now the
dashboard comes with the install, and the suggestions name the program as it was run.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

VENV = Path(sys.executable).parent.parent
SCRIPT = VENV / "bin" / "kerio-watch"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder standing in for the checkout: ``.venv`` is this test run's venv."""
    if not SCRIPT.exists():
        pytest.skip("kerio-watch is not installed as a script in this environment")
    (tmp_path / ".venv").symlink_to(VENV, target_is_directory=True)
    return tmp_path


def env_without_venv() -> dict[str, str]:
    """The environment of a shell that has not activated the venv."""
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if str(VENV) not in p]
    return {**os.environ, "PATH": os.pathsep.join(path)}


@pytest.mark.slow
def test_every_suggestion_after_the_demo_runs(checkout: Path) -> None:
    """Each "Next:" line runs from the checkout without an activated venv; serve starts."""
    env = env_without_venv()
    # a small demo: what is tested is that each suggestion runs, not what it finds
    demo = subprocess.run(
        [".venv/bin/kerio-watch", "demo", "--dir", "demo", "--days", "7", "--users", "6"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    lines = demo.stdout.split("Next:\n", 1)[1].splitlines()
    commands = [line.strip() for line in lines if line.strip()]
    assert commands and all(c.startswith(".venv/bin/kerio-watch ") for c in commands), commands
    for command in commands:
        if " serve " in command:
            continue
        command = command.replace(" ID ", " 1 ").replace(" ACCOUNT ", " newsletter@example.com ")
        done = subprocess.run(
            ["sh", "-c", command], cwd=checkout, env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)
    assert (checkout / "report.html").stat().st_size > 10_000
    serve = next(c for c in commands if " serve " in c)
    proc = subprocess.Popen(
        [*shlex.split(serve), "--port", "0"],
        cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        started = proc.stderr.readline()
        deadline = time.monotonic() + 30
        while "dashboard on http://127.0.0.1:" not in started and time.monotonic() < deadline:
            started = proc.stderr.readline()
            if not started and proc.poll() is not None:
                break
        assert "dashboard on http://127.0.0.1:" in started, started
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_demo_counts_every_log_it_wrote(demo_output: str) -> None:
    """The first line's totals are those of the logs the scan lists, the firewall's
    included, and it names the planted machine as well as the hijacks."""
    import re  # noqa: PLC0415

    head = re.search(r"([\d,]+) log lines in (\d+) logs; .*machine", demo_output)
    assert head is not None, demo_output[:500]
    listed = re.findall(r"^\S+\.log \(\w+\): ([\d,]+) lines", demo_output, re.MULTILINE)
    assert int(head.group(2)) == len(listed) == 8
    assert int(head.group(1).replace(",", "")) == sum(int(n.replace(",", "")) for n in listed)
