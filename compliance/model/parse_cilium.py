"""Parsing and validating Cilium's policies (cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy) as
the API server's CRD schema and Cilium's own validation (`pkg/policy/api`: rule validation, ports, entities, CIDRs,
selectors, FQDNs, services) check them. Every error names the field.

Unknown fields are refused (a misspelt `toPorts` must not read as every port). What a rule matches on that is not
modelled (`icmps`, `fromNodes`/`toNodes`, `fromGroups`/`toGroups`, `cidrGroupRef`, `authentication`...) is named in
its `unmodelled`; L7 rules are recorded as the kinds that filter requests on a port. Empty lists read as absent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from compliance.documents import list_at, mapping_at, shown, string_at, type_name
from compliance.errors import InvalidObject
from compliance.model.cilium_policy import (
    API_VERSION,
    CILIUM_NETWORK_POLICY,
    ENTITIES,
    PROTOCOLS,
    CIDRRule,
    CiliumPolicy,
    CiliumPort,
    CiliumRule,
    CiliumRuleSet,
    PortRule,
    ServiceReference,
)
from compliance.model.names import LABEL_KEY_RULE, check_label_value, check_namespace, valid_label_key
from compliance.model.parse import parse_metadata, remembered
from compliance.model.parse_cluster_policy import known_fields
from compliance.model.policy import IPNetwork
from compliance.model.selectors import OPERATORS, LabelSelector, Requirement, labels_of

API_VERSIONS = (API_VERSION,)
SPEC_FIELDS = ("endpointSelector", "nodeSelector", "ingress", "ingressDeny", "egress", "egressDeny", "labels",
               "description", "enableDefaultDeny", "log")
# the peer fields of each direction, in the order Cilium's validation names them
PEERS = {"ingress": ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups"),
         "egress": ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toFQDNs", "toNodes",
                    "toGroups")}
REQUIRES = {"ingress": "fromRequires", "egress": "toRequires"}
NOT_MODELLED_PEERS = ("fromNodes", "fromGroups", "toNodes", "toGroups")
RULE_FIELDS = {
    "ingress": (*PEERS["ingress"], "fromRequires", "toPorts", "icmps", "authentication"),
    "ingressDeny": (*PEERS["ingress"], "fromRequires", "toPorts", "icmps"),
    "egress": (*PEERS["egress"], "toRequires", "toPorts", "icmps", "authentication"),
    "egressDeny": (*[peer for peer in PEERS["egress"] if peer != "toFQDNs"], "toRequires", "toPorts", "icmps"),
}
EGRESS_ONLY = ("toFQDNs", "toServices")
PORT_RULE_FIELDS = ("ports", "rules", "serverNames", "listener", "terminatingTLS", "originatingTLS")
L7_KINDS = ("http", "kafka", "dns", "l7proto")
L7_FIELDS = {"http": ("path", "method", "host", "headers", "headerMatches"),
             "kafka": ("role", "apiKey", "apiVersion", "clientID", "topic"),
             "dns": ("matchName", "matchPattern")}
MAX_PORTS = 40  # per toPorts entry, and ICMP fields per icmps entry
# an IANA service name (RFC 6335 5.1): 1-15 letters, digits and single inner hyphens, with a letter; any case
SERVICE_NAME = re.compile(r"(?=.{1,15}\Z)(?:[a-zA-Z0-9]-?)*[a-zA-Z](?:-?[a-zA-Z0-9])*")
MATCH_NAME = re.compile(r"(?=.{1,255}\Z)(?:[-a-zA-Z0-9_]+\.?)+")
MATCH_PATTERN = re.compile(r"(?=.{1,255}\Z)(?:[-a-zA-Z0-9_*]+\.?)+")
SOURCE = re.compile(r"[a-z0-9][-a-z0-9_.]*")  # a label source: k8s, any, reserved, cidr...
HOST_POLICY_L7 = {"ingress": ("http", "kafka", "dns"), "egress": ("http", "kafka")}  # refused in host policies


def cilium_label_key(key: Any, field: str) -> str:
    """A selector key as written (`app`, `k8s:app`, `any:io.kubernetes.pod.namespace`): an optional label source
    and `:`, then a Kubernetes label key, as Cilium's selector validation reads it."""
    if not isinstance(key, str) or not key:
        raise InvalidObject(field, f"label key {key!r} must be a non-empty string")
    source, colon, rest = key.partition(":")
    if not valid_label_key(rest if colon else key) or (colon and not SOURCE.fullmatch(source)):
        raise InvalidObject(field, f"invalid label key {shown(key)} (must be an optional label source such as "
                            f"'k8s:' or 'any:', then {LABEL_KEY_RULE})")
    return key


