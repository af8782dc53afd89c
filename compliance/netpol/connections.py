"""Reachability rolled up to pods, workloads or namespaces, plus external address ranges."""

from __future__ import annotations

from dataclasses import dataclass

from compliance.model.objects import NODE_NAMES
from compliance.netpol import bitsets
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.netpol.reachability import Ambiguity, Cells, ExternalPorts, ReachabilityMap


@dataclass(frozen=True, order=True)
class Connection:
    """Source may reach destination on `ports` (names as in the reachability JSON contract); `ambiguous` are the
    ports of `ports` that equal priorities leave undecided (allowed under one ordering, denied under another)."""

    source: str
    destination: str
    ports: PortSet
    ambiguous: PortSet = NO_PORTS


def merged_ambiguity(*parts: tuple[PortSet, PortSet]) -> PortSet:
    """The ambiguous ports of the union of some (ports, ambiguous ports): a port that one part allows whatever the
    order of equal priorities is certainly reachable, however ambiguous it is in another part."""
    ambiguous = certain = NO_PORTS
    for ports, unsure in parts:
        ambiguous = ambiguous | unsure
        certain = certain | (ports - unsure)
    return ambiguous - certain


def connections(reach: ReachabilityMap, level: str) -> list[Connection]:
    """Allowed connections at `level`, sorted; pairs with no port and self pairs are omitted.

    A pair of workloads (namespaces) is connected on the union of the ports between their pods.
    """
    name_of = NODE_NAMES[level]
    nodes = [sorted({name_of(pod) for pod in pod_class.pods}) for pod_class in reach.classes]
    found: dict[tuple[str, str], PortSet] = {}
    ambiguous: dict[tuple[str, str], PortSet] = {}

    def add(table: dict[tuple[str, str], PortSet], source: str, destination: str, ports: PortSet) -> None:
        if source != destination:
            key = (source, destination)
            table[key] = table.get(key, NO_PORTS) | ports

    def add_cells(table: dict[tuple[str, str], PortSet], all_cells: tuple[Cells, ...],
                  egress_external: tuple[ExternalPorts, ...]) -> None:
        for source, cells in enumerate(all_cells):
            for bits, ports in cells:
                for destination in bitsets.members(bits):
                    for source_node in nodes[source]:
                        for destination_node in nodes[destination]:
                            add(table, source_node, destination_node, ports)
            for index, ports in egress_external[source]:
                for source_node in nodes[source]:
                    add(table, source_node, reach.egress_ranges[index].display, ports)

    add_cells(found, reach.cells, reach.egress_external)
    for destination, external in enumerate(reach.ingress_external):
        for index, ports in external:
            for destination_node in nodes[destination]:
                add(found, reach.ingress_ranges[index].display, destination_node, ports)
    if reach.ambiguity is not None:
        # A pair's port is ambiguous when it is for some pod pair and no other pod pair of the two allows it for sure.
        certain: dict[tuple[str, str], PortSet] = {}
        add_cells(ambiguous, reach.ambiguity.cells, reach.ambiguity.egress_external)
        add_cells(certain, *certain_parts(reach, reach.ambiguity))
        ambiguous = {key: ports - certain.get(key, NO_PORTS) for key, ports in ambiguous.items()}
    return sorted(Connection(source, destination, ports, ambiguous.get((source, destination), NO_PORTS))
                  for (source, destination), ports in found.items())


def certain_parts(reach: ReachabilityMap, ambiguity: Ambiguity) -> tuple[tuple[Cells, ...], tuple[ExternalPorts, ...]]:
    """The cells and external ports of `reach` with their ambiguous ports taken out: what is allowed for certain."""
    cells = []
    for source, source_cells in enumerate(reach.cells):
        split: list[tuple[int, PortSet]] = []
        for bits, ports in source_cells:
            rest = bits
            for unsure_bits, unsure in ambiguity.cells[source]:
                if bits & unsure_bits:
                    split.append((bits & unsure_bits, ports - unsure))
                    rest &= ~unsure_bits
            if rest:
                split.append((rest, ports))
        cells.append(tuple(split))
    external = []
    for reached, unsure_ranges in zip(reach.egress_external, ambiguity.egress_external, strict=True):
        by_range = dict(unsure_ranges)
        external.append(tuple((index, ports - by_range.get(index, NO_PORTS)) for index, ports in reached))
    return tuple(cells), tuple(external)
