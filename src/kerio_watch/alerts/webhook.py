"""``type = "webhook"``: POST each alert as JSON, a Slack message or a Teams card.

Formats:

- ``json``: ``Alert.to_dict()`` plus ``text`` (one line), for your own endpoint.
- ``slack``: an incoming-webhook message. Every piece of log text is escaped (``&``,
  ``<``, ``>`` become entities, so ``<!channel>``, ``<@U123>`` and ``<url|label>``
  stay literal text) and placed in ``plain_text`` objects or a code block, never in
  formatted mrkdwn; links are not unfurled.
- ``teams``: a message with an Adaptive Card (accepted by Teams Workflows webhooks and
  the older connector webhooks). Log text goes only into ``TextRun`` elements, which
  Adaptive Cards render without Markdown, so ``**``, ``[label](url)`` and friends show
  as typed; card templating braces are broken up. Only kerio-watch's own fixed labels
  use ``TextBlock``.

The URL is a secret (it authorises posting): give it inline (``url``), from the
environment (``url_env``) or from a file (``url_file``). Error messages name only the
host. Redirects are not followed: a POST silently turned into a GET would look like
a success.
"""

from __future__ import annotations

import http.client
import re
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from kerio_watch import __version__
from kerio_watch.alerts.base import Sink, SinkOptions, exactly_one, option, read_secret
from kerio_watch.alerts.jsonl import alert_record
from kerio_watch.alerts.render import evidence_lines, is_notice, next_steps, one_line, who
from kerio_watch.alerts.tls import tls_context
from kerio_watch.errors import SinkError
from kerio_watch.severity import Severity
from kerio_watch.textsafe import json_text, printable
from kerio_watch.values.alert import Alert

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_url(url: str, key: str = "url") -> str | None:
    """A problem with a webhook URL, or None. Never repeats the URL (it is a secret)."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{key}: expected an http:// or https:// URL"
    return None


@dataclass(frozen=True, kw_only=True)
class WebhookOptions(SinkOptions):
    """Options of the webhook sink."""

    format: str = option(
        "json",
        "json (the alert as JSON), slack (Slack incoming webhook) or teams (Teams "
        "Workflows/connector webhook with an Adaptive Card).",
        choices=("json", "slack", "teams"),
    )
    url: str = option("", "Webhook URL (a secret: prefer url_env or url_file).", secret=True)
    url_env: str = option(
        "", "Environment variable holding the webhook URL.", example='"KERIO_WATCH_SLACK_URL"'
    )
    url_file: str = option(
        "", "File holding the webhook URL.", example='"/etc/kerio-watch/slack-url"'
    )
    headers: dict[str, str] = option(  # noqa: RUF009 (option() returns a dataclasses.Field)
        {},
        "Extra HTTP headers, e.g. an Authorization token (values are masked on display).",
        secret=True,
        example='{ Authorization = "Bearer ..." }',
    )
    ca_file: str = option("", "CA certificate(s) to trust for an https endpoint (PEM).")

    def check(self) -> list[str]:
        """One URL source, a valid inline URL, valid header names and values."""
        problems = super().check()
        problems += exactly_one("url", url=self.url, url_env=self.url_env, url_file=self.url_file)
        if self.url:
            problem = check_url(self.url)
            if problem:
                problems.append(problem)
        for name, value in self.headers.items():
            if not _TOKEN.fullmatch(name):
                problems.append(f"headers: {name!r} is not a valid header name")
            if any(c in value for c in "\r\n\0"):
                problems.append(f"headers.{name}: expected one line")
        return problems


# -- payloads ---------------------------------------------------------------------------
def slack_escape(text: str) -> str:
    """Printable text with Slack's three control characters as entities.

    >>> slack_escape("<!channel> & <http://x|y>")
    '&lt;!channel&gt; &amp; &lt;http://x|y&gt;'
    """
    return printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bounded(text: str, limit: int) -> str:
    """Cut escaped text to ``limit`` characters without splitting an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _reasons(alert: Alert) -> list[str]:
    return [printable(r) for r in (alert.reasons or (alert.summary,))]


def _facts(alert: Alert) -> list[str]:
    if is_notice(alert):
        return [printable(alert.time)]
    facts = [f"Incident #{alert.incident_id} ({alert.status})", f"Score {alert.score}"]
    if alert.source_ip:
        facts.append(f"Source IP {printable(alert.source_ip)}")
    facts.append(printable(alert.time))
    return facts


def _title(alert: Alert) -> str:
    sev = alert.severity.label.upper()
    return f"{sev}: {printable(alert.summary) if is_notice(alert) else who(alert)}"


