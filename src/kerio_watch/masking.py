"""Secrets in the configuration, masked for display (``config check``, ``test-sink``).

Whole values are masked by key (``url``, ``password``, ``token``, header and ``env``
values: :func:`redacted`, and each sink option marked ``secret``); the secrets *inside*
values are found here too: credentials in URLs and secret options in a program's
argument list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

MASK = "********"

_SECRET_WORD = re.compile(
    r"pass|pwd|token|secret|key|auth|credential|cookie|session|signature|bearer", re.IGNORECASE
)
_URL_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@", re.IGNORECASE)
_URL_QUERY = re.compile(
    r"([?&;][^=&#\s]*(?:pass|pwd|token|secret|key|auth|sig|code)[^=&#\s]*=)[^&#\s]*",
    re.IGNORECASE,
)
_OPTION_VALUE = re.compile(r"(-{1,2}[A-Za-z0-9_.-]+)=(.*)", re.DOTALL)
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)=(.*)", re.DOTALL)
_HEADER = re.compile(r"([A-Za-z0-9_-]+)\s*:\s*(.+)", re.DOTALL)
_SHORT_SECRET = ("-p",)
"""Short options whose value is a password (mysql, sshpass, smbclient...)."""
_USER_OPTIONS = ("-u", "--user")
"""Options taking ``user:password`` (curl): the part after the colon is masked."""


def mask_url(text: str) -> str:
    """Credentials in URLs within ``text``: the password of ``user:password@`` and the
    values of secret-looking query parameters.

    >>> mask_url("https://bob:hunter2@example.com/x?token=abc&page=2")
    'https://bob:********@example.com/x?token=********&page=2'
    """
    text = _URL_USERINFO.sub(rf"\1:{MASK}@", text)
    return _URL_QUERY.sub(rf"\1{MASK}", text)


def _is_secret_option(arg: str) -> bool:
    """An option whose value is the next argument and a secret (``--token``, ``-p``)."""
    return arg in _SHORT_SECRET or (
        arg.startswith("--") and "=" not in arg and bool(_SECRET_WORD.search(arg))
    )


def _mask_arg(arg: str) -> str:
    """One argument on its own: ``--token=x``, ``-px``, ``TOKEN=x``, ``Authorization: x``."""
    m = _OPTION_VALUE.fullmatch(arg)
    if m and _SECRET_WORD.search(m.group(1)):
        return f"{m.group(1)}={MASK}"
    if arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--"):
        return "-p" + MASK  # -psecret (mysql style)
    m = _ASSIGNMENT.fullmatch(arg)
    if m and _SECRET_WORD.search(m.group(1)):
        return f"{m.group(1)}={MASK}"
    m = _HEADER.fullmatch(arg)
    if m and _SECRET_WORD.search(m.group(1)) and "://" not in arg:
        return f"{m.group(1)}: {MASK}"
    return mask_url(arg)


def mask_argv(argv: Sequence[str]) -> list[str]:
    """A program's argument list with the secrets in it masked.

    >>> mask_argv(["notify", "--token=abc", "-p", "pw", "--api-key", "k", "--team", "mail"])
    ['notify', '--token=********', '-p', '********', '--api-key', '********', '--team', 'mail']
    >>> mask_argv(["curl", "-u", "bob:pw", "-H", "Authorization: Bearer x", "https://a:b@h/"])
    ['curl', '-u', 'bob:********', '-H', 'Authorization: ********', 'https://a:********@h/']
    """
    out: list[str] = []
    previous = ""
    for arg in argv:
        if _is_secret_option(previous):
            out.append(MASK)
        elif previous in _USER_OPTIONS and ":" in arg:
            out.append(arg.split(":", 1)[0] + ":" + MASK)
        else:
            out.append(_mask_arg(arg))
        previous = arg
    return out


SECRET_KEYS = frozenset(
    ("password", "token", "url", "webhook_url", "password_hash", "secret", "headers", "env")
)


def redacted(value: Any, key: str = "") -> Any:
    """A copy of a config value with secrets masked, for display."""
    if key in SECRET_KEYS and isinstance(value, dict):  # webhook headers, command env
        return dict.fromkeys(value, MASK)
    if isinstance(value, dict):
        return {k: redacted(v, k) for k, v in value.items()}
    if key == "command" and isinstance(value, list | tuple):  # an argument list
        return mask_argv([str(v) for v in value])
    if isinstance(value, list | tuple):
        return [redacted(v, key) for v in value]
    if key in SECRET_KEYS and isinstance(value, str) and value:
        return MASK
    return mask_url(value) if isinstance(value, str) else value
