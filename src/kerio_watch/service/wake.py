"""The follower's wake-up: set from sink workers and from signal handlers.

A :class:`threading.Event` cannot be set from a signal handler. Python runs the
handler in the main thread between two bytecodes; when those are inside the Event's
own lock (the loop's ``clear()`` or ``wait()``), ``set()`` waits for that lock forever
and SIGTERM hangs the service. A socket pair takes no lock: ``set`` sends one byte
(non-blocking; a full buffer means a wake-up is already pending) and ``wait`` selects
on the other end, then drains it.
"""

from __future__ import annotations

import contextlib
import select
import socket


class Wake:
    """A wake-up that threads and signal handlers may set (see the module)."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def set(self) -> None:
        """Wake the waiter now or at its next wait (never blocks, takes no lock)."""
        with contextlib.suppress(OSError):  # full (already pending) or closed
            self._writer.send(b"\0")

    def wait(self, timeout: float) -> bool:
        """Wait until set or ``timeout`` seconds pass; clear; whether it was set."""
        try:
            ready, _, _ = select.select([self._reader], [], [], timeout)
        except (OSError, ValueError):  # closed
            return False
        woken = bool(ready)
        with contextlib.suppress(OSError):
            while self._reader.recv(4096):
                pass
        return woken

    def close(self) -> None:
        self._reader.close()
        self._writer.close()
