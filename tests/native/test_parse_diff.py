"""The native mail.log parser gives exactly the Python parser's results."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logtools import SAMPLES
from nativediff import check_parse, extension

TOKENS = [
    ", ",
    ",",
    "<",
    ">",
    " ",
    "  ",
    ": ",
    ":",
    "<>",
    "a@b.c",
    "A@B.C",
    "x",
    "12",
    "0",
    "Queue-ID: ",
    ", Service: ",
    ", From: <",
    ">, To: ",
    ", Size: ",
    ", Sender-Host: ",
    ", User: ",
    ", SSL: yes",
    ", SSL: no",
    ", SSL: ",
    ", Report: ",
    ", Subject: ",
    ", Subject:",
    ", Msg-Id: <",
    ", Msg-Id: ",
    ", Recipient: <",
    ">, Result: ",
    ", Status: ",
    ", Remote-Host: ",
    " , Remote-Host: ",
    "delivered",
    "delayed",
    "failed",
    "2.0.0 ",
    "5.1.1",
    "4.4.1 ",
    "DSN",
    "SMTP",
    "٣",
    "Ä",
    "ä",
    "İ",
    "ß",
    "\x1c",
    "\u3000",
    "\xa0",
    "\r",
    "\t",
    "\u200b",
    "\ufeff",
    "99999999999999999999",
]
# Any character a file can hold (no lone surrogates) but a newline: the framer splits
# lines on it, so no message holds one.
chars = st.text(st.characters(codec="utf-8", exclude_characters="\n"), max_size=3)
text = st.lists(st.one_of(st.sampled_from(TOKENS), chars), max_size=8).map("".join)
address = st.one_of(st.sampled_from(["a@example.com", "Bob@Example.COM", "", "x y"]), text)


@st.composite
def recv_lines(draw: st.DrawFn) -> str:
    to = draw(
        st.one_of(
            st.lists(address, min_size=1, max_size=3).map(lambda a: ", ".join(f"<{x}>" for x in a)),
            text,
        )
    )
    head = (
        f"Recv: Queue-ID: {draw(text)}, Service: {draw(text)}, From: <{draw(address)}>, "
        f"To: {to}, Size: {draw(st.one_of(st.integers(0, 10**6).map(str), text))}"
    )
    optional = [
        f", Sender-Host: {draw(text)}",
        f", User: {draw(address)}",
        f", SSL: {draw(st.sampled_from(['yes', 'no', 'maybe']))}",
        f", Report: {draw(text)}",
        f", Subject: {draw(text)}",
        f", Msg-Id: <{draw(text)}>",
    ]
    chosen = draw(st.lists(st.sampled_from(optional), max_size=6, unique=True))
    if draw(st.booleans()):
        chosen.sort(key=optional.index)
    return head + "".join(chosen) + draw(st.sampled_from(["", "", draw(text)]))


@st.composite
def sent_lines(draw: st.DrawFn) -> str:
    line = f"Sent: Queue-ID: {draw(text)}, Recipient: <{draw(address)}>, Result: {draw(text)}"
    if draw(st.booleans()):
        line += f", Status: {draw(text)}"
    if draw(st.booleans()):
        line += f"{draw(st.sampled_from([', ', ' , ']))}Remote-Host: {draw(text)}"
    if draw(st.booleans()):
        line += f", Msg-Id: <{draw(text)}>"
    return line + draw(st.sampled_from(["", "", draw(text)]))


def _mail_messages() -> list[str]:
    lines = (SAMPLES / "mail.log").read_text(encoding="utf-8").splitlines()
    return [line[23:] for line in lines if line.startswith("[")]


def test_golden_samples_agree() -> None:
    native = extension()
    messages = _mail_messages()
    kinds = [check_parse(native, m) for m in messages]
    assert kinds.count("defer") == 0  # the real lines are all handled natively
    assert {"recv", "sent"} <= set(kinds)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(recv_lines())
def test_generated_recv_lines_agree(message: str) -> None:
    check_parse(extension(), message)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(sent_lines())
def test_generated_sent_lines_agree(message: str) -> None:
    check_parse(extension(), message)


@settings(max_examples=300)
@given(st.sampled_from(["Recv: ", "Sent: ", "SMTP Send: ", "", "Recv:"]), st.text())
def test_arbitrary_text_agrees(head: str, tail: str) -> None:
    check_parse(extension(), head + tail)


@settings(max_examples=400)
@given(st.randoms(use_true_random=False), st.integers(1, 6))
def test_mutated_sample_lines_agree(rnd: random.Random, edits: int) -> None:
    message = rnd.choice(_mail_messages())
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
    check_parse(extension(), message)


def test_simulated_sites_agree(tmp_path: Path) -> None:
    """Every mail.log line of four small simulated sites (different seeds; one whose
    clients are on IPv6)."""
    from kerio_watch.simulate import SimConfig, simulate  # noqa: PLC0415

    native = extension()
    for seed, ipv6 in ((1, 0.0), (2, 0.0), (5, 0.0), (3, 1.0)):  # clients on IPv6 too
        site = SimConfig(seed=seed, days=6, users=12, ipv6=ipv6)
        result = simulate(site, tmp_path / str(seed))
        lines = result.files["mail"].read_text(encoding="utf-8").splitlines()
        kinds = {check_parse(native, line[23:]) for line in lines}
        assert "defer" not in kinds
        assert {"recv", "sent"} <= kinds
