"""Calico policies resolved against the classes of one snapshot: each rule's subjects and peers as bitsets of classes,
its peers' address ranges, and per tier the classes its policies select (which end in the tier's default action).

A rule's entity (source or destination) matches what all of its fields match: the selected endpoints (selector,
serviceAccounts, namespace scope) and the address ranges of the network sets they select, or everything when no
selector applies; narrowed by `nets`, less `notNets` and less what `notSelector` matches. `nets` match pods' IPs only
when ipBlocks select pods (the engine's assumption for every kind). Host-network pods are no Calico endpoint: never
subjects, never selected, matched only through their IPs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from compliance.model.calico_policy import CALICO_NETWORK_POLICY, CalicoPolicy, CalicoRule, EntityRule
from compliance.model.cluster_policy import Action
from compliance.model.policy import IPBlock
from compliance.model.selectors import Labels
from compliance.netpol import bitsets
from compliance.netpol.addresses import AddressPartition
from compliance.netpol.calico import (
    NAMESPACE_LABEL,
    SERVICE_ACCOUNT_LABEL,
    CalicoObjects,
    Rank,
    calico_rank,
    endpoint_labels,
    has_named,
    has_positive_selector,
    holds,
    named_labels,
    namespace_scoped,
    rule_ports,
    service_account_labels,
    set_labels,
    set_selected,
    unmodelled_fields,
)
from compliance.netpol.classes import LabelIndex, PodClass
from compliance.netpol.ports import NamedPorts, PortSet
from compliance.netpol.tiers import SpannedRule, Spans

PodsInBlocks = Callable[[Iterable[IPBlock]], int]


@dataclass(frozen=True, eq=False)  # one object per rule part: compared and hashed by identity
class CalicoTierRule(SpannedRule):
    """A Calico rule with its subjects (`targets`) and peers (classes, and address range indices of the peer's
    direction) resolved; `uncertain` when it sets fields not modelled, or when an ipVersion meets pod peers."""

    policy: CalicoPolicy
    direction: str
    index: int
    rule: CalicoRule
    peers: int
    addresses: frozenset[int]
    targets: int
    uncertain: bool

    @property
    def reference(self) -> str:
        """`GlobalNetworkPolicy/zones egress[0]`, `CiliumNetworkPolicy/ns/name specs[1].ingressDeny[0]`."""
        return f"{self.policy.key} {self.policy.rule_name(self.direction, self.index)}"

    @property
    def action(self) -> Action:
        """The rule's action."""
        return self.rule.action

    @property
    def l7(self) -> tuple[str, ...]:
        """The L7 rule kinds filtering what it allows."""
        return self.rule.l7

    @property
    def tier_name(self) -> str:
        """The Calico tier of its policy."""
        return self.policy.tier

    @property
    def rank(self) -> Rank:
        """Its place in the tier."""
        return calico_rank(self.policy, self.index)

    @property
    def named(self) -> bool:
        """Whether its ports depend on the destination's named ports."""
        return has_named(self.rule)

    def port_set(self, named_ports: NamedPorts | None) -> PortSet:
        """The ports it covers towards a destination with `named_ports`."""
        return rule_ports(self.rule, named_ports)


@dataclass(frozen=True, eq=False)
class TierSelection(Spans):
    """The classes (`targets`) some policy of a tier selects in one direction; `uncertain` when those policies set
    fields not modelled (the tier then selects them in the strict reading only). As a tag of a cell it covers every
    peer: `peers` and `addresses` are everything."""

    tier_name: str
    direction: str
    targets: int
    peers: int
    addresses: frozenset[int]
    uncertain: bool
    named = False


