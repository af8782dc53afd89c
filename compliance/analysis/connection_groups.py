"""Connections between zones counted by group, straight from the class-level crossings: what an auditor acts on
when there are too many workload pairs to list one by one.

A group is a zone pair and what admits its connections: the policies that select the destination for ingress
(or, for connections to address ranges and for the egress side, those that select the source for egress). Each
group counts its workload connections and those with ports no approved flow covers, and keeps a bounded sample
of pairs (the smallest by source, then destination). Counting works on the crossings' bitsets, one pass over the
member classes, never a value per pair; pairs of workloads whose pods fall in several classes are merged as
`AssessedSystem.connections_between` merges them.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from compliance.analysis.system import AssessedSystem, ZoneConnection
from compliance.netpol import bitsets
from compliance.netpol.ports import NO_PORTS, PortSet, single_protocol
from compliance.netpol.zones import Crossing
from compliance.scope import ApprovedFlow

# Above this many workload connections a check reports groups instead of one finding and row per pair.
GROUPING_LIMIT = 20_000
SAMPLE_PAIRS = 3
GROUP_COLUMNS = ("source_zone", "destination_zone", "admitted_by", "connections", "ports", "unapproved_connections",
                 "unapproved_ports", "approved_flows", "sample")


@dataclass(frozen=True)
class ConnectionGroup:
    """The connections of one zone pair that one set of policies admits: counts, ports, the approved flows that
    cover some of them, and the smallest pairs (unapproved ones when there are any)."""

    source_zone: str
    destination_zone: str
    admitted_by: str
    connections: int
    unapproved_connections: int
    ports: PortSet
    unapproved: PortSet
    flows: tuple[ApprovedFlow, ...]
    sample: tuple[tuple[str, str], ...]

    @property
    def object(self) -> str:
        """How findings and exceptions name the group: `general -> cde: ingress policies ns/a`."""
        return f"{self.source_zone} -> {self.destination_zone}: {self.admitted_by}"

    @property
    def sample_text(self) -> str:
        """The sampled pairs, `a -> b; c -> d`."""
        return "; ".join(f"{source} -> {destination}" for source, destination in self.sample)

    def row(self) -> tuple[str, ...]:
        """The group as a row of GROUP_COLUMNS."""
        return (self.source_zone, self.destination_zone, self.admitted_by, str(self.connections), self.ports.describe(),
                str(self.unapproved_connections), self.unapproved.describe() if self.unapproved else "",
                "; ".join(flow.label for flow in self.flows), self.sample_text)


def smallest(items: Sequence[Any], key: Callable[[Any], Any] | None = None, count: int = SAMPLE_PAIRS) -> list[Any]:
    """The `count` smallest items, ascending."""
    return sorted(items, key=key)[:count] if len(items) <= 64 else heapq.nsmallest(count, items, key)


def kept_smallest(kept: list[tuple[str, str]], found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The SAMPLE_PAIRS smallest of two ascending lists of pairs."""
    if len(kept) == SAMPLE_PAIRS and (not found or found[0] >= kept[-1]):
        return kept
    return sorted((*kept, *found))[:SAMPLE_PAIRS]


@dataclass
class Tally:
    """A group being counted: its connections, their ports and flows, and the smallest pairs seen."""

    connections: int = 0
    unapproved_connections: int = 0
    ports: PortSet = NO_PORTS
    unapproved: PortSet = NO_PORTS
    flows: dict[ApprovedFlow, None] = field(default_factory=dict)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    unapproved_pairs: list[tuple[str, str]] = field(default_factory=list)

    def sample(self, pairs: list[tuple[str, str]], unapproved: PortSet) -> None:
        """Keep the smallest of `pairs` (ascending), among the unapproved ones too when `unapproved`."""
        self.pairs = kept_smallest(self.pairs, pairs)
        if unapproved:
            self.unapproved_pairs = kept_smallest(self.unapproved_pairs, pairs)

    def add(self, count: int, ports: PortSet, unapproved: PortSet, flows: Sequence[ApprovedFlow]) -> None:
        """Count `count` connections on `ports` (uncovered: `unapproved`), with the flows that cover some."""
        self.connections += count
        self.ports = self.ports | ports
        self.flows.update(dict.fromkeys(flows))
        if unapproved:
            self.unapproved_connections += count
            self.unapproved = self.unapproved | unapproved


