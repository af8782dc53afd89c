"""Parsing and validating Calico's policy objects as Calico's API validator does (libcalico-go
`lib/validator/v3`, the 2025 version, which no longer requires policy names to carry their tier as a prefix):
NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet and GlobalNetworkSet, of `projectcalico.org/v3` or as
stored in `crd.projectcalico.org/v1` (the same spec). Every error names the field.

Unknown fields are refused (a misspelt `ports` must not read as every port). What a rule matches on that is not
modelled (`icmp`, `notICMP`, `http`, source ports, `services`) is named in the rule's `unmodelled`; `doNotTrack`,
`preDNAT` and `applyOnForward` set to true in the policy's.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from compliance.documents import list_at, mapping_at, shown, string_at, strings_at, type_name
from compliance.errors import InvalidObject
from compliance.model.calico_policy import (
    API_GROUP,
    CALICO_NETWORK_POLICY,
    CRD_GROUP,
    DEFAULT_TIER,
    EVERY_ENDPOINT,
    GLOBAL_NETWORK_POLICY,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    ServiceAccountMatch,
)
from compliance.model.calico_selector import CalicoSelector, Conjunction, Disjunction, Negation, NonNamespaced, Term
from compliance.model.cluster_policy import Action
from compliance.model.names import DNS_LABEL, DNS_SUBDOMAIN, NameRule, check_name
from compliance.model.parse import parse_metadata, parse_port_name, parse_port_number
from compliance.model.parse_calico_selector import parse_calico_selector
from compliance.model.parse_cluster_policy import known_fields
from compliance.model.policy import IPNetwork, PortSpec

API_VERSIONS = (f"{API_GROUP}/v3", f"{CRD_GROUP}/v1")
TIER = "Tier"
NETWORK_SET = "NetworkSet"
GLOBAL_NETWORK_SET = "GlobalNetworkSet"
CALICO_KINDS = (CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY, TIER, NETWORK_SET, GLOBAL_NETWORK_SET)

LABEL = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
SUBDOMAIN = f"{LABEL}(?:\\.{LABEL})*"
NETWORK_POLICY_NAME = NameRule(re.compile(f"(?=.{{1,253}}\\Z)(?:{LABEL}(?:\\.{LABEL})?|(?:knp|ossg)\\.default\\."
                                          f"{SUBDOMAIN})", re.DOTALL),
                               "at most 253 characters: a DNS-1123 label, two joined by one '.', or "
                               "'knp.default.' and a DNS-1123 subdomain")
GLOBAL_NETWORK_POLICY_NAME = NameRule(re.compile(f"(?=.{{1,253}}\\Z)(?:{LABEL}\\.)?{LABEL}", re.DOTALL),
                                      "at most 253 characters: a DNS-1123 label, or two joined by one '.'")
POLICY_NAMES = {CALICO_NETWORK_POLICY: NETWORK_POLICY_NAME, GLOBAL_NETWORK_POLICY: GLOBAL_NETWORK_POLICY_NAME}

# The orders Calico fixes for the tiers it manages (projectcalico/api: DefaultTierOrder and the tiers of
# AdminNetworkPolicy and BaselineAdminNetworkPolicy).
FIXED_TIER_ORDERS = {DEFAULT_TIER: 1_000_000.0, "adminnetworkpolicy": 1_000.0,
                     "baselineadminnetworkpolicy": 10_000_000.0}

ACTIONS = {"Allow": Action.ALLOW, "Deny": Action.DENY, "Pass": Action.PASS, "Log": Action.LOG}
TIER_DEFAULT_ACTIONS = {"Deny": Action.DENY, "Pass": Action.PASS}
PROTOCOL_NAMES = ("TCP", "UDP", "ICMP", "ICMPv6", "SCTP", "UDPLite")
# protocol numbers read as the names Calico also accepts for them (IANA), so that 6 is TCP for the engine too
PROTOCOL_NUMBERS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 132: "SCTP", 136: "UDPLite"}
PORT_PROTOCOLS = ("TCP", "UDP", "SCTP", "UDPLite")
PORTS_NEED_PROTOCOL = "rules that specify ports must set protocol to TCP, UDP, SCTP or UDPLite"
PERFORMANCE_HINTS = ("AssumeNeededOnEveryNode",)
PORT_TEXT = re.compile(r"([0-9]{1,5})(?::([0-9]{1,5}))?")
NAMESPACE_LABEL = "projectcalico.org/namespace"

POLICY_FIELDS = ("order", "tier", "selector", "types", "ingress", "egress", "serviceAccountSelector",
                 "performanceHints")
SPEC_FIELDS = {CALICO_NETWORK_POLICY: POLICY_FIELDS,
               GLOBAL_NETWORK_POLICY: (*POLICY_FIELDS, "namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward")}
RULE_FIELDS = ("metadata", "action", "protocol", "notProtocol", "icmp", "notICMP", "ipVersion", "source",
               "destination", "http")
ENTITY_FIELDS = ("nets", "notNets", "selector", "notSelector", "namespaceSelector", "ports", "notPorts",
                 "serviceAccounts", "services")
HOST_ENDPOINT_FIELDS = ("doNotTrack", "preDNAT", "applyOnForward")


def mentions_global(term: Term) -> bool:
    """Whether `global()` occurs in the term."""
    if isinstance(term, NonNamespaced):
        return True
    if isinstance(term, Negation):
        return mentions_global(term.term)
    if isinstance(term, (Conjunction, Disjunction)):
        return any(mentions_global(part) for part in term.terms)
    return False


def selector_at(value: Any, field: str, namespaces: bool = False) -> CalicoSelector | None:
    """A selector field; absent or "" is None (not set). `global()` stands only alone in an entity rule's
    namespaceSelector (`namespaces`), as Calico's validator requires."""
    text = string_at(value, field)
    if not text:
        return None
    selector = parse_calico_selector(text, field)
    if not mentions_global(selector.term):
        return selector
    if not namespaces:
        raise InvalidObject(field, "global() can only be used in an entity rule's namespaceSelector")
    if not isinstance(selector.term, NonNamespaced):
        raise InvalidObject(field, "global() cannot be combined with other selectors")
    return selector


