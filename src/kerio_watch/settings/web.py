"""``[web]``: the dashboard's keys as written (the secrets they point to are read by
:func:`kerio_watch.web.settings.web_settings`, when the dashboard starts)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kerio_watch.settings.schema import Report, setting

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025
HASH_PREFIXES = ("scrypt:", "pbkdf2:")
_TEXT = "a non-empty string"


@dataclass(frozen=True)
class WebConfig:
    """The dashboard (`kerio-watch serve`, see docs/dashboard.md)."""

    host: str = setting(DEFAULT_HOST, "Address to listen on (`--host` overrides).", expect=_TEXT)
    port: int = setting(
        DEFAULT_PORT,
        "Port (`--port` overrides; `0` picks a free one).",
        expect="a port number 1-65535",
    )
    password_hash: str | None = setting(
        None,
        "From `kerio-watch serve --hash-password` (scrypt; pbkdf2 is accepted too).",
        secret=True,
        expect=_TEXT,
    )
    token: str | None = setting(
        None,
        "A login token of at least 16 characters (prefer `token_file`).",
        secret=True,
        expect=_TEXT,
    )
    token_env: str | None = setting(
        None, "Environment variable holding the login token.", expect=_TEXT
    )
    token_file: str | None = setting(
        None, "File holding the login token (give only one of the three).", expect=_TEXT
    )
    secret_key_file: str | None = setting(
        None,
        "File with at least 16 characters that signs session cookies, so logins survive a "
        "restart; without it a random key is made at each start.",
        expect=_TEXT,
    )
    secure_cookie: bool = setting(
        False,
        "Mark the session cookie `Secure` (sent over HTTPS only). Set it when a TLS reverse "
        "proxy serves the dashboard; the proxy must pass the `Host` header on.",
    )

    def token_sources(self) -> list[str]:
        """The keys among token, token_env and token_file that are set."""
        return [k for k in ("token", "token_env", "token_file") if getattr(self, k) is not None]


def check_web(web: WebConfig, add: Report) -> WebConfig:
    """Check ``[web]`` as written; the section with its strings stripped.

    A value that is not usable is reported and replaced by its default.
    """
    changes: dict[str, object] = {}
    for f in dataclasses.fields(web):
        value = getattr(web, f.name)
        if isinstance(value, str) and not value.strip():
            add(f"web.{f.name}", f"expected {_TEXT}, got {value!r}")
            changes[f.name] = f.default
        elif isinstance(value, str):
            changes[f.name] = value.strip()
    if not 0 < web.port < 65536:
        add("web.port", f"expected a port number 1-65535, got {web.port!r}")
        changes["port"] = DEFAULT_PORT
    password_hash = changes.get("password_hash")
    if isinstance(password_hash, str) and not password_hash.startswith(HASH_PREFIXES):
        add(
            "web.password_hash",
            "expected a hash made by "
            "'kerio-watch serve --hash-password' (scrypt:... or pbkdf2:...), not a password",
        )
    if len(web.token_sources()) > 1:
        add("web", "set only one of token, token_env, token_file")
    return dataclasses.replace(web, **changes)  # type: ignore[arg-type]
