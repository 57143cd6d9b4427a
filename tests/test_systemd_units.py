"""The systemd units of contrib/systemd, read as an administrator installs them.

Every option the units give ``follow`` exists, the state database lies in the directories
the hardening leaves writable, the per-site template keeps the single unit's hardening,
and the template's command line, with its paths moved to a temporary directory, starts a
real follower for two sites side by side (docs/service.md, "Several sites").
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from kerio_watch.cli import main
from kerio_watch.service import Totals
from logtools import recv_line

UNITS = Path(__file__).resolve().parents[1] / "contrib" / "systemd"
SINGLE = UNITS / "kerio-watch.service"
TEMPLATE = UNITS / "kerio-watch@.service"
KERIO_WATCH = "/opt/kerio-watch/venv/bin/kerio-watch"
T0 = dt.datetime(2026, 3, 10, 8, 0, 0)


def directives(unit: Path) -> dict[str, list[str]]:
    """``Key`` -> its values in order (systemd allows a key more than once)."""
    found: dict[str, list[str]] = {}
    for raw in unit.read_text(encoding="utf-8").splitlines():
        text = raw.strip()
        if not text or text.startswith(("#", ";", "[")):
            continue
        key, _, value = text.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def environment(unit: dict[str, list[str]]) -> dict[str, str]:
    return dict(v.partition("=")[::2] for v in unit.get("Environment", []))


def follow_options() -> set[str]:
    group = main
    assert isinstance(group, click.Group)
    command = group.get_command(click.Context(group), "follow")
    assert command is not None
    return {name for p in command.params for name in getattr(p, "opts", [])}


@pytest.mark.parametrize("unit", [SINGLE, TEMPLATE], ids=lambda p: p.name)
def test_the_command_line_uses_options_follow_has(unit: Path) -> None:
    (start,) = directives(unit)["ExecStart"]
    argv = shlex.split(start)
    assert argv[:2] == [KERIO_WATCH, "follow"]
    given = {a.partition("=")[0] for a in argv[2:] if a.startswith("-")}
    assert given <= follow_options()


@pytest.mark.parametrize("unit", [SINGLE, TEMPLATE], ids=lambda p: p.name)
def test_the_state_database_is_where_the_service_may_write(unit: Path) -> None:
    found = directives(unit)
    db = Path(environment(found)["KERIO_WATCH_DB"])
    writable = [Path(p) for v in found["ReadWritePaths"] for p in v.split()]
    assert db.parent in writable
    (state,) = found["StateDirectory"]
    assert db.parent == Path("/var/lib") / state


def test_the_template_keeps_the_hardening_and_separates_the_sites() -> None:
    single, template = directives(SINGLE), directives(TEMPLATE)
    paths = {"ExecStart", "Environment", "EnvironmentFile", "StateDirectory"}
    paths |= {"LogsDirectory", "ReadWritePaths", "SyslogIdentifier"}
    for key, values in single.items():
        if key not in paths and key != "Description":
            assert template.get(key) == values, key
    env = environment(template)
    assert env["KERIO_WATCH_DB"] == "/var/lib/kerio-watch/%i/state.db"
    assert "--config /etc/kerio-watch/%i.toml" in template["ExecStart"][0]
    assert template["EnvironmentFile"] == ["/etc/kerio-watch/%i.env"]
    assert template["StateDirectory"] == ["kerio-watch/%i"]


@pytest.mark.parametrize("unit", [SINGLE, TEMPLATE], ids=lambda p: p.name)
def test_systemd_finds_nothing_wrong_but_the_missing_program(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    target = tmp_path / unit.name.replace("@.", "@acme.")
    shutil.copy(unit, target)
    done = subprocess.run(
        [analyze, "verify", str(target)], capture_output=True, text=True, check=False
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and f"Command {KERIO_WATCH} is not executable" not in line
    ]
    assert complaints == []


def _instance(tmp_path: Path, site: str, logs: list[Path]) -> list[str]:
    """The template's ExecStart for ``site`` as systemd expands it, moved to tmp_path:
    %i is the site, $SITE_LOGS splits into words as systemd splits an unbraced variable."""
    (start,) = directives(TEMPLATE)["ExecStart"]
    argv: list[str] = []
    for word in shlex.split(start.replace("%i", site)):
        if word == "$SITE_LOGS":
            argv.extend(str(p) for p in logs)
        elif word == KERIO_WATCH:
            argv.extend([sys.executable, "-m", "kerio_watch"])
        else:
            argv.append(word.replace("/etc/kerio-watch", str(tmp_path / "etc")))
    return argv


def test_two_sites_run_side_by_side_from_the_template(tmp_path: Path) -> None:
    """Each instance reads its own logs (here a directory and a file given together)
    into its own database, and stops cleanly on SIGTERM."""
    (tmp_path / "etc").mkdir()
    procs: dict[str, subprocess.Popen[str]] = {}
    for site in ("acme", "globex"):
        logs = tmp_path / "logs" / site
        logs.mkdir(parents=True)
        (logs / "mail.log").write_text(
            recv_line(T0, 1, 1, sender=f"a@{site}.test", to="b@partner.test") + "\n"
        )
        fw = tmp_path / "logs" / f"{site}-kern.log"
        fw.write_text("")
        toml = f'[site]\nlocal_domains = ["{site}.test"]\ntimezone = "Europe/Berlin"\n'
        (tmp_path / "etc" / f"{site}.toml").write_text(toml)
        env = dict(os.environ, KERIO_WATCH_DB=str(tmp_path / "lib" / site / "state.db"))
        procs[site] = subprocess.Popen(
            _instance(tmp_path, site, [logs, fw]),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        for site in procs:
            db = tmp_path / "lib" / site / "state.db"
            deadline = time.monotonic() + 60
            while not (db.exists() and _lines(db) == 1):
                assert time.monotonic() < deadline, f"{site} read nothing"
                time.sleep(0.1)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        codes = {site: proc.wait(30) for site, proc in procs.items()}
    assert codes == {"acme": 0, "globex": 0}
    for site, proc in procs.items():
        assert proc.stderr is not None
        log = proc.stderr.read()
        assert f"config={tmp_path / 'etc' / site}.toml" in log
        assert f"paths={tmp_path / 'logs' / site},{tmp_path / 'logs' / site}-kern.log" in log


def _lines(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'follow.stats'").fetchone()
    except sqlite3.Error:
        return 0
    return Totals.from_json(row[0] if row else None).lines


@pytest.mark.parametrize("unit", [SINGLE, TEMPLATE], ids=lambda p: p.name)
def test_a_wrong_configuration_is_not_restarted_forever(unit: Path, tmp_path: Path) -> None:
    """Restart=on-failure every 5 s never reaches systemd's start limit: an invalid
    configuration would be retried (and logged) forever. The exit status it gives is
    one the unit does not restart on; the statuses that can mend themselves are not."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\ntimezone = 5\n")
    (tmp_path / "logs").mkdir()
    argv = [sys.executable, "-m", "kerio_watch", "follow", "--config", str(bad)]
    argv += ["--db", str(tmp_path / "state.db"), str(tmp_path / "logs")]
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    found = directives(unit)
    assert found["Restart"] == ["on-failure"]
    prevented = {int(v) for text in found["RestartPreventExitStatus"] for v in text.split()}
    assert done.returncode in prevented
    assert prevented.isdisjoint({5, 6, 7})


def test_the_install_steps_scan_before_the_first_start() -> None:
    """docs/service.md's steps, in order: the optional scan of step 6 runs before the
    service first starts (a running follower refuses it, exit 6) and into a state
    directory that exists by then (useradd --system makes no home; systemd makes
    StateDirectory only when the unit starts)."""
    text = (UNITS.parents[1] / "docs" / "service.md").read_text(encoding="utf-8")
    install = text.split("## Install", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.strip()
        for block in install.split("```sh")[1:]
        for line in block.split("```", 1)[0].splitlines()
    ]
    scan = next(i for i, c in enumerate(commands) if " scan " in f"{c} ")
    starts = [i for i, c in enumerate(commands) if "systemctl start" in c or "--now" in c]
    assert starts and min(starts) > scan
    db = environment(directives(SINGLE))["KERIO_WATCH_DB"]
    state = str(Path(db).parent)
    made = [i for i, c in enumerate(commands) if state in c and ("install -d" in c or "mkdir" in c)]
    assert made and min(made) < scan
