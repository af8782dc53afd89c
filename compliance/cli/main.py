"""The `segproof` command group: typed errors and click's usage errors rendered once, as one line plus a hint, with
their exit code."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from compliance import __version__
from compliance.errors import SegproofError, UsageError
from compliance.report.formats import visible

# Loading and analysing build millions of small objects and few reference cycles; the default collector
# thresholds spend about a third of the run collecting at 50,000 pods.
COLLECTOR_THRESHOLDS = (100_000, 50, 1000)


@contextmanager
def rendered_errors(ctx: click.Context) -> Iterator[None]:
    """Render a segproof error, or a usage error of click's, as `segproof: error: ...` plus a hint, and exit with
    its code (2 for usage errors); a group called without a command still shows its help."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise
    except click.UsageError as error:
        command = (error.ctx or ctx).command_path
        render(ctx, UsageError(usage_message(error.format_message()), hint=f"see '{command} --help'"))
    except SegproofError as error:
        render(ctx, error)


def usage_message(message: str) -> str:
    """Click's message in segproof's style: lower case first, no final full stop."""
    if message[:2].istitle():
        message = message[0].lower() + message[1:]
    return message[:-1] if message.endswith(".") else message


def render(ctx: click.Context, error: SegproofError) -> None:
    """Print the error and its hint on stderr and exit with its code."""
    click.echo(f"segproof: error: {visible(error.message)}", err=True)
    if error.hint:
        click.echo(f"hint: {visible(error.hint)}", err=True)
    ctx.exit(error.exit_code)


class SegproofGroup(click.Group):
    """A click group that renders segproof's typed errors and click's usage errors, its own and its commands', as
    one line plus a hint, with their exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with rendered_errors(ctx):
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        gc.set_threshold(*COLLECTOR_THRESHOLDS)
        with rendered_errors(ctx):
            return super().invoke(ctx)


@click.group("segproof", cls=SegproofGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segproof")
def main() -> None:
    """Kubernetes network segmentation as audit evidence."""
