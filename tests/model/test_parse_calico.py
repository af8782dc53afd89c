"""Calico's objects (NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet, GlobalNetworkSet; projectcalico.org/v3
and crd.projectcalico.org/v1) to model values: what valid objects mean, and the field and message of every
rejection Calico's validator makes. Each case names the section of Calico's reference it is written from
(calico/reference/resources: networkpolicy, globalnetworkpolicy, tier, networkset, globalnetworkset, and the
rule, entity rule and ports sections they include) or libcalico-go's validator (lib/validator/v3)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from compliance.errors import InvalidObject
from compliance.model.calico_policy import (
    DEFAULT_TIER,
    EVERY_ENDPOINT,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    ServiceAccountMatch,
)
from compliance.model.calico_selector import LabelTest, NonNamespaced
from compliance.model.cluster_policy import Action
from compliance.model.parse import parse_pod, parse_service_account
from compliance.model.parse_calico import API_VERSIONS, parse_calico_object
from compliance.model.policy import PortSpec

NP, GNP = "NetworkPolicy", "GlobalNetworkPolicy"
V3, CRD = API_VERSIONS


def calico(kind: str, spec: dict[str, Any] | None = None, api_version: str = V3, **metadata: Any) -> dict[str, Any]:
    """A Calico object of `kind` named `guard` (in namespace `shop` when namespaced), with `spec`."""
    namespaced = kind in (NP, "NetworkSet")
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": "guard", **({"namespace": "shop"} if namespaced else {}), **metadata},
            "spec": spec or {}}


def policy(kind: str = NP, **spec: Any) -> CalicoPolicy:
    """The parsed policy of `kind` with `spec`."""
    parsed = parse_calico_object(calico(kind, spec))
    assert isinstance(parsed, CalicoPolicy)
    return parsed


def only_rule(direction: str = "ingress", kind: str = NP, **rule: Any) -> CalicoRule:
    """The one rule of a policy holding `rule` (an Allow unless it says otherwise)."""
    parsed = policy(kind, **{direction: [{"action": "Allow", **rule}]})
    return parsed.rules(direction)[0]


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A network."""
    return ipaddress.ip_network(text, strict=False)


# --- what valid objects mean -------------------------------------------------------------------

TYPES = "networkpolicy: spec, types defaulting"


@pytest.mark.parametrize(("section", "spec", "types"), [
    (TYPES, {}, ("Ingress",)),
    (TYPES, {"ingress": [{"action": "Allow"}]}, ("Ingress",)),
    (TYPES, {"egress": [{"action": "Allow"}]}, ("Egress",)),
    (TYPES, {"ingress": [{"action": "Allow"}], "egress": [{"action": "Deny"}]}, ("Ingress", "Egress")),
    ("networkpolicy: spec, types", {"types": ["Egress"]}, ("Egress",)),
    ("networkpolicy: spec, types", {"types": ["Egress", "Ingress"]}, ("Ingress", "Egress")),
])
@pytest.mark.parametrize("kind", [NP, GNP])
def test_types_default_from_the_rules_present(section: str, spec: dict[str, Any], types: tuple[str, ...],
                                              kind: str) -> None:
    assert policy(kind, **spec).types == types


def test_a_policy_has_the_documented_defaults() -> None:
    # networkpolicy: spec (selector all(), order unset); tier: "All Policies ... default tier"
    parsed = policy()
    assert (parsed.tier, parsed.order, parsed.selector, parsed.namespace) == (DEFAULT_TIER, None, EVERY_ENDPOINT,
                                                                              "shop")
    assert parsed.key == "CalicoNetworkPolicy/shop/guard"
    assert (parsed.namespace_selector, parsed.service_account_selector, parsed.unmodelled) == (None, None, ())


def test_the_sample_global_policy_reads_as_written() -> None:
    # globalnetworkpolicy: sample YAML, in a tier of its own
    parsed = policy(GNP, tier="security", order=100, selector="role == 'database'", types=["Ingress", "Egress"],
                    namespaceSelector="has(pci)", serviceAccountSelector="team == 'db'",
                    ingress=[{"action": "Allow", "protocol": "TCP", "source": {"selector": "role == 'frontend'"},
                              "destination": {"ports": [6379]}}],
                    egress=[{"action": "Allow"}])
    assert parsed.key == "GlobalNetworkPolicy/guard" and parsed.namespace == ""
    assert (parsed.tier, parsed.order) == ("security", 100.0)
    assert parsed.selector.term == LabelTest("role", "==", ("database",))
    assert parsed.namespace_selector is not None and parsed.namespace_selector.describe() == "has(pci)"
    assert parsed.service_account_selector is not None
    assert parsed.ingress == (CalicoRule(Action.ALLOW, "TCP", source=EntityRule(
        selector=parsed.ingress[0].source.selector), destination=EntityRule(ports=(PortSpec("TCP", 6379),))),)
    assert parsed.egress == (CalicoRule(Action.ALLOW),)


