"""``[kerio_api]``: where Kerio's Administration API is, how to log in, what to do.

The section is optional: without ``server`` nothing here runs. With it, ``follow``
watches the queue (read-only); containment runs only for the severities listed in
``[kerio_api.contain] actions``, and in dry run until ``dry_run = false``.

The password is never in the file: it comes from an environment variable or from a
file readable by its owner only (:func:`kerio_watch.respond.settings.read_password`
reads it when a session logs in).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from kerio_watch.settings.bounds import Bounds
from kerio_watch.settings.numbers import period, threshold
from kerio_watch.settings.schema import setting
from kerio_watch.severity import SEVERITY_NAMES

ACTIONS = ("stop_sending", "remove_queued", "block_ip")
"""Containment actions, in the order they run."""
STOP_SENDING = ("domain_restriction", "disable", "access_policy")
QUEUE_SCOPES = ("incident", "sender")
QUEUE_FIELDS: dict[str, str] = {
    "id": "id",
    "from": "from",
    "to": "to",
    "auth_sender": "authSender",
    "sender_ip": "senderIp",
    "status": "status",
    "created": "created",
    "next_try": "nextTry",
    "size": "size",
}
"""Our name -> the JSON field of a ``Queue.get`` item. No public source we could read
names these fields (see docs/kerio-api.md); the defaults follow the columns of Kerio's
Message Queue view, and ``[kerio_api] queue_fields`` overrides any of them."""
DEFAULT_PATH = "/admin/api/jsonrpc/"
DEFAULT_PORT = 4040


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class ContainConfig:
    """``[kerio_api.contain]``: containment (opt-in per severity, dry run by default)."""

    actions: dict[str, tuple[str, ...]] = field(
        default_factory=dict,
        metadata=_help(
            "Severity -> actions when an incident reaches it, e.g. { critical = "
            '["stop_sending", "remove_queued", "block_ip"] }. Empty: never contain.'
        ),
    )
    dry_run: bool = field(
        default=True,
        metadata=_help("Record and print the exact API calls without making any write call."),
    )
    stop_sending: str = field(
        default="domain_restriction",
        metadata=_help(
            "How to stop an account sending: domain_restriction (it may mail its own domain "
            "only), disable (the whole account), or access_policy (switch it to the policy "
            "named in access_policy)."
        ),
    )
    access_policy: str | None = field(
        default=None,
        metadata=_help("The access policy (without SMTP) for stop_sending = access_policy."),
    )
    ip_group: str = field(
        default="kerio-watch blocked",
        metadata=_help(
            "The IP address group attackers' addresses go into; tie it to a blocking rule "
            "(Spam Filter > Blacklists > custom blacklist, Block the message)."
        ),
    )
    queue_scope: str = field(
        default="incident",
        metadata=_help(
            "Which queued messages remove_queued removes: incident (the account's messages "
            "queued since the incident began) or sender (all of them, Queue.removeMatching)."
        ),
    )
    queue_margin_minutes: int = period(
        10,
        "minutes",
        "With queue_scope = incident: also messages queued this long before.",
        positive=False,
        high=7 * 24 * 60,
    )
    allow_accounts: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            'Accounts never touched (patterns like "scanner@*" allowed); the API user '
            "itself is always left alone."
        ),
    )
    max_per_hour: int = threshold(
        3, "At most this many incidents contained in any hour; 0: no limit.", low=0, zero="no limit"
    )
    release_after_hours: float = period(
        24.0,
        "hours",
        "Release a containment automatically after this long; 0: never.",
        positive=False,
        zero="never",
        high=366 * 24,
    )


@dataclass(frozen=True)
class KerioApiConfig:
    """``[kerio_api]``: Kerio Connect's Administration API (see docs/kerio-api.md)."""

    server: str | None = field(
        default=None,
        metadata=_help(
            'The Kerio Connect server, "host" or "host:port" (port 4040 by default). '
            "Empty: the API is not used."
        ),
    )
    path: str = field(default=DEFAULT_PATH, metadata=_help("The JSON-RPC path."))
    username: str | None = field(
        default=None, metadata=_help("An administrator account for the API.")
    )
    password_env: str | None = field(
        default=None, metadata=_help("The environment variable holding its password.")
    )
    password_file: str | None = field(
        default=None,
        metadata=_help("Or a file holding it, readable by its owner only (chmod 600)."),
    )
    ca_file: str | None = field(
        default=None,
        metadata=_help("PEM file of the CA (or the certificate) to verify the server with."),
    )
    fingerprint: str | None = field(
        default=None,
        metadata=_help(
            "SHA-256 fingerprint of the server's certificate, to pin Kerio's self-signed "
            "certificate instead of verifying it against a CA."
        ),
    )
    timeout: float = setting(
        10.0,
        "Seconds to wait for an answer.",
        bounds=Bounds(low=0, low_open=True, high=300, unit="seconds"),
    )
    poll_seconds: float = setting(
        30.0,
        "Seconds between looks at the queue (wall clock).",
        bounds=Bounds(low=1, high=3600, unit="seconds"),
    )
    queue_limit: int = threshold(20000, "At most this many queued messages read per look.")
    login_name_field: str = field(
        default="userName",
        metadata=_help(
            "The Session.login parameter carrying the user name (userName in Kerio's SDK; "
            "one public example uses username)."
        ),
    )
    queue_fields: dict[str, str] = field(
        default_factory=dict,
        metadata=_help("Overrides of the Queue.get item fields: " + ", ".join(QUEUE_FIELDS) + "."),
    )
    contain: ContainConfig = field(default_factory=ContainConfig, metadata=_help("Containment."))

    @property
    def enabled(self) -> bool:
        """Whether the API is configured at all."""
        return bool(self.server)

    @property
    def url(self) -> str:
        """``https://host:port/path``."""
        server = self.server or ""
        host = server if _has_port(server) else f"{server}:{DEFAULT_PORT}"
        return f"https://{host}{self.path}"

    def field_name(self, name: str) -> str:
        """The JSON field of a queue item for one of :data:`QUEUE_FIELDS`."""
        return self.queue_fields.get(name, QUEUE_FIELDS[name])

    def contain_actions(self, severity: str) -> tuple[str, ...]:
        """The actions opted in at ``severity`` or any lower level, in running order."""
        order = SEVERITY_NAMES.index(severity) if severity in SEVERITY_NAMES else -1
        wanted = {
            a
            for label, acts in self.contain.actions.items()
            if label in SEVERITY_NAMES and SEVERITY_NAMES.index(label) <= order
            for a in acts
        }
        return tuple(a for a in ACTIONS if a in wanted)


