"""The webhook sink against a real local HTTP server: json, slack and teams payloads."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.alerts.jsonl import alert_record
from kerio_watch.alerts.webhook import WebhookSink
from kerio_watch.errors import SinkError
from kerio_watch.values.alert import Alert

from .conftest import HTTPServer, free_port


def sink(url: str | None = None, **table: Any) -> WebhookSink:
    """A webhook sink from TOML-like keys."""
    if url is not None:
        table["url"] = url
    s = WebhookSink.from_table({"type": "webhook", "name": "hook", "timeout": 2, **table})
    assert isinstance(s, WebhookSink)
    return s


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, string) in a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


class TestJson:
    """format = "json": the alert as kerio-watch's JSON, plus a text line."""

    def test_body_headers_and_path(
        self, http_server: Callable[..., HTTPServer], alert: Callable[..., Alert]
    ) -> None:
        """The body is Alert.to_dict() + text; custom headers are sent."""
        server = http_server()
        a = alert()
        sink(server.url, headers={"Authorization": "Bearer t0ken"}).send(a)
        (req,) = server.requests
        assert req.path == "/hooks/T000/secret-token-123"
        assert req.headers["Authorization"] == "Bearer t0ken"
        assert req.headers["Content-Type"] == "application/json; charset=utf-8"
        body = json.loads(req.body)
        assert body == alert_record(a)
        assert body["text"].startswith("HIGH alice@example.com: 412 messages")

    def test_url_from_env_and_file(
        self,
        http_server: Callable[..., HTTPServer],
        alert: Callable[..., Alert],
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        """url_env and url_file are read at send time."""
        server = http_server()
        monkeypatch.setenv("KW_TEST_HOOK", server.url)
        sink(url_env="KW_TEST_HOOK").send(alert())
        secret = tmp_path / "hook-url"
        secret.write_text(server.url + "\n")
        sink(url_file=str(secret)).send(alert())
        assert len(server.requests) == 2


class TestSlack:
    """format = "slack": nothing from a log can mention, link or format."""

    def test_hostile_text_is_escaped(
        self, http_server: Callable[..., HTTPServer], hostile: Callable[..., Alert]
    ) -> None:
        """<!channel>, <@user>, <url|label>, <script> arrive as escaped text only."""
        server = http_server()
        sink(server.url, format="slack").send(hostile())
        payload = json.loads(server.requests[0].body)
        assert payload["unfurl_links"] is False and payload["unfurl_media"] is False
        everything = list(strings(payload))
        for where, text in everything:
            assert "<" not in text and ">" not in text, where
            assert "\x1b" not in text and "\r" not in text, where
        joined = "\n".join(t for _w, t in everything)
        assert "&lt;!channel&gt;" in joined and "&lt;@U024BE7LH&gt;" in joined
        assert "&lt;http://evil.test|click&gt;" in joined
        assert "&lt;script&gt;" in joined

    def test_log_text_only_in_plain_text_or_code(
        self, http_server: Callable[..., HTTPServer], hostile: Callable[..., Alert]
    ) -> None:
        """mrkdwn is used only for the evidence code block, with verbatim = true."""
        server = http_server()
        sink(server.url, format="slack").send(hostile())
        payload = json.loads(server.requests[0].body)
        for block in payload["blocks"]:
            objects = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
            for obj in filter(None, objects):
                if obj["type"] == "mrkdwn":
                    assert obj["verbatim"] is True
                    text = obj["text"]
                    assert text.startswith("```") and text.endswith("```")
                    assert "```" not in text[3:-3], "a fence inside the code block"
                else:
                    assert obj["type"] == "plain_text" and obj["emoji"] is False
        assert payload["blocks"][0]["type"] == "header"
        assert len(payload["blocks"][0]["text"]["text"]) <= 150

    def test_one_reason_and_one_evidence_line_a_line(
        self, http_server: Callable[..., HTTPServer], alert: Callable[..., Alert]
    ) -> None:
        """Reasons and evidence lines are separated by real newlines; a newline inside
        one log value stays an escape (it once showed every separator as a literal
        \\x0a, the whole list run together on one line)."""
        server = http_server()
        a = alert(reasons=("first <reason>", "second\nreason"), evidence=("line 1", "line\n2"))
        sink(server.url, format="slack").send(a)
        blocks = json.loads(server.requests[0].body)["blocks"]
        assert blocks[1]["text"]["text"] == "• first &lt;reason&gt;\n• second\\x0areason"
        (code,) = [
            b["text"]["text"]
            for b in blocks
            if isinstance(b.get("text"), dict) and b["text"]["type"] == "mrkdwn"
        ]
        assert code == "```line 1\nline\\x0a2```"


class TestTeams:
    """format = "teams": an Adaptive Card where log text is never Markdown."""

    FIXED_LABELS = frozenset({"kerio-watch", "Evidence", "What to do"})

    def test_card_shape_and_markdown_free_text(
        self, http_server: Callable[..., HTTPServer], hostile: Callable[..., Alert]
    ) -> None:
        """Log text sits only in TextRuns (no Markdown); TextBlocks hold fixed labels."""
        server = http_server()
        sink(server.url, format="teams").send(hostile())
        payload = json.loads(server.requests[0].body)
        assert payload["type"] == "message"
        (attachment,) = payload["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
        runs: list[str] = []
        for element in card["body"]:
            if element["type"] == "TextBlock":
                assert element["text"] in self.FIXED_LABELS
            else:
                assert element["type"] == "RichTextBlock"
                assert all(i["type"] == "TextRun" for i in element["inlines"])
                runs += [i["text"] for i in element["inlines"]]
        text = "\n".join(runs)
        assert "**bold** [link](http://evil.test)" in text  # shown as typed
        for _where, s in strings(payload):
            assert "{{" not in s and "}}" not in s  # no card template functions
            assert "\x1b" not in s and "\r" not in s and "\u202e" not in s


class TestFailures:
    """HTTP problems become clear delivery errors that never show the URL."""

    def test_server_error_names_host_not_url(
        self, http_server: Callable[..., HTTPServer], alert: Callable[..., Alert]
    ) -> None:
        """HTTP 500 with the answer body; the secret path is not in the message."""
        server = http_server((500,))
        with pytest.raises(SinkError) as info:
            sink(server.url).send(alert())
        message = str(info.value)
        assert "127.0.0.1 answered HTTP 500" in message and "invalid_payload" in message
        assert "secret-token-123" not in message

    def test_redirect_is_not_followed(
        self, http_server: Callable[..., HTTPServer], alert: Callable[..., Alert]
    ) -> None:
        """A redirect would turn the POST into a GET; it is reported instead."""
        server = http_server((302,))
        with pytest.raises(SinkError, match=r"redirected \(HTTP 302\) to elsewhere.example"):
            sink(server.url).send(alert())
        assert len(server.requests) == 1

    def test_slow_server_times_out(
        self, http_server: Callable[..., HTTPServer], alert: Callable[..., Alert]
    ) -> None:
        """No answer within ``timeout``: a failure, not a hang."""
        server = http_server((200,), delay=1.5)
        with pytest.raises(SinkError, match=r"no answer within 0\.3 s"):
            sink(server.url, timeout=0.3).send(alert())

    def test_nothing_listening(self, alert: Callable[..., Alert]) -> None:
        """Connection refused names the host."""
        with pytest.raises(SinkError, match=r"cannot reach 127\.0\.0\.1"):
            sink(f"http://127.0.0.1:{free_port()}/x").send(alert())

    def test_missing_env_variable(self, alert: Callable[..., Alert]) -> None:
        """An unset url_env says which variable."""
        with pytest.raises(SinkError, match="KW_TEST_NOT_SET is not set"):
            sink(url_env="KW_TEST_NOT_SET").send(alert())


class TestValidation:
    """URL sources and headers are checked at load time, without echoing secrets."""

    def test_exactly_one_url_source(self) -> None:
        """None or two URL sources are errors; a non-HTTP URL is an error."""
        assert any(
            "missing; set one of url, url_env, url_file" in p
            for p in WebhookSink.validate({"type": "webhook"})
        )
        assert any(
            "set only one of" in p
            for p in WebhookSink.validate({"type": "webhook", "url": "https://x/y", "url_env": "A"})
        )
        problems = WebhookSink.validate({"type": "webhook", "url": "ftp://secret@host/x"})
        assert problems == ["url: expected an http:// or https:// URL"]

    def test_header_names_and_values(self) -> None:
        """A header value cannot carry a line break; names must be tokens."""
        problems = WebhookSink.validate(
            {"type": "webhook", "url": "https://x/y", "headers": {"X-A": "1\r\nX-B: 2", "a b": "c"}}
        )
        assert any(p.startswith("headers.X-A:") for p in problems)
        assert any("'a b' is not a valid header name" in p for p in problems)

    def test_describe_masks_url_and_headers(self) -> None:
        """describe() never shows the URL or header values."""
        text = sink(
            "https://hooks.slack.com/services/SECRET", headers={"Authorization": "Bearer SECRET"}
        ).describe()
        assert "SECRET" not in text and "url=********" in text and "Authorization: ********" in text
