"""``kerio-watch follow`` with a hanging webhook: detection and the other sinks go on.

Real processes, a real SQLite file and real local servers: a webhook that answers only
after 30 s, and a jsonl file. Each sink is sent to from its own worker, so the follower
keeps reading and the file gets every alert at once; the queue's guarantees hold across
``kill -9``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from test_follow_cli import Follow, append, line, started, wait_for

from .conftest import HTTPServer


@pytest.fixture
def follow(tmp_path: Path) -> Iterator[Follow]:
    """A follower of ``tmp_path/logs`` (killed at the end if still running)."""
    (tmp_path / "logs").mkdir()
    f = Follow(tmp_path, tmp_path / "logs")
    yield f
    if f.proc is not None and f.proc.poll() is None:
        f.proc.kill()
        f.proc.wait()


def sinks_config(tmp_path: Path, url: str, timeout: str) -> Path:
    """A hanging-prone webhook and a jsonl file, both sending every escalation."""
    config = tmp_path / "kw.toml"
    config.write_text(
        f'[[sinks]]\ntype = "webhook"\nname = "hook"\nurl = "{url}"\ntimeout = "{timeout}"\n'
        f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{tmp_path / "alerts.jsonl"}"\n'
    )
    return config


def jsonl_ids(tmp_path: Path) -> list[str]:
    """Alert ids the file sink wrote, in order."""
    path = tmp_path / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(x)["id"] for x in path.read_text().splitlines()]


def queue(db: Path, sink: str) -> list[tuple[str, str, int]]:
    """(alert id, status, attempts) of a sink's deliveries, oldest first."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute(
            "SELECT alert_id, status, attempts FROM deliveries WHERE sink = ? ORDER BY id",
            (sink,),
        ).fetchall()
    return [(str(a), str(s), int(n)) for a, s, n in rows]


def test_hanging_webhook_delays_neither_detection_nor_the_file(
    follow: Follow, tmp_path: Path, http_server: Callable[..., HTTPServer]
) -> None:
    """An alert raised while the webhook hangs (4 s time box) is detected and in the
    file within a second; the follower still stops cleanly, within the time box."""
    hanging = http_server((200,), delay=30)
    logs = follow.logs
    config = sinks_config(tmp_path, hanging.url, "4s")
    append(logs / "mail.log", [line(0)])
    follow.start("--config", str(config))
    wait_for(lambda: follow.totals().lines == 1)
    append(logs / "mail.log", [line(1, bad=True)])
    wait_for(lambda: len(jsonl_ids(tmp_path)) == 1, timeout=5)
    wait_for(lambda: len(hanging.requests) == 1, timeout=5)  # the webhook now hangs
    append(logs / "mail.log", [line(2, bad=True)])
    took = wait_for(lambda: len(jsonl_ids(tmp_path)) == 2, timeout=10)
    assert took < 1.5, f"the file sink waited {took:.1f} s behind the hanging webhook"
    assert len(follow.printed()) == 2
    start = time.monotonic()
    assert follow.stop() == 0
    assert time.monotonic() - start < 4 + 5 + 2
    assert "Traceback" not in follow.err()


@pytest.mark.slow
def test_kill_9_while_the_webhook_hangs_loses_and_repeats_nothing(
    follow: Follow, tmp_path: Path, http_server: Callable[..., HTTPServer]
) -> None:
    """Killed after the file got both alerts and the webhook's first attempt failed:
    after a restart the webhook (working again) gets both, the file none again."""
    hanging = http_server((200,), delay=30)
    logs = follow.logs
    config = sinks_config(tmp_path, hanging.url, "1s")
    append(logs / "mail.log", [line(0)])
    follow.start("--config", str(config))
    wait_for(lambda: follow.totals().lines == 1)
    append(logs / "mail.log", [line(1, bad=True), line(2, bad=True)])
    wait_for(lambda: len(jsonl_ids(tmp_path)) == 2, timeout=5)
    wait_for(lambda: [s for _, s, _ in queue(follow.db, "file")] == ["sent", "sent"])
    wait_for(lambda: any(n == 1 for _, _, n in queue(follow.db, "hook")), timeout=5)
    follow.kill9()
    hanging.delay = 0
    follow.start("--config", str(config))
    wait_for(started(follow))
    wait_for(lambda: [s for _, s, _ in queue(follow.db, "hook")] == ["sent", "sent"], timeout=15)
    posted = {json.loads(r.body)["id"] for r in hanging.requests}
    expected = {str(a["id"]) for a in follow.printed()}
    assert len(expected) == 2 and posted == expected
    assert sorted(jsonl_ids(tmp_path)) == sorted(expected)  # each once
    assert len(queue(follow.db, "file")) == 2
    assert follow.stop() == 0
