"""Fixtures of the report tests: the sample cluster's report input, with and without git rows."""

from __future__ import annotations

import pytest

from compliance.report.inputs import ReportInput

from .builders import CHANGES, DRIFT, GIT_SOURCE, report_input


@pytest.fixture(scope="session")
def sample() -> ReportInput:
    """The sample cluster and scope, without git history."""
    return report_input()


@pytest.fixture(scope="session")
def sample_with_git() -> ReportInput:
    """The sample with change and drift rows (some with formula-like text)."""
    return report_input(CHANGES, DRIFT, git_source=GIT_SOURCE)
