"""Cilium's policies (cilium.io/v2 CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy) to model values: what valid
objects mean, and the field and message of every rejection. Each case names where it is written from: the Cilium
docs (security/policy: language, intro, host policies, deny policies) or Cilium's validation in pkg/policy/api
(rule_validation.go, l4.go, cidr.go, fqdn.go, service.go, selector.go) and the CRD schema."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from compliance.errors import InvalidObject
from compliance.model.cilium_policy import (
    CIDRRule,
    CiliumPolicy,
    CiliumPort,
    CiliumRule,
    PortRule,
    ServiceReference,
)
from compliance.model.parse_cilium import parse_cilium_policy
from compliance.model.selectors import LabelSelector, Requirement

CNP, CCNP = "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"
WEB = {"matchLabels": {"app": "web"}}


def cilium(kind: str = CNP, spec: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    """A Cilium policy of `kind` named `guard` (in namespace `shop` when namespaced) with `spec` (and `specs`...)."""
    return {"apiVersion": "cilium.io/v2", "kind": kind,
            "metadata": {"name": "guard", **({"namespace": "shop"} if kind == CNP else {})},
            **({"spec": spec} if spec is not None else {}), **top}


def policy(kind: str = CNP, **spec: Any) -> CiliumPolicy:
    """The parsed policy of `kind` whose one rule set selects app=web and holds `spec`."""
    return parse_cilium_policy(cilium(kind, {"endpointSelector": WEB, **spec}))


def only_rule(direction: str = "ingress", kind: str = CNP, **rule: Any) -> CiliumRule:
    """The one rule of `direction` (ingress, ingressDeny, egress, egressDeny) of a policy holding `rule`."""
    rule_set = policy(kind, **{direction: [rule]}).rule_sets[0]
    return rule_set.rules(direction.removesuffix("Deny"), direction.endswith("Deny"))[0]


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A network."""
    return ipaddress.ip_network(text)


def test_spec_then_specs_in_order() -> None:
    """Language, "Rule basics": a policy holds `spec` and/or `specs`; both are read, spec first."""
    parsed = parse_cilium_policy(cilium(CNP, {"endpointSelector": WEB, "ingress": [{}]},
                                        specs=[{"endpointSelector": {}, "egress": [{}]},
                                               {"endpointSelector": {"matchLabels": {"k8s:app": "db"}}}]))
    assert [rule_set.endpoint_selector for rule_set in parsed.rule_sets] == [
        LabelSelector((("app", "web"),)), LabelSelector(), LabelSelector((("k8s:app", "db"),))]
    assert parsed.key == "CiliumNetworkPolicy/shop/guard" and parsed.namespace == "shop"
    assert set(parsed.spec) == {"spec", "specs"}
    only_specs = parse_cilium_policy(cilium(CCNP, specs=[{"endpointSelector": WEB}]))
    assert only_specs.key == "CiliumClusterwideNetworkPolicy/guard" and only_specs.namespace == ""


def test_label_keys_keep_their_source_prefix() -> None:
    """Language, "Endpoints based": keys may carry a label source (`k8s:`, `any:`), kept as written."""
    selector = policy(endpointSelector={"matchLabels": {"any:app": "web", "k8s:io.kubernetes.pod.namespace": "shop"},
                                        "matchExpressions": [{"key": "io.cilium.k8s.policy.serviceaccount",
                                                              "operator": "In", "values": ["api"]}]}
                      ).rule_sets[0].endpoint_selector
    assert selector == LabelSelector((("any:app", "web"), ("k8s:io.kubernetes.pod.namespace", "shop")),
                                     (Requirement("io.cilium.k8s.policy.serviceaccount", "In", frozenset({"api"})),))


