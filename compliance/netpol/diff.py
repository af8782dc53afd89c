"""The difference of two reachability results on the same pods: which connections opened and which closed.

Connections to and from address ranges are compared address by address: two results cut the address
space at different points (each by its own ipBlocks), so a range is split on the boundaries of both
before ports are compared, and neighbouring pieces that changed alike are joined again, except across
the boundaries of `address_cuts` (e.g. the CIDRs of external zones, so that each range lies in one zone).
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from compliance.model.calico_policy import CalicoPolicy
from compliance.model.cilium_policy import CiliumPolicy
from compliance.model.objects import NODE_NAMES, Node, Pod
from compliance.model.policy import IPBlock, NetworkPolicy
from compliance.model.policy_identity import AnyPolicy, split_policies
from compliance.model.selectors import Labels
from compliance.model.snapshot import Snapshot
from compliance.netpol import bitsets
from compliance.netpol.addresses import AddressRange, address_value, block_spans
from compliance.netpol.calico import NO_CALICO, CalicoObjects
from compliance.netpol.cilium import lower, tiered_objects
from compliance.netpol.connections import Connection, connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.netpol.reachability import ReachabilityMap, analyse, block_cuts, calico_cuts, ip_version_cuts

EXTERNAL_SUFFIX = "[External]"
RangePorts = list[tuple[AddressRange, PortSet]]


def external_range(name: str) -> AddressRange | None:
    """The address range an endpoint name such as `10.0.0.0-10.255.255.255[External]` stands for, else None."""
    if not name.endswith(EXTERNAL_SUFFIX):
        return None
    first, _, last = name[: -len(EXTERNAL_SUFFIX)].partition("-")
    version, low = address_value(first)
    _, high = address_value(last)
    return AddressRange(version, low, high)


def diff_connections(before: Iterable[Connection], after: Iterable[Connection],
                     address_cuts: Sequence[IPBlock] = ()) -> tuple[list[Connection], list[Connection]]:
    """(opened, closed): the connections, with only the ports, that `after` allows and `before` does not, and back.

    A connection whose port set shrinks is partly closed: it appears in `closed` with the ports it lost.
    Address ranges in the result never span a boundary of `address_cuts`.
    """
    boundaries = {(version, point) for version, spans in map(block_spans, address_cuts)
                  for low, high in spans for point in (low, high + 1)}
    pairs: dict[tuple[str, str], list[PortSet]] = defaultdict(lambda: [NO_PORTS, NO_PORTS])
    ranges: dict[tuple[str, bool], tuple[RangePorts, RangePorts]] = defaultdict(lambda: ([], []))
    for side, found in enumerate((before, after)):
        for connection in found:
            source_range, destination_range = external_range(connection.source), external_range(connection.destination)
            if destination_range is not None:
                ranges[(connection.source, True)][side].append((destination_range, connection.ports))
            elif source_range is not None:
                ranges[(connection.destination, False)][side].append((source_range, connection.ports))
            else:
                pairs[(connection.source, connection.destination)][side] |= connection.ports
    opened: list[Connection] = []
    closed: list[Connection] = []
    for (source, destination), (was, now) in pairs.items():
        if was == now:
            continue
        gained, lost = now - was, was - now
        if gained:
            opened.append(Connection(source, destination, gained))
        if lost:
            closed.append(Connection(source, destination, lost))
    for (node, outgoing), (was_ranges, now_ranges) in ranges.items():
        for into, changed in ((opened, range_difference(now_ranges, was_ranges, boundaries)),
                              (closed, range_difference(was_ranges, now_ranges, boundaries))):
            into.extend(Connection(node, r.display, ports) if outgoing else Connection(r.display, node, ports)
                        for r, ports in changed)
    return sorted(opened), sorted(closed)


def range_difference(minuend: RangePorts, subtrahend: RangePorts,
                     boundaries: set[tuple[int, int]]) -> RangePorts:
    """Per address, the ports of `minuend` missing from `subtrahend` (each side disjoint), as maximal ranges
    that do not cross `boundaries` ((version, first address of a range))."""
    versions = {r.version for r, _ in minuend}
    cuts = sorted({(r.version, point) for r, _ in minuend + subtrahend for point in (r.first, r.last + 1)}
                  | {(version, point) for version, point in boundaries if version in versions})
    having, lacking = RangeLookup(minuend), RangeLookup(subtrahend)
    result: RangePorts = []
    for (version, low), (next_version, next_low) in itertools.pairwise(cuts):
        if version != next_version:
            continue
        ports = having.ports_at(version, low) - lacking.ports_at(version, low)
        if not ports:
            continue
        joins = result and result[-1][0].version == version and result[-1][0].last + 1 == low
        if joins and result[-1][1] == ports and (version, low) not in boundaries:
            result[-1] = (AddressRange(version, result[-1][0].first, next_low - 1), ports)
        else:
            result.append((AddressRange(version, low, next_low - 1), ports))
    return result


class RangeLookup:
    """Disjoint address ranges with ports, searchable by address."""

    def __init__(self, found: RangePorts) -> None:
        self.ordered = sorted(found, key=lambda item: item[0])
        self.starts = [(r.version, r.first) for r, _ in self.ordered]

    def ports_at(self, version: int, address: int) -> PortSet:
        """The ports of the range holding the address, or none."""
        position = bisect.bisect_right(self.starts, (version, address)) - 1
        if position >= 0:
            found, ports = self.ordered[position]
            if found.version == version and address <= found.last:
                return ports
        return NO_PORTS


class ZoneAssignment(Protocol):
    """Zones of workloads and of address ranges (the Scope)."""

    def zone_of_workload(self, namespace_labels: Mapping[str, str], pod_labels: Mapping[str, str]) -> str:
        """The zone of a workload with these namespace and pod labels."""

    def zone_of_range(self, version: int, first: int, last: int) -> str:
        """The zone of an address range."""


def endpoint_zones(pods: Iterable[Pod], namespace_labels: Mapping[str, Labels], zones: ZoneAssignment,
                   level: str = "workload") -> Callable[[str], str]:
    """A function from endpoint names at `level` (and address range names) to zone names.

    A workload (namespace) whose pods lie in several zones takes the zone of its first pod by name.
    """
    found: dict[str, str] = {}
    for pod in sorted(pods, key=lambda p: (p.namespace, p.name)):
        name = NODE_NAMES[level](pod)
        if name not in found:
            found[name] = zones.zone_of_workload(dict(namespace_labels[pod.namespace]), dict(pod.labels))

    def zone_of(name: str) -> str:
        address_range = external_range(name)
        if address_range is None:
            return found[name]
        return zones.zone_of_range(address_range.version, address_range.first, address_range.last)
    return zone_of


def roll_up(found: Iterable[Connection], zone_of: Callable[[str], str]) -> list[Connection]:
    """Connections between the zones of their endpoints, each with the union of its connections' ports."""
    zones: dict[tuple[str, str], PortSet] = {}
    for connection in found:
        key = (zone_of(connection.source), zone_of(connection.destination))
        zones[key] = zones.get(key, NO_PORTS) | connection.ports
    return sorted(Connection(source, destination, ports) for (source, destination), ports in zones.items())


