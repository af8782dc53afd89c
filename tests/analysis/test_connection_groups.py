"""Connections grouped by zone pair and admitting policies: the same connections as `connections_between`, and
memory that stays bounded while the workload pairs grow."""

from __future__ import annotations

import datetime
import json
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.generate import dense
from compliance.analysis.connection_groups import (
    GROUPING_LIMIT,
    connection_count,
    connection_groups,
    port_range_counts,
)
from compliance.analysis.system import AssessedSystem
from compliance.checks.segmentation import all_flows_approved, outbound_restricted, zones_isolated
from compliance.model.status import Status
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import single_protocol
from compliance.scope import parse_scope
from compliance.sources.manifests import load_manifests

ROOT = Path(__file__).resolve().parents[2]
BENCHMARK_SCOPE = ROOT / "benchmarks" / "scope.yaml"
SAMPLE_SCOPE = ROOT / "samples" / "scope.yaml"
TODAY = datetime.date(2026, 9, 30)


def system_of(manifests: list[str], scope: Path) -> AssessedSystem:
    """The assessed system of manifest files and a scope file."""
    return AssessedSystem(load_manifests(manifests, "2026-09-30T12:00:00Z"),
                          parse_scope(scope.read_text(), str(scope)), AnalysisOptions(), TODAY)


def dense_system(pods: int, directory: Path) -> AssessedSystem:
    """The benchmarks' dense cluster of `pods` pods, written as a JSON List, with the benchmarks' scope."""
    path = directory / f"dense-{pods}.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": dense(pods).manifests}))
    return system_of([str(path)], BENCHMARK_SCOPE)


@pytest.fixture(scope="module")
def dense_10k(tmp_path_factory: pytest.TempPathFactory) -> AssessedSystem:
    return dense_system(10_000, tmp_path_factory.mktemp("dense"))


def tallied(system: AssessedSystem, sources: tuple[str, ...] | None, destinations: tuple[str, ...] | None,
            across_only: bool, side: str) -> tuple[Counter, Counter, Counter, Counter]:
    """Connections and unapproved ones per zone pair, from the groups and from the pairs."""
    groups, pairs = Counter(), Counter()
    grouped_unapproved, pair_unapproved = Counter(), Counter()
    for group in connection_groups(system, sources, destinations, across_only, side):
        groups[(group.source_zone, group.destination_zone)] += group.connections
        grouped_unapproved[(group.source_zone, group.destination_zone)] += group.unapproved_connections
    for connection in system.connections_between(sources, destinations, across_only):
        pairs[(connection.source_zone, connection.destination_zone)] += 1
        pair_unapproved[(connection.source_zone, connection.destination_zone)] += bool(connection.unapproved)
    return groups, pairs, grouped_unapproved, pair_unapproved


SELECTIONS = [(None, None, True), (None, ("cde",), True), (("cde",), None, True), (None, None, False)]


@pytest.mark.parametrize("side", ["ingress", "egress"])
@pytest.mark.parametrize(("sources", "destinations", "across_only"), SELECTIONS)
def test_groups_count_the_connections_of_the_samples(sources, destinations, across_only, side) -> None:
    # The Calico sample has workloads whose pods fall in several classes: their pairs are merged one by one.
    system = system_of([str(ROOT / "samples" / "cluster"), str(ROOT / "samples" / "cluster-calico")], SAMPLE_SCOPE)
    groups, pairs, grouped_unapproved, pair_unapproved = tallied(system, sources, destinations, across_only, side)
    assert groups == pairs and grouped_unapproved == pair_unapproved
    assert connection_count(system, sources, destinations, across_only) >= sum(pairs.values())


@pytest.mark.parametrize(("sources", "destinations", "across_only"), SELECTIONS)
def test_groups_count_the_connections_of_a_dense_cluster(dense_10k, sources, destinations, across_only) -> None:
    groups, pairs, grouped_unapproved, pair_unapproved = tallied(dense_10k, sources, destinations, across_only,
                                                                 "ingress")
    assert groups == pairs and grouped_unapproved == pair_unapproved


def test_a_group_samples_its_smallest_unapproved_pairs(dense_10k) -> None:
    unapproved = [c for c in dense_10k.connections_between(None, ("cde",)) if c.unapproved]
    groups = connection_groups(dense_10k, None, ("cde",))
    for group in groups[:5]:
        members = sorted((c.source, c.destination) for c in unapproved
                         if (c.source_zone, c.destination_zone) == (group.source_zone, group.destination_zone)
                         and dense_10k.classes_of_workload.get(c.destination) is not None
                         and group.admitted_by.startswith(("ingress", "not isolated")))
        assert set(group.sample) <= set(members)
    assert all(len(group.sample) <= 3 for group in groups)


def test_above_the_limit_findings_are_groups(dense_10k) -> None:
    outcome = all_flows_approved(dense_10k)
    total = len(dense_10k.connections_between(None, None))
    assert total > GROUPING_LIMIT
    assert outcome.status is Status.FAIL
    assert 0 < len(outcome.findings) < total / 20
    assert all(" -> " in f.object and ": " in f.object and "e.g." in f.message for f in outcome.findings)
    assert f"of {total} connections between zones are not covered" in outcome.summary
    table = outcome.evidence[1]
    assert table.name == "zone_connections" and table.columns[:3] == ("source_zone", "destination_zone",
                                                                      "admitted_by")
    assert sum(int(row[3]) for row in table.rows) == total
    assert outbound_restricted(dense_10k, ["cde"]).findings  # below the limit: one finding per pair
    assert len(outbound_restricted(dense_10k, ["cde"]).findings) == sum(
        1 for c in dense_10k.connections_between(("cde",), None) if c.unapproved)


def check_peak(system: AssessedSystem) -> tuple[int, int]:
    """The traced peak of allocations while the grouping checks run (the shared analyses computed before), and
    the workload connections they examine."""
    _ = system.crossings, system.flow_members, system.classes_of_workload
    tracemalloc.start()
    all_flows_approved(system)
    zones_isolated(system, **{"from": ["*", "-cde", "-connected"], "to": ["cde"]})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, connection_count(system, None, None)


def test_findings_memory_stays_bounded_as_pairs_grow(tmp_path: Path) -> None:
    small_peak, small_pairs = check_peak(dense_system(12_000, tmp_path))
    large_peak, large_pairs = check_peak(dense_system(36_000, tmp_path))
    assert large_pairs > 7 * small_pairs  # pairs grow as the square of the cluster
    assert large_peak < 3.5 * small_peak  # findings and evidence as the zone pairs and policies


def test_port_ranges_are_counted_as_the_pairs_count_them(dense_10k) -> None:
    # Every workload of the dense cluster is one class of its own: counts per class pair are counts per pair.
    connections = dense_10k.connections_between(None, ("cde", "connected"))
    expected: dict[tuple[str, str, int, int], list[int]] = {}
    examples: dict[tuple[str, str, int, int], tuple[str, str]] = {}
    for c in connections:
        for protocol, low, high in c.ports.items():
            key = (c.destination_zone, protocol, low, high)
            entry = expected.setdefault(key, [0, 0])
            entry[0] += 1
            if c.unapproved & single_protocol(protocol, ((low, high),)):
                entry[1] += 1
                examples[key] = min(examples.get(key, (c.source, c.destination)), (c.source, c.destination))
    counted = port_range_counts(dense_10k, ("cde", "connected"))
    assert {key: [t.connections, t.uncovered] for key, t in counted.items()} == expected
    assert {key: t.example for key, t in counted.items() if t.example} == examples
