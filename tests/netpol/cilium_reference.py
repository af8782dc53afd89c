"""A direct, per-pod reading of Cilium's policy semantics, written from Cilium's documentation alone, against which
the engine's lowering of Cilium policies is tested.

Sources (cilium/cilium `Documentation/security/policy/`): intro.rst (enforcement modes, default deny per direction,
`enableDefaultDeny`), language.rst (endpoints, entities, CIDR rules and what they do not match, toFQDNs, L4 rules,
port ranges, L7 rules and how an L3/L4 allow overrides them), deny.rst (deny wins over every allow, of every kind),
kubernetes.rst (namespace scoping of CiliumNetworkPolicy selectors, namespace labels, service accounts, cluster name).

One connection, one direction at a time: the subject is the source for egress and the destination for ingress.
- Only Cilium endpoints (pods without host networking) are subjects; host-network pods and node addresses are the
  `host` (subject's own node) or `remote-node` entity; every other address is `world`.
- The subject is in default deny for a direction when a NetworkPolicy isolates it, or a rule set selecting it has
  rules of that direction (allow or deny) and does not switch `enableDefaultDeny` off (`always` mode: always).
- Allowed ports: every port (no default deny) or the union of the allows (NetworkPolicy rules, Cilium allow rules),
  less every port a deny rule of a selecting rule set matches. The local host may always reach its endpoints (possibly
  so where the pod's or the peer's node is unknown).
- L7-filtered: allowed ports that some L7 rule matches and no plain L3/L4 allow covers (nor may cover: filtering narrows
  access, so it is claimed only where every reading filters); no default deny does not lift it (intro.rst).
- A peer field the objects cannot decide (toFQDNs, toServices, kube-apiserver, unmodelled fields) may or may not
  match: the ports it decides are allowed when some reading allows them, and ambiguous when another denies them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from compliance.model.cilium_policy import CILIUM_CLUSTERWIDE_POLICY, CiliumPolicy, CiliumPort, CiliumRule, PortRule
from compliance.model.objects import NAMESPACE_NAME_LABEL, PROTOCOLS, Pod
from compliance.model.policy import IPBlock, IPBlockPeer, IPNetwork, NetworkPolicy, PortSpec, Rule
from compliance.model.selectors import LabelSelector
from compliance.model.snapshot import Snapshot
from compliance.netpol.ports import ALL_PORTS, ALL_PORTS_SPAN, NO_PORTS, PortSet, single_protocol

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAMESPACE = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels."
SERVICE_ACCOUNT = "io.cilium.k8s.policy.serviceaccount"
CLUSTER = "io.cilium.k8s.policy.cluster"
POD_SOURCES = ("k8s", "any")  # label sources a selector may name a pod's label with (no source: any)
NO, MAYBE, YES = 0, 1, 2


@dataclass(frozen=True)
class End:
    """One end of a connection: a pod, or an address (of a node, or of the world)."""

    pod: Pod | None = None
    address: Address | None = None


@dataclass(frozen=True)
class Verdict:
    """Ports allowed (every reading that some order of facts allows), those of them an L7 rule filters, and those
    another reading of the undecidable fields denies."""

    allowed: PortSet
    l7: PortSet = NO_PORTS
    ambiguous: PortSet = NO_PORTS


@dataclass(frozen=True)
class Reading:
    """One direction's verdict: allowed for certain, allowed under some reading, and L7-filtered."""

    certain: PortSet
    possible: PortSet
    l7: PortSet = NO_PORTS


OPEN = Reading(ALL_PORTS, ALL_PORTS)


def selector_key(key: str) -> str | None:
    """The pod label a Cilium selector key names (`k8s:app`, `any:app`, `app`), or None for another source."""
    source, colon, name = key.partition(":")
    if not colon:
        return key
    return name if source in POD_SOURCES else None  # reserved:, cidr:, container:... name no pod label


def selector_holds(selector: LabelSelector, labels: dict[str, str]) -> bool:
    """Whether Cilium labels (keys without source) satisfy a selector whose keys may carry a source."""
    for key, wanted in selector.match_labels:
        name = selector_key(key)
        if name is None or labels.get(name) != wanted:
            return False
    for requirement in selector.expressions:
        name = selector_key(requirement.key)
        value = None if name is None else labels.get(name)
        operator = requirement.operator
        if operator == "In" and (value is None or value not in requirement.values):
            return False
        if operator == "NotIn" and value is not None and value in requirement.values:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
    return True


