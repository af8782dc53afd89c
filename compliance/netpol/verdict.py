"""The verdict on one connection, pod by pod and rule by rule, with the reasons.

This is the direct reading of the semantics, kept small enough to check by eye: `explain` uses it,
and the tests hold the class-based engine in `reachability` to agree with it.

Per direction, the Admin tier's rules are walked in order (priority, then rule order; first match decides a
port), then the NetworkPolicies if they isolate the pod, else the Baseline tier's rules, then the default
(allow). Policies of a tier that share a priority are walked in every order the implementation could choose:
a port is allowed when some order allows it, and ambiguous when another denies it.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from compliance.model.cluster_policy import (
    Action,
    ClusterPeer,
    ClusterPolicy,
    ClusterRule,
    DomainNamesPeer,
    NetworksPeer,
    NodesPeer,
    PodPeer,
    Tier,
)
from compliance.model.objects import Node, Pod
from compliance.model.policy import IPBlock, IPBlockPeer, NetworkPolicy, Peer, Rule
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, NamedPorts, PortSet, resolve_port, resolve_ports

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Endpoint:
    """One end of a connection: a pod, or an address outside the modelled pods."""

    pod: Pod | None = None
    address: Address | None = None

    @property
    def display(self) -> str:
        """The endpoint's name in outputs."""
        return self.pod.display if self.pod else str(self.address)


@dataclass(frozen=True)
class RuleVerdict:
    """What one rule of a selecting policy says about the connection."""

    policy: str
    direction: str
    index: int
    peer_matches: bool
    ports: PortSet
    unresolved_ports: tuple[str, ...] = ()

    @property
    def admits(self) -> bool:
        """Whether the rule admits some port of the connection."""
        return self.peer_matches and bool(self.ports)

    @property
    def reference(self) -> str:
        """`ns/name ingress[0]`."""
        return f"{self.policy} {self.direction}[{self.index}]"


@dataclass(frozen=True)
class TierStep:
    """Ports one step of a direction took: a cluster policy's rule (Allow, Deny or Pass), the NetworkPolicies
    that isolate the pod (tier `NetworkPolicy`), or the default allow (tier `default`)."""

    tier: str  # Admin, NetworkPolicy, Baseline or default
    action: Action
    ports: PortSet
    policy: str = ""
    priority: int | None = None
    rule: str = ""

    @property
    def reference(self) -> str:
        """`AdminNetworkPolicy/guard (priority 10) ingress[0] "deny-all"`, or the tier alone."""
        if not self.policy:
            return self.tier
        priority = "" if self.priority is None else f" (priority {self.priority})"
        return f"{self.policy}{priority} {self.rule}"


TieredRule = tuple[ClusterPolicy, int, ClusterRule]


@dataclass(frozen=True)
class DirectionVerdict:
    """Egress at the source or ingress at the destination.

    `applies` is False for an address endpoint: policies act only on pods. `steps` are the tiers' decisions in
    evaluation order (policies of equal priority in name order); `ambiguous` are the ports of `ports` that
    another order of equal priorities (`ties`, the policies concerned) would deny.
    """

    direction: str
    applies: bool
    isolated: bool
    host_network: bool
    selecting: tuple[str, ...]
    rules: tuple[RuleVerdict, ...]
    ports: PortSet
    steps: tuple[TierStep, ...] = ()
    ambiguous: PortSet = NO_PORTS
    ties: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectionVerdict:
    """The allowed ports of one connection and the two directions that decide them."""

    source: Endpoint
    destination: Endpoint
    egress: DirectionVerdict
    ingress: DirectionVerdict
    ports: PortSet
    self_connection: bool = False
    ambiguous: PortSet = NO_PORTS


