"""The router: severity floor, cooldown, hourly cap, retries, restarts, isolation, digest."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.alerts import router as router_module
from kerio_watch.alerts.base import Sink, SinkOptions
from kerio_watch.alerts.render import HELD_RULE
from kerio_watch.alerts.router import Router, build_sinks
from kerio_watch.alerts.timing import GIVE_UP_AFTER
from kerio_watch.app.config import config_from_dict
from kerio_watch.config import Config
from kerio_watch.severity import Severity
from kerio_watch.store import SQLiteStore, open_store
from kerio_watch.values.alert import Alert
from kerio_watch.values.delivery import COLLECTED, FAILED, PENDING, SENDING, SENT, Delivery

from .conftest import HTTPServer, SMTPServer, free_port

T0 = dt.datetime(2026, 3, 23, 9, 10, tzinfo=dt.UTC).timestamp()


class Clock:
    """Wall time the test moves by hand."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def config(*sinks: dict[str, Any], **site: Any) -> Config:
    """A validated configuration with these [[sinks]]."""
    return config_from_dict(
        {"site": site, "sinks": list(sinks)} if site else {"sinks": list(sinks)}
    )


def jsonl(path: Path, **extra: Any) -> dict[str, Any]:
    """A jsonl sink table."""
    return {"type": "jsonl", "name": extra.pop("name", "file"), "path": str(path), **extra}


def lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects a jsonl sink wrote."""
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines()]


def save(router: Router, store: SQLiteStore, *alerts: Alert, reported: bool = True) -> None:
    """What the pipeline does: listeners, then on_save inside the save transaction."""
    for a in alerts:
        router.listener(a, reported)
    with store.transaction():
        router.on_save(store)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A fresh state database file."""
    s = open_store(tmp_path / "state.db")
    assert isinstance(s, SQLiteStore)
    yield s
    s.close()


def deliver(router: Router, now: float | None = None) -> None:
    """Hand out what is due, wait for the sinks' workers, record their outcomes."""
    router.deliver_pending(now)
    router.wait(10)


def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    """Poll until true (fails after ``timeout`` seconds)."""
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"not true within {timeout} s"
        time.sleep(0.01)


def health(router: Router, name: str) -> dict[str, object]:
    """One sink's health entry."""
    return next(h for h in router.health() if h["name"] == name)


