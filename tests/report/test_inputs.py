"""The report's input value: completeness, git presence and the rows other engineers adapt into it."""

from __future__ import annotations

import dataclasses

from compliance.report.inputs import ChangeRow, DriftRow, ReportInput


def test_completeness_follows_the_assumptions(sample: ReportInput) -> None:
    assert sample.complete
    incomplete = dataclasses.replace(sample, assumptions={**sample.assumptions, "complete": False})
    assert not incomplete.complete


def test_git_given_by_source_or_rows(sample: ReportInput) -> None:
    assert not sample.git_given
    assert dataclasses.replace(sample, git_source="repo@abc").git_given
    drift = DriftRow("NetworkPolicy a/b", "not_applied", False, "only in git")
    assert dataclasses.replace(sample, drift=(drift,)).git_given


def test_change_row_reachability() -> None:
    row = ChangeRow("abc", "A <a@x>", "2026-07-01T00:00:00Z", "NetworkPolicy a/b", "added", "p.yaml", "PR #1", True)
    assert not row.changed_reachability
    assert dataclasses.replace(row, closed=1).changed_reachability
