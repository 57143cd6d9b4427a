"""Where an account works from: helpers of :mod:`.new_host` about places and programs."""

from __future__ import annotations

from kerio_watch.detect.context import Context
from kerio_watch.enrich.geo import NetInfo
from kerio_watch.enrich.network import provider_range
from kerio_watch.values.profile import Profile

DAY = 86400
READ_ONLY = 14 * DAY
"""A place the account has only read mail from is new for sending this long after its
first use (:func:`read_only_since`)."""


def read_only_since(ctx: Context, prof: Profile, host: str, ts: int) -> int | None:
    """How long ago the account first used the place of ``host`` (an outside address it
    has logged in from but never sent from), when that place (the network's owner;
    without network data its provider range) is one it never sent from and first used
    within :data:`READ_ONLY`; None otherwise.

    Reading alone does not make a place the account's own: an intruder who guessed or
    bought the password reads for days before it writes. A place older than that is the
    owner's reading (a phone that reads all month and sends for the first time).
    """
    if not ctx.networks.is_external(host):
        return None
    network = ctx.network_of(host)
    if prof.is_accepted("hosts", host) or prof.is_accepted("networks", network):
        return None
    place = place_of(ctx, host)
    first = min(
        (e[1] for n, e in prof.networks.items() if place_of(ctx, n, network=True) == place),
        default=ts,
    )
    if ts - first > READ_ONLY or any(place_of(ctx, h) == place for h in prof.hosts):
        return None
    return ts - first


def place_of(ctx: Context, host: str, network: bool = False) -> str:
    """Where ``host`` (an address, or a /24 when ``network``) is for an account: its
    network's owner, else its provider range (the /16 of a /24)."""
    as_key = ctx.net_info(host.partition("/")[0]).as_key
    if as_key:
        return as_key
    net = host if network else ctx.network_of(host)
    return provider_range(net) or net


def administers(protocol: str) -> bool:
    """A login to the administration console (``HTTP/WebAdmin``): not reading mail but
    the session the server is changed in, so it weighs as a send.

    >>> administers("HTTP/WebAdmin"), administers("IMAP")
    (True, False)
    """
    return "webadmin" in protocol.lower()


def owner_networks(info: NetInfo) -> list[str]:
    """The AS as a teachable network (``ack --benign`` accepts the whole AS)."""
    return [info.as_key] if info.as_key else []


def usual_host(prof: Profile) -> str | None:
    """The account's most used sending address (or login address)."""
    for table in (prof.hosts, prof.login_ips):
        if table:
            return max(table.items(), key=lambda kv: kv[1][0])[0]
    return None


OWN_DESK = 7 * DAY
"""How long an address outside the trusted networks must have been the account's most
used sending address to be its own desk (:func:`own_desk`)."""


def own_desk(ctx: Context, account: str, host: str | None) -> bool:
    """Whether ``host`` is the account's own desk outside the trusted networks: the
    address it has sent from most, for a week or more (the office line of a company
    whose mail server is elsewhere, a provider's server hosting it; a fixed line at
    home). Use from there is the owner at the desk, as in the office: it pairs only
    with access from inside the trusted networks (access from the desk itself is judged
    as before: a cloud service sending as the account is still one shared address)."""
    if not host:
        return False
    prof = ctx.profiles.get(account)
    entry = prof.hosts.get(host) if prof is not None else None
    if prof is None or entry is None or entry[2] - entry[1] < OWN_DESK:
        return False
    return usual_host(prof) == host


def own_place(ctx: Context, account: str, host: str | None, ts: int) -> bool:
    """Whether ``host``, outside the trusted networks, is at a place (the network's
    owner, else its provider range: :func:`place_of`) the account has sent mail from
    for a week or more (:data:`OWN_DESK`), or used at all for longer than
    :data:`READ_ONLY` (its phone reading all month): a remote worker's home line is one,
    its next lease too. A stranger's network is not, nor a place first used lately and
    only read from (an intruder reads for days first)."""
    prof = ctx.profiles.get(account)
    if not host or prof is None or not ctx.networks.is_external(host):
        return False
    place = place_of(ctx, host)
    sent = (e[1] for h, e in prof.hosts.items() if place_of(ctx, h) == place)
    if ts - min(sent, default=ts) >= OWN_DESK:
        return True
    used = (e[1] for n, e in prof.networks.items() if place_of(ctx, n, network=True) == place)
    return ts - min(used, default=ts) > READ_ONLY
