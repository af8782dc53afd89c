"""The assessed system: the snapshot, the scope and the analyses computed from them once and shared by the checks
(reachability, zones of pod classes, the zone matrix, connections between zones with their approval)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from compliance.analysis.drift import Drift
from compliance.analysis.history_effects import AssessedHistory
from compliance.model.calico_policy import DEFAULT_TIER
from compliance.model.cilium_policy import CILIUM_CLUSTERWIDE_POLICY, CiliumPolicy
from compliance.model.cluster_policy import Tier
from compliance.model.policy import IPBlock
from compliance.model.snapshot import Snapshot
from compliance.netpol import bitsets
from compliance.netpol.calico import CalicoObjects, tier_places
from compliance.netpol.calico_rules import CalicoCompiler
from compliance.netpol.cilium import ALLOW_TIER, ENFORCEMENT_TIER, LoweredPolicy, lower, tiered_objects
from compliance.netpol.classes import PodClass
from compliance.netpol.connections import merged_ambiguity
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.netpol.reachability import ReachabilityMap, analyse_snapshot, refine
from compliance.netpol.zones import Crossing, ZoneMatrix, Zoning, crossings, zone_matrix
from compliance.scope import ApprovedFlow, Scope


@dataclass(frozen=True, slots=True)
class ZoneConnection:
    """A connection between zones at workload level, with what the approved flows cover; `ambiguous` are the ports
    of `ports` that only some order of equal priorities allows (they count as reachable). Slotted: a dense
    cluster's report holds millions."""

    source: str
    source_zone: str
    destination: str
    destination_zone: str
    ports: PortSet
    approved: PortSet
    flows: tuple[ApprovedFlow, ...]
    ambiguous: PortSet = NO_PORTS

    @property
    def unapproved(self) -> PortSet:
        """The ports no approved flow covers."""
        return self.ports - self.approved

    def merged(self, other: ZoneConnection) -> ZoneConnection:
        """This connection and another between the same two workloads (other pods of theirs), as one."""
        return ZoneConnection(self.source, self.source_zone, self.destination, self.destination_zone,
                              self.ports | other.ports, self.approved | other.approved,
                              tuple(dict.fromkeys((*self.flows, *other.flows))),
                              merged_ambiguity((self.ports, self.ambiguous), (other.ports, other.ambiguous)))


def denies_only(policy: CiliumPolicy) -> CiliumPolicy:
    """A Cilium policy with its deny rules only, which put no endpoint into default deny."""
    return replace(policy, rule_sets=tuple(replace(rule_set, ingress=(), egress=(), default_deny_ingress=False,
                                                   default_deny_egress=False) for rule_set in policy.rule_sets))