def names_key(selector: LabelSelector, test: str, prefix: bool) -> bool:
    """Whether a selector names the label `test` (or, with `prefix`, a label starting with it)."""
    keys = [selector_key(key) for key, _ in selector.match_labels] + [selector_key(r.key) for r in selector.expressions]
    return any(key is not None and (key.startswith(test) if prefix else key == test) for key in keys)


def spec_ports(spec: PortSpec, named: dict[tuple[str, str], int]) -> PortSet:
    """A NetworkPolicy port entry towards a destination with `named` ports ((name, protocol) -> number)."""
    if spec.port is None:
        return single_protocol(spec.protocol, ALL_PORTS_SPAN)
    if isinstance(spec.port, str):
        number = named.get((spec.port, spec.protocol))
        return single_protocol(spec.protocol, [(number, number)] if number else [])
    return single_protocol(spec.protocol, [(spec.port, spec.end_port or spec.port)])


def cilium_port(port: CiliumPort, named: dict[tuple[str, str], int]) -> PortSet:
    """A Cilium port entry: ANY is every protocol; a name resolves on the destination pod, in the protocol it is
    declared with; endPort is ignored for a name."""
    protocols = PROTOCOLS if port.protocol == "ANY" else (port.protocol,)
    result = NO_PORTS
    for protocol in protocols:
        if port.port is None:
            spans = list(ALL_PORTS_SPAN)
        elif isinstance(port.port, str):
            number = named.get((port.port, protocol))
            spans = [(number, number)] if number else []
        else:
            spans = [(port.port, port.end_port or port.port)]
        result = result | single_protocol(protocol, spans)
    return result


def port_rule_ports(rule: PortRule, named: dict[tuple[str, str], int]) -> PortSet:
    """The ports of one toPorts entry (no ports: all of them)."""
    if not rule.ports:
        return ALL_PORTS
    result = NO_PORTS
    for port in rule.ports:
        result = result | cilium_port(port, named)
    return result


def in_block(cidr: IPNetwork, excepts: tuple[IPNetwork, ...], address: Address) -> bool:
    """Whether an address lies in a CIDR less its excepts."""
    return IPBlock(cidr, excepts).contains_address(address)


