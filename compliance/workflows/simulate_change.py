"""Simulating a policy change before it is applied (`segproof simulate`): proposed manifests and deletions over
the cluster's policies, or two revisions of the policy repository, and the gate's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from compliance.errors import UsageError
from compliance.netpol.options import AnalysisOptions
from compliance.simulate import Simulation, Verdict, policy_key, proposal, revisions, simulate, verdict, with_calico
from compliance.sources.git.revision import read_revision
from compliance.sources.manifests import load_manifests
from compliance.workflows.inputs import (
    QUIET,
    Feedback,
    StateSource,
    chosen_frameworks,
    load_state,
    read_scope,
    run_date,
)


@dataclass(frozen=True)
class ProposedChange:
    """The change to simulate: proposed manifests and deletions (`ns/name`, or `Kind/name` for a cluster policy),
    or a base and head revision of a repository (its `paths` only)."""

    proposed: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    repository: str | None = None
    base: str | None = None
    head: str | None = None
    paths: tuple[str, ...] = ()


def checked_change(change: ProposedChange, scope_file: str | None, frameworks: Sequence[str],
                   fail_on: str) -> ProposedChange:
    """The change if its options go together; a UsageError says which do not."""
    if bool(change.proposed or change.deleted) == bool(change.repository):
        raise UsageError("simulate needs --proposed/--delete or --git, and not both",
                         hint="--proposed FILE for a change in files, --git REPO --base REV [--head REV] for commits")
    if change.repository is None and (change.base or change.head or change.paths):
        raise UsageError("--base, --head and --path go with --git")
    if not scope_file and (frameworks or fail_on != "never"):
        raise UsageError("--framework and --fail-on need --scope", hint="controls are evaluated against a scope")
    if change.repository and not change.base:
        raise UsageError("--git needs --base REV", hint="e.g. --base origin/main, or HEAD^1 on a merge commit")
    return change


def simulate_change(source: StateSource, change: ProposedChange, options: AnalysisOptions, now: str,
                    scope_file: str | None = None, frameworks: Sequence[str] = (), fail_on: str = "never",
                    feedback: Feedback = QUIET) -> tuple[Simulation, Verdict]:
    """What the change would open, close and do to the controls (with a scope), and whether the gate stops it."""
    checked_change(change, scope_file, frameworks, fail_on)
    snapshot = load_state(source, now, feedback)
    if change.repository:
        before, after, labels = revisions(snapshot, read_revision(change.repository, change.base or "", change.paths),
                                          read_revision(change.repository, change.head or "HEAD", change.paths))
    else:
        try:
            keys = [policy_key(text) for text in change.deleted]
        except ValueError as error:
            raise UsageError(f"--delete: {error}") from None
        proposed = load_manifests(change.proposed, now) if change.proposed else None
        before, after, labels = proposal(snapshot, proposed.all_policies if proposed else (), keys, change.proposed)
        if proposed:
            after = with_calico(after, proposed)
    scope = read_scope(scope_file, now) if scope_file else None
    with feedback.stage("simulating"):
        simulation = simulate(before, after, labels, options, run_date(now), scope,
                              chosen_frameworks(frameworks) if scope else ())
    return simulation, verdict(simulation, fail_on)