class CalicoCompiler:
    """Resolves Calico policies against classes; `pods_in_blocks` gives the classes whose IPs lie in blocks (none
    unless ipBlocks select pods)."""

    def __init__(self, classes: Iterable[PodClass], namespace_labels: Mapping[str, Labels], calico: CalicoObjects,
                 partitions: Mapping[str, AddressPartition], pods_in_blocks: PodsInBlocks) -> None:
        classes = tuple(classes)
        self.calico = calico
        self.partitions = partitions
        self.pods_in_blocks = pods_in_blocks
        self.namespace_labels = {name: dict(labels) for name, labels in namespace_labels.items()}
        accounts = service_account_labels(calico.service_accounts)
        self.endpoints = LabelIndex([tuple(sorted(endpoint_labels(c.labels, c.namespace, c.service_account).items()))
                                     for c in classes])
        self.namespaces = LabelIndex([tuple(sorted(named_labels(namespace_labels.get(c.namespace, ()),
                                                                c.namespace).items())) for c in classes])
        self.accounts = LabelIndex([tuple(sorted(accounts.get((c.namespace, c.service_account),
                                                              named_labels((), c.service_account)).items()))
                                    for c in classes])
        self.everything = self.endpoints.everything
        self.endpoint_classes = self.everything & ~bitsets.from_indices(
            (c.index for c in classes if c.host_network), len(classes))

    def subjects(self, policy: CalicoPolicy) -> int:
        """The classes a policy applies to (its namespace or namespaceSelector, serviceAccountSelector, selector)."""
        bits = self.endpoint_classes & self.endpoints.select_term(policy.selector.term)
        if policy.kind == CALICO_NETWORK_POLICY:
            bits &= self.endpoints.pair(NAMESPACE_LABEL, policy.namespace)
        if policy.namespace_selector is not None:
            bits &= self.namespaces.select_term(policy.namespace_selector.term)
        if policy.service_account_selector is not None:
            bits &= self.accounts.select_term(policy.service_account_selector.term)
        return bits

    def selected_pods(self, policy: CalicoPolicy, entity: EntityRule) -> int:
        """The classes an entity's namespace scope, serviceAccounts and selector select."""
        bits = self.endpoint_classes
        if entity.namespace_selector is not None:
            bits &= self.namespaces.select_term(entity.namespace_selector.term)
        elif namespace_scoped(policy, entity):
            bits &= self.endpoints.pair(NAMESPACE_LABEL, policy.namespace)
        accounts = entity.service_accounts
        if accounts is not None:
            if accounts.names:
                named = 0
                for name in accounts.names:
                    named |= self.endpoints.pair(SERVICE_ACCOUNT_LABEL, name)
                bits &= named
            if accounts.selector is not None:
                bits &= self.accounts.select_term(accounts.selector.term)
        if entity.selector is not None:
            bits &= self.endpoints.select_term(entity.selector.term)
        return bits

    def entity(self, policy: CalicoPolicy, entity: EntityRule, direction: str) -> tuple[int, frozenset[int]]:
        """(classes, address range indices of `direction`'s partition) an entity matches."""
        ranges = self.partitions[direction]
        if has_positive_selector(policy, entity):
            blocks = [IPBlock(net) for network_set in self.calico.network_sets
                      if set_selected(policy, entity, network_set, self.namespace_labels) for net in network_set.nets]
            classes = self.selected_pods(policy, entity) | self.pods_in_blocks(blocks)
            addresses = within(ranges, blocks)
        else:
            classes, addresses = self.everything, frozenset(range(len(ranges.ranges)))
        if entity.nets:
            blocks = [IPBlock(net) for net in entity.nets]
            classes &= self.pods_in_blocks(blocks)
            addresses &= within(ranges, blocks)
        if entity.not_nets:
            blocks = [IPBlock(net) for net in entity.not_nets]
            classes &= ~self.pods_in_blocks(blocks)
            addresses -= within(ranges, blocks)
        if entity.not_selector is not None:
            term = entity.not_selector.term
            blocks = [IPBlock(net) for network_set in self.calico.network_sets
                      if holds(term, set_labels(network_set), bool(network_set.namespace)) for net in network_set.nets]
            classes &= ~((self.endpoints.select_term(term) & self.endpoint_classes) | self.pods_in_blocks(blocks))
            addresses -= within(ranges, blocks)
        return classes & self.everything, addresses

    def rules(self, policy: CalicoPolicy, direction: str, subjects: int) -> list[CalicoTierRule]:
        """The rules of one direction of a policy selecting `subjects`, resolved (a rule with an ipVersion in two
        parts: the address ranges of that version, certain, and the pods, uncertain)."""
        found = []
        for index, rule in enumerate(policy.rules(direction)):
            subject_entity, peer_entity = ((rule.destination, rule.source) if direction == "ingress"
                                           else (rule.source, rule.destination))
            targets = subjects & self.entity(policy, subject_entity, direction)[0]
            peers, addresses = self.entity(policy, peer_entity, direction)
            if not targets:
                continue
            if policy.matches_host_network(direction, index):
                peers |= self.everything & ~self.endpoint_classes
            uncertain = bool(unmodelled_fields(policy, rule))
            parts = [(peers, addresses, uncertain)]
            if rule.ip_version is not None:
                ranges = self.partitions[direction].ranges
                addresses = frozenset(i for i in addresses if ranges[i].version == rule.ip_version)
                parts = [(peers, addresses, True)] if uncertain else [(0, addresses, False), (peers, frozenset(), True)]
            found += [CalicoTierRule(policy, direction, index, rule, bits, found_addresses, targets, unsure)
                      for bits, found_addresses, unsure in parts if bits or found_addresses]
        return found

    def compile(self) -> tuple[list[CalicoTierRule], list[TierSelection]]:
        """Every rule of the policies that select some class, and per tier and direction the classes selected."""
        rules: list[CalicoTierRule] = []
        selections: dict[tuple[str, str, bool], int] = {}
        for policy in self.calico.policies:
            subjects = self.subjects(policy)
            if not subjects:
                continue
            for direction in ("ingress", "egress"):
                if policy.applies(direction):
                    key = (policy.tier, direction, bool(policy.unmodelled))
                    selections[key] = selections.get(key, 0) | subjects
                    rules += self.rules(policy, direction, subjects)
        marks = [TierSelection(tier, direction, targets, self.everything,
                               frozenset(range(len(self.partitions[direction].ranges))), uncertain)
                 for (tier, direction, uncertain), targets in sorted(selections.items())]
        return rules, marks


def within(ranges: AddressPartition, blocks: Iterable[IPBlock]) -> frozenset[int]:
    """Indices of the ranges inside some of `blocks`."""
    found: set[int] = set()
    for block in blocks:
        found |= ranges.indices_within(block)
    return frozenset(found)


def calico_blocks(calico: CalicoObjects) -> list[IPBlock]:
    """Every network of the Calico rules (nets, notNets) and of the network sets, as address cuts."""
    nets = [net for policy in calico.policies for direction in ("ingress", "egress")
            for rule in policy.rules(direction) for entity in (rule.source, rule.destination)
            for net in (*entity.nets, *entity.not_nets)]
    nets += [net for network_set in calico.network_sets for net in network_set.nets]
    return [IPBlock(net) for net in dict.fromkeys(nets)]
