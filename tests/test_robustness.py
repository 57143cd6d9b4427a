"""Log content is attacker-controlled: a whole site's logs, mangled, go through the whole
pipeline (parse, enrich, detect, learn, incidents, store) without an error.

Lines of a simulated site are mutated the way broken writers, truncation and hostile
senders mangle them: separators and field names inserted, pieces cut or repeated, lines
spliced into each other, control and non-ASCII characters. Nothing may raise; what
cannot be parsed is counted.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kerio_watch.simulate import SimConfig, simulate

TOKENS = (
    ",", ", ", ": ", "<", ">", "[", "]", '"', " ", "\x00", "\r", "\u202e", "é", "\ufeff",
    "User: ", "From: ", "To: ", "Queue-ID: ", "Recipient: ", "Result: ", "Status: ",
    "Sender-Host: ", "Msg-Id: ", "Subject: ", "Service: ", "Size: ", "<>", "0.0.0.0",
    "::1", "999999999999999999999", "-1", "Sent: ", "Recv: ", "@", "@@", "\t", "%s",
    "[99/Foo/2026 25:61:61] ", "from IP address ", "authenticated ",
)  # fmt: skip


def mutate(rng: random.Random, line: str, others: list[str]) -> str:
    """One to four random edits of a line."""
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        i = rng.randint(0, len(line))
        if op < 0.3:
            line = line[:i] + rng.choice(TOKENS) + line[i:]
        elif op < 0.5:
            line = line[:i] + line[min(len(line), i + rng.randint(1, 20)) :]
        elif op < 0.6:
            line = line[:i]
        elif op < 0.75:
            other = rng.choice(others)
            line = line[:i] + other[rng.randint(0, len(other)) :]
        elif op < 0.85:
            line = line[:i] + chr(rng.randint(1, 0x2FF)) + line[i + 1 :]
        else:
            j = rng.randint(i, len(line))
            line = line[:i] + line[i:j] * 2 + line[j:]
    return line


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_mangled_site_goes_through_the_whole_pipeline(
    tmp_path: Path, cli: Callable[..., Result], seed: int
) -> None:
    site = simulate(SimConfig(seed=seed, days=2, users=12), tmp_path / "site")
    rng = random.Random(seed)
    logs = tmp_path / "logs"
    logs.mkdir()
    mangled = 0
    for path in site.files.values():
        lines = path.read_text(encoding="utf-8").splitlines()
        out = []
        for line in lines:
            if rng.random() < 0.3:
                out.append(mutate(rng, line, lines))
                mangled += 1
            else:
                out.append(line)
        data = "\n".join(out) + "\n"
        (logs / path.name).write_bytes(data.encode("utf-8", "surrogatepass"))
    assert mangled > 1000
    db = str(tmp_path / "state.db")
    first = cli("scan", "--no-progress", "--db", db, str(logs))
    assert first.exit_code == 0, first.output
    assert "unparsed" in first.stderr
    again = cli("scan", "--no-progress", "--db", db, "--format", "jsonl", str(logs))
    assert again.exit_code == 0, again.output
    assert again.stdout == ""  # nothing new: no alert
    assert "it had already processed were not read again" in " ".join(again.stderr.split())