class CiliumReference:
    """Per-pod verdicts on one snapshot's NetworkPolicies and Cilium policies, read as Cilium enforces them.

    `cidr_selects_pods`: whether CIDR rules and ipBlocks match pod IPs (Cilium: no); `cidr_selects_nodes`: whether
    they match nodes (`policy-cidr-match-mode=nodes`; default no); `enforcement`: `default`, `always` or `never`.
    """

    def __init__(self, snapshot: Snapshot, cidr_selects_pods: bool = False, cidr_selects_nodes: bool = False,
                 enforcement: str = "default", cluster_name: str = "default") -> None:
        self.snapshot = snapshot
        self.cidr_selects_pods = cidr_selects_pods
        self.cidr_selects_nodes = cidr_selects_nodes
        self.enforcement = enforcement
        self.cluster_name = cluster_name
        self.pods = {pod.display: pod for pod in snapshot.pods}
        self.namespace_labels = {name: dict(labels) for name, labels in snapshot.topology_labels().items()}
        self.node_of_address = {ipaddress.ip_address(ip): node.name for node in snapshot.nodes for ip in node.ips}

    # -- the ends and their identities --------------------------------------------------------------------------

    def end(self, name: str) -> End:
        """A pod by `ns/name`, else an address."""
        return End(pod=self.pods[name]) if name in self.pods else End(address=ipaddress.ip_address(name))

    def labels(self, pod: Pod) -> dict[str, str]:
        """A pod's Cilium labels: its own, its namespace, its namespace's labels, service account and cluster."""
        namespace = self.namespace_labels.get(pod.namespace, {NAMESPACE_NAME_LABEL: pod.namespace})
        return {**dict(pod.labels), NAMESPACE: pod.namespace,
                **{NAMESPACE_LABELS + key: value for key, value in namespace.items()},
                SERVICE_ACCOUNT: pod.service_account, CLUSTER: self.cluster_name}

    def node_name(self, end: End) -> str | None:
        """The node a node-level end is (a host-network pod's node, or the node owning an address), else None."""
        if end.pod is not None:
            return end.pod.node_name if end.pod.host_network else None
        assert end.address is not None
        return self.node_of_address.get(end.address)

    def kind(self, end: End) -> str:
        """`pod` (a Cilium endpoint), `node` (host networking, node addresses) or `world`."""
        if end.pod is not None:
            return "node" if end.pod.host_network else "pod"
        return "node" if self.node_name(end) is not None else "world"

    def relation(self, subject: Pod, peer: End) -> int:
        """YES when a node-level peer is the subject's own node (the `host` entity), NO when it is another node
        (`remote-node`), MAYBE when either node is unknown."""
        node = self.node_name(peer)
        if not node or not subject.node_name:
            return MAYBE
        return YES if node == subject.node_name else NO

    def addresses(self, end: End) -> list[Address]:
        """The IP addresses of an end."""
        if end.pod is not None:
            return [ipaddress.ip_address(ip) for ip in end.pod.ips]
        assert end.address is not None
        return [end.address]

    def cidr_may_match(self, peer: End) -> bool:
        """Whether address-based rules (CIDRs, ipBlocks, names, Services' endpoints) may match a peer: world
        addresses; pods and nodes (with an address) only when configured."""
        kind = self.kind(peer)
        configured = (kind == "pod" and self.cidr_selects_pods) or (kind == "node" and self.cidr_selects_nodes)
        return kind == "world" or (configured and bool(self.addresses(peer)))

    def block_matches(self, cidr: IPNetwork, excepts: tuple[IPNetwork, ...], peer: End) -> bool:
        """Whether a CIDR rule or ipBlock matches a peer."""
        return self.cidr_may_match(peer) and any(in_block(cidr, excepts, address) for address in self.addresses(peer))

    # -- NetworkPolicies, as Cilium enforces them: their selectors see the pods' Cilium labels --------------------

    def network_policy_selects(self, policy: NetworkPolicy, direction: str, subject: Pod) -> bool:
        """Whether a NetworkPolicy isolates the subject in a direction."""
        return (policy.namespace == subject.namespace and policy.isolates(direction)
                and policy.pod_selector.matches(self.labels(subject)))

    def network_rule_matches(self, policy: NetworkPolicy, rule: Rule, peer: End) -> bool:
        """Whether a NetworkPolicy rule's peers include `peer` (no peers: every peer, the world and nodes too)."""
        if rule.peers is None:
            return True
        for item in rule.peers:
            if isinstance(item, IPBlockPeer):
                if self.block_matches(item.block.cidr, item.block.excepts, peer):
                    return True
                continue
            if self.kind(peer) != "pod":
                continue
            assert peer.pod is not None
            if item.namespace_selector is None:
                in_namespace = peer.pod.namespace == policy.namespace
            else:
                in_namespace = item.namespace_selector.matches(self.namespace_labels.get(peer.pod.namespace, {}))
            if in_namespace and (item.pod_selector is None or item.pod_selector.matches(self.labels(peer.pod))):
                return True
        return False

    # -- Cilium rules ---------------------------------------------------------------------------------------------

    def subject_selected(self, policy: CiliumPolicy, selector: LabelSelector | None, subject: Pod) -> bool:
        """Whether a rule set's endpointSelector selects the subject (a CiliumNetworkPolicy's: in its namespace)."""
        if selector is None or subject.host_network:
            return False
        if policy.kind != CILIUM_CLUSTERWIDE_POLICY and subject.namespace != policy.namespace:
            return False
        return selector_holds(selector, self.labels(subject))

    def endpoint_matches(self, policy: CiliumPolicy, selector: LabelSelector, peer: End) -> bool:
        """Whether a fromEndpoints/toEndpoints selector matches a peer: pods only; a CiliumNetworkPolicy's selector
        is limited to its namespace unless it names the namespace or namespace labels."""
        if self.kind(peer) != "pod":
            return False
        assert peer.pod is not None
        scoped = (policy.kind != CILIUM_CLUSTERWIDE_POLICY and not names_key(selector, NAMESPACE, False)
                  and not names_key(selector, NAMESPACE_LABELS, True))
        if scoped and peer.pod.namespace != policy.namespace:
            return False
        return selector_holds(selector, self.labels(peer.pod))

    def entity_matches(self, entity: str, subject: Pod, peer: End) -> int:
        """Whether an entity names a peer."""
        kind = self.kind(peer)
        version = None if kind != "world" else self.addresses(peer)[0].version
        if entity == "all":
            return YES
        if entity in ("world", "world-ipv4", "world-ipv6"):
            return YES if kind == "world" and entity[6:] in ("", f"ipv{version}") else NO
        if entity == "cluster":
            return YES if kind in ("pod", "node") else NO
        if entity in ("host", "remote-node"):
            if kind != "node":
                return NO
            relation = self.relation(subject, peer)
            return relation if entity == "host" or relation == MAYBE else YES - relation
        if entity == "kube-apiserver":  # the API server's addresses are not in the objects
            return MAYBE if kind in ("node", "world") else NO
        return NO  # health, ingress, init, unmanaged, none: no modelled peer

    def peer_matches(self, policy: CiliumPolicy, rule: CiliumRule, subject: Pod, peer: End,
                     requires: tuple[LabelSelector, ...]) -> int:
        """Whether a rule's peers match: the best of its peer fields; no peer field: every peer when it has
        toPorts, else none."""
        if rule.unmodelled:
            return MAYBE
        if not rule.has_peer:
            return YES if rule.ports is not None else NO
        best = NO
        if rule.endpoints is not None and any(self.endpoint_matches(policy, selector, peer)
                                              for selector in rule.endpoints):
            assert peer.pod is not None  # endpoint selectors match pods only
            best = YES if all(selector_holds(selector, self.labels(peer.pod)) for selector in requires) else NO
        for entity in rule.entities:
            best = max(best, self.entity_matches(entity, subject, peer))
        if any(self.block_matches(cidr.cidr, cidr.excepts, peer) for cidr in rule.cidrs):
            best = YES
        if (rule.fqdns or rule.services) and self.cidr_may_match(peer):
            best = max(best, MAYBE)  # the addresses names resolve to, and Services' endpoints, are not in the objects
        return best

    # -- one direction, one connection ----------------------------------------------------------------------------

    def direction(self, direction: str, subject: End, peer: End, destination: End) -> Reading:
        """The reading of the policies of `subject` (the source for egress, the destination for ingress)."""
        pod = subject.pod
        if pod is None or pod.host_network or self.enforcement == "never":
            return OPEN
        named = ({(p.name, p.protocol): p.port for p in destination.pod.ports if p.name}
                 if destination.pod is not None else {})
        isolated = self.enforcement == "always"
        plain_certain = plain_possible = l7_certain = l7_possible = deny_certain = deny_possible = NO_PORTS
        if direction == "ingress" and self.kind(peer) == "node":  # the local host always reaches its endpoints
            local = self.relation(pod, peer)  # MAYBE (a node unknown): the peer may be the local host
            plain_possible = ALL_PORTS if local != NO else NO_PORTS
            plain_certain = ALL_PORTS if local == YES else NO_PORTS
        selecting = [policy for policy in self.snapshot.policies
                     if self.network_policy_selects(policy, direction, pod)]
        isolated = isolated or bool(selecting)
        for network_policy in selecting:
            for network_rule in network_policy.rules(direction):
                if self.network_rule_matches(network_policy, network_rule, peer):
                    admitted = ALL_PORTS if network_rule.ports is None else NO_PORTS
                    for spec in network_rule.ports or ():
                        admitted = admitted | spec_ports(spec, named)
                    plain_certain, plain_possible = plain_certain | admitted, plain_possible | admitted
        selected = [(policy, rule_set) for policy in self.snapshot.cilium_policies for rule_set in policy.rule_sets
                    if self.subject_selected(policy, rule_set.endpoint_selector, pod)]
        requires = tuple(selector for _, rule_set in selected for rule in rule_set.rules(direction, False)
                         for selector in rule.requires)
        for policy, rule_set in selected:
            isolated = isolated or rule_set.isolates(direction)
            for deny in (False, True):
                for rule in rule_set.rules(direction, deny):
                    match = self.peer_matches(policy, rule, pod, peer, requires)
                    if match == NO:
                        continue
                    port_rules = rule.ports if rule.ports is not None else (PortRule(),)
                    for port_rule in port_rules:
                        ports = port_rule_ports(port_rule, named)
                        sure = ports if match == YES else NO_PORTS
                        if deny:
                            deny_possible, deny_certain = deny_possible | ports, deny_certain | sure
                        elif port_rule.l7:  # admits the connection, its requests filtered
                            l7_possible, l7_certain = l7_possible | ports, l7_certain | sure
                        else:
                            plain_possible, plain_certain = plain_possible | ports, plain_certain | sure
        possible = (plain_possible | l7_possible) if isolated else ALL_PORTS
        certain = (plain_certain | l7_certain) if isolated else ALL_PORTS
        possible, certain = possible - deny_certain, certain - deny_possible
        return Reading(certain, possible, (l7_possible - plain_possible) & possible)

    def verdict(self, source: str, destination: str) -> Verdict:
        """The verdict on source -> destination (`ns/name` of a pod, or an address) over every port."""
        src, dst = self.end(source), self.end(destination)
        egress = self.direction("egress", src, dst, dst)
        ingress = self.direction("ingress", dst, src, dst)
        allowed = egress.possible & ingress.possible
        certain = egress.certain & ingress.certain
        return Verdict(allowed, (egress.l7 | ingress.l7) & allowed, allowed - certain)
