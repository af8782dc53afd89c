"""Publishing a pack: the long stages it goes through are announced, in order, to whoever listens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compliance.netpol.options import AnalysisOptions
from compliance.resources import resource_dir
from compliance.workflows.inputs import Feedback, StateSource
from compliance.workflows.publish import load_signing, publish_assessment
from tests.support.renderers import placeholder_report

SAMPLES = resource_dir("samples")


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