@remembered
def parse_endpoint_selector(value: Any, field: str) -> LabelSelector:
    """An endpoint selector (matchLabels, matchExpressions) whose keys may carry a label source; its values are
    checked as label values, as Cilium checks them."""
    selector = mapping_at(value, field, required=True)
    known_fields(selector, field, ("matchLabels", "matchExpressions"))
    labels = mapping_at(selector.get("matchLabels"), f"{field}.matchLabels")
    for key, label_value in labels.items():
        cilium_label_key(key, f"{field}.matchLabels")
        if not isinstance(label_value, str):
            raise InvalidObject(f"{field}.matchLabels.{key}", f"label value must be a string, not "
                                f"{type_name(label_value)}")
        check_label_value(label_value, f"{field}.matchLabels.{key}")
    requirements = []
    for index, item in enumerate(list_at(selector.get("matchExpressions"), f"{field}.matchExpressions")):
        where = f"{field}.matchExpressions[{index}]"
        expression = mapping_at(item, where, required=True)
        known_fields(expression, where, ("key", "operator", "values"))
        key = cilium_label_key(string_at(expression.get("key"), f"{where}.key", required=True), f"{where}.key")
        operator = string_at(expression.get("operator"), f"{where}.operator", required=True)
        if operator not in OPERATORS:
            raise InvalidObject(f"{where}.operator", f"unsupported operator {shown(operator)} (expected one of "
                                f"{', '.join(OPERATORS)})")
        values = list_at(expression.get("values"), f"{where}.values")
        for position, item_value in enumerate(values):
            if not isinstance(item_value, str):
                raise InvalidObject(f"{where}.values[{position}]", f"must be a string, not {type_name(item_value)}")
            check_label_value(item_value, f"{where}.values[{position}]")
        if operator in ("In", "NotIn") and not values:
            raise InvalidObject(f"{where}.values", f"must be non-empty when operator is {operator}")
        if operator in ("Exists", "DoesNotExist") and values:
            raise InvalidObject(f"{where}.values", f"must be empty when operator is {operator}")
        requirements.append(Requirement(key, operator, frozenset(values)))
    return LabelSelector(labels_of(labels), tuple(requirements))


def parse_selectors(value: Any, field: str) -> tuple[LabelSelector, ...]:
    """A list of endpoint selectors."""
    return tuple(parse_endpoint_selector(item, f"{field}[{index}]")
                 for index, item in enumerate(list_at(value, field)))


def parse_prefix(value: Any, field: str, bare_address: bool) -> IPNetwork:
    """An address/prefix-length (host bits allowed, as Go's netip allows them); with `bare_address`, an address
    alone is its /32 or /128, as `fromCIDR`/`toCIDR` read it."""
    text = string_at(value, field, required=True)
    address, slash, prefix = text.partition("/")
    if not slash and not bare_address:
        raise InvalidObject(field, f"invalid CIDR {shown(text)} (expected address/prefix-length)")
    if slash and not (prefix.isdigit() and prefix.isascii() and (prefix == "0" or not prefix.startswith("0"))):
        raise InvalidObject(field, f"invalid CIDR {shown(text)}")
    try:
        return ipaddress.ip_network(text if slash else address, strict=False)
    except ValueError:
        raise InvalidObject(field, f"invalid CIDR {shown(text)}") from None