def boolean_field(spec: Mapping[str, Any], key: str, field: str) -> bool:
    """A boolean field, false when absent."""
    value = spec.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidObject(f"{field}.{key}", f"must be a boolean, not {type_name(value)}")
    return value


def parse_order(value: Any, field: str) -> float | None:
    """An `order`: a number (None when unset)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidObject(field, f"must be a number, not {type_name(value)}")
    return float(value)


def parse_calico_protocol(value: Any, field: str) -> str | None:
    """`protocol` or `notProtocol`: one of Calico's names, or a number 1-255 (a number with a name reads as it)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 255:
            raise InvalidObject(field, f"protocol number must be between 1 and 255, not {value}")
        return PROTOCOL_NUMBERS.get(value, str(value))
    if value not in PROTOCOL_NAMES:
        raise InvalidObject(field, f"unsupported protocol {type_name(value)} (expected {', '.join(PROTOCOL_NAMES)} or "
                            "a number 1-255)")
    return str(value)


def parse_calico_net(value: Any, field: str) -> IPNetwork:
    """A CIDR, or an address (a whole-length prefix); host bits are allowed, as Calico allows them in rules."""
    text = string_at(value, field, required=True)
    _, slash, prefix = text.partition("/")
    if slash and not prefix.isdigit():
        raise InvalidObject(field, f"invalid CIDR {shown(text)}")
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidObject(field, f"invalid CIDR {shown(text)}") from None


def parse_nets(value: Any, field: str) -> tuple[IPNetwork, ...]:
    """A list of CIDRs."""
    return tuple(parse_calico_net(item, f"{field}[{index}]") for index, item in enumerate(list_at(value, field)))


def parse_calico_port(value: Any, field: str, protocol: str) -> PortSpec:
    """A port of Calico's syntax: a number, a range `"start:end"` or a port name, of the rule's protocol."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidObject(field, f"must be a port number, a range 'start:end' or a port name, not "
                            f"{type_name(value)}")
    if isinstance(value, int):
        return PortSpec(protocol, parse_port_number(value, field))
    span = PORT_TEXT.fullmatch(value)
    if span is None:
        return PortSpec(protocol, parse_port_name(value, field))
    start = parse_port_number(int(span.group(1)), field)
    end = parse_port_number(int(span.group(2) or span.group(1)), field)
    if end < start:
        raise InvalidObject(field, f"port range {value!r} ends below its start")
    return PortSpec(protocol, start, end if end != start else None)


def parse_ports(value: Any, field: str, protocol: str | None) -> tuple[PortSpec, ...]:
    """`ports` or `notPorts`; only a protocol with ports may carry them."""
    items = list_at(value, field)
    if items and protocol not in PORT_PROTOCOLS:
        raise InvalidObject(field, PORTS_NEED_PROTOCOL)
    return tuple(parse_calico_port(item, f"{field}[{index}]", str(protocol)) for index, item in enumerate(items))


def parse_service_accounts(value: Any, field: str) -> ServiceAccountMatch | None:
    """`serviceAccounts`: names and/or a selector over the service accounts' labels."""
    if value is None:
        return None
    match = mapping_at(value, field)
    known_fields(match, field, ("names", "selector"))
    return ServiceAccountMatch(strings_at(match.get("names"), f"{field}.names"),
                               selector_at(match.get("selector"), f"{field}.selector"))


