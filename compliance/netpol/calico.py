"""Calico's semantics that the engine and the per-pod reference share: the order of the tiers, the labels Calico adds
to endpoints, selectors read in their three contexts, a rule's ports, and what makes a rule's match uncertain.

Tiers (tigera/docs `calico/network-policy/policy-tiers/tiered-policy.mdx`, `calico/reference/resources/tier.mdx`):
every tier is taken by `order`, lower first, a tier without one after every ordered tier, then by name. Calico
places ClusterNetworkPolicies of tier Admin (and AdminNetworkPolicies) in the tier `kube-admin` of order 1,000,
Baseline ones in `kube-baseline` of order 10,000,000, both with default action Pass; the tier `default` has order
1,000,000 and holds the Calico policies without a tier and the Kubernetes NetworkPolicies, which Calico converts
to policies of order 1000 (named `knp.default.<name>`). A tier whose policies select no endpoint in a direction
is skipped; one that selects it and decides nothing ends in its default action; after the last tier the
Kubernetes profile allows.

Selectors (tigera/docs `_entityrule.mdx`, and libcalico-go's conversion of rules, `updateprocessors/rules.go`):
an endpoint carries its labels plus `projectcalico.org/namespace`, `projectcalico.org/orchestrator` and
`projectcalico.org/serviceaccount`; a namespace's labels gain `projectcalico.org/name`, as do a service account's.
In a namespaceSelector `all()` means every namespaced endpoint and `global()` only non-namespaced ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance.model.calico_policy import (
    CALICO_NETWORK_POLICY,
    DEFAULT_TIER,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    ServiceAccount,
)
from compliance.model.calico_selector import (
    Conjunction,
    Disjunction,
    Everything,
    LabelTest,
    Negation,
    NonNamespaced,
    Term,
)
from compliance.model.cluster_policy import Action, ClusterPolicy, Tier
from compliance.model.objects import PROTOCOLS
from compliance.model.selectors import Labels
from compliance.model.snapshot import Snapshot
from compliance.netpol.ports import (
    ALL_PORTS,
    ALL_PORTS_SPAN,
    NO_PORTS,
    NamedPorts,
    PortSet,
    resolve_ports,
    single_protocol,
)

KUBE_ADMIN = "kube-admin"
KUBE_BASELINE = "kube-baseline"
BUILT_IN_ORDERS = {KUBE_ADMIN: 1000.0, DEFAULT_TIER: 1_000_000.0, KUBE_BASELINE: 10_000_000.0}
CLUSTER_TIERS = {Tier.ADMIN: KUBE_ADMIN, Tier.BASELINE: KUBE_BASELINE}
NETWORK_POLICY_ORDER = 1000.0
NETWORK_POLICY_NAME = "knp.default."  # how Calico names a converted NetworkPolicy: ties at order 1000 go by name
NAMESPACE_LABEL = "projectcalico.org/namespace"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
NAME_LABEL = "projectcalico.org/name"
PROTOCOL_NUMBERS = {"6": "TCP", "17": "UDP", "132": "SCTP"}
# Rank of a rule in its tier: (order key, tie-break name, policy, rule index); rules whose first two parts are equal
# belong to policies the implementation may order either way (AdminNetworkPolicies of one priority).
Rank = tuple[tuple[int, float], str, str, int]


@dataclass(frozen=True)
class CalicoObjects:
    """A snapshot's Calico objects, as the evaluations take them."""

    policies: tuple[CalicoPolicy, ...] = ()
    tiers: tuple[CalicoTier, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    cilium: bool = False  # the CNI is Cilium: by default ipBlocks and CIDRs then match no pod (AnalysisOptions)

    @classmethod
    def of(cls, snapshot: Snapshot) -> CalicoObjects:
        """The Calico objects of a snapshot."""
        return cls(snapshot.calico_policies, snapshot.calico_tiers, snapshot.network_sets, snapshot.service_accounts)


NO_CALICO = CalicoObjects()


@dataclass(frozen=True)
class TierPlace:
    """A tier in evaluation order: its name, order (None: after every ordered tier) and default action (Deny, or
    Pass: what the kube tiers do, as if they ended in nothing)."""

    name: str
    order: float | None
    default_action: Action

    @property
    def shown(self) -> str:
        """`security (order 300)`."""
        return self.name if self.order is None else f"{self.name} (order {self.order:g})"


def tier_places(tiers: Iterable[CalicoTier], policies: Iterable[CalicoPolicy]) -> tuple[TierPlace, ...]:
    """Every tier in evaluation order: the built-in ones, the Tier objects, and tiers that policies name but no
    object declares (taken as unordered, ending in Deny)."""
    places = {KUBE_ADMIN: TierPlace(KUBE_ADMIN, BUILT_IN_ORDERS[KUBE_ADMIN], Action.PASS),
              DEFAULT_TIER: TierPlace(DEFAULT_TIER, BUILT_IN_ORDERS[DEFAULT_TIER], Action.DENY),
              KUBE_BASELINE: TierPlace(KUBE_BASELINE, BUILT_IN_ORDERS[KUBE_BASELINE], Action.PASS)}
    for tier in tiers:
        order = BUILT_IN_ORDERS.get(tier.name, tier.order)
        action = Action.PASS if tier.name in (KUBE_ADMIN, KUBE_BASELINE) else tier.default_action
        places[tier.name] = TierPlace(tier.name, order, action)
    for policy in policies:
        places.setdefault(policy.tier, TierPlace(policy.tier, None, Action.DENY))
    return tuple(sorted(places.values(), key=lambda place: (place.order is None, place.order or 0.0, place.name)))


def calico_rank(policy: CalicoPolicy, index: int) -> Rank:
    """A Calico policy's rule's place in its tier: order (unset last), then name; never tied."""
    order = (1, 0.0) if policy.order is None else (0, float(policy.order))
    return order, policy.key, policy.key, index


def cluster_rank(policy: ClusterPolicy, index: int) -> Rank:
    """A cluster policy's rule's place in its tier: priority as order; equal priorities tie."""
    return (0, float(policy.priority)), "", policy.key, index


NETWORK_POLICY_RANK: Rank = ((0, NETWORK_POLICY_ORDER), NETWORK_POLICY_NAME, NETWORK_POLICY_NAME, 0)


def endpoint_labels(labels: Labels, namespace: str, service_account: str) -> dict[str, str]:
    """A pod's labels as Calico's selectors see them."""
    return {**dict(labels), NAMESPACE_LABEL: namespace, ORCHESTRATOR_LABEL: "k8s",
            SERVICE_ACCOUNT_LABEL: service_account}


def set_labels(network_set: NetworkSet) -> dict[str, str]:
    """A network set's labels as Calico's selectors see them."""
    return {**dict(network_set.labels), **({NAMESPACE_LABEL: network_set.namespace} if network_set.namespace else {})}


def named_labels(labels: Labels, name: str) -> dict[str, str]:
    """A namespace's or service account's labels, with `projectcalico.org/name`."""
    return {**dict(labels), NAME_LABEL: name}


def holds(term: Term, labels: Mapping[str, str], namespaced: bool, namespace_context: bool = False) -> bool:
    """Whether a selector term matches an entity with `labels`; `namespaced` says whether the entity lives in a
    namespace; in a namespaceSelector (`namespace_context`) `all()` matches only namespaced entities."""
    if isinstance(term, LabelTest):
        return term.matches(labels)
    if isinstance(term, Everything):
        return namespaced or not namespace_context
    if isinstance(term, NonNamespaced):
        return not namespaced
    if isinstance(term, Negation):
        return not holds(term.term, labels, namespaced, namespace_context)
    if isinstance(term, Conjunction):
        return all(holds(part, labels, namespaced, namespace_context) for part in term.terms)
    assert isinstance(term, Disjunction)
    return any(holds(part, labels, namespaced, namespace_context) for part in term.terms)


def protocol_name(protocol: str | None) -> str | None:
    """TCP, UDP or SCTP for a modelled protocol (by name or number), another text for the rest, None for any."""
    if protocol is None:
        return None
    text = str(protocol).upper()
    return PROTOCOL_NUMBERS.get(text, text)


def rule_ports(rule: CalicoRule, named_ports: NamedPorts | None) -> PortSet:
    """The modelled ports a rule matches towards a destination with `named_ports` (None: an address range).

    `protocol` keeps the ports of that protocol (none for ICMP and other unmodelled protocols, which carry no modelled
    connection); `notProtocol` removes them; destination `ports` keep, `notPorts` remove their ports.
    """
    ports = ALL_PORTS
    protocol = protocol_name(rule.protocol)
    if protocol is not None:
        ports = single_protocol(protocol, ALL_PORTS_SPAN) if protocol in PROTOCOLS else NO_PORTS
    excluded = protocol_name(rule.not_protocol)
    if excluded in PROTOCOLS:
        ports = ports - single_protocol(excluded, ALL_PORTS_SPAN)
    destination = rule.destination
    if destination.ports is not None:
        ports = ports & resolve_ports(destination.ports, named_ports)
    if destination.not_ports:
        ports = ports - resolve_ports(destination.not_ports, named_ports)
    return ports


def has_named(rule: CalicoRule) -> bool:
    """Whether the rule's ports depend on the destination's named ports."""
    return any(spec.is_named for spec in (*(rule.destination.ports or ()), *rule.destination.not_ports))


def unmodelled_fields(policy: CalicoPolicy, rule: CalicoRule) -> tuple[str, ...]:
    """What the rule (or its policy) sets that changes its match but is not modelled: its match is then uncertain."""
    source_ports = ("source.ports",) if rule.source.ports is not None or rule.source.not_ports else ()
    return tuple(dict.fromkeys((*policy.unmodelled, *rule.unmodelled, *source_ports)))


def namespace_scoped(policy: CalicoPolicy, entity: EntityRule) -> bool:
    """Whether an entity's endpoints are limited to some namespaces: by its namespaceSelector, or to the policy's
    own namespace when a selector, notSelector or serviceAccounts is given in a namespaced policy."""
    return entity.namespace_selector is not None or (
        policy.kind == CALICO_NETWORK_POLICY
        and (entity.selector is not None or entity.not_selector is not None or entity.service_accounts is not None))


def has_positive_selector(policy: CalicoPolicy, entity: EntityRule) -> bool:
    """Whether the entity matches only selected endpoints and network sets (else it matches any address too)."""
    return entity.selector is not None or entity.service_accounts is not None or namespace_scoped(policy, entity)


def service_account_labels(accounts: Iterable[ServiceAccount]) -> dict[tuple[str, str], dict[str, str]]:
    """The labels of each (namespace, name) service account, with `projectcalico.org/name`."""
    return {(account.namespace, account.name): named_labels(account.labels, account.name) for account in accounts}


def calico_namespace_labels(namespace_labels: Mapping[str, Mapping[str, str]], namespace: str) -> dict[str, str]:
    """A namespace's labels as Calico's namespaceSelectors see them."""
    return {**namespace_labels.get(namespace, {}), NAME_LABEL: namespace}


def set_selected(policy: CalicoPolicy, entity: EntityRule, network_set: NetworkSet,
                 namespace_labels: Mapping[str, Mapping[str, str]]) -> bool:
    """Whether an entity's selector and namespace scope select a network set (serviceAccounts: only through a
    selector that holds for no labels, as Calico reads it)."""
    namespaced = bool(network_set.namespace)
    if entity.namespace_selector is not None:
        labels = calico_namespace_labels(namespace_labels, network_set.namespace) if namespaced else {}
        if not holds(entity.namespace_selector.term, labels, namespaced, True):
            return False
    elif namespace_scoped(policy, entity) and network_set.namespace != policy.namespace:
        return False
    accounts = entity.service_accounts
    if accounts is not None and (accounts.names or (
            accounts.selector is not None and not holds(accounts.selector.term, {}, namespaced))):
        return False
    return entity.selector is None or holds(entity.selector.term, set_labels(network_set), namespaced)
