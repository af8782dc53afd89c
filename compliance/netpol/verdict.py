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
from dataclasses import dataclass, replace

from compliance.model.calico_policy import (
    CALICO_NETWORK_POLICY,
    DEFAULT_TIER,
    CalicoPolicy,
    CalicoRule,
    EntityRule,
)
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
from compliance.netpol.calico import (
    KUBE_ADMIN,
    KUBE_BASELINE,
    NAME_LABEL,
    NETWORK_POLICY_ORDER,
    NETWORK_POLICY_RANK,
    NO_CALICO,
    CalicoObjects,
    Rank,
    calico_namespace_labels,
    calico_rank,
    cluster_rank,
    endpoint_labels,
    has_positive_selector,
    holds,
    namespace_scoped,
    rule_ports,
    service_account_labels,
    set_labels,
    set_selected,
    tier_places,
    unmodelled_fields,
)
from compliance.netpol.cilium import LoweredPolicy, selector_labels
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, NamedPorts, PortSet, resolve_port, resolve_ports
from compliance.netpol.tiers import PERMISSIVE, STRICT, effective_action

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
    """Ports one step of a direction took: a rule (Allow, Deny or Pass), the NetworkPolicies that isolate the pod,
    the end of a tier that selects the pod (its default action), or the allow after the last tier (tier `default`;
    `profile` when Calico's tiers are present)."""

    tier: str  # Admin, NetworkPolicy, Baseline or default; with Calico objects, the Calico tier's name, or profile
    action: Action
    ports: PortSet
    policy: str = ""
    priority: int | None = None
    rule: str = ""
    order: float | None = None
    l7: tuple[str, ...] = ()  # the L7 rule kinds that filter the requests on what the rule allows
    selected_by: tuple[str, ...] = ()  # at a tier's end: what selects the pod there (Cilium's default deny origin)

    @property
    def reference(self) -> str:
        """`AdminNetworkPolicy/guard (priority 10) ingress[0] "deny-all"`, `GlobalNetworkPolicy/zones (order 10)
        egress[1]`, or the tier alone."""
        if not self.policy:
            return self.tier
        priority = "" if self.priority is None else f" (priority {self.priority})"
        order = "" if self.order is None else f" (order {self.order:g})"
        return f"{self.policy}{priority}{order} {self.rule}".rstrip()


TieredRule = tuple[ClusterPolicy, int, ClusterRule]


