"""The pipeline with a real SQLite state file: persistence and administrators' decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.config import Config
from kerio_watch.events import Event
from kerio_watch.incidents.ack import acknowledge
from kerio_watch.pipeline import Pipeline
from kerio_watch.report.servertime import ServerTime
from kerio_watch.severity import Severity
from kerio_watch.sources.files import discover, merged_records
from kerio_watch.store import open_store
from kerio_watch.timebase import Timebase
from kerio_watch.values.alert import Alert
from kerio_watch.values.signal import Signal
from logtools import recv_line

T0 = dt.datetime(2026, 3, 10, 10, 0, 0)


def _log(tmp_path: Path, lines: list[str], name: str = "mail.log") -> list[str]:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return [str(path)]


def _spoof(minute: int, n: int) -> str:
    return recv_line(
        T0 + dt.timedelta(minutes=minute),
        1,
        n,
        sender="boss@evil.test",
        to=f"v{n}@victim.test",
        user="al@example.com",
        host="203.0.113.9",
    )


def test_ack_while_running_is_not_overwritten(tmp_path: Path) -> None:
    """An ``ack`` made while a pipeline holds the incident in memory survives its saves."""
    db = tmp_path / "state.db"
    store = open_store(db)
    pipeline = Pipeline(Config(), store, Timebase(None, -3600))
    files = discover(_log(tmp_path, [_spoof(0, 1)]))
    pipeline.run(merged_records(files, pipeline.skip_line))
    pipeline.save()
    (incident,) = store.incidents()
    assert incident.status == "open"

    other = open_store(db)  # the CLI or the dashboard, in another process
    acknowledge(other, incident.id, "benign")
    other.close()

    files = discover(_log(tmp_path, [_spoof(5, 2)], name="mail2.log"))
    pipeline.run(merged_records(files, pipeline.skip_line))
    pipeline.save()
    saved = store.incident(incident.id)
    assert saved is not None and saved.status == "benign"
    profile = store.load_profile("al@example.com")
    assert profile is not None and profile.is_accepted("froms", "boss@evil.test")
    store.close()


def test_state_survives_a_new_pipeline(tmp_path: Path) -> None:
    """Profiles and open incidents are reloaded by the next run."""
    db = tmp_path / "state.db"
    store = open_store(db)
    pipeline = Pipeline(Config(), store, Timebase(None, -3600))
    normal = recv_line(T0, 1, 7, sender="bo@example.com", to="x@p.test", user="bo@example.com")
    pipeline.run(merged_records(discover(_log(tmp_path, [_spoof(0, 1), normal]))))
    pipeline.save()
    store.close()

    store = open_store(db)
    again = Pipeline(Config(), store, Timebase(None, -3600))
    assert "al@example.com" in again.engine.open
    profile = store.load_profile("bo@example.com")
    assert profile is not None and profile.messages == 1
    assert store.load_profile("al@example.com") is None, "nothing learned under an incident"
    assert store.schema_version() >= 4
    store.close()


def test_time_zone_is_remembered_for_reports(tmp_path: Path) -> None:
    """Commands run without a config (user, report) show times in the scan's zone."""
    store = open_store(tmp_path / "z.db")
    pipeline = Pipeline(Config(), store, Timebase(ZoneInfo("Europe/Berlin")))
    pipeline.run(merged_records(discover(_log(tmp_path, [_spoof(0, 1)]))))
    pipeline.save()
    zone = ServerTime.for_store(Config(), store).zone
    assert zone is not None and zone.key == "Europe/Berlin"

    inferred = open_store(tmp_path / "i.db")
    pipeline = Pipeline(Config(), inferred, Timebase(None, None))
    pipeline.run(merged_records(discover(_log(tmp_path, [_spoof(0, 2)], "m3.log"))))
    pipeline.save()
    st = ServerTime.for_store(Config(), inferred)
    assert st.zone is None and st.offset == 3600


def _two_step_detector(rule: str) -> Callable[[Event], list[Signal]]:
    """A detector whose every message raises strong access (medium alone), then use
    (with it, high)."""

    def observe(event: Event) -> list[Signal]:
        return [
            Signal(f"{rule}.a", "al@example.com", event.ts, 50, "a", side="access"),
            Signal(f"{rule}.b", "al@example.com", event.ts, 25, "b", side="use"),
        ]

    return observe


def test_one_line_announces_each_incident_once(tmp_path: Path) -> None:
    """Signals of one line that open an incident and escalate it at once make one alert:
    opened, at the final severity (the next line's escalation is its own alert)."""
    store = open_store(tmp_path / "state.db")
    pipeline = Pipeline(Config(), store, Timebase(None, -3600))
    got: list[Alert] = []
    pipeline.listeners.append(lambda alert, _reported: got.append(alert))
    pipeline.detection.dispatch = {"message_received": [_two_step_detector("t.first")]}
    pipeline.run(merged_records(discover(_log(tmp_path, [_spoof(0, 1)]))))
    pipeline.save()
    (alert,) = got
    assert (alert.status, alert.severity, alert.rule) == ("opened", Severity.HIGH, "t.first.b")
    assert set(alert.rules) == {"t.first.a", "t.first.b"}

    def more_use(event: Event) -> list[Signal]:
        return [Signal("t.next", "al@example.com", event.ts, 50, "c", side="use")]

    pipeline.detection.dispatch["message_received"] = [more_use]
    pipeline.run(merged_records(discover(_log(tmp_path, [_spoof(1, 2)], name="mail2.log"))))
    pipeline.save()
    assert [(a.status, a.severity) for a in got] == [
        ("opened", Severity.HIGH),
        ("escalated", Severity.CRITICAL),
    ]
    assert [a.status for a in store.alerts()] == ["escalated", "opened"]
    store.close()


def _one_side_a_line() -> Callable[[Event], list[Signal]]:
    """A detector whose first message raises strong access (medium alone) and each one
    after it use (with it, high; more of it, critical)."""
    seen: list[int] = []

    def observe(event: Event) -> list[Signal]:
        seen.append(event.ts)
        if len(seen) == 1:
            return [Signal("t.access", "al@example.com", event.ts, 50, "a", side="access")]
        return [Signal(f"t.use{len(seen)}", "al@example.com", event.ts, 40, "u", side="use")]

    return observe


def test_lines_of_one_second_announce_each_incident_once(tmp_path: Path) -> None:
    """Two messages logged in the same second, the first opening an incident at medium
    and the second taking it to high, make one alert (opened, high), not a medium one
    out of date as it is read; a later second's escalation is its own alert. What was
    read at once (``follow``'s lines of one poll) is announced when it is processed."""
    store = open_store(tmp_path / "state.db")
    pipeline = Pipeline(Config(), store, Timebase(None, -3600))
    got: list[Alert] = []
    pipeline.listeners.append(lambda alert, _reported: got.append(alert))
    pipeline.detection.dispatch = {"message_received": [_one_side_a_line()]}
    same_second = [_spoof(0, 1), _spoof(0, 2)]
    pipeline.run(merged_records(discover(_log(tmp_path, same_second))))
    pipeline.save(final=False)  # a new database's first lines wait for the time guard
    assert [(a.status, a.severity) for a in got] == [("opened", Severity.HIGH)]
    pipeline.run(merged_records(discover(_log(tmp_path, [_spoof(1, 3)], name="mail2.log"))))
    pipeline.save()
    assert [(a.status, a.severity) for a in got] == [
        ("opened", Severity.HIGH),
        ("escalated", Severity.CRITICAL),
    ]
    store.close()
