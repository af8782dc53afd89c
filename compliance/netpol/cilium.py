"""Cilium's policies lowered into the tiered shape Calico's policies use, so that every evaluation (the class engine,
the per-pod verdicts, explain, diff, simulate) reads them as it reads Calico's.

Cilium's documentation (docs.cilium.io, security/policy: intro, language, deny policies, layer 4) and its agent
(`pkg/policy/repository.go`, `pkg/k8s/apis/cilium.io/utils/utils.go`) give the semantics:
- A rule set selecting an endpoint turns default deny on in a direction once it has rules of that direction (allow or
  deny; `ingress: [{}]` admits nothing but counts), unless its `enableDefaultDeny` turns it off there. Allows of every
  rule set and of the NetworkPolicies are a union; a deny rule wins over every allow.
- The tiers per direction are therefore: `cilium-deny` (every deny rule, then Pass), `cilium-allow` (the allows of rule
  sets without default deny in that direction, then Pass), then the `default` tier (the NetworkPolicies at order 1000,
  the other allows, ending in Deny where a NetworkPolicy or a default-deny rule set selects the endpoint).
  The kube-admin tier comes first and kube-baseline last, as for Calico.
- Selectors read Cilium's labels: a `k8s:` or `any:` source is dropped, another source (`reserved:`, `$host`...)
  names labels no pod carries; `io.kubernetes.pod.namespace` is the pod's namespace,
  `io.cilium.k8s.policy.serviceaccount` its service account, `io.cilium.k8s.namespace.labels.<key>` its namespace's
  label, `io.cilium.k8s.policy.cluster` the cluster's name. A CiliumNetworkPolicy's endpointSelector always applies in
  its namespace; its peer selectors too unless they test the namespace or a namespace label. A clusterwide policy's
  peer selectors match pods of any namespace.
- Entities: `all` is everything, `world` (`-ipv4`, `-ipv6`) the addresses outside the cluster, `cluster` every pod;
  host-network pods carry the host or remote-node identity: `host`, `remote-node` and `cluster` match them, endpoint
  selectors and CIDRs never; the others (kube-apiserver, health, init, ingress, unmanaged, none) match no modelled
  endpoint.
- CIDR and CIDRSet entries match their ranges less their excepts (pods only when ipBlocks select pods, which Cilium's
  agent does not do by default); `toFQDNs` may resolve to any address outside the cluster, and `toServices` acts only
  on Services without a selector, whose endpoints the snapshot does not hold: both match every address, uncertainly.
- `toPorts`: `ANY` (or no protocol) is TCP, UDP and SCTP; port 0 or none is every port; `endPort` a range; a name is
  resolved on the destination. A rule without peers matches every peer when it has `toPorts`, else none.

`policyEnforcementMode` `always` puts every pod in default deny both ways; `never` enforces no policy (a first tier
allows everything).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from compliance.model.calico_policy import (
    DEFAULT_TIER,
    GLOBAL_NETWORK_POLICY,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
)
from compliance.model.calico_selector import CalicoSelector, Conjunction, Everything, LabelTest, Negation, Term
from compliance.model.cilium_policy import (
    CILIUM_CLUSTERWIDE_POLICY,
    CiliumPolicy,
    CiliumPort,
    CiliumRule,
    CiliumRuleSet,
    PortRule,
    ServiceReference,
)
from compliance.model.cluster_policy import Action
from compliance.model.objects import PROTOCOLS, Service
from compliance.model.policy import PortSpec
from compliance.model.selectors import Labels, LabelSelector, Requirement
from compliance.model.snapshot import Snapshot
from compliance.netpol.calico import (
    NAMESPACE_LABEL,
    NETWORK_POLICY_ORDER,
    ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL,
    CalicoObjects,
)
from compliance.netpol.options import NODE_ENTITY, AnalysisOptions, detected_cni, one_node_entity

DENY_TIER = "cilium-deny"
ALLOW_TIER = "cilium-allow"
ENFORCEMENT_TIER = "cilium-enforcement"
CILIUM_TIERS = (CalicoTier(ENFORCEMENT_TIER, 0.0, Action.PASS), CalicoTier(DENY_TIER, 2000.0, Action.PASS),
                CalicoTier(ALLOW_TIER, 3000.0, Action.PASS))
UNCERTAIN_ORDER = 2 * NETWORK_POLICY_ORDER  # after every certain allow of its tier: see `lower_rule_set`
POD_NAMESPACE = "io.kubernetes.pod.namespace"
SERVICE_ACCOUNT = "io.cilium.k8s.policy.serviceaccount"
CLUSTER = "io.cilium.k8s.policy.cluster"
NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels."
POD_SOURCES = ("k8s", "any")  # label sources a pod's labels carry (any: whatever the source)
EVERYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
WORLD = {"world": EVERYWHERE, "world-ipv4": EVERYWHERE[:1], "world-ipv6": EVERYWHERE[1:]}
NOTHING: Term = Negation(Everything())
EVERY_POD = CalicoSelector("{}", Everything())
NOT_A_POD = CalicoSelector("cluster pods", LabelTest(ORCHESTRATOR_LABEL, "==", ("k8s",)))  # world: never a pod


@dataclass(frozen=True)
class LoweredPolicy(CalicoPolicy):
    """The part of a Cilium policy (or of the enforcement mode) that sits in one tier, as a GlobalNetworkPolicy whose
    selectors carry every namespace test themselves; named in outputs by the Cilium policy's key (`source`) and each
    rule by the rule it comes from (`ingress_names`, `egress_names`: `specs[1].ingressDeny[0]`)."""

    source: str = ""
    ingress_names: tuple[str, ...] = ()
    egress_names: tuple[str, ...] = ()
    host_network_rules: frozenset[tuple[str, int]] = frozenset()  # (direction, index) of rules matching them

    @property
    def key(self) -> str:
        """The Cilium policy's key, e.g. `CiliumNetworkPolicy/ns/name`."""
        return self.source

    def rule_name(self, direction: str, index: int) -> str:
        """The Cilium rule a lowered rule comes from."""
        return (self.ingress_names if direction == "ingress" else self.egress_names)[index]

    def matches_host_network(self, direction: str, index: int) -> bool:
        """Whether the rule's peers include host-network pods: they carry the host or remote-node identity, which the
        cluster, host and remote-node entities match."""
        return (direction, index) in self.host_network_rules