def connections_touching(reach: ReachabilityMap, level: str, namespaces: Iterable[str]) -> list[Connection]:
    """The connections at `level` whose source or destination is a pod in one of `namespaces`."""
    wanted = set(namespaces)
    inside = bitsets.from_indices((c.index for c in reach.classes if c.namespace in wanted), len(reach.classes))
    cells = tuple(cells if bitsets.has(inside, source) else tuple((bits & inside, ports) for bits, ports in cells
                                                                   if bits & inside)
                  for source, cells in enumerate(reach.cells))
    egress = tuple(found if bitsets.has(inside, source) else () for source, found in enumerate(reach.egress_external))
    ingress = tuple(found if bitsets.has(inside, target) else () for target, found in enumerate(reach.ingress_external))
    return connections(replace(reach, cells=cells, egress_external=egress, ingress_external=ingress), level)


def enforced(policy: AnyPolicy) -> tuple[object, ...]:
    """What a policy selects and admits: everything but its name, labels, uid and spec text."""
    if isinstance(policy, NetworkPolicy):
        return (policy.namespace, policy.pod_selector, policy.isolates_ingress, policy.isolates_egress, policy.ingress,
                policy.egress)
    if isinstance(policy, CalicoPolicy):
        return (policy.kind, policy.namespace, policy.tier, policy.order, policy.types, policy.ingress, policy.egress,
                policy.selector, policy.namespace_selector, policy.service_account_selector, policy.unmodelled)
    if isinstance(policy, CiliumPolicy):
        return policy.kind, policy.namespace, policy.rule_sets
    return policy.kind, policy.tier, policy.priority, policy.subject, policy.ingress, policy.egress


