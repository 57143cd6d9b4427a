"""Golden samples: every line of ``tests/samples/<log>.log`` against its parser.

Each sample line is preceded by a ``# source: ...`` provenance comment and a
``# expect: ...`` comment, in the fail2ban ``failJSON`` / CrowdSec style:

- ``# expect: {"kind": "login_failed", "user": ..., ...}``: the parser returns an event of
  that kind whose ``to_dict()`` has (at least) these field values;
- ``# expect: unparsed``: the parser returns an :class:`Unparsed` record for its log;
- ``# expect: null``: the line is not this log's (the parser, or the framing, says None);
- an optional ``# xfail: <reason>`` marks a known limitation (strict: it must still fail).

On-disk files are framed with ``StampParser().split``; ``syslog.log`` with
``split_syslog(line, 2026)``, whose ``log`` names the parser. Firewall logs
(``netfilter``, ``filterlog``, ``pfirewall``, ``control``) come in either envelope and
are framed as the readers frame them: the Kerio prefix, else ``split_syslog(line,
2026)``; the file names the parser. Their provenance is in ``tests/samples/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.events import EVENT_KINDS, Event, Unparsed
from kerio_watch.formats import FORMATS, build_parsers
from kerio_watch.formats.connection import FIREWALL_LOGS
from kerio_watch.formats.envelope import StampParser, split_syslog

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
SYSLOG = "syslog"
SYSLOG_YEAR = 2026


@dataclass(frozen=True)
class Case:
    """One sample line and what it must give."""

    file: str
    lineno: int
    line: str
    source: str
    expect: Any  # dict, "unparsed" or None
    xfail: str | None = None


def load_cases(path: Path) -> list[Case]:
    """The cases of one sample file; fails loudly on a malformed file."""
    cases: list[Case] = []
    source: str | None = None
    expect: Any = ...
    xfail: str | None = None
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("# source:"):
                source = line[len("# source:") :].strip()
            elif line.startswith("# expect:"):
                text = line[len("# expect:") :].strip()
                expect = "unparsed" if text == "unparsed" else json.loads(text)
            elif line.startswith("# xfail:"):
                xfail = line[len("# xfail:") :].strip()
            continue
        if source is None or expect is ...:
            raise AssertionError(f"{path.name}:{lineno}: line without # source and # expect")
        cases.append(Case(path.stem, lineno, line, source, expect, xfail))
        source, expect, xfail = None, ..., None
    return cases


def all_cases() -> list[Case]:
    return [case for path in sorted(SAMPLES.glob("*.log")) for case in load_cases(path)]


CASES = all_cases()
PARSERS = build_parsers()


def run(case: Case) -> Event | Unparsed | None:
    """Frame the line and give it to the parser for its log."""
    if case.file == SYSLOG:
        framed = split_syslog(case.line, SYSLOG_YEAR)
        log = framed.log if framed is not None else None
    elif case.file in FIREWALL_LOGS:
        framed = StampParser().split(case.line) or split_syslog(case.line, SYSLOG_YEAR)
        log = case.file
    else:
        framed = StampParser().split(case.line)
        log = case.file
    if framed is None or log not in PARSERS:
        return None
    return PARSERS[log].parse(framed.message, framed.ts, case.line)


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.file}:{case.lineno}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_golden(case: Case) -> None:
    result = run(case)
    where = f"{case.file}.log:{case.lineno} ({case.source})"
    if case.expect is None:
        assert result is None, f"{where}: expected null, got {result!r}"
        return
    if case.expect == "unparsed":
        assert isinstance(result, Unparsed), f"{where}: expected unparsed, got {result!r}"
        assert result.raw == case.line
        return
    assert isinstance(result, Event), f"{where}: expected an event, got {result!r}"
    assert result.raw == case.line
    data = result.to_dict()
    wrong = {
        key: (want, data.get(key, "<missing field>"))
        for key, want in case.expect.items()
        if key not in data or data[key] != want
    }
    assert not wrong, f"{where}: field (expected, got): {wrong}"


def test_every_format_has_samples() -> None:
    by_file: dict[str, list[Case]] = {}
    for case in CASES:
        by_file.setdefault(case.file, []).append(case)
    for name in FORMATS:
        assert name in by_file, f"no tests/samples/{name}.log"
        assert len(by_file[name]) >= 3, f"tests/samples/{name}.log has fewer than 3 expectations"
    assert len(by_file.get(SYSLOG, [])) >= 3


def test_sample_files_name_registered_logs() -> None:
    for path in SAMPLES.glob("*.log"):
        assert path.stem in FORMATS or path.stem == SYSLOG, f"{path.name}: no such log"


def test_expectations_name_known_kinds() -> None:
    for case in CASES:
        if isinstance(case.expect, dict):
            assert case.expect.get("kind") in EVENT_KINDS, f"{case.file}:{case.lineno}"


def test_verbatim_samples_are_all_copied() -> None:
    """Every line of shared/samples/kerio/*.log is in the matching golden file."""
    shared = Path(__file__).resolve().parents[3] / "shared" / "samples" / "kerio"
    if not shared.is_dir():
        pytest.skip("shared samples not present")
    golden: dict[str, set[str]] = {}
    for case in CASES:
        golden.setdefault(case.file, set()).add(case.line)
    for path in shared.glob("*.log"):
        target = SYSLOG if path.stem.startswith("syslog") else path.stem
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                assert line in golden.get(target, set()), f"{path.name}: {line!r} not copied"