def check_services(entity: Mapping[str, Any], field: str, side: str, direction: str, kind: str) -> None:
    """`services` as Calico allows it: on an egress rule's destination or an ingress rule's source, with a name
    (and a namespace in a GlobalNetworkPolicy), and with no other peer field."""
    where = f"{field}.services"
    services = mapping_at(entity.get("services"), where)
    known_fields(services, where, ("name", "namespace"))
    allowed_side = "destination" if direction == "egress" else "source"
    if side != allowed_side:
        raise InvalidObject(where, f"not allowed in {direction} rule {side}")
    if not string_at(services.get("name"), f"{where}.name"):
        raise InvalidObject(f"{where}.name", "must specify a service name")
    if kind == GLOBAL_NETWORK_POLICY and not string_at(services.get("namespace"), f"{where}.namespace"):
        raise InvalidObject(f"{where}.namespace", "must specify a namespace")
    for other in ("namespaceSelector", "selector", "notSelector", "serviceAccounts", "nets", "notNets"):
        if entity.get(other) not in (None, "", []):
            raise InvalidObject(where, f"cannot specify {other} and services on the same rule")
    if side == "destination":
        for ports in ("ports", "notPorts"):
            if list_at(entity.get(ports), f"{field}.{ports}"):
                raise InvalidObject(f"{field}.{ports}", "cannot specify ports with a service selector")


def parse_entity(value: Any, field: str, side: str, direction: str, kind: str, protocol: str | None,
                 unmodelled: list[str]) -> EntityRule:
    """A rule's `source` or `destination`; what it matches on that is not modelled goes into `unmodelled`."""
    entity = mapping_at(value, field)
    known_fields(entity, field, ENTITY_FIELDS)
    if entity.get("services") is not None:
        check_services(entity, field, side, direction, kind)
        unmodelled.append(f"{side}.services")
    ports = parse_ports(entity.get("ports"), f"{field}.ports", protocol)
    not_ports = parse_ports(entity.get("notPorts"), f"{field}.notPorts", protocol)
    if side == "source":
        unmodelled.extend(f"source.{key}" for key, given in (("ports", ports), ("notPorts", not_ports)) if given)
    return EntityRule(
        selector=selector_at(entity.get("selector"), f"{field}.selector"),
        not_selector=selector_at(entity.get("notSelector"), f"{field}.notSelector"),
        namespace_selector=selector_at(entity.get("namespaceSelector"), f"{field}.namespaceSelector",
                                       namespaces=True),
        service_accounts=parse_service_accounts(entity.get("serviceAccounts"), f"{field}.serviceAccounts"),
        nets=parse_nets(entity.get("nets"), f"{field}.nets"),
        not_nets=parse_nets(entity.get("notNets"), f"{field}.notNets"),
        ports=ports or None,
        not_ports=not_ports,
    )


def check_icmp(rule: Mapping[str, Any], key: str, field: str) -> None:
    """`icmp` or `notICMP`: a type, and a code only with a type."""
    icmp = mapping_at(rule.get(key), f"{field}.{key}")
    known_fields(icmp, f"{field}.{key}", ("type", "code"))
    for part, limit in (("type", 254), ("code", 255)):
        number = icmp.get(part)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)
                                   or not 0 <= number <= limit):
            raise InvalidObject(f"{field}.{key}.{part}", f"must be an integer between 0 and {limit}, not "
                                f"{type_name(number)}")
    if icmp.get("code") is not None and icmp.get("type") is None:
        raise InvalidObject(f"{field}.{key}.code", "ICMP code specified without an ICMP type")


def check_nets_versions(rule: CalicoRule, field: str) -> None:
    """The rule's CIDRs are all of one IP version, and of its ipVersion when it has one."""
    seen: set[int] = set()
    for side in ("source", "destination"):
        for key in ("nets", "notNets"):
            entity: EntityRule = getattr(rule, side)
            versions = {net.version for net in (entity.nets if key == "nets" else entity.not_nets)}
            where = f"{field}.{side}.{key}"
            if rule.ip_version is not None and versions - {rule.ip_version}:
                raise InvalidObject(where, "rule IP version doesn't match CIDR version")
            seen |= versions
            if len(seen) > 1:
                raise InvalidObject(where, "rule contains both IPv4 and IPv6 CIDRs")


