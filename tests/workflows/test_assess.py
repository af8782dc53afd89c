"""The assessment workflow: git evidence joins the checks; a published assessment chains into the ledger."""

from __future__ import annotations

from pathlib import Path

from compliance.controls import load_framework
from compliance.evidence.ledger import read_ledger
from compliance.netpol.options import AnalysisOptions
from compliance.resources import resource_dir
from compliance.scope import parse_scope
from compliance.sources.git.source import GitSource
from compliance.sources.manifests import load_manifests
from compliance.workflows.assess import assess
from compliance.workflows.publish import assess_and_publish
from tests.support.renderers import placeholder_report

SAMPLES = resource_dir("samples")
NOW = "2026-03-31T12:00:00Z"


def sample() -> tuple:
    snapshot = load_manifests([str(SAMPLES / "cluster")], NOW)
    text = (SAMPLES / "scope.yaml").read_text()
    return snapshot, parse_scope(text, "scope.yaml"), text


def test_without_git_the_git_checks_are_not_applicable() -> None:
    snapshot, scope, _ = sample()
    found = assess(snapshot, scope, AnalysisOptions(), [load_framework("pci-dss")], NOW)
    system, assessment = found.system, found.assessment
    assert system.history is None and system.drift is None
    assert next(r for r in assessment.controls if r.control.id == "6.5.1").status == "not_applicable"


def test_git_evidence_decides_change_approval_with_zone_deltas(demo_repository: str) -> None:
    snapshot, scope, _ = sample()
    found = assess(snapshot, scope, AnalysisOptions(), [load_framework("pci-dss")], NOW,
                   GitSource(demo_repository, "HEAD", ()))
    assert next(r for r in found.assessment.controls if r.control.id == "6.5.1").status == "fail"
    opening = next(e for e in found.system.history.changes
                   if e.change.commit.subject.startswith("Let the re-tokenization"))
    assert ("out-of-scope", "cde") in [(c.source, c.destination) for c in opening.zones_opened]
    assert {item.status for item in found.system.drift.items} == {"unmanaged", "not-applied", "different"}


def test_published_assessments_chain_and_see_the_earlier_packs(tmp_path: Path) -> None:
    snapshot, scope, text = sample()
    frameworks = [load_framework("pci-dss")]
    for moment in ("2026-03-31T12:00:00Z", "2026-06-30T12:00:00Z"):
        published = assess_and_publish(snapshot, scope, text, AnalysisOptions(), frameworks, moment, tmp_path,
                                       render=placeholder_report)
    assert [entry.created_at for entry in read_ledger(tmp_path)] == ["2026-03-31T12:00:00Z", "2026-06-30T12:00:00Z"]
    review = next(r for r in published.assessment.checks if r.check == "review.periodic")
    assert review.status == "pass"
    assert published.pack.manifest.previous is not None
