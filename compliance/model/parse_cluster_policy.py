"""Parsing and validating the cluster-scoped policies of network-policy-api as its CRD schemas and CEL rules do:
AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1, as served by v0.1.x) and ClusterNetworkPolicy
(v1alpha2, v0.2.x). Every error names the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compliance.documents import list_at, mapping_at, string_at, type_name
from compliance.errors import InvalidObject
from compliance.model.cluster_policy import (
    ADMIN_NETWORK_POLICY,
    BASELINE_ADMIN_NETWORK_POLICY,
    CLUSTER_NETWORK_POLICY,
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
from compliance.model.parse import (
    parse_metadata,
    parse_network,
    parse_port_name,
    parse_port_number,
    parse_protocol,
    parse_selector,
)
from compliance.model.policy import IPBlock, PortSpec

# v1alpha1 (v0.1.x) allows 100 rules, peers and ports; v1alpha2 allows 25 of each.
LIMITS = {ADMIN_NETWORK_POLICY: 100, BASELINE_ADMIN_NETWORK_POLICY: 100, CLUSTER_NETWORK_POLICY: 25}
ADDRESS_LIMIT = 25
RULE_NAME_LENGTH = 100
ACTIONS = {ADMIN_NETWORK_POLICY: {"Allow": Action.ALLOW, "Deny": Action.DENY, "Pass": Action.PASS},
           BASELINE_ADMIN_NETWORK_POLICY: {"Allow": Action.ALLOW, "Deny": Action.DENY},
           CLUSTER_NETWORK_POLICY: {"Accept": Action.ALLOW, "Deny": Action.DENY, "Pass": Action.PASS}}
# The CRD's pattern, as written (its `A-z` also admits a few punctuation characters).
DOMAIN_NAME = re.compile(r"^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+"
                         r"[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$")
BASELINE_NAME = "default"


SPEC_FIELDS = {ADMIN_NETWORK_POLICY: ("priority", "subject", "ingress", "egress"),
               BASELINE_ADMIN_NETWORK_POLICY: ("subject", "ingress", "egress"),
               CLUSTER_NETWORK_POLICY: ("tier", "priority", "subject", "ingress", "egress")}


def known_fields(entry: Mapping[str, Any], field: str, allowed: tuple[str, ...]) -> None:
    """Reject a field the schema does not know (as strict field validation does): a misspelt `ports` must not
    silently read as every port."""
    unknown = sorted(key for key in entry if key not in allowed)
    if unknown:
        raise InvalidObject(f"{field}.{unknown[0]}", f"unknown field (expected {', '.join(allowed)})")


def one_of(value: Any, field: str, allowed: tuple[str, ...]) -> tuple[str, Any]:
    """The one field set in `value` (exactly one of `allowed` must be)."""
    entry = mapping_at(value, field, required=True)
    unknown = [key for key in entry if key not in allowed]
    if unknown:
        raise InvalidObject(f"{field}.{unknown[0]}", f"unknown field (expected exactly one of {', '.join(allowed)})")
    given = [key for key in allowed if entry.get(key) is not None]
    if len(given) != 1:
        raise InvalidObject(field, f"exactly one of {', '.join(allowed)} must be set, not "
                            f"{' and '.join(given) if given else 'none'}")
    return given[0], entry[given[0]]


def bounded_list(value: Any, field: str, limit: int, required: bool = False) -> list[Any]:
    """A list of at most `limit` items; when required (or given), at least one."""
    items = list_at(value, field)
    if (required or value is not None) and not items:
        raise InvalidObject(field, "must be defined and contain at least one item")
    if len(items) > limit:
        raise InvalidObject(field, f"must have at most {limit} items, not {len(items)}")
    return items


def parse_namespaced_pods(value: Any, field: str, kind: str) -> PodPeer:
    """`{namespaceSelector, podSelector}`: both required in v1alpha1; v1alpha2 requires only podSelector, a
    missing namespaceSelector selecting every namespace (as its empty selector does)."""
    pods = mapping_at(value, field, required=True)
    required = ("podSelector",) if kind == CLUSTER_NETWORK_POLICY else ("namespaceSelector", "podSelector")
    for key in required:
        if pods.get(key) is None:
            raise InvalidObject(f"{field}.{key}", "required field is missing")
    return PodPeer(parse_selector(pods.get("namespaceSelector"), f"{field}.namespaceSelector"),
                   parse_selector(pods["podSelector"], f"{field}.podSelector"))


def parse_subject(value: Any, field: str, kind: str) -> PodPeer:
    """The subject: exactly one of `namespaces` (a selector) or `pods`."""
    key, chosen = one_of(value, field, ("namespaces", "pods"))
    if key == "namespaces":
        return PodPeer(parse_selector(chosen, f"{field}.namespaces"))
    return parse_namespaced_pods(chosen, f"{field}.pods", kind)


def parse_networks(value: Any, field: str) -> NetworksPeer:
    """CIDRs, at least one and at most 25."""
    return NetworksPeer(tuple(IPBlock(parse_network(item, f"{field}[{index}]"))
                              for index, item in enumerate(bounded_list(value, field, ADDRESS_LIMIT, True))))


def parse_domain_names(value: Any, field: str) -> DomainNamesPeer:
    """Domain names (an exact name, or `*.` and a suffix), at least one and at most 25."""
    names = []
    for index, item in enumerate(bounded_list(value, field, ADDRESS_LIMIT, True)):
        name = string_at(item, f"{field}[{index}]", required=True)
        if not DOMAIN_NAME.fullmatch(name):  # the API's `$` does not match before a final newline
            raise InvalidObject(f"{field}[{index}]", f"invalid domain name {name!r}")
        names.append(name)
    return DomainNamesPeer(tuple(names))


def parse_peer(value: Any, field: str, kind: str, direction: str) -> ClusterPeer:
    """One peer: exactly one of the fields the kind and direction allow."""
    allowed: tuple[str, ...] = ("namespaces", "pods")
    if direction == "egress":
        allowed += ("nodes", "networks") + (("domainNames",) if kind != BASELINE_ADMIN_NETWORK_POLICY else ())
    key, chosen = one_of(value, field, allowed)
    where = f"{field}.{key}"
    if key == "namespaces":
        return PodPeer(parse_selector(chosen, where))
    if key == "pods":
        return parse_namespaced_pods(chosen, where, kind)
    if key == "nodes":
        return NodesPeer(parse_selector(chosen, where))
    if key == "networks":
        return parse_networks(chosen, where)
    return parse_domain_names(chosen, where)


def parse_v1alpha1_port(value: Any, field: str) -> PortSpec:
    """An AdminNetworkPolicyPort: exactly one of portNumber, namedPort or portRange. The v1alpha1 schema does not
    enforce its documented `end` above `start`; a range that ends below its start, which would match no port, is
    rejected as the documentation (and v1alpha2's schema) would have it."""
    key, chosen = one_of(value, field, ("portNumber", "namedPort", "portRange"))
    where = f"{field}.{key}"
    if key == "namedPort":
        return PortSpec("", parse_port_name(string_at(chosen, where, required=True), where))
    entry = mapping_at(chosen, where, required=True)
    protocol = parse_protocol(entry.get("protocol"), f"{where}.protocol")
    if key == "portNumber":
        return PortSpec(protocol, parse_port_number(entry.get("port"), f"{where}.port"))
    start = parse_port_number(entry.get("start"), f"{where}.start")
    end = parse_port_number(entry.get("end"), f"{where}.end")
    if end < start:
        raise InvalidObject(where, f"end ({end}) must not be below start ({start}): the range would hold no port")
    return PortSpec(protocol, start, end)


def parse_v1alpha2_protocol(value: Any, field: str) -> PortSpec:
    """A ClusterNetworkPolicyProtocol: exactly one of tcp, udp, sctp (each with a destinationPort) or
    destinationNamedPort."""
    key, chosen = one_of(value, field, ("tcp", "udp", "sctp", "destinationNamedPort"))
    where = f"{field}.{key}"
    if key == "destinationNamedPort":
        return PortSpec("", parse_port_name(string_at(chosen, where, required=True), where))
    protocol = key.upper()
    entry = mapping_at(chosen, where, required=True)
    if entry.get("destinationPort") is None:
        raise InvalidObject(f"{where}.destinationPort", "required field is missing")
    port_key, port = one_of(entry["destinationPort"], f"{where}.destinationPort", ("number", "range"))
    port_where = f"{where}.destinationPort.{port_key}"
    if port_key == "number":
        return PortSpec(protocol, parse_port_number(port, port_where))
    span = mapping_at(port, port_where, required=True)
    start = parse_port_number(span.get("start"), f"{port_where}.start")
    end = parse_port_number(span.get("end"), f"{port_where}.end")
    if start >= end:
        raise InvalidObject(port_where, f"start port must be less than end port ({start} >= {end})")
    return PortSpec(protocol, start, end)


@dataclass(frozen=True)
class RuleEffect:
    """What a rule does, before whom it applies to is known: its name, action and ports (None = every port)."""

    name: str
    action: Action
    ports: tuple[PortSpec, ...] | None
    ports_field: str


def parse_effect(value: Any, field: str, kind: str) -> RuleEffect:
    """A rule's name, action and ports (`ports`, or `protocols` for v1alpha2)."""
    rule = mapping_at(value, field, required=True)
    known_fields(rule, field, ("name", "action", "from", "to", "protocols" if kind == CLUSTER_NETWORK_POLICY
                               else "ports"))
    name = string_at(rule.get("name"), f"{field}.name")
    if len(name) > RULE_NAME_LENGTH:
        raise InvalidObject(f"{field}.name", f"must be at most {RULE_NAME_LENGTH} characters")
    action_text = rule.get("action")
    if action_text is None:
        raise InvalidObject(f"{field}.action", "required field is missing")
    actions = ACTIONS[kind]
    if action_text not in actions:
        raise InvalidObject(f"{field}.action", f"unrecognized action {type_name(action_text)} (expected "
                            f"{', '.join(actions)})")
    ports_key, parse_port = (("protocols", parse_v1alpha2_protocol) if kind == CLUSTER_NETWORK_POLICY
                             else ("ports", parse_v1alpha1_port))
    ports = tuple(parse_port(item, f"{field}.{ports_key}[{index}]")
                  for index, item in enumerate(bounded_list(rule.get(ports_key), f"{field}.{ports_key}",
                                                            LIMITS[kind])))
    return RuleEffect(name, actions[action_text], ports if rule.get(ports_key) is not None else None,
                      f"{field}.{ports_key}")


def parse_rule(value: Mapping[str, Any], field: str, kind: str, direction: str, effect: RuleEffect) -> ClusterRule:
    """A rule of known effect, with its peers (`from` or `to`)."""
    peers_key = "from" if direction == "ingress" else "to"
    peers = tuple(parse_peer(item, f"{field}.{peers_key}[{index}]", kind, direction)
                  for index, item in enumerate(bounded_list(value.get(peers_key), f"{field}.{peers_key}",
                                                            LIMITS[kind], required=True)))
    if any(port.is_named for port in effect.ports or ()) and any(not isinstance(peer, PodPeer) for peer in peers):
        raise InvalidObject(effect.ports_field, "a named port cannot be used with networks, nodes or domainNames "
                            "peers, which have no named ports")
    if effect.action is not Action.ALLOW and any(isinstance(peer, DomainNamesPeer) for peer in peers):
        raise InvalidObject(f"{field}.{peers_key}", "domainNames peers are only supported in Accept rules")
    return ClusterRule(effect.name, effect.action, peers, effect.ports)


def parse_priority(spec: Mapping[str, Any]) -> int:
    """spec.priority: 0 to 1000."""
    value = spec.get("priority")
    if value is None:
        raise InvalidObject("spec.priority", "required field is missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidObject("spec.priority", f"must be an integer, not {type_name(value)}")
    if not 0 <= value <= 1000:
        raise InvalidObject("spec.priority", f"must be between 0 and 1000, not {value}")
    return value


def parse_tier(spec: Mapping[str, Any], kind: str) -> Tier:
    """The tier: spec.tier for v1alpha2, else the kind's."""
    if kind != CLUSTER_NETWORK_POLICY:
        return Tier.ADMIN if kind == ADMIN_NETWORK_POLICY else Tier.BASELINE
    value = spec.get("tier")
    if value is None:
        raise InvalidObject("spec.tier", "required field is missing")
    if value not in ("Admin", "Baseline"):
        raise InvalidObject("spec.tier", f"must be Admin or Baseline, not {type_name(value)}")
    return Tier(value)


def parse_cluster_policy(obj: Mapping[str, Any]) -> ClusterPolicy:
    """An AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy, as the API validates it."""
    kind = str(obj.get("kind"))
    _, name, labels, uid = parse_metadata(obj, namespaced=False)
    if kind == BASELINE_ADMIN_NETWORK_POLICY and name != BASELINE_NAME:
        raise InvalidObject("metadata.name", f"must be {BASELINE_NAME!r}: only one BaselineAdminNetworkPolicy, named "
                            f"{BASELINE_NAME!r}, can exist in a cluster, not {name!r}")
    spec = mapping_at(obj.get("spec"), "spec", required=True)
    known_fields(spec, "spec", SPEC_FIELDS[kind])
    priority = 0 if kind == BASELINE_ADMIN_NETWORK_POLICY else parse_priority(spec)
    if spec.get("subject") is None:
        raise InvalidObject("spec.subject", "required field is missing")
    subject = parse_subject(spec["subject"], "spec.subject", kind)
    limit = LIMITS[kind]
    rules: list[tuple[str, str, Any, RuleEffect]] = []  # every rule's effect is checked before any peer
    for direction in ("ingress", "egress"):
        items = list_at(spec.get(direction), f"spec.{direction}")
        if len(items) > limit:
            raise InvalidObject(f"spec.{direction}", f"must have at most {limit} rules, not {len(items)}")
        for index, item in enumerate(items):
            field = f"spec.{direction}[{index}]"
            rules.append((direction, field, item, parse_effect(item, field, kind)))
    parsed: dict[str, tuple[ClusterRule, ...]] = {
        direction: tuple(parse_rule(item, field, kind, direction, effect)
                         for rule_direction, field, item, effect in rules if rule_direction == direction)
        for direction in ("ingress", "egress")}
    return ClusterPolicy(kind, name, parse_tier(spec, kind), priority, subject, parsed["ingress"], parsed["egress"],
                         uid, labels, spec)

