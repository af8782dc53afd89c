"""`segproof completion SHELL`: the script that makes a shell complete segproof's commands, options and choices."""

from __future__ import annotations

import click

from compliance.cli.main import main

SHELLS = ("bash", "zsh", "fish")
# The variable click's completion protocol reads; the script sets it when it asks segproof for completions.
COMPLETE_VARIABLE = "_SEGPROOF_COMPLETE"


@main.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    bash: eval "$(segproof completion bash)"   (in ~/.bashrc; bash 4.4 or later)
    zsh:  eval "$(segproof completion zsh)"    (in ~/.zshrc)
    fish: segproof completion fish > ~/.config/fish/completions/segproof.fish
    """
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)
    assert script is not None  # every shell of SHELLS is one click supports
    click.echo(script(main, {}, "segproof", COMPLETE_VARIABLE).source(), nl=False)
