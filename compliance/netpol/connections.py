"""Reachability rolled up to pods, workloads or namespaces, plus external address ranges."""

from __future__ import annotations

from dataclasses import dataclass

from compliance.model.objects import NODE_NAMES
from compliance.netpol import bitsets
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.netpol.reachability import ReachabilityMap


@dataclass(frozen=True, order=True)
class Connection:
    """Source may reach destination on `ports` (names as in the reachability JSON contract)."""

    source: str
    destination: str
    ports: PortSet


def connections(reach: ReachabilityMap, level: str) -> list[Connection]:
    """Allowed connections at `level`, sorted; pairs with no port and self pairs are omitted.

    A pair of workloads (namespaces) is connected on the union of the ports between their pods.
    """
    name_of = NODE_NAMES[level]
    nodes = [sorted({name_of(pod) for pod in pod_class.pods}) for pod_class in reach.classes]
    found: dict[tuple[str, str], PortSet] = {}

    def add(source: str, destination: str, ports: PortSet) -> None:
        if source != destination:
            key = (source, destination)
            found[key] = found.get(key, NO_PORTS) | ports

    for source, cells in enumerate(reach.cells):
        for bits, ports in cells:
            for destination in bitsets.members(bits):
                for source_node in nodes[source]:
                    for destination_node in nodes[destination]:
                        add(source_node, destination_node, ports)
        for index, ports in reach.egress_external[source]:
            for source_node in nodes[source]:
                add(source_node, reach.egress_ranges[index].display, ports)
    for destination, external in enumerate(reach.ingress_external):
        for index, ports in external:
            for destination_node in nodes[destination]:
                add(reach.ingress_ranges[index].display, destination_node, ports)
    return sorted(Connection(source, destination, ports) for (source, destination), ports in found.items())
