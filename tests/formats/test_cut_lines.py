"""A line Kerio cut at 1,024 characters (after its date prefix) is parsed for what it
still holds: a ``Recv:`` line cut inside its recipients keeps the whole addresses, and
the address cut off is none (it counted as a recipient ``<victim35@mailbox35.te``, a
domain nobody writes to)."""

from __future__ import annotations

from kerio_watch.events import MessageReceived
from kerio_watch.formats.mail import MailParser
from nativediff import check_parse, extension

RECIPIENTS = ", ".join(f"<victim{i}@mailbox{i}.test>" for i in range(60))
RECV = (
    "Recv: Queue-ID: 69a54a40-00000001, Service: SMTP, From: <a@example.com>, "
    f"To: {RECIPIENTS}, Size: 1200, Sender-Host: 203.0.113.5, User: a@example.com, "
    "SSL: yes, Subject: hi, Msg-Id: <1@example.com>"
)
CUT = RECV[:1024]


def test_a_recv_line_cut_in_its_recipients() -> None:
    assert CUT.endswith("<victim35@mailbox35.te")
    event = MailParser().parse(CUT, 0, "[02/Mar/2026 09:00:00] " + CUT)
    assert isinstance(event, MessageReceived)
    assert event.recipients == tuple(f"victim{i}@mailbox{i}.test" for i in range(35))
    assert (event.sender, event.user, event.size) == ("a@example.com", None, None)


def test_a_single_recipient_cut_off_is_none() -> None:
    head = "Recv: Queue-ID: 69a54a40-00000001, Service: SMTP, From: <a@example.com>, "
    event = MailParser().parse(head + "To: <victim0@mail", 0, "")
    assert isinstance(event, MessageReceived)
    assert event.recipients == ()


def test_both_engines_agree_on_cut_lines() -> None:
    native = extension()
    for end in range(len(CUT) - 60, len(CUT) + 1):
        assert check_parse(native, CUT[:end]) in ("recv", "defer")
