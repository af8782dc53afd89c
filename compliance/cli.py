"""The `segproof` command line: parse options, call the library, print. Errors are rendered here, once."""

from __future__ import annotations

import datetime
import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from compliance import __version__
from compliance.errors import SegproofError, UsageError
from compliance.model.snapshot import Snapshot

OUTPUTS = {"reachability": ("table", "json", "csv"), "explain": ("text", "json")}


class SegproofGroup(click.Group):
    """A click group that renders segproof's typed errors as one line plus a hint, with their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SegproofError as error:
            click.echo(f"segproof: error: {error.message}", err=True)
            if error.hint:
                click.echo(f"hint: {error.hint}", err=True)
            ctx.exit(error.exit_code)


def utc_now(text: str | None) -> str:
    """The run's clock as RFC 3339 UTC: `--now` when given (for reproducible runs), else the current time."""
    if text is None:
        moment = datetime.datetime.now(datetime.timezone.utc)
    else:
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--now: invalid time {text!r}", hint="use RFC 3339, e.g. 2026-09-30T12:00:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def source_options(command: Callable) -> Callable:
    """Options that choose where the cluster state comes from, passed on as a loaded `snapshot`."""
    @click.option("--manifests", "manifests", multiple=True, metavar="PATH",
                  help="Manifest file or directory (repeatable; - reads stdin).")
    @click.option("--now", "now", metavar="TIME", help="The run's clock (RFC 3339), for reproducible output.")
    @functools.wraps(command)
    def with_snapshot(manifests: tuple[str, ...], now: str | None, **kwargs: Any) -> Any:
        return command(snapshot=load_snapshot(manifests, utc_now(now)), **kwargs)
    return with_snapshot


def load_snapshot(manifests: tuple[str, ...], now: str) -> Snapshot:
    """The snapshot from the chosen source."""
    if not manifests:
        raise UsageError("no cluster state given", hint="pass --manifests PATH")
    from compliance.sources.manifests import load_manifests
    return load_manifests(manifests, now)


def analysis_options(command: Callable) -> Callable:
    """Options for the assumptions CNIs differ on, passed on as `options`."""
    @click.option("--ipblock-selects-pods/--no-ipblock-selects-pods", default=True, show_default=True,
                  help="Whether ipBlock peers also match pods whose IPs they contain.")
    @click.option("--host-network-isolated/--no-host-network-isolated", default=False, show_default=True,
                  help="Whether NetworkPolicies isolate hostNetwork pods like other pods.")
    @functools.wraps(command)
    def with_options(ipblock_selects_pods: bool, host_network_isolated: bool, **kwargs: Any) -> Any:
        from compliance.netpol.options import AnalysisOptions
        return command(options=AnalysisOptions(ipblock_selects_pods, host_network_isolated), **kwargs)
    return with_options


@click.group(cls=SegproofGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segproof")
def main() -> None:
    """Kubernetes network segmentation as audit evidence."""


@main.command()
@source_options
@analysis_options
@click.option("--level", type=click.Choice(("pod", "workload", "namespace")), default="workload", show_default=True)
@click.option("-o", "--output", type=click.Choice(OUTPUTS["reachability"]), default="table", show_default=True)
def reachability(snapshot: Snapshot, options: Any, level: str, output: str) -> None:
    """Who can reach whom, on which ports."""
    from compliance.netpol.connections import connections
    from compliance.netpol.reachability import analyse_snapshot
    from compliance.report import connections_output

    found = connections(analyse_snapshot(snapshot, options), level)
    assumptions = options.assumptions(snapshot.unmodelled)
    if output == "json":
        click.echo(connections_output.connections_json(level, assumptions, found), nl=False)
    elif output == "csv":
        click.echo(connections_output.connections_csv(found), nl=False)
    else:
        click.echo(connections_output.connections_table(found, assumptions), nl=False)
    warn(snapshot)


@main.command()
@click.option("--now", "now", metavar="TIME", help="The run's clock (RFC 3339), for reproducible output.")
def demo(now: str | None) -> None:
    """Analyse the bundled sample cluster (an online shop with a cardholder-data zone)."""
    from compliance.resources import resource_dir

    sample = str(resource_dir("samples") / "cluster")
    click.echo(f"segproof demo: workload reachability of the sample cluster in {sample}\n")
    reachability.callback(manifests=(sample,), now=now, ipblock_selects_pods=True, host_network_isolated=False,
                          level="workload", output="table")


@main.command()
@source_options
@analysis_options
@click.option("--from", "source", required=True, metavar="SRC", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--to", "destination", required=True, metavar="DST", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--port", metavar="PORT", help="Only this port or range, e.g. 443/TCP or 8000-8100/UDP.")
@click.option("-o", "--output", type=click.Choice(OUTPUTS["explain"]), default="text", show_default=True)
def explain(snapshot: Snapshot, options: Any, source: str, destination: str, port: str | None, output: str) -> None:
    """Why SRC may or may not reach DST: the deciding policies and rules."""
    from compliance.netpol.explain import explain as explain_connection
    from compliance.netpol.ports import ALL_PORTS, parse_port_argument
    from compliance.report import explain_output

    try:
        asked = parse_port_argument(port) if port else ALL_PORTS
    except ValueError as error:
        raise UsageError(f"--port: {error}") from None
    explanation = explain_connection(snapshot, source, destination, options, asked)
    render = explain_output.explanation_json if output == "json" else explain_output.explanation_text
    click.echo(render(explanation), nl=False)
    warn(snapshot)


def warn(snapshot: Snapshot) -> None:
    """Print the snapshot's warnings on stderr."""
    for warning in snapshot.warnings:
        click.echo(f"segproof: warning: {warning}", err=True)


if __name__ == "__main__":
    sys.exit(main())
