"""Every check against its case folders: `cases/<check_id>/<status>_<what>/` holds a small cluster.

A case folder holds `cluster.yaml` (manifests), and optionally `scope.yaml` (else the shared
`cases/scope.yaml`), `params.yaml` (the check's parameters), `expect.yaml` (`findings`: the exact
finding objects, sorted; `summary_contains`: a fragment of the summary), `git.yaml` (commits of the
policies' repository, built as a real git repository: history and drift) and `previous.yaml` (the
creation times of earlier packs in the ledger). The folder name's prefix is the status the check must
return: `pass_`, `fail_`, `warning_`, `manual_`, `excepted_`, or `not_applicable_` and `error_` for a check
that has nothing to examine or cannot decide (`error_<zone>_holds_no_workload` when the zones it is asked
about hold no workload).
"""

from __future__ import annotations

import datetime
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.analysis.system import AssessedSystem
from compliance.checks import CHECKS
from compliance.checks.registry import SEVERITIES, CheckResult
from compliance.controls import CheckReference, run_check
from compliance.model.status import Status
from compliance.netpol.options import AnalysisOptions
from compliance.scope import Scope, parse_scope
from compliance.sources.git.source import GitSource
from compliance.sources.manifests import load_manifests
from compliance.workflows.assess import git_evidence

CASES = Path(__file__).parent / "cases"
SHARED_SCOPE = CASES / "scope.yaml"
TODAY = datetime.date(2026, 9, 30)
COLLECTED_AT = "2026-09-30T12:00:00Z"
CASE_FILES = {"cluster.yaml", "scope.yaml", "params.yaml", "expect.yaml", "git.yaml", "previous.yaml"}
EXPECT_KEYS = {"findings", "summary_contains"}


@dataclass(frozen=True)
class Case:
    """One case folder of one check."""

    check: str
    name: str
    path: Path

    @property
    def id(self) -> str:
        """`<check_id>/<case>`, the pytest id."""
        return f"{self.check}/{self.name}"

    @property
    def status(self) -> str | None:
        """The status the folder's prefix names (longest prefix first: `not_applicable_` before others)."""
        return next((s for s in sorted(map(str, Status), key=len, reverse=True) if self.name.startswith(f"{s}_")), None)


def case_folders() -> list[Case]:
    """Every case folder, sorted by check id then case name."""
    return [Case(check.name, case.name, case) for check in sorted(p for p in CASES.iterdir() if p.is_dir())
            for case in sorted(p for p in check.iterdir() if p.is_dir())]


def read_yaml(path: Path, default: Any) -> Any:
    """A YAML file's content, `default` when the file does not exist."""
    if not path.exists():
        return default
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def case_scope(case: Case) -> Scope:
    """The case's own scope, else the shared one."""
    path = case.path / "scope.yaml" if (case.path / "scope.yaml").exists() else SHARED_SCOPE
    return parse_scope(path.read_text(encoding="utf-8"), str(path))


def build_repository(commits: list[dict[str, Any]], root: Path) -> str:
    """A real git repository with the given commits (author, date, message, files: path -> text or null)."""
    def git(*arguments: str, env: dict[str, str] | None = None) -> None:
        subprocess.run(["git", *arguments], cwd=root, check=True, capture_output=True, env=env)

    root.mkdir()
    git("init", "-q", "-b", "main")
    for commit in commits:
        for name, text in commit["files"].items():
            path = root / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        author_name, _, email = commit["author"].partition(" <")
        env = {**os.environ, "GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": email.rstrip(">"),
               "GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": email.rstrip(">"),
               "GIT_AUTHOR_DATE": commit["date"], "GIT_COMMITTER_DATE": commit["date"]}
        git("add", "-A")
        git("-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", commit["message"], env=env)
    return str(root)


def run_case(case: Case, scratch: Path) -> CheckResult:
    """The check's result on the case's cluster, scope, parameters, git history and earlier packs."""
    spec = CHECKS[case.check]
    params = read_yaml(case.path / "params.yaml", None) or {}
    assert isinstance(params, dict), "params.yaml must be a mapping"
    assert set(params) <= set(spec.params), f"{case.check} takes only {spec.params}, not {sorted(params)}"
    snapshot = load_manifests([str(case.path / "cluster.yaml")], COLLECTED_AT)
    # A typo in a kind or apiVersion would silently drop the object and change what the case shows.
    assert (snapshot.skipped, snapshot.warnings) == ({}, ()), "cluster.yaml has objects segproof does not read"
    scope = case_scope(case)
    history = drift = None
    commits = read_yaml(case.path / "git.yaml", None)
    if commits is not None:
        repository = build_repository(commits["commits"], scratch / "repo")
        history, drift = git_evidence(GitSource(repository, "HEAD", ()), snapshot, scope, AnalysisOptions())
    previous = tuple(read_yaml(case.path / "previous.yaml", []))
    system = AssessedSystem(snapshot, scope, AnalysisOptions(), TODAY, history=history, drift=drift,
                            previous=previous)
    return run_check(system, CheckReference(case.check, params, spec.evidence))


@pytest.mark.parametrize("case", case_folders(), ids=lambda case: case.id)
def test_check_case(case: Case, tmp_path: Path) -> None:
    assert case.check in CHECKS, f"{case.check} is not a registered check"
    assert case.status is not None, f"{case.name}: name must start with one of {', '.join(map(str, Status))} and _"
    files = {p.name for p in case.path.iterdir()}
    assert "cluster.yaml" in files and files <= CASE_FILES, f"unexpected files {sorted(files - CASE_FILES)}"
    expect = read_yaml(case.path / "expect.yaml", None) or {}
    assert set(expect) <= EXPECT_KEYS, f"expect.yaml: unknown keys {sorted(set(expect) - EXPECT_KEYS)}"

    result = run_case(case, tmp_path)

    assert (result.status, result.check) == (case.status, case.check), result.summary
    assert result.summary.endswith("."), "a summary is one sentence"
    if case.status in ("pass", "not_applicable", "error"):
        assert result.findings == ()
    if case.status in ("fail", "warning"):
        assert result.findings, "a failing result names what fails"
        assert list(result.findings) == sorted(result.findings, key=lambda f: (f.object, f.message))
        assert {f.severity for f in result.findings} <= set(SEVERITIES)
    if case.status in ("pass", "fail", "warning"):
        assert tuple(table.name for table in result.evidence) == CHECKS[case.check].evidence
    if "findings" in expect:
        assert [finding.object for finding in result.findings] == expect["findings"]
    if "summary_contains" in expect:
        assert expect["summary_contains"] in result.summary


def test_the_shared_scope_has_the_zones_the_cases_rely_on() -> None:
    scope = parse_scope(SHARED_SCOPE.read_text(encoding="utf-8"), str(SHARED_SCOPE))
    assert scope.zone_names == ("cde", "connected", "internet", "out-of-scope")
    assert scope.zone("internet").external
