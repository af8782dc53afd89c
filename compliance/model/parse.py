"""Kubernetes objects (parsed JSON/YAML) to model values, validated the way the API server would.

Every failure is an `InvalidObject` naming the field path, e.g. `spec.ingress[0].ports[1].endPort`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

from compliance.documents import list_at, mapping_at, string_at, type_name
from compliance.errors import InvalidObject
from compliance.model.calico_policy import ServiceAccount
from compliance.model.names import (
    DNS_1035_LABEL,
    DNS_LABEL,
    DNS_SUBDOMAIN,
    NameRule,
    check_label,
    check_label_key,
    check_name,
    check_namespace,
    valid_label,
)
from compliance.model.objects import (
    NAMESPACE_NAME_LABEL,
    PROTOCOLS,
    ContainerPort,
    Namespace,
    Node,
    Pod,
    Service,
    ServicePort,
    WorkloadRef,
)
from compliance.model.policy import IPBlock, IPBlockPeer, NetworkPolicy, PortSpec, Rule, SelectorPeer, is_subnet
from compliance.model.selectors import OPERATORS, Labels, LabelSelector, Requirement, labels_of

Parsed = TypeVar("Parsed")
Rest = ParamSpec("Rest")
MAX_REMEMBERED = 1 << 14  # distinct selectors (or rules) whose parse is kept: a cluster repeats a few hundred
PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")
TERMINATED_PHASES = ("Succeeded", "Failed")


def remembered(parse: Callable[Concatenate[Any, str, Rest], Parsed]) -> Callable[Concatenate[Any, str, Rest], Parsed]:
    """`parse(value, field, ...)`, keeping what it made of each valid mapping under the mapping's repr, which tells
    parsed values apart exactly (1, 1.0, True and '1' differ; a recursive value shows `...` where no other
    does): a selector or rule that policies repeat is checked once, and an invalid one fails at each field."""
    known: dict[tuple[Any, ...], Parsed] = {}

    def parse_once(value: Any, field: str, *args: Rest.args, **kwargs: Rest.kwargs) -> Parsed:
        if type(value) is not dict:
            return parse(value, field, *args, **kwargs)
        key = (repr(value), *args)
        found = known.get(key)
        if found is None:
            found = parse(value, field, *args, **kwargs)
            if len(known) < MAX_REMEMBERED:
                known[key] = found
        return found

    functools.update_wrapper(parse_once, parse)
    return parse_once


def parse_labels(value: Any, field: str) -> Labels:
    """A labels mapping whose keys and values are strings the API server accepts as labels."""
    if value is None:
        return ()
    if type(value) is dict:
        try:
            valid = valid_labels(tuple(value.items()))
        except TypeError:  # an unhashable value, which no label has
            valid = None
        if valid is not None:
            return valid
    labels = mapping_at(value, field)
    for key, label_value in labels.items():
        if type(key) is str and type(label_value) is str and valid_label(key, label_value):
            continue
        if not isinstance(key, str) or not key:
            raise InvalidObject(field, f"label key {key!r} must be a non-empty string")
        if not isinstance(label_value, str):
            raise InvalidObject(f"{field}.{key}", f"label value must be a string, not {type_name(label_value)}")
        check_label(key, label_value, field)
    return labels_of(labels)


@functools.lru_cache(maxsize=1 << 14)  # replicas and workloads of a cluster repeat their labels
def valid_labels(items: tuple[tuple[Any, Any], ...]) -> Labels | None:
    """The labels of `items` when every (key, value) is a label the API server accepts, else None."""
    if all(type(key) is str and type(value) is str and valid_label(key, value) for key, value in items):
        return labels_of(dict(items))
    return None


@remembered
def parse_selector(value: Any, field: str) -> LabelSelector:
    """A LabelSelector (matchLabels + matchExpressions). The values of matchExpressions are not checked as label
    values: the API server keeps objects stored before it checked them (AllowInvalidLabelValueInSelector), and such
    a value matches no label."""
    selector = mapping_at(value, field)
    match_labels = parse_labels(selector.get("matchLabels"), f"{field}.matchLabels")
    requirements = []
    for index, item in enumerate(list_at(selector.get("matchExpressions"), f"{field}.matchExpressions")):
        where = f"{field}.matchExpressions[{index}]"
        expression = mapping_at(item, where)
        key = string_at(expression.get("key"), f"{where}.key", required=True)
        check_label_key(key, f"{where}.key")
        operator = string_at(expression.get("operator"), f"{where}.operator", required=True)
        if operator not in OPERATORS:
            raise InvalidObject(f"{where}.operator", f"unsupported operator {operator!r} "
                                f"(expected one of {', '.join(OPERATORS)})")
        values = list_at(expression.get("values"), f"{where}.values")
        for position, item_value in enumerate(values):
            if not isinstance(item_value, str):
                raise InvalidObject(f"{where}.values[{position}]", f"must be a string, not {type_name(item_value)}")
        if operator in ("In", "NotIn") and not values:
            raise InvalidObject(f"{where}.values", f"must be non-empty when operator is {operator}")
        if operator in ("Exists", "DoesNotExist") and values:
            raise InvalidObject(f"{where}.values", f"must be empty when operator is {operator}")
        requirements.append(Requirement(key, operator, frozenset(values)))
    return LabelSelector(match_labels, tuple(requirements))


def parse_metadata(obj: Mapping[str, Any], namespaced: bool, names: NameRule = DNS_SUBDOMAIN
                   ) -> tuple[str, str, Labels, str]:
    """(namespace, name, labels, uid) of an object whose name follows `names`; a namespaced object without
    namespace is in `default`."""
    metadata = mapping_at(obj.get("metadata"), "metadata", required=True)
    name = check_name(string_at(metadata.get("name"), "metadata.name", required=True), "metadata.name", names)
    namespace = check_namespace(string_at(metadata.get("namespace"), "metadata.namespace") or "default",
                                "metadata.namespace") if namespaced else ""
    return namespace, name, parse_labels(metadata.get("labels"), "metadata.labels"), string_at(
        metadata.get("uid"), "metadata.uid")


def parse_namespace(obj: Mapping[str, Any]) -> Namespace:
    """A Namespace; the kubernetes.io/metadata.name label is set as the API server does."""
    _, name, labels, uid = parse_metadata(obj, namespaced=False, names=DNS_LABEL)
    return namespace_with_labels(name, dict(labels), uid)


def namespace_with_labels(name: str, labels: Mapping[str, str], uid: str = "") -> Namespace:
    """A Namespace whose labels carry its name, as the API server guarantees."""
    return Namespace(name, labels_of({**labels, NAMESPACE_NAME_LABEL: name}), uid)


def parse_port_number(value: Any, field: str) -> int:
    """A port number in 1..65535."""
    if value is None:
        raise InvalidObject(field, "required field is missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidObject(field, f"must be a port number, not {type_name(value)}")
    if not 1 <= value <= 65535:
        raise InvalidObject(field, f"must be between 1 and 65535, not {value}")
    return value


def parse_protocol(value: Any, field: str) -> str:
    """TCP (the default), UDP or SCTP."""
    protocol = string_at(value, field) or "TCP"
    if protocol not in PROTOCOLS:
        raise InvalidObject(field, f"unsupported protocol {protocol!r} (expected TCP, UDP or SCTP)")
    return protocol


def parse_port_name(value: str, field: str) -> str:
    """A named port (IANA service name syntax)."""
    if "--" in value or not PORT_NAME.match(value):
        raise InvalidObject(field, f"invalid port name {value!r} (1-15 lowercase letters, digits or '-', "
                            "with at least one letter)")
    return value


def parse_container_ports(spec: Mapping[str, Any]) -> tuple[ContainerPort, ...]:
    """The declared ports of every container of a pod spec."""
    ports: list[ContainerPort] = []
    for index, item in enumerate(list_at(spec.get("containers"), "spec.containers")):
        try:
            container = mapping_at(item, "")
            container_name = string_at(container.get("name"), "name")
            for position, port in enumerate(list_at(container.get("ports"), "ports")):
                try:
                    ports.append(parse_container_port(port, container_name))
                except InvalidObject as problem:
                    raise problem.within(f"ports[{position}]") from None
        except InvalidObject as problem:  # field paths are spelled out only for an error
            raise problem.within(f"spec.containers[{index}]") from None
    return tuple(ports)


def parse_container_port(value: Any, container: str) -> ContainerPort:
    """One ports entry of a container."""
    port = mapping_at(value, "")
    name = string_at(port.get("name"), "name")
    host_port = port.get("hostPort")
    return container_port(
        parse_port_number(port.get("containerPort"), "containerPort"),
        parse_protocol(port.get("protocol"), "protocol"),
        parse_port_name(name, "name") if name else "",
        container,
        # 0 is the API's "not set"
        0 if host_port is None or (type(host_port) is int and host_port == 0)
        else parse_port_number(host_port, "hostPort"),
    )


container_port = functools.lru_cache(maxsize=1 << 14)(ContainerPort)  # pods repeat their ports: one value each


def parse_host_network(spec: Mapping[str, Any]) -> bool:
    """spec.hostNetwork, false when absent."""
    host_network = spec.get("hostNetwork") or False
    if not isinstance(host_network, bool):
        raise InvalidObject("spec.hostNetwork", f"must be a boolean, not {type_name(host_network)}")
    return host_network


def parse_owner(metadata: Mapping[str, Any], namespace: str, name: str) -> WorkloadRef:
    """The pod's controlling owner as given, or the pod itself when it has none."""
    owners = [mapping_at(o, f"metadata.ownerReferences[{i}]")
              for i, o in enumerate(list_at(metadata.get("ownerReferences"), "metadata.ownerReferences"))]
    if not owners:
        return WorkloadRef(namespace, name, "Pod")
    owner = next((o for o in owners if o.get("controller") is True), owners[0])
    index = owners.index(owner)
    return WorkloadRef(
        namespace,
        string_at(owner.get("name"), f"metadata.ownerReferences[{index}].name", required=True),
        # Hand-written manifests sometimes omit the owner's kind; the pod still groups by owner name.
        string_at(owner.get("kind"), f"metadata.ownerReferences[{index}].kind") or "Pod",
    )


