"""The docs stay true to the code: the config reference, commands, rules and the README."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import click
import pytest

from kerio_watch.app.config import config_from_dict
from kerio_watch.app.reference import reference_markdown
from kerio_watch.cli import main
from kerio_watch.detect import DETECTORS
from kerio_watch.incidents.sharing import RULES as ENGINE_RULES

ROOT = Path(__file__).resolve().parents[1]
DETECTORS_DOC = (ROOT / "docs" / "detectors.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, prefix + name
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, prefix + name + " "))
    return out


def test_configuration_reference_is_generated() -> None:
    """docs/configuration.md is exactly ``kerio-watch config reference``."""
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert text == reference_markdown(), (
        "regenerate with: kerio-watch config reference > docs/configuration.md"
    )


@pytest.mark.parametrize(("name", "command"), _commands(main))
def test_every_command_has_help(name: str, command: click.Command) -> None:
    """Every command and option explains itself."""
    assert command.help, f"{name} has no help"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help or (param.is_flag and param.flag_value), f"{name} {param.opts}"


def test_readme_names_every_command() -> None:
    """The README's command table lists every top-level command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.list_commands(click.Context(main)):
        assert f"`kerio-watch {name}" in readme, name


def test_readme_quick_start_is_what_ci_runs() -> None:
    """.ci/run runs the README's test command, exactly."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n\s*(python3\.11 -m venv[^\n]*)\n\s*```", readme)
    assert len(commands) == 2, commands
    assert "kerio-watch demo" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_every_rule_is_documented() -> None:
    """Each detector documents what fires, why, and its false positives."""
    for cls in DETECTORS.values():
        assert cls.rules, cls
    for rule in [*(r for cls in DETECTORS.values() for r in cls.rules), *ENGINE_RULES]:
        assert rule.id.startswith("kerio."), rule.id
        assert rule.what and rule.why and rule.false_positives, rule.id
        assert f"`{rule.id}`" in DETECTORS_DOC, f"{rule.id} is not in docs/detectors.md"


def test_readme_config_example_is_valid() -> None:
    """The configuration shown in the README loads without errors."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n(\[site\].*?)```", readme, re.S)
    config = config_from_dict(tomllib.loads(example), "README.md")
    assert config.site.office_hours == "Mon-Fri 07:00-19:00"
    assert config.detectors["volume"]["min_messages"] == 30


def test_images_in_the_docs_exist_and_are_small() -> None:
    """Every screenshot a doc shows is committed, and none is heavy."""
    found = 0
    for doc in (ROOT / "docs").glob("*.md"):
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", doc.read_text(encoding="utf-8")):
            path = doc.parent / image
            assert path.exists(), f"{doc.name}: {image}"
            assert path.stat().st_size < 200_000, f"{image}: {path.stat().st_size} bytes"
            found += 1
    assert found >= 6


def test_readme_exit_codes_are_the_programs() -> None:
    """The README's exit code table lists exactly the codes kerio-watch uses."""
    from kerio_watch.exitcodes import ExitStatus  # noqa: PLC0415

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Exit codes") :].split("\n\n")[1]
    codes = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert codes == {int(s) for s in ExitStatus}