def test_rules_of_the_four_lists_and_default_deny() -> None:
    """Language and deny policies: ingress/egress allow, ingressDeny/egressDeny deny; `enableDefaultDeny` per
    direction, unset (None) when not given."""
    rule_set = policy(ingress=[{"fromEntities": ["world"]}], ingressDeny=[{"fromEntities": ["cluster"]}],
                      egress=[{"toEntities": ["host"]}], egressDeny=[{"toEntities": ["all"]}],
                      enableDefaultDeny={"ingress": False}).rule_sets[0]
    assert [rule.entities for rule in (*rule_set.ingress, *rule_set.ingress_deny, *rule_set.egress,
                                       *rule_set.egress_deny)] == [("world",), ("cluster",), ("host",), ("all",)]
    assert (rule_set.default_deny_ingress, rule_set.default_deny_egress) == (False, None)
    assert not rule_set.isolates("ingress") and rule_set.isolates("egress")


def test_empty_lists_read_as_absent() -> None:
    """An empty list is as if not given (Cilium tests len()): no rules, no peers, every port."""
    rule_set = policy(ingress=[], egress=[{"toEndpoints": [], "toPorts": [{"ports": []}]}]).rule_sets[0]
    assert rule_set.ingress == () and not rule_set.isolates("ingress")
    assert rule_set.egress == (CiliumRule(ports=(PortRule(),)),)
    assert only_rule("ingress") == CiliumRule()


@pytest.mark.parametrize(("given", "port"), [
    ({"port": "443", "protocol": "TCP"}, CiliumPort(443, None, "TCP")),
    ({"port": "8000", "endPort": 8100}, CiliumPort(8000, 8100, "ANY")),
    ({"port": "53", "protocol": "UDP"}, CiliumPort(53, None, "UDP")),
    ({"port": "9000", "protocol": "SCTP"}, CiliumPort(9000, None, "SCTP")),
    ({"port": "0", "protocol": "ANY"}, CiliumPort(None, None, "ANY")),
    ({"port": "HTTP-Alt"}, CiliumPort("http-alt", None, "ANY")),
    ({"port": "0x10"}, CiliumPort("0x10", None, "ANY")),
    ({"port": "010"}, CiliumPort(8, None, "ANY")),
    ({"port": "80", "endPort": 80}, CiliumPort(80, None, "ANY")),
])
def test_ports(given: dict[str, Any], port: CiliumPort) -> None:
    """l4.go and rule_validation.go: a port is a number 0-65535 (0: every port; read as Go's ParseUint with base 0)
    or an IANA service name (lowercased); endPort makes a range; protocol TCP, UDP, SCTP or ANY (the default)."""
    assert only_rule(toPorts=[{"ports": [given]}]).ports == (PortRule((port,)),)


@pytest.mark.parametrize(("rules", "protocol", "kinds"), [
    ({"http": [{"method": "GET", "path": "/public"}]}, "TCP", ("http",)),
    ({"kafka": [{"role": "produce", "topic": "orders"}]}, "TCP", ("kafka",)),
    ({"l7proto": "envoy.filters.network.redis", "l7": [{"cmd": "GET"}]}, "TCP", ("l7proto",)),
])
def test_l7_rules_are_recorded_as_kinds(rules: dict[str, Any], protocol: str, kinds: tuple[str, ...]) -> None:
    """Language, "Layer 7 Examples": L7 rules filter requests on an allowed port; their kinds are kept."""
    rule = only_rule(toPorts=[{"ports": [{"port": "80", "protocol": protocol}], "rules": rules}])
    assert rule.l7 == kinds