NODE_ADDRESS_TYPES = ("InternalIP", "ExternalIP")


def parse_node(obj: Mapping[str, Any]) -> Node:
    """A Node: name, labels and its InternalIP and ExternalIP addresses (host names are left out)."""
    _, name, labels, uid = parse_metadata(obj, namespaced=False)
    status = mapping_at(obj.get("status"), "status")
    addresses: list[tuple[str, str]] = []
    for index, item in enumerate(list_at(status.get("addresses"), "status.addresses")):
        entry = mapping_at(item, f"status.addresses[{index}]", required=True)
        kind = string_at(entry.get("type"), f"status.addresses[{index}].type", required=True)
        if kind not in NODE_ADDRESS_TYPES:
            continue
        text = string_at(entry.get("address"), f"status.addresses[{index}].address", required=True)
        canonical = canonical_address(text)
        if canonical is None:
            raise InvalidObject(f"status.addresses[{index}].address", f"invalid IP address {text!r}")
        if (kind, canonical) not in addresses:
            addresses.append((kind, canonical))
    return Node(name, labels, tuple(addresses), uid)


def parse_pod_ips(status: Mapping[str, Any]) -> tuple[str, ...]:
    """status.podIP and status.podIPs, validated and de-duplicated, in order."""
    candidates = [(status.get("podIP"), "status.podIP")]
    candidates += [(mapping_at(item, f"status.podIPs[{i}]").get("ip"), f"status.podIPs[{i}].ip")
                   for i, item in enumerate(list_at(status.get("podIPs"), "status.podIPs"))]
    ips: list[str] = []
    for value, field in candidates:
        text = string_at(value, field)
        if not text:
            continue
        canonical = canonical_address(text)
        if canonical is None:
            raise InvalidObject(field, f"invalid IP address {text!r}")
        if canonical not in ips:
            ips.append(canonical)
    return tuple(ips)


