"""Shared options: progress of long stages on a terminal only, and old option spellings kept with a warning."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from compliance.cli.options import TerminalProgress, feedback, renamed_option


def test_a_stage_shows_its_progress_then_its_elapsed_time(capsys: pytest.CaptureFixture[str]) -> None:
    terminal = TerminalProgress()
    with terminal.stage("collecting the cluster state"):
        terminal.progress("pods", 500, 1200)
        terminal.warn("services: forbidden")
        terminal.progress("pods", 1200, None)
    lines = capsys.readouterr().err.split("\n")
    assert lines[0] == ("\rcollecting the cluster state...\x1b[K\rcollecting the cluster state: pods 500/1200\x1b[K"
                        "\r\x1b[Ksegproof: warning: services: forbidden")
    stage = "\rcollecting the cluster state"
    assert lines[1].startswith(f"{stage}: pods 500/1200\x1b[K{stage}: pods 1200\x1b[K{stage}: done in ")
    assert lines[1].endswith(" s\x1b[K") and lines[2:] == [""]


def test_a_failing_stage_says_where_it_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    terminal = TerminalProgress()
    with pytest.raises(RuntimeError), terminal.stage("rendering the report"):
        raise RuntimeError
    assert capsys.readouterr().err.startswith("\rrendering the report...\x1b[K\rrendering the report: stopped after ")


def test_off_a_terminal_or_quiet_only_warnings_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    told = feedback(quiet=False)  # pytest's stderr is not a terminal
    assert (told.progress, told.stages) == (None, None)
    with told.stage("analysing"):
        told.warning("analysis incomplete")
    feedback(quiet=True).warning("not shown")
    assert capsys.readouterr().err == "segproof: warning: analysis incomplete\n"


@click.command("collect")
@renamed_option("--out", "out", old=("-o", "--output"), required=True, metavar="FILE", help="Where to write.")
def collect(out: str) -> None:
    click.echo(out)


@pytest.mark.parametrize("spelling", ["-o", "--output"])
def test_an_old_spelling_still_works_and_warns_once(spelling: str) -> None:
    result = CliRunner().invoke(collect, [spelling, "snapshot.json"])
    assert (result.exit_code, result.stdout) == (0, "snapshot.json\n")
    assert result.stderr == "segproof: warning: collect -o/--output is deprecated, use --out\n"


def test_the_new_spelling_wins_and_stays_required() -> None:
    result = CliRunner().invoke(collect, ["--out", "new.json", "-o", "old.json"])
    assert result.stdout == "new.json\n"
    assert CliRunner().invoke(collect, ["--out", "new.json"]).stderr == ""
    missing = CliRunner().invoke(collect, [])
    assert missing.exit_code == 2 and "Missing option '--out'" in missing.stderr
    assert "--output" not in CliRunner().invoke(collect, ["--help"]).stdout
