"""``[web]``: the dashboard's settings, validated with every problem named by file and key.

This module needs no Flask, so ``config check`` and the CLI can validate ``[web]`` on a
core install.

.. code-block:: toml

    [web]
    host = "127.0.0.1"            # non-loopback needs password_hash or a token
    port = 8025
    password_hash = "scrypt:32768:8:1$..."   # kerio-watch serve --hash-password
    token_file = "/etc/kerio-watch/web-token" # or token = "...", or token_env = "NAME"
    secret_key_file = "/etc/kerio-watch/web-secret"  # keeps sessions across restarts
    secure_cookie = true                      # served over HTTPS by a TLS reverse proxy
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from kerio_watch.config import Config
from kerio_watch.errors import ConfigError
from kerio_watch.settings.web import DEFAULT_HOST, DEFAULT_PORT, HASH_PREFIXES

MIN_TOKEN = 16
MIN_SECRET = 16
__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "HASH_PREFIXES", "WebSettings", "web_settings"]


@dataclass(frozen=True)
class WebSettings:
    """The dashboard's resolved settings (secrets already read)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    password_hash: str | None = None
    token: str | None = None
    secret_key: bytes | None = None
    source: str = "<defaults>"
    secure_cookie: bool = False
    """Mark the session cookie ``Secure``: a TLS reverse proxy serves the dashboard."""

    @property
    def has_login(self) -> bool:
        """A password or a token is configured."""
        return bool(self.password_hash or self.token)


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _read_secret(path_text: str, key: str, problems: list[str], src: str) -> str | None:
    path = Path(path_text).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        problems.append(f"{src}: web.{key}: {path}: no such file")
    except PermissionError:
        problems.append(f"{src}: web.{key}: {path}: permission denied")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{src}: web.{key}: {path}: cannot read: {exc}")
    return None


def web_settings(config: Config, environ: dict[str, str] | None = None) -> WebSettings:
    """``[web]`` (checked at load) with the secrets it points to read.

    Raises:
        ConfigError: every problem, each naming the file and the key.
    """
    env = os.environ if environ is None else environ
    web = config.web
    src = config.source
    problems: list[str] = []
    sources = web.token_sources()
    token = web.token
    if web.token_env:
        token = env.get(web.token_env, "").strip() or None
        if token is None:
            problems.append(
                f"{src}: web.token_env: environment variable {web.token_env} is not set"
            )
    if web.token_file:
        token = _read_secret(web.token_file, "token_file", problems, src)
    if token is not None and len(token) < MIN_TOKEN:
        where = sources[0] if sources else "token"
        problems.append(
            f"{src}: web.{where}: the token must be at least {MIN_TOKEN} characters "
            "(try: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    secret: bytes | None = None
    if web.secret_key_file:
        text = _read_secret(web.secret_key_file, "secret_key_file", problems, src)
        if text is not None and len(text) < MIN_SECRET:
            problems.append(
                f"{src}: web.secret_key_file: the key must be at least {MIN_SECRET} characters"
            )
        elif text is not None:
            secret = text.encode("utf-8")
    if problems:
        raise ConfigError(problems)
    return WebSettings(web.host, web.port, web.password_hash, token, secret, src, web.secure_cookie)
