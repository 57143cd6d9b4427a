"""Paced garbage collection for long batch runs (``scan``).

CPython's cycle collector runs a young-generation pass every 700 allocations and a full
pass whenever the long-lived objects grew by a quarter. A scan allocates a few objects
per log line (records, events, submissions) that almost all die young and acyclic, and
keeps a growing set of long-lived ones (profiles, the message tracker, windows): with
the default thresholds a fifth of a scan's time went to collections that found nearly
nothing. This paces them: the objects alive when the run starts (modules, the loaded
state) are frozen out of the collector's sight, and young passes run every
:data:`YOUNG` allocations. Collection still happens, so memory stays bounded; results
cannot change (collection only frees unreachable objects). At the process's exit the
heap is frozen too (:func:`skip_exit_collection`), so that the interpreter's last full
collections do not traverse it.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 50_000
"""Allocations (minus deallocations) between young-generation passes (CPython: 700)."""
MIDDLE = 20
"""Young passes between middle-generation passes (CPython: 10)."""
OLD = 100
"""Middle passes between full passes, at most (CPython: 10)."""


@contextmanager
def paced_collection() -> Iterator[None]:
    """Collect less often inside the block; restore the process's settings after it."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def skip_exit_collection() -> None:
    """Leave what is alive at the process's exit out of the collector's sight.

    At exit CPython runs full collections over every object still alive before it
    frees the modules: after a scan of a site (its profiles, windows and incidents, a
    hundred megabytes) that took 0.1-0.3 s CPU, for memory the system takes back
    anyway. Run at exit (:mod:`atexit`, registered once however often a command runs in
    one process), this freezes the heap first (:func:`gc.freeze`). Objects are still
    freed as their references go; only those in reference cycles stay until the
    process ends, unfinalized: kerio-watch closes its files, databases and sockets
    itself and defines no ``__del__``.
    """
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
