"""The core's parsers of filter.log (``control``), operations.log and audit.log give
exactly the Python parsers' results: the same event, or the same reason for a line
neither reads; a line the core defers is Python's to parse."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerio_watch.formats.operations import KNOWN_KEYS
from logtools import SAMPLES
from nativediff import check_log, extension

LOGS = ("control", "operations", "audit")
TOKENS = [
    " ",
    "  ",
    ",",
    ", ",
    ":",
    ": ",
    ";",
    "; ",
    ".",
    '"',
    '""',
    "'",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    "->",
    "-",
    "→",
    "1.2.3.4",
    "1.2.3.4:25",
    "[2001:db8::1]:25",
    "::1",
    "TCP",
    "proto:",
    " packet to ",
    " authenticated",
    " from IP address ",
    ", From: ",
    ", Subject: ",
    "[Connection] ",
    "Ä",
    "İ",
    "٣",
    "\u3000",
    "\x1c",
    "\xa0",
    "\t",
    "\r",
    "\u200b",
]
chars = st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=3)
text = st.lists(st.one_of(st.sampled_from(TOKENS), chars), max_size=6).map("".join)


def mostly(
    good: list[str] | st.SearchStrategy[str], odd: list[str] | st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Nine times in ten a value of ``good``, else one of ``odd`` (lists are sampled)."""
    a = st.sampled_from(good) if isinstance(good, list) else good
    b = st.sampled_from(odd) if isinstance(odd, list) else odd
    return st.integers(0, 9).flatmap(lambda i: b if i == 0 else a)


GOOD_ADDRESSES = ["1.2.3.4", "10.0.0.1", "0.0.0.0", "255.255.255.255", "hit.google.com"]
ADDRESSES = [
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3",
    "1.2.3.4.5",
    "1..2.3",
    "١.2.3.4",
    "2001:db8::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "::ffff:1.2.3.4",
    "fe80::1%eth0",
    "hit.google.com",
    "192.168.2.xx",
    "",
]
GOOD_PORTS = ["80", "0", "65535", "25", "00080"]
PORTS = ["65536", "123456", "", "x", "²", "-", " 5"]


@st.composite
def endpoints(draw: st.DrawFn) -> str:
    host = draw(mostly(GOOD_ADDRESSES, st.one_of(st.sampled_from(ADDRESSES), text)))
    port = draw(mostly(GOOD_PORTS, PORTS))
    shape = draw(mostly(["{h}:{p}", "{h}"], ["[{h}]:{p}", "[{h}]", "{h}:", "{t}"]))
    return shape.format(h=host, p=port, t=draw(text))


@st.composite
def address_pairs(draw: st.DrawFn) -> str:
    arrow = draw(mostly(["->", ">>", ">", "-", "→"], ["<-", "=>", "—"]))
    head = draw(st.sampled_from(["", "", "ip/port:", "(", ",", "(ip/port:"]))
    tail = draw(st.sampled_from(["", "", ",", ")", "),"]))
    return f"{head}{draw(endpoints())} {arrow} {draw(endpoints())}{tail}"


PROTOCOLS = [
    "proto:TCP",
    "proto: udp",
    "proto:\u3000ICMP",
    "proto:",
    "proto:-",
    "proto:17",
    "TCP",
    "UDP",
    "ICMPv6",
    "ICMPv6x",
    "xTCP",
    "TCPx",
    "_UDP",
    "ÄTCP",
    "TCPÄ",
    "GRE",
    "proto:ICMPv6",
    "proto:aaaaaaaaaaaaaaaaaaaaaaaaa",
]


