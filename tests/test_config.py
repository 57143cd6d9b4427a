"""Configuration: defaults, the documented keys, and errors that say where and what."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from kerio_watch.app.config import load_config
from kerio_watch.config import Config, parse_office_hours
from kerio_watch.detect import DETECTORS, detector_options
from kerio_watch.enrich.network import DEFAULT_TRUSTED
from kerio_watch.errors import ConfigError
from kerio_watch.exitcodes import ExitStatus


def write(tmp_path: Path, text: str) -> Path:
    """A config file."""
    path = tmp_path / "kerio-watch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_means_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a file: private ranges trusted, domains learned, zone inferred."""
    monkeypatch.delenv("KERIO_WATCH_CONFIG", raising=False)
    config = load_config(None)
    assert config == Config()
    assert config.site.trusted_networks == DEFAULT_TRUSTED
    assert config.site.local_domains == ()
    assert config.site.timezone is None


def test_the_documented_keys(tmp_path: Path) -> None:
    """The keys users and tests rely on, with exactly these names."""
    config = load_config(
        write(
            tmp_path,
            """
[site]
local_domains = ["Example.com", "example.org"]
trusted_networks = ["192.168.0.0/16"]
timezone = "America/New_York"
office_hours = "Mon-Fri 07:00-19:00"
[users."Alice@example.com"]
aliases = ["Sales@example.com"]
bulk = true
""",
        )
    )
    assert config.site.local_domains == ("example.com", "example.org")
    assert config.site.trusted_networks == ("192.168.0.0/16",)
    assert config.site.zone() is not None
    alice = config.user("alice@EXAMPLE.com")
    assert alice is not None
    assert alice.aliases == ("sales@example.com",)
    assert alice.bulk


def test_every_problem_at_once(tmp_path: Path) -> None:
    """All errors are reported together, each with file, key and expectation."""
    path = write(
        tmp_path,
        """
[site]
local_domains = "example.com"
timezone = 5
office_hours = "weekdays"
[users."carol@example.com"]
aliases = ["not-an-address"]
nickname = "c"
[unknown]
x = 1
""",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = info.value.problems
    text = "\n".join(problems)
    assert all(p.startswith(f"{path}: ") for p in problems)
    assert "site.local_domains: expected a list of strings" in text
    assert "site.timezone: expected a string" in text
    assert "site.office_hours: expected" in text
    assert 'users."carol@example.com".aliases[0]: expected an e-mail address' in text
    assert 'users."carol@example.com".nickname: unknown key' in text
    assert "unknown: unknown key" in text
    assert len(problems) == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[site\n", "not valid TOML"),
        ("\udcff", None),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, message: str | None) -> None:
    """Broken TOML and non-UTF-8 files are named, not tracebacks."""
    path = tmp_path / "c.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    if message:
        assert message in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file says so."""
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def test_office_hours() -> None:
    """Day ranges wrap; bad ranges are rejected."""
    days, start, end = parse_office_hours("Sat-Mon 08:30-12:00")
    assert days == frozenset({5, 6, 0}) and (start, end) == (510, 720)
    with pytest.raises(ValueError, match="start before"):
        parse_office_hours("Mon-Fri 19:00-07:00")


def test_config_check_masks_secrets(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """``config check`` prints the resolved config with secrets masked."""
    path = write(
        tmp_path, '[web]\ntoken = "s3cret-token-0123456789"\n[site]\nlocal_domains = ["a.test"]\n'
    )
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == 0, result.output
    assert "s3cret-token" not in result.stdout
    assert "********" in result.stdout
    assert "[detectors.from_mismatch]" in result.stdout


def test_config_check_prints_toml_marking_defaults(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The resolved configuration is TOML that reads back; what the file does not set
    is marked ``# default``; every section, detector and sink is there."""
    path = write(
        tmp_path,
        """
[site]
local_domains = ["a.test"]
[detectors.volume]
min_messages = 50
[[sinks]]
type = "jsonl"
path = "alerts.jsonl"
cooldown = "5m"
""",
    )
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert 'local_domains = ["a.test"]' in lines
    assert "min_messages = 50" in lines
    assert "activity_days = 400  # default" in lines
    assert "port = 8025  # default" in lines
    assert 'cooldown = "5m"' in lines
    assert "max_per_hour = 20  # default" in lines
    resolved = tomllib.loads(result.stdout)
    assert set(resolved) >= {"site", "state", "enrich", "firewall", "web", "kerio_api"}
    assert resolved["kerio_api"]["contain"]["dry_run"] is True
    assert resolved["detectors"]["volume"] == {
        **resolved["detectors"]["volume"],
        "enabled": True,
        "min_messages": 50,
    }
    assert set(resolved["detectors"]) == set(DETECTORS)
    assert resolved["sinks"][0]["type"] == "jsonl"


def test_config_check_rejects_unknown_web_keys(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """``[web]`` is a typed section: a misspelt key is an error, not "configuration OK"."""
    path = write(tmp_path, "[web]\nprot = 8025\n")
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == ExitStatus.CONFIG_ERROR
    assert f"{path}: web.prot: unknown key (valid keys here: host, " in result.stderr


def test_detector_options_keep_their_types(tmp_path: Path) -> None:
    """A whole number written as a float (7.0) fits a whole-number option, a fraction
    (7.9) does not: it is an error, never truncated; other types and unknown options
    name the key."""
    with pytest.raises(ConfigError) as info:
        load_config(
            write(
                tmp_path,
                '[detectors.volume]\nmin_messages = "many"\nbogus = 1\nenabled = "no"\n',
            )
        )
    text = "\n".join(info.value.problems)
    assert "detectors.volume.enabled: expected true or false, got 'no'" in text
    assert "detectors.volume.min_messages: expected a positive whole number, got 'many'" in text
    assert "detectors.volume.bogus: unknown option (valid: enabled, " in text
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "[detectors.volume]\nmin_messages = 7.9\n"))
    assert info.value.problems == [
        f"{tmp_path / 'kerio-watch.toml'}: detectors.volume.min_messages: "
        "expected a positive whole number, got 7.9"
    ]
    config = load_config(write(tmp_path, "[detectors.volume]\nmin_messages = 12.0\n"))
    options = detector_options(config.detectors, _fail)["volume"]
    assert options.min_messages == 12 and isinstance(options.min_messages, int)


