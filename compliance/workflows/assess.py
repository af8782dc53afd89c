"""Assessing a cluster: its state, the scope, the catalogs and, with git, the policies' history and drift in; the
assessed system and the controls' results out. Performance and re-performance both come through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from compliance.analysis.drift import Drift, drift
from compliance.analysis.history_effects import AssessedHistory, assess_history, with_reachability
from compliance.analysis.system import AssessedSystem
from compliance.controls import Assessment, Framework, evaluate_controls
from compliance.model.snapshot import Snapshot
from compliance.netpol.diff import endpoint_zones
from compliance.netpol.options import AnalysisOptions
from compliance.scope import Scope
from compliance.sources.git.history import read_history
from compliance.sources.git.revision import read_revision
from compliance.sources.git.source import GitSource
from compliance.workflows.inputs import (
    QUIET,
    Feedback,
    Progress,
    StateSource,
    chosen_frameworks,
    load_state,
    read_scope,
    run_date,
)


@dataclass(frozen=True)
class Evaluation:
    """An assessed system and its controls' results."""

    system: AssessedSystem
    assessment: Assessment


def history_effects(history: AssessedHistory, snapshot: Snapshot, scope: Scope | None, options: AnalysisOptions,
                    progress: Progress | None = None) -> AssessedHistory:
    """The history with the connections each change opened and closed on the snapshot's pods (by zone too)."""
    return with_reachability(
        history, snapshot, options,
        zone_of=endpoint_zones(snapshot.pods, snapshot.topology_labels(), scope) if scope else None,
        address_cuts=scope.address_cuts if scope else (), progress=progress)


def git_evidence(git: GitSource, snapshot: Snapshot, scope: Scope, options: AnalysisOptions,
                 progress: Progress | None = None) -> tuple[AssessedHistory, Drift]:
    """(the history of the scope's period, approved or not and with its reachability deltas; the drift of the
    cluster from git)."""
    history = read_history(git.repository, git.rev, git.paths, since=scope.period_start.isoformat(),
                           until=scope.period_end.isoformat(), cache=git.blob_cache)
    if git.origin:
        history = replace(history, repository=git.origin)
    assessed = history_effects(assess_history(history, scope.change_approval), snapshot, scope, options, progress)
    return assessed, drift(snapshot, read_revision(git.repository, git.rev, git.paths), options)


def assess(snapshot: Snapshot, scope: Scope, options: AnalysisOptions, frameworks: Sequence[Framework], now: str,
           git: GitSource | None = None, progress: Progress | None = None,
           previous: tuple[str, ...] | None = ()) -> Evaluation:
    """The frameworks' controls on a snapshot on the day of `now`, with git evidence and the times of earlier
    packs (`previous`; None when they are not known) when given."""
    history, found = git_evidence(git, snapshot, scope, options, progress) if git else (None, None)
    system = AssessedSystem(snapshot, scope, options, run_date(now), history=history,
                            drift=found, previous=previous)
    return Evaluation(system, evaluate_controls(system, frameworks))


def evaluate(source: StateSource, scope_file: str, frameworks: Sequence[str], options: AnalysisOptions, now: str,
             git: GitSource | None = None, feedback: Feedback = QUIET) -> Evaluation:
    """`segproof evaluate`: the chosen frameworks (all when none) on the cluster state and the scope."""
    snapshot = load_state(source, now, feedback)
    scope, catalogs = read_scope(scope_file, now), chosen_frameworks(frameworks)
    with feedback.stage("evaluating the controls"):
        return assess(snapshot, scope, options, catalogs, now, git, feedback.progress)
