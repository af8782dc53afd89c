"""The segmentation picture the report, the CSVs and the zone chart share: zone pairs, approved flows in use,
unapproved cross-zone connections, and the headline verdicts in plain words.

The CDE is not a keyword of the scope file: a zone is taken as part of the cardholder data environment
when its name is `cde` (or starts or ends with `cde-`/`-cde`) or its description says "cardholder data".
"Out-of-scope" zones are those with no approved flow into the CDE: any path from them into the CDE
contradicts the scope's own segmentation claims. Paths are those of the full model (NetworkPolicies and the
cluster policies' tiers); ports that equal priorities leave ambiguous count as paths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from compliance.analysis.system import AssessedSystem, ZoneConnection
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.scope import UNZONED_EXTERNAL, ApprovedFlow, Scope
from compliance.wording import counted, every

CDE_NAME = re.compile(r"(^|[-_.])cde($|[-_.])", re.IGNORECASE)
CDE_DESCRIPTION = re.compile(r"cardholder[ -]data", re.IGNORECASE)


def cde_zones(scope: Scope) -> tuple[str, ...]:
    """The zones holding the cardholder data environment, recognised by name or description."""
    return tuple(zone.name for zone in scope.zones
                 if CDE_NAME.search(zone.name) or CDE_DESCRIPTION.search(zone.description))


@dataclass(frozen=True)
class ZonePair:
    """What flows from one zone to another: every port, the ports no approved flow covers, and how many connections."""

    source: str
    destination: str
    ports: PortSet
    unapproved: PortSet
    connections: int
    unapproved_connections: int
    into_cde: bool

    @property
    def path(self) -> bool:
        """Whether any member of the source zone reaches any member of the destination zone."""
        return bool(self.ports)

    @property
    def same_zone(self) -> bool:
        """Whether the pair is a zone with itself (no approval is required inside a zone)."""
        return self.source == self.destination

    @property
    def state(self) -> str:
        """none, same_zone, approved or unapproved."""
        if not self.ports:
            return "none"
        if self.same_zone:
            return "same_zone"
        return "unapproved" if self.unapproved else "approved"


@dataclass(frozen=True)
class FlowUse:
    """An approved flow of the scope and the workload connections that use it."""

    number: int
    flow: ApprovedFlow
    connections: int

    @property
    def used(self) -> bool:
        """Whether some actual connection uses the flow's ports."""
        return self.connections > 0


@dataclass(frozen=True)
class Verdict:
    """One headline statement: `tone` is good, bad or neutral."""

    tone: str
    text: str
    detail: str = ""


@dataclass(frozen=True)
class ZoneFlows:
    """Connections between workloads (and address ranges) with their zones, rolled up for the report."""

    zones: tuple[str, ...]
    external: frozenset[str]
    cde: tuple[str, ...]
    connections: tuple[ZoneConnection, ...]
    pairs: tuple[ZonePair, ...]
    flow_uses: tuple[FlowUse, ...]

    def pair(self, source: str, destination: str) -> ZonePair:
        """The pair from one zone to another."""
        return self.pair_index[(source, destination)]

    @cached_property
    def pair_index(self) -> dict[tuple[str, str], ZonePair]:
        """Pairs by (source, destination)."""
        return {(p.source, p.destination): p for p in self.pairs}

    @cached_property
    def cross_zone(self) -> tuple[ZoneConnection, ...]:
        """Connections between different zones."""
        return tuple(c for c in self.connections if c.source_zone != c.destination_zone)

    @cached_property
    def unapproved(self) -> tuple[ZoneConnection, ...]:
        """Cross-zone connections with ports no approved flow covers, those into the CDE first."""
        order = {zone: index for index, zone in enumerate(self.zones)}
        found = [c for c in self.cross_zone if c.unapproved]
        return tuple(sorted(found, key=lambda c: (c.destination_zone not in self.cde,
                                                  order.get(c.destination_zone, len(order)),
                                                  order.get(c.source_zone, len(order)), c.destination, c.source)))

    @property
    def out_of_scope(self) -> tuple[str, ...]:
        """Zones with no approved flow into the CDE (and not in it)."""
        return tuple(zone for zone in self.zones if zone not in self.cde and zone not in self.cde_access)

    @property
    def cde_access(self) -> frozenset[str]:
        """Zones some approved flow allows into the CDE."""
        return frozenset(use.flow.source.zone for use in self.flow_uses if use.flow.destination.zone in self.cde)


