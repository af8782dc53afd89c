"""The command line as a newcomer meets it: every command `segproof --help` lists is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click

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

