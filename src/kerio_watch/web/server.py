"""Serving the dashboard with waitress.

Why waitress: it is a production-grade WSGI server in pure Python with no C
dependencies, it runs on Windows as well as Linux (Kerio Connect runs on both, and
admins often put tools on the mail server itself), it needs no process manager, and its
thread pool suits a dashboard that a few administrators use. Werkzeug's development
server says itself that it is not for production.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask

THREADS = 4


class Server(Protocol):
    """What ``waitress.create_server`` returns, as far as kerio-watch uses it."""

    effective_port: int

    def run(self) -> None:
        """Serve until closed."""
        ...

    def close(self) -> None:
        """Stop listening."""
        ...


def make_server(app: Flask, host: str, port: int) -> Server:
    """A bound (not yet running) server; ``port=0`` picks a free port.

    Raises:
        OSError: the address cannot be bound (in use, not local, permission).
    """
    from waitress import create_server  # noqa: PLC0415 (an optional dependency)

    server: Any = create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        ident="kerio-watch",
        clear_untrusted_proxy_headers=True,
        # poll(), where the platform has it: a socket closed by another thread (stop)
        # is then reported, not an error in select() (EBADF), and there is no
        # 1024-descriptor limit
        asyncore_use_poll=True,
    )
    return server  # type: ignore[no-any-return]