class PolicyContext:
    """Policies by namespace and namespace labels: what a verdict needs besides the two endpoints."""

    def __init__(self, policies: Iterable[NetworkPolicy], namespace_labels: Mapping[str, Mapping[str, str]],
                 options: AnalysisOptions, cluster_policies: Iterable[ClusterPolicy] = (),
                 nodes: Sequence[Node] = ()) -> None:
        self.namespace_labels = namespace_labels
        self.options = options
        self.by_namespace: dict[str, list[NetworkPolicy]] = defaultdict(list)
        for policy in sorted(policies, key=lambda p: p.key):
            self.by_namespace[policy.namespace].append(policy)
        self.nodes = nodes
        self.tiers = {tier: sorted((p for p in cluster_policies if p.tier is tier), key=lambda p: p.order)
                      for tier in Tier}

    def in_pod_peer(self, peer: PodPeer, endpoint: Endpoint) -> bool:
        """Whether a cluster policy's subject or pod peer includes `endpoint` (never a host-network pod)."""
        pod = endpoint.pod
        return (pod is not None and not pod.host_network
                and peer.namespace_selector.matches(self.namespace_labels.get(pod.namespace, {}))
                and peer.pod_selector.matches(dict(pod.labels)))

    def cluster_peer_matches(self, peer: ClusterPeer, endpoint: Endpoint) -> bool:
        """Whether one peer of a cluster policy's rule matches `endpoint`: networks, and the addresses of the nodes a
        nodes peer selects, as ipBlocks do; domain names every address (they cannot be resolved here)."""
        if isinstance(peer, PodPeer):
            return self.in_pod_peer(peer, endpoint)
        if isinstance(peer, NetworksPeer):
            return any(self.block_matches(block, endpoint) for block in peer.blocks)
        if isinstance(peer, NodesPeer):
            return any(self.block_matches(block, endpoint) for block in peer.blocks(self.nodes))
        return isinstance(peer, DomainNamesPeer) and endpoint.pod is None

    def tier_rules(self, tier: Tier, direction: str, subject: Endpoint, peer: Endpoint) -> list[TieredRule]:
        """The rules of a tier's policies selecting `subject` whose peers include `peer`, in policy order."""
        return [(policy, index, rule) for policy in self.tiers[tier] if self.in_pod_peer(policy.subject, subject)
                for index, rule in enumerate(policy.rules(direction))
                if any(self.cluster_peer_matches(p, peer) for p in rule.peers)]

    def block_matches(self, block: IPBlock, endpoint: Endpoint) -> bool:
        """Whether an ipBlock (or a networks block) matches `endpoint`: an address inside it, or a pod with an IP
        inside it when ipBlocks select pods."""
        if endpoint.pod is None:
            return endpoint.address is not None and block.contains_address(endpoint.address)
        return self.options.ipblock_selects_pods and any(
            block.contains_address(ipaddress.ip_address(ip)) for ip in endpoint.pod.ips)

    def peer_matches(self, peer: Peer, policy: NetworkPolicy, endpoint: Endpoint) -> bool:
        """Whether one from/to entry of `policy` matches `endpoint`."""
        if isinstance(peer, IPBlockPeer):
            return self.block_matches(peer.block, endpoint)
        pod = endpoint.pod
        if pod is None:
            return False
        if peer.namespace_selector is None:
            in_namespace = pod.namespace == policy.namespace
        else:
            in_namespace = peer.namespace_selector.matches(self.namespace_labels.get(pod.namespace, {}))
        return in_namespace and (peer.pod_selector is None or peer.pod_selector.matches(dict(pod.labels)))

    def rule_matches(self, rule: Rule, policy: NetworkPolicy, endpoint: Endpoint) -> bool:
        """Whether a rule's peers include `endpoint` (absent or empty peers include everything)."""
        return rule.peers is None or any(self.peer_matches(peer, policy, endpoint) for peer in rule.peers)

    def direction(self, direction: str, subject: Endpoint, peer: Endpoint, destination: Endpoint) -> DirectionVerdict:
        """The verdict of the policies of `subject` (the source for egress, the destination for ingress)."""
        pod = subject.pod
        if pod is None:
            return DirectionVerdict(direction, False, False, False, (), (), ALL_PORTS)
        if pod.host_network and not self.options.host_network_isolated:
            return DirectionVerdict(direction, True, False, True, (), (), ALL_PORTS)
        verdict = self.network_policies(direction, pod, peer, destination)
        admin = self.tier_rules(Tier.ADMIN, direction, subject, peer)
        baseline = self.tier_rules(Tier.BASELINE, direction, subject, peer)
        if not admin and not baseline and not any(self.tiers.values()):
            return verdict
        named_ports = destination.pod.named_ports if destination.pod else None
        outcomes = [walk_tiers(direction, admin_order, verdict.isolated, verdict.ports, baseline_order, named_ports)
                    for admin_order in orders(admin) for baseline_order in orders(baseline)]
        possible = certain = outcomes[0][0]
        for allowed, _ in outcomes[1:]:
            possible, certain = possible | allowed, certain & allowed
        ties = tuple(sorted({policy.key for policy, _, _ in admin + baseline
                             if possible != certain and tied(policy, admin + baseline)}))
        return DirectionVerdict(direction, True, verdict.isolated, pod.host_network, verdict.selecting, verdict.rules,
                                possible, outcomes[0][1], possible - certain, ties)

    def network_policies(self, direction: str, pod: Pod, peer: Endpoint, destination: Endpoint) -> DirectionVerdict:
        """The verdict of the NetworkPolicies alone (every port when none isolates the pod)."""
        labels = dict(pod.labels)
        selecting = [policy for policy in self.by_namespace.get(pod.namespace, ())
                     if policy.isolates(direction) and policy.pod_selector.matches(labels)]
        named_ports = destination.pod.named_ports if destination.pod else None
        verdicts = []
        allowed = NO_PORTS
        for policy in selecting:
            for index, rule in enumerate(policy.rules(direction)):
                matches = self.rule_matches(rule, policy, peer)
                ports = resolve_ports(rule.ports, named_ports)
                unresolved = tuple(spec.describe() for spec in rule.ports or ()
                                   if spec.is_named and not resolve_port(spec, named_ports))
                verdicts.append(RuleVerdict(policy.key, direction, index, matches, ports, unresolved))
                if matches:
                    allowed = allowed | ports
        return DirectionVerdict(direction, True, bool(selecting), False,
                                tuple(policy.key for policy in selecting), tuple(verdicts),
                                allowed if selecting else ALL_PORTS)

    def connection(self, source: Endpoint, destination: Endpoint) -> ConnectionVerdict:
        """The verdict on source -> destination over every port."""
        egress = self.direction("egress", source, destination, destination)
        ingress = self.direction("ingress", destination, source, destination)
        if source.pod is not None and source.pod == destination.pod:
            return ConnectionVerdict(source, destination, egress, ingress, ALL_PORTS, self_connection=True)
        allowed = egress.ports & ingress.ports
        certain = (egress.ports - egress.ambiguous) & (ingress.ports - ingress.ambiguous)
        return ConnectionVerdict(source, destination, egress, ingress, allowed, ambiguous=allowed - certain)


