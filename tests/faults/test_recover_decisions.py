"""``db recover`` re-applies decisions only to the incidents that were decided.

The rebuild reads every log first and applies the decisions at the end. An account
resolved as hijacked and hijacked again days later had two incidents; rebuilt, the
second attack joined the first (still open while the rebuild read on), and re-applying
"resolved" closed both: the open critical re-hijack vanished.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner, Result

from kerio_watch.cli import main
from sitelogs import CONFIG, DAYS, START, site_logs

AGAIN_IP = "198.51.100.200"
SERIOUS = ("high", "critical")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def alice(db: Path) -> list[dict[str, object]]:
    """alice's high and critical incidents, oldest first."""
    listed = run("incidents", "--db", str(db), "--limit", "0", "-f", "jsonl")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    serious = [r for r in rows if r["key"] == "alice@example.com" and r["severity"] in SERIOUS]
    return sorted(serious, key=lambda r: str(r["opened"]))


def test_a_resolved_hijack_does_not_swallow_the_next_one(tmp_path: Path) -> None:
    logs, config, db = tmp_path / "logs", tmp_path / "kw.toml", tmp_path / "state.db"
    config.write_text(CONFIG, encoding="utf-8")
    site = site_logs()
    site.write(logs)
    assert run("scan", "--db", str(db), "-c", str(config), str(logs)).exit_code in (0, 4)
    (first,) = alice(db)
    assert run("ack", "--db", str(db), str(first["id"]), "--resolve").exit_code == 0

    # two days later the same account is hijacked again, from another address
    night = START + dt.timedelta(days=DAYS + 1, hours=3)
    site.login(night, "alice@example.com", "SMTP", AGAIN_IP)
    for i in range(20):
        site.send(
            night + dt.timedelta(minutes=1 + i),
            "alice@example.com",
            [f"again{i * 5 + k}@mailbox.test" for k in range(5)],
            host=AGAIN_IP,
            subject="Invoice overdue",
        )
    site.write(logs)
    assert run("scan", "--db", str(db), "-c", str(config), str(logs)).exit_code in (0, 4)
    before = alice(db)
    assert [r["status"] for r in before] == ["resolved", "open"]

    rebuilt = run("db", "recover", "--force", "--no-sinks", "--db", str(db), "-c", str(config))
    assert rebuilt.exit_code == 0, rebuilt.output
    after = alice(db)
    assert "open" in [r["status"] for r in after]
    assert "decision not re-applied" in rebuilt.stdout
    assert "alice@example.com" in rebuilt.stdout
