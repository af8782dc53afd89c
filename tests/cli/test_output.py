"""How commands write their results: `-o yaml` is the `-o json` document as YAML, binary stays off terminals."""

from __future__ import annotations

import json

import click
import pytest
import yaml
from click.testing import CliRunner

from compliance.cli.output import echo_output, output_option, refuse_binary_on_terminal, yaml_text

# Strings YAML 1.1 would read as something else unless they are quoted.
DOCUMENT = {"format": "segproof.test/v1", "zeta": "yes", "alpha": ["no", "on", "1e3", "010", "2026-09-30", "~", ""],
            "nested": {"b": None, "a": True, "count": 3, "ratio": 0.5, "name": "Zürich: CDE # not a comment"}}


def test_yaml_is_the_json_document_with_its_keys_in_order() -> None:
    text = yaml_text(json.loads(json.dumps(DOCUMENT)))
    assert yaml.safe_load(text) == DOCUMENT
    assert list(yaml.safe_load(text)) == ["format", "zeta", "alpha", "nested"]
    assert list(yaml.safe_load(text)["nested"]) == ["b", "a", "count", "ratio", "name"]
    assert text.startswith("format: segproof.test/v1\nzeta: 'yes'\n")


def test_long_strings_stay_on_one_line() -> None:
    summary = "word " * 100
    assert yaml_text({"summary": summary}) == f"summary: '{summary}'\n"


@pytest.mark.parametrize(("formats", "choices"), [
    (("table", "json", "csv"), ["table", "json", "yaml", "csv"]),
    (("text", "svg", "png"), ["text", "svg", "png"]),
])
def test_the_output_option_adds_yaml_beside_json(formats: tuple[str, ...], choices: list[str]) -> None:
    @click.command()
    @output_option(*formats)
    def command(output: str) -> None:
        echo_output(json.dumps(DOCUMENT), output)

    (option,) = command.params
    assert isinstance(option.type, click.Choice)
    assert (list(option.type.choices), option.default, option.help) == (choices, formats[0], "Output format.")
    if "json" in formats:
        assert yaml.safe_load(CliRunner().invoke(command, ["-o", "yaml"]).stdout) == DOCUMENT


def test_a_picture_may_go_to_a_file_or_a_pipe() -> None:
    # CliRunner's stdout is not a terminal: a pipe, as far as the command can tell.
    refuse_binary_on_terminal("png", None)
    refuse_binary_on_terminal("png", "zones.png")
    refuse_binary_on_terminal("svg", None)