def canonical_address(text: str) -> str | None:
    """An IPv4 or IPv6 address in its canonical form, or None when `text` is not one (C-speed parsing)."""
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, text))
    except (OSError, ValueError):
        return None


def parse_pod(obj: Mapping[str, Any]) -> Pod | None:
    """A Pod, or None when it has terminated (Succeeded/Failed pods hold no connections)."""
    namespace, name, labels, uid = parse_metadata(obj, namespaced=True)
    metadata = mapping_at(obj.get("metadata"), "metadata")
    spec = mapping_at(obj.get("spec"), "spec")
    status = mapping_at(obj.get("status"), "status")
    phase = string_at(status.get("phase"), "status.phase")
    if phase in TERMINATED_PHASES:
        return None
    host_network = parse_host_network(spec)
    return Pod(
        namespace=namespace,
        name=name,
        labels=labels,
        workload=parse_owner(metadata, namespace, name),
        ports=parse_container_ports(spec),
        ips=parse_pod_ips(status),
        host_network=host_network,
        uid=uid,
        node_name=string_at(spec.get("nodeName"), "spec.nodeName"),
        phase=phase,
        service_account=parse_service_account_name(spec),
    )


def parse_service_account_name(spec: Mapping[str, Any]) -> str:
    """The pod's service account: spec.serviceAccountName, else the deprecated spec.serviceAccount, else `default`
    (as the API server sets it)."""
    for key in ("serviceAccountName", "serviceAccount"):
        name = string_at(spec.get(key), f"spec.{key}")
        if name:
            return name if DNS_SUBDOMAIN.valid(name) else check_name(name, f"spec.{key}", DNS_SUBDOMAIN)
    return "default"


