"""`segproof completion SHELL`: a script the shell runs, which asks segproof itself for the completions."""

from __future__ import annotations

import pytest

from tests.support.cli import run


@pytest.mark.parametrize(("shell", "hook"), [
    ("bash", "complete -o nosort -F _segproof_completion segproof"),
    ("zsh", "compdef _segproof_completion segproof"),
    ("fish", "complete --no-files --command segproof"),
])
def test_the_script_of_each_shell_asks_segproof(shell: str, hook: str) -> None:
    code, script, err = run("completion", shell)
    assert (code, err) == (0, "")
    assert f"_SEGPROOF_COMPLETE={shell}_complete" in script and hook in script


def test_an_unknown_shell_is_a_usage_error() -> None:
    code, _, err = run("completion", "powershell")
    assert code == 2 and err.startswith("segproof: error: invalid value for '{bash|zsh|fish}': 'powershell'")
