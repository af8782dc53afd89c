"""An unattended run takes its cluster, and how long to wait for it, from the run configuration."""

from __future__ import annotations

from compliance.sources.cluster_target import ClusterTarget, Timeouts
from compliance.workflows.run_config import ClusterSource, RunConfig
from compliance.workflows.run_unattended import configured_source


def test_the_configured_cluster_keeps_its_timeouts() -> None:
    cluster = ClusterSource(kubeconfig="kc", context="prod", timeouts=Timeouts(request=30, collection=600))
    source = configured_source(RunConfig(file="segproof.yaml", scope="scope.yaml", output_root="packs",
                                         cluster=cluster))
    assert source.cluster == ClusterTarget(kubeconfig="kc", context="prod", timeouts=Timeouts(30, 600))
