"""Builders for firewall log lines used by the tests (importable: ``tests`` is on sys.path).

Times are naive local times, written as each firewall writes them.
"""

from __future__ import annotations

import datetime as dt


def netfilter_line(
    when: dt.datetime,
    src: str,
    dst: str,
    dport: int = 25,
    sport: int = 40000,
    prefix: str = "mail-egress: ",
    host: str = "gw",
) -> str:
    """A kern.log line (RFC 3164 stamp, no year) for a forwarded TCP SYN."""
    stamp = f"{when:%b} {when.day:2d} {when:%H:%M:%S}"
    return (
        f"{stamp} {host} kernel: [ 4242.000001] {prefix}IN=eth1 OUT=eth0 "
        f"MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC={src} DST={dst} LEN=60 TOS=0x00 "
        f"PREC=0x00 TTL=63 ID=4711 DF PROTO=TCP SPT={sport} DPT={dport} WINDOW=64240 "
        "RES=0x00 SYN URGP=0 "
    )


def audit_line(when: dt.datetime, user: str, ip: str, protocol: str = "IMAP") -> str:
    """An on-disk audit.log login."""
    return f"{when:[%d/%b/%Y %H:%M:%S]} {protocol}: User {user} authenticated  from IP address {ip}"


def burst(
    start: dt.datetime, src: str, n: int, per_minute: int = 10, first_port: int = 40000
) -> list[str]:
    """``n`` SYNs from ``src`` to ``n`` different outside mail servers."""
    return [
        netfilter_line(
            start + dt.timedelta(seconds=i * 60 // per_minute),
            src,
            f"198.51.{100 + i // 250}.{1 + i % 250}",
            sport=first_port + i,
        )
        for i in range(n)
    ]
