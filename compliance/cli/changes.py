"""Commands about changes to the policies: their git history, drift from git, and simulating a change."""

from __future__ import annotations

import sys

import click

from compliance.cli.main import main
from compliance.cli.options import analysis_options, fail_on_option, feedback, git_options, source_options
from compliance.cli.output import echo_output, output_option
from compliance.errors import EXIT_CONTROLS_FAILED, UsageError
from compliance.netpol.options import AnalysisOptions
from compliance.sources.git.source import GitSource
from compliance.workflows.inputs import StateSource


@main.command()
@source_options
@analysis_options
@git_options
@click.option("--since", metavar="DATE", help="Only changes committed on or after DATE (YYYY-MM-DD or RFC 3339).")
@click.option("--until", metavar="DATE", help="Only changes committed on or before DATE.")
@click.option("--scope", "scope_file", metavar="FILE", help="Scope file: its approval rule, and zones for deltas.")
@click.option("--provenance", is_flag=True, help="Show, for each policy, the change that last set its spec.")
@output_option("table", "json", "csv")
def history(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, git: GitSource | None,
            since: str | None, until: str | None, scope_file: str | None, provenance: bool, output: str) -> None:
    """Who changed the policies, when, approved by whom.

    With a cluster source, what each change opened or closed.
    """
    from compliance.report import history_output
    from compliance.workflows.git_evidence import policy_history

    if git is None:
        raise UsageError("history needs --git REPO", hint="point --git at a clone of the policy repository")
    found = policy_history(git, source, scope_file, options, now, since, until, provenance, feedback(quiet))
    if found.provenance is not None:
        records = found.provenance
        render = {"table": history_output.provenance_table, "csv": history_output.provenance_csv}.get(output)
        echo_output(render(records) if render else history_output.provenance_json(found.history.history, records),
                    output)
        return
    render_history = {"table": history_output.history_table, "json": history_output.history_json,
                      "yaml": history_output.history_json, "csv": history_output.history_csv}[output]
    echo_output(render_history(found.history), output)


@main.command()
@source_options
@analysis_options
@git_options
@output_option("text", "json")
@click.option("--fail-on-drift", is_flag=True, help="Exit 1 when the cluster differs from git in effect.")
def drift(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, git: GitSource | None, output: str,
          fail_on_drift: bool) -> None:
    """How the cluster's policies differ from git's.

    Policies only in the cluster, only in git, or different; and whether each difference changes reachability.
    """
    from compliance.report import history_output
    from compliance.workflows.git_evidence import policy_drift

    if git is None:
        raise UsageError("drift needs --git REPO", hint="point --git at a clone of the policy repository")
    found = policy_drift(source, git, options, now, feedback(quiet))
    echo_output((history_output.drift_text if output == "text" else history_output.drift_json)(found), output)
    if fail_on_drift and any(item.semantic for item in found.items):
        sys.exit(EXIT_CONTROLS_FAILED)


@main.command()
@source_options
@analysis_options
@click.option("--proposed", multiple=True, metavar="PATH",
              help="Manifests whose policies (NetworkPolicies, AdminNetworkPolicies...) replace the same-named ones or "
                   "are added (repeatable).")
@click.option("--delete", "deleted", multiple=True, metavar="NS/NAME",
              help="A policy the change deletes: ns/name, or Kind/name for a cluster policy (repeatable).")
@click.option("--git", "git_repository", metavar="REPO", help="Compare the policies of two revisions of this clone.")
@click.option("--base", metavar="REV", help="With --git: the revision before the change (e.g. the target branch).")
@click.option("--head", metavar="REV", help="With --git: the revision with the change.  [default: HEAD]")
@click.option("--path", "git_paths", multiple=True, metavar="SUBDIR", help="With --git: only these directories.")
@click.option("--scope", "scope_file", metavar="FILE", help="Scope file: zones and controls (else connections only).")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="With --scope: framework catalog to evaluate (repeatable; default: all).")
@output_option("text", "json", "markdown")
@click.option("--details", is_flag=True,
              help="In text: every policy, connection, zone path and finding that changes, not only their counts.")
@fail_on_option("Exit 1 when a control would get worse and then fail (or warn).")
def simulate(source: StateSource, now: str, quiet: bool, options: AnalysisOptions, proposed: tuple[str, ...],
             deleted: tuple[str, ...], git_repository: str | None, base: str | None, head: str | None,
             git_paths: tuple[str, ...], scope_file: str | None, frameworks: tuple[str, ...], output: str,
             details: bool, fail_on: str) -> None:
    """What a policy change would do, before it is applied.

    The connections it opens and closes and, with --scope, what it does to the controls.
    """
    from compliance.report import simulate_output
    from compliance.workflows.simulate_change import ProposedChange, simulate_change

    change = ProposedChange(proposed, deleted, git_repository, base, head, git_paths)
    simulation, gate = simulate_change(source, change, options, now, scope_file, frameworks, fail_on,
                                       feedback(quiet))
    if output == "text":
        echo_output(simulate_output.simulation_text(simulation, gate, details), output)
    else:
        render = {"json": simulate_output.simulation_json, "yaml": simulate_output.simulation_json,
                  "markdown": simulate_output.simulation_markdown}[output]
        echo_output(render(simulation, gate), output)
    if gate.failed:
        sys.exit(EXIT_CONTROLS_FAILED)
