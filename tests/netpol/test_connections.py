"""Connections one source at a time: the same list, in the same order, as the whole-map computation."""

from __future__ import annotations

import pytest

from compliance.model.objects import LEVELS, NODE_NAMES
from compliance.netpol import bitsets
from compliance.netpol.connections import Connection, certain_parts, connections, iter_connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.netpol.reachability import ReachabilityMap, analyse_snapshot
from tests.netpol.builders import cluster
from tests.netpol.builders import ports as port_set
from tests.netpol.calico_builders import ALLOW, calico_policy, entity, rule, with_calico
from tests.netpol.cases import BASE
from tests.report.builders import guarded_snapshot, sample_snapshot


def whole_map_connections(reach: ReachabilityMap, level: str) -> list[Connection]:
    """The former computation: every pair in one dict, then sorted; the reference the streaming form must equal."""
    name_of = NODE_NAMES[level]
    nodes = [sorted({name_of(pod) for pod in pod_class.pods}) for pod_class in reach.classes]

    def pairs(cells: tuple, egress_external: tuple) -> dict[tuple[str, str], PortSet]:
        table: dict[tuple[str, str], PortSet] = {}
        for source, source_cells in enumerate(cells):
            found = [(bitsets.members(bits), ports) for bits, ports in source_cells]
            for node in nodes[source]:
                for members, ports in found:
                    for name in (name for member in members for name in nodes[member]):
                        table[node, name] = table.get((node, name), NO_PORTS) | ports
                for index, ports in egress_external[source]:
                    key = (node, reach.egress_ranges[index].display)
                    table[key] = table.get(key, NO_PORTS) | ports
        return table

    found = pairs(reach.cells, reach.egress_external)
    for destination, external in enumerate(reach.ingress_external):
        for index, ports in external:
            for node in nodes[destination]:
                key = (reach.ingress_ranges[index].display, node)
                found[key] = found.get(key, NO_PORTS) | ports
    ambiguous: dict[tuple[str, str], PortSet] = {}
    if reach.ambiguity is not None:
        certain = pairs(*certain_parts(reach, reach.ambiguity))
        ambiguous = {key: ports - certain.get(key, NO_PORTS)
                     for key, ports in pairs(reach.ambiguity.cells, reach.ambiguity.egress_external).items()}
    return sorted(Connection(source, destination, ports, ambiguous.get((source, destination), NO_PORTS))
                  for (source, destination), ports in found.items() if source != destination)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("snapshot", [sample_snapshot, guarded_snapshot], ids=["sample", "tiers-with-a-tie"])
def test_streamed_connections_equal_the_whole_map_computation(snapshot, level: str) -> None:
    reach = analyse_snapshot(snapshot(), AnalysisOptions())
    expected = whole_map_connections(reach, level)
    assert list(iter_connections(reach, level)) == expected == connections(reach, level)
    assert any(c.ambiguous for c in expected) == (snapshot is guarded_snapshot)


def test_addresses_reaching_pods_through_an_uncertain_calico_rule_are_ambiguous() -> None:
    snapshot = with_calico(cluster(*BASE), calico_policy(
        "l7", ingress=(rule(ALLOW, entity(nets=["8.8.0.0/16"]), unmodelled=("http",)),), select="app == 'web'"))
    found = {(c.source, c.destination): c for c in connections(analyse_snapshot(snapshot, AnalysisOptions()), "pod")}
    into_web = found[("8.8.0.0-8.8.255.255[External]", "a/web")]
    assert into_web.ports == into_web.ambiguous == port_set("all")
    assert ("0.0.0.0-8.7.255.255[External]", "a/web") not in found
    assert not found[("8.8.0.0-8.8.255.255[External]", "a/db")].ambiguous