class Admissions:
    """What admits connections, per class and direction, and which classes hold a workload spread over several
    classes (their pairs are merged one by one)."""

    def __init__(self, system: AssessedSystem) -> None:
        self.system = system

    @cached_property
    def labels(self) -> dict[str, tuple[str, ...]]:
        """Per direction, the text of what admits traffic of each class that way."""
        system = self.system
        reach = system.reach
        found: dict[str, tuple[str, ...]] = {}
        for direction, isolated in (("ingress", reach.isolated_ingress), ("egress", reach.isolated_egress)):
            policies: list[list[str]] = [[] for _ in reach.classes]
            for policy in system.snapshot.policies:
                if policy.isolates_ingress if direction == "ingress" else policy.isolates_egress:
                    for index in bitsets.members(reach.policy_members(policy)):
                        policies[index].append(policy.key)
            tiered: list[list[str]] = [[] for _ in reach.classes]
            for cluster_policy in sorted(system.snapshot.cluster_policies, key=lambda p: p.order):
                for index in bitsets.members(reach.pod_peer_members(cluster_policy.subject)):
                    tiered[index].append(cluster_policy.key)
            texts = []
            for index in range(len(reach.classes)):
                parts = [f"{direction} policies {', '.join(sorted(policies[index]))}" if bitsets.has(isolated, index)
                         else f"not isolated for {direction}"]
                if tiered[index]:
                    parts.append(f"cluster policies {', '.join(tiered[index])}")
                texts.append("; ".join(parts))
            found[direction] = tuple(texts)
        return found

    @cached_property
    def spread(self) -> frozenset[str]:
        """The workloads whose pods fall in several classes."""
        return frozenset(name for name, classes in self.system.classes_of_workload.items() if len(classes) > 1)

    @cached_property
    def spread_classes(self) -> int:
        """Bitset of the classes that hold a spread workload."""
        classes = self.system.classes_of_workload
        return bitsets.from_indices((index for name in self.spread for index in classes[name]),
                                    len(self.system.reach.classes))

    def of_workload(self, direction: str, workload: str) -> str:
        """What admits a workload's traffic: its classes' texts, `; `-joined when they differ."""
        texts = self.labels[direction]
        return "; ".join(dict.fromkeys(texts[index] for index in self.system.classes_of_workload[workload]))


def selected_crossings(system: AssessedSystem, sources: Sequence[str] | None, destinations: Sequence[str] | None,
                       across_only: bool) -> Iterator[Crossing]:
    """The crossings `connections_between` expands for these zones."""
    for crossing in system.crossings:
        if across_only and crossing.source_zone == crossing.destination_zone:
            continue
        if (sources is not None and crossing.source_zone not in sources) or (
                destinations is not None and crossing.destination_zone not in destinations):
            continue
        yield crossing


def connection_count(system: AssessedSystem, sources: Sequence[str] | None, destinations: Sequence[str] | None,
                     across_only: bool = True) -> int:
    """An upper bound of the workload connections `connections_between` would return, from the bitsets alone
    (exact when every class holds one workload and every workload one class)."""
    workloads = system.workloads_of_class
    crowded = {index: len(names) for index, names in enumerate(workloads) if len(names) > 1}
    crowded_bits = bitsets.from_indices(crowded, len(workloads))
    total = 0
    for crossing in selected_crossings(system, sources, destinations, across_only):
        width = 1 if crossing.source_class is None else len(workloads[crossing.source_class])
        if crossing.destinations is None:
            total += width
            continue
        reached = crossing.destinations.bit_count()
        if crossing.destinations & crowded_bits:
            reached += sum(crowded[index] - 1 for index in bitsets.members(crossing.destinations & crowded_bits))
        total += width * reached
    return total


