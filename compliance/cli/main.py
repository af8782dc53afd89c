"""The `segproof` command group: typed errors rendered once, as one line plus a hint, with their exit code."""

from __future__ import annotations

import gc
from typing import Any

import click

from compliance import __version__
from compliance.errors import SegproofError
from compliance.report.formats import visible

# Loading and analysing build millions of small objects and few reference cycles; the default collector
# thresholds spend about a third of the run collecting at 50,000 pods.
COLLECTOR_THRESHOLDS = (100_000, 50, 1000)


class SegproofGroup(click.Group):
    """A click group that renders segproof's typed errors as one line plus a hint, with their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        gc.set_threshold(*COLLECTOR_THRESHOLDS)
        try:
            return super().invoke(ctx)
        except SegproofError as error:
            click.echo(f"segproof: error: {visible(error.message)}", err=True)
            if error.hint:
                click.echo(f"hint: {visible(error.hint)}", err=True)
            ctx.exit(error.exit_code)


@click.group(cls=SegproofGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segproof")
def main() -> None:
    """Kubernetes network segmentation as audit evidence."""
