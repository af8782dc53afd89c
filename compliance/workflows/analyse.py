"""The analysis on its own: who reaches whom (`segproof reachability`), why one endpoint may or may not reach another
(`explain`), the cluster state as a snapshot (`collect`), and the zones of a scope over it (`zones`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from compliance.analysis.system import AssessedSystem
from compliance.model.snapshot import Snapshot
from compliance.netpol.connections import Connection, iter_connections
from compliance.netpol.explain import Explanation, explain
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import PortSet
from compliance.netpol.reachability import analyse_snapshot
from compliance.workflows.inputs import QUIET, Feedback, StateSource, load_state, read_scope, run_date


def reachability(source: StateSource, options: AnalysisOptions, level: str, now: str,
                 feedback: Feedback = QUIET) -> tuple[Callable[[], Iterator[Connection]], dict[str, object]]:
    """The allowed connections at `level`, and the assumptions behind them; the connections come from a function that
    gives them in order, anew at each call, so that the largest results are written as they are produced."""
    snapshot = load_state(source, now, feedback)
    with feedback.stage("analysing"):
        reach = analyse_snapshot(snapshot, options)
    return partial(iter_connections, reach, level), options.of(snapshot)


def explanation(source: StateSource, options: AnalysisOptions, origin: str, target: str, ports: PortSet, now: str,
                feedback: Feedback = QUIET) -> Explanation:
    """Why `origin` may or may not reach `target` on `ports`: the deciding policies and rules."""
    snapshot = load_state(source, now, feedback)
    with feedback.stage("analysing"):
        return explain(snapshot, origin, target, options, ports)


def collect(source: StateSource, now: str, feedback: Feedback = QUIET) -> Snapshot:
    """The cluster state as it would be written to a snapshot file."""
    return load_state(source, now, feedback)


def zoned_system(source: StateSource, scope_file: str, options: AnalysisOptions, now: str,
                 feedback: Feedback = QUIET) -> AssessedSystem:
    """The cluster state with the scope's zones laid over it, as the zone matrix shows it."""
    snapshot = load_state(source, now, feedback)
    return AssessedSystem(snapshot, read_scope(scope_file, now), options, run_date(now))
