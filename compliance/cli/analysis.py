"""Commands of the analysis: reachability, explain, collect, zones."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from compliance.cli.main import main
from compliance.cli.options import analysis_options, feedback, renamed_option, source_options
from compliance.cli.output import echo_output, output_option, refuse_binary_on_terminal
from compliance.errors import UsageError
from compliance.model.objects import LEVELS
from compliance.netpol.options import AnalysisOptions
from compliance.workflows.inputs import StateSource

if TYPE_CHECKING:  # loaded when a command runs, not when the command line starts
    from compliance.analysis.system import AssessedSystem


@main.command()
@source_options
@analysis_options
@click.option("--level", type=click.Choice(LEVELS), default="workload", show_default=True,
              help="What a connection's ends are: pods, workloads (pods by owner) or namespaces.")
@output_option("table", "json", "csv")
def reachability(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, level: str,
                 output: str) -> None:
    """Who can reach whom, on which ports."""
    from compliance.report import connections_output
    from compliance.workflows.analyse import reachability as reach

    found, assumptions = reach(source, options, level, now, feedback(quiet))
    stdout = click.get_text_stream("stdout")
    if output == "yaml":
        echo_output(connections_output.connections_json(level, assumptions, found()), output)
    elif output == "json":
        connections_output.write_connections_json(stdout, level, assumptions, found())
    elif output == "csv":
        connections_output.write_connections_csv(stdout, found())
    else:
        connections_output.write_connections_table(stdout, found, assumptions)


@main.command()
@source_options
@renamed_option("--out", "out", old=("-o", "--output"), required=True, metavar="FILE",
                help="Where to write the snapshot (- for stdout).")
def collect(source: StateSource, now: str, quiet: bool, out: str) -> None:
    """Write the cluster state as a snapshot file.

    Every other command reads it back with --snapshot FILE.
    """
    from compliance.evidence.files import write_atomically
    from compliance.model.snapshot import snapshot_document
    from compliance.report.formats import json_text
    from compliance.workflows.analyse import collect as collected

    text = json_text(snapshot_document(collected(source, now, feedback(quiet))), flat_below=3)
    if out == "-":
        click.echo(text, nl=False)
    else:
        write_atomically(out, text)


@main.command()
@source_options
@analysis_options
@click.option("--from", "origin", required=True, metavar="SRC", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--to", "target", required=True, metavar="DST", help="ns/pod, ns/workload[Kind] or an IP address.")
@click.option("--port", metavar="PORT", help="Only this port or range, e.g. 443/TCP or 8000-8100/UDP.")
@output_option("text", "json")
def explain(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, origin: str, target: str,
            port: str | None, output: str) -> None:
    """Why SRC may or may not reach DST.

    For each direction: the isolation, and the tiers, policies and rules that decide.
    """
    from compliance.netpol.ports import ALL_PORTS, parse_port_argument
    from compliance.report import explain_output
    from compliance.workflows.analyse import explanation

    try:
        asked = parse_port_argument(port) if port else ALL_PORTS
    except ValueError as error:
        raise UsageError(f"--port: {error}") from None
    found = explanation(source, options, origin, target, asked, now, feedback(quiet))
    render = explain_output.explanation_text if output == "text" else explain_output.explanation_json
    echo_output(render(found), output)


@main.command()
@source_options
@analysis_options
@click.option("--scope", "scope_file", required=True, metavar="FILE", help="The scope file (zones).")
@output_option("text", "svg", "png")
@click.option("--out", "out", metavar="FILE", help="Write the picture here instead of stdout.")
def zones(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, scope_file: str, output: str,
          out: str | None) -> None:
    """The zone x zone matrix of allowed ports.

    The picture of segmentation, as the report shows it.
    """
    from compliance.evidence.files import write_atomically
    from compliance.report import charts
    from compliance.workflows.analyse import zoned_system

    refuse_binary_on_terminal(output, out)
    told = feedback(quiet)
    system = zoned_system(source, scope_file, options, now, told)
    renderers: dict[str, Callable[[AssessedSystem], str | bytes]] = {
        "text": charts.zone_matrix_text, "svg": charts.zone_matrix_svg, "png": charts.zone_matrix_png}
    with told.stage("analysing the zones"):
        picture = renderers[output](system)
    if out:
        write_atomically(out, picture)
    elif isinstance(picture, bytes):
        click.get_binary_stream("stdout").write(picture)
    else:
        click.echo(picture, nl=False)