@pytest.mark.parametrize(("action", "expected"), [("Allow", Action.ALLOW), ("Deny", Action.DENY),
                                                  ("Pass", Action.PASS), ("Log", Action.LOG)])
def test_rule_actions(action: str, expected: Action) -> None:
    # rule: action
    assert only_rule(action=action).action is expected


@pytest.mark.parametrize(("given", "stored"), [
    ("TCP", "TCP"), ("UDP", "UDP"), ("SCTP", "SCTP"), ("UDPLite", "UDPLite"), ("ICMP", "ICMP"), ("ICMPv6", "ICMPv6"),
    (6, "TCP"), (17, "UDP"), (132, "SCTP"), (1, "ICMP"), (47, "47"), (255, "255"),
])
def test_protocols_by_name_or_number(given: Any, stored: str) -> None:
    # rule: protocol, notProtocol ("TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite, 1-255")
    assert only_rule(protocol=given).protocol == stored
    assert only_rule(notProtocol=given).not_protocol == stored


def test_ports_numbers_ranges_and_names() -> None:
    # ports: "int", "start:end", "string (a named port)"; a numeric string is a number
    rule = only_rule(protocol="UDP", destination={"ports": [53, "8000:8100", "dns", "9000:9000", "80"],
                                                  "notPorts": ["1:1024"]})
    assert rule.destination.ports == (PortSpec("UDP", 53), PortSpec("UDP", 8000, 8100), PortSpec("UDP", "dns"),
                                       PortSpec("UDP", 9000), PortSpec("UDP", 80))
    assert rule.destination.not_ports == (PortSpec("UDP", 1, 1024),)
    assert only_rule(protocol="TCP").destination.ports is None  # no ports: every port


def test_entity_rule_fields() -> None:
    # entityrule: nets, notNets, selector, notSelector, namespaceSelector (global() alone), serviceAccounts
    rule = only_rule("egress", destination={
        "nets": ["10.0.0.0/8", "192.168.1.7"], "notNets": ["10.1.0.0/16"], "selector": "app == 'db'",
        "notSelector": "has(quarantine)", "namespaceSelector": "global()",
        "serviceAccounts": {"names": ["api", "worker"], "selector": "team == 'pay'"}})
    destination = rule.destination
    assert destination.nets == (net("10.0.0.0/8"), net("192.168.1.7/32"))  # an address is a whole-length prefix
    assert destination.not_nets == (net("10.1.0.0/16"),)
    assert destination.selector is not None and destination.not_selector is not None
    assert destination.namespace_selector is not None and destination.namespace_selector.term == NonNamespaced()
    assert destination.service_accounts == ServiceAccountMatch(
        ("api", "worker"), destination.service_accounts.selector if destination.service_accounts else None)
    assert rule.source == EntityRule()


def test_ip_version() -> None:
    # rule: ipVersion
    assert only_rule(ipVersion=6, source={"nets": ["fd00::/8"]}).ip_version == 6


@pytest.mark.parametrize(("rule", "unmodelled"), [
    ({"protocol": "ICMP", "icmp": {"type": 8, "code": 0}}, ("icmp",)),
    ({"protocol": "ICMP", "notICMP": {"type": 3}}, ("notICMP",)),
    ({"protocol": "TCP", "http": {"methods": ["GET"]}}, ("http",)),
    ({"protocol": "TCP", "source": {"ports": [1024], "notPorts": [22]}}, ("source.ports", "source.notPorts")),
    ({"source": {"services": {"name": "api", "namespace": "shop"}}}, ("source.services",)),
])
def test_what_a_rule_matches_on_but_is_not_modelled_is_named(rule: dict[str, Any],
                                                             unmodelled: tuple[str, ...]) -> None:
    # rule: icmp, notICMP, http; entityrule: ports of a source, services
    assert only_rule(**rule).unmodelled == unmodelled


def test_egress_to_a_service_is_named_not_modelled() -> None:
    # entityrule: services ("If specified on egress rule destinations, no other selection criteria can be set")
    assert only_rule("egress", destination={"services": {"name": "api"}}).unmodelled == ("destination.services",)


