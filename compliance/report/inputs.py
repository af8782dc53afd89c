"""Everything the auditor's report shows, gathered in one value: the assessment, the analysis, the pack's identity.

The report modules (tables, charts, document) read only this value, so a report is a pure function of it.
Git results reach the report as simple rows (`ChangeRow`, `DriftRow`) that the publishing workflow adapts from
the analysis of the history and the drift; the pack's files as anything with a path, a SHA-256 and a size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from compliance.analysis.system import AssessedSystem
from compliance.controls import Assessment


class HashedFile(Protocol):
    """A file of the pack as its appendix lists it."""

    @property
    def path(self) -> str:
        """Its path within the pack."""

    @property
    def sha256(self) -> str:
        """Its SHA-256, lowercase hex."""

    @property
    def size(self) -> int:
        """Its size in bytes."""


@dataclass(frozen=True)
class ChangeRow:
    """One object a commit changed in the policies' git history during the period.

    `change` is added, modified or deleted; `approval` says how it was approved (e.g. `PR #42`,
    `Reviewed-by: Jane Doe`) or why not; `opened`/`closed` count the connections the change opened and
    closed (both 0 when it did not change reachability).
    """

    commit: str
    author: str
    authored_at: str
    object: str
    change: str
    path: str
    approval: str
    approved: bool
    opened: int = 0
    closed: int = 0

    @property
    def changed_reachability(self) -> bool:
        """Whether the change opened or closed some connection."""
        return bool(self.opened or self.closed)


@dataclass(frozen=True)
class DriftRow:
    """One policy that differs between the cluster and git (`object` e.g. `NetworkPolicy ns/name` or
    `AdminNetworkPolicy/name`).

    `state` is unmanaged (only in the cluster), not_applied (only in git) or different; `semantic` says
    whether the difference changes reachability; `detail` says what differs.
    """

    object: str
    state: str
    semantic: bool
    detail: str


@dataclass(frozen=True)
class ReportInput:
    """What the report shows.

    `system` gives the scope, zones, zone matrix, workload connections and snapshot; `assumptions` is
    `AnalysisOptions.of(snapshot)` (with the tiers' assumptions when cluster policies exist); `created_at` is
    RFC 3339 UTC and also dates the PDF.
    `git_source` names the repository and revision the changes and drift come from (e.g.
    `https://git.example.com/netpol.git@1a2b3c4`); None means no git history was given, and the report says so.
    `files` are the pack's files hashed before the PDF is rendered (the PDF cannot list its own hash).
    """

    assessment: Assessment
    system: AssessedSystem
    assumptions: Mapping[str, Any]
    pack_id: str
    created_at: str
    tool_version: str
    signer: str | None = None
    changes: tuple[ChangeRow, ...] = ()
    drift: tuple[DriftRow, ...] = ()
    files: tuple[HashedFile, ...] = ()
    git_source: str | None = None

    @property
    def complete(self) -> bool:
        """Whether the analysis covers every policy kind in the cluster (assumptions `complete`)."""
        return self.assumptions.get("complete", True) is not False

    @property
    def git_given(self) -> bool:
        """Whether git history was given: a git source is named, or some change or drift row exists."""
        return self.git_source is not None or bool(self.changes) or bool(self.drift)
