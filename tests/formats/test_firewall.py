"""Firewall formats: round trips, a mutated corpus, the envelopes, discovery by content.

The golden samples (``tests/samples/{netfilter,filterlog,pfirewall,control}.log``) check
each parser line by line; here hypothesis checks that

1. a line built from generated fields parses back to exactly those fields, per format;
2. no mutation of a real sample line (cut, a character replaced or inserted, separator
   soup spliced in) makes a parser or the framing raise, and what comes back is an
   event of the parser's own log, an Unparsed of its own log, or None;
3. the readers find these files by content and count W3C directives as headers.
"""

from __future__ import annotations

import gzip
import os
import string
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerio_watch.events import Connection, Event, Unparsed
from kerio_watch.formats import build_parsers
from kerio_watch.formats.connection import FIREWALL_LOGS
from kerio_watch.formats.envelope import StampParser, split_syslog
from kerio_watch.sources.files import discover, read_records

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSERS = build_parsers()
SAMPLES = Path(__file__).resolve().parent.parent / "samples"

ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ipv6 = st.sampled_from(["2001:db8::1", "fe80::208:9bff:fef3:652b", "2001:db8:0:1::25", "::1"])
address = st.one_of(ipv4, ipv6)
ports = st.integers(0, 65535)
words = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=12)


def frame(line: str) -> tuple[str, int]:
    framed = StampParser().split(line) or split_syslog(line, 2026)
    assert framed is not None, line
    return framed.message, framed.ts


def check(name: str, result: object) -> None:
    assert result is None or isinstance(result, Event | Unparsed), result
    if result is not None:
        assert result.log == name


# ---- 1. round trips ------------------------------------------------------------------------


@SETTINGS
@given(
    prefix=st.sampled_from(["", "mail-egress: ", "[UFW BLOCK] ", "FW ", "[  12.345678] "]),
    if_in=st.sampled_from(["", "eth1", "enp0s8"]),
    if_out=st.sampled_from(["", "eth0", "wan0"]),
    src=address,
    dst=address,
    proto=st.sampled_from(["TCP", "UDP"]),
    spt=ports,
    dpt=ports,
)
def test_netfilter_round_trip(
    prefix: str, if_in: str, if_out: str, src: str, dst: str, proto: str, spt: int, dpt: int
) -> None:
    message = (
        f"{prefix}IN={if_in} OUT={if_out} MAC=00:11:22:33:44:55 SRC={src} DST={dst} LEN=60 "
        f"TOS=0x00 TTL=63 ID=1 DF PROTO={proto} SPT={spt} DPT={dpt} WINDOW=64240 SYN URGP=0"
    )
    event = PARSERS["netfilter"].parse(message, 7, message)
    assert isinstance(event, Connection), event
    assert (event.source, event.destination) == (src, dst)
    assert (event.source_port, event.destination_port) == (spt, dpt)
    assert event.protocol == proto.lower()
    assert event.interface == (if_in or if_out or None)
    expected = {"mail-egress: ": "block", "[UFW BLOCK] ": "block"}.get(prefix, "unknown")
    assert event.action == expected


@SETTINGS
@given(
    action=st.sampled_from(["pass", "block"]),
    direction=st.sampled_from(["in", "out"]),
    v6=st.booleans(),
    src4=ipv4,
    dst4=ipv4,
    spt=ports,
    dpt=ports,
    interface=words,
    tracker=st.integers(0, 10**10),
)
def test_filterlog_round_trip(
    action: str,
    direction: str,
    v6: bool,
    src4: str,
    dst4: str,
    spt: int,
    dpt: int,
    interface: str,
    tracker: int,
) -> None:
    common = f"5,,,{tracker},{interface},match,{action},{direction}"
    if v6:
        src, dst = "2001:db8::10", "2001:db8::25"
        ip = f"6,0x00,0x00000,64,tcp,6,60,{src},{dst}"
    else:
        src, dst = src4, dst4
        ip = f"4,0x0,,64,12617,0,DF,6,tcp,60,{src},{dst}"
    message = f"{common},{ip},{spt},{dpt},0,S,1891286705,,64240,,mss;sackOK;TS;nop;wscale"
    event = PARSERS["filterlog"].parse(message, 7, message)
    assert isinstance(event, Connection), event
    assert (event.source, event.destination, event.source_port, event.destination_port) == (
        src,
        dst,
        spt,
        dpt,
    )
    assert event.action == ("allow" if action == "pass" else "block")
    assert (event.direction, event.interface, event.rule) == (direction, interface, str(tracker))