def test_host_endpoint_fields_are_named_not_modelled() -> None:
    # globalnetworkpolicy: doNotTrack, preDNAT, applyOnForward ("meaningful only when applying policy to a host
    # endpoint")
    assert policy(GNP, doNotTrack=True, applyOnForward=True).unmodelled == ("doNotTrack", "applyOnForward")
    assert policy(GNP, preDNAT=True, applyOnForward=True).unmodelled == ("preDNAT", "applyOnForward")
    assert policy(GNP, doNotTrack=False, applyOnForward=False).unmodelled == ()


def test_a_tier() -> None:
    # tier: spec (order unset = last; defaultAction Deny unless Pass)
    assert parse_calico_object(calico("Tier", {"order": 100, "defaultAction": "Pass"}, name="security")) == \
        CalicoTier("security", 100.0, Action.PASS)
    assert parse_calico_object(calico("Tier", {}, name="security")) == CalicoTier("security", None, Action.DENY)
    assert parse_calico_object(calico("Tier", {"order": 1000000}, name="default")) == \
        CalicoTier("default", 1000000.0, Action.DENY)


def test_network_sets() -> None:
    # networkset, globalnetworkset: sample YAML
    assert parse_calico_object(calico("NetworkSet", {"nets": ["198.51.100.0/28", "203.0.113.0/24"]},
                                      labels={"role": "db"})) == \
        NetworkSet("guard", "shop", (("role", "db"),), (net("198.51.100.0/28"), net("203.0.113.0/24")))
    assert parse_calico_object(calico("GlobalNetworkSet", {"nets": ["0.0.0.0/0"]})).kind == "GlobalNetworkSet"


def test_the_crd_group_reads_as_the_api_group() -> None:
    # crd.projectcalico.org/v1 stores the projectcalico.org/v3 spec
    spec = {"tier": "security", "order": 5, "egress": [{"action": "Deny", "destination": {"nets": ["0.0.0.0/0"]}}]}
    assert parse_calico_object(calico(GNP, spec, CRD)) == parse_calico_object(calico(GNP, spec, V3))


def test_policy_names_with_and_without_a_tier_prefix() -> None:
    # validator: networkPolicyNameRegex, globalNetworkPolicyNameRegex (a label, or two joined by one dot)
    for name in ("guard", "security.guard", "knp.default.allow.web"):
        assert parse_calico_object(calico(NP, name=name)).name == name  # type: ignore[union-attr]
    assert parse_calico_object(calico(GNP, name="security.guard")).name == "security.guard"  # type: ignore[union-attr]


def test_the_spec_is_kept_as_given() -> None:
    spec = {"selector": "all()", "ingress": [{"action": "Allow"}]}
    assert policy(**spec).spec == spec


def test_service_accounts_and_a_pods_service_account() -> None:
    # networkpolicy: serviceAccountSelector; a pod's spec.serviceAccountName (default "default")
    account = parse_service_account({"kind": "ServiceAccount", "metadata": {
        "name": "api", "namespace": "shop", "labels": {"team": "pay"}}, "secrets": [{"name": "api-token"}]})
    assert (account.namespace, account.name, account.labels) == ("shop", "api", (("team", "pay"),))
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}, "spec": {"containers": []}}
    parsed = parse_pod(pod)
    assert parsed is not None and parsed.service_account == "default"
    parsed = parse_pod({**pod, "spec": {"serviceAccountName": "api"}})
    assert parsed is not None and parsed.service_account == "api"
    parsed = parse_pod({**pod, "spec": {"serviceAccount": "legacy"}})
    assert parsed is not None and parsed.service_account == "legacy"
    with pytest.raises(InvalidObject, match=r"spec\.serviceAccountName: invalid name 'API'"):
        parse_pod({**pod, "spec": {"serviceAccountName": "API"}})


# --- what Calico's validator refuses -----------------------------------------------------------------

