"""``[web]`` validation and ``kerio-watch serve``: refusals, password hashes, a real start."""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from click.testing import CliRunner

from kerio_watch.app.config import config_from_dict
from kerio_watch.cli import main
from kerio_watch.errors import ConfigError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.web import server as server_module
from kerio_watch.web.security import password_ok
from kerio_watch.web.settings import WebSettings, is_loopback, web_settings
from sitelogs import Site


def _settings(web: dict[str, object], environ: dict[str, str] | None = None) -> WebSettings:
    return web_settings(config_from_dict({"web": web}, "kw.toml"), environ or {})


class TestSettings:
    def test_defaults(self) -> None:
        """Loopback port 8025, no login configured."""
        s = _settings({})
        assert (s.host, s.port, s.has_login) == ("127.0.0.1", 8025, False)

    def test_token_sources(self, tmp_path: Path) -> None:
        """A token from the file, the environment or the config."""
        f = tmp_path / "token"
        f.write_text("t" * 20 + "\n", encoding="utf-8")
        assert _settings({"token_file": str(f)}).token == "t" * 20
        assert _settings({"token_env": "KW"}, {"KW": "e" * 20}).token == "e" * 20
        assert _settings({"token": "c" * 20}).token == "c" * 20

    def test_secure_cookie(self) -> None:
        """Off by default; on for a dashboard behind a TLS reverse proxy."""
        assert _settings({}).secure_cookie is False
        assert _settings({"secure_cookie": True}).secure_cookie is True

    def test_secret_key_file(self, tmp_path: Path) -> None:
        """A configured secret keeps sessions valid across restarts."""
        f = tmp_path / "secret"
        f.write_text("s" * 40, encoding="utf-8")
        assert _settings({"secret_key_file": str(f)}).secret_key == b"s" * 40

    @pytest.mark.parametrize(
        ("web", "message"),
        [
            ({"bind": "x"}, "kw.toml: web.bind: unknown key"),
            ({"port": 99999}, "kw.toml: web.port: expected a port number"),
            ({"port": "80"}, "kw.toml: web.port: expected a port number"),
            ({"password_hash": "hunter2"}, "kw.toml: web.password_hash: expected a hash"),
            ({"token": "short"}, "kw.toml: web.token: the token must be at least 16"),
            ({"token_env": "KW_NOT_SET"}, "kw.toml: web.token_env: environment variable"),
            ({"token_file": "/nonexistent/t"}, "kw.toml: web.token_file: /nonexistent/t: no such"),
            ({"token": "a" * 20, "token_env": "X"}, "kw.toml: web: set only one of"),
            ({"secret_key_file": "/nonexistent/s"}, "kw.toml: web.secret_key_file: "),
            ({"host": 5}, "kw.toml: web.host: expected a non-empty string"),
            ({"secure_cookie": "yes"}, "kw.toml: web.secure_cookie: expected true or false"),
        ],
    )
    def test_problems_name_file_and_key(self, web: dict[str, object], message: str) -> None:
        """Each problem names the file and the key."""
        with pytest.raises(ConfigError) as err:
            _settings(web)
        assert any(p.startswith(message) for p in err.value.problems), err.value.problems

    def test_is_loopback(self) -> None:
        """Loopback addresses and localhost; anything else is not."""
        assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("[::1]")
        assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
        assert not is_loopback("example.com")


class TestServeCommand:
    def test_refuses_a_network_address_without_a_login(
        self, scanned_site: Site, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Non-loopback without password or token: a clear error and exit 3; without a
        configuration file it says where the setting goes (it said ``in <defaults>``)."""
        monkeypatch.delenv("KERIO_WATCH_CONFIG", raising=False)
        result = CliRunner().invoke(
            main, ["serve", "--db", str(scanned_site.db), "--host", "0.0.0.0"]
        )
        assert result.exit_code == 3
        assert "refusing to listen on 0.0.0.0" in result.stderr
        assert "--hash-password" in result.stderr
        where = "or token_file in a configuration file (-c FILE or $KERIO_WATCH_CONFIG),"
        assert where in result.stderr

    def test_bad_web_config(self, scanned_site: Site, tmp_path: Path) -> None:
        """An invalid [web] section stops serve before it binds."""
        cfg = tmp_path / "kw.toml"
        cfg.write_text('[web]\npassword_hash = "plain"\n', encoding="utf-8")
        result = CliRunner().invoke(
            main, ["serve", "--db", str(scanned_site.db), "--config", str(cfg)]
        )
        assert result.exit_code == 3
        assert f"{cfg}: web.password_hash" in result.stderr

    def test_missing_database(self, tmp_path: Path) -> None:
        """No database: an error before listening (5: a path that cannot be used)."""
        result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
        assert result.exit_code == 5
        assert "no such database" in result.stderr

    def test_port_in_use(self, scanned_site: Site) -> None:
        """A port another program listens on: a service that cannot be used (5, as the
        README's table says), not wrong usage (it was 2), with what to do."""
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = CliRunner().invoke(
                main, ["serve", "--db", str(scanned_site.db), "--port", str(port)]
            )
        assert result.exit_code == 5 == int(ExitStatus.INPUT_ERROR), result.output
        assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
        assert "choose another port with --port or [web] port" in result.stderr

    @pytest.mark.parametrize(
        ("code", "hint"),
        [
            (errno.EACCES, "ports below 1024 need privileges"),
            (errno.EADDRNOTAVAIL, "not one of this machine's"),
        ],
    )
    def test_other_bind_errors(
        self, scanned_site: Site, monkeypatch: pytest.MonkeyPatch, code: int, hint: str
    ) -> None:
        """A low port without the right to it (the tests may run as root, where port 80
        binds: the refusal is the kernel's, so it is stood in for), an address not this
        machine's: 5 as well, each with its fix."""

        def refuse(_app: object, _host: str, _port: int) -> None:
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(server_module, "make_server", refuse)
        result = CliRunner().invoke(main, ["serve", "--db", str(scanned_site.db), "--port", "80"])
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.output
        assert f"cannot listen on 127.0.0.1:80: {os.strerror(code)}" in result.stderr
        assert hint in result.stderr

    def test_hash_password(self) -> None:
        """--hash-password prints a [web] line whose hash checks the password."""
        result = CliRunner().invoke(
            main, ["serve", "--hash-password"], input="long enough pw\nlong enough pw\n"
        )
        assert result.exit_code == 0
        m = re.search(r'password_hash = "([^"]+)"', result.stdout)
        assert m and m.group(1).startswith("scrypt:")
        assert password_ok(m.group(1), "long enough pw")
        assert not password_ok(m.group(1), "wrong")

    def test_serves_with_a_start_token(self, scanned_site: Site) -> None:
        """The real command: prints the login URL; the token logs in; a bad one does not."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kerio_watch",
                "serve",
                "--db",
                str(scanned_site.db),
                "--config",
                str(scanned_site.config),
                "--port",
                "0",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            m = re.match(r"Log in at (http://127\.0\.0\.1:\d+)/login\?token=(\S+)", line)
            assert m, line
            base, token = m.groups()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            deadline = time.monotonic() + 10
            while True:
                try:
                    page = opener.open(f"{base}/login?token={token}", timeout=5)
                    break
                except urllib.error.URLError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            assert page.url == f"{base}/"
            body = page.read().decode()
            assert "Open incidents" in body
            assert page.headers["Server"] == "kerio-watch"
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"{base}/login?token=wrong", timeout=5)
            assert err.value.code == 403
        finally:
            proc.terminate()
            proc.wait(timeout=10)