def parse_calico_rule(value: Any, field: str, direction: str, kind: str) -> CalicoRule:
    """One ingress or egress rule."""
    rule = mapping_at(value, field, required=True)
    known_fields(rule, field, RULE_FIELDS)
    action_text = rule.get("action")
    if action_text is None:
        raise InvalidObject(f"{field}.action", "required field is missing")
    if action_text not in ACTIONS:
        raise InvalidObject(f"{field}.action", f"unrecognized action {type_name(action_text)} (expected "
                            f"{', '.join(ACTIONS)})")
    protocol = parse_calico_protocol(rule.get("protocol"), f"{field}.protocol")
    not_protocol = parse_calico_protocol(rule.get("notProtocol"), f"{field}.notProtocol")
    ip_version = rule.get("ipVersion")
    if ip_version is not None and (type(ip_version) is not int or ip_version not in (4, 6)):
        raise InvalidObject(f"{field}.ipVersion", f"must be 4 or 6, not {type_name(ip_version)}")
    for name, version in (("ICMP", 4), ("ICMPv6", 6)):
        if name in (protocol, not_protocol) and ip_version not in (None, version):
            raise InvalidObject(f"{field}.ipVersion", f"must set ipVersion to {version} with protocol {name}")
    unmodelled: list[str] = []
    for key in ("icmp", "notICMP"):
        if rule.get(key) is not None:
            check_icmp(rule, key, field)
            unmodelled.append(key)
    if rule.get("icmp") is not None and protocol not in ("ICMP", "ICMPv6"):
        raise InvalidObject(f"{field}.icmp", "rules that specify ICMP fields must set protocol to ICMP or ICMPv6")
    if rule.get("http") is not None:
        mapping_at(rule["http"], f"{field}.http")
        if direction == "egress":
            raise InvalidObject(f"{field}.http", "not allowed in egress rules")
        if action_text != "Allow":
            raise InvalidObject(f"{field}.http", "only valid for Allow rules")
        if protocol not in (None, "TCP"):
            raise InvalidObject(f"{field}.protocol", "rules that specify HTTP fields must set protocol to TCP or "
                                "leave it empty")
        unmodelled.append("http")
    metadata = mapping_at(rule.get("metadata"), f"{field}.metadata")
    known_fields(metadata, f"{field}.metadata", ("annotations",))
    source = parse_entity(rule.get("source"), f"{field}.source", "source", direction, kind, protocol, unmodelled)
    destination = parse_entity(rule.get("destination"), f"{field}.destination", "destination", direction, kind,
                               protocol, unmodelled)
    parsed = CalicoRule(ACTIONS[action_text], protocol, not_protocol, ip_version, source, destination,
                        tuple(unmodelled))
    check_nets_versions(parsed, field)
    return parsed


def parse_types(spec: Mapping[str, Any], has_ingress: bool, has_egress: bool) -> tuple[str, ...]:
    """`types`, or its default: Ingress unless there are only egress rules, Egress when there are egress rules."""
    given = list_at(spec.get("types"), "spec.types")
    seen: list[str] = []
    for index, item in enumerate(given):
        if item not in ("Ingress", "Egress"):
            raise InvalidObject(f"spec.types[{index}]", f"unsupported policy type {type_name(item)} (expected "
                                "Ingress or Egress)")
        if item in seen:
            raise InvalidObject(f"spec.types[{index}]", f"{item!r} type specified more than once")
        seen.append(item)
    if not seen:
        seen = ["Ingress"] * (has_ingress or not has_egress) + ["Egress"] * has_egress
    return tuple(kind for kind in ("Ingress", "Egress") if kind in seen)


def parse_host_endpoint_fields(spec: Mapping[str, Any], types: tuple[str, ...]) -> tuple[str, ...]:
    """The GlobalNetworkPolicy fields set true that change where its rules apply, checked as Calico checks them."""
    do_not_track, pre_dnat, apply_on_forward = (boolean_field(spec, key, "spec") for key in HOST_ENDPOINT_FIELDS)
    if do_not_track and pre_dnat:
        raise InvalidObject("spec.preDNAT", "preDNAT and doNotTrack cannot both be true")
    if pre_dnat and list_at(spec.get("egress"), "spec.egress"):
        raise InvalidObject("spec.egress", "a preDNAT policy cannot have egress rules")
    if pre_dnat and "Egress" in list_at(spec.get("types"), "spec.types"):
        raise InvalidObject("spec.types", "a preDNAT policy cannot have the Egress type")
    if (do_not_track or pre_dnat) and not apply_on_forward:
        raise InvalidObject("spec.applyOnForward", "must be true when preDNAT or doNotTrack is true")
    return tuple(key for key, given in zip(HOST_ENDPOINT_FIELDS, (do_not_track, pre_dnat, apply_on_forward),
                                                    strict=True) if given)