@SETTINGS
@given(
    action=st.sampled_from(["ALLOW", "DROP", "OPEN"]),
    proto=st.sampled_from(["TCP", "UDP"]),
    src=address,
    dst=address,
    spt=ports,
    dpt=ports,
    path=st.sampled_from(["SEND", "RECEIVE", "-"]),
    pid=st.sampled_from(["", " 4", " 11188"]),
)
def test_pfirewall_round_trip(
    action: str, proto: str, src: str, dst: str, spt: int, dpt: int, path: str, pid: str
) -> None:
    line = (
        f"2026-03-10 10:00:00 {action} {proto} {src} {dst} {spt} {dpt} 60 S 1 0 64240 - - - "
        f"{path}{pid}"
    )
    message, ts = frame(line)
    event = PARSERS["pfirewall"].parse(message, ts, line)
    assert isinstance(event, Connection), event
    assert (event.source, event.destination, event.source_port, event.destination_port) == (
        src,
        dst,
        spt,
        dpt,
    )
    assert event.action == ("block" if action == "DROP" else "allow")
    assert event.direction == {"SEND": "out", "RECEIVE": "in"}.get(path)
    assert ts == int(datetime(2026, 3, 10, 10, 0, tzinfo=UTC).timestamp())


@SETTINGS
@given(
    action=st.sampled_from(["PERMIT", "DENY", "DROP"]),
    rule=st.text(alphabet=string.ascii_letters + " -_()", min_size=1, max_size=20),
    direction=st.sampled_from(["to", "from"]),
    interface=words,
    src=ipv4,
    dst=ipv4,
    spt=ports,
    dpt=ports,
    arrow=st.sampled_from(["->", "-", ">>", ">"]),
)
def test_control_round_trip(
    action: str,
    rule: str,
    direction: str,
    interface: str,
    src: str,
    dst: str,
    spt: int,
    dpt: int,
    arrow: str,
) -> None:
    message = (
        f"{action} '{rule}' packet {direction} {interface}, proto:TCP, len:60, "
        f"ip/port:{src}:{spt} {arrow} {dst}:{dpt}, flags: SYN, seq:1 ack:0, win:64240, tcplen:0"
    )
    event = PARSERS["control"].parse(message, 7, message)
    assert isinstance(event, Connection), event
    assert (event.source, event.destination, event.source_port, event.destination_port) == (
        src,
        dst,
        spt,
        dpt,
    )
    assert event.rule == rule
    assert event.interface == interface
    assert event.direction == ("out" if direction == "to" else "in")
    assert event.action == ("allow" if action == "PERMIT" else "block")


# ---- 2. a mutated corpus -------------------------------------------------------------------


def corpus(events_only: bool = False) -> list[tuple[str, str]]:
    """(log, line) of every firewall sample line (only those expected to be events)."""
    out = []
    for name in sorted(FIREWALL_LOGS):
        expect = ""
        for line in (SAMPLES / f"{name}.log").read_text(encoding="utf-8").splitlines():
            if line.startswith("# expect:"):
                expect = line
            elif line and not line.startswith("#") and (not events_only or "{" in expect):
                out.append((name, line))
    return out


CORPUS = corpus()
EVENTS = corpus(events_only=True)
SOUP = [",", " ", "=", ":", "->", " - ", "[", "]", "'", '"', "IN=", "SRC=", "DST=", "DPT=",
        "²", "\t", "\x00", "-", "{", "}", "\\", "§", "0", "65536", "999999"]  # fmt: skip


@SETTINGS
@given(
    case=st.sampled_from(CORPUS),
    cut=st.integers(0, 400),
    at=st.integers(0, 400),
    insert=st.lists(st.sampled_from(SOUP) | st.text(max_size=4), max_size=4).map("".join),
    drop=st.integers(0, 3),
)
def test_mutated_samples_never_raise(
    case: tuple[str, str], cut: int, at: int, insert: str, drop: int
) -> None:
    name, line = case
    mutated = line[:cut] if cut < len(line) // 3 else line
    i = min(at, len(mutated))
    mutated = mutated[:i] + insert + mutated[i + drop :]
    framed = StampParser().split(mutated) or split_syslog(mutated, 2026)
    message = framed.message if framed is not None else mutated
    for other, parser in PARSERS.items():
        check(other, parser.parse(message, 0, mutated))
        assert parser.sniff(message) in (True, False)
    check(name, PARSERS[name].parse(message, 0, mutated))


@SETTINGS
@given(st.text(max_size=200))
def test_envelopes_never_raise(text: str) -> None:
    for head in ('{"__REALTIME_TIMESTAMP":"', "2026-03-10 10:00:00 ", "Jan 1 ", "<134>Jul  3 "):
        split_syslog(head + text, 2026)


LONG_LINES = [
    "x: " + "[" * 60000 + " IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP SPT=1 DPT=25",
    "IN=" * 20000 + " SRC=1.2.3.4 DST=5.6.7.8",
    ",".join(["5", "", "", "1", "em0", "match", "pass", "in", "4"] + ["x"] * 20000),
    "PERMIT '" + "x" * 60000 + "' packet to LAN, proto:TCP, " + "a:1 " * 10000,
    "DROP 'r' packet to LAN, " + "1.2.3.4:5 - " * 5000 + "zz",
    "[ID] " + "[Rule] x " * 6000 + "[Connection] TCP " + "a" * 30000,
    "ALLOW TCP " + "1.2.3.4 " * 8000,
]