@dataclass(frozen=True)
class DirectionVerdict:
    """Egress at the source or ingress at the destination.

    `applies` is False for an address endpoint: policies act only on pods. `steps` are the tiers' decisions in
    evaluation order (policies of equal priority in name order); `ambiguous` are the ports of `ports` that
    another order of equal priorities (`ties`, the policies concerned) would deny; `filtered` those only rules with
    L7 rules allow (the connection is reachable, its requests filtered).
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
    unmodelled: tuple[str, ...] = ()
    filtered: PortSet = NO_PORTS


@dataclass(frozen=True)
class ConnectionVerdict:
    """The allowed ports of one connection and the two directions that decide them; `filtered`: the ports some
    direction allows only through rules with L7 rules."""

    source: Endpoint
    destination: Endpoint
    egress: DirectionVerdict
    ingress: DirectionVerdict
    ports: PortSet
    self_connection: bool = False
    ambiguous: PortSet = NO_PORTS
    filtered: PortSet = NO_PORTS


class PolicyContext:
    """Policies by namespace and namespace labels: what a verdict needs besides the two endpoints."""

    def __init__(self, policies: Iterable[NetworkPolicy], namespace_labels: Mapping[str, Mapping[str, str]],
                 options: AnalysisOptions, cluster_policies: Iterable[ClusterPolicy] = (),
                 nodes: Sequence[Node] = (), calico: CalicoObjects = NO_CALICO) -> None:
        self.namespace_labels = namespace_labels
        self.options = options
        self.by_namespace: dict[str, list[NetworkPolicy]] = defaultdict(list)
        for policy in sorted(policies, key=lambda p: p.key):
            self.by_namespace[policy.namespace].append(policy)
        self.nodes = nodes
        self.tiers = {tier: sorted((p for p in cluster_policies if p.tier is tier), key=lambda p: p.order)
                      for tier in Tier}
        self.calico = calico
        # Calico's own policies end in its profile; Cilium's lowered ones in the default allow.
        self.profile = any(not isinstance(policy, LoweredPolicy) for policy in calico.policies)
        self.places = tier_places(calico.tiers, calico.policies)
        self.account_labels = service_account_labels(calico.service_accounts)

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
        return self.options.selects_pods(self.calico.cilium) and any(
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
        return in_namespace and (peer.pod_selector is None or peer.pod_selector.matches(self.selector_labels(pod)))

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
        if not any(self.tiers.values()) and not self.calico.policies:
            return verdict
        named_ports = destination.pod.named_ports if destination.pod else None
        tiers = self.tier_candidates(direction, subject, peer, named_ports, verdict)
        candidates = [candidate for tier in tiers for candidate in tier.candidates]
        readings = 2 if any(c.uncertain for c in candidates) or any(t.maybe_selected for t in tiers) else 1
        outcomes = [walk_tiers(arranged, preference, self.profile)
                    for arranged in arrangements(tiers) for preference in (PERMISSIVE, STRICT)[:readings]]
        possible = certain = outcomes[0][0]
        for allowed, _ in outcomes[1:]:
            possible, certain = possible | allowed, certain & allowed
        plain = possible
        if any(c.l7 for c in candidates):  # what the tiers allow without the rules that have L7 rules
            plain = NO_PORTS
            for arranged in arrangements([replace(tier, candidates=tuple(c for c in tier.candidates if not c.l7))
                                          for tier in tiers]):
                plain = plain | walk_tiers(arranged, PERMISSIVE, self.profile)[0]
        tied_keys = {c.policy for c in candidates if c.tied}
        ties = tuple(sorted(tied_keys)) if possible != certain else ()
        return DirectionVerdict(direction, True, verdict.isolated, pod.host_network, verdict.selecting, verdict.rules,
                                possible, outcomes[0][1], possible - certain, ties,
                                tuple(sorted({f"{c.policy} {c.rule}: {', '.join(c.unmodelled)}" for c in candidates
                                              if c.unmodelled})), possible - plain)

    def tier_candidates(self, direction: str, subject: Endpoint, peer: Endpoint, named_ports: NamedPorts | None,
                        verdict: DirectionVerdict) -> list[TierCandidates]:
        """Per tier in order: the rules of its policies selecting `subject` that match `peer`, and whether it selects
        the subject (certainly, or only where a policy sets fields not modelled)."""
        calico = bool(self.calico.policies)
        found = []
        for place in self.places:
            candidates: list[Candidate] = []
            selected = maybe = False
            cluster_tier = {KUBE_ADMIN: Tier.ADMIN, KUBE_BASELINE: Tier.BASELINE}.get(place.name)
            if cluster_tier is not None:
                rules = self.tier_rules(cluster_tier, direction, subject, peer)
                shown = place.name if calico else str(cluster_tier)
                candidates += [Candidate(cluster_rank(policy, index), rule.action,
                                         resolve_ports(rule.ports, named_ports), shown, policy.key,
                                         f"{direction}[{index}]" + (f' "{rule.name}"' if rule.name else ""),
                                         priority=policy.shown_priority, tied=tied(policy, rules))
                               for policy, index, rule in rules]
            selected_by: list[str] = []
            for policy in self.calico.policies:
                if policy.tier != place.name or not self.calico_selects(policy, direction, subject):
                    continue
                maybe = maybe or bool(policy.unmodelled)
                selected = selected or not policy.unmodelled
                if isinstance(policy, LoweredPolicy) and place.default_action is Action.DENY:
                    selected_by.append(policy.name)
                for index, rule in enumerate(policy.rules(direction)):
                    candidate = self.calico_candidate(policy, direction, index, rule, subject, peer, named_ports)
                    if candidate is not None:
                        candidates.append(candidate)
            if place.name == DEFAULT_TIER and verdict.isolated:
                selected = True
                if selected_by:
                    selected_by.append(f"NetworkPolicies {', '.join(verdict.selecting)}")
                candidates.append(Candidate(NETWORK_POLICY_RANK, Action.ALLOW, verdict.ports,
                                            place.name if calico else "NetworkPolicy",
                                            f"NetworkPolicies {', '.join(verdict.selecting)}" if calico else "",
                                            order=NETWORK_POLICY_ORDER if calico else None))
            candidates.sort(key=lambda candidate: candidate.rank)
            shown_tier = place.name if calico else {DEFAULT_TIER: "NetworkPolicy"}.get(place.name, place.name)
            found.append(TierCandidates(shown_tier, tuple(candidates), selected, place.default_action, maybe,
                                        tuple(dict.fromkeys(selected_by))))
        return found

    def calico_selects(self, policy: CalicoPolicy, direction: str, subject: Endpoint) -> bool:
        """Whether a Calico policy applies to `subject` in `direction` (never to a host-network pod)."""
        pod = subject.pod
        if pod is None or pod.host_network or not policy.applies(direction):
            return False
        if policy.kind == CALICO_NETWORK_POLICY and pod.namespace != policy.namespace:
            return False
        namespace_labels = calico_namespace_labels(self.namespace_labels, pod.namespace)
        if policy.namespace_selector is not None and not holds(policy.namespace_selector.term, namespace_labels,
                                                               True, True):
            return False
        if policy.service_account_selector is not None and not holds(
                policy.service_account_selector.term, self.pod_account_labels(pod), True):
            return False
        return holds(policy.selector.term, endpoint_labels(pod.labels, pod.namespace, pod.service_account), True)

    def calico_candidate(self, policy: CalicoPolicy, direction: str, index: int, rule: CalicoRule,
                         subject: Endpoint, peer: Endpoint, named_ports: NamedPorts | None) -> Candidate | None:
        """The rule as a candidate when its source and destination match the connection, apart from the fields it
        sets that are not modelled (which make it uncertain), else None."""
        host_peer = peer.pod is not None and peer.pod.host_network and policy.matches_host_network(direction, index)
        subject_entity, peer_entity = (rule.destination, rule.source) if direction == "ingress" else (
            rule.source, rule.destination)
        if not (self.entity_matches(policy, subject_entity, subject)
                and (host_peer or self.entity_matches(policy, peer_entity, peer))):
            return None
        unmodelled = unmodelled_fields(policy, rule)
        version = False
        if rule.ip_version is not None:
            if peer.address is not None and peer.address.version != rule.ip_version:
                return None
            version = peer.pod is not None  # a pod pair may talk over either family: the rule may or may not match
        return Candidate(calico_rank(policy, index), rule.action, rule_ports(rule, named_ports), policy.tier,
                         policy.key, policy.rule_name(direction, index),
                         order=None if isinstance(policy, LoweredPolicy) else policy.order,
                         uncertain=bool(unmodelled) or version,
                         unmodelled=(*unmodelled, *(("ipVersion",) if version else ())), l7=rule.l7)

    def entity_matches(self, policy: CalicoPolicy, entity: EntityRule, endpoint: Endpoint) -> bool:
        """Whether a rule's source or destination matches `endpoint` (every field given must match)."""
        if has_positive_selector(policy, entity) and not (
                self.pod_selected(policy, entity, endpoint.pod)
                or any(self.block_matches(IPBlock(net), endpoint) for network_set in self.calico.network_sets
                       if set_selected(policy, entity, network_set, self.namespace_labels)
                       for net in network_set.nets)):
            return False
        if entity.nets and not any(self.block_matches(IPBlock(net), endpoint) for net in entity.nets):
            return False
        if any(self.block_matches(IPBlock(net), endpoint) for net in entity.not_nets):
            return False
        if entity.not_selector is None:
            return True
        term = entity.not_selector.term
        pod = endpoint.pod
        if pod is not None and not pod.host_network and holds(
                term, endpoint_labels(pod.labels, pod.namespace, pod.service_account), True):
            return False
        return not any(self.block_matches(IPBlock(net), endpoint) for network_set in self.calico.network_sets
                       if holds(term, set_labels(network_set), bool(network_set.namespace))
                       for net in network_set.nets)

    def pod_selected(self, policy: CalicoPolicy, entity: EntityRule, pod: Pod | None) -> bool:
        """Whether an entity's selector, namespace scope and serviceAccounts select a pod (never a host-network pod)."""
        if pod is None or pod.host_network:
            return False
        if entity.namespace_selector is not None:
            labels = calico_namespace_labels(self.namespace_labels, pod.namespace)
            if not holds(entity.namespace_selector.term, labels, True, True):
                return False
        elif namespace_scoped(policy, entity) and pod.namespace != policy.namespace:
            return False
        accounts = entity.service_accounts
        if accounts is not None:
            if accounts.names and pod.service_account not in accounts.names:
                return False
            if accounts.selector is not None and not holds(accounts.selector.term, self.pod_account_labels(pod), True):
                return False
        return entity.selector is None or holds(
            entity.selector.term, endpoint_labels(pod.labels, pod.namespace, pod.service_account), True)

    def selector_labels(self, pod: Pod) -> dict[str, str]:
        """A pod's labels as a NetworkPolicy's selectors see them (under Cilium, with the labels it adds)."""
        if self.calico.cilium:
            return dict(selector_labels(pod.labels, pod.namespace, pod.service_account, self.options.cluster_name))
        return dict(pod.labels)

    def pod_account_labels(self, pod: Pod) -> dict[str, str]:
        """The labels of a pod's service account (its name alone when the snapshot does not hold it)."""
        return self.account_labels.get((pod.namespace, pod.service_account), {NAME_LABEL: pod.service_account})

    def network_policies(self, direction: str, pod: Pod, peer: Endpoint, destination: Endpoint) -> DirectionVerdict:
        """The verdict of the NetworkPolicies alone (every port when none isolates the pod)."""
        labels = self.selector_labels(pod)
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
        plain = (egress.ports - egress.filtered) & (ingress.ports - ingress.filtered)
        return ConnectionVerdict(source, destination, egress, ingress, allowed, ambiguous=allowed - certain,
                                 filtered=allowed - plain)


