"""Who writes to each local account: the learner's per-recipient work for inbound mail.

For every inbound message (a ``Recv:`` line with no ``User:``, not a DSN, with a
sender), each recipient in a local domain (or an alias domain of one) notes the
sender in its profile's correspondents at the message's time, and the account's
profile is marked changed. Nothing here is held: a correspondent is who wrote to the
account, whatever the account does (holds are about what the account itself does,
:mod:`.learner`).

:class:`Correspondents` is the reference; with the native engine the core's
``Correspondents`` (``native/src/pylearn.rs``) does the same on the same objects (the
context's profiles, local and alias domains and changed set, read live), one call per
message instead of a Python loop over its recipients (``docs/native.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kerio_watch.detect.context import Context


class Learns(Protocol):
    """What the learner calls: ``learn(recipients, sender, ts)``."""

    def learn(self, recipients: Sequence[str], sender: str, ts: int) -> None:
        """Note ``sender`` as a correspondent of each local recipient at ``ts``."""


class Correspondents:
    """The pure-Python reference (the Python engine's path)."""

    __slots__ = ("aliases", "dirty", "local", "profile", "profiles")

    def __init__(
        self,
        local: set[str],
        aliases: dict[str, str],
        profiles: dict[str, Any],
        profile: Callable[[str], Any],
        dirty: set[str],
    ) -> None:
        self.local = local
        self.aliases = aliases
        self.profiles = profiles
        self.profile = profile
        self.dirty = dirty

    def learn(self, recipients: Sequence[str], sender: str, ts: int) -> None:
        """Note ``sender`` as a correspondent of each local recipient at ``ts``."""
        local, aliases, profiles = self.local, self.aliases, self.profiles
        for rcpt in recipients:
            domain = rcpt.rpartition("@")[2]
            if domain in local or domain in aliases:
                prof = profiles.get(rcpt) or self.profile(rcpt)
                prof.correspondents.see(sender, ts)
                self.dirty.add(rcpt)


_module: Any = None


def use_native_correspondents(module: Any | None) -> None:
    """Make :func:`new_correspondents` build ``module.Correspondents`` (the native
    core), or Python's :class:`Correspondents`."""
    global _module  # noqa: PLW0603 (one engine per process, like the books)
    _module = module


def new_correspondents(ctx: Context) -> Learns:
    """The engine's correspondents learner over ``ctx``'s live objects."""
    cls = _module.Correspondents if _module is not None else Correspondents
    learns: Learns = cls(
        ctx.local_domains, ctx.domain_aliases, ctx.profiles, ctx.profile, ctx.dirty
    )
    return learns
