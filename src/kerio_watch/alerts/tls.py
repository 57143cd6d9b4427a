"""The client TLS context of the sinks that speak TLS (email, syslog, webhook).

Apart from :mod:`kerio_watch.alerts.base` so that importing the sink seam (the router
does, in every ``scan``) does not import ``ssl``.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from kerio_watch.errors import SinkError


def tls_context(sink: str, files: dict[str, str], verify: bool = True) -> ssl.SSLContext:
    """A client TLS context for a sink: the system's CAs or ``files["ca_file"]``, the
    server's certificate and name checked unless ``verify`` is off, and a client
    certificate from ``files["client_cert"]`` (and ``files["client_key"]``) when set.

    Args:
        sink: the sink type, for messages.
        files: the sink's file options by key (its ``ca_file``, ...), empty when unset.

    Raises:
        SinkError: a file is missing, unreadable or not PEM, naming the key.
    """
    for key, path in files.items():
        if path and not os.access(path, os.R_OK):
            why = "permission denied" if Path(path).exists() else "no such file"
            raise SinkError(f"{sink} sink: {key} {path}: {why}")
    try:
        ctx = ssl.create_default_context(cafile=files.get("ca_file") or None)
        if files.get("client_cert"):
            ctx.load_cert_chain(files["client_cert"], files.get("client_key") or None)
    except (OSError, ValueError) as exc:
        keys = list(files)
        named = f"{', '.join(keys[:-1])} or {keys[-1]}" if len(keys) > 1 else keys[0]
        detail = getattr(exc, "reason", None) or exc
        raise SinkError(
            f"{sink} sink: cannot use {named} ({detail}); expected PEM certificates"
            + (" and an unencrypted PEM key" if "client_key" in files else "")
        ) from None
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