def connection_groups(system: AssessedSystem, sources: Sequence[str] | None, destinations: Sequence[str] | None,
                      across_only: bool = True, side: str = "ingress") -> tuple[ConnectionGroup, ...]:
    """The workload connections `connections_between` returns, grouped by zone pair and by what admits them on
    `side` (ingress: at the destination; egress: at the source; an address range's end takes the other side)."""
    admissions = Admissions(system)
    reach = system.reach
    workloads = system.workloads_of_class
    first_names = [names[0] if names else "" for names in workloads]
    crowded = {index: len(names) for index, names in enumerate(workloads) if len(names) > 1}
    crowded_bits = bitsets.from_indices(crowded, len(workloads))
    spread_bits = admissions.spread_classes
    ingress, egress = admissions.labels["ingress"], admissions.labels["egress"]

    @functools.lru_cache(maxsize=4096)
    def split(bits: int, by_ingress: bool) -> list[tuple[str | None, int, list[int]]]:
        """The destination classes by what admits them at ingress (one part, None, otherwise): (admission, workloads,
        the classes of the smallest names)."""
        grouped: dict[str | None, list[int]] = {}
        for index in bitsets.members(bits):
            grouped.setdefault(ingress[index] if by_ingress else None, []).append(index)
        return [(admitted, len(indices) + (sum(crowded.get(i, 1) - 1 for i in indices) if bits & crowded_bits else 0),
                 smallest(indices, key=first_names.__getitem__, count=SAMPLE_PAIRS + 1))
                for admitted, indices in grouped.items()]

    parts: dict[tuple[PortSet, PortSet, tuple[int, ...]], int] = {}  # (ports, uncovered, flows by id) by number
    flow_sets: dict[tuple[int, ...], tuple[ApprovedFlow, ...]] = {}
    merged: dict[tuple[str, str], ZoneConnection] = {}
    # Sources reaching the same destinations on the same part count together: (zones, destination classes or None,
    # part, the admission when it is the source's, the address range reached) -> [sources, the smallest ones].
    batches: dict[tuple[str, str, int | None, int, str | None, str | None], list[Any]] = {}
    counts: dict[tuple[str, str, str, int], int] = {}  # (zones, admission, part) -> connections
    for crossing in selected_crossings(system, sources, destinations, across_only):
        source_class = crossing.source_class
        spread_source = source_class is not None and bitsets.has(spread_bits, source_class)
        if spread_source or (crossing.destinations or 0) & spread_bits:
            for connection in system.zone_connections(crossing):  # merged pair by pair, as connections_between does
                if spread_source or connection.destination in admissions.spread:
                    key = (connection.source, connection.destination)
                    known = merged.get(key)
                    merged[key] = connection if known is None else known.merged(connection)
            if spread_source:
                continue
        senders = (workloads[source_class] if source_class is not None
                   else (reach.ingress_ranges[crossing.source_range].display,))  # type: ignore[index]
        by_ingress = side == "ingress" or source_class is None
        own = None if source_class is None else egress[source_class]
        for bits, approved, flows in system.approvals(crossing):
            unapproved = crossing.ports - approved
            identity = tuple(map(id, flows))
            flow_sets.setdefault(identity, flows)
            part = parts.setdefault((crossing.ports, unapproved, identity), len(parts))
            batch_key: tuple[str, str, int | None, int, str | None, str | None]
            if bits is None:
                batch_key = (crossing.source_zone, crossing.destination_zone, None, part, own,
                             reach.egress_ranges[crossing.destination_range].display)  # type: ignore[index]
            else:
                bits &= ~spread_bits
                if not bits:
                    continue
                batch_key = (crossing.source_zone, crossing.destination_zone, bits, part, None if by_ingress else own,
                             None)
                if source_class is not None and bitsets.has(bits, source_class):  # no workload reaches itself
                    itself = (crossing.source_zone, crossing.destination_zone,
                              ingress[source_class] if by_ingress else egress[source_class], part)
                    counts[itself] = counts.get(itself, 0) - len(senders)
            batch = batches.get(batch_key)
            if batch is None:
                batches[batch_key] = [len(senders), list(senders[:SAMPLE_PAIRS])]
            else:
                batch[0] += len(senders)
                batch[1] = smallest([*batch[1], *senders[:SAMPLE_PAIRS]])
    described = {number: key for key, number in parts.items()}
    tallies: dict[tuple[str, str, str], Tally] = {}
    for (source_zone, destination_zone, bits, part, fixed, address), (number, senders) in batches.items():
        shares = [(fixed, 1, [])] if bits is None else split(bits, fixed is None)
        for admitted, reached, nearest in shares:
            named = fixed if fixed is not None else admitted
            assert named is not None  # a batch into classes by its source's admission has `fixed`
            group = (source_zone, destination_zone, named)
            counted_key = (source_zone, destination_zone, named, part)
            counts[counted_key] = counts.get(counted_key, 0) + number * reached
            receivers = ([address] if address is not None else
                         smallest([name for index in nearest for name in workloads[index]], count=SAMPLE_PAIRS + 1))
            tally = tallies.get(group)
            if tally is None:
                tally = tallies[group] = Tally()
            tally.sample(smallest([(source, destination) for source in senders for destination in receivers
                                   if source != destination]), described[part][1])
    for (source_zone, destination_zone, named, part), number in counts.items():
        if number:
            ports, unapproved, identity = described[part]
            tallies[(source_zone, destination_zone, named)].add(number, ports, unapproved, flow_sets[identity])
    for (source, destination), connection in sorted(merged.items()):
        toward_source = destination not in system.classes_of_workload or (
            side == "egress" and source in system.classes_of_workload)
        admitted = (admissions.of_workload("egress", source) if toward_source
                    else admissions.of_workload("ingress", destination))
        tally = tallies.setdefault((connection.source_zone, connection.destination_zone, admitted), Tally())
        tally.add(1, connection.ports, connection.unapproved, connection.flows)
        tally.sample([(source, destination)], connection.unapproved)
    order = {zone: index for index, zone in enumerate(system.zones)}
    return tuple(ConnectionGroup(source, destination, admitted, t.connections, t.unapproved_connections, t.ports,
                                 t.unapproved, tuple(t.flows), tuple(t.unapproved_pairs or t.pairs))
                 for (source, destination, admitted), t in sorted(
                     tallies.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][0],
                                                        order.get(item[0][1], len(order)), item[0][1], item[0][2])))