def _has_port(server: str) -> bool:
    if server.startswith("["):
        return "]:" in server
    return server.count(":") == 1


_FINGERPRINT = re.compile(r"^(?:sha256[:/])?([0-9a-fA-F]{2}(?::?[0-9a-fA-F]{2}){31})$")


def normalize_fingerprint(text: str) -> str | None:
    """``"AB:CD:..."`` (64 hex digits, colons optional) -> ``"abcd..."``, else None.

    >>> normalize_fingerprint("sha256:" + "Ab:" * 31 + "cd")[:6]
    'ababab'
    """
    m = _FINGERPRINT.match(text.strip())
    return m.group(1).replace(":", "").lower() if m else None


def check_kerio_api(api: KerioApiConfig) -> tuple[KerioApiConfig, list[tuple[str, str]]]:
    """Validate ``[kerio_api]``; the normalised section and (key, problem) pairs."""
    problems: list[tuple[str, str]] = []
    add = problems.append
    if api.fingerprint is not None:
        pin = normalize_fingerprint(api.fingerprint)
        if pin is None:
            add(("fingerprint", "expected a SHA-256 fingerprint: 64 hex digits, colons allowed"))
        else:
            api = replace(api, fingerprint=pin)
    if api.enabled:
        _check_login(api, add)
    elif api.contain.actions:
        add(("contain.actions", "containment needs the API: set [kerio_api] server"))
    if not api.path.startswith("/"):
        add(("path", f'expected a path starting with "/", got {api.path!r}'))
    for key in api.queue_fields:
        if key not in QUEUE_FIELDS:
            add((f"queue_fields.{key}", f"unknown field (valid: {', '.join(QUEUE_FIELDS)})"))
    _check_contain(api.contain, add)
    return api, problems


def _check_login(api: KerioApiConfig, add: Callable[[tuple[str, str]], None]) -> None:
    if not api.username:
        add(("username", "the API needs an administrator user name"))
    if bool(api.password_env) == bool(api.password_file):
        add(("password_env", "give exactly one of password_env and password_file"))
    if api.password_file:
        problem = password_file_problem(Path(api.password_file))
        if problem:
            add(("password_file", problem))
    if api.ca_file and not Path(api.ca_file).is_file():
        add(("ca_file", f"no such file: {api.ca_file}"))
    if api.ca_file and api.fingerprint:
        add(("fingerprint", "give either ca_file or fingerprint, not both"))


def _check_contain(c: ContainConfig, add: Callable[[tuple[str, str]], None]) -> None:
    for label, acts in c.actions.items():
        if label not in SEVERITY_NAMES:
            add((f"contain.actions.{label}", f"expected a severity ({', '.join(SEVERITY_NAMES)})"))
        for act in acts:
            if act not in ACTIONS:
                add((f"contain.actions.{label}", f"unknown action {act!r} ({', '.join(ACTIONS)})"))
    if c.stop_sending not in STOP_SENDING:
        add(("contain.stop_sending", f"expected one of {', '.join(STOP_SENDING)}"))
    if c.stop_sending == "access_policy" and not c.access_policy:
        add(("contain.access_policy", "stop_sending = access_policy needs a policy name"))
    if c.queue_scope not in QUEUE_SCOPES:
        add(("contain.queue_scope", f"expected one of {', '.join(QUEUE_SCOPES)}"))
    if not c.ip_group.strip():
        add(("contain.ip_group", "expected the name of an IP address group"))


def password_file_problem(path: Path) -> str | None:
    """Why a password file must not be used (missing, unsafe permissions), or None."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return f"no such file: {path}"
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    if os.name == "posix" and st.st_mode & 0o077:
        mode = stat.S_IMODE(st.st_mode)
        return (
            f"{path} is readable by others (mode {mode:o}); it holds a password: chmod 600 {path}"
        )
    return None