def tied(policy: ClusterPolicy, rules: Sequence[TieredRule]) -> bool:
    """Whether another policy of `rules` has the tier and priority of `policy`."""
    return any(other.key != policy.key and (other.tier, other.priority) == (policy.tier, policy.priority)
               for other, _, _ in rules)


@dataclass(frozen=True)
class Candidate:
    """A rule of a policy selecting the subject that matches the peer, as the walk needs it: its rank, action and
    ports; where it is shown (tier, policy, rule text, priority or order); whether it ties with another policy
    (equal priorities) or may not match at all (`uncertain`, for the `unmodelled` fields it sets)."""

    rank: Rank
    action: Action
    ports: PortSet
    tier: str
    policy: str
    rule: str = ""
    priority: int | None = None
    order: float | None = None
    tied: bool = False
    uncertain: bool = False
    unmodelled: tuple[str, ...] = ()
    l7: tuple[str, ...] = ()

    def step(self, ports: PortSet, action: Action) -> TierStep:
        """The step the rule takes on `ports`."""
        return TierStep(self.tier, action, ports, self.policy, self.priority, self.rule, self.order, self.l7)


@dataclass(frozen=True)
class TierCandidates:
    """One tier of a direction: its candidates in rank order, whether it selects the subject (`maybe_selected`: only
    through a policy with fields not modelled) and its default action then."""

    tier: str
    candidates: tuple[Candidate, ...]
    selected: bool
    default_action: Action
    maybe_selected: bool = False
    selected_by: tuple[str, ...] = ()  # Cilium's rule sets (and the NetworkPolicies) that put the pod in default deny


