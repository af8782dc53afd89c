"""Publishing an assessment: the long stages it goes through are announced in order, and a relative period is
resolved on the run's clock and, when the pack is re-performed, on the pack's clock, never on the day of the
re-performance."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compliance.netpol.options import AnalysisOptions
from compliance.resources import resource_dir
from compliance.sources.git.source import GitSource
from compliance.workflows.inputs import Feedback, StateSource
from compliance.workflows.publish import load_signing, publish_assessment
from compliance.workflows.reperform import reperform
from tests.support.renderers import placeholder_report

SAMPLES = resource_dir("samples")
NOW = "2026-03-31T12:00:00Z"  # in the quarter the sample's dates name: 2026-01-01..2026-03-31


def test_a_relative_period_assesses_the_quarter_of_the_run_and_reperforms_on_the_pack_clock(
        tmp_path: Path, demo_repository: str) -> None:
    scope = tmp_path / "scope.yaml"
    scope.write_text((SAMPLES / "scope.yaml").read_text().replace("period: {start: 2026-01-01, end: 2026-03-31}",
                                                                  "period: {quarter: current}"))
    packs = {}
    for name, scope_file in (("dates", SAMPLES / "scope.yaml"), ("relative", scope)):
        published = publish_assessment(StateSource(manifests=(str(SAMPLES / "cluster"),)), str(scope_file),
                                       ("pci-dss-4.0.1",), AnalysisOptions(), NOW, str(tmp_path / name),
                                       git=GitSource(demo_repository, "HEAD", ()), render=placeholder_report)
        system = published.evaluation.system
        assert (system.scope.period_start, system.scope.period_end) == (datetime.date(2026, 1, 1),
                                                                        datetime.date(2026, 3, 31))
        packs[name] = published.pack.path
    controls = {name: (path / "data" / "controls.csv").read_text() for name, path in packs.items()}
    assert controls["relative"] == controls["dates"]
    again = reperform(packs["relative"], demo_repository, previous=())
    assert again.problems == () and again.set_aside == ()


def test_a_signed_pack_announces_each_stage(tmp_path: Path, keys: tuple[str, str]) -> None:
    stages: list[str] = []

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        stages.append(name)
        yield
        stages.append(f"{name}: done")

    publish_assessment(StateSource(manifests=(str(SAMPLES / "cluster"),)), str(SAMPLES / "scope.yaml"),
                       ("pci-dss",), AnalysisOptions(), "2026-09-30T12:00:00Z", str(tmp_path),
                       load_signing(*keys), feedback=Feedback(stages=stage), render=placeholder_report)
    assert stages == [f"{name}{end}" for name in ("reading the cluster state", "evaluating the controls",
                                                  "rendering the report", "signing and writing the pack")
                      for end in ("", ": done")]
