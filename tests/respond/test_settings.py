"""[kerio_api]: validation, the password sources, masking, the reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kerio_watch.app.config import config_from_dict
from kerio_watch.app.show import config_as_dict
from kerio_watch.errors import ConfigError
from kerio_watch.respond.settings import ApiConfigError, normalize_fingerprint, read_password


def load(section: dict[str, Any]) -> Any:
    return config_from_dict({"kerio_api": section}, "kw.toml").kerio_api


def problems(section: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(section)
    return caught.value.problems


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "pw"
    path.write_text("p4ss\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def test_off_by_default() -> None:
    api = config_from_dict({}).kerio_api
    assert not api.enabled and not api.contain.actions and api.contain.dry_run


def test_a_complete_section(secret: Path) -> None:
    api = load(
        {
            "server": "mail.example.com",
            "username": "admin",
            "password_file": str(secret),
            "fingerprint": "AB:" * 31 + "CD",
            "contain": {"actions": {"high": ["block_ip"], "critical": ["stop_sending"]}},
        }
    )
    assert api.url == "https://mail.example.com:4040/admin/api/jsonrpc/"
    assert api.fingerprint == "ab" * 31 + "cd"
    assert api.contain_actions("medium") == ()
    assert api.contain_actions("high") == ("block_ip",)
    assert api.contain_actions("critical") == ("stop_sending", "block_ip")
    assert read_password(api) == "p4ss"


def test_every_problem_names_its_key(tmp_path: Path, secret: Path) -> None:
    loose = tmp_path / "loose"
    loose.write_text("x")
    loose.chmod(0o644)
    found = problems(
        {
            "server": "m",
            "password_file": str(loose),
            "fingerprint": "12:34",
            "queue_fields": {"colour": "c"},
            "poll_seconds": 0,
            "contain": {
                "actions": {"urgent": ["nuke"]},
                "stop_sending": "melt",
                "max_per_hour": -1,
            },
        }
    )
    text = "\n".join(found)
    for key in (
        "kerio_api.username",
        "kerio_api.fingerprint",
        "kerio_api.queue_fields.colour",
        "kerio_api.poll_seconds",
        "kerio_api.contain.actions.urgent",
        "kerio_api.contain.stop_sending",
        "kerio_api.contain.max_per_hour",
    ):
        assert f"kw.toml: {key}:" in text, key
    assert "readable by others (mode 644)" in text and "chmod 600" in text
    assert any("unknown action 'nuke'" in p for p in found)


def test_exactly_one_password_source(secret: Path) -> None:
    both = problems(
        {"server": "m", "username": "a", "password_env": "X", "password_file": str(secret)}
    )
    assert any("exactly one of password_env and password_file" in p for p in both)


def test_containment_needs_the_api() -> None:
    found = problems({"contain": {"actions": {"critical": ["stop_sending"]}}})
    assert any("containment needs the API" in p for p in found)


def test_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    api = load({"server": "m", "username": "a", "password_env": "KW_TEST_PW"})
    monkeypatch.delenv("KW_TEST_PW", raising=False)
    with pytest.raises(ApiConfigError, match="KW_TEST_PW is not set"):
        read_password(api)
    monkeypatch.setenv("KW_TEST_PW", "from-env")
    assert read_password(api) == "from-env"


def test_a_password_file_made_readable_later_is_refused(secret: Path) -> None:
    api = load({"server": "m", "username": "a", "password_file": str(secret)})
    secret.chmod(0o640)
    with pytest.raises(ApiConfigError, match="readable by others"):
        read_password(api)


def test_the_password_never_shows_in_config_check(secret: Path) -> None:
    config = config_from_dict(
        {"kerio_api": {"server": "m", "username": "a", "password_file": str(secret)}}
    )
    assert "p4ss" not in repr(config_as_dict(config))


@pytest.mark.parametrize("text", ["", "xyz", "ab" * 31, "sha1:" + "ab" * 32])
def test_bad_fingerprints(text: str) -> None:
    assert normalize_fingerprint(text) is None