def _fail(key: str, message: str) -> None:
    raise AssertionError(f"{key}: {message}")


def test_config_check_validates_web(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """``config check`` validates [web] as serve does, naming file and key."""
    path = write(tmp_path, '[web]\nsecure_cookie = "yes"\n')
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == ExitStatus.CONFIG_ERROR
    assert f"{path}: web.secure_cookie: expected true or false" in result.stderr
    good = write(tmp_path, "[web]\nsecure_cookie = true\n")
    assert cli("config", "check", "--config", str(good)).exit_code == 0


def test_config_check_reports_errors(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """An invalid config exits 3 with the problems on stderr."""
    path = write(tmp_path, "[detectors.nonexistent]\nx = 1\n")
    result = cli("config", "check", "--config", str(path))
    assert result.exit_code == ExitStatus.CONFIG_ERROR
    assert "detectors.nonexistent: unknown detector" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[site]\ndomain_aliases = {"example.net" = 5}\n',
            'site.domain_aliases."example.net": expected a string, got 5',
        ),
        (
            '[site]\ndomain_aliases = {"example.net" = ["example.com"]}\n',
            "site.domain_aliases.\"example.net\": expected a string, got ['example.com']",
        ),
    ],
)
def test_a_wrong_value_inside_a_table_names_its_key(
    tmp_path: Path, cli: Callable[..., Result], text: str, message: str
) -> None:
    """A value of the wrong type inside a table of the configuration is a configuration
    error naming the key (it was an internal error: the placeholder for the invalid
    value reached the code that lower-cases the domains)."""
    result = cli("config", "check", "--config", str(write(tmp_path, text)))
    assert result.exit_code == ExitStatus.CONFIG_ERROR
    assert message in result.stderr
    assert "internal error" not in result.stderr
