"""Reachability rolled up to security zones, computed over class bitsets rather than pod pairs."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from compliance.netpol import bitsets
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.netpol.reachability import ReachabilityMap


@dataclass(frozen=True)
class Zoning:
    """The zone of every class and of every external address range of one reachability result."""

    zones: tuple[str, ...]
    classes: tuple[str, ...]
    egress_ranges: tuple[str, ...]
    ingress_ranges: tuple[str, ...]

    def members(self, zone: str) -> int:
        """Bitset of the classes in `zone`."""
        return bitsets.from_indices((i for i, z in enumerate(self.classes) if z == zone), len(self.classes))


@dataclass(frozen=True)
class ZoneMatrix:
    """For each ordered pair of zones, the ports some member of the first may use to reach the second."""

    zones: tuple[str, ...]
    cells: tuple[tuple[tuple[str, str], PortSet], ...]

    def ports(self, source: str, destination: str) -> PortSet:
        """Ports from one zone to another (NO_PORTS when there is no path)."""
        return dict(self.cells).get((source, destination), NO_PORTS)


@dataclass(frozen=True)
class Crossing:
    """Class-level connections from one source (a class, or an address range) into destination classes.

    `source_class` is None for an address range (then `source_range` is its index in ingress_ranges);
    `destinations` is a bitset of classes, or None for an address range `destination_range`.
    """

    source_zone: str
    destination_zone: str
    ports: PortSet
    source_class: int | None = None
    source_range: int | None = None
    destinations: int | None = None
    destination_range: int | None = None


def without_lone_self(reach: ReachabilityMap, source: int, bits: int) -> int:
    """The destination bitset without the source itself when it is a single pod (a pod reaching itself)."""
    if bitsets.has(bits, source) and len(reach.classes[source].pods) == 1:
        return bits & ~(1 << source)
    return bits


def crossings(reach: ReachabilityMap, zoning: Zoning) -> Iterator[Crossing]:
    """Every allowed connection grouped by (source, destination zone): the input of zone-level checks."""
    members = {zone: zoning.members(zone) for zone in zoning.zones}
    for source, cells in enumerate(reach.cells):
        source_zone = zoning.classes[source]
        for bits, ports in cells:
            bits = without_lone_self(reach, source, bits)
            for zone, zone_bits in members.items():
                inside = bits & zone_bits
                if inside:
                    yield Crossing(source_zone, zone, ports, source_class=source, destinations=inside)
        for index, ports in reach.egress_external[source]:
            yield Crossing(source_zone, zoning.egress_ranges[index], ports, source_class=source,
                           destination_range=index)
    for destination, external in enumerate(reach.ingress_external):
        for index, ports in external:
            yield Crossing(zoning.ingress_ranges[index], zoning.classes[destination], ports, source_range=index,
                           destinations=1 << destination)


def zone_matrix(found: Iterable[Crossing], zones: Sequence[str]) -> ZoneMatrix:
    """The zone reachability matrix of the crossings: for every pair of zones, the union of their ports."""
    union: dict[tuple[str, str], PortSet] = {}
    for crossing in found:
        key = (crossing.source_zone, crossing.destination_zone)
        union[key] = union.get(key, NO_PORTS) | crossing.ports
    order = {zone: index for index, zone in enumerate(zones)}
    cells = sorted(union.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][0],
                                                    order.get(item[0][1], len(order)), item[0][1]))
    return ZoneMatrix(tuple(zones), tuple(cells))
