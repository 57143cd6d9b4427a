"""Fixtures of the fault-injection tests: a log folder and a follower on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from test_follow_cli import Follow


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


@pytest.fixture
def follow(tmp_path: Path, logs: Path) -> Iterator[Follow]:
    f = Follow(tmp_path, logs)
    yield f
    if f.proc is not None and f.proc.poll() is None:
        f.proc.kill()
        f.proc.wait()