def same_rules(first: AnyPolicy | None, second: AnyPolicy | None) -> bool:
    """Whether two versions of a policy select and admit the same (names, labels and spec text aside)."""
    if first is None or second is None:
        return first is second
    return enforced(first) == enforced(second)


def tiered_cuts(calico: Sequence[CalicoPolicy], cilium: Sequence[CiliumPolicy]) -> list[IPBlock]:
    """`calico_cuts` of Calico's policies and Cilium's (lowered: their CIDRs)."""
    return calico_cuts(CalicoObjects((*calico, *lower(cilium, (), AnalysisOptions()))))


def policy_cuts(policies: Iterable[AnyPolicy]) -> tuple[IPBlock, ...]:
    """`block_cuts` of policies of every kind (Calico's and Cilium's: their networks and both address spaces)."""
    network, tiered, calico, cilium = split_policies(policies)
    return (*block_cuts(network, tiered), *tiered_cuts(calico, cilium))


def version_cuts(policies: Iterable[AnyPolicy]) -> tuple[IPBlock, ...]:
    """`ip_version_cuts` of policies of every kind (Calico's and Cilium's rules match both address spaces)."""
    network, tiered, calico, cilium = split_policies(policies)
    return (*ip_version_cuts(network, tiered), *tiered_cuts(calico, cilium)[-2:])


