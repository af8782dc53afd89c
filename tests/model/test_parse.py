"""Kubernetes objects to model values: what valid objects mean, and the field and message of every rejection."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.documents import shown
from compliance.errors import InvalidObject
from compliance.model.names import DNS_1035_LABEL, DNS_LABEL, DNS_SUBDOMAIN, LABEL_KEY_RULE, LABEL_VALUE_RULE
from compliance.model.objects import NAMESPACE_NAME_LABEL, ContainerPort, ServicePort, WorkloadRef
from compliance.model.parse import (
    parse_namespace,
    parse_network_policy,
    parse_node,
    parse_pod,
    parse_policy_port,
    parse_port_name,
    parse_service,
)
from compliance.model.policy import IPBlock, IPBlockPeer, PortSpec, Rule, SelectorPeer
from compliance.model.selectors import LabelSelector, Requirement

# --- builders -------------------------------------------------------------------------------------


def policy(spec: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    """A NetworkPolicy in namespace `shop` selecting every pod, with `spec` merged in."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-web", "namespace": "shop", **metadata},
        "spec": {"podSelector": {}, **(spec or {})},
    }


def expressions_policy(*expressions: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicy whose podSelector has these matchExpressions."""
    return policy({"podSelector": {"matchExpressions": list(expressions)}})


def ingress_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicy with one ingress rule."""
    return policy({"ingress": [rule]})


def ingress_peer(peer: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicy with one ingress rule admitting one peer."""
    return ingress_rule({"from": [peer]})


def ingress_port(port: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicy with one ingress rule on one port entry."""
    return ingress_rule({"ports": [port]})


def pod(spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    """A Pod `shop/web-1` with one container, with `spec`, `status` and metadata merged in."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "shop", **metadata},
        "spec": {"containers": [{"name": "web", "image": "nginx"}], **(spec or {})},
        "status": status or {},
    }


def container_ports(*ports: dict[str, Any]) -> dict[str, Any]:
    """A pod spec whose one container declares `ports`."""
    return {"containers": [{"name": "web", "ports": list(ports)}]}


def service(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Service `shop/web`."""
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
            "spec": spec or {}}


def namespace(name: str = "shop", **labels: str) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def selector(*match_labels: tuple[str, str], expressions: tuple[Requirement, ...] = ()) -> LabelSelector:
    """A LabelSelector model value."""
    return LabelSelector(tuple(sorted(match_labels)), expressions)


def only_rule(obj: dict[str, Any]) -> Rule:
    """The single ingress rule of a parsed policy."""
    (rule,) = parse_network_policy(obj).ingress
    return rule


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An ip_network."""
    return ipaddress.ip_network(text)


# --- NetworkPolicy: policyTypes -------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "isolates_ingress", "isolates_egress"), [
    pytest.param({}, True, False, id="no-rules-no-types-is-ingress"),
    pytest.param({"ingress": [{}]}, True, False, id="ingress-rules-is-ingress"),
    pytest.param({"egress": [{}]}, True, True, id="egress-rules-add-egress"),
    pytest.param({"ingress": [{}], "egress": [{"to": [{"podSelector": {}}]}]}, True, True, id="both-rules"),
    pytest.param({"egress": []}, True, False, id="empty-egress-list-is-not-egress"),
    pytest.param({"egress": None}, True, False, id="null-egress-is-not-egress"),
    pytest.param({"policyTypes": [], "egress": [{}]}, True, True, id="empty-types-treated-as-absent"),
    pytest.param({"policyTypes": None}, True, False, id="null-types-treated-as-absent"),
    pytest.param({"policyTypes": ["Egress"]}, False, True, id="egress-only-deny-all"),
    pytest.param({"policyTypes": ["Egress"], "ingress": [{}]}, False, True, id="explicit-types-win-over-rules"),
    pytest.param({"policyTypes": ["Ingress"], "egress": [{}]}, True, False, id="explicit-ingress-ignores-egress"),
    pytest.param({"policyTypes": ["Ingress", "Egress"]}, True, True, id="both-types-deny-all"),
])
def test_effective_policy_types(spec: dict[str, Any], isolates_ingress: bool, isolates_egress: bool) -> None:
    parsed = parse_network_policy(policy(spec))
    assert (parsed.isolates_ingress, parsed.isolates_egress) == (isolates_ingress, isolates_egress)


def test_rules_of_a_direction_outside_policy_types_do_not_take_effect() -> None:
    parsed = parse_network_policy(policy({"policyTypes": ["Egress"], "ingress": [{}], "egress": [{}]}))
    assert parsed.policy_types == ("Egress",)
    assert len(parsed.ingress) == 1
    assert parsed.rules("ingress") == ()
    assert parsed.rules("egress") == (Rule(None, None),)


def test_policy_metadata_and_spec_are_kept() -> None:
    spec = {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}]}
    parsed = parse_network_policy(policy(spec, uid="u-1", labels={"team": "shop"}))
    assert (parsed.namespace, parsed.name, parsed.uid) == ("shop", "allow-web", "u-1")
    assert parsed.labels == (("team", "shop"),)
    assert parsed.key == "shop/allow-web"
    assert parsed.pod_selector == selector(("app", "web"))
    assert parsed.spec == spec


def test_policy_without_namespace_is_in_default() -> None:
    obj = policy()
    del obj["metadata"]["namespace"]
    assert parse_network_policy(obj).namespace == "default"


# --- NetworkPolicy: rules, peers, ports -----------------------------------------------------------

EVERYONE = SelectorPeer(namespace_selector=None, pod_selector=LabelSelector())


@pytest.mark.parametrize(("rule", "expected"), [
    pytest.param({}, Rule(None, None), id="empty-rule-is-everything"),
    pytest.param({"from": [], "ports": []}, Rule(None, None), id="empty-lists-are-absent"),
    pytest.param({"from": None, "ports": None}, Rule(None, None), id="null-lists-are-absent"),
    pytest.param({"from": [{"podSelector": {}}]}, Rule((EVERYONE,), None), id="peers-only"),
    pytest.param({"ports": [{"port": 80}]}, Rule(None, (PortSpec("TCP", 80),)), id="ports-only"),
    pytest.param({"from": [{"podSelector": {}}], "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]},
                 Rule((EVERYONE,), (PortSpec("TCP", 80), PortSpec("UDP", 53))), id="peers-and-ports"),
])
def test_rule_peers_and_ports(rule: dict[str, Any], expected: Rule) -> None:
    assert only_rule(ingress_rule(rule)) == expected


def test_egress_rules_read_to() -> None:
    parsed = parse_network_policy(policy({"egress": [{"to": [{"podSelector": {}}], "ports": [{"port": 443}]}]}))
    assert parsed.egress == (Rule((EVERYONE,), (PortSpec("TCP", 443),)),)


@pytest.mark.parametrize(("peer", "expected"), [
    pytest.param({"podSelector": {"matchLabels": {"app": "api"}}},
                 SelectorPeer(None, selector(("app", "api"))), id="pod-selector-only-is-own-namespace"),
    pytest.param({"namespaceSelector": {"matchLabels": {"team": "ops"}}},
                 SelectorPeer(selector(("team", "ops")), None), id="namespace-selector-only-is-all-pods"),
    pytest.param({"namespaceSelector": {}}, SelectorPeer(LabelSelector(), None), id="empty-namespace-selector"),
    pytest.param({"namespaceSelector": {"matchLabels": {"team": "ops"}}, "podSelector": {"matchLabels": {"app": "x"}}},
                 SelectorPeer(selector(("team", "ops")), selector(("app", "x"))), id="both-selectors"),
    pytest.param({"ipBlock": {"cidr": "10.0.0.0/8"}}, IPBlockPeer(IPBlock(net("10.0.0.0/8"))), id="ip-block"),
    pytest.param({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.2.3.4/32"]}},
                 IPBlockPeer(IPBlock(net("10.0.0.0/8"), (net("10.1.0.0/16"), net("10.2.3.4/32")))),
                 id="ip-block-with-except"),
    pytest.param({"ipBlock": {"cidr": "10.1.2.3/8"}}, IPBlockPeer(IPBlock(net("10.0.0.0/8"))),
                 id="ip-block-host-bits-allowed"),
    pytest.param({"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}},
                 IPBlockPeer(IPBlock(net("2001:db8::/32"), (net("2001:db8:1::/48"),))), id="ipv6-block"),
    pytest.param({"podSelector": {}, "ipBlock": None}, EVERYONE, id="null-ip-block-is-absent"),
])
def test_peers(peer: dict[str, Any], expected: SelectorPeer | IPBlockPeer) -> None:
    assert only_rule(ingress_peer(peer)).peers == (expected,)


@pytest.mark.parametrize(("port", "expected"), [
    pytest.param({"port": 443}, PortSpec("TCP", 443), id="protocol-defaults-to-tcp"),
    pytest.param({"port": 53, "protocol": "UDP"}, PortSpec("UDP", 53), id="udp"),
    pytest.param({"port": 3868, "protocol": "SCTP"}, PortSpec("SCTP", 3868), id="sctp"),
    pytest.param({"protocol": "UDP"}, PortSpec("UDP"), id="no-port-is-every-port-of-protocol"),
    pytest.param({}, PortSpec("TCP"), id="empty-entry-is-every-tcp-port"),
    pytest.param({"port": "http"}, PortSpec("TCP", "http"), id="named-port"),
    pytest.param({"port": "dns-udp", "protocol": "UDP"}, PortSpec("UDP", "dns-udp"), id="named-udp-port"),
    pytest.param({"port": 8000, "endPort": 8100}, PortSpec("TCP", 8000, 8100), id="range"),
    pytest.param({"port": 8000, "endPort": 8000}, PortSpec("TCP", 8000, 8000), id="range-of-one"),
    pytest.param({"port": 1, "endPort": 65535}, PortSpec("TCP", 1, 65535), id="full-range"),
])
def test_policy_ports(port: dict[str, Any], expected: PortSpec) -> None:
    assert only_rule(ingress_port(port)).ports == (expected,)


@pytest.mark.parametrize("name", ["http", "h2c", "a", "1a", "metrics-9090", "x" * 15, "a-b-c"])
def test_valid_port_names(name: str) -> None:
    assert parse_port_name(name, "port") == name


@given(port=st.integers(1, 65535), end_port=st.integers(1, 65535))
def test_a_range_is_valid_exactly_when_end_port_is_not_below_port(port: int, end_port: int) -> None:
    entry = {"port": port, "endPort": end_port}
    if end_port >= port:
        assert parse_policy_port(entry, "ports[0]") == PortSpec("TCP", port, end_port)
    else:
        with pytest.raises(InvalidObject) as raised:
            parse_policy_port(entry, "ports[0]")
        assert raised.value.field == "ports[0].endPort"


def test_selector_expressions() -> None:
    pod_selector = {
        "matchLabels": {"tier": "backend", "app": "api"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "staging"]},
            {"key": "canary", "operator": "NotIn", "values": ["true"]},
            {"key": "team", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist", "values": []},
        ],
    }
    parsed = parse_network_policy(policy({"podSelector": pod_selector}))
    assert parsed.pod_selector == selector(("app", "api"), ("tier", "backend"), expressions=(
        Requirement("env", "In", frozenset({"prod", "staging"})),
        Requirement("canary", "NotIn", frozenset({"true"})),
        Requirement("team", "Exists"),
        Requirement("legacy", "DoesNotExist"),
    ))


# --- Namespaces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("obj", "labels"), [
    pytest.param(namespace("shop"), {NAMESPACE_NAME_LABEL: "shop"}, id="no-labels"),
    pytest.param(namespace("shop", team="retail"), {NAMESPACE_NAME_LABEL: "shop", "team": "retail"}, id="labels"),
    pytest.param(namespace("shop", **{NAMESPACE_NAME_LABEL: "shop"}), {NAMESPACE_NAME_LABEL: "shop"},
                 id="label-already-set"),
    pytest.param(namespace("shop", **{NAMESPACE_NAME_LABEL: "other"}), {NAMESPACE_NAME_LABEL: "shop"},
                 id="wrong-label-corrected-as-the-api-server-does"),
    pytest.param({"kind": "Namespace", "metadata": {"name": "shop", "labels": None}}, {NAMESPACE_NAME_LABEL: "shop"},
                 id="null-labels"),
])
def test_namespaces_always_carry_their_name_label(obj: dict[str, Any], labels: dict[str, str]) -> None:
    parsed = parse_namespace(obj)
    assert parsed.name == "shop"
    assert dict(parsed.labels) == labels


def test_namespace_ignores_a_metadata_namespace() -> None:
    obj = namespace("shop")
    obj["metadata"]["namespace"] = "default"
    assert parse_namespace(obj).name == "shop"


# --- Pods -----------------------------------------------------------------------------------------


def owner(kind: str | None, name: str, controller: bool | None = None) -> dict[str, Any]:
    """An ownerReferences entry."""
    reference: dict[str, Any] = {"apiVersion": "apps/v1", "name": name, "uid": f"uid-{name}"}
    if kind is not None:
        reference["kind"] = kind
    if controller is not None:
        reference["controller"] = controller
    return reference


@pytest.mark.parametrize(("owners", "workload"), [
    pytest.param(None, WorkloadRef("shop", "web-1", "Pod"), id="bare-pod-is-its-own-workload"),
    pytest.param([], WorkloadRef("shop", "web-1", "Pod"), id="empty-owners-is-bare"),
    pytest.param([owner("ReplicaSet", "web-7d9c", True)], WorkloadRef("shop", "web-7d9c", "ReplicaSet"),
                 id="controller-owner"),
    pytest.param([owner("ConfigMap", "settings", False), owner("StatefulSet", "db", True)],
                 WorkloadRef("shop", "db", "StatefulSet"), id="controller-preferred-over-first"),
    pytest.param([owner("Node", "node-1"), owner("Job", "backup-123")], WorkloadRef("shop", "node-1", "Node"),
                 id="no-controller-first-owner"),
    pytest.param([owner(None, "web", True)], WorkloadRef("shop", "web", "Pod"), id="owner-kind-missing"),
])
def test_pod_owner(owners: list[dict[str, Any]] | None, workload: WorkloadRef) -> None:
    assert parse_pod(pod(ownerReferences=owners)).workload == workload


@pytest.mark.parametrize(("status", "ips"), [
    pytest.param({}, (), id="no-ips"),
    pytest.param({"podIP": "10.244.1.7"}, ("10.244.1.7",), id="pod-ip"),
    pytest.param({"podIP": ""}, (), id="empty-pod-ip-ignored"),
    pytest.param({"podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}]}, ("10.244.1.7", "fd00::7"), id="pod-ips"),
    pytest.param({"podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}]},
                 ("10.244.1.7", "fd00::7"), id="deduplicated-in-order"),
    pytest.param({"podIP": "FD00:0:0::7", "podIPs": [{"ip": "fd00::7"}]}, ("fd00::7",),
                 id="ipv6-canonical-before-dedup"),
    pytest.param({"podIPs": [{}, {"ip": None}, {"ip": "10.0.0.1"}]}, ("10.0.0.1",), id="entries-without-ip-ignored"),
])
def test_pod_ips(status: dict[str, Any], ips: tuple[str, ...]) -> None:
    assert parse_pod(pod(status=status)).ips == ips


@pytest.mark.parametrize("phase", ["Succeeded", "Failed"])
def test_terminated_pods_are_dropped(phase: str) -> None:
    assert parse_pod(pod(status={"phase": phase, "podIP": "10.0.0.1"})) is None


@pytest.mark.parametrize("phase", ["Running", "Pending", "Unknown", None])
def test_live_pods_are_kept(phase: str | None) -> None:
    parsed = parse_pod(pod(status={"phase": phase}))
    assert parsed is not None
    assert parsed.phase == (phase or "")


@pytest.mark.parametrize(("spec", "host_network"), [
    pytest.param({}, False, id="default"),
    pytest.param({"hostNetwork": False}, False, id="false"),
    pytest.param({"hostNetwork": True}, True, id="true"),
])
def test_pod_host_network(spec: dict[str, Any], host_network: bool) -> None:
    assert parse_pod(pod(spec)).host_network is host_network


def test_pod_fields() -> None:
    spec = {
        "nodeName": "node-3",
        "containers": [
            {"name": "web", "ports": [{"name": "http", "containerPort": 8080, "hostPort": 0},
                                      {"containerPort": 9090}]},
            {"name": "dns", "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP", "hostPort": 5353}]},
            {"name": "sidecar"},
        ],
    }
    parsed = parse_pod(pod(spec, {"phase": "Running"}, labels={"app": "web", "tier": "front"}, uid="p-1"))
    assert parsed is not None
    assert (parsed.namespace, parsed.name, parsed.uid, parsed.node_name) == ("shop", "web-1", "p-1", "node-3")
    assert parsed.labels == (("app", "web"), ("tier", "front"))
    assert parsed.ports == (
        ContainerPort(8080, "TCP", "http", "web"),
        ContainerPort(9090, "TCP", "", "web"),
        ContainerPort(53, "UDP", "dns", "dns", host_port=5353),
    )
    assert parsed.named_ports == (("dns", "UDP", 53), ("http", "TCP", 8080))


def test_pod_without_namespace_is_in_default() -> None:
    obj = pod()
    del obj["metadata"]["namespace"]
    assert parse_pod(obj).namespace == "default"


# --- Services -------------------------------------------------------------------------------------


def test_service_fields() -> None:
    parsed = parse_service(service({
        "type": "NodePort",
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                  {"port": 53, "protocol": "UDP", "targetPort": 5353},
                  {"port": 443}],
    }))
    assert (parsed.namespace, parsed.name, parsed.type) == ("shop", "web", "NodePort")
    assert parsed.selector == (("app", "web"),)
    assert parsed.ports == (ServicePort(80, "TCP", "http", "http"), ServicePort(53, "UDP", "", 5353),
                            ServicePort(443, "TCP", "", None))


def test_service_defaults() -> None:
    parsed = parse_service(service())
    assert (parsed.type, parsed.selector, parsed.ports) == ("ClusterIP", (), ())


# --- invalid objects: field path and message ------------------------------------------------------

TOO_LONG = "x" * 16
PORT_NAME_RULE = "(1-15 lowercase letters, digits or '-', with at least one letter)"


def without(obj: dict[str, Any], *path: str) -> dict[str, Any]:
    """`obj` with the key at `path` removed."""
    parent = obj
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return obj


INVALID: list[Any] = [
    # metadata
    (parse_network_policy, without(policy(), "metadata"), "metadata", "required field is missing"),
    (parse_network_policy, without(policy(), "metadata", "name"), "metadata.name", "required field is missing"),
    (parse_network_policy, policy(name=42), "metadata.name", "must be a string, not 42"),
    (parse_network_policy, policy(labels=["app=web"]), "metadata.labels", "must be an object, not a list"),
    (parse_network_policy, policy(labels={"enabled": True}), "metadata.labels.enabled",
     "label value must be a string, not true"),
    # spec and podSelector
    (parse_network_policy, without(policy(), "spec"), "spec", "required field is missing"),
    (parse_network_policy, policy({"podSelector": []}), "spec.podSelector", "must be an object, not a list"),
    (parse_network_policy, policy({"podSelector": {"matchLabels": {"version": 1}}}),
     "spec.podSelector.matchLabels.version", "label value must be a string, not 1"),
    (parse_network_policy, policy({"podSelector": {"matchLabels": {"": "x"}}}), "spec.podSelector.matchLabels",
     "label key '' must be a non-empty string"),
    # selector expressions
    (parse_network_policy, expressions_policy({"key": "a", "operator": "Equals"}),
     "spec.podSelector.matchExpressions[0].operator",
     "unsupported operator 'Equals' (expected one of In, NotIn, Exists, DoesNotExist)"),
    (parse_network_policy, expressions_policy({"key": "a", "operator": "in", "values": ["x"]}),
     "spec.podSelector.matchExpressions[0].operator",
     "unsupported operator 'in' (expected one of In, NotIn, Exists, DoesNotExist)"),
    (parse_network_policy, expressions_policy({"operator": "Exists"}),
     "spec.podSelector.matchExpressions[0].key", "required field is missing"),
    (parse_network_policy, expressions_policy({"key": "a"}),
     "spec.podSelector.matchExpressions[0].operator", "required field is missing"),
    (parse_network_policy, expressions_policy({"key": "a", "operator": "In", "values": []}),
     "spec.podSelector.matchExpressions[0].values", "must be non-empty when operator is In"),
    (parse_network_policy, expressions_policy({"key": "a", "operator": "NotIn"}),
     "spec.podSelector.matchExpressions[0].values", "must be non-empty when operator is NotIn"),
    (parse_network_policy, expressions_policy({"key": "a", "operator": "Exists", "values": ["x"]}),
     "spec.podSelector.matchExpressions[0].values", "must be empty when operator is Exists"),
    (parse_network_policy, expressions_policy({"key": "a", "operator": "DoesNotExist", "values": ["x"]}),
     "spec.podSelector.matchExpressions[0].values", "must be empty when operator is DoesNotExist"),
    (parse_network_policy, expressions_policy({"key": "v", "operator": "In", "values": ["2", 3]}),
     "spec.podSelector.matchExpressions[0].values[1]", "must be a string, not 3"),
    (parse_network_policy, policy({"podSelector": {"matchExpressions": {"key": "a", "operator": "Exists"}}}),
     "spec.podSelector.matchExpressions", "must be a list, not an object"),
    # policyTypes
    (parse_network_policy, policy({"policyTypes": ["Ingress", "egress"]}), "spec.policyTypes[1]",
     "unsupported policy type 'egress' (expected Ingress or Egress)"),
    (parse_network_policy, policy({"policyTypes": "Ingress"}), "spec.policyTypes", "must be a list, not 'Ingress'"),
    # rules and peers
    (parse_network_policy, policy({"ingress": {"from": []}}), "spec.ingress", "must be a list, not an object"),
    (parse_network_policy, policy({"egress": ["to"]}), "spec.egress[0]", "must be an object, not 'to'"),
    (parse_network_policy, ingress_rule({"from": {"podSelector": {}}}), "spec.ingress[0].from",
     "must be a list, not an object"),
    (parse_network_policy, ingress_peer({}), "spec.ingress[0].from[0]",
     "must specify a peer (podSelector, namespaceSelector or ipBlock)"),
    (parse_network_policy, policy({"egress": [{"to": [{"podSelector": {}}, {"podSelector": None}]}]}),
     "spec.egress[0].to[1]", "must specify a peer (podSelector, namespaceSelector or ipBlock)"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}),
     "spec.ingress[0].from[0]", "ipBlock may not be combined with podSelector or namespaceSelector"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.0.0.0/8"}, "namespaceSelector": {}}),
     "spec.ingress[0].from[0]", "ipBlock may not be combined with podSelector or namespaceSelector"),
    (parse_network_policy, ingress_peer({"namespaceSelector": {"matchLabels": {"team": None}}}),
     "spec.ingress[0].from[0].namespaceSelector.matchLabels.team", "label value must be a string, not null"),
    # ipBlock
    (parse_network_policy, ingress_peer({"ipBlock": {}}), "spec.ingress[0].from[0].ipBlock.cidr",
     "required field is missing"),
    (parse_network_policy, ingress_peer({"ipBlock": {"except": ["10.1.0.0/16"]}}),
     "spec.ingress[0].from[0].ipBlock.cidr", "required field is missing"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.1.2.3"}}), "spec.ingress[0].from[0].ipBlock.cidr",
     "invalid CIDR '10.1.2.3' (expected address/prefix-length)"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.0.0.0/33"}}), "spec.ingress[0].from[0].ipBlock.cidr",
     "invalid CIDR '10.0.0.0/33'"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "office/24"}}), "spec.ingress[0].from[0].ipBlock.cidr",
     "invalid CIDR 'office/24'"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}),
     "spec.ingress[0].from[0].ipBlock.except[0]", "11.0.0.0/16 is not a strict subset of cidr 10.0.0.0/8"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/8"]}}),
     "spec.ingress[0].from[0].ipBlock.except[0]", "10.0.0.0/8 is not a strict subset of cidr 10.0.0.0/16"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16", "10.0.0.0/8"]}}),
     "spec.ingress[0].from[0].ipBlock.except[1]", "10.0.0.0/8 is not a strict subset of cidr 10.0.0.0/8"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["fd00::/8"]}}),
     "spec.ingress[0].from[0].ipBlock.except[0]", "fd00::/8 is not a strict subset of cidr 0.0.0.0/0"),
    (parse_network_policy, ingress_peer({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0"]}}),
     "spec.ingress[0].from[0].ipBlock.except[0]", "invalid CIDR '10.1.0.0' (expected address/prefix-length)"),
    # ports
    (parse_network_policy, ingress_rule({"ports": {"port": 80}}), "spec.ingress[0].ports",
     "must be a list, not an object"),
    (parse_network_policy, ingress_port({"port": 0}), "spec.ingress[0].ports[0].port",
     "must be between 1 and 65535, not 0"),
    (parse_network_policy, ingress_port({"port": 65536}), "spec.ingress[0].ports[0].port",
     "must be between 1 and 65535, not 65536"),
    (parse_network_policy, ingress_port({"port": -80}), "spec.ingress[0].ports[0].port",
     "must be between 1 and 65535, not -80"),
    (parse_network_policy, ingress_port({"port": True}), "spec.ingress[0].ports[0].port",
     "must be a port number, not true"),
    (parse_network_policy, ingress_port({"port": [80]}), "spec.ingress[0].ports[0].port",
     "must be a port number, not a list"),
    (parse_network_policy, ingress_port({"port": 8100, "endPort": 8000}), "spec.ingress[0].ports[0].endPort",
     "must be greater than or equal to port (8100), not 8000"),
    (parse_network_policy, ingress_port({"port": "http", "endPort": 8090}), "spec.ingress[0].ports[0].endPort",
     "may not be used with a named port"),
    (parse_network_policy, ingress_port({"endPort": 8090}), "spec.ingress[0].ports[0].endPort",
     "may not be specified without port"),
    (parse_network_policy, ingress_port({"port": 8000, "endPort": 70000}), "spec.ingress[0].ports[0].endPort",
     "must be between 1 and 65535, not 70000"),
    (parse_network_policy, ingress_port({"port": 8000, "endPort": "8100"}), "spec.ingress[0].ports[0].endPort",
     "must be a port number, not '8100'"),
    (parse_network_policy, ingress_port({"port": 80, "protocol": "tcp"}), "spec.ingress[0].ports[0].protocol",
     "unsupported protocol 'tcp' (expected TCP, UDP or SCTP)"),
    (parse_network_policy, ingress_port({"protocol": "ICMP"}), "spec.ingress[0].ports[0].protocol",
     "unsupported protocol 'ICMP' (expected TCP, UDP or SCTP)"),
    (parse_network_policy, ingress_port({"port": 80, "protocol": 6}), "spec.ingress[0].ports[0].protocol",
     "must be a string, not 6"),
    (parse_network_policy, ingress_port({"port": "HTTP"}), "spec.ingress[0].ports[0].port",
     f"invalid port name 'HTTP' {PORT_NAME_RULE}"),
    (parse_network_policy, ingress_port({"port": TOO_LONG}), "spec.ingress[0].ports[0].port",
     f"invalid port name '{TOO_LONG}' {PORT_NAME_RULE}"),
    (parse_network_policy, ingress_port({"port": "8080"}), "spec.ingress[0].ports[0].port",
     f"invalid port name '8080' {PORT_NAME_RULE}"),
    (parse_network_policy, ingress_port({"port": "-http"}), "spec.ingress[0].ports[0].port",
     f"invalid port name '-http' {PORT_NAME_RULE}"),
    (parse_network_policy, ingress_port({"port": "http-"}), "spec.ingress[0].ports[0].port",
     f"invalid port name 'http-' {PORT_NAME_RULE}"),
    (parse_network_policy, ingress_port({"port": "web--tls"}), "spec.ingress[0].ports[0].port",
     f"invalid port name 'web--tls' {PORT_NAME_RULE}"),
    (parse_network_policy, ingress_port({"port": "web_tls"}), "spec.ingress[0].ports[0].port",
     f"invalid port name 'web_tls' {PORT_NAME_RULE}"),
    (parse_network_policy, policy({"egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 0}]}]}),
     "spec.egress[0].ports[1].port", "must be between 1 and 65535, not 0"),
    # pods
    (parse_pod, pod(status={"podIP": "10.244.1.300"}), "status.podIP", "invalid IP address '10.244.1.300'"),
    (parse_pod, pod(status={"podIP": "10.0.0.0/24"}), "status.podIP", "invalid IP address '10.0.0.0/24'"),
    (parse_pod, pod(status={"podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::zz"}]}), "status.podIPs[1].ip",
     "invalid IP address 'fd00::zz'"),
    (parse_pod, pod(status={"podIPs": ["10.0.0.1"]}), "status.podIPs[0]", "must be an object, not '10.0.0.1'"),
    (parse_pod, pod(status={"podIP": 167772161}), "status.podIP", "must be a string, not 167772161"),
    (parse_pod, pod({"hostNetwork": "true"}), "spec.hostNetwork", "must be a boolean, not 'true'"),
    (parse_pod, pod({"containers": {"name": "web"}}), "spec.containers", "must be a list, not an object"),
    (parse_pod, pod(container_ports({"name": "http"})), "spec.containers[0].ports[0].containerPort",
     "required field is missing"),
    (parse_pod, pod(container_ports({"containerPort": 80}, {"containerPort": 0})),
     "spec.containers[0].ports[1].containerPort", "must be between 1 and 65535, not 0"),
    (parse_pod, pod(container_ports({"containerPort": "8080"})), "spec.containers[0].ports[0].containerPort",
     "must be a port number, not '8080'"),
    (parse_pod, pod(container_ports({"containerPort": 80, "hostPort": 70000})), "spec.containers[0].ports[0].hostPort",
     "must be between 1 and 65535, not 70000"),
    (parse_pod, pod(container_ports({"containerPort": 80, "hostPort": False})), "spec.containers[0].ports[0].hostPort",
     "must be a port number, not false"),
    (parse_pod, pod(container_ports({"containerPort": 80, "protocol": "HTTP"})),
     "spec.containers[0].ports[0].protocol", "unsupported protocol 'HTTP' (expected TCP, UDP or SCTP)"),
    (parse_pod, pod(container_ports({"containerPort": 9102, "name": "prometheus-metrics"})),
     "spec.containers[0].ports[0].name", f"invalid port name 'prometheus-metrics' {PORT_NAME_RULE}"),
    (parse_pod, pod(ownerReferences=[owner("ReplicaSet", "", True)]), "metadata.ownerReferences[0].name",
     "required field is missing"),
    (parse_pod, pod(ownerReferences=[owner("Node", "n1"), {"kind": "Job", "controller": True}]),
     "metadata.ownerReferences[1].name", "required field is missing"),
    (parse_pod, pod(ownerReferences={"kind": "Job", "name": "j"}), "metadata.ownerReferences",
     "must be a list, not an object"),
    (parse_pod, pod(labels={"version": 1.5}), "metadata.labels.version", "label value must be a string, not 1.5"),
    # services
    (parse_service, service({"ports": [{"name": "http", "targetPort": 8080}]}), "spec.ports[0].port",
     "required field is missing"),
    (parse_service, service({"ports": [{"port": 80, "protocol": "tcp"}]}), "spec.ports[0].protocol",
     "unsupported protocol 'tcp' (expected TCP, UDP or SCTP)"),
    (parse_service, service({"ports": [{"port": 80, "targetPort": [8080]}]}), "spec.ports[0].targetPort",
     "must be a number or a port name"),
    (parse_service, service({"selector": {"app": "web", "replicas": 2}}), "spec.selector.replicas",
     "label value must be a string, not 2"),
    # namespaces
    (parse_namespace, {"kind": "Namespace", "metadata": {"labels": {"team": "x"}}}, "metadata.name",
     "required field is missing"),
    (parse_namespace, {"kind": "Namespace", "metadata": "shop"}, "metadata", "must be an object, not 'shop'"),
]


def case_id(case: tuple[Callable[..., Any], dict[str, Any], str, str]) -> str:
    """`parser:field:start of message`, unique enough to find a failing row."""
    parser, _, field, message = case
    return f"{parser.__name__.removeprefix('parse_')}:{field}:{message[:40]}"


@pytest.mark.parametrize(("parser", "obj", "field", "message"),
                         [pytest.param(*case, id=case_id(case)) for case in INVALID])
def test_invalid_objects(parser: Callable[[Any], Any], obj: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        parser(obj)
    assert (raised.value.field, raised.value.detail) == (field, message)
    assert raised.value.message == f"{field}: {message}"


# --- regressions: messages and leniency the API server also has -----


def test_empty_string_is_a_valid_selector_value() -> None:
    parsed = parse_network_policy(expressions_policy({"key": "tier", "operator": "In", "values": ["", "web"]}))
    assert parsed.pod_selector.expressions == (Requirement("tier", "In", frozenset({"", "web"})),)


@pytest.mark.parametrize("obj", [
    pytest.param(without(policy({"ingress": [{}]}), "spec", "podSelector"), id="missing"),
    pytest.param(policy({"podSelector": None, "ingress": [{}]}), id="null"),
])
def test_a_null_or_missing_pod_selector_selects_every_pod_as_the_api_server_stores_it(obj: dict[str, Any]) -> None:
    parsed = parse_network_policy(obj)
    assert parsed == parse_network_policy(policy({"ingress": [{}]}))
    assert parsed.pod_selector.is_empty
    assert parsed.spec == {"podSelector": {}, "ingress": [{}]}


def test_null_host_network_is_false() -> None:
    assert parse_pod(pod({"hostNetwork": None})).host_network is False


# --- nodes ----------------------------------------------------------------------------------------


def test_a_node_keeps_its_labels_and_ip_addresses() -> None:
    node = parse_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"role": "worker"}},
                       "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.5"},
                                                {"type": "Hostname", "address": "n1.example"},
                                                {"type": "ExternalIP", "address": "2001:db8::0005"},
                                                {"type": "InternalIP", "address": "10.0.0.5"}]}})
    assert (node.name, node.labels) == ("n1", (("role", "worker"),))
    assert node.addresses == (("InternalIP", "10.0.0.5"), ("ExternalIP", "2001:db8::5"))
    assert node.ips == ("10.0.0.5", "2001:db8::5")


@pytest.mark.parametrize(("status", "field", "message"), [
    ({"addresses": [{"type": "InternalIP", "address": "10.0.0.300"}]}, "status.addresses[0].address",
     "invalid IP address '10.0.0.300'"),
    ({"addresses": [{"address": "10.0.0.1"}]}, "status.addresses[0].type", "required field is missing"),
    ({"addresses": "10.0.0.1"}, "status.addresses", "must be a list"),
])
def test_a_node_with_a_bad_address_is_rejected(status: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidObject) as error:
        parse_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "status": status})
    assert (error.value.field, message in error.value.detail) == (field, True)


# --- names and labels, as the API server validates them --------------------------------------------

LONGEST_LABEL = "a" * 63


@pytest.mark.parametrize(("parser", "obj"), [
    pytest.param(parse_namespace, namespace("a" * 63), id="namespace-63"),
    pytest.param(parse_namespace, namespace("0-shop"), id="namespace-digit-first"),
    pytest.param(parse_pod, pod(name="web.v2-1"), id="pod-subdomain"),
    pytest.param(parse_pod, pod(name=".".join(["a" * 63] * 3) + "." + "a" * 61), id="pod-253"),
    pytest.param(parse_service, {**service(), "metadata": {"name": "a" * 63, "namespace": "shop"}},
                 id="service-63"),
    pytest.param(parse_network_policy, policy(name="allow.web"), id="policy-subdomain"),
    pytest.param(parse_namespace, namespace(**{"example.com/team": LONGEST_LABEL, "a_b.c-d": "", "Z9": "x_Y.z-0"}),
                 id="labels"),
    pytest.param(parse_network_policy, expressions_policy({"key": "app.kubernetes.io/name", "operator": "In",
                                                            "values": ["Web_1", ""]}), id="selector"),
    pytest.param(parse_network_policy, expressions_policy({"key": "app", "operator": "In", "values": ["a b"]}),
                 id="selector-value-stored-before-the-api-checked-it"),
])
def test_names_and_labels_the_api_accepts(parser: Callable[[Any], Any], obj: dict[str, Any]) -> None:
    assert parser(obj) is not None


def name_error(value: str, rule: str) -> str:
    """The message for a name that breaks `rule`."""
    return f"invalid name {shown(value)} (must be {rule})"


DNS_LABEL_RULE = DNS_LABEL.description
SUBDOMAIN_RULE = DNS_SUBDOMAIN.description


@pytest.mark.parametrize(("parser", "obj", "field", "message"), [
    pytest.param(parse_namespace, namespace("Prod_NS"), "metadata.name", name_error("Prod_NS", DNS_LABEL_RULE),
                 id="namespace-uppercase"),
    pytest.param(parse_namespace, namespace("a/b"), "metadata.name", name_error("a/b", DNS_LABEL_RULE),
                 id="namespace-slash"),
    pytest.param(parse_namespace, namespace("shop.eu"), "metadata.name", name_error("shop.eu", DNS_LABEL_RULE),
                 id="namespace-dot"),
    pytest.param(parse_namespace, namespace("a" * 64), "metadata.name", name_error("a" * 64, DNS_LABEL_RULE),
                 id="namespace-64"),
    pytest.param(parse_pod, pod(namespace="Prod"), "metadata.namespace", name_error("Prod", DNS_LABEL_RULE),
                 id="pod-namespace"),
    pytest.param(parse_pod, pod(name="web\x00"), "metadata.name", name_error("web\x00", SUBDOMAIN_RULE),
                 id="pod-nul"),
    pytest.param(parse_pod, pod(name="web\n"), "metadata.name", name_error("web\n", SUBDOMAIN_RULE),
                 id="pod-newline"),
    pytest.param(parse_pod, pod(name="-web"), "metadata.name", name_error("-web", SUBDOMAIN_RULE), id="pod-dash"),
    pytest.param(parse_pod, pod(name="a" * 254), "metadata.name",
                 f"invalid name '{'a' * 65}... (must be {SUBDOMAIN_RULE})", id="pod-254"),
    pytest.param(parse_service, {**service(), "metadata": {"name": "1web", "namespace": "shop"}}, "metadata.name",
                 name_error("1web", DNS_1035_LABEL.description), id="service-digit-first"),
    pytest.param(parse_service, {**service(), "metadata": {"name": "web.v2", "namespace": "shop"}},
                 "metadata.name", name_error("web.v2", DNS_1035_LABEL.description), id="service-dot"),
    pytest.param(parse_node, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "Node_1"}}, "metadata.name",
                 name_error("Node_1", SUBDOMAIN_RULE), id="node"),
    pytest.param(parse_namespace, namespace(team="payments team"), "metadata.labels.team",
                 f"invalid label value 'payments team' (must be {LABEL_VALUE_RULE})", id="value-space"),
    pytest.param(parse_namespace, namespace(team="a" * 64), "metadata.labels.team",
                 f"invalid label value {'a' * 64!r} (must be {LABEL_VALUE_RULE})", id="value-64"),
    pytest.param(parse_namespace, namespace(team="<script>"), "metadata.labels.team",
                 f"invalid label value '<script>' (must be {LABEL_VALUE_RULE})", id="value-markup"),
    pytest.param(parse_namespace, namespace(team="-x"), "metadata.labels.team",
                 f"invalid label value '-x' (must be {LABEL_VALUE_RULE})", id="value-dash-first"),
    pytest.param(parse_namespace, namespace(**{"-bad key": "x"}), "metadata.labels",
                 f"invalid label key '-bad key' (must be {LABEL_KEY_RULE})", id="key-space"),
    pytest.param(parse_namespace, namespace(**{"/team": "x"}), "metadata.labels",
                 f"invalid label key '/team' (must be {LABEL_KEY_RULE})", id="key-empty-prefix"),
    pytest.param(parse_namespace, namespace(**{"a/b/c": "x"}), "metadata.labels",
                 f"invalid label key 'a/b/c' (must be {LABEL_KEY_RULE})", id="key-two-slashes"),
    pytest.param(parse_namespace, namespace(**{"Example.com/team": "x"}), "metadata.labels",
                 f"invalid label key 'Example.com/team' (must be {LABEL_KEY_RULE})", id="key-prefix-uppercase"),
    pytest.param(parse_namespace, namespace(**{"a" * 64: "x"}), "metadata.labels",
                 f"invalid label key {'a' * 64!r} (must be {LABEL_KEY_RULE})", id="key-64"),
    pytest.param(parse_network_policy, expressions_policy({"key": "bad key", "operator": "Exists"}),
                 "spec.podSelector.matchExpressions[0].key",
                 f"invalid label key 'bad key' (must be {LABEL_KEY_RULE})", id="selector-key"),
    pytest.param(parse_service, service({"selector": {"app": "web server"}}), "spec.selector.app",
                 f"invalid label value 'web server' (must be {LABEL_VALUE_RULE})", id="service-selector"),
])
def test_names_and_labels_the_api_refuses(parser: Callable[[Any], Any], obj: dict[str, Any], field: str,
                                          message: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        parser(obj)
    assert (raised.value.field, raised.value.detail) == (field, message)


# --- what is checked once: a selector, rule or labels mapping seen before, valid, is not checked again -----


@pytest.mark.parametrize(("valid", "invalid", "field", "message"), [
    pytest.param({"podSelector": {"matchLabels": {"tier": "1"}}}, {"podSelector": {"matchLabels": {"tier": 1}}},
                 "spec.podSelector.matchLabels.tier", "label value must be a string, not 1", id="selector-int"),
    pytest.param({"podSelector": {"matchLabels": {"on": "true"}}}, {"podSelector": {"matchLabels": {"on": True}}},
                 "spec.podSelector.matchLabels.on", "label value must be a string, not true", id="selector-bool"),
    pytest.param({"ingress": [{"ports": [{"port": 80}]}]}, {"ingress": [{"ports": [{"port": 80.0}]}]},
                 "spec.ingress[0].ports[0].port", "must be a port number, not 80.0", id="rule-float-port"),
    pytest.param({"ingress": [{"ports": [{"port": 1}]}]}, {"ingress": [{"ports": [{"port": True}]}]},
                 "spec.ingress[0].ports[0].port", "must be a port number, not true", id="rule-bool-port"),
])
def test_a_value_equal_to_a_valid_one_but_of_another_type_is_still_refused(
        valid: dict[str, Any], invalid: dict[str, Any], field: str, message: str) -> None:
    parse_network_policy(policy(valid))
    for _ in range(2):  # refused each time, with its field
        with pytest.raises(InvalidObject) as raised:
            parse_network_policy(policy(invalid))
        assert (raised.value.field, raised.value.detail) == (field, message)


def test_a_rule_is_read_for_its_direction() -> None:
    rule = {"from": [{"podSelector": {}}]}
    assert parse_network_policy(policy({"ingress": [rule]})).ingress == (Rule((SelectorPeer(None, LabelSelector()),),
                                                                              None),)
    assert parse_network_policy(policy({"egress": [rule]})).egress == (Rule(None, None),)  # egress reads `to`


def test_labels_equal_to_valid_ones_but_of_another_type_are_still_refused() -> None:
    assert parse_namespace({"kind": "Namespace", "metadata": {"name": "shop", "labels": {"tier": "1"}}}).labels == (
        ("kubernetes.io/metadata.name", "shop"), ("tier", "1"))
    with pytest.raises(InvalidObject) as raised:
        parse_namespace({"kind": "Namespace", "metadata": {"name": "shop", "labels": {"tier": 1}}})
    assert (raised.value.field, raised.value.detail) == ("metadata.labels.tier", "label value must be a string, not 1")


def test_a_repeated_selector_is_one_value() -> None:
    first, second = (parse_network_policy(policy({"podSelector": {"matchLabels": {"app": "web"}}}, name=name))
                     for name in ("a", "b"))
    assert first.pod_selector is second.pod_selector