def zone_flows(system: AssessedSystem) -> ZoneFlows:
    """The report's segmentation picture for one analysis."""
    scope = system.scope
    connections = tuple(system.connections_between(None, None, across_only=False))
    cde = cde_zones(scope)
    matrix = system.matrix
    used = {key for key, _ in matrix.cells}
    zones = tuple(zone for zone in system.zones
                  if zone != UNZONED_EXTERNAL or any(UNZONED_EXTERNAL in key for key in used))
    external = frozenset(z.name for z in scope.zones if z.external) | {UNZONED_EXTERNAL}
    grouped: dict[tuple[str, str], list[ZoneConnection]] = {}
    for connection in connections:
        grouped.setdefault((connection.source_zone, connection.destination_zone), []).append(connection)
    pairs = []
    for source in zones:
        for destination in zones:
            found = grouped.get((source, destination), [])
            unapproved = NO_PORTS
            if source != destination:
                for connection in found:
                    unapproved = unapproved | connection.unapproved
            pairs.append(ZonePair(source, destination, matrix.ports(source, destination), unapproved, len(found),
                                  sum(1 for c in found if c.unapproved) if source != destination else 0,
                                  destination in cde and source != destination))
    uses = []
    for number, flow in enumerate(scope.approved_flows, start=1):
        count = sum(1 for c in connections if c.source_zone != c.destination_zone and flow in c.flows
                    and c.ports & flow.ports)
        uses.append(FlowUse(number, flow, count))
    return ZoneFlows(zones, external, cde, connections, tuple(pairs), tuple(uses))


def listed(names: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def approval_verdict(connections: Sequence[ZoneConnection], direction: str, caveat: str, where: str,
                     more: str) -> Verdict:
    """Whether every connection `direction` the CDE ("into", "out of") is an approved flow."""
    bad = [c for c in connections if c.unapproved]
    if bad:
        detail = f"{where[:-1]}; {more}" if more else where
        return Verdict("bad", f"Connections {direction} the CDE without an approved flow: {len(bad)} of "
                              f"{len(connections)}", detail)
    return Verdict("good", every(len(connections), f"The one connection {direction} the CDE is an approved flow",
                                 f"Every connection {direction} the CDE is an approved flow ({{count}} connections)",
                                 f"No connection {direction} the CDE") + caveat, where)


def verdicts(flows: ZoneFlows, host_network_workloads: Sequence[str], unisolated_cde: Sequence[str],
             complete: bool) -> tuple[Verdict, ...]:
    """The headline segmentation verdicts in plain words; a "no path" claim is qualified when incomplete."""
    caveat = "" if complete else " (the analysis is incomplete: unmodelled policies may change this)"
    found: list[Verdict] = []
    cross = flows.cross_zone
    if flows.cde:
        cde = listed(flows.cde)
        from_outside = [c for c in cross if c.destination_zone in flows.cde and c.source_zone in flows.out_of_scope]
        sources = sorted({c.source_zone for c in from_outside}, key=flows.zones.index)
        scope_note = f"Out-of-scope zones (no approved flow into the CDE): {listed(flows.out_of_scope) or 'none'}."
        if from_outside:
            found.append(Verdict("bad", f"Out-of-scope systems can reach the CDE: {counted(len(from_outside), 'path')}",
                                 f"From {listed(sources)}. {scope_note}"))
        else:
            found.append(Verdict("good", f"No path from out-of-scope zones to the CDE{caveat}", scope_note))
        found.append(approval_verdict([c for c in cross if c.destination_zone in flows.cde], "into", caveat,
                                      f"Into {cde}.", "see “Approved and actual flows”."))
        found.append(approval_verdict([c for c in cross if c.source_zone in flows.cde], "out of", caveat,
                                      f"Out of {cde}.", ""))
        if unisolated_cde:
            found.append(Verdict("bad", f"CDE workloads not isolated by any NetworkPolicy: {len(unisolated_cde)}",
                                 f"e.g. {', '.join(unisolated_cde[:3])}."))
    else:
        found.append(Verdict("neutral", "No zone is marked as the cardholder data environment",
                             "Name a zone `cde` or describe it as the cardholder data environment to get CDE "
                             "verdicts."))
    ambiguous = [c for c in flows.connections if c.ambiguous]
    if ambiguous:
        found.append(Verdict("bad", f"Connections that cluster policies of equal priority decide differently: "
                             f"{len(ambiguous)}", "The implementation's order decides them; they count as reachable. "
                             f"E.g. {ambiguous[0].source} -> {ambiguous[0].destination} on "
                             f"{ambiguous[0].ambiguous.describe()}."))
    bad = [c for c in cross if c.unapproved]
    found.append(Verdict("bad" if bad else "good",
                         f"Cross-zone connections without an approved flow: {len(bad)} of {len(cross)}" if bad else
                         every(len(cross), "The one cross-zone connection is an approved flow",
                               "Every cross-zone connection is an approved flow ({count} connections)",
                               "No connection between different zones") + caveat))
    unused = [use for use in flows.flow_uses if not use.used]
    if flows.flow_uses:
        found.append(Verdict("neutral" if unused else "good",
                             f"Approved flows not used by any connection: {len(unused)} of {len(flows.flow_uses)}"
                             if unused else every(len(flows.flow_uses), "The one approved flow is in use",
                                                   "All {count} approved flows are in use", ""),
                             "Unused approvals may be stale and can be withdrawn." if unused else ""))
    if host_network_workloads:
        found.append(Verdict("bad", f"Workloads outside NetworkPolicy control (hostNetwork): "
                             f"{len(host_network_workloads)}", f"e.g. {', '.join(host_network_workloads[:3])}."))
    return tuple(found)