def selector_labels(labels: Labels, namespace: str, service_account: str, cluster_name: str) -> Labels:
    """A pod's labels as Cilium's selectors (and a NetworkPolicy's under Cilium) see them: with the namespace,
    service account and cluster labels Cilium adds to every pod."""
    return tuple(sorted({**dict(labels), POD_NAMESPACE: namespace, SERVICE_ACCOUNT: service_account,
                         CLUSTER: cluster_name}.items()))


def label_source(key: str) -> tuple[str, str]:
    """(source, key) of a selector key as Cilium parses it: `k8s:app`, `$host` (reserved), `app` (any)."""
    if key.startswith("$"):
        return "reserved", key[1:]
    source, colon, name = key.partition(":")
    return (source, name) if colon else ("any", key)


def requirement_term(key: str, requirement: Requirement) -> Term:
    """A Kubernetes requirement as a Calico term on label `key`."""
    values = tuple(sorted(requirement.values))
    if requirement.operator == "In":
        return LabelTest(key, "==", values) if len(values) == 1 else LabelTest(key, "in", values)
    if requirement.operator == "NotIn":
        return LabelTest(key, "not in", values)
    has = LabelTest(key, "has")
    return has if requirement.operator == "Exists" else Negation(has)


def conjunction(terms: Sequence[Term]) -> Term:
    """Every term (Everything when none)."""
    return terms[0] if len(terms) == 1 else Conjunction(tuple(terms)) if terms else Everything()