class AssessedSystem:
    """The inputs of every check, and the analyses several checks share, each computed on first use.

    `history` and `drift` come from the policies' git repository and `previous` from earlier packs;
    None means that input was not given, and checks needing it are not applicable. `address_cuts` cut the
    address ranges beyond the scope's zones, e.g. alike with another state this one is compared with.
    """

    def __init__(self, snapshot: Snapshot, scope: Scope, options: AnalysisOptions, today: datetime.date,
                 history: AssessedHistory | None = None, drift: Drift | None = None,
                 previous: tuple[str, ...] | None = None,
                 address_cuts: Sequence[IPBlock] = ()) -> None:
        self.snapshot = snapshot
        self.given_cuts = tuple(address_cuts)
        self.address_cuts = (*scope.address_cuts, *address_cuts)
        self.scope = scope
        self.options = options
        self.today = today
        self.history = history
        self.drift = drift
        self.previous = previous

    @property
    def complete(self) -> bool:
        """Whether every policy kind in the cluster is modelled, so reachability verdicts can be trusted."""
        return not self.snapshot.unmodelled

    @cached_property
    def namespace_labels(self) -> dict[str, dict[str, str]]:
        """Labels of every namespace, including namespaces only referenced by pods."""
        return {name: dict(labels) for name, labels in self.snapshot.topology_labels().items()}

    @cached_property
    def reach(self) -> ReachabilityMap:
        """Reachability, with address ranges cut at the external zones' CIDRs (and `address_cuts`)."""
        return analyse_snapshot(self.snapshot, self.options, self.address_cuts)

    @cached_property
    def cilium_selections(self) -> tuple[tuple[LoweredPolicy, int], ...]:
        """Cilium's policies as the engine lowers them (a part per rule set and tier, and the enforcement mode's), each
        with the classes it selects."""
        snapshot = self.snapshot
        if not snapshot.cilium_policies and self.options.policy_enforcement == "default":
            return ()
        lowered = lower(snapshot.cilium_policies, snapshot.services, self.options)
        compiler = CalicoCompiler(self.reach.classes, snapshot.topology_labels(), CalicoObjects(lowered), {},
                                  lambda blocks: 0)
        return tuple((policy, compiler.subjects(policy)) for policy in lowered)

    @cached_property
    def isolated(self) -> dict[str, int]:
        """Per direction, the classes some policy isolates: a NetworkPolicy, or a Cilium rule set (or the `always`
        enforcement mode) putting them into default deny (their part in the default tier)."""
        found = {"ingress": self.reach.isolated_ingress, "egress": self.reach.isolated_egress}
        for policy, subjects in self.cilium_selections:
            for direction in found:
                if policy.tier == DEFAULT_TIER and policy.applies(direction):
                    found[direction] |= subjects
        return found

    @cached_property
    def tier_order(self) -> tuple[str, ...]:
        """The names of the tiers in evaluation order (kube-admin, Calico's and Cilium's tiers, default,
        kube-baseline)."""
        objects = tiered_objects(self.snapshot, self.options)
        return tuple(place.name for place in tier_places(objects.tiers, objects.policies))

    @cached_property
    def guardrail_tiers(self) -> frozenset[str]:
        """The tiers evaluated before the namespaces' policies: kube-admin (the Admin tier), the Calico tiers ordered
        before `default`, and Cilium's deny tier (where only the clusterwide policies' rules are guardrails: namespace
        owners write the others); not Cilium's allow union or its enforcement mode."""
        return frozenset(self.tier_order[:self.tier_order.index(DEFAULT_TIER)]) - {ALLOW_TIER, ENFORCEMENT_TIER}

    @cached_property
    def guardrail_tiers_alone(self) -> AssessedSystem:
        """This system with the policies of its guardrail tiers only (Admin-tier cluster policies, Calico policies of
        tiers before `default`, the deny rules of CiliumClusterwideNetworkPolicies): what stays reachable whatever the
        NetworkPolicies, the default tier's Calico policies and the CiliumNetworkPolicies say (namespace owners write
        them, and they override the Baseline tier), so what the guardrail tiers deny for sure.

        Without the later tiers nothing is isolated there, so every port the guardrail tiers leave undecided or pass
        is allowed by the default; ties between equal priorities and uncertain rules count as allowed, as everywhere.
        Cilium's `always` enforcement, a default deny the namespaces' allows open, is left out too.
        """
        snapshot = self.snapshot
        admin = tuple(policy for policy in snapshot.cluster_policies if policy.tier is Tier.ADMIN)
        calico = tuple(policy for policy in snapshot.calico_policies if policy.tier in self.guardrail_tiers)
        cilium = tuple(denies_only(policy) for policy in snapshot.cilium_policies
                       if policy.kind == CILIUM_CLUSTERWIDE_POLICY)
        options = self.options
        if options.policy_enforcement == "always":
            options = replace(options, policy_enforcement="default")
        return AssessedSystem(replace(snapshot, policies=(), cluster_policies=admin, calico_policies=calico,
                                      cilium_policies=cilium), self.scope, options, self.today,
                              address_cuts=self.given_cuts)

    def class_zone(self, pod_class: PodClass) -> str:
        """The zone of a class of pods."""
        return self.scope.zone_of_workload(self.namespace_labels[pod_class.namespace], dict(pod_class.labels))

    @cached_property
    def zoning(self) -> Zoning:
        """The zone of every class and address range."""
        reach = self.reach
        return Zoning(
            zones=self.zones,
            classes=tuple(self.class_zone(c) for c in reach.classes),
            egress_ranges=tuple(self.scope.zone_of_range(r.version, r.first, r.last) for r in reach.egress_ranges),
            ingress_ranges=tuple(self.scope.zone_of_range(r.version, r.first, r.last) for r in reach.ingress_ranges),
        )

    @cached_property
    def zones(self) -> tuple[str, ...]:
        """Every zone name, declared order first, then `external` when some address is in no zone."""
        return (*self.scope.zone_names, "external")

    @cached_property
    def matrix(self) -> ZoneMatrix:
        """The zone reachability matrix."""
        return zone_matrix(self.crossings, self.zones)

    @cached_property
    def crossings(self) -> tuple[Crossing, ...]:
        """Every allowed connection grouped by source and destination zone."""
        return tuple(crossings(self.reach, self.zoning))

    @cached_property
    def workloads_of_class(self) -> tuple[tuple[str, ...], ...]:
        """The workload names of each class."""
        return tuple(tuple(sorted({p.workload.display for p in c.pods})) for c in self.reach.classes)

    @cached_property
    def classes_of_workload(self) -> dict[str, tuple[int, ...]]:
        """The classes of every workload (by its display name): several when its pods' labels differ."""
        found: dict[str, list[int]] = defaultdict(list)
        for index, workloads in enumerate(self.workloads_of_class):
            for workload in workloads:
                found[workload].append(index)
        return {workload: tuple(indices) for workload, indices in found.items()}

    @cached_property
    def flow_members(self) -> tuple[tuple[ApprovedFlow, int, int], ...]:
        """Each approved flow with the bitsets of the classes its two ends cover."""
        reach = self.reach
        size = len(reach.classes)
        result = []
        for flow in self.scope.approved_flows:
            ends = []
            for end in (flow.source, flow.destination):
                ends.append(bitsets.from_indices(
                    (c.index for c in reach.classes if end.matches(self.zoning.classes[c.index],
                                                                   self.namespace_labels[c.namespace],
                                                                   dict(c.labels))), size))
            result.append((flow, ends[0], ends[1]))
        return tuple(result)

    def approvals(self, crossing: Crossing) -> list[tuple[int | None, PortSet, tuple[ApprovedFlow, ...]]]:
        """A crossing's destinations cut by the approved flows that cover them: (destination classes, or None for the
        crossing's address range; the crossing's ports those flows approve; the flows)."""
        if crossing.source_class is not None:
            relevant = [(flow, target) for flow, source_bits, target in self.flow_members
                        if bitsets.has(source_bits, crossing.source_class)]
        else:
            relevant = [(flow, target) for flow, _, target in self.flow_members
                        if flow.source.matches(crossing.source_zone, None, None)]
        if crossing.destinations is None:
            flows = tuple(flow for flow, _ in relevant if flow.destination.matches(crossing.destination_zone, None,
                                                                                   None))
            return [(None, self.scope.approved_ports(flows) & crossing.ports, flows)]
        return [(bits, self.scope.approved_ports(tuple(tags)) & crossing.ports, tuple(tags))
                for bits, tags in refine([(crossing.destinations, ())],
                                         [(target, bitsets.span(target), flow) for flow, target in relevant])]

    def ambiguous_ports(self, crossing: Crossing, destination: int | None) -> PortSet:
        """The ports of a crossing into one destination class (None: into its address range) that equal priorities
        leave ambiguous."""
        ambiguity = self.reach.ambiguity
        if ambiguity is None or crossing.source_class is None:
            return NO_PORTS  # no cluster policy rule has an address range as its source
        if destination is None:
            assert crossing.destination_range is not None  # a crossing into no class is into an address range
            return dict(ambiguity.egress_external[crossing.source_class]).get(crossing.destination_range, NO_PORTS)
        return self.reach.ambiguous_between(crossing.source_class, destination)

    def zone_connections(self, crossing: Crossing) -> list[ZoneConnection]:
        """A crossing at workload level, each connection with the approved flows that cover it."""
        reach = self.reach
        if crossing.source_class is not None:
            sources = self.workloads_of_class[crossing.source_class]
        else:
            assert crossing.source_range is not None  # a crossing from no class is from an address range
            sources = (reach.ingress_ranges[crossing.source_range].display,)
        found: list[ZoneConnection] = []
        for bits, approved, flows in self.approvals(crossing):
            if bits is None:
                assert crossing.destination_range is not None  # a crossing into no class is into an address range
                destination = reach.egress_ranges[crossing.destination_range].display
                unsure = self.ambiguous_ports(crossing, None)
                found += [ZoneConnection(source, crossing.source_zone, destination, crossing.destination_zone,
                                         crossing.ports, approved, flows, unsure) for source in sources]
                continue
            for index in bitsets.members(bits):
                unsure = self.ambiguous_ports(crossing, index)
                found += [ZoneConnection(source, crossing.source_zone, destination, crossing.destination_zone,
                                         crossing.ports, approved, flows, unsure)
                          for source in sources for destination in self.workloads_of_class[index]
                          if source != destination]
        return found

    def connections_between(self, sources: Sequence[str] | None, destinations: Sequence[str] | None,
                            across_only: bool = True) -> list[ZoneConnection]:
        """Workload-level connections from zones `sources` to zones `destinations` (None = any), merged by pair."""
        merged: dict[tuple[str, str], ZoneConnection] = {}
        for crossing in self.crossings:
            if across_only and crossing.source_zone == crossing.destination_zone:
                continue
            if (sources is not None and crossing.source_zone not in sources) or (
                    destinations is not None and crossing.destination_zone not in destinations):
                continue
            for connection in self.zone_connections(crossing):
                key = (connection.source, connection.destination)
                known = merged.get(key)
                merged[key] = connection if known is None else known.merged(connection)
        return [merged[key] for key in sorted(merged)]

    @cached_property
    def workload_zones(self) -> dict[str, str]:
        """The zone of every workload (by its display name)."""
        found: dict[str, str] = {}
        for pod_class, zone in zip(self.reach.classes, self.zoning.classes, strict=True):
            for pod in pod_class.pods:
                found.setdefault(pod.workload.display, zone)
        return found

    @cached_property
    def namespace_zones(self) -> dict[str, set[str]]:
        """The zones the workloads of each namespace are in."""
        found: dict[str, set[str]] = defaultdict(set)
        for workload, zone in self.workload_zones.items():
            found[workload.split("/", 1)[0]].add(zone)
        return found