ING = "spec.ingress[0]"
ERRORS: list[tuple[str, str, dict[str, Any], str]] = [
    ("rule: action", NP, {"ingress": [{}]}, f"{ING}.action: required field is missing"),
    ("rule: action", NP, {"ingress": [{"action": "Accept"}]}, f"{ING}.action: unrecognized action 'Accept'"),
    ("rule: protocol", NP, {"ingress": [{"action": "Allow", "protocol": "tcp"}]},
     f"{ING}.protocol: unsupported protocol 'tcp'"),
    ("rule: protocol", NP, {"ingress": [{"action": "Allow", "protocol": 0}]},
     f"{ING}.protocol: protocol number must be between 1 and 255, not 0"),
    ("rule: protocol", NP, {"ingress": [{"action": "Allow", "notProtocol": 256}]},
     f"{ING}.notProtocol: protocol number must be between 1 and 255, not 256"),
    ("rule: ipVersion", NP, {"ingress": [{"action": "Allow", "ipVersion": 5}]}, f"{ING}.ipVersion: must be 4 or 6"),
    ("validator: validateRule (ICMP and ipVersion)", NP,
     {"ingress": [{"action": "Allow", "protocol": "ICMP", "ipVersion": 6}]},
     f"{ING}.ipVersion: must set ipVersion to 4 with protocol ICMP"),
    ("validator: validateRule (ports need a protocol)", NP,
     {"ingress": [{"action": "Allow", "destination": {"ports": [80]}}]},
     f"{ING}.destination.ports: rules that specify ports must set protocol to TCP, UDP, SCTP or UDPLite"),
    ("validator: validateRule (ports need a protocol)", NP,
     {"ingress": [{"action": "Allow", "protocol": "ICMP", "source": {"notPorts": [80]}}]},
     f"{ING}.source.notPorts: rules that specify ports must set protocol"),
    ("ports: start:end", NP, {"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {
        "ports": ["8100:8000"]}}]}, f"{ING}.destination.ports[0]: port range '8100:8000' ends below its start"),
    ("ports: start:end", NP, {"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {
        "ports": ["80:70000"]}}]}, f"{ING}.destination.ports[0]: must be between 1 and 65535, not 70000"),
    ("ports: named port", NP, {"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {
        "ports": ["Web_Port"]}}]}, f"{ING}.destination.ports[0]: invalid port name 'Web_Port'"),
    ("ports", NP, {"ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [80.5]}}]},
     f"{ING}.destination.ports[0]: must be a port number, a range 'start:end' or a port name, not 80.5"),
    ("entityrule: nets", NP, {"ingress": [{"action": "Allow", "source": {"nets": ["10.0.0.0/8", "10.0.0/33"]}}]},
     f"{ING}.source.nets[1]: invalid CIDR '10.0.0/33'"),
    ("validator: validateRule (one IP version)", NP, {"ingress": [{"action": "Allow", "source": {
        "nets": ["10.0.0.0/8"]}, "destination": {"notNets": ["fd00::/8"]}}]},
     f"{ING}.destination.notNets: rule contains both IPv4 and IPv6 CIDRs"),
    ("validator: validateRule (ipVersion and CIDRs)", NP, {"ingress": [{"action": "Allow", "ipVersion": 6,
                                                                         "source": {"nets": ["10.0.0.0/8"]}}]},
     f"{ING}.source.nets: rule IP version doesn't match CIDR version"),
    ("entityrule: selector", NP, {"ingress": [{"action": "Allow", "source": {"selector": "app == web"}}]},
     f"{ING}.source.selector: column 8: expected a quoted value, found 'web'"),
    ("validator: validateEntityRule (global())", NP, {"ingress": [{"action": "Allow", "source": {
        "selector": "global()"}}]}, f"{ING}.source.selector: global() can only be used in an entity rule's "
                                    "namespaceSelector"),
    ("validator: validateEntityRule (global() alone)", NP, {"ingress": [{"action": "Allow", "source": {
        "namespaceSelector": "global() || has(a)"}}]},
     f"{ING}.source.namespaceSelector: global() cannot be combined with other selectors"),
    ("validator: validateNetworkPolicySpec (global())", NP, {"selector": "global()"},
     "spec.selector: global() can only be used"),
    ("entityrule: unknown field", NP, {"ingress": [{"action": "Allow", "destination": {"port": [80]}}]},
     f"{ING}.destination.port: unknown field"),
    ("networkpolicy: spec", NP, {"doNotTrack": True}, "spec.doNotTrack: unknown field"),
    ("networkpolicy: spec", NP, {"namespaceSelector": "all()"}, "spec.namespaceSelector: unknown field"),
    ("networkpolicy: spec, types", NP, {"types": ["ingress"]}, "spec.types[0]: unsupported policy type 'ingress'"),
    ("validator: validateNetworkPolicySpec (repeated types)", NP, {"types": ["Ingress", "Ingress"]},
     "spec.types[1]: 'Ingress' type specified more than once"),
    ("networkpolicy: spec, order", NP, {"order": "100"}, "spec.order: must be a number, not '100'"),
    ("networkpolicy: spec, tier", NP, {"tier": "Security"}, "spec.tier: invalid name 'Security'"),
    ("validator: validateGlobalNetworkPolicySpec", GNP, {"doNotTrack": True, "preDNAT": True,
                                                         "applyOnForward": True},
     "spec.preDNAT: preDNAT and doNotTrack cannot both be true"),
    ("validator: validateGlobalNetworkPolicySpec", GNP, {"preDNAT": True, "applyOnForward": True,
                                                         "egress": [{"action": "Deny"}]},
     "spec.egress: a preDNAT policy cannot have egress rules"),
    ("validator: validateGlobalNetworkPolicySpec", GNP, {"doNotTrack": True},
     "spec.applyOnForward: must be true when preDNAT or doNotTrack is true"),
    ("validator: validateRule (http)", NP, {"egress": [{"action": "Allow", "http": {}}]},
     "spec.egress[0].http: not allowed in egress rules"),
    ("validator: validateRule (http)", NP, {"ingress": [{"action": "Deny", "http": {}}]},
     f"{ING}.http: only valid for Allow rules"),
    ("validator: validateRule (icmp)", NP, {"ingress": [{"action": "Allow", "icmp": {"type": 8}}]},
     f"{ING}.icmp: rules that specify ICMP fields must set protocol to ICMP or ICMPv6"),
    ("validator: validateICMPFields", NP, {"ingress": [{"action": "Allow", "protocol": "ICMP",
                                                       "icmp": {"code": 0}}]},
     f"{ING}.icmp.code: ICMP code specified without an ICMP type"),
    ("validator: validateNetworkPolicySpec (services)", NP, {"ingress": [{"action": "Allow", "destination": {
        "services": {"name": "api"}}}]}, f"{ING}.destination.services: not allowed in ingress rule destination"),
    ("validator: validateEntityRule (services)", NP, {"egress": [{"action": "Allow", "destination": {
        "services": {"name": "api"}, "selector": "all()"}}]},
     "spec.egress[0].destination.services: cannot specify selector and services on the same rule"),
    ("validator: validateGlobalNetworkPolicySpec (services)", GNP, {"egress": [{"action": "Allow", "destination": {
        "services": {"name": "api"}}}]}, "spec.egress[0].destination.services.namespace: must specify a namespace"),
    ("serviceaccountmatch", NP, {"ingress": [{"action": "Allow", "source": {"serviceAccounts": {"name": ["a"]}}}]},
     f"{ING}.source.serviceAccounts.name: unknown field"),
]