@dataclass
class PortRangeTally:
    """The connections into one zone on one port range: how many, the approved flows they use, how many no
    approved flow covers on that range, and the smallest of those."""

    connections: int = 0
    flows: dict[ApprovedFlow, None] = field(default_factory=dict)
    uncovered: int = 0
    example: tuple[str, str] | None = None


def port_range_counts(system: AssessedSystem, destinations: Sequence[str]
                      ) -> dict[tuple[str, str, int, int], PortRangeTally]:
    """For each (destination zone, protocol, first port, last port) of the connections from other zones into
    `destinations`, counted per pair of pod classes (a workload spread over several classes counts in each)."""
    reach = system.reach
    workloads = system.workloads_of_class
    first_names = [names[0] if names else "" for names in workloads]
    widths = [len(names) for names in workloads]
    crowded_bits = bitsets.from_indices((index for index, width in enumerate(widths) if width > 1), len(widths))
    ranges: dict[tuple[str, int, int], PortSet] = {}
    found: dict[tuple[str, str, int, int], PortRangeTally] = {}
    for crossing in selected_crossings(system, None, destinations, True):
        source_class = crossing.source_class
        senders = (workloads[source_class] if source_class is not None
                   else (reach.ingress_ranges[crossing.source_range].display,))  # type: ignore[index]
        for bits, approved, flows in system.approvals(crossing):
            if bits is None:
                continue  # destinations are workload zones
            reached = bits.bit_count()
            if bits & crowded_bits:
                reached += sum(widths[index] - 1 for index in bitsets.members(bits & crowded_bits))
            number = len(senders) * reached
            if source_class is not None and bitsets.has(bits, source_class):
                number -= len(senders)
            if not number:
                continue
            uncovered_ports = crossing.ports - approved
            example: tuple[str, str] | None = None
            for protocol, low, high in crossing.ports.items():
                tally = found.setdefault((crossing.destination_zone, protocol, low, high), PortRangeTally())
                tally.connections += number
                tally.flows.update(dict.fromkeys(flows))
                if not uncovered_ports & ranges.setdefault((protocol, low, high),
                                                           single_protocol(protocol, ((low, high),))):
                    continue
                tally.uncovered += number
                if tally.example is not None and senders[0] > tally.example[0]:
                    continue  # no pair of this part comes first
                if example is None:
                    nearest = smallest(bitsets.members(bits), key=first_names.__getitem__)
                    receivers = smallest([name for index in nearest for name in workloads[index]])
                    example = min(((source, destination) for source in senders[:SAMPLE_PAIRS]
                                   for destination in receivers if source != destination), default=("", ""))
                if example[0]:
                    tally.example = example if tally.example is None else min(tally.example, example)
    return found