class TestRouting:
    """Which alerts are queued for which sink."""

    def test_min_severity_per_sink(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """A sink only gets alerts at or above its min_severity (default medium)."""
        high_only, default = tmp_path / "high.jsonl", tmp_path / "all.jsonl"
        cfg = config(
            jsonl(high_only, name="pager", min_severity="high"), jsonl(default, name="file")
        )
        router = Router(cfg, store, clock=Clock())
        save(
            router,
            store,
            alert(id="1-1", incident_id=1, severity=Severity.LOW),
            alert(id="2-2", incident_id=2, severity=Severity.MEDIUM),
            alert(id="3-3", incident_id=3, severity=Severity.HIGH),
        )
        deliver(router)
        assert [x["id"] for x in lines(high_only)] == ["3-3"]
        assert sorted(x["id"] for x in lines(default)) == ["2-2", "3-3"]

    def test_unreported_and_disabled(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """Alerts before --since are not delivered; a disabled sink gets nothing."""
        on, off = tmp_path / "on.jsonl", tmp_path / "off.jsonl"
        router = Router(
            config(jsonl(on, name="on"), jsonl(off, name="off", enabled=False)),
            store,
            clock=Clock(),
        )
        save(router, store, alert(id="1-1", incident_id=1), reported=False)
        save(router, store, alert(id="2-3", incident_id=2))
        deliver(router)
        assert [x["id"] for x in lines(on)] == ["2-3"]
        assert lines(off) == []

    def test_queued_in_the_save_transaction(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """If the pipeline's transaction rolls back, nothing is queued."""
        router = Router(config(jsonl(tmp_path / "a.jsonl")), store, clock=Clock())
        router.listener(alert(), True)
        with pytest.raises(RuntimeError), store.transaction():
            router.on_save(store)
            assert len(store.deliveries()) == 1
            raise RuntimeError
        assert store.deliveries() == []


class TestCooldown:
    """Escalations inside the cooldown are merged into one later message."""

    def test_escalations_merge_into_the_latest_state(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """opened -> sent; two escalations within 15 min -> one message with the last."""
        path = tmp_path / "a.jsonl"
        clock = Clock()
        router = Router(config(jsonl(path, cooldown="15m")), store, clock=clock)
        save(router, store, alert(id="7-2", incident_id=7, severity=Severity.MEDIUM))
        deliver(router)
        assert [x["id"] for x in lines(path)] == ["7-2"]
        clock.t += 60
        save(router, store, alert(id="7-3", incident_id=7, severity=Severity.HIGH))
        deliver(router)
        clock.t += 60
        save(router, store, alert(id="7-4", incident_id=7, severity=Severity.CRITICAL))
        deliver(router)
        assert len(lines(path)) == 1
        assert health(router, "file")["pending"] == 1
        clock.t = T0 + 899
        deliver(router)
        assert len(lines(path)) == 1
        clock.t = T0 + 900
        deliver(router)
        assert [(x["id"], x["severity"]) for x in lines(path)] == [
            ("7-2", "medium"),
            ("7-4", "critical"),
        ]
        (merged,) = store.deliveries(incident_id=7, status=SENT, order="sent", limit=1)
        assert merged.merged == 1

    def test_one_batch_sends_only_the_latest(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """Opened and escalated in the same save: one message, the latest state."""
        path = tmp_path / "a.jsonl"
        router = Router(config(jsonl(path)), store, clock=Clock())
        save(
            router,
            store,
            alert(id="7-2", incident_id=7, severity=Severity.MEDIUM),
            alert(id="7-3", incident_id=7, severity=Severity.HIGH),
        )
        deliver(router)
        assert [x["id"] for x in lines(path)] == ["7-3"]

    def test_zero_cooldown_sends_every_escalation(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """cooldown = "0": each escalation goes out when it happens."""
        path = tmp_path / "a.jsonl"
        clock = Clock()
        router = Router(config(jsonl(path, cooldown="0")), store, clock=clock)
        for n, sev in enumerate((Severity.MEDIUM, Severity.HIGH), 2):
            save(router, store, alert(id=f"7-{n}", incident_id=7, severity=sev))
            deliver(router)
            clock.t += 1
        assert [x["id"] for x in lines(path)] == ["7-2", "7-3"]


class TestHourlyCap:
    """max_per_hour holds the rest back and summarises them once the hour is over."""

    def test_cap_then_held_back_summary(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """5 incidents, cap 3: the 3 worst are sent, then one notice lists the other 2."""
        path = tmp_path / "a.jsonl"
        clock = Clock()
        router = Router(config(jsonl(path, max_per_hour=3), timezone="UTC"), store, clock=clock)
        sev = [Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.MEDIUM, Severity.CRITICAL]
        alerts = [
            alert(id=f"{i}-1", incident_id=i, severity=s, user=f"u{i}@example.com")
            for i, s in enumerate(sev, 1)
        ]
        save(router, store, *alerts)
        deliver(router)
        sent = lines(path)
        assert len(sent) == 3
        assert {x["severity"] for x in sent[:2]} == {"critical", "high"}
        assert health(router, "file")["held"] == 2
        clock.t += 30 * 60  # same clock hour: nothing more
        deliver(router)
        assert len(lines(path)) == 3
        clock.t = (T0 // 3600 + 1) * 3600 + 5  # the hour is over
        deliver(router)
        notice = lines(path)[3]
        assert notice["rule"] == HELD_RULE and notice["severity"] == "medium"
        assert notice["summary"].startswith("2 alerts held back between 09:00 and 10:00")
        assert "max_per_hour = 3" in notice["summary"]
        assert len(notice["reasons"]) == 2 and all("MEDIUM u" in r for r in notice["reasons"])
        assert health(router, "file")["held"] == 0
        deliver(router)
        assert len(lines(path)) == 4  # one notice only


class TestRetries:
    """Failed deliveries are retried with backoff, also after a restart, then given up."""

    def test_500_then_200_is_retried_with_backoff(
        self,
        store: SQLiteStore,
        http_server: Callable[..., HTTPServer],
        alert: Callable[..., Alert],
    ) -> None:
        """Attempt at 0 s fails, 5 s fails, 35 s succeeds; nothing is tried early."""
        server = http_server((500, 500, 200))
        clock = Clock()
        cfg = config({"type": "webhook", "name": "hook", "url": server.url})
        router = Router(cfg, store, clock=clock)
        save(router, store, alert())
        for at, expected in ((0, 1), (4, 1), (5, 2), (34, 2), (35, 3), (100, 3)):
            clock.t = T0 + at
            deliver(router)
            assert len(server.requests) == expected, at
        h = health(router, "hook")
        assert (h["ok"], h["sent"], h["pending"], h["last_error"]) == (True, 1, 0, None)
        (row,) = store.deliveries()
        assert row.attempts == 3 and row.status == SENT

    def test_pending_deliveries_survive_a_restart(
        self,
        tmp_path: Path,
        http_server: Callable[..., HTTPServer],
        alert: Callable[..., Alert],
    ) -> None:
        """A new Router on the same database sends what the old one could not."""
        server = http_server((500,))
        cfg = config({"type": "webhook", "name": "hook", "url": server.url})
        db = tmp_path / "state.db"
        first_store = open_store(db)
        first = Router(cfg, first_store, clock=Clock())
        save(first, first_store, alert())  # type: ignore[arg-type]
        deliver(first)
        assert health(first, "hook")["ok"] is False
        first.close()
        first_store.close()
        server.statuses[:] = [200]
        second_store = open_store(db)
        second = Router(cfg, second_store, clock=Clock(T0 + 10))
        deliver(second)
        second.close()
        assert len(server.requests) == 2
        assert server.requests[0].body == server.requests[1].body
        assert health(second, "hook")["sent"] == 1
        second_store.close()

    def test_claim_of_a_crashed_run_expires(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """A delivery left "sending" by a process that died is sent once its claim expires."""
        path = tmp_path / "a.jsonl"
        cfg = config(jsonl(path))
        with store.transaction():
            store.add_delivery(
                Delivery("file", "alert", alert().to_dict(), T0, T0 + 60, status=SENDING,
                         incident_id=12, alert_id="12-3", severity=3)
            )  # fmt: skip
        router = Router(cfg, store, clock=Clock())
        deliver(router)
        assert lines(path) == []
        deliver(router, T0 + 61)
        assert [x["id"] for x in lines(path)] == ["12-3"]

    def test_gives_up_after_a_day(self, store: SQLiteStore, alert: Callable[..., Alert]) -> None:
        """Still failing 24 h after it was queued: marked failed and reported."""
        clock = Clock()
        cfg = config(
            {"type": "webhook", "name": "hook", "url": f"http://127.0.0.1:{free_port()}/x"}
        )
        router = Router(cfg, store, clock=clock)
        save(router, store, alert())
        deliver(router)
        clock.t = T0 + GIVE_UP_AFTER + 1
        deliver(router)
        h = health(router, "hook")
        assert (h["failed"], h["pending"], h["ok"]) == (1, 0, False)
        assert "cannot reach 127.0.0.1" in str(h["last_error"])
        assert store.deliveries()[0].status == FAILED


class BlockingSink(Sink[SinkOptions]):
    """A sink whose send ignores its timeout and blocks until released (a hung library)."""

    type = "blocking"

    def __init__(self, options: SinkOptions) -> None:
        super().__init__(options)
        self.release = threading.Event()

    def send(self, alert: Alert) -> None:
        """Block until released."""
        self.release.wait(10)


class TestIsolation:
    """A failing or hanging sink delays neither detection nor the other sinks."""

    def test_failing_and_slow_sinks_do_not_block_others(
        self,
        store: SQLiteStore,
        tmp_path: Path,
        http_server: Callable[..., HTTPServer],
        alert: Callable[..., Alert],
    ) -> None:
        """Refused + 3 s server with a 0.3 s timeout + a file: the file gets it at once."""
        slow = http_server((200,), delay=3)
        path = tmp_path / "a.jsonl"
        cfg = config(
            {"type": "webhook", "name": "refused", "url": f"http://127.0.0.1:{free_port()}/x"},
            {"type": "webhook", "name": "slow", "url": slow.url, "timeout": 0.3},
            jsonl(path),
        )
        router = Router(cfg, store, clock=Clock())
        save(router, store, alert())
        start = time.monotonic()
        deliver(router)
        assert time.monotonic() - start < 2
        assert len(lines(path)) == 1
        assert "cannot reach" in str(health(router, "refused")["last_error"])
        assert "no answer within 0.3 s" in str(health(router, "slow")["last_error"])
        assert health(router, "file")["ok"] is True

    def test_deliver_pending_never_waits_on_the_network(
        self,
        store: SQLiteStore,
        tmp_path: Path,
        http_server: Callable[..., HTTPServer],
        alert: Callable[..., Alert],
    ) -> None:
        """A webhook that answers after 5 s (timeout 1 s): handing out returns at once,
        the file gets each alert while the webhook hangs, and an alert queued behind the
        hanging one goes back untried when it fails (the sink is paused, not hammered)."""
        hanging = http_server((200,), delay=5)
        path = tmp_path / "a.jsonl"
        cfg = config(
            {"type": "webhook", "name": "hook", "url": hanging.url, "timeout": 1},
            jsonl(path, cooldown="0"),
        )
        router = Router(cfg, store, clock=Clock())
        save(router, store, alert(id="1-3", incident_id=1))
        start = time.monotonic()
        router.deliver_pending()
        assert time.monotonic() - start < 0.5
        wait_until(lambda: len(lines(path)) == 1)
        save(router, store, alert(id="2-3", incident_id=2, user="bob@example.com"))
        start = time.monotonic()
        router.deliver_pending()
        assert time.monotonic() - start < 0.5
        wait_until(lambda: len(lines(path)) == 2)
        wait_until(lambda: (router.poll(), health(router, "file")["sent"] == 2)[1])
        wait_until(lambda: len(hanging.requests) == 1)
        assert health(router, "hook")["sent"] == 0
        assert router.wait(5)
        first, second = store.deliveries(sink="hook")
        assert (first.status, first.attempts) == (PENDING, 1)
        assert "no answer within 1 s" in str(first.last_error)
        assert (second.status, second.attempts) == (PENDING, 0)  # not tried: paused
        assert second.due >= first.due
        assert len(hanging.requests) == 1
        router.close()

    def test_reload_takes_over_sends_in_progress(
        self,
        store: SQLiteStore,
        tmp_path: Path,
        http_server: Callable[..., HTTPServer],
        alert: Callable[..., Alert],
    ) -> None:
        """A new router (a reload) adopts the old one's hanging send without waiting,
        records its outcome, and does not send the claimed delivery a second time."""
        hanging = http_server((200,), delay=1.5)
        cfg = config({"type": "webhook", "name": "hook", "url": hanging.url, "timeout": 5})
        old = Router(cfg, store, clock=Clock())
        save(old, store, alert())
        old.deliver_pending()
        wait_until(lambda: len(hanging.requests) == 1)
        new = Router(cfg, store, clock=Clock(T0 + 1))
        start = time.monotonic()
        new.adopt(old)
        new.deliver_pending()
        assert time.monotonic() - start < 0.5
        assert new.wait(5)
        (row,) = store.deliveries()
        assert (row.status, row.attempts) == (SENT, 1)
        deliver(new, T0 + 3600)
        assert len(hanging.requests) == 1
        new.close()

    def test_close_waits_a_bounded_time(
        self,
        store: SQLiteStore,
        tmp_path: Path,
        http_server: Callable[..., HTTPServer],
        alert: Callable[..., Alert],
    ) -> None:
        """What scan does at its end: close() lets a slow send finish within its time box
        and records it; a job never started goes back to the queue."""
        slow = http_server((200,), delay=0.5)
        cfg = config({"type": "webhook", "name": "hook", "url": slow.url, "timeout": 2,
                      "cooldown": "0"})  # fmt: skip
        router = Router(cfg, store, clock=Clock())
        save(router, store, alert(id="1-3", incident_id=1), alert(id="2-3", incident_id=2))
        router.deliver_pending()
        start = time.monotonic()
        router.close()
        assert time.monotonic() - start < 2 + 5
        assert [d.status for d in store.deliveries()] == [SENT, SENT]

    def test_close_after_a_refused_send_says_nothing_is_in_progress(
        self,
        store: SQLiteStore,
        alert: Callable[..., Alert],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A refused first send pauses the sink; the alerts behind it wait for the retry
        in the queue, and scan's summary says so: nothing is "still in progress" at exit
        (the line came before the failure and read as if a send hung)."""
        cfg = config({"type": "webhook", "name": "hook", "cooldown": "0",
                      "url": f"http://127.0.0.1:{free_port()}/x"})  # fmt: skip
        router = Router(cfg, store, clock=Clock())
        save(router, store, alert(id="1-3", incident_id=1), alert(id="2-3", incident_id=2))
        router.deliver_pending()
        with caplog.at_level("INFO", logger="kerio_watch"):
            router.close()  # at once, as scan does after its last batch
        assert "in progress" not in caplog.text
        assert "failed (attempt 1" in caplog.text
        assert [d.status for d in store.deliveries()] == [PENDING, PENDING]

    def test_hung_send_is_abandoned(
        self,
        store: SQLiteStore,
        tmp_path: Path,
        alert: Callable[..., Alert],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A send stuck past its time box: deliver_pending returns, others are delivered,
        and on a later call the attempt is recorded as failed and retried later."""
        monkeypatch.setattr(router_module, "STUCK_GRACE", 0.1)
        path = tmp_path / "a.jsonl"
        blocking = BlockingSink(SinkOptions(name="hung", timeout=0.2))
        others = build_sinks(config(jsonl(path)))
        router = Router(Config(), store, clock=Clock(), sinks=[blocking, *others])
        save(router, store, alert())
        start = time.monotonic()
        router.deliver_pending()
        assert time.monotonic() - start < 0.5
        wait_until(lambda: len(lines(path)) == 1)
        time.sleep(0.4)
        assert router.poll()  # stuck past its time box: reaped
        h = health(router, "hung")
        assert h["ok"] is False and "abandoned" in str(h["last_error"])
        assert h["pending"] == 1
        assert router.sinks["hung"] is not blocking  # a fresh instance for the next try
        blocking.release.set()
        router.close()

    def test_unreadable_queue_entry_does_not_stop_delivery(
        self, store: SQLiteStore, tmp_path: Path, alert: Callable[..., Alert]
    ) -> None:
        """A corrupt row is marked failed; the next one is still delivered."""
        path = tmp_path / "a.jsonl"
        with store.transaction():
            store.add_delivery(Delivery("file", "alert", {"nonsense": 1}, T0, T0))
        router = Router(config(jsonl(path)), store, clock=Clock())
        save(router, store, alert())
        deliver(router)
        assert len(lines(path)) == 1
        assert [d.status for d in store.deliveries()] == [FAILED, SENT]


class TestDigest:
    """E-mail with digest = "daily": alerts are collected, one digest a day goes out."""

    def test_daily_digest(
        self,
        store: SQLiteStore,
        smtp_server: Callable[[str], SMTPServer],
        alert: Callable[..., Alert],
    ) -> None:
        """Nothing per alert; at the first run after 08:00 one digest; quiet days too."""
        server = smtp_server("none")
        cfg = config(
            {"type": "email", "name": "digest", "host": "127.0.0.1", "port": server.port,
             "security": "none", "from": "kw@example.com", "to": ["boss@example.com"],
             "digest": "daily", "digest_time": "08:00"},
            timezone="UTC",
        )  # fmt: skip
        clock = Clock()  # 2026-03-23 09:10 UTC
        router = Router(cfg, store, clock=clock)
        save(
            router,
            store,
            alert(),
            alert(id="12-4", severity=Severity.CRITICAL),
            alert(id="13-1", incident_id=13, user="bob@example.com", severity=Severity.MEDIUM),
        )
        deliver(router)
        assert server.messages == []
        assert health(router, "digest")["collected"] == 3
        clock.t = dt.datetime(2026, 3, 24, 7, 59, tzinfo=dt.UTC).timestamp()
        deliver(router)
        assert server.messages == []
        clock.t = dt.datetime(2026, 3, 24, 8, 0, 30, tzinfo=dt.UTC).timestamp()
        deliver(router)
        deliver(router)
        assert len(server.messages) == 1
        msg = email.message_from_bytes(server.messages[0].data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        # The stdlib folds before a comma-holding subject ("Subject:" CRLF SP ...), which
        # unfolds to the same header; only Python's parser keeps that space.
        assert msg["Subject"].strip() == (
            "[kerio-watch] daily digest 2026-03-24: 2 incidents: 1 critical, 1 medium"
        )
        text = msg.get_content()
        assert "#12" in text and "alice@example.com" in text and "bob@example.com" in text
        assert "Period: 2026-03-23 08:00 to 2026-03-24 08:00" in text
        assert store.deliveries(status=COLLECTED) == []
        clock.t = dt.datetime(2026, 3, 25, 8, 5, tzinfo=dt.UTC).timestamp()
        deliver(router)
        assert len(server.messages) == 2
        quiet = email.message_from_bytes(server.messages[1].data, policy=email.policy.default)
        assert quiet["Subject"].strip() == "[kerio-watch] daily digest 2026-03-25: no new incidents"


def test_health_shape(store: SQLiteStore, tmp_path: Path) -> None:
    """health() has one entry per sink with the documented keys."""
    router = Router(config(jsonl(tmp_path / "a.jsonl")), store, clock=Clock())
    (h,) = router.health()
    assert {"name", "type", "ok", "last_error", "pending", "sent", "failed"} <= set(h)
    assert (h["name"], h["type"], h["ok"], h["pending"]) == ("file", "jsonl", True, 0)
    assert store.deliveries(status=PENDING) == []