def parse_cidr_set(value: Any, field: str, unmodelled: list[str]) -> CIDRRule | None:
    """A `fromCIDRSet`/`toCIDRSet` entry: exactly one of cidr, cidrGroupRef or cidrGroupSelector, and excepts inside
    the cidr; a CIDR group (not modelled) is None, named in `unmodelled`."""
    entry = mapping_at(value, field, required=True)
    known_fields(entry, field, ("cidr", "cidrGroupRef", "cidrGroupSelector", "except"))
    given = [key for key in ("cidr", "cidrGroupRef", "cidrGroupSelector") if entry.get(key) not in (None, "")]
    if len(given) != 1:
        raise InvalidObject(field, "exactly one of cidr, cidrGroupRef or cidrGroupSelector must be set, not "
                            f"{' and '.join(given) if given else 'none'}")
    excepts = list_at(entry.get("except"), f"{field}.except")
    if given[0] != "cidr":
        if given[0] == "cidrGroupSelector":
            parse_endpoint_selector(entry["cidrGroupSelector"], f"{field}.cidrGroupSelector")
        else:
            string_at(entry["cidrGroupRef"], f"{field}.cidrGroupRef")
        unmodelled.append(given[0])
        return None
    cidr = parse_prefix(entry["cidr"], f"{field}.cidr", bare_address=False)
    parsed = []
    for index, item in enumerate(excepts):
        excluded = parse_prefix(item, f"{field}.except[{index}]", bare_address=False)
        if excluded.version != cidr.version or excluded.network_address not in cidr:
            raise InvalidObject(f"{field}.except[{index}]", f"{excluded} is not inside cidr {cidr}")
        parsed.append(excluded)
    return CIDRRule(cidr, tuple(parsed))


def parse_service(value: Any, field: str) -> ServiceReference:
    """A `toServices` entry: a Service by name (`k8sService`) or by labels (`k8sServiceSelector`)."""
    entry = mapping_at(value, field, required=True)
    known_fields(entry, field, ("k8sService", "k8sServiceSelector"))
    given = [key for key in ("k8sService", "k8sServiceSelector") if entry.get(key) is not None]
    if len(given) != 1:
        raise InvalidObject(field, "exactly one of k8sService or k8sServiceSelector must be set, not "
                            f"{' and '.join(given) if given else 'none'}")
    where = f"{field}.{given[0]}"
    reference = mapping_at(entry[given[0]], where)
    if given[0] == "k8sService":
        known_fields(reference, where, ("serviceName", "namespace"))
        name = string_at(reference.get("serviceName"), f"{where}.serviceName", required=True)
        selector = None
    else:
        known_fields(reference, where, ("selector", "namespace"))
        name, selector = None, parse_endpoint_selector(reference.get("selector"), f"{where}.selector")
    namespace = string_at(reference.get("namespace"), f"{where}.namespace")
    return ServiceReference(check_namespace(namespace, f"{where}.namespace") if namespace else "", name, selector)


def parse_fqdn(value: Any, field: str) -> str:
    """A `toFQDNs` entry: exactly one of matchName or matchPattern, as written."""
    entry = mapping_at(value, field, required=True)
    known_fields(entry, field, ("matchName", "matchPattern"))
    given = [key for key in ("matchName", "matchPattern") if entry.get(key) not in (None, "")]
    if len(given) != 1:
        raise InvalidObject(field, "exactly one of matchName or matchPattern must be set, not "
                            f"{' and '.join(given) if given else 'none'}")
    text = string_at(entry[given[0]], f"{field}.{given[0]}")
    if (MATCH_NAME if given[0] == "matchName" else MATCH_PATTERN).fullmatch(text) is None:
        raise InvalidObject(f"{field}.{given[0]}", f"invalid {given[0]} {shown(text)} (letters, digits, '-', '_'"
                            f"{', *' if given[0] == 'matchPattern' else ''} and single dots)")
    return text


