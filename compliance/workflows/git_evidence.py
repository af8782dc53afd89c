"""The policies' git repository as evidence on its own: who changed what and whether it was approved (`segproof
history`, optionally with what each change opened and closed on a cluster's pods, or the change behind each current
object), and the drift of a cluster from git (`segproof drift`)."""

from __future__ import annotations

from dataclasses import dataclass

from compliance.analysis.drift import Drift, drift
from compliance.analysis.history_effects import AssessedHistory, Provenance, assess_history, provenance
from compliance.netpol.options import AnalysisOptions
from compliance.scope import ChangeApproval
from compliance.sources.git.history import read_history
from compliance.sources.git.revision import read_revision
from compliance.sources.git.source import GitSource
from compliance.workflows.assess import history_effects
from compliance.workflows.inputs import QUIET, Feedback, StateSource, load_state, read_scope


@dataclass(frozen=True)
class HistoryReport:
    """The history read, its changes' approvals (and deltas, with a cluster), and with `--provenance` the change
    behind each current object."""

    history: AssessedHistory
    provenance: tuple[Provenance, ...] | None = None


def policy_history(git: GitSource, source: StateSource, scope_file: str | None, options: AnalysisOptions, now: str,
                   since: str | None = None, until: str | None = None, with_provenance: bool = False,
                   feedback: Feedback = QUIET) -> HistoryReport:
    """`segproof history`: the changes under the scope's approval rule (the default rule without a scope); with a
    cluster source, the connections each opened and closed on its pods, by zone with a scope."""
    scope = read_scope(scope_file, now) if scope_file else None
    with feedback.stage("reading the git history"):
        found = read_history(git.repository, git.rev, git.paths, since=since, until=until,
                             cache=git.blob_cache)
    assessed = assess_history(found, scope.change_approval if scope else ChangeApproval())
    if with_provenance:
        return HistoryReport(assessed, provenance(assessed))
    if source.given:
        snapshot = load_state(source, now, feedback)
        with feedback.stage("analysing the changes"):
            assessed = history_effects(assessed, snapshot, scope, options, feedback.progress)
    return HistoryReport(assessed)


def policy_drift(source: StateSource, git: GitSource, options: AnalysisOptions, now: str,
                 feedback: Feedback = QUIET) -> Drift:
    """`segproof drift`: the policies only in the cluster, only in git, or different, judged on its pods."""
    snapshot = load_state(source, now, feedback)
    with feedback.stage("comparing with git"):
        return drift(snapshot, read_revision(git.repository, git.rev, git.paths), options)
