"""The syslog sink against real UDP, TCP and Unix datagram receivers (RFC 5424)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.alerts.syslog import BOM, SyslogSink
from kerio_watch.errors import SinkError
from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert

from .conftest import HOSTILE_USER, free_port, server_context

HEADER = re.compile(
    rb"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) "
    rb"(?P<procid>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) "
)


def parse_sd(data: bytes) -> tuple[str, dict[str, str], bytes]:
    """(SD-ID, params, rest) of one SD-ELEMENT at the start of ``data`` (RFC 5424 6.3)."""
    text = data.decode("utf-8")
    assert text.startswith("[")
    m = re.match(r"\[([!#-<>-\\^-~]{1,32})", text)
    assert m, text
    sd_id, i = m.group(1), m.end()
    params: dict[str, str] = {}
    while text[i] == " ":
        name_end = text.index("=", i)
        name = text[i + 1 : name_end]
        assert text[name_end + 1] == '"'
        j, value = name_end + 2, []
        while text[j] != '"':
            if text[j] == "\\" and text[j + 1] in '"\\]':
                value.append(text[j + 1])
                j += 2
            else:
                assert text[j] not in '"]', f"unescaped {text[j]!r} in {name}"
                value.append(text[j])
                j += 1
        params[name] = "".join(value)
        i = j + 1
    assert text[i] == "]" and text[i + 1] == " "
    return sd_id, params, text[i + 2 :].encode("utf-8")


def parse(datagram: bytes) -> dict[str, Any]:
    """Check one RFC 5424 message and return its parts."""
    m = HEADER.match(datagram)
    assert m, datagram
    dt.datetime.fromisoformat(m.group("ts").decode().replace("Z", "+00:00"))
    sd_id, params, msg = parse_sd(datagram[m.end() :])
    return {**{k: v.decode() for k, v in m.groupdict().items()}, "sd_id": sd_id, "sd": params,
            "msg": msg}  # fmt: skip


def sink(**table: Any) -> SyslogSink:
    """A syslog sink from TOML-like keys."""
    s = SyslogSink.from_table({"type": "syslog", "timeout": 2, **table})
    assert isinstance(s, SyslogSink)
    return s


def no_control_bytes(data: bytes) -> bool:
    """No C0 control byte and no DEL anywhere in the message."""
    return not any(b < 0x20 or b == 0x7F for b in data)


class TestTransports:
    """Each transport delivers one well-formed RFC 5424 message."""

    def test_udp(self, udp_receiver: socket.socket, alert: Callable[..., Alert]) -> None:
        """PRI, version, timestamp, app-name, structured data and one-line message."""
        port = udp_receiver.getsockname()[1]
        sink(protocol="udp", port=port, facility="local4", hostname="mx1").send(alert())
        got = parse(udp_receiver.recv(65535))
        assert int(got["pri"]) == 20 * 8 + 3  # local4, err (high)
        assert got["ts"] == "2026-03-23T10:15:00+01:00"
        assert (got["host"], got["app"], got["msgid"]) == ("mx1", "kerio-watch", "alert")
        assert got["sd_id"] == "kerio-watch@32473"
        assert got["sd"] == {
            "id": "12-3",
            "incident": "12",
            "severity": "high",
            "score": "85",
            "status": "escalated",
            "rule": "kerio.mail.volume",
            "user": "alice@example.com",
            "ip": "185.220.101.7",
        }
        assert got["msg"].startswith(b"HIGH alice@example.com: 412 messages in 60 minutes")
        assert not got["msg"].startswith(BOM)

    def test_tcp_octet_counting(
        self, tcp_receiver: socket.socket, alert: Callable[..., Alert]
    ) -> None:
        """TCP frames are ``LENGTH SP MESSAGE`` (RFC 6587 octet counting)."""
        port = tcp_receiver.getsockname()[1]
        s = sink(protocol="tcp", port=port)
        s.send(alert())
        s.send(alert(id="12-4", severity=Severity.CRITICAL))
        stream = b""
        for _ in range(2):
            conn, _addr = tcp_receiver.accept()
            with conn:
                while chunk := conn.recv(65535):
                    stream += chunk
        frames = []
        while stream:
            length, _, rest = stream.partition(b" ")
            n = int(length)
            frames.append(rest[:n])
            stream = rest[n:]
        assert len(frames) == 2
        assert [parse(f)["sd"]["severity"] for f in frames] == ["high", "critical"]
        assert int(parse(frames[1])["pri"]) == 1 * 8 + 2  # user, crit

    def test_unix_datagram_socket(
        self, unix_receiver: tuple[socket.socket, str], alert: Callable[..., Alert]
    ) -> None:
        """A local socket such as /dev/log."""
        receiver, path = unix_receiver
        sink(protocol="unix", socket=path, facility="mail").send(alert(severity=Severity.MEDIUM))
        got = parse(receiver.recv(65535))
        assert int(got["pri"]) == 2 * 8 + 4  # mail, warning

    def test_unix_stream_socket(self, tmp_path: Any, alert: Callable[..., Alert]) -> None:
        """A stream socket (syslog-ng unix-stream) gets an octet-counted frame."""
        import tempfile  # noqa: PLC0415

        path = tempfile.mktemp(prefix="kw-", dir="/tmp")  # noqa: S306 (bound right away)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(path)
            server.listen(1)
            server.settimeout(2)
            sink(protocol="unix", socket=path).send(alert())
            conn, _ = server.accept()
            with conn:
                data = b""
                while chunk := conn.recv(65535):
                    data += chunk
        length, _, message = data.partition(b" ")
        assert int(length) == len(message)
        assert parse(message)["sd"]["incident"] == "12"
        Path(path).unlink()

    def test_nobody_listening_on_tcp(self, alert: Callable[..., Alert]) -> None:
        """A refused TCP connection is a delivery failure naming the server."""
        port = free_port()
        with pytest.raises(SinkError, match=f"syslog tcp://127.0.0.1:{port}"):
            sink(protocol="tcp", port=port).send(alert())

    def test_missing_unix_socket(self, alert: Callable[..., Alert], tmp_path: Any) -> None:
        """A missing socket path is a delivery failure naming the path."""
        with pytest.raises(SinkError, match=r"syslog socket .*nope"):
            sink(protocol="unix", socket=str(tmp_path / "nope")).send(alert())


class TlsReceiver:
    """A real RFC 5425 receiver on 127.0.0.1: TLS, then octet-counted frames until the
    sender closes. ``require_client`` admits only senders with a certificate signed by
    the test CA (the test certificate itself)."""

    def __init__(self, tls_files: tuple[Path, Path], require_client: bool = False) -> None:
        self.ctx = server_context(tls_files)
        if require_client:
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(str(tls_files[0]))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]
        self.frames: list[bytes] = []
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(raw, server_side=True) as conn:
                    stream = b""
                    while chunk := conn.recv(65535):
                        stream += chunk
            except (OSError, ssl.SSLError) as exc:
                self.errors.append(str(exc))
                raw.close()
                continue
            while stream:
                length, _, rest = stream.partition(b" ")
                self.frames.append(rest[: int(length)])
                stream = rest[int(length) :]

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes the accept() (closing alone does not)
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def tls_receiver(tls_files: tuple[Path, Path]) -> Iterator[Callable[..., TlsReceiver]]:
    made: list[TlsReceiver] = []

    def start(require_client: bool = False) -> TlsReceiver:
        made.append(TlsReceiver(tls_files, require_client))
        return made[-1]

    yield start
    for receiver in made:
        receiver.close()


class TestTls:
    """``protocol = "tls"`` (RFC 5425) against a real TLS receiver."""

    def test_delivers_octet_counted_frames(
        self,
        tls_receiver: Callable[..., TlsReceiver],
        tls_files: tuple[Path, Path],
        hostile: Callable[..., Alert],
    ) -> None:
        server = tls_receiver()
        s = sink(protocol="tls", port=server.port, host="localhost", ca_file=str(tls_files[0]))
        s.send(hostile())
        s.send(hostile(id="12-4", severity=Severity.CRITICAL))
        server.close()
        assert len(server.frames) == 2, server.errors
        got = [parse(f) for f in server.frames]
        assert [g["sd"]["severity"] for g in got] == ["high", "critical"]
        assert all(no_control_bytes(f.replace(BOM, b"")) for f in server.frames)

    def test_untrusted_certificate_is_refused(
        self, tls_receiver: Callable[..., TlsReceiver], alert: Callable[..., Alert]
    ) -> None:
        server = tls_receiver()
        with pytest.raises(SinkError, match=r"tls://127\.0\.0\.1:\d+: the TLS certificate is "
                                            r"not trusted .*set ca_file"):  # fmt: skip
            sink(protocol="tls", port=server.port).send(alert())
        server.close()
        assert server.frames == []

    def test_verify_off(
        self, tls_receiver: Callable[..., TlsReceiver], alert: Callable[..., Alert]
    ) -> None:
        server = tls_receiver()
        sink(protocol="tls", port=server.port, verify=False).send(alert())
        server.close()
        assert len(server.frames) == 1

    def test_client_certificate(
        self,
        tls_receiver: Callable[..., TlsReceiver],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
    ) -> None:
        """A collector that admits only known senders: refused without the client
        certificate, delivered with it (key in its own file)."""
        cert, key = (str(f) for f in tls_files)
        server = tls_receiver(require_client=True)
        with pytest.raises(SinkError, match=r"syslog tls://.*want a client certificate"):
            sink(protocol="tls", port=server.port, ca_file=cert).send(alert())
        s = sink(protocol="tls", port=server.port, ca_file=cert, client_cert=cert, client_key=key)
        s.send(alert())
        server.close()
        assert len(server.frames) == 1
        assert parse(server.frames[0])["sd"]["incident"] == "12"

    def test_missing_files_are_named(self, tmp_path: Path, alert: Callable[..., Alert]) -> None:
        missing = tmp_path / "nope.pem"
        with pytest.raises(SinkError, match=f"ca_file {missing}: no such file"):
            sink(protocol="tls", port=free_port(), ca_file=str(missing)).send(alert())
        garbage = tmp_path / "garbage.pem"
        garbage.write_text("not a certificate", encoding="utf-8")
        with pytest.raises(SinkError, match="cannot use ca_file, client_cert or client_key"):
            sink(protocol="tls", port=free_port(), client_cert=str(garbage)).send(alert())

    def test_plain_tcp_port_is_explained(
        self, tcp_receiver: socket.socket, alert: Callable[..., Alert]
    ) -> None:
        """Speaking TLS to a plain TCP receiver fails with a hint, not a hang."""
        port = tcp_receiver.getsockname()[1]

        def answer_plain() -> None:
            conn, _ = tcp_receiver.accept()
            with conn:
                conn.recv(65535)
                conn.sendall(b"not tls\n")

        t = threading.Thread(target=answer_plain, daemon=True)
        t.start()
        with pytest.raises(SinkError, match=r"TLS failed .*is it a TLS syslog port"):
            sink(protocol="tls", port=port, verify=False).send(alert())
        t.join(5)

    def test_default_ports(self) -> None:
        assert sink(protocol="tls").port == 6514
        assert sink(protocol="tcp").port == 514
        assert sink(protocol="udp", port=1514).port == 1514

    def test_tls_options_need_tls(self) -> None:
        problems = SyslogSink.validate(
            {"type": "syslog", "protocol": "tcp", "ca_file": "/x.pem", "client_key": "/k.pem"}
        )
        keys = {p.split(":", 1)[0] for p in problems}
        assert keys == {"ca_file", "client_key"}


class TestContent:
    """Log text cannot break the format or add control characters."""

    def test_hostile_values_are_escaped(
        self, udp_receiver: socket.socket, hostile: Callable[..., Alert]
    ) -> None:
        """Quotes, brackets, backslashes, CR/LF, ESC and NUL never reach the wire raw."""
        port = udp_receiver.getsockname()[1]
        weird = HOSTILE_USER + '" x="1"] [forged@1 a="b"] \\'
        sink(port=port).send(hostile(user=weird))
        data = udp_receiver.recv(65535)
        assert no_control_bytes(data.replace(BOM, b""))
        got = parse(data)
        assert set(got["sd"]) == {"id", "incident", "severity", "score", "status", "rule", "user",
                                  "ip"}  # fmt: skip
        assert got["sd"]["user"].startswith("eve@example.com\\x0d\\x0aBcc: victim@evil.test")
        assert got["sd"]["user"].endswith('" x="1"] [forged@1 a="b"] \\')
        assert b"\\x1b[31m" in got["msg"] and b"\\u202e" in got["msg"]

    def test_utf8_message_has_a_bom(
        self, udp_receiver: socket.socket, alert: Callable[..., Alert]
    ) -> None:
        """RFC 5424 asks for a BOM before a UTF-8 message (none for plain ASCII)."""
        port = udp_receiver.getsockname()[1]
        sink(port=port).send(alert(user="jürgen@example.com"))
        got = parse(udp_receiver.recv(65535))
        assert got["msg"].startswith(BOM)
        assert got["msg"][len(BOM) :].decode("utf-8").startswith("HIGH jürgen@example.com")

    def test_datagram_is_cut_to_max_size(
        self, udp_receiver: socket.socket, alert: Callable[..., Alert]
    ) -> None:
        """A long message is truncated to max_size bytes without breaking UTF-8."""
        port = udp_receiver.getsockname()[1]
        long_reason = "ü" * 3000
        sink(port=port, max_size=600).send(alert(reasons=(long_reason,)))
        data = udp_receiver.recv(65535)
        assert len(data) <= 600
        got = parse(data)
        got["msg"][len(BOM) :].decode("utf-8")  # still valid UTF-8


class TestValidation:
    """Bad options are caught when the configuration is loaded."""

    def test_bad_values(self) -> None:
        """Facility, protocol, port and SD-ID are checked; unknown keys are refused."""
        problems = SyslogSink.validate(
            {"type": "syslog", "facility": "local9", "protocol": "relp", "port": 70000,
             "sd_id": "bad id", "address": "x:514"}
        )  # fmt: skip
        keys = {p.split(":", 1)[0] for p in problems}
        assert {"facility", "protocol", "address"} <= keys
        assert any("host =" in p for p in problems if p.startswith("address"))
        problems = SyslogSink.validate({"type": "syslog", "port": 70000, "sd_id": "bad id"})
        assert {p.split(":", 1)[0] for p in problems} == {"port", "sd_id"}
