"""The inputs every workflow starts from: the cluster state from its one source, the scope file, the catalogs,
and how a workflow reports progress and warnings while it runs."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from compliance.errors import EmptyInputError, ScopeError, UnknownNamespaceError, UsageError
from compliance.model.snapshot import Snapshot
from compliance.model.unmodelled import describe_unmodelled

if TYPE_CHECKING:  # the command line imports this module at start-up: what it names is loaded when used
    from compliance.controls import Framework
    from compliance.scope import Scope
    from compliance.sources.cluster import ClusterTarget

Progress = Callable[[str, int, int | None], None]
# A long stage by name: entered when it starts, left when it ends (or fails).
Stages = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class Feedback:
    """Where a workflow reports while it runs: the long stages it goes through (collect, analyse, render, sign...),
    progress within them, and warnings about its inputs."""

    progress: Progress | None = None
    warn: Callable[[str], None] | None = None
    stages: Stages | None = None

    def warning(self, message: str) -> None:
        """Report one warning, when someone listens."""
        if self.warn is not None:
            self.warn(message)

    def stage(self, name: str) -> AbstractContextManager[object]:
        """The stage `name` (a present participle: "analysing"), announced when someone listens."""
        return self.stages(name) if self.stages is not None else nullcontext()


QUIET = Feedback()


@dataclass(frozen=True)
class StateSource:
    """Where the cluster state comes from: manifests, a snapshot file or a live cluster (exactly one), and the
    namespaces to keep (all when empty)."""

    manifests: tuple[str, ...] = ()
    snapshot: str | None = None
    cluster: ClusterTarget | None = None
    namespaces: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        """Whether any source is named."""
        return bool(self.manifests or self.snapshot or self.cluster)

    def name(self, snapshot: Snapshot) -> str:
        """How errors name the input: its files (`<stdin>` for -), else the cluster's API server."""
        files = self.manifests or ((self.snapshot,) if self.snapshot else ())
        if files:
            return ", ".join("<stdin>" if name == "-" else name for name in files)
        return str(snapshot.source.get("server") or "the cluster")


def load_state(source: StateSource, now: str, feedback: Feedback = QUIET) -> Snapshot:
    """The cluster state from the one source given, restricted to its namespaces.

    A source holding no object at all, or a namespace it does not hold, is an error: an empty file, a wrong path
    or a mistyped namespace would otherwise be a cluster where nothing can fail, so every control passes.
    """
    chosen = [name for name, given in (("--manifests", source.manifests), ("--snapshot", source.snapshot),
                                       ("--cluster", source.cluster)) if given]
    if len(chosen) != 1:
        raise UsageError("no cluster state given" if not chosen else f"choose one source, not {' and '.join(chosen)}",
                         hint="pass one of --manifests PATH, --snapshot FILE or --cluster")
    with feedback.stage("collecting the cluster state" if source.cluster else "reading the cluster state"):
        snapshot = read_state(source, now, feedback)
    if snapshot.is_empty:
        found_only = [f"{count} {kind}" if count is not None else kind
                      for kind, count in sorted({**snapshot.skipped, **snapshot.unmodelled}.items())]
        raise EmptyInputError(source.name(snapshot), found_only)
    for warning in snapshot.warnings:
        feedback.warning(warning)
    if snapshot.unmodelled:
        feedback.warning(f"analysis incomplete: {describe_unmodelled(snapshot.unmodelled)} also change reachability "
                         "and are not modelled")
    present = snapshot.namespace_names()
    missing = sorted(set(source.namespaces) - set(present))
    if missing:
        raise UnknownNamespaceError(missing, source.name(snapshot), present)
    return snapshot.restricted_to(source.namespaces)


def read_state(source: StateSource, now: str, feedback: Feedback) -> Snapshot:
    """The snapshot from manifests, a snapshot file or the live cluster, whichever is given."""
    if source.manifests:
        from compliance.sources.manifests import load_manifests
        return load_manifests(source.manifests, now)
    if source.snapshot:
        from compliance.sources.snapshot_file import load_snapshot_file
        return load_snapshot_file(source.snapshot)
    from compliance.sources.cluster import collect_cluster
    assert source.cluster is not None
    return collect_cluster(source.cluster, now, progress=feedback.progress)


def scope_text(path: str) -> str:
    """The scope file's text; an unreadable file is a scope error naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ScopeError(path, "", error.strerror or str(error)) from None


def read_scope(path: str, now: str) -> Scope:
    """The scope file, parsed and validated, a relative period resolved on the day of `now` (the run's clock)."""
    from compliance.scope import parse_scope

    return parse_scope(scope_text(path), path, run_date(now))


def run_date(now: str) -> datetime.date:
    """The day of the run's clock (`now`, canonical UTC)."""
    return datetime.date.fromisoformat(now[:10])


def chosen_frameworks(frameworks: Sequence[str]) -> list[Framework]:
    """The catalogs of the frameworks asked for, every shipped one when none is."""
    from compliance.controls import catalog_files, load_framework

    return [load_framework(framework) for framework in (frameworks or tuple(catalog_files()))]
