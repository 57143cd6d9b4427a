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
from typing import Any

from kerio_watch.config import Config
from kerio_watch.errors import ConfigError
from kerio_watch.web.keys import WEB_KEYS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025
MIN_TOKEN = 16
MIN_SECRET = 16
KEYS = tuple(WEB_KEYS)
HASH_PREFIXES = ("scrypt:", "pbkdf2:")


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


def _str(raw: dict[str, Any], key: str, problems: list[str], src: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{src}: web.{key}: expected a non-empty string, got {value!r}")
        return None
    return value.strip()


def _bool(raw: dict[str, Any], key: str, problems: list[str], src: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{src}: web.{key}: expected true or false, got {value!r}")
        return False
    return value


def web_settings(config: Config, environ: dict[str, str] | None = None) -> WebSettings:
    """Validate ``[web]`` and read the secrets it points to.

    Raises:
        ConfigError: every problem, each naming the file and the key.
    """
    env = os.environ if environ is None else environ
    raw = config.web
    src = config.source
    problems: list[str] = []
    for key in raw:
        if key not in KEYS:
            problems.append(f"{src}: web.{key}: unknown key (valid keys here: {', '.join(KEYS)})")
    host = _str(raw, "host", problems, src) or DEFAULT_HOST
    port = raw.get("port", DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        problems.append(f"{src}: web.port: expected a port number 1-65535, got {port!r}")
        port = DEFAULT_PORT
    password_hash = _str(raw, "password_hash", problems, src)
    if password_hash and not password_hash.startswith(HASH_PREFIXES):
        problems.append(
            f"{src}: web.password_hash: expected a hash made by "
            "'kerio-watch serve --hash-password' (scrypt:... or pbkdf2:...), not a password"
        )
    sources = [k for k in ("token", "token_env", "token_file") if k in raw]
    if len(sources) > 1:
        problems.append(f"{src}: web: set only one of token, token_env, token_file")
    token = _str(raw, "token", problems, src)
    name = _str(raw, "token_env", problems, src)
    if name:
        token = env.get(name, "").strip() or None
        if token is None:
            problems.append(f"{src}: web.token_env: environment variable {name} is not set")
    path = _str(raw, "token_file", problems, src)
    if path:
        token = _read_secret(path, "token_file", problems, src)
    if token is not None and len(token) < MIN_TOKEN:
        where = sources[0] if sources else "token"
        problems.append(
            f"{src}: web.{where}: the token must be at least {MIN_TOKEN} characters "
            "(try: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    secret: bytes | None = None
    secret_path = _str(raw, "secret_key_file", problems, src)
    if secret_path:
        text = _read_secret(secret_path, "secret_key_file", problems, src)
        if text is not None and len(text) < MIN_SECRET:
            problems.append(
                f"{src}: web.secret_key_file: the key must be at least {MIN_SECRET} characters"
            )
        elif text is not None:
            secret = text.encode("utf-8")
    secure = _bool(raw, "secure_cookie", problems, src)
    if problems:
        raise ConfigError(problems)
    return WebSettings(host, port, password_hash, token, secret, src, secure)