def test_dns_rules_on_egress_and_server_names() -> None:
    """Language, "DNS based": DNS rules go on egress to port 53 (TCP, UDP or ANY); serverNames filter TLS SNI."""
    rule = only_rule("egress", toEndpoints=[{}], toPorts=[
        {"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}},
        {"ports": [{"port": "443", "protocol": "TCP"}], "serverNames": ["api.example.com"]}])
    assert rule.l7 == ("dns", "serverNames")


def test_peers() -> None:
    """Language: endpoints, entities, CIDRs (a bare address is its /32 or /128), CIDR sets with except,
    services and FQDNs, requires."""
    assert only_rule(fromEndpoints=[{}, WEB]).endpoints == (LabelSelector(), LabelSelector((("app", "web"),)))
    assert only_rule("egress", toCIDR=["10.0.0.1", "2001:db8::/32"]).cidrs == (
        CIDRRule(net("10.0.0.1/32")), CIDRRule(net("2001:db8::/32")))
    assert only_rule("egress", toCIDR=["10.1.2.3/8"]).cidrs == (CIDRRule(net("10.0.0.0/8")),)
    assert only_rule(fromCIDRSet=[{"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}]).cidrs == (
        CIDRRule(net("10.0.0.0/8"), (net("10.96.0.0/12"),)),)
    assert only_rule("egress", toServices=[{"k8sService": {"serviceName": "db", "namespace": "data"}},
                                           {"k8sServiceSelector": {"selector": WEB}}]).services == (
        ServiceReference("data", "db"), ServiceReference("", None, LabelSelector((("app", "web"),))))
    assert only_rule("egress", toFQDNs=[{"matchName": "api.example.com"}, {"matchPattern": "*.example.com"}]
                     ).fqdns == ("api.example.com", "*.example.com")
    rule = only_rule(fromEndpoints=[WEB], fromRequires=[{"matchLabels": {"env": "prod"}}])
    assert rule.requires == (LabelSelector((("env", "prod"),)),) and rule.has_peer


@pytest.mark.parametrize(("rule", "unmodelled"), [
    ({"icmps": [{"fields": [{"type": 8, "family": "IPv4"}]}]}, ("icmps",)),
    ({"fromNodes": [{"matchLabels": {"role": "worker"}}]}, ("fromNodes",)),
    ({"fromGroups": [{"aws": {"securityGroupsIds": ["sg-1"]}}]}, ("fromGroups",)),
    ({"fromCIDRSet": [{"cidrGroupRef": "partners"}]}, ("cidrGroupRef",)),
    ({"fromCIDRSet": [{"cidrGroupSelector": {"matchLabels": {"team": "a"}}}]}, ("cidrGroupSelector",)),
    ({"fromEndpoints": [{}], "authentication": {"mode": "required"}}, ("authentication",)),
    ({"fromEndpoints": [{}], "authentication": {"mode": "disabled"}}, ()),
])
def test_what_a_rule_matches_on_but_is_not_modelled_is_named(rule: dict[str, Any],
                                                             unmodelled: tuple[str, ...]) -> None:
    """Language ("ICMP/ICMPv6", "Node based", "Groups", "CIDR groups") and mutual authentication: fields that change
    what a rule matches but are not modelled are named, never dropped silently."""
    assert only_rule(**rule).unmodelled == unmodelled


def test_host_policies_select_nodes() -> None:
    """Host policies: a clusterwide policy's nodeSelector selects nodes instead of endpoints."""
    parsed = parse_cilium_policy(cilium(CCNP, {"nodeSelector": {"matchLabels": {"type": "ingress"}},
                                              "ingress": [{"fromEntities": ["cluster"]}]}))
    assert parsed.host_policy and parsed.rule_sets[0].endpoint_selector is None
    assert not policy().host_policy


def test_the_spec_is_kept_as_given() -> None:
    """The document's spec and specs are kept exactly, for the snapshot and drift."""
    given = cilium(CNP, {"endpointSelector": WEB, "ingress": [{"fromEndpoints": [{"matchLabels": {"a": "b"}}]}]})
    assert parse_cilium_policy(given).spec == {"spec": given["spec"]}


R0 = "spec.ingress[0]"
P0 = f"{R0}.toPorts[0].ports[0]"
E0 = "spec.egress[0]"
ERRORS: list[tuple[str, dict[str, Any], str, str]] = [
    # (where it is written from, spec without its endpointSelector unless given, field, message)
    ("CRD schema", {"ingres": []}, "spec.ingres", "unknown field"),
    ("CRD schema", {"ingress": [{"fromEndpoint": [{}]}]}, f"{R0}.fromEndpoint", "unknown field"),
    ("CRD schema", {"ingress": [{"toPorts": [{"port": [{"port": "80"}]}]}]}, f"{R0}.toPorts[0].port",
     "unknown field"),
    ("rule_validation.go: Rule", {"endpointSelector": None}, "spec", "exactly one of endpointSelector or "
     "nodeSelector must be set, not none"),
    ("rule_validation.go: Rule", {"nodeSelector": {}}, "spec", "exactly one of endpointSelector or nodeSelector "
     "must be set, not endpointSelector and nodeSelector"),
    ("cnp_types.go", {"endpointSelector": None, "nodeSelector": {}}, "spec.nodeSelector", "a CiliumNetworkPolicy "
     "cannot have a nodeSelector"),
    ("CRD schema", {"ingress": [{"fromEntities": ["internet"]}]}, f"{R0}.fromEntities[0]",
     "unsupported entity 'internet'"),
    ("rule_validation.go: CIDR", {"ingress": [{"fromCIDR": ["10.0.0.300"]}]}, f"{R0}.fromCIDR[0]",
     "invalid CIDR '10.0.0.300'"),
    ("rule_validation.go: CIDR", {"ingress": [{"fromCIDR": ["10.0.0.0/33"]}]}, f"{R0}.fromCIDR[0]",
     "invalid CIDR '10.0.0.0/33'"),
    ("rule_validation.go: CIDRRule", {"ingress": [{"fromCIDRSet": [{"cidr": "10.0.0.1"}]}]},
     f"{R0}.fromCIDRSet[0].cidr", "expected address/prefix-length"),
    ("rule_validation.go: CIDRRule", {"ingress": [{"fromCIDRSet": [{"cidr": "10.0.0.0/8", "except":
                                                                    ["192.168.0.0/16"]}]}]},
     f"{R0}.fromCIDRSet[0].except[0]", "192.168.0.0/16 is not inside cidr 10.0.0.0/8"),
    ("rule_validation.go: CIDRRule", {"ingress": [{"fromCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["::/0"]}]}]},
     f"{R0}.fromCIDRSet[0].except[0]", "::/0 is not inside cidr"),
    ("rule_validation.go: CIDRRule", {"ingress": [{"fromCIDRSet": [{"cidr": "10.0.0.0/8", "cidrGroupRef": "a"}]}]},
     f"{R0}.fromCIDRSet[0]", "exactly one of cidr, cidrGroupRef or cidrGroupSelector must be set"),
    ("rule_validation.go: IngressCommonRule", {"ingress": [{"fromEndpoints": [{}], "fromCIDR": ["10.0.0.0/8"]}]},
     f"{R0}.fromCIDR", "combining fromEndpoints and fromCIDR is not supported"),
    ("rule_validation.go: EgressRule", {"egress": [{"toServices": [{"k8sService": {"serviceName": "db"}}],
                                                    "toPorts": [{"ports": [{"port": "80"}]}]}]},
     f"{E0}.toPorts", "combining toServices and toPorts is not supported"),
    ("CRD schema: ingress rules", {"ingress": [{"toFQDNs": [{"matchName": "a.com"}]}]}, f"{R0}.toFQDNs",
     "only allowed in egress (allow) rules"),
    ("CRD schema: ingress rules", {"ingress": [{"toServices": [{"k8sService": {"serviceName": "a"}}]}]},
     f"{R0}.toServices", "only allowed in egress rules"),
    ("CRD schema: deny rules", {"egressDeny": [{"toFQDNs": [{"matchName": "a.com"}]}]}, "spec.egressDeny[0].toFQDNs",
     "only allowed in egress (allow) rules"),
    ("CRD schema: deny rules", {"ingressDeny": [{"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                                              "rules": {"http": [{}]}}]}]},
     "spec.ingressDeny[0].toPorts[0].rules", "unknown field"),
    ("CRD schema: port", {"ingress": [{"toPorts": [{"ports": [{"port": 80}]}]}]}, f"{P0}.port",
     "must be a string, not the number 80"),
    ("rule_validation.go: PortProtocol", {"ingress": [{"toPorts": [{"ports": [{"port": "65536"}]}]}]},
     f"{P0}.port", "invalid port '65536'"),
    ("rule_validation.go: PortProtocol", {"ingress": [{"toPorts": [{"ports": [{"protocol": "TCP"}]}]}]},
     f"{P0}.port", "required field is missing"),
    ("iana: service names", {"ingress": [{"toPorts": [{"ports": [{"port": "-http"}]}]}]}, f"{P0}.port",
     "invalid port '-http'"),
    ("iana: service names", {"ingress": [{"toPorts": [{"ports": [{"port": "a-very-long-port-name"}]}]}]},
     f"{P0}.port", "invalid port"),
    ("CRD schema: protocol", {"ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "tcp"}]}]}]},
     f"{P0}.protocol", "unsupported protocol 'tcp' (expected TCP, UDP, SCTP, ANY"),
    ("CRD schema: protocol", {"ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "ICMP"}]}]}]},
     f"{P0}.protocol", "unsupported protocol 'ICMP'"),
    ("CRD schema: endPort", {"ingress": [{"toPorts": [{"ports": [{"port": "80", "endPort": 70000}]}]}]},
     f"{P0}.endPort", "must be a number 0-65535, not 70000"),
    ("endPort", {"ingress": [{"toPorts": [{"ports": [{"port": "80", "endPort": 79}]}]}]}, f"{P0}.endPort",
     "must be greater than or equal to port (80), not 79"),
    ("rule_validation.go: PortRule", {"ingress": [{"toPorts": [{"ports": [{"port": "80"}] * 41}]}]},
     f"{R0}.toPorts[0].ports", "too many ports, the max is 40"),
    ("rule_validation.go: PortRule", {"ingress": [{"toPorts": [{"ports": [{"port": "80"}],
                                                               "rules": {"http": [{}]}}]}]},
     f"{P0}.protocol", "L7 rules can only apply to TCP (not ANY)"),
    ("rule_validation.go: PortRule", {"ingress": [{"toPorts": [{"ports": [{"port": "0", "protocol": "TCP"}],
                                                               "rules": {"http": [{}]}}]}]},
     f"{R0}.toPorts[0].ports", "L7 rules can not be used when a port is 0"),
    ("rule_validation.go: PortRule", {"ingress": [{"toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}],
                                                               "rules": {"dns": [{"matchName": "a.com"}]}}]}]},
     f"{R0}.toPorts[0].rules.dns", "DNS rules are not allowed on ingress"),
    ("rule_validation.go: L7Rules", {"egress": [{"toPorts": [{"rules": {"dns": [{"matchPattern": "*"}]}}]}]},
     f"{E0}.toPorts[0].ports", "port 53 must be specified for DNS rules"),
    ("rule_validation.go: PortProtocol", {"egress": [{"toPorts": [{"ports": [{"port": "53", "endPort": 60}],
                                                                   "rules": {"dns": [{"matchPattern": "*"}]}}]}]},
     f"{E0}.toPorts[0].ports", "DNS rules do not support port ranges"),
    ("rule_validation.go: L7Rules", {"ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                                               "rules": {"http": [{}], "kafka": [{}]}}]}]},
     f"{R0}.toPorts[0].rules", "multiple L7 protocol rule types in one rule (http, kafka)"),
    ("rule_validation.go: L7Rules", {"ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                                               "rules": {"l7": [{"a": "b"}]}}]}]},
     f"{R0}.toPorts[0].rules.l7", "'l7' may only be specified when a 'l7proto' is also specified"),
    ("rule_validation.go: PortRule", {"ingress": [{"toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}],
                                                               "serverNames": ["a.com"],
                                                               "rules": {"http": [{}]}}]}]},
     f"{R0}.toPorts[0].serverNames", "not allowed with L7 rules without TLS termination"),
    ("rule_validation.go: PortRule", {"ingress": [{"toPorts": [{"listener": {"name": "x"}}]}]},
     f"{R0}.toPorts[0].listener", "not allowed on ingress"),
    ("rule_validation.go: IngressRule", {"ingress": [{"icmps": [{"fields": [{"type": 8}]}],
                                                      "toPorts": [{"ports": [{"port": "80"}]}]}]},
     f"{R0}.icmps", "may only be present without toPorts"),
    ("rule_validation.go: ICMPRule", {"ingress": [{"icmps": [{"fields": [{"type": 8, "family": "IPv5"}]}]}]},
     f"{R0}.icmps[0].fields[0].family", "wrong family 'IPv5'"),
    ("fqdn.go", {"egress": [{"toFQDNs": [{"matchName": "a.com", "matchPattern": "*.a.com"}]}]}, f"{E0}.toFQDNs[0]",
     "exactly one of matchName or matchPattern must be set, not matchName and matchPattern"),
    ("CRD schema: matchName", {"egress": [{"toFQDNs": [{"matchName": "*.a.com"}]}]}, f"{E0}.toFQDNs[0].matchName",
     "invalid matchName '*.a.com'"),
    ("service.go", {"egress": [{"toServices": [{"k8sService": {"namespace": "a"}}]}]},
     f"{E0}.toServices[0].k8sService.serviceName", "required field is missing"),
    ("selector.go", {"ingress": [{"fromEndpoints": [{"matchLabels": {"k8s:": "a"}}]}]},
     f"{R0}.fromEndpoints[0].matchLabels", "invalid label key 'k8s:'"),
    ("selector.go", {"ingress": [{"fromEndpoints": [{"matchExpressions": [{"key": "k8s:app:x",
                                                                             "operator": "Exists"}]}]}]},
     f"{R0}.fromEndpoints[0].matchExpressions[0].key", "invalid label key 'k8s:app:x'"),
    ("selector.go", {"ingress": [{"fromEndpoints": [{"matchLabels": {"app": "a b"}}]}]},
     f"{R0}.fromEndpoints[0].matchLabels.app", "invalid label value 'a b'"),
    ("selector.go", {"ingress": [{"fromEndpoints": [{"matchExpressions": [{"key": "app", "operator": "In"}]}]}]},
     f"{R0}.fromEndpoints[0].matchExpressions[0].values", "must be non-empty when operator is In"),
    ("selector.go", {"ingress": [{"fromEndpoints": [{"matchLabel": {"app": "a"}}]}]},
     f"{R0}.fromEndpoints[0].matchLabel", "unknown field"),
    ("CRD schema", {"enableDefaultDeny": {"ingress": "no"}}, "spec.enableDefaultDeny.ingress",
     "must be a boolean, not 'no'"),
    ("CRD schema", {"authentication": {}}, "spec.authentication", "unknown field"),
]


@pytest.mark.parametrize(("source", "spec", "field", "message"), ERRORS, ids=[f"{c[0]}: {c[3]}" for c in ERRORS])
def test_what_cilium_refuses(source: str, spec: dict[str, Any], field: str, message: str) -> None:
    """Each rejection names the field path and says what is wrong."""
    with pytest.raises(InvalidObject) as caught:
        parse_cilium_policy(cilium(CNP, {"endpointSelector": WEB, **spec}))
    assert caught.value.field == field
    assert message in caught.value.detail


@pytest.mark.parametrize(("spec", "field", "message"), [
    ({"nodeSelector": {}, "ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                                    "rules": {"http": [{}]}}]}]},
     "spec.ingress[0].toPorts[0].rules", "not supported in host policies on ingress"),
    ({"nodeSelector": {}, "egress": [{"toPorts": [{"ports": [{"port": "9092", "protocol": "TCP"}],
                                                   "rules": {"kafka": [{}]}}]}]},
     "spec.egress[0].toPorts[0].rules", "not supported in host policies on egress"),
])
def test_host_policies_refuse_l7_rules(spec: dict[str, Any], field: str, message: str) -> None:
    """rule_validation.go: host policies support no L7 rules on ingress, and only DNS on egress."""
    with pytest.raises(InvalidObject) as caught:
        parse_cilium_policy(cilium(CCNP, spec))
    assert (caught.value.field, message in caught.value.detail) == (field, True)


@pytest.mark.parametrize(("top", "field", "message"), [
    ({}, "spec", "a policy needs spec or specs"),
    ({"specs": []}, "spec", "a policy needs spec or specs"),
    ({"specs": [{"endpointSelector": {}}, {"endpointSelector": {}, "ingress": {}}]}, "specs[1].ingress",
     "must be a list"),
])
def test_a_policy_needs_a_rule_set(top: dict[str, Any], field: str, message: str) -> None:
    """cnp_types.go: a policy without spec and specs is empty and refused."""
    with pytest.raises(InvalidObject) as caught:
        parse_cilium_policy(cilium(CCNP, **top))
    assert (caught.value.field, message in caught.value.detail) == (field, True)
