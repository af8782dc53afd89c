"""The synthetic clusters of the benchmarks: deterministic, of the shapes their docstrings promise."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from benchmarks.generate import SHAPES, Cluster, dense, flat, generate
from compliance.netpol.connections import connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.reachability import analyse_snapshot
from compliance.sources.manifests import load_manifests


def digest(cluster: Cluster) -> str:
    """A hash of a cluster's manifests and live objects."""
    return hashlib.sha256(json.dumps([cluster.manifests, cluster.live]).encode()).hexdigest()


def test_the_default_shape_is_unchanged() -> None:
    assert digest(generate(1000, admin_policies=20)) == \
        "2c995b86be84d4e7ed5c70bc39c4544ea41a819c52b7e4eca2962f9e95c61a17"


def test_the_dense_shape_is_deterministic_and_depends_on_the_seed() -> None:
    assert digest(dense(800)) == digest(SHAPES["dense"](800, 1))
    assert digest(dense(800, seed=2)) != digest(dense(800))


def test_the_dense_shape_has_namespaces_of_fifty_pods_with_three_policies_each() -> None:
    cluster = dense(1005)
    kinds = Counter(o["kind"] for o in cluster.manifests)
    assert cluster.pods == 1005
    assert kinds["Namespace"] == 3 + 20
    assert cluster.policies == 3 * 20
    selected = {json.dumps(o["spec"]["podSelector"], sort_keys=True) for o in cluster.manifests
                if o["kind"] == "NetworkPolicy"}
    assert not any("worker" in selector for selector in selected)


def test_the_flat_shape_is_one_namespace_where_every_pod_reaches_every_other_pod(tmp_path: Path) -> None:
    cluster = flat(120)
    assert cluster.pods == 120 and cluster.policies == 0
    assert {o["metadata"].get("namespace", o["metadata"]["name"]) for o in cluster.live} == {"flat"}
    manifests = tmp_path / "flat.json"
    manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": cluster.manifests}))
    snapshot = load_manifests([str(manifests)], "2026-09-30T12:00:00Z")
    found = connections(analyse_snapshot(snapshot, AnalysisOptions()), "pod")
    assert sum(1 for c in found if "[External]" not in c.source and "[External]" not in c.destination) == 120 * 119