def arrangements(tiers: Sequence[TierCandidates]) -> Iterator[list[TierCandidates]]:
    """Every order the implementation may give the tiers' candidates: policies of one priority in each of their
    permutations (name order first), each policy's rules in their own order."""
    groups = []
    for tier in tiers:
        policies = list(dict.fromkeys((c.rank[:2], c.policy) for c in tier.candidates))
        groups += [[policy for _, policy in group] for _, group in itertools.groupby(policies, key=lambda p: p[0])]
    for arrangement in itertools.product(*(itertools.permutations(group) for group in groups)):
        position = {policy: number for number, policy in enumerate(p for group in arrangement for p in group)}
        yield [replace(tier, candidates=tuple(sorted(tier.candidates, key=lambda c: (c.rank[:2], position[c.policy],
                                                                                     c.rank[3]))))
               for tier in tiers]


def walk_tiers(tiers: Sequence[TierCandidates], preference: tuple[Action, ...],
               calico: bool) -> tuple[PortSet, tuple[TierStep, ...]]:
    """The ports one direction allows under one order of the candidates and one reading of the uncertain ones, and
    the steps that decided them."""
    allowed = NO_PORTS
    undecided = ALL_PORTS
    steps: list[TierStep] = []
    for tier in tiers:
        selected = tier.selected or (preference is STRICT and tier.maybe_selected)
        if not undecided:
            break
        if not tier.candidates and not selected:
            continue
        passed = NO_PORTS
        for candidate in tier.candidates:
            action = effective_action(candidate, preference)
            covered = candidate.ports & undecided
            if action is None or not covered:
                continue
            steps.append(candidate.step(covered, candidate.action if action is Action.LOG else action))
            if action is Action.LOG:
                continue
            if action is Action.ALLOW:
                allowed = allowed | covered
            elif action is Action.PASS:
                passed = passed | covered
            undecided = undecided - covered
        if selected and tier.default_action is Action.DENY:
            if undecided:
                steps.append(TierStep(tier.tier, Action.DENY, undecided, selected_by=tier.selected_by))
            undecided = passed
        else:
            undecided = undecided | passed
    if undecided:
        steps.append(TierStep("profile" if calico else "default", Action.ALLOW, undecided))
    return allowed | undecided, tuple(steps)
