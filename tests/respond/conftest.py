"""Fixtures: the Kerio Administration API emulator on loopback over TLS, and configs for it."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kerio_watch.app.config import config_from_dict
from kerio_watch.config import Config
from kerio_watch.respond.client import ApiClient, Endpoint
from kerio_watch.simulate.kerio_api import KerioEmulator, make_self_signed
from kerio_watch.simulate.kerio_state import KerioState

PASSWORD = "s3cret-Pa55"
ACCOUNTS = ("alice@example.com", "bob@example.com", "carol@example.com", "admin@example.com")
GROUP = "kerio-watch blocked"


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made with openssl: (cert, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    return make_self_signed(tmp_path_factory.mktemp("kerio-tls"))


@dataclass
class Kerio:
    """A running emulator and its state."""

    emulator: KerioEmulator
    state: KerioState
    cert: Path
    password_file: Path

    def client(self, **endpoint: Any) -> ApiClient:
        """A client that trusts the emulator's certificate by its fingerprint."""
        options: dict[str, Any] = {"fingerprint": self.emulator.fingerprint, **endpoint}
        return ApiClient(Endpoint(self.emulator.url, **options), "admin", lambda: PASSWORD)

    def config(self, contain: dict[str, Any] | None = None, **api: Any) -> Config:
        """A validated configuration using this emulator."""
        section: dict[str, Any] = {
            "server": self.emulator.server,
            "username": "admin",
            "password_file": str(self.password_file),
            "fingerprint": self.emulator.fingerprint,
            **api,
        }
        if contain is not None:
            section["contain"] = contain
        return config_from_dict({"kerio_api": section}, "test.toml")

    def toml(self, contain: str = "", **api: Any) -> str:
        """The ``[kerio_api]`` section as TOML text."""
        lines = [
            "[kerio_api]",
            f'server = "{self.emulator.server}"',
            'username = "admin"',
            f'password_file = "{self.password_file}"',
            f'fingerprint = "{self.emulator.fingerprint}"',
        ]
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in api.items()]
        if contain:
            lines += ["", "[kerio_api.contain]", contain]
        return "\n".join(lines) + "\n"


@pytest.fixture
def kerio(tls_pair: tuple[Path, Path], tmp_path: Path) -> Iterator[Kerio]:
    """The emulator with a few accounts and the blocking group, running."""
    state = KerioState(ZoneInfo("Europe/Berlin"))
    for address in ACCOUNTS:
        state.add_account(address)
    state.add_group(GROUP)
    emulator = KerioEmulator(state, *tls_pair, {"admin": PASSWORD})
    emulator.start()
    password = tmp_path / "kerio-password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    password.chmod(0o600)
    try:
        yield Kerio(emulator, state, tls_pair[0], password)
    finally:
        emulator.stop()


@pytest.fixture
def queue_message(kerio: Kerio) -> Callable[..., None]:
    """Put a message into the emulator's queue."""
    counter = [0]

    def put(
        sender: str, to: str = "x@spam.test", created: int = 0, ip: str = "185.1.2.3", **kw: Any
    ) -> None:
        counter[0] += 1
        qid = kw.get("qid") or f"{created:08x}-{counter[0]:08x}"
        kerio.state.accept(qid, created, sender, sender, ip, [to], 1200)
        if kw.get("deferred"):
            kerio.state.deliver(qid, to, "delayed", "4.4.1 Cannot connect to host", created + 5)

    return put


class Follower:
    """``kerio-watch follow`` as a real process on a log folder, with a configuration.

    With ``--order-wait 0``: these tests write every log in time order from one thread
    (``Replay``, or one log only), so what a look finds is already in scan's order and
    the cross-log hold could only delay what they test (up to 30 s per line for a log
    that wrote recently); ``tests/test_follow_order_cli.py`` tests the hold.
    """

    def __init__(self, tmp: Path, logs: Path, config: Path) -> None:
        self.tmp, self.logs, self.config = tmp, logs, config
        self.db = tmp / "state.db"
        self.runs = 0
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        n = self.runs
        self.runs += 1
        out = (self.tmp / f"out-{n}.txt").open("w")
        err = (self.tmp / f"err-{n}.txt").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kerio_watch", "follow", "-c", str(self.config), "--db",
             str(self.db), "--format", "jsonl", "--poll", "0.05", "--order-wait", "0",
             str(self.logs)],
            stdout=out, stderr=err, text=True,
        )  # fmt: skip

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts printed by every run so far."""
        found = []
        for n in range(self.runs):
            for text in (self.tmp / f"out-{n}.txt").read_text().splitlines():
                if text.startswith("{"):
                    found.append(json.loads(text))
        return found

    def err(self) -> str:
        return "".join((self.tmp / f"err-{n}.txt").read_text() for n in range(self.runs))

    def journal(self) -> list[dict[str, Any]]:
        """The containment journal, read from the database."""
        if not self.db.exists():
            return []
        try:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as db:
                db.row_factory = sqlite3.Row
                rows = db.execute("SELECT * FROM response_actions ORDER BY id").fetchall()
        except sqlite3.Error:
            return []
        return [dict(r) for r in rows]

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(15)


@pytest.fixture
def follower(tmp_path: Path) -> Iterator[Callable[[str], Follower]]:
    """Start followers on ``tmp_path/logs`` with a configuration text; stopped at the end."""
    made: list[Follower] = []

    def make(config_text: str) -> Follower:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        config = tmp_path / "kerio-watch.toml"
        config.write_text(config_text, encoding="utf-8")
        f = Follower(tmp_path, logs, config)
        made.append(f)
        return f

    yield make
    for f in made:
        f.stop()


def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> float:
    """Poll until true; the seconds it took."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true within {timeout} s: {predicate}")
        time.sleep(0.05)
    return time.monotonic() - start