@dataclass(frozen=True)
class SelectorParts:
    """A Cilium selector split into what the pod's labels and its namespace's labels must satisfy; `names_namespace`
    when it tests the namespace or a namespace label (a peer selector is then not limited to the policy's)."""

    pod: tuple[Term, ...]
    namespace: tuple[Term, ...]
    names_namespace: bool


def split_selector(selector: LabelSelector, cluster: str) -> SelectorParts:
    """The pod and namespace tests of a Cilium selector; tests of the cluster's name, and of labels from sources no pod
    carries, are decided here."""
    pod: list[Term] = []
    namespace: list[Term] = []
    names_namespace = False
    requirements = [(key, Requirement(key, "In", frozenset((value,)))) for key, value in selector.match_labels]
    requirements += [(requirement.key, requirement) for requirement in selector.expressions]
    for written, requirement in requirements:
        source, key = label_source(written)
        if source not in POD_SOURCES:
            pod.append(Everything() if requirement.matches({}) else NOTHING)
        elif key == CLUSTER:
            pod.append(Everything() if requirement.matches({requirement.key: cluster}) else NOTHING)
        elif key.startswith(NAMESPACE_LABELS):
            names_namespace = True
            namespace.append(requirement_term(key[len(NAMESPACE_LABELS):], requirement))
        else:
            names_namespace = names_namespace or key == POD_NAMESPACE
            label = {POD_NAMESPACE: NAMESPACE_LABEL, SERVICE_ACCOUNT: SERVICE_ACCOUNT_LABEL}.get(key, key)
            pod.append(requirement_term(label, requirement))
    pod = [term for term in pod if not isinstance(term, Everything)]
    return SelectorParts(tuple(pod), tuple(namespace), names_namespace)


def calico_selector(terms: Sequence[Term], text: str) -> CalicoSelector:
    """A Calico selector of every term, shown as `text` (the Cilium selector as written)."""
    return CalicoSelector(text, conjunction(terms))


def in_namespace(namespace: str) -> Term:
    """The pod lives in `namespace`."""
    return LabelTest(NAMESPACE_LABEL, "==", (namespace,))


def subject_selectors(policy: CiliumPolicy, selector: LabelSelector, cluster: str
                      ) -> tuple[CalicoSelector, CalicoSelector | None]:
    """(pod selector, namespace selector) of a rule set's endpointSelector: a CiliumNetworkPolicy's applies in its
    namespace whatever it says of the namespace (the agent overwrites a `k8s:` namespace match)."""
    if policy.kind != CILIUM_CLUSTERWIDE_POLICY:
        kept = tuple((key, value) for key, value in selector.match_labels if key != f"k8s:{POD_NAMESPACE}")
        parts = split_selector(replace(selector, match_labels=kept), cluster)
        pod: tuple[Term, ...] = (in_namespace(policy.namespace), *parts.pod)
    else:
        parts = split_selector(selector, cluster)
        pod = parts.pod
    text = selector.describe()
    return calico_selector(pod, text), calico_selector(parts.namespace, text) if parts.namespace else None


def endpoint_peer(policy: CiliumPolicy, selector: LabelSelector, cluster: str) -> EntityRule:
    """A `fromEndpoints`/`toEndpoints` selector as a Calico entity: limited to the policy's namespace for a
    CiliumNetworkPolicy unless it names the namespace (a clusterwide policy's: to pods, of any namespace)."""
    parts = split_selector(selector, cluster)
    pod = parts.pod
    if policy.kind != CILIUM_CLUSTERWIDE_POLICY and not parts.names_namespace:
        pod = (in_namespace(policy.namespace), *pod)
    text = selector.describe()
    return EntityRule(selector=calico_selector(pod, text),
                      namespace_selector=calico_selector(parts.namespace, text) if parts.namespace else None)


