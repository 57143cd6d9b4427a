"""``type = "syslog"``: RFC 5424 messages over UDP, TCP or TLS (octet counting, RFC 6587
and RFC 5425) or a Unix socket.

A message looks like::

    <155>1 2026-03-23T10:15:00+01:00 mx1 kerio-watch 4242 alert
    [kerio-watch@32473 id="12-3" incident="12" severity="high" score="85" status="opened"
    rule="kerio.mail.volume" user="alice@example.com" ip="192.0.2.7"]
    HIGH alice@example.com: 412 messages in 60 minutes ... (incident #12, opened, score 85)

(on one line). Log content never adds a control character: header fields are
printable US-ASCII, structured-data values are escaped (``"``, ``\\``, ``]``) and the
message is one printable line. A UTF-8 message starts with a BOM as RFC 5424 asks;
a pure ASCII one has none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import socket
import ssl
from dataclasses import dataclass

from kerio_watch.alerts.base import PORT, Sink, SinkOptions, option
from kerio_watch.alerts.render import HELD_RULE, TEST_RULE, hostname, one_line
from kerio_watch.alerts.tls import tls_context
from kerio_watch.errors import SinkError
from kerio_watch.settings.bounds import Bounds
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable
from kerio_watch.values.alert import Alert

FACILITIES: dict[str, int] = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6,
    "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "audit": 13,
    "alert": 14, "clock": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
    "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip
"""RFC 5424 facility codes."""

SYSLOG_SEVERITY: dict[Severity, int] = {
    Severity.CRITICAL: 2,  # crit
    Severity.HIGH: 3,  # err
    Severity.MEDIUM: 4,  # warning
    Severity.LOW: 5,  # notice
    Severity.INFO: 6,  # info
}
"""kerio-watch severity -> RFC 5424 severity."""

APP_NAME = "kerio-watch"
BOM = b"\xef\xbb\xbf"
_SD_ID = re.compile(r"[!#-<>-\\^-~]{1,32}")  # printusascii except = ] " and space
_DATAGRAM_MIN = 480  # RFC 5426: every receiver takes at least this
DEFAULT_PORTS = {"udp": 514, "tcp": 514, "tls": 6514}
TLS_REFUSAL_WAIT = 0.3
"""Seconds to wait after a TLS handshake for a collector's refusal of the client."""


@dataclass(frozen=True, kw_only=True)
class SyslogOptions(SinkOptions):
    """Options of the syslog sink."""

    protocol: str = option(
        "udp",
        "How to reach the syslog server: udp, tcp (RFC 6587 octet counting), tls (RFC "
        "5425: TCP with TLS, for a collector across the internet) or unix (a local "
        "datagram socket such as /dev/log).",
        choices=("udp", "tcp", "tls", "unix"),
    )
    host: str = option("127.0.0.1", "Syslog server (udp, tcp, tls).", example='"siem.example.com"')
    port: int = option(
        0, "Syslog server port. Default: 514 for udp and tcp, 6514 for tls.", bounds=PORT
    )
    socket: str = option("/dev/log", "Unix socket path (unix).")
    facility: str = option(
        "user", "Syslog facility.", choices=tuple(FACILITIES), example='"local4"'
    )
    hostname: str = option("", "HOSTNAME field. Default: this machine's name.")
    sd_id: str = option(
        "kerio-watch@32473",
        "Structured-data ID (name@enterprise-number; 32473 is the documentation number "
        "of RFC 5612, put your own here if you have one).",
    )
    max_size: int = option(
        2048,
        "Longest datagram in bytes (udp, unix); longer messages are truncated.",
        bounds=Bounds(low=_DATAGRAM_MIN, unit="bytes"),
    )
    ca_file: str = option(
        "", "CA certificate(s) to trust for the server (tls, PEM), e.g. the collector's own CA."
    )
    verify: bool = option(
        True,
        "Check the server's certificate and name (tls). Prefer ca_file to turning this off.",
    )
    client_cert: str = option(
        "",
        "Client certificate (tls, PEM) for a collector that admits only known senders "
        "(rsyslog StreamDriverAuthMode x509/name). May hold the key too.",
    )
    client_key: str = option("", "Private key of client_cert, if it is in its own file (tls).")

    def check(self) -> list[str]:
        """SD-ID syntax, TLS files, the header fields (ranges are the fields' bounds)."""
        problems = super().check()
        if self.client_key and not self.client_cert:
            problems.append("client_key: set client_cert too (the certificate of this key)")
        if self.protocol != "tls":
            for key in ("ca_file", "client_cert", "client_key"):
                if getattr(self, key):
                    problems.append(f'{key}: only used with protocol = "tls"')
        if not _SD_ID.fullmatch(self.sd_id) or "@" not in self.sd_id:
            problems.append(
                f'sd_id: expected name@number of printable ASCII without =, ], " or '
                f"spaces, got {self.sd_id!r}"
            )
        if self.hostname and _header_field(self.hostname, 255) != self.hostname:
            problems.append(
                f"hostname: expected printable ASCII without spaces, got {self.hostname!r}"
            )
        return problems