@pytest.mark.parametrize(("section", "kind", "spec", "message"), ERRORS, ids=[f"{c[0]}: {c[3]}" for c in ERRORS])
def test_what_calicos_validator_refuses(section: str, kind: str, spec: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        parse_calico_object(calico(kind, spec))
    assert raised.value.message.startswith(message)


@pytest.mark.parametrize(("kind", "spec", "metadata", "message"), [
    (NP, {}, {"name": "a.b.c"}, "metadata.name: invalid name 'a.b.c'"),  # at most one dot (validator)
    (GNP, {}, {"name": "knp.default.web"}, "metadata.name: invalid name 'knp.default.web'"),
    (NP, {}, {"name": "Guard"}, "metadata.name: invalid name 'Guard'"),
    ("Tier", {}, {"name": "sec.urity"}, "metadata.name: invalid name 'sec.urity'"),  # tiers have no dots
    ("Tier", {}, {"name": "default"}, "spec.order: the default tier's order must be 1e+06, not unset"),
    ("Tier", {"order": 1}, {"name": "adminnetworkpolicy"}, "spec.order: the adminnetworkpolicy tier's order must"),
    ("Tier", {"defaultAction": "Allow"}, {}, "spec.defaultAction: must be Deny or Pass, not 'Allow'"),
    ("NetworkSet", {"nets": ["10.0.0.0/8"]}, {"labels": {"projectcalico.org/namespace": "x"}},
     "metadata.labels: projectcalico.org/namespace is not a valid label name here"),
    ("GlobalNetworkSet", {"nets": ["nowhere"]}, {}, "spec.nets[0]: invalid CIDR 'nowhere'"),
    ("GlobalNetworkSet", {"allowedEgressDomains": ["x.com"]}, {}, "spec.allowedEgressDomains: unknown field"),
])
def test_names_tiers_and_network_sets_calico_refuses(kind: str, spec: dict[str, Any], metadata: dict[str, Any],
                                                     message: str) -> None:
    # validator: validateNetworkPolicy, validateGlobalNetworkPolicy, validateTier, validateNetworkSet
    with pytest.raises(InvalidObject) as raised:
        parse_calico_object(calico(kind, spec, **metadata))
    assert raised.value.message.startswith(message)