@st.composite
def packet_lines(draw: st.DrawFn) -> str:
    action = draw(mostly(["PERMIT", "DENY", "DROP"], ["ALLOW", "permit"]))
    quote = draw(mostly(["'", '"'], ["`"]))
    rule = draw(mostly(["NAT", "", "Local traffic"], st.one_of(text, st.just("a' packet to b"))))
    direction = draw(mostly(["to", "from"], ["at"]))
    interface = draw(mostly(["WAN", "LAN", "", "WAN UDP (x", "a>b"], text))
    piece = st.one_of(
        st.sampled_from(PROTOCOLS),
        address_pairs(),
        st.sampled_from(["len:47", "flags: ACK PSH", "length 96", "seq:1 ack:0"]),
        text,
    )
    pieces = draw(st.lists(piece, max_size=5))
    if draw(st.integers(0, 3)):
        pieces.insert(draw(st.integers(0, len(pieces))), draw(address_pairs()))
    separators = draw(st.lists(st.sampled_from([", ", " ", ","]), min_size=len(pieces)))
    body = "".join(sep + p for sep, p in zip(separators, pieces, strict=False))
    return f"{action} {quote}{rule}{quote} packet {direction} {interface}{body}"


@st.composite
def connection_lines(draw: st.DrawFn) -> str:
    conn = f"[Connection] {draw(mostly(['TCP', 'UDP', '6'], ['', 'Ä', 'a' * 21]))} "
    items = [
        "[ID] 613181",
        f"[Rule] {draw(text)}",
        "[Service] HTTP",
        f"[User] {draw(text)}",
        conn + draw(address_pairs()),
        "[Duration] 121 sec",
        "[Bytes] 1575/1290/2865",
        "[Connection]",
        "[X]",
        draw(text),
    ]
    chosen = draw(st.lists(st.sampled_from(items), max_size=7))
    if draw(st.integers(0, 3)):
        chosen.insert(draw(st.integers(0, len(chosen))), conn + draw(address_pairs()))
    separator = draw(mostly([" "], ["", "  "]))
    return "[ID] " + draw(st.sampled_from(["1", ""])) + separator + separator.join(chosen)


@st.composite
def rule_lines(draw: st.DrawFn) -> str:
    action = draw(st.sampled_from(["ALLOW", "DENY", "DROP"]))
    return f"{action} {draw(st.sampled_from(['URL', 'FTP', 'url']))} {draw(text)}"


VALUES = [
    "HTTP/WebMail",
    "A@B.c",
    "1.2.3.4",
    "~a@b/Drafts",
    "~a@b/Folder, with comma",
    '"Name, x" <A@B.c>',
    '"Name" <Ä@b.c>',
    '"a ""q"", b"',
    '"x", From: "y"',
    '"open',
    "<<1@x>>",
    "<<>>",
    " 12 ",
    "١٢",
    "99999999999999999999",
    "",
    " ",
    "<a@b> x",
]


@st.composite
def operations_lines(draw: st.DrawFn) -> str:
    action = draw(mostly(["MOVE", "DELETE", "MOVE_FOLDER", "_X1"], ["1X", "", "A-B"]))
    keys = mostly(list(KNOWN_KEYS), ["Foo", "X y", "a" * 42, ""])
    values = mostly(VALUES, text)
    fields = draw(st.lists(st.tuples(keys, values), max_size=8))
    body = ", ".join(f"{k}: {v}" for k, v in fields)
    if draw(st.integers(0, 9)) == 0:
        body = f"Folder: {draw(st.one_of(st.sampled_from(VALUES), text))} deleted"
    after = draw(mostly(["} "], ["}", "}x ", " "]))
    return "{" + action + after + body + draw(st.sampled_from(["", "", " \t", "\r", draw(text)]))