HOST_NETWORK_ENTITIES = ("cluster", "host", "remote-node")  # they hold the nodes, and so the host-network pods
NO_POD = CalicoSelector("host-network pods", NOTHING)  # no pod by labels: the rule matches them as host-network pods


def entity_peers(entity: str, one_node: bool = False) -> tuple[Peer, ...]:
    """What an entity matches among modelled endpoints: `all` everything, `world*` addresses (never a pod, even where
    CIDRs select pods), `cluster` every pod, `host` and `remote-node` the host-network pods (their nodes are not
    modelled, so with `one_node`, one of the two without the other, the match is uncertain); kube-apiserver and the
    rest none."""
    if entity == "all":
        return (Peer(EntityRule()),)
    if entity == "cluster":
        return (Peer(EntityRule(selector=EVERY_POD), host_network=True),)
    if entity in HOST_NETWORK_ENTITIES:
        return (Peer(EntityRule(selector=NO_POD), (NODE_ENTITY,) if one_node else (), host_network=True),)
    if entity in WORLD:
        return (Peer(EntityRule(not_selector=NOT_A_POD, nets=WORLD[entity])),)
    return ()


class ServiceIndex:
    """The snapshot's Services by namespace, for `toServices` entries."""

    def __init__(self, services: Iterable[Service]) -> None:
        self.by_namespace: dict[str, list[Service]] = {}
        for service in services:
            self.by_namespace.setdefault(service.namespace, []).append(service)

    def backends_known(self, reference: ServiceReference, policy: CiliumPolicy) -> bool:
        """Whether every Service a `toServices` entry names is known to have a selector (Cilium then ignores it): a
        named Service absent from the snapshot, or one without a selector, has endpoints the snapshot does not hold.
        A label selector that picks no Service matches nothing."""
        namespace = reference.namespace or policy.namespace
        candidates = (self.by_namespace.get(namespace, []) if namespace
                      else [service for found in self.by_namespace.values() for service in found])
        if reference.name is not None:
            found = [service for service in candidates if service.name == reference.name]
            return bool(found) and all(service.selector for service in found)
        selector = reference.selector or LabelSelector()
        return all(service.selector for service in candidates if selector.matches(dict(service.labels)))


@dataclass(frozen=True)
class Peer:
    """One way a Cilium rule's peers are matched: a Calico entity, the fields that make the match uncertain, and
    whether it also matches host-network pods."""

    entity: EntityRule
    unsure: tuple[str, ...] = ()
    host_network: bool = False


def rule_peers(policy: CiliumPolicy, rule: CiliumRule, cluster: str, services: ServiceIndex) -> list[Peer]:
    """The peers of a rule, one entity per alternative (their union is what the rule matches)."""
    if not rule.has_peer:
        return [Peer(EntityRule())] if rule.ports else []
    peers = [Peer(endpoint_peer(policy, selector, cluster)) for selector in rule.endpoints or ()]
    one_node = one_node_entity(rule)
    peers += [peer for name in rule.entities for peer in entity_peers(name, one_node)]
    peers += [Peer(EntityRule(nets=(cidr.cidr,), not_nets=cidr.excepts)) for cidr in rule.cidrs]
    if rule.fqdns:
        peers.append(Peer(EntityRule(nets=EVERYWHERE), ("toFQDNs",)))
    if any(not services.backends_known(reference, policy) for reference in rule.services):
        peers.append(Peer(EntityRule(nets=EVERYWHERE), ("toServices",)))
    return peers


def port_specs(port: CiliumPort) -> tuple[PortSpec, ...]:
    """A Cilium port as the engine's port entries (ANY: one per protocol; a name: whatever its protocol)."""
    if port.is_named:
        return (PortSpec("" if port.protocol == "ANY" else port.protocol, port.port),)
    protocols = PROTOCOLS if port.protocol == "ANY" else (port.protocol,)
    number = port.port or None  # port 0: every port
    return tuple(PortSpec(protocol, number, port.end_port if number is not None else None) for protocol in protocols)