@pytest.mark.parametrize("message", LONG_LINES, ids=lambda m: m[:12])
def test_long_hostile_lines_are_cheap(message: str) -> None:
    start = time.process_time()  # CPU time: a loaded machine's other processes do not count
    for name in FIREWALL_LOGS:
        check(name, PARSERS[name].parse(message, 0, message))
        PARSERS[name].sniff(message)
    assert time.process_time() - start < 0.5


# ---- 3. discovery and reading --------------------------------------------------------------

PFIREWALL = [
    "#Version: 1.5",
    "#Software: Microsoft Windows Firewall",
    "#Time Format: Local",
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path pid",
    "",
    "2026-03-10 10:00:00 ALLOW TCP 192.168.1.50 203.0.113.25 51515 25 0 - 0 0 0 - - - SEND 4711",
    "2026-03-10 10:00:01 DROP TCP 192.168.1.50 203.0.113.26 51516 25 0 - 0 0 0 - - - SEND 4711",
]


def lines_of(name: str) -> list[str]:
    """The sample lines of one firewall log that are events."""
    return [line for log, line in EVENTS if log == name]


@pytest.mark.parametrize(
    ("filename", "lines", "log"),
    [
        ("fw-export.txt", PFIREWALL, "pfirewall"),
        ("kern.log", [line for line in lines_of("netfilter") if "kernel:" in line], "netfilter"),
        (
            "remote-fw.log",
            [line for line in lines_of("filterlog") if "dhcpd" not in line],
            "filterlog",
        ),
        ("filter.log", [line for line in lines_of("control") if "[ID]" not in line][:5], "control"),
        ("connection.log", [line for line in lines_of("control") if "[ID]" in line], "control"),
    ],
)
def test_files_are_found_by_content(
    tmp_path: Path, filename: str, lines: list[str], log: str
) -> None:
    path = tmp_path / filename
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (found,) = discover([str(tmp_path)])
    assert found.log == log
    records = list(read_records(found))
    assert not found.unparsed_total, found.unparsed_samples
    parser = PARSERS[log]
    events = [parser.parse(r.message, r.ts, r.raw) for r in records]
    assert all(e is not None and not isinstance(e, Unparsed) for e in events)


def test_w3c_directives_are_headers_not_unparsed(tmp_path: Path) -> None:
    path = tmp_path / "pfirewall.log"
    path.write_text("\n".join(PFIREWALL) + "\n", encoding="utf-8")
    (found,) = discover([str(tmp_path)])
    records = list(read_records(found))
    assert len(records) == 2
    assert found.events["header"] == 4
    assert not found.unparsed_total


def test_a_gzipped_rotated_kern_log_is_read(tmp_path: Path) -> None:
    lines = [line for line in lines_of("netfilter") if "kernel:" in line]
    with gzip.open(tmp_path / "kern.log.2.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    (found,) = discover([str(tmp_path)])
    assert (found.log, found.compressed) == ("netfilter", True)
    assert len(list(read_records(found))) == len(lines)


def test_syslog_stamps_after_the_file_changed_are_last_year(tmp_path: Path) -> None:
    """December lines in a kern.log last written in January belong to the year before."""
    path = tmp_path / "kern.log"
    path.write_text(
        "Dec 31 23:59:58 gw kernel: IN=eth1 OUT=eth0 SRC=192.168.1.50 DST=203.0.113.25 "
        "PROTO=TCP SPT=1 DPT=25\n"
        "Jan  1 00:00:02 gw kernel: IN=eth1 OUT=eth0 SRC=192.168.1.50 DST=203.0.113.26 "
        "PROTO=TCP SPT=2 DPT=25\n",
        encoding="utf-8",
    )
    written = datetime(2027, 1, 1, 0, 5, tzinfo=UTC).timestamp()
    os.utime(path, (written, written))
    (found,) = discover([str(tmp_path)])
    december, january = (r.ts for r in read_records(found))
    assert datetime.fromtimestamp(december, UTC) == datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC)
    assert datetime.fromtimestamp(january, UTC) == datetime(2027, 1, 1, 0, 0, 2, tzinfo=UTC)


def test_a_file_written_just_after_new_year_east_of_utc(tmp_path: Path) -> None:
    """A security log forwarded in RFC 3164 (the server's clock, Berlin) and last written at
    00:30 on 1 January there, 23:30 on 31 December in UTC: its January line is of the new
    year (it was put a year early, behind the December line before it)."""
    path = tmp_path / "security.log"
    path.write_text(
        "<22>Dec 31 23:50:00 mail security: Failed SMTP login from 203.0.113.9 with SASL "
        "method LOGIN.\n"
        "<22>Jan  1 00:30:00 mail security: Failed SMTP login from 203.0.113.9 with SASL "
        "method LOGIN.\n",
        encoding="utf-8",
    )
    written = datetime(2026, 12, 31, 23, 30, tzinfo=UTC).timestamp()
    os.utime(path, (written, written))
    (found,) = discover([str(tmp_path)])
    december, january = (r.ts for r in read_records(found))
    assert datetime.fromtimestamp(december, UTC) == datetime(2026, 12, 31, 23, 50, tzinfo=UTC)
    assert datetime.fromtimestamp(january, UTC) == datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