def parse_calico_policy(obj: Mapping[str, Any]) -> CalicoPolicy:
    """A Calico NetworkPolicy or GlobalNetworkPolicy, as Calico's validator checks it."""
    kind = str(obj.get("kind"))
    namespaced = kind == CALICO_NETWORK_POLICY
    namespace, name, labels, uid = parse_metadata(obj, namespaced=namespaced, names=POLICY_NAMES[kind])
    spec = mapping_at(obj.get("spec"), "spec")
    known_fields(spec, "spec", SPEC_FIELDS[kind])
    tier_name = string_at(spec.get("tier"), "spec.tier")
    tier = check_name(tier_name, "spec.tier", DNS_LABEL) if tier_name else DEFAULT_TIER
    for index, hint in enumerate(list_at(spec.get("performanceHints"), "spec.performanceHints")):
        if hint not in PERFORMANCE_HINTS:
            raise InvalidObject(f"spec.performanceHints[{index}]", f"unknown hint {type_name(hint)} (expected "
                                f"{', '.join(PERFORMANCE_HINTS)})")
    rules = {direction: tuple(parse_calico_rule(item, f"spec.{direction}[{index}]", direction, kind)
                              for index, item in enumerate(list_at(spec.get(direction), f"spec.{direction}")))
             for direction in ("ingress", "egress")}
    types = parse_types(spec, bool(rules["ingress"]), bool(rules["egress"]))
    return CalicoPolicy(
        kind=kind, name=name, namespace=namespace, tier=tier, order=parse_order(spec.get("order"), "spec.order"),
        types=types, ingress=rules["ingress"], egress=rules["egress"],
        selector=selector_at(spec.get("selector"), "spec.selector") or EVERY_ENDPOINT,
        namespace_selector=selector_at(spec.get("namespaceSelector"), "spec.namespaceSelector"),
        service_account_selector=selector_at(spec.get("serviceAccountSelector"), "spec.serviceAccountSelector"),
        unmodelled=() if namespaced else parse_host_endpoint_fields(spec, types),
        uid=uid, labels=labels, spec=spec)


def parse_calico_tier(obj: Mapping[str, Any]) -> CalicoTier:
    """A Tier: a DNS-1123 label name, its order (fixed for the tiers Calico manages) and default action."""
    _, name, labels, uid = parse_metadata(obj, namespaced=False, names=DNS_LABEL)
    spec = mapping_at(obj.get("spec"), "spec")
    known_fields(spec, "spec", ("order", "defaultAction"))
    order = parse_order(spec.get("order"), "spec.order")
    if name in FIXED_TIER_ORDERS and order != FIXED_TIER_ORDERS[name]:
        raise InvalidObject("spec.order", f"the {name} tier's order must be {FIXED_TIER_ORDERS[name]:g}, not "
                            f"{'unset' if order is None else f'{order:g}'}")
    action = spec.get("defaultAction")
    if action is not None and action not in TIER_DEFAULT_ACTIONS:
        raise InvalidObject("spec.defaultAction", f"must be Deny or Pass, not {type_name(action)}")
    return CalicoTier(name, order, TIER_DEFAULT_ACTIONS[action or "Deny"], uid, labels)


def parse_network_set(obj: Mapping[str, Any]) -> NetworkSet:
    """A NetworkSet (namespaced) or GlobalNetworkSet: labels and CIDRs."""
    namespace, name, labels, uid = parse_metadata(obj, namespaced=obj.get("kind") == NETWORK_SET,
                                                  names=DNS_SUBDOMAIN)
    if any(key == NAMESPACE_LABEL for key, _ in labels):
        raise InvalidObject("metadata.labels", f"{NAMESPACE_LABEL} is not a valid label name here (Calico sets it)")
    spec = mapping_at(obj.get("spec"), "spec")
    known_fields(spec, "spec", ("nets",))
    return NetworkSet(name, namespace, labels, parse_nets(spec.get("nets"), "spec.nets"), uid)


def parse_calico_object(obj: Mapping[str, Any]) -> CalicoPolicy | CalicoTier | NetworkSet:
    """Any of Calico's kinds segproof reads, by kind."""
    kind = obj.get("kind")
    if kind in (CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY):
        return parse_calico_policy(obj)
    if kind == TIER:
        return parse_calico_tier(obj)
    return parse_network_set(obj)
