"""Issue 9, defect 1, exactly as reported, through the real CLI.

100 lines in mail.log; follow and stop. Then ``mv mail.log mail.log.2``; 100 later lines
to mail.log.1, gzipped; 100 still later lines to mail.log. Following again, main's
``status`` said 200 lines while a scan on a fresh database read 300: the gzipped file
was skipped (``file_skipped``) as "older than the logs already followed".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from faultlib import cli, site_lines
from kerio_watch.simulate.logrotate import gzip_file
from test_follow_cli import Follow, append, wait_for


def test_the_reported_sequence(follow: Follow, logs: Path, tmp_path: Path) -> None:
    lines = site_lines(150, spacing=300)  # 300 lines, 100 to a file, 4 hours each
    path = logs / "mail.log"
    append(path, lines[:100])
    follow.start()
    wait_for(lambda: follow.totals().lines == 100)
    assert follow.stop() == 0
    path.rename(logs / "mail.log.2")
    append(logs / "mail.log.1", lines[100:200])
    gzip_file(logs / "mail.log.1")
    append(path, lines[200:])
    follow.start()
    wait_for(lambda: follow.totals().lines == 300)
    assert follow.stop() == 0
    status = json.loads(cli("status", "--db", str(follow.db), "--format", "json").stdout)
    assert status["totals"]["lines"] == 300
    assert "file_skipped" not in follow.err()
    fresh = cli("scan", "--db", str(tmp_path / "fresh.db"), str(logs))
    counts = re.findall(r"\(mail\): ([\d,]+) lines", " ".join(fresh.stderr.split()))
    assert sum(int(n.replace(",", "")) for n in counts) == 300
    assert status["totals"]["events"] == {"message_delivery": 150, "message_received": 150}