def parse_service_account(obj: Mapping[str, Any]) -> ServiceAccount:
    """A ServiceAccount: its name, namespace and labels only (never its secrets or tokens)."""
    namespace, name, labels, _ = parse_metadata(obj, namespaced=True)
    return ServiceAccount(namespace, name, labels)


def parse_service(obj: Mapping[str, Any]) -> Service:
    """A Service (selector and ports)."""
    namespace, name, labels, uid = parse_metadata(obj, namespaced=True, names=DNS_1035_LABEL)
    spec = mapping_at(obj.get("spec"), "spec")
    ports = []
    for index, item in enumerate(list_at(spec.get("ports"), "spec.ports")):
        port = mapping_at(item, f"spec.ports[{index}]")
        target = port.get("targetPort")
        if target is not None and not isinstance(target, (int, str)):
            raise InvalidObject(f"spec.ports[{index}].targetPort", "must be a number or a port name")
        ports.append(ServicePort(
            port=parse_port_number(port.get("port"), f"spec.ports[{index}].port"),
            protocol=parse_protocol(port.get("protocol"), f"spec.ports[{index}].protocol"),
            name=string_at(port.get("name"), f"spec.ports[{index}].name"),
            target_port=target,
        ))
    return Service(
        namespace=namespace,
        name=name,
        selector=parse_labels(spec.get("selector"), "spec.selector"),
        ports=tuple(ports),
        type=string_at(spec.get("type"), "spec.type") or "ClusterIP",
        labels=labels,
        uid=uid,
    )