class IncrementalReachability:
    """Reachability of fixed pods while their policies (of every kind, by identity `ns/name` or `Kind/name`) change
    one at a time: history replays changes (`apply`), drift and simulations weigh one policy against another
    (`compare`).

    A policy decides only the connections from and to the pods it selects (a NetworkPolicy's podSelector, a
    cluster policy's subject), so replacing it can change only connections touching the namespaces of those pods
    (of either version): a change whose rules are the same, or whose versions select no pod, is not evaluated, and
    otherwise only the connections touching those namespaces are listed and compared.
    `address_cuts` are kept as boundaries of address ranges in the results (e.g. the CIDRs of zones);
    `analysis_cuts` only cut the address space when analysing, so that two sets of policies compare one to one;
    `nodes` give the addresses of cluster policies' nodes peers; `calico` are Calico objects that stay as they are
    while the tracked policies change (tiers, network sets, service accounts, and any Calico policies not tracked):
    the tracked Calico policies join its own. `untracked`, when given, is the snapshot whose objects stay (its
    tracked policies left out) and takes the place of `calico`: the tracked Cilium policies are lowered with it
    (`tiered_objects`); without it they are lowered alone (no Services, no `calico`). With `cilium_cni` the CNI is
    Cilium in every state (what the CNI decides does not come and go with the tracked Cilium policies).
    """

    def __init__(self, pods: Sequence[Pod], namespace_labels: Mapping[str, Labels],
                 policies: Iterable[AnyPolicy], options: AnalysisOptions, level: str = "workload",
                 address_cuts: Sequence[IPBlock] = (), analysis_cuts: Sequence[IPBlock] = (),
                 nodes: Sequence[Node] = (), calico: CalicoObjects = NO_CALICO,
                 untracked: Snapshot | None = None, cilium_cni: bool = False) -> None:
        self.pods = tuple(pods)
        self.nodes = tuple(nodes)
        self.untracked = untracked
        self.calico = tiered_objects(untracked, options) if untracked else calico
        if cilium_cni:
            self.calico = replace(self.calico, cilium=True)
        self.namespace_labels = dict(namespace_labels)
        self.options = options
        self.level = level
        self.policies: dict[str, AnyPolicy] = {policy.key: policy for policy in policies}
        self.address_cuts = (*address_cuts, *version_cuts(self.policies.values()))
        self.analysis_cuts = tuple(analysis_cuts)
        self.pod_labels: dict[str, list[dict[str, str]]] = defaultdict(list)
        for pod in self.pods:
            self.pod_labels[pod.namespace].append(dict(pod.labels))
        self.reach: ReachabilityMap | None = None
        self.touching: dict[frozenset[str], list[Connection]] = {}
        self.evaluations = 0

    def analyse(self, policies: Iterable[AnyPolicy] | None = None) -> ReachabilityMap:
        """Reachability under the current policies (or the given ones)."""
        self.evaluations += 1
        network, tiered, calico, cilium = split_policies(self.policies.values() if policies is None else policies)
        fixed = self.calico
        if cilium:
            fixed = replace(tiered_objects(self.with_cilium(cilium), self.options), cilium=self.calico.cilium)
        if calico:
            fixed = replace(fixed, policies=(*fixed.policies, *calico))
        return analyse(self.pods, network, self.namespace_labels, self.options,
                       (*self.address_cuts, *self.analysis_cuts), tiered, self.nodes, fixed)

    def with_cilium(self, cilium: Sequence[CiliumPolicy]) -> Snapshot:
        """The untracked snapshot with the tracked Cilium policies joining its own."""
        if self.untracked is None:
            return Snapshot({}, "", (), self.pods, (), (), cilium_policies=tuple(cilium))
        return replace(self.untracked, cilium_policies=(*self.untracked.cilium_policies, *cilium))

    def apply(self, key: str, policy: AnyPolicy | None) -> tuple[list[Connection], list[Connection]]:
        """Set (or delete, with None) the policy `key`; (opened, closed) connections as in `diff_connections`."""
        return self.swap(key, policy, keep=True)

    def compare(self, key: str, policy: AnyPolicy | None) -> tuple[list[Connection], list[Connection]]:
        """(opened, closed) if the policy `key` were set (or deleted, with None); the policies stay as they are."""
        return self.swap(key, policy, keep=False)

    def swap(self, key: str, policy: AnyPolicy | None, keep: bool) -> tuple[list[Connection], list[Connection]]:
        """(opened, closed) by setting the policy `key`, kept or not."""
        previous = self.policies.get(key)
        new_cuts = tuple(cut for cut in version_cuts([policy] if policy else []) if cut not in self.address_cuts)
        if new_cuts:  # from now on, "before" and "after" both model the IP versions the new policy brings
            self.address_cuts += new_cuts
            self.reset()
        namespaces = self.selected_namespaces(previous) | self.selected_namespaces(policy)
        if same_rules(previous, policy) or not namespaces:
            if keep:
                self.store(key, policy)
            return [], []
        before = self.connections_touching(namespaces)
        if keep:
            self.store(key, policy)
            self.touching.clear()
            self.reach = self.analyse()
            after = self.connections_touching(namespaces)
        else:
            swapped = {**self.policies, key: policy}
            after = connections_touching(self.analyse(p for p in swapped.values() if p is not None), self.level,
                                         namespaces)
        return diff_connections(before, after, self.address_cuts)

    def connections_touching(self, namespaces: frozenset[str]) -> list[Connection]:
        """The connections touching `namespaces` under the current policies, listed once per set of namespaces."""
        if self.reach is None:
            self.reach = self.analyse()
        if namespaces not in self.touching:
            self.touching[namespaces] = connections_touching(self.reach, self.level, namespaces)
        return self.touching[namespaces]

    def reset(self) -> None:
        """Forget the reachability computed under the policies as they were."""
        self.reach = None
        self.touching.clear()

    def selected_namespaces(self, policy: AnyPolicy | None) -> frozenset[str]:
        """The namespaces of the pods a policy selects (a policy that selects none allows and denies nothing)."""
        if policy is None:
            return frozenset()
        if isinstance(policy, NetworkPolicy):
            chosen = {policy.namespace: policy.pod_selector}
        elif isinstance(policy, (CalicoPolicy, CiliumPolicy)):  # its namespace, or every one (a superset is safe)
            return frozenset(name for name in self.pod_labels if name == policy.namespace or not policy.namespace)
        else:
            chosen = {name: policy.subject.pod_selector for name in self.pod_labels
                      if policy.subject.namespace_selector.matches(dict(self.namespace_labels.get(name, ())))}
        return frozenset(name for name, selector in chosen.items()
                         if any(selector.matches(labels) for labels in self.pod_labels.get(name, ())))

    def store(self, key: str, policy: AnyPolicy | None) -> None:
        """Keep the new version of a policy (None removes it); the caller keeps the reachability up to date."""
        if policy is None:
            self.policies.pop(key, None)
        else:
            self.policies[key] = policy