def rule_port_specs(port_rules: Iterable[PortRule]) -> tuple[PortSpec, ...] | None:
    """The port entries of some `toPorts` entries; None when one of them admits every port."""
    specs: list[PortSpec] = []
    for port_rule in port_rules:
        if not port_rule.ports:
            return None
        for port in port_rule.ports:
            if port.port is None and port.protocol == "ANY":
                return None
            specs += port_specs(port)
    return tuple(dict.fromkeys(specs))


@dataclass(frozen=True)
class LoweredRule:
    """A Calico rule lowered from a Cilium rule, with the Cilium rule's name and whether its match is uncertain."""

    rule: CalicoRule
    name: str
    host_network: bool = False

    @property
    def uncertain(self) -> bool:
        """Whether it sets fields not modelled (then it may or may not match)."""
        return bool(self.rule.unmodelled)


def port_groups(rule: CiliumRule) -> list[tuple[tuple[PortSpec, ...] | None, tuple[str, ...]]]:
    """(ports, L7 rule kinds) of a rule's toPorts, one entry per distinct set of L7 kinds (none: every port)."""
    if rule.ports is None:
        return [(None, ())]
    by_kinds: dict[tuple[str, ...], list[PortRule]] = {}
    for port_rule in rule.ports:
        by_kinds.setdefault(port_rule.l7, []).append(port_rule)
    return [(rule_port_specs(port_rules), kinds) for kinds, port_rules in by_kinds.items()] or [(None, ())]


def lower_rule(policy: CiliumPolicy, rule: CiliumRule, name: str, direction: str, deny: bool, cluster: str,
               services: ServiceIndex) -> list[LoweredRule]:
    """A Cilium rule as Calico rules of its action, one per peer alternative and set of L7 rule kinds (a deny has
    none: Cilium's deny rules are L3/L4 only)."""
    action = Action.DENY if deny else Action.ALLOW
    found = []
    for peer in rule_peers(policy, rule, cluster, services):
        for specs, kinds in port_groups(rule):
            subject = EntityRule(ports=specs)
            entity = peer.entity if direction == "ingress" else replace(peer.entity, ports=specs)
            source, destination = (entity, subject) if direction == "ingress" else (EntityRule(), entity)
            unmodelled = tuple(dict.fromkeys((*rule.unmodelled, *peer.unsure)))
            found.append(LoweredRule(CalicoRule(action, source=source, destination=destination,
                                                unmodelled=unmodelled, l7=() if deny else kinds), name,
                                     peer.host_network))
    return found


def rule_set_names(policy: CiliumPolicy) -> list[str]:
    """How each rule set is written: `spec`, then `specs[i]`."""
    has_spec = "spec" in policy.spec or ("specs" not in policy.spec and len(policy.rule_sets) == 1)
    return [("spec" if has_spec and number == 0 else f"specs[{number - has_spec}]")
            for number in range(len(policy.rule_sets))]


RULE_LISTS = {("ingress", False): "ingress", ("ingress", True): "ingressDeny", ("egress", False): "egress",
              ("egress", True): "egressDeny"}


