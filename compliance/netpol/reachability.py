"""Reachability over equivalence classes of pods, computed with bitsets rather than pod pairs.

For a source class s and destination class d, the allowed ports are

    egress(s, d) ∩ ingress(s, d)
    egress(s, d)  = every port if s is not egress-isolated, else the union of the ports of the egress
                    rules (of policies selecting s) whose peers include d
    ingress(s, d) = every port if d is not ingress-isolated, else the union of the ports of the ingress
                    rules (of policies selecting d) whose peers include s

The egress side depends only on the rules selecting s; the ingress side only on the ingress rules
whose peers include s. Sources sharing both are computed once: the classes are cut into cells of
destinations that the same rules cover, and each cell gets one port set. Named ports are resolved
per destination within a cell.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from compliance.model.calico_policy import DEFAULT_TIER
from compliance.model.cluster_policy import (
    Action,
    ClusterPeer,
    ClusterPolicy,
    DomainNamesPeer,
    NetworksPeer,
    NodesPeer,
    PodPeer,
    Tier,
)
from compliance.model.objects import NAMESPACE_NAME_LABEL, Node, Pod
from compliance.model.policy import IPBlock, IPBlockPeer, NetworkPolicy, PortSpec, SelectorPeer
from compliance.model.selectors import Labels
from compliance.model.snapshot import Snapshot
from compliance.netpol import bitsets
from compliance.netpol.addresses import AddressPartition, AddressRange, partition
from compliance.netpol.calico import (
    CLUSTER_TIERS,
    NETWORK_POLICY_RANK,
    NO_CALICO,
    CalicoObjects,
    Rank,
    cluster_rank,
    tier_places,
)
from compliance.netpol.calico_rules import CalicoCompiler, CalicoTierRule, TierSelection, calico_blocks
from compliance.netpol.cilium import selector_labels, tiered_objects
from compliance.netpol.classes import LabelIndex, PodClass, group_pods, namespace_label_index
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, NamedPorts, PortSet, has_named_port, resolve_ports
from compliance.netpol.tiers import Decision, SpannedRule, TierInput, resolve_tiers

Cells = tuple[tuple[int, PortSet], ...]
ExternalPorts = tuple[tuple[int, PortSet], ...]
WHOLE_IPV4 = IPBlock(ipaddress.ip_network("0.0.0.0/0"))
WHOLE_IPV6 = IPBlock(ipaddress.ip_network("::/0"))


class ResolvedRule(SpannedRule):
    """What a rule of a NetworkPolicy and of a cluster policy share once resolved: the classes its policy applies to
    (`targets`) and its peers match (`peers`, bitsets), and its ports."""

    policy: NetworkPolicy | ClusterPolicy
    ports: tuple[PortSpec, ...] | None

    @property
    def named(self) -> bool:
        """Whether the rule's ports depend on the destination's named ports."""
        return has_named_port(self.ports)


@dataclass(frozen=True, eq=False)  # one object per rule: compared and hashed by identity, which is cheap
class CompiledRule(ResolvedRule):
    """A rule with its peers resolved: classes as a bitset, address ranges as partition indices; `peer_parts` are
    the classes of each peer (their union is `peers`), which recur from rule to rule far more than `peers` do."""

    policy: NetworkPolicy
    direction: str
    index: int
    peers: int
    addresses: frozenset[int]
    ports: tuple[PortSpec, ...] | None
    targets: int
    peer_parts: tuple[int, ...]


@dataclass(frozen=True, eq=False)  # as CompiledRule
class TierRule(ResolvedRule):
    """A rule of a cluster policy with its subjects and peers resolved: `targets` are the classes its policy's
    subject selects, `peers` the classes its peers match, `addresses` the egress range indices its networks
    (and domain names) match; `rank` orders it in its tier."""

    policy: ClusterPolicy
    direction: str
    index: int
    action: Action
    peers: int
    addresses: frozenset[int]
    ports: tuple[PortSpec, ...] | None
    targets: int

    uncertain = False
    l7: ClassVar[tuple[str, ...]] = ()

    @property
    def rank(self) -> Rank:
        """(priority, policy, rule index): its place in the tier."""
        return cluster_rank(self.policy, self.index)

    @property
    def tier_name(self) -> str:
        """The tier it belongs to: kube-admin or kube-baseline, as Calico names them."""
        return CLUSTER_TIERS[self.policy.tier]

    def port_set(self, named_ports: NamedPorts | None) -> PortSet:
        """The ports it covers towards a destination with `named_ports`."""
        return resolve_ports(self.ports, named_ports)


@dataclass(frozen=True)
class NetworkPolicyBlock:
    """The Kubernetes NetworkPolicies isolating a pod, as one rule of the default tier (order 1000): they allow the
    ports some rule of theirs that matches admits."""

    rules: tuple[CompiledRule, ...]
    action = Action.ALLOW
    rank = NETWORK_POLICY_RANK
    uncertain = False
    l7: ClassVar[tuple[str, ...]] = ()

    def port_set(self, named_ports: NamedPorts | None) -> PortSet:
        """The ports the rules admit towards a destination with `named_ports`."""
        return union_of_ports(self.rules, named_ports)


@dataclass(frozen=True)
class Ambiguity:
    """Ports that equal priorities make ambiguous (allowed under one ordering, denied under another), or that only
    rules with L7 rules allow (the map's `filtering`), in the shape of the reachability map's cells and external
    ports; they are part of the map's allowed ports."""

    cells: tuple[Cells, ...]
    egress_external: tuple[ExternalPorts, ...]
    ingress_external: tuple[ExternalPorts, ...] = ()  # Calico's rules only: no other kind has addresses as sources


@dataclass(frozen=True)
class ReachabilityMap:
    """Who reaches whom: per source class, disjoint cells of destination classes with their ports.

    egress_external[s]: (index into egress_ranges, ports) that class s reaches;
    ingress_external[d]: (index into ingress_ranges, ports) that reach class d;
    rules: every rule of a policy that selects some pod, resolved; isolated_*: bitsets of isolated classes;
    tier_rules: the rules of cluster policies that select some pod; ambiguity: what equal priorities (and Calico
    rules setting fields not modelled) leave open (None when there are none); calico_rules: the Calico policies'
    rules that select some pod (Cilium's too, lowered); filtering: the ports only rules with L7 rules allow, which
    L7 rules filter request by request (None when no rule has L7 rules).
    """

    classes: tuple[PodClass, ...]
    cells: tuple[Cells, ...]
    egress_external: tuple[ExternalPorts, ...]
    ingress_external: tuple[ExternalPorts, ...]
    egress_ranges: tuple[AddressRange, ...]
    ingress_ranges: tuple[AddressRange, ...]
    options: AnalysisOptions
    rules: tuple[CompiledRule, ...] = ()
    isolated_ingress: int = 0
    isolated_egress: int = 0
    tier_rules: tuple[TierRule, ...] = ()
    ambiguity: Ambiguity | None = None
    calico_rules: tuple[CalicoTierRule, ...] = ()
    filtering: Ambiguity | None = None
    compiler: Compiler = field(kw_only=True, compare=False, repr=False)

    def policy_members(self, policy: NetworkPolicy) -> int:
        """Bitset of the classes a policy's podSelector matches."""
        return self.compiler.selected(policy)

    def pod_peer_members(self, peer: PodPeer) -> int:
        """Bitset of the classes a cluster policy's subject or pod peer selects (never host-network pods)."""
        return self.compiler.pod_peer(peer)

    def peer_members(self, policy: NetworkPolicy, peer: SelectorPeer) -> int:
        """Bitset of the classes one selector peer of `policy` matches."""
        return self.compiler.selector_peer(policy, peer)

    def ports_between(self, source: int, destination: int) -> PortSet:
        """The ports class `source` may use to reach class `destination`."""
        for bits, ports in self.cells[source]:
            if bitsets.has(bits, destination):
                return ports
        return NO_PORTS

    def ambiguous_between(self, source: int, destination: int) -> PortSet:
        """The ports between two classes that equal priorities leave ambiguous (part of ports_between)."""
        for bits, ports in self.ambiguity.cells[source] if self.ambiguity else ():
            if bitsets.has(bits, destination):
                return ports
        return NO_PORTS

    def filtered_between(self, source: int, destination: int) -> PortSet:
        """The ports between two classes that only rules with L7 rules allow (part of ports_between)."""
        for bits, ports in self.filtering.cells[source] if self.filtering else ():
            if bitsets.has(bits, destination):
                return ports
        return NO_PORTS

    def filtered_to_address(self, source: int, address: str) -> PortSet:
        """The ports from a class to an address that only rules with L7 rules allow."""
        index = AddressPartition(self.egress_ranges).index_of(address)
        if self.filtering is None or index is None:
            return NO_PORTS
        return dict(self.filtering.egress_external[source]).get(index, NO_PORTS)

    def filtered_from_address(self, address: str, destination: int) -> PortSet:
        """The ports from an address to a class that only rules with L7 rules allow."""
        index = AddressPartition(self.ingress_ranges).index_of(address)
        if self.filtering is None or index is None:
            return NO_PORTS
        return dict(self.filtering.ingress_external[destination]).get(index, NO_PORTS)

    def ambiguous_from_address(self, address: str, destination: int) -> PortSet:
        """The ports from an address to a class that Calico rules with fields not modelled leave ambiguous."""
        index = AddressPartition(self.ingress_ranges).index_of(address)
        if self.ambiguity is None or index is None or not self.ambiguity.ingress_external:
            return NO_PORTS
        return dict(self.ambiguity.ingress_external[destination]).get(index, NO_PORTS)

    def ambiguous_to_address(self, source: int, address: str) -> PortSet:
        """The ports from a class to an address that equal priorities leave ambiguous."""
        index = AddressPartition(self.egress_ranges).index_of(address)
        if self.ambiguity is None or index is None:
            return NO_PORTS
        return dict(self.ambiguity.egress_external[source]).get(index, NO_PORTS)

    def egress_to_address(self, source: int, address: str) -> PortSet:
        """The ports class `source` may use to reach an address (one that is no pod's, e.g. 169.254.169.254)."""
        return self.address_ports("egress", source, address)

    def ingress_from_address(self, address: str, destination: int) -> PortSet:
        """The ports an address (one that is no pod's) may use to reach class `destination`."""
        return self.address_ports("ingress", destination, address)

    def address_ports(self, direction: str, pod_class: int, address: str) -> PortSet:
        """The ports between a class and an address in `direction` (of the class)."""
        ranges, reached, isolated = ((self.egress_ranges, self.egress_external, self.isolated_egress)
                                     if direction == "egress" else
                                     (self.ingress_ranges, self.ingress_external, self.isolated_ingress))
        index = AddressPartition(ranges).index_of(address)
        if index is not None:
            found = reached[pod_class]  # sorted by range index
            position = bisect.bisect_left(found, (index,))
            return found[position][1] if position < len(found) and found[position][0] == index else NO_PORTS
        # No ipBlock of the direction has the address's IP version: only rules without peers admit it.
        if not bitsets.has(isolated, pod_class):
            return ALL_PORTS
        return self.peerless_ports.get((direction, pod_class), NO_PORTS)

    @cached_property
    def peerless_ports(self) -> dict[tuple[str, int], PortSet]:
        """(direction, class): the ports of the rules isolating the class that have no peers (admit everyone)."""
        found: dict[tuple[str, int], PortSet] = {}
        for rule in self.rules:
            if rule.policy.rules(rule.direction)[rule.index].peers is None:
                for index in bitsets.members(rule.targets):
                    # As for address ranges: a named port resolves on the destination pod, never on an address.
                    named_ports = self.classes[index].named_ports if rule.direction == "ingress" else None
                    key = (rule.direction, index)
                    found[key] = found.get(key, NO_PORTS) | resolve_ports(rule.ports, named_ports)
        return found


class Compiler:
    """Resolves policies against the classes of one snapshot."""

    def __init__(self, classes: Sequence[PodClass], namespace_labels: dict[str, Labels],
                 options: AnalysisOptions, egress_ranges: AddressPartition, ingress_ranges: AddressPartition,
                 pod_ranges: AddressPartition | None, nodes: Sequence[Node] = (), cilium: bool = False) -> None:
        self.classes = classes
        self.nodes = nodes
        self.pods = LabelIndex([selector_labels(c.labels, c.namespace, c.service_account, options.cluster_name)
                                for c in classes] if cilium else [c.labels for c in classes])
        self.namespaces = namespace_label_index(classes, namespace_labels)
        self.everything = self.pods.everything
        self.host_network_classes = bitsets.from_indices((c.index for c in classes if c.host_network), len(classes))
        self.host_network = 0 if options.host_network_isolated else self.host_network_classes
        self.partitions = {"egress": egress_ranges, "ingress": ingress_ranges}
        self.pod_ranges = pod_ranges
        self.by_pod_range: dict[int, list[int]] = defaultdict(list)
        for pod_class in classes:
            for index in pod_class.address_ranges:
                self.by_pod_range[index].append(pod_class.index)

    def in_namespace(self, namespace: str) -> int:
        """Classes of one namespace."""
        return self.namespaces.pair(NAMESPACE_NAME_LABEL, namespace)

    def selected(self, policy: NetworkPolicy) -> int:
        """Classes a policy's podSelector matches."""
        return self.in_namespace(policy.namespace) & self.pods.select(policy.pod_selector)

    def targets(self, policy: NetworkPolicy) -> int:
        """Classes a policy isolates (host-network pods are never isolated)."""
        return self.selected(policy) & ~self.host_network

    def rule(self, policy: NetworkPolicy, direction: str, index: int, targets: int) -> CompiledRule:
        """One rule with its peers resolved."""
        rule = policy.rules(direction)[index]
        ranges = self.partitions[direction]
        if rule.peers is None:
            return CompiledRule(policy, direction, index, self.everything, frozenset(range(len(ranges.ranges))),
                                rule.ports, targets, (self.everything,))
        parts = []
        addresses: set[int] = set()
        for peer in rule.peers:
            if isinstance(peer, IPBlockPeer):
                addresses |= ranges.indices_within(peer.block)
                parts.append(self.pods_in_blocks((peer.block,)))
            else:
                parts.append(self.selector_peer(policy, peer))
        peers = 0
        for part in parts:
            peers |= part
        return CompiledRule(policy, direction, index, peers, frozenset(addresses), rule.ports, targets, tuple(parts))

    def pods_in_blocks(self, blocks: Iterable[IPBlock]) -> int:
        """Classes whose pod IPs lie in the blocks (none unless ipBlocks select pods)."""
        if self.pod_ranges is None:
            return 0
        inside: set[int] = set()
        for block in blocks:
            inside |= self.pod_ranges.indices_within(block)
        return bitsets.from_indices((c for r, found in self.by_pod_range.items() if r in inside for c in found),
                                    len(self.classes))

    def pod_peer(self, peer: PodPeer) -> int:
        """Classes a cluster policy's subject or pod peer matches; host-network pods never do."""
        return (self.namespaces.select(peer.namespace_selector) & self.pods.select(peer.pod_selector)
                & ~self.host_network_classes)

    def tier_rule(self, policy: ClusterPolicy, direction: str, index: int, targets: int) -> TierRule:
        """One rule of a cluster policy with its peers resolved.

        Networks, and the addresses of the nodes a nodes peer selects, match their address ranges and, as ipBlocks
        do, the pods inside them; domain names match every address range (they cannot be resolved here).
        """
        rule = policy.rules(direction)[index]
        ranges = self.partitions[direction]
        peers = 0
        addresses: set[int] = set()
        for peer in rule.peers:
            if isinstance(peer, PodPeer):
                peers |= self.pod_peer(peer)
            elif isinstance(peer, NetworksPeer | NodesPeer):
                blocks = peer_blocks(peer, self.nodes)
                for block in blocks:
                    addresses |= ranges.indices_within(block)
                peers |= self.pods_in_blocks(blocks)
            elif isinstance(peer, DomainNamesPeer):
                addresses |= set(range(len(ranges.ranges)))
        return TierRule(policy, direction, index, rule.action, peers, frozenset(addresses), rule.ports, targets)

    def selector_peer(self, policy: NetworkPolicy, peer: SelectorPeer) -> int:
        """Classes a podSelector/namespaceSelector peer of `policy` matches."""
        namespaces = (self.in_namespace(policy.namespace) if peer.namespace_selector is None
                      else self.namespaces.select(peer.namespace_selector))
        return namespaces & (self.everything if peer.pod_selector is None else self.pods.select(peer.pod_selector))


def refine(cells: list[tuple[int, tuple]], items: Iterable[tuple[int, tuple[int, int], object]]
           ) -> list[tuple[int, tuple]]:
    """Cut cells so that each lies wholly inside or outside every item's bitset; tag cells with items.

    Items are (bits, bitsets.span(bits), tag). An item whose span misses a cell's leaves it untouched
    without an operation on the bits: classes are numbered namespace by namespace, so most rules'
    classes lie far from most cells.
    """
    current = [(cell, bitsets.span(cell), tags) for cell, tags in cells]
    for bits, (low, high), tag in items:
        refined = []
        for cell, cell_span, tags in current:
            inside = 0 if high <= cell_span[0] or cell_span[1] <= low else cell & bits
            if not inside:
                refined.append((cell, cell_span, tags))
            elif inside == cell:
                refined.append((cell, cell_span, (*tags, tag)))
            else:
                outside = cell & ~bits
                refined.append((inside, bitsets.span(inside), (*tags, tag)))
                refined.append((outside, bitsets.span(outside), tags))
        current = refined
    return [(cell, tags) for cell, _, tags in current]


@dataclass(frozen=True)
class Blocks:
    """Items as refine takes them, grouped by the range of indices that holds each (classes are numbered namespace
    by namespace, and a NetworkPolicy's targets lie in its namespace): the ranges' starts and ends (disjoint,
    ascending), the bitset and the items of each; the items no range holds; the union of all their bitsets."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    masks: tuple[int, ...]
    items: tuple[tuple[tuple[int, tuple[int, int], object], ...], ...]
    wide: tuple[tuple[int, tuple[int, int], object], ...]
    union: int

    @classmethod
    def of(cls, items: Iterable[tuple[int, tuple[int, int], object]], starts: Sequence[int], ends: Sequence[int]
           ) -> Blocks:
        """`items` grouped by the ranges [starts[i], ends[i]) (disjoint, ascending) that hold them."""
        grouped: dict[int, list[tuple[int, tuple[int, int], object]]] = defaultdict(list)
        wide = []
        union = 0
        for item in items:
            bits, (low, high), _ = item
            number = bisect.bisect_right(ends, low)
            if number < len(ends) and starts[number] <= low and high <= ends[number]:
                grouped[number].append(item)
            else:
                wide.append(item)
                union |= bits
        numbers = sorted(grouped)
        masks = tuple(bitsets.from_range(starts[number], ends[number]) for number in numbers)
        for mask in masks:
            union |= mask
        return cls(tuple(starts[number] for number in numbers), tuple(ends[number] for number in numbers), masks,
                   tuple(tuple(grouped[number]) for number in numbers), tuple(wide), union)

    def refine(self, cells: Iterable[tuple[int, tuple]]) -> list[tuple[int, tuple]]:
        """refine(cells, the items), looking only at the ranges where a cell has members."""
        refined = []
        for cell, tags in cells:
            rest = cell
            for number in bitsets.touched(cell, self.starts, self.ends):
                for part, part_tags in refine([(cell & self.masks[number], tags)], self.items[number]):
                    if len(part_tags) > len(tags):  # inside some item; what no item covers stays in `rest`
                        refined.append((part, part_tags))
                        rest ^= part
            if rest:
                refined.append((rest, tags))
        return refine(refined, self.wide) if self.wide else refined


def union_of_ports(rules: Iterable[CompiledRule], named_ports: NamedPorts | None) -> PortSet:
    """The ports that some of `rules` admit towards a destination with `named_ports`."""
    result = NO_PORTS
    for rule in rules:
        result = result | resolve_ports(rule.ports, named_ports)
    return result


TieredTag = TierRule | CalicoTierRule | TierSelection
UNSELECTED_RANK: Rank = ((-1, 0.0), "", "", 0)


def tier_order(tag: TieredTag, position: Mapping[str, int]) -> tuple[int, Rank]:
    """The tiers in order (a tier's selections before its rules); in a tier, rules by rank."""
    return position[tag.tier_name], UNSELECTED_RANK if isinstance(tag, TierSelection) else tag.rank


def has_ties(policies: Iterable[ClusterPolicy]) -> bool:
    """Whether two policies of one tier share a priority (their order is then the implementation's)."""
    seen = [(policy.tier, policy.priority) for policy in policies]
    return len(seen) != len(set(seen))


class Analysis:
    """One reachability computation; holds the compiled rules while cells are built."""

    def __init__(self, classes: tuple[PodClass, ...], compiler: Compiler, policies: Sequence[NetworkPolicy],
                 cluster_policies: Sequence[ClusterPolicy] = (), calico: CalicoCompiler | None = None) -> None:
        self.classes = classes
        self.compiler = compiler
        size = len(classes)
        self.egress_rules: list[list[CompiledRule]] = [[] for _ in range(size)]
        self.ingress_rules: list[list[CompiledRule]] = [[] for _ in range(size)]
        self.rules: list[CompiledRule] = []
        self.isolated_ingress = self.isolated_egress = 0
        by_part: dict[int, list[tuple[int, tuple[int, int], CompiledRule]]] = defaultdict(list)
        for policy in policies:
            targets = compiler.targets(policy)
            if not targets:
                continue
            selected = bitsets.members(targets)
            egress = [compiler.rule(policy, "egress", i, targets) for i in range(len(policy.rules("egress")))]
            ingress = [compiler.rule(policy, "ingress", i, targets) for i in range(len(policy.rules("ingress")))]
            self.rules += ingress + egress
            if policy.isolates_ingress:
                self.isolated_ingress |= targets
            if policy.isolates_egress:
                self.isolated_egress |= targets
            for index in selected:
                if policy.isolates_egress:
                    self.egress_rules[index].extend(egress)
                self.ingress_rules[index].extend(ingress)
            for rule in ingress:
                for part in dict.fromkeys(rule.peer_parts):
                    by_part[part].append((rule.targets, rule.targets_span, rule))
        self.ingress_open = compiler.everything & ~self.isolated_ingress
        self.everything_span = bitsets.span(compiler.everything)
        self.ingress_open_span = bitsets.span(self.ingress_open)
        # The ingress rules (of other classes' policies) whose peers include a class follow from the distinct peers
        # that include it, far fewer than the rules: each class is keyed by those peers (positions in admitting_parts).
        starts: list[int] = []  # the runs of classes of one namespace
        ends: list[int] = []
        for pod_class in classes:
            if starts and classes[pod_class.index - 1].namespace == pod_class.namespace:
                ends[-1] = pod_class.index + 1
            else:
                starts.append(pod_class.index)
                ends.append(pod_class.index + 1)
        self.admitting_parts = [Blocks.of(items, starts, ends) for items in by_part.values()]
        found: list[list[int]] = [[] for _ in range(size)]
        for number, bits in enumerate(by_part):
            for index in bitsets.members(bits):
                found[index].append(number)
        self.admitting_keys = [tuple(numbers) for numbers in found]
        self.compile_tiers(cluster_policies, calico)
        by_named_ports: dict[NamedPorts, list[int]] = defaultdict(list)
        for pod_class in classes:
            by_named_ports[pod_class.named_ports].append(pod_class.index)
        self.named_groups = {named: bitsets.from_indices(found, size) for named, found in by_named_ports.items()}
        self.port_cache: dict[tuple, Decision] = {}
        self.direction_cache: dict[tuple, Decision] = {}
        self.tier_covers: dict[tuple[int, ...], list[tuple[tuple[TieredTag, ...], list[int]]]] = {}

    def compile_tiers(self, cluster_policies: Sequence[ClusterPolicy], calico: CalicoCompiler | None) -> None:
        """The tiers' rules: egress rules (and the tiers' selections) by subject class, ingress rules by the classes
        they admit (and by subject class, for the addresses they admit)."""
        size = len(self.classes)
        self.tier_egress: list[list[TieredTag]] = [[] for _ in range(size)]
        self.tier_admitting: list[list[TieredTag]] = [[] for _ in range(size)]
        self.calico_ingress: list[list[CalicoTierRule]] = [[] for _ in range(size)]
        self.tier_rules: list[TierRule] = []
        self.calico = calico is not None
        places = tier_places(calico.calico.tiers, calico.calico.policies) if calico else tier_places((), ())
        position = {place.name: number for number, place in enumerate(places)}
        self.places = places
        selecting = []
        peer_sets: dict[int, list[TieredTag]] = defaultdict(list)
        for policy in cluster_policies:
            targets = self.compiler.pod_peer(policy.subject)
            if not targets:
                continue
            selecting.append(policy)
            egress = [self.compiler.tier_rule(policy, "egress", i, targets) for i in range(len(policy.egress))]
            ingress = [self.compiler.tier_rule(policy, "ingress", i, targets) for i in range(len(policy.ingress))]
            self.tier_rules += ingress + egress
            for index in bitsets.members(targets):
                self.tier_egress[index].extend(egress)
            for rule in ingress:
                peer_sets[rule.peers].append(rule)
        self.calico_rules: list[CalicoTierRule] = []
        self.ingress_selections: list[TierSelection] = []
        if calico is not None:
            self.calico_rules, selections = calico.compile()
            for calico_rule in self.calico_rules:
                if calico_rule.direction == "egress":
                    for index in bitsets.members(calico_rule.targets):
                        self.tier_egress[index].append(calico_rule)
                else:
                    peer_sets[calico_rule.peers].append(calico_rule)
                    for index in bitsets.members(calico_rule.targets):
                        self.calico_ingress[index].append(calico_rule)
            for selection in selections:
                if selection.direction == "egress":
                    for index in bitsets.members(selection.targets):
                        self.tier_egress[index].append(selection)
                else:
                    self.ingress_selections.append(selection)
            for tags in self.tier_egress:
                tags.sort(key=lambda tag: tier_order(tag, position))
            for rules in self.calico_ingress:
                rules.sort(key=lambda tag: tier_order(tag, position))
        # Rules come in tier order and rules in their order (sorted where Calico's mix in), so each egress list is in
        # tier order already; the ingress rules admitting a class are merged from the groups of rules with equal peers
        # that include it, once per distinct set of groups.
        groups = list(peer_sets.values())
        membership: dict[int, list[int]] = defaultdict(list)
        for group, bits in enumerate(peer_sets):
            for index in bitsets.members(bits):
                membership[index].append(group)
        merged: dict[tuple[int, ...], list[TieredTag]] = {}
        self.tier_admitting_keys: list[tuple[int, ...]] = [()] * size
        for index, found in membership.items():
            key = self.tier_admitting_keys[index] = tuple(found)
            if key not in merged:
                merged[key] = sorted((rule for group in key for rule in groups[group]),
                                     key=lambda tag: tier_order(tag, position))
            self.tier_admitting[index] = merged[key]
        self.tiered = bool(self.tier_rules) or self.calico
        uncertain = any(rule.uncertain for rule in self.calico_rules) or any(
            selection.uncertain for selection in (*self.ingress_selections, *(
                tag for tags in self.tier_egress for tag in tags if isinstance(tag, TierSelection))))
        self.ties = has_ties(selecting) or uncertain
        self.filtering = any(rule.l7 for rule in self.calico_rules)

    def direction_decision(self, tags: tuple, named_ports: NamedPorts | None) -> Decision:
        """The decision of one direction from the tags of a cell: NetworkPolicy rules (None: the pod is not isolated
        by them), the tiers' rules and the tiers' selections of the pod; one direction's tags recur in many cells."""
        key = (tags, named_ports)
        found = self.direction_cache.get(key)
        if found is None:
            by_tier: dict[str, list] = defaultdict(list)
            selected: set[str] = set()
            maybe: set[str] = set()
            for tag in tags:
                if isinstance(tag, TierSelection):
                    (maybe if tag.uncertain else selected).add(tag.tier_name)
                elif isinstance(tag, TierRule | CalicoTierRule):
                    by_tier[tag.tier_name].append(tag)
            if None not in tags:  # isolated by NetworkPolicies: they sit in the default tier
                selected.add(DEFAULT_TIER)
                by_tier[DEFAULT_TIER].append(NetworkPolicyBlock(tuple(t for t in tags if isinstance(t, CompiledRule))))
            tiers = [TierInput(tuple(sorted(by_tier[place.name], key=lambda rule: rule.rank)),
                               place.name in selected, place.default_action, place.name in maybe)
                     for place in self.places if place.name in by_tier or place.name in selected or place.name in maybe]
            found = self.direction_cache[key] = resolve_tiers(tiers, named_ports, 2 if self.ties else 1)
        return found

    def cell_ports(self, egress: tuple, ingress: tuple, named_ports: NamedPorts) -> Decision:
        """The ports of a cell covered by egress rules `egress` and ingress rules `ingress` (None = open)."""
        key = (egress, ingress, named_ports)
        found = self.port_cache.get(key)
        if found is None:
            if self.tiered:
                found = self.direction_decision(egress, named_ports) & self.direction_decision(ingress, named_ports)
            else:
                allowed_out = ALL_PORTS if egress == (None,) else union_of_ports(egress, named_ports)
                allowed_in = ALL_PORTS if None in ingress else union_of_ports(ingress, named_ports)
                allowed = allowed_out & allowed_in
                found = Decision(allowed, allowed)
            self.port_cache[key] = found
        return found

    def source_cells(self, source: int) -> tuple[Cells, Cells, Cells]:
        """The destination cells of one source class, and the ambiguous and the L7-filtered part of their ports."""
        everything = self.compiler.everything
        egress_items: list[tuple[int, tuple[int, int], CompiledRule | TieredTag | None]]
        if bitsets.has(self.isolated_egress, source):
            egress_items = [(rule.peers, rule.peers_span, rule) for rule in self.egress_rules[source]]
        else:
            egress_items = [(everything, self.everything_span, None)]
        open_item: list[tuple[int, tuple[int, int], None]] = [(self.ingress_open, self.ingress_open_span, None)]
        admitting = [self.admitting_parts[number] for number in self.admitting_keys[source]]
        tier_items = [(rule.targets, rule.targets_span, rule) for rule in (*self.tier_admitting[source],
                                                                           *self.ingress_selections)]
        reachable = 0
        for bits, _, _ in egress_items:
            reachable |= bits
        # Every class the ingress rules may admit (their namespaces: pruning needs no more).
        admitted = self.ingress_open
        for blocks in admitting:
            admitted |= blocks.union
        # Only an Admin-tier Allow reaches past NetworkPolicies (a Baseline Allow only where none isolates); Calico's
        # tiers may reach anywhere.
        for rule in self.tier_egress[source]:
            egress_items.append((rule.peers, rule.peers_span, rule))
            if isinstance(rule, TierRule) and rule.action is Action.ALLOW and rule.policy.tier is Tier.ADMIN:
                reachable |= rule.peers
        for rule in self.tier_admitting[source]:
            if isinstance(rule, TierRule) and rule.action is Action.ALLOW and rule.policy.tier is Tier.ADMIN:
                admitted |= rule.targets
        reachable = everything if self.calico else reachable & admitted
        if not reachable:
            return (), (), ()
        result: dict[PortSet, int] = defaultdict(int)
        unsure: dict[PortSet, int] = defaultdict(int)
        filtered: dict[PortSet, int] = defaultdict(int)
        for bits, egress in refine([(reachable, ())], egress_items):
            ingress_cells = refine([(bits, ())], open_item)
            for blocks in admitting:
                ingress_cells = blocks.refine(ingress_cells)
            for cell, ingress in refine(ingress_cells, tier_items):
                # A rule whose peers are several of the parts that include the source tags a cell once per part.
                ingress = tuple(dict.fromkeys(ingress)) if len(admitting) > 1 else ingress
                named = any(rule is not None and rule.named for rule in (*egress, *ingress))
                groups = self.named_groups.items() if named else ((None, everything),)
                for named_ports, group in groups:
                    part = cell & group
                    if part:
                        decision = self.cell_ports(egress, ingress, named_ports or ())
                        if decision.possible:
                            result[decision.possible] |= part
                        if decision.ambiguous:
                            unsure[decision.ambiguous] |= part
                        if decision.filtered:
                            filtered[decision.filtered] |= part
        return sorted_cells(result), sorted_cells(unsure), sorted_cells(filtered)

    def egress_external(self, source: int) -> tuple[ExternalPorts, ExternalPorts, ExternalPorts]:
        """Address ranges a source class reaches, with ports, and the ambiguous and the L7-filtered part of those
        ports."""
        ranges = self.compiler.partitions["egress"].ranges
        isolated = bitsets.has(self.isolated_egress, source)
        tier = self.tier_egress[source]
        if not tier:
            if not isolated:
                return tuple((index, ALL_PORTS) for index in range(len(ranges))), (), ()
            found: dict[int, PortSet] = {}
            for rule in self.egress_rules[source]:
                ports = resolve_ports(rule.ports, None)
                if ports:
                    for index in rule.addresses:
                        found[index] = found.get(index, NO_PORTS) | ports
            return tuple(sorted(found.items())), (), ()
        by_range: dict[int, list[CompiledRule]] = defaultdict(list)  # the NetworkPolicy rules, sparse over ranges
        for rule in self.egress_rules[source] if isolated else ():
            for index in rule.addresses:
                by_range[index].append(rule)
        base: tuple[CompiledRule | None, ...] = () if isolated else (None,)
        allowed: list[tuple[int, PortSet]] = []
        unsure: list[tuple[int, PortSet]] = []
        filtered: list[tuple[int, PortSet]] = []
        for tier_rules, indices in self.tier_cover(tuple(tier)):
            plain = self.cell_ports((*base, *tier_rules), (None,), ())
            plain_indices = [index for index in indices if index not in by_range] if by_range else indices
            if plain.possible:
                allowed += [(index, plain.possible) for index in plain_indices]
            if plain.possible != plain.certain:
                unsure += [(index, plain.ambiguous) for index in plain_indices]
            if plain.filtered:
                filtered += [(index, plain.filtered) for index in plain_indices]
            for index in indices if by_range else ():
                if index in by_range:
                    decision = self.cell_ports((*by_range[index], *tier_rules), (None,), ())
                    if decision.possible:
                        allowed.append((index, decision.possible))
                    if decision.possible != decision.certain:
                        unsure.append((index, decision.ambiguous))
                    if decision.filtered:
                        filtered.append((index, decision.filtered))
        return tuple(sorted(allowed)), tuple(sorted(unsure)), tuple(sorted(filtered))

    def tier_cover(self, tier: tuple[TieredTag, ...]) -> list[tuple[tuple[TieredTag, ...], list[int]]]:
        """The egress address ranges grouped by the tier rules (in order) that cover them, once per list of rules."""
        key = tuple(map(id, tier))
        found = self.tier_covers.get(key)
        if found is None:
            covering: list[list[TieredTag]] = [[] for _ in self.compiler.partitions["egress"].ranges]
            for rule in tier:
                for index in rule.addresses:
                    covering[index].append(rule)
            groups: dict[tuple[int, ...], tuple[tuple[TieredTag, ...], list[int]]] = {}
            for index, rules in enumerate(covering):
                groups.setdefault(tuple(map(id, rules)), (tuple(rules), []))[1].append(index)
            found = self.tier_covers[key] = list(groups.values())
        return found

    def ingress_external(self, destination: int) -> ExternalPorts:
        """Address ranges that reach a destination class, with ports (no cluster policy rule matches an address
        range as its source, so only NetworkPolicies decide)."""
        ranges = self.compiler.partitions["ingress"].ranges
        if bitsets.has(self.ingress_open, destination):
            return tuple((index, ALL_PORTS) for index in range(len(ranges)))
        named_ports = self.classes[destination].named_ports
        found: dict[int, PortSet] = {}
        for rule in self.ingress_rules[destination]:
            ports = resolve_ports(rule.ports, named_ports)
            if ports:
                for index in rule.addresses:
                    found[index] = found.get(index, NO_PORTS) | ports
        return tuple(sorted(found.items()))

    def ingress_selections_of(self, destination: int) -> tuple[TierSelection, ...]:
        """The tiers' ingress selections of a class."""
        return tuple(selection for selection in self.ingress_selections if bitsets.has(selection.targets, destination))

    def tiered_ingress_external(self, destination: int) -> tuple[ExternalPorts, ExternalPorts, ExternalPorts]:
        """Address ranges that reach a destination class through Calico's tiers, with ports, and the ambiguous and
        the L7-filtered part of those ports: each range decided by the NetworkPolicy and Calico rules whose sources
        include it."""
        ranges = self.compiler.partitions["ingress"].ranges
        base: tuple[TierSelection | None, ...] = (
            (None,) if bitsets.has(self.ingress_open, destination) else ()) + self.ingress_selections_of(destination)
        covering: list[list[CompiledRule | CalicoTierRule]] = [[] for _ in ranges]
        rules: list[CompiledRule | CalicoTierRule] = [*self.ingress_rules[destination],
                                                      *self.calico_ingress[destination]]
        for rule in rules:
            for index in rule.addresses:
                covering[index].append(rule)
        named_ports = self.classes[destination].named_ports
        found = []
        unsure = []
        filtered = []
        for index, covered in enumerate(covering):
            decision = self.cell_ports((None,), (*base, *covered), named_ports)
            if decision.possible:
                found.append((index, decision.possible))
            if decision.ambiguous:
                unsure.append((index, decision.ambiguous))
            if decision.filtered:
                filtered.append((index, decision.filtered))
        return tuple(found), tuple(unsure), tuple(filtered)

    def run(self) -> tuple[tuple[Cells, ...], tuple[ExternalPorts, ...], tuple[ExternalPorts, ...],
                           Ambiguity | None, Ambiguity | None]:
        """Cells and external ports of every class, sources with the same rules computed once, what equal
        priorities leave ambiguous (None when no two policies of a tier share a priority) and what only rules with L7
        rules allow (None when no rule has any), each in the shape of the cells."""
        by_signature: dict[tuple, tuple[Cells, Cells, Cells]] = {}
        # the address side needs no ingress rules
        by_egress: dict[tuple, tuple[ExternalPorts, ExternalPorts, ExternalPorts]] = {}
        cells, egress, unsure_cells, unsure_egress, filtered_cells, filtered_egress = [], [], [], [], [], []
        isolated = set(bitsets.members(self.isolated_egress))
        for index in range(len(self.classes)):
            egress_signature = (index in isolated, tuple(map(id, self.egress_rules[index])),
                                tuple(map(id, self.tier_egress[index])))
            signature = (egress_signature, self.admitting_keys[index], self.tier_admitting_keys[index])
            if signature not in by_signature:
                by_signature[signature] = self.source_cells(index)
            if egress_signature not in by_egress:
                by_egress[egress_signature] = self.egress_external(index)
            found_cells, found_unsure, found_filtered = by_signature[signature]
            found_egress, found_unsure_egress, found_filtered_egress = by_egress[egress_signature]
            cells.append(found_cells)
            egress.append(found_egress)
            unsure_cells.append(found_unsure)
            unsure_egress.append(found_unsure_egress)
            filtered_cells.append(found_filtered)
            filtered_egress.append(found_filtered_egress)
        ingress_by_signature: dict[tuple, tuple[ExternalPorts, ExternalPorts, ExternalPorts]] = {}
        ingress, unsure_ingress, filtered_ingress = [], [], []
        open_classes = set(bitsets.members(self.ingress_open))
        for index, pod_class in enumerate(self.classes):
            ingress_signature = (index in open_classes, tuple(map(id, self.ingress_rules[index])),
                                 pod_class.named_ports, tuple(map(id, self.calico_ingress[index])),
                                 tuple(map(id, self.ingress_selections_of(index))) if self.calico else ())
            if ingress_signature not in ingress_by_signature:
                ingress_by_signature[ingress_signature] = (self.tiered_ingress_external(index) if self.calico
                                                           else (self.ingress_external(index), (), ()))
            found_ingress, found_unsure_ingress, found_filtered_ingress = ingress_by_signature[ingress_signature]
            ingress.append(found_ingress)
            unsure_ingress.append(found_unsure_ingress)
            filtered_ingress.append(found_filtered_ingress)
        ambiguity = Ambiguity(tuple(unsure_cells), tuple(unsure_egress),
                              tuple(unsure_ingress) if self.calico else ()) if self.ties else None
        filtering = Ambiguity(tuple(filtered_cells), tuple(filtered_egress),
                              tuple(filtered_ingress)) if self.filtering else None
        return tuple(cells), tuple(egress), tuple(ingress), ambiguity, filtering


def sorted_cells(found: dict[PortSet, int]) -> Cells:
    """Cells as (classes, ports), in a stable order."""
    return tuple(sorted(((bits, ports) for ports, bits in found.items()), key=lambda cell: cell[1].items()))


def analyse(pods: Iterable[Pod], policies: Iterable[NetworkPolicy], namespace_labels: dict[str, Labels],
            options: AnalysisOptions, address_cuts: Sequence[IPBlock] = (),
            cluster_policies: Iterable[ClusterPolicy] = (), nodes: Sequence[Node] = (),
            calico: CalicoObjects = NO_CALICO) -> ReachabilityMap:
    """Reachability between all pods and the address ranges the policies' ipBlocks (and networks, and the
    addresses of `nodes` their nodes peers select) induce, under the NetworkPolicies and the cluster policies' tiers.

    `namespace_labels` must hold every namespace the pods live in. `address_cuts` (e.g. the CIDRs of
    external zones) further split the address ranges, so that each range lies in one zone. With Calico policies
    (`calico`), their tiers join the list, and both address spaces are modelled whole.
    """
    policies = sorted(policies, key=lambda p: p.key)
    tiered = sorted(cluster_policies, key=lambda p: p.order)
    blocks = {direction: direction_blocks(policies, direction) for direction in ("egress", "ingress")}
    networks = network_blocks(tiered, nodes)
    cuts = calico_cuts(calico)
    egress_ranges = partition([*blocks["egress"], *networks, *domain_cuts(tiered), *cuts, *address_cuts])
    ingress_ranges = partition([*blocks["ingress"], *cuts, *address_cuts])
    pod_ranges = (partition(blocks["egress"] + blocks["ingress"] + networks + cuts)
                  if options.selects_pods(calico.cilium) else None)
    classes = group_pods(pods, pod_ranges, by_service_account=bool(calico.policies) or calico.cilium)
    compiler = Compiler(classes, namespace_labels, options, egress_ranges, ingress_ranges, pod_ranges, nodes,
                        calico.cilium)
    calico_compiler = CalicoCompiler(classes, namespace_labels, calico, compiler.partitions,
                                     compiler.pods_in_blocks) if calico.policies else None
    analysis = Analysis(classes, compiler, policies, tiered, calico_compiler)
    cells, egress, ingress, ambiguity, filtering = analysis.run()
    return ReachabilityMap(classes, cells, egress, ingress, egress_ranges.ranges, ingress_ranges.ranges, options,
                           tuple(analysis.rules), analysis.isolated_ingress, analysis.isolated_egress,
                           tuple(analysis.tier_rules), ambiguity, tuple(analysis.calico_rules), filtering,
                           compiler=compiler)


def calico_cuts(calico: CalicoObjects) -> list[IPBlock]:
    """The address cuts of Calico's objects: their networks, and both whole address spaces (a Calico rule without
    nets matches addresses of either version), or none without Calico policies. Two analyses compared address by
    address cut at both sides' cuts."""
    return [*calico_blocks(calico), WHOLE_IPV4, WHOLE_IPV6] if calico.policies else []


def domain_cuts(policies: Sequence[ClusterPolicy]) -> tuple[IPBlock, ...]:
    """Both whole address spaces when a domainNames peer (which may resolve to any address) is present, so that
    every address lies in some range; without one, no cluster policy rule matches an address of an IP version
    that no networks peer names, and NetworkPolicies alone decide it."""
    domains = any(isinstance(peer, DomainNamesPeer) for policy in policies for rule in policy.egress
                  for peer in rule.peers)
    return (WHOLE_IPV4, WHOLE_IPV6) if domains else ()


def network_blocks(policies: Sequence[ClusterPolicy], nodes: Sequence[Node] = ()) -> list[IPBlock]:
    """The blocks of the cluster policies' networks peers, and of their nodes peers' node addresses (egress: no other
    direction has them)."""
    return [block for policy in policies for rule in policy.egress for peer in rule.peers
            for block in peer_blocks(peer, nodes)]


def peer_blocks(peer: ClusterPeer, nodes: Sequence[Node]) -> tuple[IPBlock, ...]:
    """The address blocks a networks or nodes peer stands for (none for other peers)."""
    if isinstance(peer, NetworksPeer):
        return peer.blocks
    return peer.blocks(nodes) if isinstance(peer, NodesPeer) else ()


def direction_blocks(policies: Sequence[NetworkPolicy], direction: str) -> list[IPBlock]:
    """The ipBlocks of the policies' rules of one direction."""
    return [peer.block for policy in policies for rule in policy.rules(direction)
            for peer in rule.peers or () if isinstance(peer, IPBlockPeer)]


def block_cuts(policies: Iterable[NetworkPolicy], cluster_policies: Iterable[ClusterPolicy] = ()
               ) -> tuple[IPBlock, ...]:
    """Every ipBlock of the policies' rules and every networks block of the cluster policies, as address cuts.

    Two analyses that are compared (before and after a change) and given the cuts of both policy sets cut
    the address space alike, so their ranges, and the findings named after them, compare one to one.
    """
    policies = list(policies)
    tiered = list(cluster_policies)
    return (*direction_blocks(policies, "ingress"), *direction_blocks(policies, "egress"), *network_blocks(tiered),
            *domain_cuts(tiered))


def ip_version_cuts(policies: Iterable[NetworkPolicy], cluster_policies: Iterable[ClusterPolicy] = ()
                    ) -> tuple[IPBlock, ...]:
    """The whole IPv6 space as an address cut when an ipBlock of the policies is IPv6, else nothing.

    Address ranges are IPv6 only when an ipBlock (or cut) names IPv6, so two analyses compared address by
    address (diff_connections) must both model IPv6 when either does, or the side without would seem to lack
    every IPv6 connection. The whole space adds no boundary inside it.
    """
    return (WHOLE_IPV6,) if any(block.cidr.version == 6 for block in block_cuts(policies, cluster_policies)) else ()


def analyse_snapshot(snapshot: Snapshot, options: AnalysisOptions, address_cuts: Sequence[IPBlock] = ()
                     ) -> ReachabilityMap:
    """Reachability of every pod in a snapshot."""
    return analyse(snapshot.pods, snapshot.policies, snapshot.topology_labels(), options, address_cuts,
                   snapshot.cluster_policies, snapshot.nodes, tiered_objects(snapshot, options))