def _header_field(text: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, or the NILVALUE ``-``."""
    clean = "".join(c if 33 <= ord(c) <= 126 else "-" for c in text)[:limit]
    return clean or "-"


def _sd_value(text: str) -> str:
    """A structured-data parameter value: printable, escaped, bounded."""
    value = printable(text)[:256]
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _timestamp(alert: Alert) -> str:
    try:
        when = dt.datetime.fromisoformat(alert.time)
    except ValueError:
        when = dt.datetime.fromtimestamp(alert.ts, dt.UTC)
    if when.tzinfo is None:
        when = dt.datetime.fromtimestamp(alert.ts, dt.UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def format_message(
    alert: Alert,
    *,
    facility: str = "user",
    host: str | None = None,
    sd_id: str = "kerio-watch@32473",
    limit: int | None = None,
) -> bytes:
    """One RFC 5424 message (without transport framing).

    Args:
        limit: the largest size in bytes; the free-text MSG part is cut to fit.
    """
    pri = FACILITIES[facility] * 8 + SYSLOG_SEVERITY[alert.severity]
    msgid = "test" if alert.rule == TEST_RULE else "held" if alert.rule == HELD_RULE else "alert"
    header = (
        f"<{pri}>1 {_timestamp(alert)} {_header_field(host or hostname(), 255)} "
        f"{APP_NAME} {os.getpid()} {msgid} "
    )
    params = [
        ("id", alert.id),
        ("incident", str(alert.incident_id)),
        ("severity", alert.severity.label),
        ("score", str(alert.score)),
        ("status", alert.status),
        ("rule", alert.rule),
    ]
    if alert.user:
        params.append(("user", alert.user))
    if alert.source_ip:
        params.append(("ip", alert.source_ip))
    sd = "[" + sd_id + "".join(f' {k}="{_sd_value(v)}"' for k, v in params) + "]"
    head = header.encode("ascii") + sd.encode("utf-8") + b" "
    text = one_line(alert)
    body = text.encode("ascii") if text.isascii() else BOM + text.encode("utf-8")
    if limit is not None and len(head) + len(body) > limit:
        room = max(0, limit - len(head))
        cut = body[:room]
        if cut.startswith(BOM):
            cut = BOM + cut[len(BOM) :].decode("utf-8", "ignore").encode("utf-8")
        body = cut
    return head + body


class SyslogSink(Sink[SyslogOptions]):
    """Sends alerts to a syslog server or the local syslog daemon."""

    type = "syslog"
    options_class = SyslogOptions

    def send(self, alert: Alert) -> None:
        """Send one message."""
        o = self.options
        data = format_message(
            alert,
            facility=o.facility,
            host=o.hostname or hostname(),
            sd_id=o.sd_id,
            limit=o.max_size if o.protocol in ("udp", "unix") else None,
        )
        try:
            if o.protocol == "udp":
                self._send_udp(data)
            elif o.protocol == "tcp":
                self._send_tcp(data)
            elif o.protocol == "tls":
                self._send_tls(data)
            else:
                self._send_unix(data)
        except TimeoutError:
            raise SinkError(f"{self._where()}: no answer within {o.timeout:g} s") from None
        except ssl.SSLCertVerificationError as exc:
            raise SinkError(
                f"{self._where()}: the TLS certificate is not trusted ({exc.verify_message}); "
                "set ca_file to the CA that signed it"
            ) from None
        except ssl.SSLError as exc:
            raise SinkError(
                f"{self._where()}: TLS failed ({exc.reason or exc}); is it a TLS syslog port, "
                "and does it want a client certificate?"
            ) from None
        except socket.gaierror as exc:
            raise SinkError(f"cannot resolve {o.host}: {exc.strerror or exc}") from None
        except OSError as exc:
            raise SinkError(f"{self._where()}: {exc.strerror or exc}") from None

    @property
    def port(self) -> int:
        """The configured port, or the protocol's usual one."""
        o = self.options
        return o.port or DEFAULT_PORTS.get(o.protocol, 514)

    def _where(self) -> str:
        o = self.options
        if o.protocol == "unix":
            return f"syslog socket {o.socket}"
        return f"syslog {o.protocol}://{o.host}:{self.port}"

    def _send_udp(self, data: bytes) -> None:
        o = self.options
        family, kind, proto, _name, addr = socket.getaddrinfo(
            o.host, self.port, type=socket.SOCK_DGRAM
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(o.timeout)
            sock.sendto(data, addr)

    def _send_tcp(self, data: bytes) -> None:
        o = self.options
        frame = str(len(data)).encode("ascii") + b" " + data
        with socket.create_connection((o.host, self.port), timeout=o.timeout) as sock:
            sock.sendall(frame)
            sock.shutdown(socket.SHUT_WR)

    def _send_tls(self, data: bytes) -> None:
        """RFC 5425: octet-counted frames over TLS, closed with a TLS close_notify.

        With TLS 1.3 the client's handshake ends before the server has checked the client
        certificate: a collector that refuses it (or wants one) says so in an alert just
        after. A short read before sending catches that alert, so a refused alert is
        reported as a failure instead of being lost.
        """
        o = self.options
        files = {"ca_file": o.ca_file, "client_cert": o.client_cert, "client_key": o.client_key}
        ctx = tls_context("syslog", files, o.verify)
        frame = str(len(data)).encode("ascii") + b" " + data
        with (
            socket.create_connection((o.host, self.port), timeout=o.timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=o.host) as sock,
        ):
            sock.settimeout(min(TLS_REFUSAL_WAIT, o.timeout))
            try:
                if sock.recv(1) == b"":
                    raise SinkError(f"{self._where()}: the collector closed the connection")
            except TimeoutError:
                pass  # nothing to read: accepted
            sock.settimeout(o.timeout)
            sock.sendall(frame)
            with contextlib.suppress(OSError):  # sent; a collector may just hang up
                sock.unwrap()

    def _send_unix(self, data: bytes) -> None:
        o = self.options
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.settimeout(o.timeout)
            try:
                sock.connect(o.socket)
            except OSError as exc:
                if exc.errno != errno.EPROTOTYPE:
                    raise
            else:
                sock.send(data)
                return
        # A stream socket (syslog-ng unix-stream): RFC 6587 octet counting.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(o.timeout)
            sock.connect(o.socket)
            sock.sendall(str(len(data)).encode("ascii") + b" " + data)
