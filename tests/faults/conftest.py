"""Fixtures of the fault-injection tests: a log folder and a follower on it (the same
fixtures as the follow command's tests)."""

from __future__ import annotations

from test_follow_cli import follow, logs

__all__ = ["follow", "logs"]