def slack_payload(alert: Alert) -> dict[str, Any]:
    """A Slack incoming-webhook message (Block Kit) with every log value escaped."""

    def plain(text: str | list[str], limit: int = 3000) -> dict[str, Any]:
        """Escaped text; a list is one escaped line each, joined by real newlines
        (escaping the joined text would show its newlines as ``\\x0a``)."""
        lines = [text] if isinstance(text, str) else text
        escaped = "\n".join(slack_escape(line) for line in lines)
        return {"type": "plain_text", "text": _bounded(escaped, limit), "emoji": False}

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(_title(alert), 150)},
        {"type": "section", "text": plain([f"• {r}" for r in _reasons(alert)])},
        {"type": "section", "fields": [plain(f, 2000) for f in _facts(alert)]},
    ]
    evidence = evidence_lines(alert)
    if evidence:
        code = "\n".join(slack_escape(line) for line in evidence).replace("```", "``\u200b`")
        code = _bounded(code, 2900)
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"```{code}```", "verbatim": True},
            }
        )
    steps = " ".join(f"{i}. {s}" for i, s in enumerate(next_steps(alert), 1))
    blocks.append({"type": "context", "elements": [plain(steps, 2000)]})
    return {
        "text": _bounded(slack_escape(one_line(alert)), 3000),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def teams_text(text: str) -> str:
    """Log text for an Adaptive Card ``TextRun``: printable, no ``{{`` template calls.

    >>> teams_text("{{DATE(2017-02-14T06:08:00Z)}} **x**")
    '{\u200b{DATE(2017-02-14T06:08:00Z)}\u200b} **x**'
    """
    return printable(text).replace("{{", "{\u200b{").replace("}}", "}\u200b}")


_TEAMS_COLOR = {
    Severity.CRITICAL: "Attention",
    Severity.HIGH: "Attention",
    Severity.MEDIUM: "Warning",
    Severity.LOW: "Accent",
    Severity.INFO: "Default",
}


def _label(text: str) -> dict[str, Any]:
    """A fixed kerio-watch label (never log text)."""
    return {
        "type": "TextBlock",
        "text": text,
        "weight": "Bolder",
        "wrap": True,
        "spacing": "Medium",
    }


def _run(text: str, **style: Any) -> dict[str, Any]:
    """A paragraph of log text: a RichTextBlock of one TextRun (no Markdown)."""
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": teams_text(text), **style}],
    }


def teams_payload(alert: Alert) -> dict[str, Any]:
    """A Teams message carrying an Adaptive Card 1.4."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "kerio-watch", "isSubtle": True, "size": "Small"},
        _run(_title(alert), weight="Bolder", size="Large", color=_TEAMS_COLOR[alert.severity]),
        *(_run(f"• {r}") for r in _reasons(alert)),
        _run(" · ".join(_facts(alert)), isSubtle=True),
    ]
    evidence = evidence_lines(alert)
    if evidence:
        body.append(_label("Evidence"))
        body += [_run(line, fontType="Monospace", size="Small") for line in evidence]
    body.append(_label("What to do"))
    body += [_run(f"{i}. {s}") for i, s in enumerate(next_steps(alert), 1)]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "fallbackText": teams_text(one_line(alert)),
        "body": body,
    }
    return {
        "type": "message",
        "summary": teams_text(one_line(alert))[:250],
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def payload(alert: Alert, fmt: str) -> dict[str, Any]:
    """The JSON body for a format."""
    if fmt == "slack":
        return slack_payload(alert)
    if fmt == "teams":
        return teams_payload(alert)
    return alert_record(alert)


# -- transport ----------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookSink(Sink[WebhookOptions]):
    """POSTs alerts to an HTTP endpoint (your own, Slack or Teams)."""

    type = "webhook"
    options_class = WebhookOptions

    def _url(self) -> str:
        o = self.options
        url = read_secret(
            "url", value=o.url or None, env=o.url_env or None, file=o.url_file or None
        )
        problem = check_url(url, "url_env" if o.url_env else "url_file" if o.url_file else "url")
        if problem:
            raise SinkError(problem)
        return url.strip()

    def send(self, alert: Alert) -> None:
        """POST one alert."""
        self.post(payload(alert, self.options.format))

    def post(self, body: dict[str, Any]) -> None:
        """POST a JSON body; any 2xx answer is success.

        Raises:
            SinkError: naming the host (never the URL) and the answer.
        """
        o = self.options
        url = self._url()
        host = urllib.parse.urlsplit(url).hostname or "?"
        data = json_text(body).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"kerio-watch/{__version__}",
            **o.headers,
        }
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)  # noqa: S310 (scheme checked)
        ctx = tls_context("webhook", {"ca_file": o.ca_file})
        opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=ctx)
        )
        try:
            with opener.open(request, timeout=o.timeout) as response:
                response.read(4096)
        except (OSError, http.client.HTTPException) as exc:  # urllib's errors are OSErrors
            raise _failure(exc, host, o.timeout) from None


def _failure(exc: OSError | http.client.HTTPException, host: str, timeout: float) -> SinkError:
    """What went wrong with a POST, naming the host (never the URL) and the answer."""
    if isinstance(exc, urllib.error.HTTPError):
        text = printable(exc.read(300).decode("utf-8", "replace")) if exc.fp else ""
        if 300 <= exc.code < 400:
            target = urllib.parse.urlsplit(exc.headers.get("Location", "")).hostname
            return SinkError(
                f"{host} redirected (HTTP {exc.code}) to {target or 'another URL'}; "
                "configure the final URL"
            )
        return SinkError(
            f"{host} answered HTTP {exc.code} {printable(exc.reason)}"
            + (f": {text}" if text else "")
        )
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return SinkError(
                f"{host}: the TLS certificate is not trusted ({reason.verify_message}); "
                "set ca_file to the CA that signed it"
            )
        if isinstance(reason, TimeoutError):
            return SinkError(f"{host}: no answer within {timeout:g} s")
        detail = reason.strerror if isinstance(reason, OSError) else None
        return SinkError(f"cannot reach {host}: {printable(str(detail or reason))}")
    if isinstance(exc, TimeoutError):
        return SinkError(f"{host}: no answer within {timeout:g} s")
    if isinstance(exc, OSError):
        return SinkError(f"{host}: {printable(str(exc.strerror or exc))}")
    return SinkError(f"{host}: bad HTTP answer ({type(exc).__name__})")
