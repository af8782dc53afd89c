"""Every malformed input in tests/data/bad/ fails with exit code 2 and one clear error line naming where.

Each YAML file starts with `# expect: <stderr line>` ({file} stands for the path given on the command
line); a JSON file's expectation is the first line of the sibling `<name>.expect`. A line
`# known-bug: <why>` right after the expectation marks a case whose current message is not acceptable
yet: the expectation is the message it should print, and the case is a strict xfail until fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance.cli import main

BAD_INPUTS = Path(__file__).parents[1] / "data" / "bad"
EXPECT = "# expect: "
KNOWN_BUG = "# known-bug: "


@dataclass(frozen=True)
class BadInput:
    """One malformed input file and the error line the CLI must print for it."""

    path: Path
    expected: str
    known_bug: str = ""


def read_case(path: Path) -> BadInput:
    """The expectation recorded in (or next to) a bad input file."""
    if path.suffix == ".json":
        lines = path.with_suffix(".expect").read_text(encoding="utf-8").splitlines()
        expected = lines[0]
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith(EXPECT), f"{path.name}: the first line must be '{EXPECT}<stderr line>'"
        expected = lines[0][len(EXPECT):]
    known_bug = lines[1][len(KNOWN_BUG):] if len(lines) > 1 and lines[1].startswith(KNOWN_BUG) else ""
    return BadInput(path, expected, known_bug)


def bad_cases() -> list[BadInput]:
    """Every case in tests/data/bad/, sorted by file name."""
    files = sorted(p for p in BAD_INPUTS.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    return [read_case(path) for path in files]


CASES = bad_cases()


def cli_runner() -> CliRunner:
    """A runner that keeps stderr apart from stdout (the default from click 8.2; click 8.1 needs asking)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def as_param(case: BadInput) -> pytest.param:
    """A pytest parameter for one case; known bugs are strict xfails so a fix is noticed."""
    marks = [pytest.mark.xfail(reason=case.known_bug, raises=AssertionError, strict=True)] if case.known_bug else []
    return pytest.param(case, id=case.path.name, marks=marks)


@pytest.mark.parametrize("case", [as_param(case) for case in CASES])
def test_bad_input_is_one_clear_error_line(case: BadInput) -> None:
    path = str(case.path)
    result = cli_runner().invoke(main, ["reachability", "--manifests", path])

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    stderr_lines = result.stderr.splitlines()
    assert stderr_lines, "nothing on stderr"
    assert stderr_lines[0] == case.expected.replace("{file}", path)
    assert all(line.startswith("hint: ") for line in stderr_lines[1:]), result.stderr


def test_there_are_enough_bad_inputs() -> None:
    assert len(CASES) >= 20
    assert len([case for case in CASES if not case.known_bug]) >= 20


def test_every_expect_file_belongs_to_a_json_input() -> None:
    orphans = [p.name for p in BAD_INPUTS.glob("*.expect") if not p.with_suffix(".json").exists()]
    assert orphans == []