@st.composite
def audit_lines(draw: st.DrawFn) -> str:
    proto = draw(mostly(["IMAP", "HTTP/WebMail", "SMTP", "1x.y-z"], ["", "a b", "İ", "-x"]))
    user = draw(mostly(["a@b.c", "A@B.C", "a authenticated b"], st.one_of(st.just("Ä@b"), text)))
    space = draw(mostly([" ", "  ", "\t"], ["\u3000", "", "\x1c "]))
    ip = draw(mostly(GOOD_ADDRESSES, st.one_of(st.sampled_from(ADDRESSES), text)))
    dot = draw(st.sampled_from(["", ".", ".."]))
    ua = draw(mostly(["", ";", "; Mozilla/5.0 (X; Y)", ";\tx; y.", "; \r"], text.map("; ".__add__)))
    end = draw(mostly(["", " ", "\r", " \t"], st.one_of(st.just("\u3000"), text)))
    return f"{proto}: User {user} authenticated{space}from IP address {ip}{dot}{ua}{end}"


def _messages(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line[23:] for line in lines if line.startswith("[") and line[22:23] == " "]


def _samples() -> dict[str, list[str]]:
    return {
        "control": _messages(SAMPLES / "control.log"),
        "operations": _messages(SAMPLES / "operations.log"),  # with the shared samples' lines
        "audit": _messages(SAMPLES / "audit.log"),
    }


def test_golden_samples_agree() -> None:
    native = extension()
    for log, messages in _samples().items():
        kinds = [check_log(native, log, m) for m in messages]
        assert "defer" not in kinds, log
        assert "event" in kinds, log


def test_simulated_sites_agree(tmp_path: Path) -> None:
    """Every line of these logs in small simulated sites (Kerio Control's filter log)."""
    from kerio_watch.simulate import SimConfig, simulate  # noqa: PLC0415

    native = extension()
    files = {"control": "filter.log", "operations": "operations.log", "audit": "audit.log"}
    for seed, ipv6 in ((1, 0.0), (2, 0.0), (3, 1.0)):  # clients on IPv6 too
        folder = tmp_path / str(seed)
        simulate(SimConfig(seed=seed, days=4, users=10, firewall="control", ipv6=ipv6), folder)
        for log, name in files.items():
            kinds = {check_log(native, log, m) for m in _messages(folder / name)}
            if ipv6:  # the core leaves a filter line with an IPv6 address to Python
                kinds.discard("defer")
            assert kinds == {"event"}, (log, kinds)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(packet_lines(), connection_lines(), rule_lines()))
def test_generated_filter_lines_agree(message: str) -> None:
    check_log(extension(), "control", message)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(operations_lines())
def test_generated_operations_lines_agree(message: str) -> None:
    check_log(extension(), "operations", message)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(audit_lines())
def test_generated_audit_lines_agree(message: str) -> None:
    check_log(extension(), "audit", message)


HEADS = ["", "PERMIT '", 'DROP "x" packet to ', "[ID] ", "ALLOW URL ", "{MOVE} ", "{"]
HEADS += ["IMAP: User ", "a: User b authenticated from IP address "]


@settings(max_examples=300)
@given(st.sampled_from(LOGS), st.sampled_from(HEADS), st.text())
def test_arbitrary_text_agrees(log: str, head: str, tail: str) -> None:
    check_log(extension(), log, head + tail.replace("\n", " "))


@settings(max_examples=600)
@given(st.randoms(use_true_random=False), st.integers(1, 6))
def test_mutated_sample_lines_agree(rnd: random.Random, edits: int) -> None:
    log = rnd.choice(LOGS)
    message = rnd.choice(_samples()[log])
    for _ in range(edits):
        i = rnd.randrange(len(message) + 1)
        j = min(len(message), i + rnd.randrange(8))
        op = rnd.randrange(3)
        if op == 0:
            message = message[:i] + message[j:]
        elif op == 1:
            message = message[:i] + rnd.choice(TOKENS) + message[i:]
        else:
            message = message[:i] + rnd.choice(TOKENS) + message[j:]
    check_log(extension(), log, message)


def test_a_newline_is_python_s() -> None:
    """``.`` in the audit pattern does not match a newline (the framer leaves none)."""
    message = "IMAP: User a\nb authenticated from IP address 1.2.3.4"
    assert check_log(extension(), "audit", message) == "defer"