def lower_rule_set(policy: CiliumPolicy, rule_set: CiliumRuleSet, name: str, cluster: str,
                   services: ServiceIndex) -> list[LoweredPolicy]:
    """The lowered policies of one rule set: its denies, its allows where it puts the endpoint in default deny (tier
    default: the tier then ends in Deny for it, even with no allow) and where it does not (tier cilium-allow).

    An uncertain allow may or may not allow: its strict reading denies, which must not hide a certain allow of the
    tier, so uncertain allows sit in a policy of their own ordered after the certain ones (in the default tier what
    they leave is denied anyway; in cilium-allow it is ambiguous rather than passed on)."""
    if rule_set.endpoint_selector is None:
        return []
    selector, namespace_selector = subject_selectors(policy, rule_set.endpoint_selector, cluster)
    parts: dict[tuple[str, bool], dict[str, list[LoweredRule]]] = {}
    selects: dict[str, set[str]] = {}
    for direction in ("ingress", "egress"):
        isolates = rule_set.isolates(direction)
        if isolates:
            selects.setdefault(DEFAULT_TIER, set()).add(direction)
        for deny in (True, False):
            rules = rule_set.rules(direction, deny)
            tier = DENY_TIER if deny else DEFAULT_TIER if isolates else ALLOW_TIER
            for index, rule in enumerate(rules):
                rule_name = f"{name}.{RULE_LISTS[direction, deny]}[{index}]"
                for lowered in lower_rule(policy, rule, rule_name, direction, deny, cluster, services):
                    key = (tier, lowered.uncertain and not deny)
                    parts.setdefault(key, {"ingress": [], "egress": []})[direction].append(lowered)
                    selects.setdefault(tier, set()).add(direction)
    for tier in selects:
        parts.setdefault((tier, False), {"ingress": [], "egress": []})
    found = []
    for (tier, uncertain), by_direction in sorted(parts.items()):
        types = tuple(direction.capitalize() for direction in ("ingress", "egress")
                      if direction in selects[tier] and (by_direction[direction] or not uncertain))
        found.append(LoweredPolicy(
            GLOBAL_NETWORK_POLICY, f"{policy.key} {name}", "", tier,
            UNCERTAIN_ORDER if uncertain else NETWORK_POLICY_ORDER, types,
            tuple(rule.rule for rule in by_direction["ingress"]), tuple(rule.rule for rule in by_direction["egress"]),
            selector, namespace_selector, source=policy.key,
            ingress_names=tuple(rule.name for rule in by_direction["ingress"]),
            egress_names=tuple(rule.name for rule in by_direction["egress"]),
            host_network_rules=frozenset((direction, index) for direction in ("ingress", "egress")
                                         for index, rule in enumerate(by_direction[direction]) if rule.host_network)))
    return found


def enforcement_policies(mode: str) -> list[LoweredPolicy]:
    """What `policyEnforcementMode` adds: `always`, default deny for every pod both ways; `never`, a first tier
    allowing everything; `default`, nothing."""
    if mode == "default":
        return []
    every = (CalicoRule(Action.ALLOW),) if mode == "never" else ()
    return [LoweredPolicy(GLOBAL_NETWORK_POLICY, f"policyEnforcementMode {mode}", "",
                          ENFORCEMENT_TIER if mode == "never" else DEFAULT_TIER, NETWORK_POLICY_ORDER,
                          ("Ingress", "Egress"), every, every, EVERY_POD, source=f"policyEnforcementMode={mode}",
                          ingress_names=("every pod",) * len(every), egress_names=("every pod",) * len(every))]


def lower(policies: Iterable[CiliumPolicy], services: Iterable[Service], options: AnalysisOptions
          ) -> tuple[LoweredPolicy, ...]:
    """Cilium's policies (and the enforcement mode) as policies of the tiers above; linear in the rules (a toServices
    entry looks its Services up among those of its namespace). Host policies (nodeSelector) are not modelled."""
    found = enforcement_policies(options.policy_enforcement)
    index = ServiceIndex(services)
    for policy in policies:
        for rule_set, name in zip(policy.rule_sets, rule_set_names(policy), strict=True):
            found += lower_rule_set(policy, rule_set, name, options.cluster_name, index)
    return tuple(found)


def tiered_objects(snapshot: Snapshot, options: AnalysisOptions) -> CalicoObjects:
    """The Calico objects of a snapshot with its Cilium policies lowered into them: what every evaluation takes."""
    calico = replace(CalicoObjects.of(snapshot), cilium=bool(detected_cni(snapshot)))
    if not snapshot.cilium_policies and options.policy_enforcement == "default":
        return calico
    lowered = lower(snapshot.cilium_policies, snapshot.services, options)
    return replace(calico, policies=(*calico.policies, *lowered), tiers=(*calico.tiers, *CILIUM_TIERS))

