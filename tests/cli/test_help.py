"""The command line as a newcomer meets it: every command `segproof --help` lists is documented in the README, with
a summary that fits, every option with its help, YAML wherever JSON is."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from compliance.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def commands(group: click.Group, prefix: str = "") -> list[str]:
    """Every command of a group, subcommands as `group sub`."""
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
        else:
            found.append(f"{prefix}{name}")
    return found


def test_every_command_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name in commands(main) if not re.search(rf"segproof {re.escape(name)}\b", text)]
    assert commands(main) and missing == []



def every_command(group: click.Group) -> list[click.Command]:
    """Every command of a group and of its subgroups, the groups included."""
    found: list[click.Command] = []
    for command in group.commands.values():
        found.append(command)
        if isinstance(command, click.Group):
            found += every_command(command)
    return found


def test_every_option_says_what_it_does() -> None:
    undocumented = [f"{command.name} {param.opts[0]}" for command in every_command(main) for param in command.params
                    if isinstance(param, click.Option) and not param.hidden and not param.help]
    assert undocumented == []


@pytest.mark.parametrize("group", ["", "controls", "keys"])
def test_command_summaries_are_whole_sentences_in_80_columns(group: str) -> None:
    result = CliRunner().invoke(main, [*group.split(), "--help"], env={"COLUMNS": "80"})
    listed = result.stdout.split("Commands:\n")[1].splitlines()
    assert result.exit_code == 0 and listed
    assert [line for line in listed if not line.rstrip().endswith(".") or line.rstrip().endswith("...")] == []


def test_every_command_with_json_output_has_yaml_output() -> None:
    formats = {command.name: param.type.choices for command in every_command(main) for param in command.params
               if param.name == "output" and isinstance(param.type, click.Choice)}
    assert {name for name, choices in formats.items() if "json" in choices} == {
        "reachability", "explain", "evaluate", "history", "drift", "simulate", "diff"}
    assert [name for name, choices in formats.items() if ("json" in choices) != ("yaml" in choices)] == []