def tied(policy: ClusterPolicy, rules: Sequence[TieredRule]) -> bool:
    """Whether another policy of `rules` has the tier and priority of `policy`."""
    return any(other.key != policy.key and (other.tier, other.priority) == (policy.tier, policy.priority)
               for other, _, _ in rules)


def orders(rules: Sequence[TieredRule]) -> Iterator[list[TieredRule]]:
    """Every order the implementation may give `rules` (sorted by priority and policy): policies of one priority in
    each of their permutations (name order first), each policy's rules in their own order."""
    policies = list(dict.fromkeys(policy for policy, _, _ in rules))
    groups = [list(group) for _, group in itertools.groupby(policies, key=lambda policy: policy.priority)]
    for arrangement in itertools.product(*(itertools.permutations(group) for group in groups)):
        yield [rule for group in arrangement for policy in group for rule in rules if rule[0] is policy]


def walk_tier(tier: Tier, direction: str, rules: Sequence[TieredRule], undecided: PortSet,
              named_ports: NamedPorts | None) -> tuple[PortSet, PortSet, list[TierStep]]:
    """(allowed, left to the next tier, steps): each rule in turn decides the undecided ports it covers."""
    allowed = passed = NO_PORTS
    steps = []
    for policy, index, rule in rules:
        covered = resolve_ports(rule.ports, named_ports) & undecided
        if not covered:
            continue
        name = f' "{rule.name}"' if rule.name else ""
        steps.append(TierStep(tier, rule.action, covered, policy.key, policy.shown_priority,
                              f"{direction}[{index}]{name}"))
        if rule.action is Action.ALLOW:
            allowed = allowed | covered
        elif rule.action is Action.PASS:
            passed = passed | covered
        undecided = undecided - covered
    return allowed, undecided | passed, steps


def walk_tiers(direction: str, admin: Sequence[TieredRule], isolated: bool, policy_ports: PortSet,
               baseline: Sequence[TieredRule], named_ports: NamedPorts | None) -> tuple[PortSet, tuple[TierStep, ...]]:
    """The ports one direction allows under one order of the tiers' rules, and the steps that decided them."""
    allowed, left, steps = walk_tier(Tier.ADMIN, direction, admin, ALL_PORTS, named_ports)
    if isolated:
        steps += [TierStep("NetworkPolicy", action, ports) for action, ports in
                  ((Action.ALLOW, left & policy_ports), (Action.DENY, left - policy_ports)) if ports]
        return allowed | (left & policy_ports), tuple(steps)
    baseline_allowed, rest, baseline_steps = walk_tier(Tier.BASELINE, direction, baseline, left, named_ports)
    steps += baseline_steps + ([TierStep("default", Action.ALLOW, rest)] if rest else [])
    return allowed | baseline_allowed | rest, tuple(steps)
