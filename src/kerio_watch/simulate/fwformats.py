"""How the simulated site's firewall writes a connection, in each firewall log format.

One :class:`FirewallWriter` per format renders ``(epoch, source, source port,
destination, port, allowed)`` as that firewall would: a Linux gateway's kern.log
(netfilter ``LOG``, local time without a year), pfSense's filter log forwarded as RFC
5424 (local time with its offset), Windows Firewall's ``pfirewall.log`` (W3C
directives, local time) or Kerio Control's filter log (``[DD/Mon/YYYY HH:MM:SS]``,
default packet template). Lines are sorted by time when the file is written.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from kerio_watch.simulate.clock import SiteClock

FILE_NAMES: dict[str, str] = {
    "netfilter": "kern.log",
    "filterlog": "filter.log",
    "pfirewall": "pfirewall.log",
    "control": "filter.log",
}
W3C_HEADER = (
    "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags "
    "tcpsyn tcpack tcpwin icmptype icmpcode info path pid\n\n"
)

Conn = tuple[int, str, int, str, int, bool]
"""(epoch, source, source port, destination, destination port, allowed)."""


class FirewallWriter:
    """Collects connections and writes them as one firewall log."""

    def __init__(self, fmt: str, clock: SiteClock, start: int) -> None:
        self.fmt = fmt
        self.clock = clock
        self.start = start
        self.conns: list[Conn] = []

    def add(self, conn: Conn) -> None:
        """A connection the firewall logs."""
        self.conns.append(conn)

    def _local(self, t: int) -> datetime:
        return datetime.fromtimestamp(t + self.clock.offset(t), UTC).replace(tzinfo=None)

    def line(self, conn: Conn) -> str:
        """One connection in this format (no line ending)."""
        if self.fmt == "netfilter":
            return self._netfilter(conn)
        if self.fmt == "filterlog":
            return self._filterlog(conn)
        if self.fmt == "pfirewall":
            return self._pfirewall(conn)
        return self._control(conn)

    def _netfilter(self, conn: Conn) -> str:
        t, src, sport, dst, dport, allowed = conn
        local = self._local(t)
        verdict = "ACCEPT" if allowed else "REJECT"
        stamp = f"{local:%b} {local.day:2d} {local:%H:%M:%S}"
        uptime = f"{t - self.start + 86400:>7}.{t % 997:06d}"
        return (
            f"{stamp} gw kernel: [{uptime}] smtp-out {verdict}: IN=eth1 OUT=eth0 "
            f"MAC=00:1b:21:3a:4f:10:00:1b:21:3a:4f:11:08:00 SRC={src} DST={dst} LEN=60 "
            f"TOS=0x00 PREC=0x00 TTL=63 ID={sport * 7 % 65536} DF PROTO=TCP SPT={sport} "
            f"DPT={dport} WINDOW=64240 RES=0x00 SYN URGP=0 "
        )

    def _filterlog(self, conn: Conn) -> str:
        t, src, sport, dst, dport, allowed = conn
        off = self.clock.offset(t)
        zone = f"{'+' if off >= 0 else '-'}{abs(off) // 3600:02d}:{abs(off) % 3600 // 60:02d}"
        stamp = f"{self._local(t):%Y-%m-%dT%H:%M:%S}.{t % 1000:03d}000{zone}"
        action = "pass" if allowed else "block"
        return (
            f"<134>1 {stamp} fw.example.net filterlog 31337 - - 5,,,1000000103,igb1,match,"
            f"{action},in,4,0x0,,64,{sport * 7 % 65536},0,DF,6,tcp,60,{src},{dst},{sport},"
            f"{dport},0,S,{sport * 40503 % 4294967296},,64240,,mss;sackOK;TS;nop;wscale"
        )

    def _pfirewall(self, conn: Conn) -> str:
        t, src, sport, dst, dport, allowed = conn
        action = "ALLOW" if allowed else "DROP"
        return (
            f"{self._local(t):%Y-%m-%d %H:%M:%S} {action} TCP {src} {dst} {sport} {dport} "
            f"0 - 0 0 0 - - - SEND {4000 + sport % 900}"
        )

    def _control(self, conn: Conn) -> str:
        t, src, sport, dst, dport, allowed = conn
        verdict, rule = ("PERMIT", "NAT") if allowed else ("DROP", "No direct SMTP from the LAN")
        return (
            f"{self.clock.stamp(t)}{verdict} '{rule}' packet to WAN, proto:TCP, len:60, "
            f"ip/port:{src}:{sport} -> {dst}:{dport}, flags: SYN , seq:{sport * 40503} ack:0, "
            "win:64240, tcplen:0"
        )

    def write(self, directory: Path) -> tuple[Path, int]:
        """Write the log (time order); its path and lines. The file's modification time is
        its last line's, as a firewall leaves it (syslog stamps take their year from it)."""
        path = directory / FILE_NAMES[self.fmt]
        self.conns.sort()
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            if self.fmt == "pfirewall":
                fh.write(W3C_HEADER)
            fh.writelines(self.line(c) + "\n" for c in self.conns)
        if self.conns:
            last = self.conns[-1][0]
            os.utime(path, (last, last))
        return path, len(self.conns)
