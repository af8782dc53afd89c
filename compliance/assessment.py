"""An assessment from end to end: a snapshot, a scope, catalogs and git evidence in; results, or a pack, out.

The command line (evaluate, pack, run, history) calls these so that it only parses options and prints.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from compliance.checks.context import CheckContext
from compliance.controls import Assessment, Framework, evaluate_controls
from compliance.model.snapshot import Snapshot
from compliance.netpol.options import AnalysisOptions
from compliance.scope import Scope
from compliance.sources.git_source import GitSource

Progress = Callable[[str, int, int | None], None]
GIT_CACHE = ".git-cache"


def with_deltas(history: Any, snapshot: Snapshot, scope: Scope | None, options: AnalysisOptions,
                progress: Progress | None) -> Any:
    """The history with the connections each change opened and closed on the snapshot's pods (by zone too)."""
    from compliance.netpol.diff import endpoint_zones
    from compliance.sources.git_history import with_reachability

    return with_reachability(
        history, snapshot, options,
        zone_of=endpoint_zones(snapshot.pods, snapshot.topology_labels(), scope) if scope else None,
        address_cuts=scope.address_cuts if scope else (), progress=progress)


def git_evidence(git: GitSource, snapshot: Snapshot, scope: Scope, options: AnalysisOptions,
                 progress: Progress | None) -> tuple[Any, Any]:
    """(the history of the scope's period with reachability deltas, the drift of the cluster from git)."""
    from compliance.sources.drift import drift
    from compliance.sources.git_history import read_history, read_revision

    history = read_history(git.repository, scope.change_approval, git.rev, git.paths,
                           since=scope.period_start.isoformat(), until=scope.period_end.isoformat())
    if git.origin:
        history = replace(history, repository=git.origin)
    history = with_deltas(history, snapshot, scope, options, progress)
    return history, drift(snapshot, read_revision(git.repository, git.rev, git.paths), options)


def assess(snapshot: Snapshot, scope: Scope, options: AnalysisOptions, frameworks: Sequence[Framework], now: str,
           git: GitSource | None = None, progress: Progress | None = None,
           previous: tuple[str, ...] = ()) -> tuple[CheckContext, Assessment]:
    """(context, assessment) of the frameworks on a snapshot, with git evidence and earlier packs when given."""
    history, drift = git_evidence(git, snapshot, scope, options, progress) if git else (None, None)
    context = CheckContext(snapshot, scope, options, datetime.date.fromisoformat(now[:10]), history=history,
                           drift=drift, previous=previous)
    return context, evaluate_controls(context, frameworks)


def assess_and_publish(snapshot: Snapshot, scope: Scope, scope_text: str, options: AnalysisOptions,
                       frameworks: Sequence[Framework], now: str, out: str | Path, git: GitSource | None = None,
                       signer: Any = None, progress: Progress | None = None, make_zip: bool = False,
                       keep: int | None = None, timestamp_url: str | None = None) -> tuple[Any, Assessment]:
    """Assess, then write the pack into the ledger at `out`, chained and with retention: (written pack, assessment).

    `timestamp_url` names an RFC 3161 timestamping authority that dates the pack's signature."""
    from compliance.evidence.build import PackRequest, git_rows, publish
    from compliance.evidence.ledger import read_ledger

    previous = tuple(entry.created_at for entry in read_ledger(out))
    context, assessment = assess(snapshot, scope, options, frameworks, now, git, progress, previous)
    request = PackRequest(scope_text, now, tuple(f.id for f in assessment.frameworks), signer, *git_rows(context),
                          timestamp_url=timestamp_url)
    return publish(context, assessment, request, out, keep=keep, make_zip=make_zip), assessment


def configured_git(config: Any, root: Path, environment: Mapping[str, str]) -> GitSource | None:
    """A run configuration's git source: a local path as it is, or a url fetched into `<root>/.git-cache`."""
    from compliance.run_config import git_token
    from compliance.sources.git_remote import Credentials, fetch_branch

    if config.git is None:
        return None
    if config.git.path:
        return GitSource(config.git.path, config.git.branch or "HEAD", config.git.paths)
    credentials = Credentials(git_token(config.git, environment, config.file), config.git.ssh_key_file)
    fetched = fetch_branch(config.git.url, config.git.branch, root / GIT_CACHE, credentials)
    return GitSource(fetched.repository, fetched.commit, config.git.paths, origin=fetched.url)
