"""The ``[web]`` keys and their documentation (no Flask, no kerio-watch imports).

:mod:`kerio_watch.web.settings` validates them; the configuration reference lists them.
"""

from __future__ import annotations

WEB_KEYS: dict[str, tuple[str, str]] = {
    "host": ("`127.0.0.1`", "Address to listen on (`--host` overrides)."),
    "port": ("`8025`", "Port (`--port` overrides; `0` picks a free one)."),
    "password_hash": (
        "none",
        "From `kerio-watch serve --hash-password` (scrypt; pbkdf2 is accepted too).",
    ),
    "token": ("none", "A login token of at least 16 characters (prefer `token_file`)."),
    "token_env": ("none", "Environment variable holding the login token."),
    "token_file": ("none", "File holding the login token (give only one of the three)."),
    "secret_key_file": (
        "none",
        "File with at least 16 characters that signs session cookies, so logins survive a "
        "restart; without it a random key is made at each start.",
    ),
    "secure_cookie": (
        "`false`",
        "Mark the session cookie `Secure` (sent over HTTPS only). Set it when a TLS reverse "
        "proxy serves the dashboard; the proxy must pass the `Host` header on.",
    ),
}
"""Key -> (default as shown, meaning)."""


def web_reference() -> list[str]:
    """The ``[web]`` section of the configuration reference (Markdown lines)."""
    out = [
        "## `[web]`",
        "",
        "The dashboard (`kerio-watch serve`, see docs/dashboard.md).",
        "",
        "| key | default | meaning |",
        "|---|---|---|",
    ]
    out += [f"| `{key}` | {default} | {text} |" for key, (default, text) in WEB_KEYS.items()]
    return [*out, ""]
