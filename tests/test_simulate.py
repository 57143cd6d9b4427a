"""Tests of the demo simulator (kerio_watch.simulate): determinism, formats, time, truth."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from ipaddress import ip_address, ip_network
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kerio_watch.simulate import (
    HIJACK_KINDS,
    LOG_FILES,
    SCENARIO_KINDS,
    SimConfig,
    SimResult,
    simulate,
)

SMALL = SimConfig(seed=3, users=24, days=14)  # enough accounts for every scenario kind
TZ = ZoneInfo("Europe/Berlin")
PREFIX = re.compile(
    r"^\[(0[1-9]|[12]\d|3[01])/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4} "
    r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d\] \S"
)
RECV = re.compile(
    r"^Recv: Queue-ID: (?P<qid>[0-9a-f]{8}-[0-9a-f]{8}), Service: (?P<svc>[^,]+), "
    r"From: <(?P<frm>[^>]*)>, To: (?P<to><[^>]+>(?:, <[^>]+>)*), Size: \d+, "
    r"Sender-Host: (?P<host>[0-9.]+)(?:, User: (?P<user>[^,]+))?, SSL: (?:yes|no), "
    r"Subject: (?P<subj>.*), Msg-Id: <[^>]+>$"
)
DSN = re.compile(
    r"^Recv: Queue-ID: [0-9a-f]{8}-[0-9a-f]{8}, Service: DSN, From: <>, To: <[^>]+>, "
    r"Size: \d+, Report: failed, Subject: Undeliverable: .*$"
)
SENT = re.compile(
    r"^Sent: Queue-ID: [0-9a-f]{8}-[0-9a-f]{8}, Recipient: <[^>]+>, "
    r"Result: (?P<result>delivered|delayed|failed), Status: (?P<status>[245]\.\d\.\d)(?: .*?)? , "
    r"Remote-Host: [0-9.]+, Msg-Id: <[^>]+>$"
    r"|^Sent: Queue-ID: [0-9a-f]{8}-[0-9a-f]{8}, Recipient: <[^>]+>, "
    r"Result: (?:delayed|failed), Status: [45]\.\d\.\d .*, Remote-Host: [0-9.]+, Msg-Id: <[^>]+>$"
)
AUDIT = re.compile(
    r"^(SMTP|IMAP|POP3|HTTP/WebMail|HTTP/KOFF|HTTP/WebAdmin): User \S+@\S+ "
    r"authenticated  from IP address [0-9.]+(?:; .+)?$"
)


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    return simulate(SMALL, tmp_path_factory.mktemp("sim"))


def lines_of(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", newline="\n") as fh:
        for line in fh:
            yield line.rstrip("\n")


def local_time(line: str) -> datetime:
    return datetime.strptime(line[1:21], "%d/%b/%Y %H:%M:%S")


def epoch_of(line: str) -> int:
    return int(local_time(line).replace(tzinfo=TZ).timestamp())


def body(line: str) -> str:
    return line[23:]


def test_same_seed_gives_identical_files(result: SimResult, tmp_path: Path) -> None:
    again = simulate(SMALL, tmp_path / "again")
    names = [*LOG_FILES.values(), "truth.json", "kerio-watch.toml"]
    for name in names:
        assert (result.directory / name).read_bytes() == (again.directory / name).read_bytes(), name
    assert again.scenarios == result.scenarios
    assert again.lines == result.lines


def test_other_seed_gives_other_logs(tmp_path: Path) -> None:
    one = simulate(SimConfig(seed=3, users=12, days=2, only_mail=True), tmp_path / "one")
    two = simulate(SimConfig(seed=4, users=12, days=2, only_mail=True), tmp_path / "two")
    assert one.files["mail"].read_bytes() != two.files["mail"].read_bytes()
    assert one.accounts != two.accounts


def test_writes_every_log_and_counts_lines(result: SimResult) -> None:
    assert set(result.files) == set(LOG_FILES)
    for name, path in result.files.items():
        assert path.name == LOG_FILES[name]
        assert sum(1 for _ in lines_of(path)) == result.lines[name] > 0, name


def test_every_line_has_the_kerio_prefix_and_files_are_in_time_order(result: SimResult) -> None:
    for name, path in result.files.items():
        previous = None
        for number, line in enumerate(lines_of(path), 1):
            assert PREFIX.match(line), f"{name}:{number}: {line!r}"
            assert "\r" not in line
            now = local_time(line)
            assert previous is None or now >= previous, f"{name}:{number} goes back in time"
            previous = now


def test_queue_id_is_the_utc_epoch_of_the_local_bracket_time(result: SimResult) -> None:
    recv = [line for line in lines_of(result.files["mail"]) if body(line).startswith("Recv: ")]
    assert len(recv) > 1000
    counters = []
    for line in recv[::37]:
        qid = body(line)[len("Recv: Queue-ID: ") :][:17]
        assert int(qid[:8], 16) == epoch_of(line), line
        counters.append(int(qid[9:], 16))
    assert counters == sorted(counters)


def test_mail_lines_have_the_documented_shapes(result: SimResult) -> None:
    kinds = {"recv": 0, "dsn": 0, "sent": 0, "multi": 0, "webmail": 0, "inbound": 0}
    messages: dict[str, bool] = {}  # Queue-ID -> authenticated
    for line in lines_of(result.files["mail"]):
        text = body(line)
        if text.startswith("Recv: ") and ", Service: DSN, " in text:
            assert DSN.match(text), text
            kinds["dsn"] += 1
        elif text.startswith("Recv: "):
            m = RECV.match(text)
            assert m, text
            kinds["recv"] += 1
            kinds["multi"] += ">, <" in m["to"]
            kinds["inbound"] += m["user"] is None
            messages[m["qid"]] = m["user"] is not None
            if m["svc"] == "Kerio Connect Client":
                assert m["host"] == "0.0.0.0"
                kinds["webmail"] += 1
        else:
            assert SENT.match(text), text
            kinds["sent"] += 1
    assert all(kinds.values()), kinds
    inbound = sum(1 for authenticated in messages.values() if not authenticated)
    assert inbound > len(messages) / 3


def test_sent_lines_use_the_space_before_the_comma_and_local_delivery_host(
    result: SimResult,
) -> None:
    mail = result.files["mail"].read_text(encoding="utf-8")
    assert "Result: delivered, Status: 2.0.0 , Remote-Host: 127.0.0.1, Msg-Id: <" in mail
    assert "Result: delayed, Status: 4.4.1 Cannot connect to host, Remote-Host: " in mail


def test_audit_and_security_lines(result: SimResult) -> None:
    audit = [body(line) for line in lines_of(result.files["audit"])]
    assert all(AUDIT.match(line) for line in audit), [x for x in audit if not AUDIT.match(x)][:3]
    assert any(line.startswith("HTTP/WebMail: ") and "; Mozilla/5.0 (" in line for line in audit)
    security = result.files["security"].read_text(encoding="utf-8")
    for marker in (
        "Failed SMTP login from ",
        ": Invalid password for user ",
        "SMTP: AntiHammering - IP address ",
        "SMTP Spam attack detected from ",
        " found in DNS blacklist ",
        "Attempt to deliver to unknown recipient <",
    ):
        assert marker in security, marker
    operations = result.files["operations"].read_text(encoding="utf-8")
    assert "{MOVE} Protocol: HTTP/WebMail, User: " in operations
    assert ", Msg-Id: <<" in operations


def test_every_scenario_is_planted_with_its_truth(result: SimResult) -> None:
    kinds = [s.kind for s in result.scenarios]
    assert sorted(kinds) == sorted(SCENARIO_KINDS)
    for s in result.scenarios:
        assert s.malicious == (s.kind in HIJACK_KINDS)
        assert s.start.tzinfo is not None
        assert s.start.utcoffset() == timedelta(0)
        assert s.start <= s.end
        assert s.account in result.accounts
        assert len(s.description) > 40
    truth = json.loads((result.directory / "truth.json").read_text(encoding="utf-8"))
    assert [t["kind"] for t in truth["scenarios"]] == kinds
    assert datetime.fromisoformat(truth["scenarios"][0]["start"]) == result.scenarios[0].start


def test_hijacks_happen_in_the_last_third(result: SimResult) -> None:
    cut = datetime.combine(SMALL.start, datetime.min.time(), TZ) + timedelta(
        days=SMALL.days * 2 / 3
    )
    for s in result.scenarios:
        if s.malicious:
            assert s.start >= cut.astimezone(UTC), s.kind


def test_each_scenario_starts_with_its_first_message(result: SimResult) -> None:
    recv = [
        (epoch_of(line), RECV.match(body(line)))
        for line in lines_of(result.files["mail"])
        if ", User: " in line and body(line).startswith("Recv: ")
    ]
    for s in result.scenarios:
        start = int(s.start.timestamp())
        mine = [m for t, m in recv if m and m["user"] == s.account]
        at_start = [m for t, m in recv if t == start and m and m["user"] == s.account]
        assert at_start, s.kind
        assert next(t for t, m in recv if m and m["user"] == s.account and t >= start) == start
        if at_start[0]["svc"] == "Kerio Connect Client":
            assert at_start[0]["host"] == "0.0.0.0", s.kind
        elif s.source_ip and "/" in s.source_ip:  # a hotel's or carrier's changing addresses
            assert ip_address(at_start[0]["host"]) in ip_network(s.source_ip), s.kind
        else:
            assert at_start[0]["host"] == s.source_ip, s.kind
        assert len(mine) >= 5, s.kind


def test_hijack_traces_in_the_other_logs(result: SimResult) -> None:
    by_kind = {s.kind: s for s in result.scenarios}
    audit = [(epoch_of(line), body(line)) for line in lines_of(result.files["audit"])]
    security = result.files["security"].read_text(encoding="utf-8")

    def logins(s_kind: str, proto: str) -> list[int]:
        s = by_kind[s_kind]
        wanted = f"{proto}: User {s.account} authenticated  from IP address {s.source_ip}"
        return [t for t, text in audit if text.startswith(wanted)]

    for kind in ("night_burst", "spoofed_from", "guess_then_spam", "low_and_slow"):
        start = int(by_kind[kind].start.timestamp())
        assert [t for t in logins(kind, "SMTP") if start - 120 <= t <= start], kind
    takeover = by_kind["webmail_takeover"]
    start = int(takeover.start.timestamp())
    assert [t for t in logins("webmail_takeover", "HTTP/WebMail") if start - 600 <= t < start]
    guess = by_kind["guess_then_spam"]
    failures = security.count(
        f"IMAP: Invalid password for user {guess.account}. "
        f"Attempt from IP address {guess.source_ip}."
    )
    assert 15 <= failures <= 40
    assert f"SMTP: AntiHammering - IP address {guess.source_ip} will be blocked" in security
    night = by_kind["night_burst"]
    hour = night.start.astimezone(TZ).hour
    assert 2 <= hour < 3
    assert night.start.astimezone(TZ).weekday() < 5


def test_planted_attacker_addresses_are_new(result: SimResult) -> None:
    by_kind = {s.kind: s for s in result.scenarios}
    for kind in ("night_burst", "spoofed_from", "webmail_takeover", "guess_then_spam"):
        s = by_kind[kind]
        assert s.source_ip is not None
        first = int(s.start.timestamp()) - 3600
        for name in ("mail", "audit", "operations"):
            for line in lines_of(result.files[name]):
                if s.source_ip in line:
                    assert epoch_of(line) >= first, (kind, name, line)
                    break


def test_config_toml_is_valid_and_matches_the_site(result: SimResult) -> None:
    written = (result.directory / "kerio-watch.toml").read_text(encoding="utf-8")
    assert written == result.config_toml
    config = tomllib.loads(written)
    site = config["site"]
    assert site["local_domains"] == ["example.com", "example.org"]
    assert site["trusted_networks"] == list(result.trusted_networks)
    assert site["timezone"] == "Europe/Berlin"
    declared = config.get("users", {})
    assert declared, "some aliases are declared"
    assert len(declared) < len(result.aliases), "some aliases are left to be learned"
    for account, table in declared.items():
        assert tuple(table["aliases"]) == result.aliases[account]
    assert set(config) <= {"site", "users", "firewall"}


def test_aliases_are_used_in_mail(result: SimResult) -> None:
    mail = result.files["mail"].read_text(encoding="utf-8")
    used = [
        (account, alias)
        for account, aliases in result.aliases.items()
        for alias in aliases
        if f"From: <{alias}>" in mail and f"User: {account}" in mail
    ]
    assert len(used) >= len(result.aliases) // 2
    assert any(alias.endswith("@example.org") for _, alias in used) or any(
        a.endswith("@example.org") for aliases in result.aliases.values() for a in aliases
    )


def test_max_mail_lines_stops_mail_log(tmp_path: Path) -> None:
    config = SimConfig(seed=5, users=12, days=60, max_mail_lines=5000, only_mail=True)
    res = simulate(config, tmp_path)
    assert set(res.files) == {"mail"}
    assert res.lines["mail"] == 5000
    assert sum(1 for _ in lines_of(res.files["mail"])) == 5000
    assert not (tmp_path / "security.log").exists()


def test_runs_without_scenarios(tmp_path: Path) -> None:
    res = simulate(SimConfig(seed=6, users=3, days=2, scenarios=False), tmp_path)
    assert res.scenarios == ()
    assert json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))["scenarios"] == []
    assert res.lines["mail"] > 0


def test_a_site_with_no_account_left_for_the_manager_plants_no_assistant(
    tmp_path: Path,
) -> None:
    """The assistant's manager is the last fresh account: when none is left, neither is
    planted (the run failed with KeyError 'manager' for seed 1 at 16 accounts)."""
    res = simulate(SimConfig(seed=1, users=16, days=15, only_mail=True), tmp_path)
    assert "assistant_alias" not in {s.kind for s in res.scenarios}
    assert res.lines["mail"] > 0


def test_the_spring_forward_gap_is_skipped(tmp_path: Path) -> None:
    res = simulate(SimConfig(seed=7, users=4, days=2, start=date(2026, 3, 28)), tmp_path)
    offsets = set()
    for line in lines_of(res.files["mail"]):
        local = local_time(line)
        assert not (local.date() == date(2026, 3, 29) and local.hour == 2), line
        if body(line).startswith("Recv: "):
            qid_epoch = int(body(line)[16:24], 16)
            naive = int(local.replace(tzinfo=UTC).timestamp())
            offsets.add(naive - qid_epoch)
    assert offsets == {3600, 7200}


def test_rejects_nonsense_configs() -> None:
    with pytest.raises(ValueError, match="days"):
        SimConfig(days=0)
    with pytest.raises(ValueError, match="users"):
        SimConfig(users=0)
