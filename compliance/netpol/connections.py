"""Reachability rolled up to pods, workloads or namespaces, plus external address ranges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from compliance.model.objects import NODE_NAMES
from compliance.netpol import bitsets
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.netpol.reachability import Ambiguity, Cells, ExternalPorts, ReachabilityMap


@dataclass(frozen=True, order=True)
class Connection:
    """Source may reach destination on `ports` (names as in the reachability JSON contract); `ambiguous` are the
    ports of `ports` that equal priorities leave undecided (allowed under one ordering, denied under another);
    `filtered` those only rules with L7 rules allow (None: no rule of the result has L7 rules)."""

    source: str
    destination: str
    ports: PortSet
    ambiguous: PortSet = NO_PORTS
    filtered: PortSet | None = None


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
    return list(iter_connections(reach, level))


def iter_connections(reach: ReachabilityMap, level: str) -> Iterator[Connection]:
    """The connections of `connections`, in the same order, one source at a time: memory stays within what one
    source reaches, so the largest outputs can be written as they are produced."""
    name_of = NODE_NAMES[level]
    nodes = [sorted({name_of(pod) for pod in pod_class.pods}) for pod_class in reach.classes]
    # Every source: a node with the classes of its pods, or an address range with the classes it reaches.
    source_classes: dict[str, list[int]] = {}
    for index, names in enumerate(nodes):
        for name in names:
            source_classes.setdefault(name, []).append(index)
    ingress: dict[str, list[tuple[int, PortSet]]] = {}
    for target, external in enumerate(reach.ingress_external):
        for index, ports in external:
            ingress.setdefault(reach.ingress_ranges[index].display, []).append((target, ports))
    overlays = [(name, overlay, certain_parts(reach, overlay), by_address(reach, overlay))
                for name, overlay in (("ambiguous", reach.ambiguity), ("filtered", reach.filtering))
                if overlay is not None]

    def add(table: dict[str, PortSet], source: str, destination: str, ports: PortSet) -> None:
        if destination != source:
            known = table.get(destination)
            table[destination] = ports if known is None else known | ports

    def add_cells(table: dict[str, PortSet], source: str, classes: list[int], cells: tuple[Cells, ...],
                  egress_external: tuple[ExternalPorts, ...]) -> None:
        for pod_class in classes:
            for bits, ports in cells[pod_class]:
                for target in bitsets.members(bits):
                    for destination_node in nodes[target]:
                        add(table, source, destination_node, ports)
            for index, ports in egress_external[pod_class]:
                add(table, source, reach.egress_ranges[index].display, ports)

    for source in sorted(source_classes.keys() | ingress.keys()):
        classes = source_classes.get(source, [])
        found: dict[str, PortSet] = {}
        add_cells(found, source, classes, reach.cells, reach.egress_external)
        for target, ports in ingress.get(source, ()):
            for destination_node in nodes[target]:
                add(found, source, destination_node, ports)
        # A pair's port is ambiguous (L7-filtered) when it is for some pod pair and no other pod pair of the two allows
        # it for sure (without L7 rules).
        parts: dict[str, dict[str, PortSet]] = {}
        for name, overlay, certain, from_addresses in overlays:
            partial: dict[str, PortSet] = {}
            sure: dict[str, PortSet] = {}
            add_cells(partial, source, classes, overlay.cells, overlay.egress_external)
            add_cells(sure, source, classes, *certain)
            for target, ports in from_addresses.get(source, ()):
                for destination_node in nodes[target]:
                    add(partial, source, destination_node, ports)
            parts[name] = {key: ports - sure.get(key, NO_PORTS) for key, ports in partial.items()}
        ambiguous = parts.get("ambiguous", {})
        filtered = parts.get("filtered")
        for destination in sorted(found):
            yield Connection(source, destination, found[destination], ambiguous.get(destination, NO_PORTS),
                             None if filtered is None else filtered.get(destination, NO_PORTS))


def by_address(reach: ReachabilityMap, overlay: Ambiguity) -> dict[str, list[tuple[int, PortSet]]]:
    """An overlay's ports from address ranges (as sources: only Calico's and Cilium's rules) by range name."""
    found: dict[str, list[tuple[int, PortSet]]] = {}
    for target, external in enumerate(overlay.ingress_external):
        for index, ports in external:
            found.setdefault(reach.ingress_ranges[index].display, []).append((target, ports))
    return found


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