def parse_entities(value: Any, field: str) -> tuple[str, ...]:
    """`fromEntities`/`toEntities`: names from Cilium's fixed list."""
    items = list_at(value, field)
    for index, item in enumerate(items):
        if item not in ENTITIES:
            raise InvalidObject(f"{field}[{index}]", f"unsupported entity {type_name(item)} (expected one of "
                                f"{', '.join(ENTITIES)})")
    return tuple(dict.fromkeys(items))


def parse_port_text(value: Any, field: str) -> int | str | None:
    """`port`: a number 0-65535 as a string (0: every port; a leading 0 makes it octal, as Go reads it) or a port
    name (IANA service name syntax, any case, read in lowercase, so `0x10` is a name)."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise InvalidObject(field, f"must be a string, not the number {value} (quote it: port: \"{value}\")")
    text = string_at(value, field, required=True)
    if SERVICE_NAME.fullmatch(text):
        return text.lower()
    octal = len(text) > 1 and text[0] == "0"
    number = int(text, 8 if octal else 10) if text.isascii() and text.isdigit() and not (
        octal and set(text) & {"8", "9"}) else -1
    if not 0 <= number <= 65535:
        raise InvalidObject(field, f"invalid port {shown(text)} (a number 0-65535, or a port name of 1-15 letters, "
                            "digits and single inner '-', with a letter)")
    return number or None


def parse_port(value: Any, field: str) -> CiliumPort:
    """A `ports` entry: port, endPort (>= port) and protocol."""
    entry = mapping_at(value, field, required=True)
    known_fields(entry, field, ("port", "endPort", "protocol"))
    port = parse_port_text(entry.get("port"), f"{field}.port")
    end_port = entry.get("endPort")
    if end_port is not None:
        if isinstance(end_port, bool) or not isinstance(end_port, int) or not 0 <= end_port <= 65535:
            raise InvalidObject(f"{field}.endPort", f"must be a number 0-65535, not {type_name(end_port)}")
        if isinstance(port, int) and 0 < end_port < port:
            raise InvalidObject(f"{field}.endPort", f"must be greater than or equal to port ({port}), not {end_port}")
    protocol = string_at(entry.get("protocol"), f"{field}.protocol") or "ANY"
    if protocol not in PROTOCOLS:
        raise InvalidObject(f"{field}.protocol", f"unsupported protocol {shown(protocol)} (expected "
                            f"{', '.join(PROTOCOLS)}, in capitals as the CRD schema requires)")
    ranged = isinstance(port, int) and end_port is not None and end_port > port
    return CiliumPort(port, end_port if ranged else None, protocol)


def l7_kinds(value: Any, field: str, direction: str, ports: tuple[CiliumPort, ...]) -> list[str]:
    """The L7 rule kinds of a port rule's `rules`, checked as Cilium checks them (one kind, on TCP ports that are not
    0, DNS on egress only and on given ports without ranges, `l7` only with `l7proto`)."""
    rules = mapping_at(value, field)
    known_fields(rules, field, ("http", "kafka", "dns", "l7proto", "l7"))
    for key, allowed in L7_FIELDS.items():
        for index, item in enumerate(list_at(rules.get(key), f"{field}.{key}")):
            known_fields(mapping_at(item, f"{field}.{key}[{index}]", required=True), f"{field}.{key}[{index}]",
                         allowed)
    for index, item in enumerate(list_at(rules.get("l7"), f"{field}.l7")):
        mapping_at(item, f"{field}.l7[{index}]", required=True)
    proto = string_at(rules.get("l7proto"), f"{field}.l7proto")
    if list_at(rules.get("l7"), f"{field}.l7") and not proto:
        raise InvalidObject(f"{field}.l7", "'l7' may only be specified when a 'l7proto' is also specified")
    kinds = [key for key in L7_KINDS if (proto if key == "l7proto" else list_at(rules.get(key), f"{field}.{key}"))]
    if len(kinds) > 1:
        raise InvalidObject(field, f"multiple L7 protocol rule types in one rule ({', '.join(kinds)})")
    if not kinds:
        return []
    where = field.rpartition(".")[0]
    if any(port.port is None for port in ports):
        raise InvalidObject(f"{where}.ports", "L7 rules can not be used when a port is 0")
    if kinds == ["dns"]:
        if direction == "ingress":
            raise InvalidObject(f"{field}.dns", "DNS rules are not allowed on ingress")
        if not ports:
            raise InvalidObject(f"{where}.ports", "port 53 must be specified for DNS rules")
        if any(port.end_port is not None for port in ports):
            raise InvalidObject(f"{where}.ports", "DNS rules do not support port ranges")
    else:
        for index, port in enumerate(ports):
            if port.protocol != "TCP":
                raise InvalidObject(f"{where}.ports[{index}].protocol", f"L7 rules can only apply to TCP (not "
                                    f"{port.protocol}) except for DNS rules")
    return kinds


def parse_port_rule(value: Any, field: str, direction: str, deny: bool) -> PortRule:
    """A `toPorts` entry: its ports (at most 40; none: every port) and the L7 kinds that filter requests on them
    (deny rules have ports only)."""
    entry = mapping_at(value, field, required=True)
    known_fields(entry, field, ("ports",) if deny else PORT_RULE_FIELDS)
    items = list_at(entry.get("ports"), f"{field}.ports")
    if len(items) > MAX_PORTS:
        raise InvalidObject(f"{field}.ports", f"too many ports, the max is {MAX_PORTS}")
    ports = tuple(parse_port(item, f"{field}.ports[{index}]") for index, item in enumerate(items))
    kinds = l7_kinds(entry.get("rules"), f"{field}.rules", direction, ports)
    names = list_at(entry.get("serverNames"), f"{field}.serverNames")
    for index, name in enumerate(names):
        string_at(name, f"{field}.serverNames[{index}]", required=True)
    if names and kinds and entry.get("terminatingTLS") is None:
        raise InvalidObject(f"{field}.serverNames", "not allowed with L7 rules without TLS termination")
    if entry.get("listener") is not None:
        mapping_at(entry["listener"], f"{field}.listener")
        if direction == "ingress":
            raise InvalidObject(f"{field}.listener", "not allowed on ingress")
        if kinds:
            raise InvalidObject(f"{field}.listener", "not allowed with L7 rules")
        kinds.append("listener")
    kinds += ["serverNames"] * bool(names) + [key for key in ("terminatingTLS", "originatingTLS")
                                             if mapping_at(entry.get(key), f"{field}.{key}")]
    return PortRule(ports, tuple(kinds))


def check_icmps(value: Any, field: str) -> None:
    """`icmps`: entries of at most 40 fields, each of family IPv4 or IPv6 and a type (a number or a name)."""
    for index, item in enumerate(list_at(value, field)):
        where = f"{field}[{index}]"
        entry = mapping_at(item, where, required=True)
        known_fields(entry, where, ("fields",))
        fields = list_at(entry.get("fields"), f"{where}.fields")
        if len(fields) > MAX_PORTS:
            raise InvalidObject(f"{where}.fields", f"too many types, the max is {MAX_PORTS}")
        for position, part in enumerate(fields):
            at = f"{where}.fields[{position}]"
            known_fields(mapping_at(part, at, required=True), at, ("family", "type"))
            if part.get("family") not in (None, "IPv4", "IPv6"):
                raise InvalidObject(f"{at}.family", f"wrong family {type_name(part.get('family'))} (expected IPv4 or "
                                    "IPv6)")
            if part.get("type") is None or isinstance(part.get("type"), (bool, float)):
                raise InvalidObject(f"{at}.type", "required: an ICMP type number or name")


def parse_cilium_rule(value: Any, field: str, direction: str, deny: bool, host: bool) -> CiliumRule:
    """One rule of `ingress`, `ingressDeny`, `egress` or `egressDeny` (`direction` "ingress" or "egress")."""
    rule = mapping_at(value, field, required=True)
    allowed = RULE_FIELDS[direction + "Deny" * deny]
    for key in rule:
        if key in EGRESS_ONLY and key not in allowed:
            where = "egress rules" if key == "toServices" else "egress (allow) rules"
            raise InvalidObject(f"{field}.{key}", f"only allowed in {where}")
    known_fields(rule, field, allowed)
    given = [key for key in PEERS[direction] if list_at(rule.get(key), f"{field}.{key}")]
    if len(given) > 1:
        raise InvalidObject(f"{field}.{given[1]}", f"combining {given[0]} and {given[1]} is not supported")
    port_items = list_at(rule.get("toPorts"), f"{field}.toPorts")
    if "toServices" in given and port_items:
        raise InvalidObject(f"{field}.toPorts", "combining toServices and toPorts is not supported")
    unmodelled = [key for key in given if key in NOT_MODELLED_PEERS]
    for key in NOT_MODELLED_PEERS:
        if key in given:
            for index, item in enumerate(list_at(rule[key], f"{field}.{key}")):
                if key.endswith("Nodes"):
                    parse_endpoint_selector(item, f"{field}.{key}[{index}]")
                else:
                    mapping_at(item, f"{field}.{key}[{index}]", required=True)
    icmps = list_at(rule.get("icmps"), f"{field}.icmps")
    if icmps:
        if port_items:
            raise InvalidObject(f"{field}.icmps", "may only be present without toPorts (define a separate rule to "
                                "use toPorts)")
        check_icmps(icmps, f"{field}.icmps")
        unmodelled.append("icmps")
    if rule.get("authentication") is not None:
        authentication = mapping_at(rule["authentication"], f"{field}.authentication")
        known_fields(authentication, f"{field}.authentication", ("mode",))
        if authentication.get("mode") not in ("disabled", "required", "test-always-fail"):
            raise InvalidObject(f"{field}.authentication.mode", f"unsupported mode "
                                f"{type_name(authentication.get('mode'))} (expected disabled, required or "
                                "test-always-fail)")
        if authentication["mode"] != "disabled":
            unmodelled.append("authentication")
    prefix = "from" if direction == "ingress" else "to"
    cidrs = [CIDRRule(parse_prefix(item, f"{field}.{prefix}CIDR[{index}]", bare_address=True))
             for index, item in enumerate(list_at(rule.get(f"{prefix}CIDR"), f"{field}.{prefix}CIDR"))]
    for index, item in enumerate(list_at(rule.get(f"{prefix}CIDRSet"), f"{field}.{prefix}CIDRSet")):
        entry = parse_cidr_set(item, f"{field}.{prefix}CIDRSet[{index}]", unmodelled)
        if entry is not None:
            cidrs.append(entry)
    ports = tuple(parse_port_rule(item, f"{field}.toPorts[{index}]", direction, deny)
                  for index, item in enumerate(port_items))
    if host:
        for index, port_rule in enumerate(ports):
            if set(port_rule.l7) & set(HOST_POLICY_L7[direction]):
                raise InvalidObject(f"{field}.toPorts[{index}].rules", f"L7 rules of this kind are not supported in "
                                    f"host policies on {direction}")
    endpoints_key = f"{prefix}Endpoints"
    endpoints = parse_selectors(rule.get(endpoints_key), f"{field}.{endpoints_key}")
    return CiliumRule(
        endpoints=endpoints or None,
        entities=parse_entities(rule.get(f"{prefix}Entities"), f"{field}.{prefix}Entities"),
        cidrs=tuple(cidrs),
        services=tuple(parse_service(item, f"{field}.toServices[{index}]")
                       for index, item in enumerate(list_at(rule.get("toServices"), f"{field}.toServices"))),
        fqdns=tuple(parse_fqdn(item, f"{field}.toFQDNs[{index}]")
                    for index, item in enumerate(list_at(rule.get("toFQDNs"), f"{field}.toFQDNs"))),
        requires=parse_selectors(rule.get(REQUIRES[direction]), f"{field}.{REQUIRES[direction]}"),
        ports=ports or None,
        unmodelled=tuple(dict.fromkeys(unmodelled)),
    )


def parse_default_deny(value: Any, field: str) -> tuple[bool | None, bool | None]:
    """`enableDefaultDeny`: (ingress, egress), each None when not set."""
    setting = mapping_at(value, field)
    known_fields(setting, field, ("ingress", "egress"))
    for key in ("ingress", "egress"):
        if setting.get(key) is not None and not isinstance(setting[key], bool):
            raise InvalidObject(f"{field}.{key}", f"must be a boolean, not {type_name(setting[key])}")
    return setting.get("ingress"), setting.get("egress")


def parse_rule_set(value: Any, field: str, namespaced: bool) -> CiliumRuleSet:
    """One rule set (`spec` or an entry of `specs`): exactly one of endpointSelector or nodeSelector (this one in a
    CiliumClusterwideNetworkPolicy only), its rules and `enableDefaultDeny`."""
    spec = mapping_at(value, field, required=True)
    known_fields(spec, field, SPEC_FIELDS)
    given = [key for key in ("endpointSelector", "nodeSelector") if spec.get(key) is not None]
    if len(given) != 1:
        raise InvalidObject(field, "exactly one of endpointSelector or nodeSelector must be set, not "
                            f"{' and '.join(given) if given else 'none'}")
    if given == ["nodeSelector"] and namespaced:
        raise InvalidObject(f"{field}.nodeSelector", f"a {CILIUM_NETWORK_POLICY} cannot have a nodeSelector (host "
                            "policies are CiliumClusterwideNetworkPolicies)")
    selector = parse_endpoint_selector(spec[given[0]], f"{field}.{given[0]}")
    host = given == ["nodeSelector"]
    rules = {key: tuple(parse_cilium_rule(item, f"{field}.{key}[{index}]", key.removesuffix("Deny"),
                                          key.endswith("Deny"), host)
                        for index, item in enumerate(list_at(spec.get(key), f"{field}.{key}")))
             for key in ("ingress", "ingressDeny", "egress", "egressDeny")}
    for index, item in enumerate(list_at(spec.get("labels"), f"{field}.labels")):
        known_fields(mapping_at(item, f"{field}.labels[{index}]", required=True), f"{field}.labels[{index}]",
                     ("key", "value", "source"))
    if spec.get("log") is not None:
        known_fields(mapping_at(spec["log"], f"{field}.log"), f"{field}.log", ("value",))
    ingress, egress = parse_default_deny(spec.get("enableDefaultDeny"), f"{field}.enableDefaultDeny")
    return CiliumRuleSet(
        endpoint_selector=None if host else selector, node_selector=selector if host else None,
        ingress=rules["ingress"], ingress_deny=rules["ingressDeny"], egress=rules["egress"],
        egress_deny=rules["egressDeny"], default_deny_ingress=ingress, default_deny_egress=egress,
        description=string_at(spec.get("description"), f"{field}.description"))


def parse_cilium_policy(obj: Mapping[str, Any]) -> CiliumPolicy:
    """A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy: `spec`, then the entries of `specs` (at least one
    rule set in all)."""
    kind = str(obj.get("kind"))
    namespaced = kind == CILIUM_NETWORK_POLICY
    namespace, name, labels, uid = parse_metadata(obj, namespaced=namespaced)
    rule_sets = [parse_rule_set(obj["spec"], "spec", namespaced)] if obj.get("spec") is not None else []
    rule_sets += [parse_rule_set(item, f"specs[{index}]", namespaced)
                  for index, item in enumerate(list_at(obj.get("specs"), "specs"))]
    if not rule_sets:
        raise InvalidObject("spec", "a policy needs spec or specs (a non-empty list): it has no rules")
    spec = {key: obj[key] for key in ("spec", "specs") if obj.get(key) is not None}
    return CiliumPolicy(kind, name, namespace, tuple(rule_sets), uid, labels, spec)
