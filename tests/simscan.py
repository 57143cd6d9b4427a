"""Scanning a simulated site through the real CLI, for end-to-end detection tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from kerio_watch.cli import main
from kerio_watch.severity import Severity
from kerio_watch.simulate import CONFIG_FILE, SimConfig, SimResult, simulate
from kerio_watch.simulate.model import Scenario


def scan_alerts(result: SimResult, db: Path, *options: str) -> list[dict[str, Any]]:
    """The JSON alerts of ``kerio-watch scan`` of the whole site with its configuration
    (``options``: more scan options, e.g. ``--since``)."""
    args = ["scan", "--db", str(db), "--config", str(result.directory / CONFIG_FILE)]
    out = CliRunner().invoke(
        main,
        [*args, "--format", "jsonl", *options, str(result.directory)],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    return [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]


def worst_by_user(alerts: list[dict[str, Any]]) -> dict[str, Severity]:
    """Each account's highest alert severity (accounts without alerts are absent)."""
    worst: dict[str, Severity] = {}
    for alert in alerts:
        user, sev = alert.get("user") or "", Severity.parse(alert["severity"])
        worst[user] = max(worst.get(user, Severity.INFO), sev)
    return worst


def planted_kinds(result: SimResult, *kinds: str) -> dict[str, Scenario]:
    """The site's planted scenarios of these kinds, by kind (each must be there)."""
    found = {s.kind: s for s in result.scenarios if s.kind in kinds}
    assert set(found) == set(kinds), f"planted {sorted(found)}, expected {sorted(kinds)}"
    return found


def with_round(
    config: SimConfig, flag: str, hijacks: tuple[str, ...], benign: tuple[str, ...], tmp: Path
) -> tuple[SimResult, dict[str, Scenario]]:
    """The site of ``config`` with the opt-in group ``flag`` on too (in ``tmp/on``), and
    its planted kinds by kind: the ``hijacks`` malicious, the ``benign`` look-alikes not."""
    on = simulate(SimConfig(**{**config.__dict__, flag: True}), tmp / "on")
    planted = planted_kinds(on, *hijacks, *benign)
    assert all(planted[k].malicious for k in hijacks)
    assert not any(planted[k].malicious for k in benign)
    return on, planted


def only_adds(
    config: SimConfig, on: SimResult, tmp: Path, added: tuple[str, ...], same: tuple[str, ...]
) -> None:
    """The site ``on`` (:func:`with_round`) only adds lines to the site of ``config``
    without the group (simulated in ``tmp/off``; see :func:`assert_only_added`)."""
    off = simulate(config, tmp / "off")
    assert_only_added(on.directory, off.directory, added, same)


def log_lines(path: Path) -> list[str]:
    """The lines of a log file."""
    return path.read_text(encoding="utf-8").splitlines()


def assert_only_added(on: Path, off: Path, added: tuple[str, ...], same: tuple[str, ...]) -> None:
    """An optional scenario only adds lines: the logs ``added`` of the site ``on`` hold
    every line of the site ``off`` and more; the logs ``same`` are identical."""
    for name in added:
        with_it, without = log_lines(on / name), log_lines(off / name)
        assert set(without) <= set(with_it) and len(with_it) > len(without), name
    for name in same:
        assert log_lines(on / name) == log_lines(off / name), name


def merge_lines(path: Path, added: list[tuple[dt.datetime, str]]) -> None:
    """Merge ``(local time, line)`` pairs into the on-disk log at ``path``, in time order
    (a line's own ``[DD/Mon/YYYY HH:MM:SS]`` stamp orders the lines already there)."""
    old = [(_stamp_time(line), line) for line in log_lines(path)]
    merged = sorted(old + added, key=lambda item: item[0])
    path.write_text("\n".join(text for _, text in merged) + "\n", encoding="utf-8")


def _stamp_time(line: str) -> dt.datetime:
    return dt.datetime.strptime(line[1:21], "%d/%b/%Y %H:%M:%S")
