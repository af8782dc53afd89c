"""The verdict on one connection, pod by pod and rule by rule, with the reasons.

This is the direct reading of the semantics, kept small enough to check by eye: `explain` uses it,
and the tests hold the class-based engine in `reachability` to agree with it.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance.model.objects import Pod
from compliance.model.policy import IPBlockPeer, NetworkPolicy, Peer, Rule
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, PortSet, resolve_port, resolve_ports

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
class DirectionVerdict:
    """Egress at the source or ingress at the destination.

    `applies` is False for an address endpoint: policies act only on pods.
    """

    direction: str
    applies: bool
    isolated: bool
    host_network: bool
    selecting: tuple[str, ...]
    rules: tuple[RuleVerdict, ...]
    ports: PortSet


@dataclass(frozen=True)
class ConnectionVerdict:
    """The allowed ports of one connection and the two directions that decide them."""

    source: Endpoint
    destination: Endpoint
    egress: DirectionVerdict
    ingress: DirectionVerdict
    ports: PortSet
    self_connection: bool = False


class PolicyContext:
    """Policies by namespace and namespace labels: what a verdict needs besides the two endpoints."""

    def __init__(self, policies: Iterable[NetworkPolicy], namespace_labels: Mapping[str, Mapping[str, str]],
                 options: AnalysisOptions) -> None:
        self.namespace_labels = namespace_labels
        self.options = options
        self.by_namespace: dict[str, list[NetworkPolicy]] = defaultdict(list)
        for policy in sorted(policies, key=lambda p: p.key):
            self.by_namespace[policy.namespace].append(policy)

    def peer_matches(self, peer: Peer, policy: NetworkPolicy, endpoint: Endpoint) -> bool:
        """Whether one from/to entry of `policy` matches `endpoint`."""
        if isinstance(peer, IPBlockPeer):
            if endpoint.pod is None:
                return endpoint.address is not None and peer.block.contains_address(endpoint.address)
            return self.options.ipblock_selects_pods and any(
                peer.block.contains_address(ipaddress.ip_address(ip)) for ip in endpoint.pod.ips)
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
        return ConnectionVerdict(source, destination, egress, ingress, egress.ports & ingress.ports)
