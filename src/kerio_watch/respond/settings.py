"""The ``[kerio_api]`` password, read when a session logs in (the section itself is
:mod:`kerio_watch.settings.kerio_api`).

The password is never in the file: it comes from an environment variable or from a
file readable by its owner only. It is read when a session logs in and kept nowhere
else (not in the database, not in logs, not in the output of ``config check``).
"""

from __future__ import annotations

import os
from pathlib import Path

from kerio_watch.errors import KerioWatchError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.settings.kerio_api import (
    ACTIONS,
    DEFAULT_PATH,
    DEFAULT_PORT,
    QUEUE_FIELDS,
    QUEUE_SCOPES,
    STOP_SENDING,
    ContainConfig,
    KerioApiConfig,
    check_kerio_api,
    normalize_fingerprint,
    password_file_problem,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_PATH",
    "DEFAULT_PORT",
    "QUEUE_FIELDS",
    "QUEUE_SCOPES",
    "STOP_SENDING",
    "ApiConfigError",
    "ContainConfig",
    "KerioApiConfig",
    "check_kerio_api",
    "normalize_fingerprint",
    "password_file_problem",
    "read_password",
]


class ApiConfigError(KerioWatchError):
    """The API cannot be used as configured (no password, an unsafe password file)."""

    exit_status = ExitStatus.CONFIG_ERROR


def read_password(api: KerioApiConfig) -> str:
    """The API password from its environment variable or file (checked again here).

    Raises:
        ApiConfigError: unset variable, missing or unsafe file, or an empty password.
    """
    if api.password_env:
        value = os.environ.get(api.password_env)
        if not value:
            raise ApiConfigError(
                f"[kerio_api] password_env: the environment variable {api.password_env} "
                "is not set (or empty)"
            )
        return value
    if api.password_file:
        path = Path(api.password_file)
        problem = password_file_problem(path)
        if problem:
            raise ApiConfigError(f"[kerio_api] password_file: {problem}")
        try:
            value = path.read_text(encoding="utf-8").strip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ApiConfigError(f"[kerio_api] password_file: cannot read {path}: {exc}") from None
        if not value:
            raise ApiConfigError(f"[kerio_api] password_file: {path} is empty")
        return value
    raise ApiConfigError("[kerio_api]: set password_env or password_file")
