"""The command group: click's usage errors rendered like segproof's own errors, one line plus a hint, exit code 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from compliance.cli import main
from compliance.cli.main import usage_message
from tests.support.cli import run


@pytest.mark.parametrize(("args", "message", "command"), [
    (["--bogus"], "no such option '--bogus'", "segproof"),
    (["reachabilty"], "no such command 'reachabilty'. Did you mean 'reachability'?", "segproof"),
    (["reachability", "--manifest", "x"], "no such option '--manifest'. Did you mean '--manifests'?",
     "segproof reachability"),
    (["reachability", "-o", "xml"],
     "invalid value for '-o' / '--output': 'xml' is not one of 'table', 'json', 'yaml', 'csv'",
     "segproof reachability"),
    (["evaluate", "--manifests", "x"], "missing option '--scope'", "segproof evaluate"),
    (["controls", "shw"], "no such command 'shw'. Did you mean 'show'?", "segproof controls"),
    (["controls", "show", "pci-dss"], "missing argument 'ID'", "segproof controls show"),
    (["reachability", "extra"], "got unexpected extra argument (extra)", "segproof reachability"),
])
def test_usage_errors_are_one_line_and_a_hint(args: list[str], message: str, command: str) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"segproof: error: {message}", f"hint: see '{command} --help'"]


def test_a_group_without_a_command_shows_its_help() -> None:
    result = CliRunner().invoke(main, ["controls"])
    assert result.exit_code == 2 and "Commands:" in result.output and "error" not in result.output


@pytest.mark.parametrize(("message", "expected"), [
    ("No such option '--x'.", "no such option '--x'"),
    ("Got unexpected extra argument (a)", "got unexpected extra argument (a)"),
    ("TLS handshake failed.", "TLS handshake failed"),
])
def test_usage_messages_read_like_segproofs(message: str, expected: str) -> None:
    assert usage_message(message) == expected