def parse_network(value: Any, field: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR; host bits are allowed as the API server allows them."""
    text = string_at(value, field, required=True)
    if "/" not in text:
        raise InvalidObject(field, f"invalid CIDR {text!r} (expected address/prefix-length)")
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidObject(field, f"invalid CIDR {text!r}") from None


def parse_ip_block(value: Any, field: str) -> IPBlock:
    """An ipBlock whose except ranges are strict subsets of its cidr."""
    block = mapping_at(value, field)
    cidr = parse_network(block.get("cidr"), f"{field}.cidr")
    excepts = []
    for index, item in enumerate(list_at(block.get("except"), f"{field}.except")):
        excluded = parse_network(item, f"{field}.except[{index}]")
        if not is_subnet(excluded, cidr) or excluded.prefixlen <= cidr.prefixlen:
            raise InvalidObject(f"{field}.except[{index}]", f"{excluded} is not a strict subset of cidr {cidr}")
        excepts.append(excluded)
    return IPBlock(cidr, tuple(excepts))


def parse_peer(value: Any, field: str) -> SelectorPeer | IPBlockPeer:
    """One from/to entry: podSelector and/or namespaceSelector, or an ipBlock alone."""
    peer = mapping_at(value, field)
    given = [key for key in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(key) is not None]
    if not given:
        raise InvalidObject(field, "must specify a peer (podSelector, namespaceSelector or ipBlock)")
    if "ipBlock" in given:
        if len(given) > 1:
            raise InvalidObject(field, "ipBlock may not be combined with podSelector or namespaceSelector")
        return IPBlockPeer(parse_ip_block(peer["ipBlock"], f"{field}.ipBlock"))
    return SelectorPeer(
        namespace_selector=parse_selector(peer["namespaceSelector"], f"{field}.namespaceSelector")
        if "namespaceSelector" in given else None,
        pod_selector=parse_selector(peer["podSelector"], f"{field}.podSelector") if "podSelector" in given else None,
    )


def parse_policy_port(value: Any, field: str) -> PortSpec:
    """One ports entry of a rule."""
    entry = mapping_at(value, field)
    protocol = parse_protocol(entry.get("protocol"), f"{field}.protocol")
    port = entry.get("port")
    end_port = entry.get("endPort")
    if isinstance(port, str):
        parse_port_name(port, f"{field}.port")
        if end_port is not None:
            raise InvalidObject(f"{field}.endPort", "may not be used with a named port")
        return PortSpec(protocol, port)
    if port is None:
        if end_port is not None:
            raise InvalidObject(f"{field}.endPort", "may not be specified without port")
        return PortSpec(protocol)
    number = parse_port_number(port, f"{field}.port")
    if end_port is None:
        return PortSpec(protocol, number)
    end = parse_port_number(end_port, f"{field}.endPort")
    if end < number:
        raise InvalidObject(f"{field}.endPort", f"must be greater than or equal to port ({number}), not {end}")
    return PortSpec(protocol, number, end)


@remembered
def parse_rule(value: Any, field: str, peers_key: str) -> Rule:
    """One ingress (`from`) or egress (`to`) rule; absent or empty lists mean everything."""
    rule = mapping_at(value, field)
    peers = tuple(parse_peer(item, f"{field}.{peers_key}[{i}]")
                  for i, item in enumerate(list_at(rule.get(peers_key), f"{field}.{peers_key}")))
    ports = tuple(parse_policy_port(item, f"{field}.ports[{i}]")
                  for i, item in enumerate(list_at(rule.get("ports"), f"{field}.ports")))
    return Rule(peers=peers or None, ports=ports or None)


def parse_network_policy(obj: Mapping[str, Any]) -> NetworkPolicy:
    """A networking.k8s.io/v1 NetworkPolicy with its effective policyTypes."""
    namespace, name, labels, uid = parse_metadata(obj, namespaced=True)
    spec = mapping_at(obj.get("spec"), "spec", required=True)
    if spec.get("podSelector") is None:
        # The API server stores a null or missing podSelector as {} (every pod of the namespace); so do we, and
        # the spec kept for snapshots and drift says {} too.
        spec = {**spec, "podSelector": {}}
    pod_selector = parse_selector(spec["podSelector"], "spec.podSelector")
    ingress = tuple(parse_rule(item, f"spec.ingress[{i}]", "from")
                    for i, item in enumerate(list_at(spec.get("ingress"), "spec.ingress")))
    egress = tuple(parse_rule(item, f"spec.egress[{i}]", "to")
                   for i, item in enumerate(list_at(spec.get("egress"), "spec.egress")))
    types = list_at(spec.get("policyTypes"), "spec.policyTypes")
    for index, policy_type in enumerate(types):
        if policy_type not in ("Ingress", "Egress"):
            raise InvalidObject(f"spec.policyTypes[{index}]",
                                f"unsupported policy type {policy_type!r} (expected Ingress or Egress)")
    if not types:
        types = ["Ingress", "Egress"] if egress else ["Ingress"]
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=pod_selector,
        isolates_ingress="Ingress" in types,
        isolates_egress="Egress" in types,
        ingress=ingress,
        egress=egress,
        uid=uid,
        labels=labels,
        spec=spec,
    )
