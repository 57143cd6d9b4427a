"""Fixtures: the Kerio Administration API emulator on loopback over TLS, and configs for it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kerio_watch.config import Config, config_from_dict
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
