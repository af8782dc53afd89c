"""Cilium's policies as model values for engine tests (the engine is tested apart from parsing)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from compliance.model.cilium_policy import (
    CILIUM_CLUSTERWIDE_POLICY,
    CILIUM_NETWORK_POLICY,
    CIDRRule,
    CiliumPolicy,
    CiliumPort,
    CiliumRule,
    CiliumRuleSet,
    PortRule,
    ServiceReference,
)
from compliance.model.selectors import LabelSelector, Requirement
from compliance.model.snapshot import Snapshot

EVERY = LabelSelector()


def labels(**pairs: str) -> LabelSelector:
    """A matchLabels selector; keys with a source or dots are given as `**{"k8s:app": "web"}`."""
    return LabelSelector(tuple(sorted(pairs.items())))


def expression(key: str, operator: str, *values: str) -> LabelSelector:
    """A selector of one matchExpressions entry."""
    return LabelSelector(expressions=(Requirement(key, operator, frozenset(values)),))


def port(number: int | str | None = None, protocol: str = "ANY", end: int | None = None) -> CiliumPort:
    """A toPorts port: a number or name (None: every port), a protocol (ANY by default), an endPort."""
    return CiliumPort(number, end, protocol)


def to_ports(*ports: CiliumPort, l7: tuple[str, ...] = ()) -> tuple[PortRule, ...]:
    """One toPorts entry with `ports` and L7 rule kinds."""
    return (PortRule(tuple(ports), l7),)


def cidr(text: str, *excepts: str) -> CIDRRule:
    """A CIDRSet entry (a CIDR without excepts)."""
    return CIDRRule(ipaddress.ip_network(text), tuple(ipaddress.ip_network(e) for e in excepts))


def rule(*endpoints: LabelSelector, entities: tuple[str, ...] = (), cidrs: tuple[CIDRRule, ...] = (),
         ports: tuple[PortRule, ...] | None = None, fqdns: tuple[str, ...] = (),
         services: tuple[ServiceReference, ...] = (), no_endpoints: bool = False,
         unmodelled: tuple[str, ...] = ()) -> CiliumRule:
    """A rule; `endpoints` are its from/toEndpoints (none given: the field is absent)."""
    return CiliumRule(endpoints=tuple(endpoints) if endpoints else None, entities=entities, cidrs=cidrs,
                      services=services, fqdns=fqdns, ports=ports, unmodelled=unmodelled)


def rule_set(selector: LabelSelector | None = EVERY, ingress: tuple[CiliumRule, ...] = (),
             ingress_deny: tuple[CiliumRule, ...] = (), egress: tuple[CiliumRule, ...] = (),
             egress_deny: tuple[CiliumRule, ...] = (), default_deny_ingress: bool | None = None,
             default_deny_egress: bool | None = None, node_selector: LabelSelector | None = None) -> CiliumRuleSet:
    """A rule set selecting endpoints by `selector` (every endpoint by default)."""
    return CiliumRuleSet(selector, node_selector, ingress, ingress_deny, egress, egress_deny, default_deny_ingress,
                         default_deny_egress)


def cnp(ref: str, *rule_sets: CiliumRuleSet) -> CiliumPolicy:
    """A CiliumNetworkPolicy `ns/name`; one rule set is its `spec`, several its `specs`."""
    namespace, name = ref.split("/")
    return CiliumPolicy(CILIUM_NETWORK_POLICY, name, namespace, rule_sets, spec=written(rule_sets))


def ccnp(name: str, *rule_sets: CiliumRuleSet) -> CiliumPolicy:
    """A CiliumClusterwideNetworkPolicy."""
    return CiliumPolicy(CILIUM_CLUSTERWIDE_POLICY, name, "", rule_sets, spec=written(rule_sets))


def written(rule_sets: tuple[CiliumRuleSet, ...]) -> dict[str, object]:
    """The fields the object's spec would have: `spec` for one rule set, `specs` for several."""
    return {"spec": {}} if len(rule_sets) == 1 else {"specs": [{}] * len(rule_sets)}


def with_cilium(snapshot: Snapshot, *policies: CiliumPolicy) -> Snapshot:
    """The snapshot with these Cilium policies."""
    return replace(snapshot, cilium_policies=tuple(sorted(policies, key=lambda p: p.key)))
