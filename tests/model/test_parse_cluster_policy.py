"""Cluster-scoped policies (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy) to model values:
what valid objects mean, and the field and message of every rejection the CRD schemas and CEL rules make."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from compliance.errors import InvalidObject
from compliance.model.cluster_policy import (
    ADMIN_NETWORK_POLICY,
    API_VERSIONS,
    BASELINE_ADMIN_NETWORK_POLICY,
    CLUSTER_NETWORK_POLICY,
    EVERYTHING,
    Action,
    ClusterPeer,
    ClusterRule,
    DomainNamesPeer,
    NetworksPeer,
    NodesPeer,
    PodPeer,
    Tier,
)
from compliance.model.parse_cluster_policy import parse_cluster_policy
from compliance.model.policy import IPBlock, PortSpec
from compliance.model.selectors import LabelSelector

ANP, BANP, CNP = ADMIN_NETWORK_POLICY, BASELINE_ADMIN_NETWORK_POLICY, CLUSTER_NETWORK_POLICY
KINDS = (ANP, BANP, CNP)
ALLOW = {ANP: "Allow", BANP: "Allow", CNP: "Accept"}  # how each kind spells Action.ALLOW
PORTS = {ANP: "ports", BANP: "ports", CNP: "protocols"}
ACTIONS = {ANP: ("Allow", "Deny", "Pass"), BANP: ("Allow", "Deny"), CNP: ("Accept", "Deny", "Pass")}
LIMIT = {ANP: 100, BANP: 100, CNP: 25}  # rules per direction, peers per rule, ports per rule

# --- builders -------------------------------------------------------------------------------------


def cluster_policy(kind: str, spec: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    """A policy of `kind` whose subject is every namespace, with `spec` and metadata merged in: the ANP `guard`
    of priority 10, the BANP `default`, or the Admin-tier CNP `guard` of priority 10."""
    base: dict[str, Any] = {"subject": {"namespaces": {}}}
    if kind != BANP:
        base["priority"] = 10
    if kind == CNP:
        base["tier"] = "Admin"
    return {
        "apiVersion": API_VERSIONS[kind],
        "kind": kind,
        "metadata": {"name": "default" if kind == BANP else "guard", **metadata},
        "spec": {**base, **(spec or {})},
    }


def rule(kind: str, direction: str, peers: list[Any], action: str | None = None, ports: list[Any] | None = None,
         **fields: Any) -> dict[str, Any]:
    """One rule: the kind's allow action unless given, `peers` as its from/to, `ports` as its ports/protocols."""
    peers_key = "from" if direction == "ingress" else "to"
    body: dict[str, Any] = {"action": action or ALLOW[kind], peers_key: peers, **fields}
    if ports is not None:
        body[PORTS[kind]] = ports
    return body


def egress_to(kind: str, *peers: Any, **rule_fields: Any) -> dict[str, Any]:
    """A policy of `kind` with one egress rule to `peers`."""
    return cluster_policy(kind, {"egress": [rule(kind, "egress", list(peers), **rule_fields)]})


def ingress_from(kind: str, *peers: Any, **rule_fields: Any) -> dict[str, Any]:
    """A policy of `kind` with one ingress rule from `peers`."""
    return cluster_policy(kind, {"ingress": [rule(kind, "ingress", list(peers), **rule_fields)]})


def only_rule(obj: dict[str, Any]) -> ClusterRule:
    """The single rule of a parsed policy, whichever its direction."""
    parsed = parse_cluster_policy(obj)
    (only,) = parsed.ingress + parsed.egress
    return only


def selector(*match_labels: tuple[str, str]) -> LabelSelector:
    """A LabelSelector model value."""
    return LabelSelector(tuple(sorted(match_labels)))


def labels(**pairs: str) -> dict[str, Any]:
    """A LabelSelector object with these matchLabels."""
    return {"matchLabels": pairs}


def repeat(item: Any, count: int) -> list[Any]:
    """`count` copies of `item`."""
    return [item] * count


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An ip_network."""
    return ipaddress.ip_network(text)


ALL_NAMESPACES: dict[str, Any] = {"namespaces": {}}
NETWORKS = {"networks": ["10.0.0.0/8"]}
TCP_80: dict[str, dict[str, Any]] = {ANP: {"portNumber": {"port": 80}}, BANP: {"portNumber": {"port": 80}},
                                     CNP: {"tcp": {"destinationPort": {"number": 80}}}}
NAMED_HTTP: dict[str, dict[str, Any]] = {ANP: {"namedPort": "http"}, BANP: {"namedPort": "http"},
                                         CNP: {"destinationNamedPort": "http"}}
PORT_TYPES = {ANP: "portNumber, namedPort, portRange", BANP: "portNumber, namedPort, portRange",
              CNP: "tcp, udp, sctp, destinationNamedPort"}
EGRESS_PEERS = {ANP: "namespaces, pods, nodes, networks, domainNames", BANP: "namespaces, pods, nodes, networks",
                CNP: "namespaces, pods, nodes, networks, domainNames"}
INGRESS_PEERS = "namespaces, pods"

# --- the policy: kind, name, tier, priority -------------------------------------------------------


@pytest.mark.parametrize(("obj", "key", "tier", "priority"), [
    pytest.param(cluster_policy(ANP), "AdminNetworkPolicy/guard", Tier.ADMIN, 10, id="anp-is-admin"),
    pytest.param(cluster_policy(ANP, {"priority": 0}), "AdminNetworkPolicy/guard", Tier.ADMIN, 0, id="anp-priority-0"),
    pytest.param(cluster_policy(ANP, {"priority": 1000}), "AdminNetworkPolicy/guard", Tier.ADMIN, 1000,
                 id="anp-priority-1000"),
    pytest.param(cluster_policy(BANP), "BaselineAdminNetworkPolicy/default", Tier.BASELINE, 0,
                 id="banp-is-baseline-without-priority"),
    pytest.param(cluster_policy(CNP), "ClusterNetworkPolicy/guard", Tier.ADMIN, 10, id="cnp-admin"),
    pytest.param(cluster_policy(CNP, {"tier": "Baseline", "priority": 1000}), "ClusterNetworkPolicy/guard",
                 Tier.BASELINE, 1000, id="cnp-baseline"),
    pytest.param(cluster_policy(CNP, {"priority": 0}), "ClusterNetworkPolicy/guard", Tier.ADMIN, 0,
                 id="cnp-priority-0"),
])
def test_kind_tier_and_priority(obj: dict[str, Any], key: str, tier: Tier, priority: int) -> None:
    parsed = parse_cluster_policy(obj)
    assert (parsed.key, parsed.tier, parsed.priority) == (key, tier, priority)
    assert parsed.kind == obj["kind"]


@pytest.mark.parametrize("kind", KINDS)
def test_metadata_and_spec_are_kept(kind: str) -> None:
    obj = egress_to(kind, ALL_NAMESPACES)
    obj["metadata"].update(uid="u-1", labels={"team": "platform", "app": "guard"})
    parsed = parse_cluster_policy(obj)
    assert (parsed.uid, parsed.labels) == ("u-1", (("app", "guard"), ("team", "platform")))
    assert parsed.spec == obj["spec"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rules", [pytest.param({}, id="absent"),
                                   pytest.param({"ingress": [], "egress": []}, id="empty"),
                                   pytest.param({"ingress": None, "egress": None}, id="null")])
def test_a_policy_without_rules_has_none(kind: str, rules: dict[str, Any]) -> None:
    parsed = parse_cluster_policy(cluster_policy(kind, rules))
    assert (parsed.ingress, parsed.egress) == ((), ())


# --- subjects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("subject", "expected"), [
    pytest.param({"namespaces": {}}, PodPeer(EVERYTHING, EVERYTHING), id="every-namespace"),
    pytest.param({"namespaces": labels(zone="cde")}, PodPeer(selector(("zone", "cde"))), id="namespaces"),
    pytest.param({"namespaces": labels(zone="cde"), "pods": None}, PodPeer(selector(("zone", "cde"))),
                 id="null-pods-is-absent"),
    pytest.param({"pods": {"namespaceSelector": labels(zone="cde"), "podSelector": labels(app="db")}},
                 PodPeer(selector(("zone", "cde")), selector(("app", "db"))), id="pods"),
    pytest.param({"pods": {"namespaceSelector": {}, "podSelector": {}}}, PodPeer(EVERYTHING, EVERYTHING),
                 id="every-pod"),
])
def test_subjects(kind: str, subject: dict[str, Any], expected: PodPeer) -> None:
    assert parse_cluster_policy(cluster_policy(kind, {"subject": subject})).subject == expected


def test_v1alpha2_pods_without_namespace_selector_are_in_every_namespace() -> None:
    obj = cluster_policy(CNP, {"subject": {"pods": {"podSelector": labels(app="db")}}})
    assert parse_cluster_policy(obj).subject == PodPeer(EVERYTHING, selector(("app", "db")))


# --- rules: actions, names, order -----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "action", "expected"), [
    pytest.param(ANP, "Allow", Action.ALLOW, id="anp-allow"),
    pytest.param(ANP, "Deny", Action.DENY, id="anp-deny"),
    pytest.param(ANP, "Pass", Action.PASS, id="anp-pass"),
    pytest.param(BANP, "Allow", Action.ALLOW, id="banp-allow"),
    pytest.param(BANP, "Deny", Action.DENY, id="banp-deny"),
    pytest.param(CNP, "Accept", Action.ALLOW, id="cnp-accept-is-allow"),
    pytest.param(CNP, "Deny", Action.DENY, id="cnp-deny"),
    pytest.param(CNP, "Pass", Action.PASS, id="cnp-pass"),
])
@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_actions(kind: str, action: str, expected: Action, direction: str) -> None:
    obj = cluster_policy(kind, {direction: [rule(kind, direction, [ALL_NAMESPACES], action)]})
    assert only_rule(obj).action is expected


def test_cnp_baseline_tier_may_pass() -> None:
    obj = cluster_policy(CNP, {"tier": "Baseline", "egress": [rule(CNP, "egress", [ALL_NAMESPACES], "Pass")]})
    assert only_rule(obj).action is Action.PASS


@pytest.mark.parametrize("kind", KINDS)
def test_rules_keep_their_names_and_order_per_direction(kind: str) -> None:
    spec = {
        "ingress": [rule(kind, "ingress", [ALL_NAMESPACES], "Deny", name="deny-all"),
                    rule(kind, "ingress", [ALL_NAMESPACES], name="x" * 100)],
        "egress": [rule(kind, "egress", [ALL_NAMESPACES]), rule(kind, "egress", [NETWORKS], "Deny", name="")],
    }
    parsed = parse_cluster_policy(cluster_policy(kind, spec))
    everyone = (PodPeer(EVERYTHING),)
    assert parsed.ingress == (ClusterRule("deny-all", Action.DENY, everyone, None),
                              ClusterRule("x" * 100, Action.ALLOW, everyone, None))
    assert parsed.egress == (ClusterRule("", Action.ALLOW, everyone, None),
                             ClusterRule("", Action.DENY, (NetworksPeer((IPBlock(net("10.0.0.0/8")),)),), None))
    assert (parsed.rules("ingress"), parsed.rules("egress")) == (parsed.ingress, parsed.egress)


# --- peers ----------------------------------------------------------------------------------------

CDE = PodPeer(selector(("zone", "cde")))
POD_PEERS: list[Any] = [
    pytest.param({"namespaces": labels(zone="cde")}, CDE, id="namespaces"),
    pytest.param({"namespaces": {}}, PodPeer(EVERYTHING), id="every-namespace"),
    pytest.param({"pods": {"namespaceSelector": labels(zone="cde"), "podSelector": labels(app="db")}},
                 PodPeer(selector(("zone", "cde")), selector(("app", "db"))), id="pods"),
    pytest.param({"namespaces": labels(zone="cde"), "pods": None}, CDE, id="null-field-is-absent"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("peer", "expected"), POD_PEERS)
def test_ingress_peers(kind: str, peer: dict[str, Any], expected: ClusterPeer) -> None:
    assert only_rule(ingress_from(kind, peer)).peers == (expected,)


EGRESS_ONLY_PEERS: list[Any] = [
    pytest.param({"nodes": labels(role="worker")}, NodesPeer(selector(("role", "worker"))), id="nodes"),
    pytest.param({"nodes": {}}, NodesPeer(EVERYTHING), id="every-node"),
    pytest.param({"networks": ["10.0.0.0/8", "192.168.1.7/24", "fd00::/8"]},
                 NetworksPeer((IPBlock(net("10.0.0.0/8")), IPBlock(net("192.168.1.0/24")), IPBlock(net("fd00::/8")))),
                 id="networks-v4-v6-host-bits"),
    pytest.param({"networks": ["0.0.0.0/0"]}, NetworksPeer((IPBlock(net("0.0.0.0/0")),)), id="networks-everything"),
    pytest.param({"networks": repeat("10.0.0.0/8", 25)}, NetworksPeer(tuple(repeat(IPBlock(net("10.0.0.0/8")), 25))),
                 id="25-networks"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("peer", "expected"), POD_PEERS + EGRESS_ONLY_PEERS)
def test_egress_peers(kind: str, peer: dict[str, Any], expected: ClusterPeer) -> None:
    assert only_rule(egress_to(kind, peer)).peers == (expected,)


def test_v1alpha2_pods_peer_without_namespace_selector_is_in_every_namespace() -> None:
    obj = egress_to(CNP, {"pods": {"podSelector": labels(app="dns")}})
    assert only_rule(obj).peers == (PodPeer(EVERYTHING, selector(("app", "dns"))),)


@pytest.mark.parametrize("kind", [ANP, CNP])
@pytest.mark.parametrize("names", [
    pytest.param(["example.com"], id="exact"),
    pytest.param(["*.example.com"], id="wildcard-prefix"),
    pytest.param(["example.com."], id="trailing-dot"),
    pytest.param(["my_host.example.com", "a.b.c.d.example.org"], id="underscore-and-depth"),
    pytest.param(["_sip._tcp.example.com"], id="leading-underscore-as-the-crd-pattern-admits"),
    pytest.param(repeat("example.com", 25), id="25-names"),
])
def test_domain_names_in_allow_rules(kind: str, names: list[str]) -> None:
    assert only_rule(egress_to(kind, {"domainNames": names})).peers == (DomainNamesPeer(tuple(names)),)


@pytest.mark.parametrize("kind", KINDS)
def test_peers_keep_their_order(kind: str) -> None:
    parsed = only_rule(egress_to(kind, NETWORKS, ALL_NAMESPACES, {"nodes": {}}))
    assert parsed.peers == (NetworksPeer((IPBlock(net("10.0.0.0/8")),)), PodPeer(EVERYTHING), NodesPeer(EVERYTHING))


# --- ports ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ANP, BANP])
@pytest.mark.parametrize(("port", "expected"), [
    pytest.param({"portNumber": {"port": 443}}, PortSpec("TCP", 443), id="number-defaults-to-tcp"),
    pytest.param({"portNumber": {"port": 53, "protocol": "UDP"}}, PortSpec("UDP", 53), id="number-udp"),
    pytest.param({"portNumber": {"port": 9003, "protocol": "SCTP"}}, PortSpec("SCTP", 9003), id="number-sctp"),
    pytest.param({"portNumber": {"port": 80, "protocol": "TCP"}}, PortSpec("TCP", 80), id="number-tcp"),
    pytest.param({"namedPort": "http"}, PortSpec("", "http"), id="named-port-of-any-protocol"),
    pytest.param({"portRange": {"start": 8000, "end": 8100}}, PortSpec("TCP", 8000, 8100), id="range-defaults-to-tcp"),
    pytest.param({"portRange": {"start": 5353, "end": 5354, "protocol": "UDP"}}, PortSpec("UDP", 5353, 5354),
                 id="range-udp"),
    pytest.param({"portRange": {"start": 80, "end": 80}}, PortSpec("TCP", 80, 80), id="range-of-one-port"),
    pytest.param({"portRange": {"start": 1, "end": 65535, "protocol": "SCTP"}}, PortSpec("SCTP", 1, 65535),
                 id="full-range"),
    pytest.param({"portNumber": {"port": 80}, "namedPort": None}, PortSpec("TCP", 80), id="null-field-is-absent"),
])
def test_v1alpha1_ports(kind: str, port: dict[str, Any], expected: PortSpec) -> None:
    assert only_rule(ingress_from(kind, ALL_NAMESPACES, ports=[port])).ports == (expected,)


@pytest.mark.parametrize(("protocol", "expected"), [
    pytest.param({"tcp": {"destinationPort": {"number": 443}}}, PortSpec("TCP", 443), id="tcp-number"),
    pytest.param({"udp": {"destinationPort": {"number": 53}}}, PortSpec("UDP", 53), id="udp-number"),
    pytest.param({"sctp": {"destinationPort": {"number": 9003}}}, PortSpec("SCTP", 9003), id="sctp-number"),
    pytest.param({"tcp": {"destinationPort": {"range": {"start": 8000, "end": 8100}}}}, PortSpec("TCP", 8000, 8100),
                 id="tcp-range"),
    pytest.param({"udp": {"destinationPort": {"range": {"start": 5353, "end": 5354}}}}, PortSpec("UDP", 5353, 5354),
                 id="udp-range"),
    pytest.param({"sctp": {"destinationPort": {"range": {"start": 1, "end": 65535}}}}, PortSpec("SCTP", 1, 65535),
                 id="sctp-full-range"),
    pytest.param({"destinationNamedPort": "http"}, PortSpec("", "http"), id="named-port-of-any-protocol"),
    pytest.param({"tcp": {"destinationPort": {"number": 80, "range": None}}, "udp": None}, PortSpec("TCP", 80),
                 id="null-fields-are-absent"),
])
def test_v1alpha2_protocols(protocol: dict[str, Any], expected: PortSpec) -> None:
    assert only_rule(ingress_from(CNP, ALL_NAMESPACES, ports=[protocol])).ports == (expected,)


@pytest.mark.parametrize("kind", KINDS)
def test_ports_absent_or_null_are_every_port(kind: str) -> None:
    absent = rule(kind, "egress", [ALL_NAMESPACES])
    assert PORTS[kind] not in absent
    for given in (absent, {**absent, PORTS[kind]: None}):
        assert only_rule(cluster_policy(kind, {"egress": [given]})).ports is None


@pytest.mark.parametrize("kind", KINDS)
def test_ports_keep_their_order_and_reach_the_limit(kind: str) -> None:
    assert only_rule(egress_to(kind, ALL_NAMESPACES, ports=[TCP_80[kind], NAMED_HTTP[kind]])).ports == (
        PortSpec("TCP", 80), PortSpec("", "http"))
    parsed = only_rule(egress_to(kind, ALL_NAMESPACES, ports=repeat(TCP_80[kind], LIMIT[kind])))
    assert parsed.ports == tuple(repeat(PortSpec("TCP", 80), LIMIT[kind]))


@pytest.mark.parametrize("kind", KINDS)
def test_named_ports_are_valid_with_pod_peers(kind: str) -> None:
    peers = [ALL_NAMESPACES, {"pods": {"namespaceSelector": {}, "podSelector": {}}}]
    assert only_rule(egress_to(kind, *peers, ports=[NAMED_HTTP[kind]])).ports == (PortSpec("", "http"),)


@pytest.mark.parametrize("kind", KINDS)
def test_count_limits_are_inclusive(kind: str) -> None:
    limit = LIMIT[kind]
    parsed = parse_cluster_policy(cluster_policy(kind, {
        "ingress": repeat(rule(kind, "ingress", repeat(ALL_NAMESPACES, limit)), limit),
        "egress": repeat(rule(kind, "egress", [ALL_NAMESPACES]), limit),
    }))
    assert (len(parsed.ingress), len(parsed.egress), len(parsed.ingress[0].peers)) == (limit, limit, limit)


# --- invalid objects: field path and message ------------------------------------------------------

NAMED_PORT_PEERS = ("a named port cannot be used with networks, nodes or domainNames peers, which have no named "
                    "ports")
NOT_EMPTY = "must be defined and contain at least one item"
MISSING = "required field is missing"


def rejections_of_every_kind(kind: str) -> list[tuple[dict[str, Any], str, str]]:
    """The rejections all three kinds share, with the kind's own field names and limits."""
    limit, ports, allow, port_types = LIMIT[kind], PORTS[kind], ALLOW[kind], PORT_TYPES[kind]
    first_pods_selector = "podSelector" if kind == CNP else "namespaceSelector"  # v1alpha2 requires only podSelector
    return [
        # metadata and spec
        (cluster_policy(kind) | {"metadata": {}}, "metadata.name", MISSING),
        ({k: v for k, v in cluster_policy(kind).items() if k != "spec"}, "spec", MISSING),
        (cluster_policy(kind) | {"spec": ["subject"]}, "spec", "must be an object, not a list"),
        (cluster_policy(kind, {"priorty": 5}), "spec.priorty", "unknown field (expected "
         + {ANP: "priority, subject, ingress, egress", BANP: "subject, ingress, egress",
            CNP: "tier, priority, subject, ingress, egress"}[kind] + ")"),
        (cluster_policy(kind, {"egress": [{"action": allow, "to": [ALL_NAMESPACES],
                                           "ports" if kind == CNP else "protocols": [TCP_80[kind]]}]}),
         f"spec.egress[0].{'ports' if kind == CNP else 'protocols'}",
         f"unknown field (expected name, action, from, to, {ports})"),
        # subject
        (cluster_policy(kind, {"subject": None}), "spec.subject", MISSING),
        (cluster_policy(kind, {"subject": {}}), "spec.subject",
         "exactly one of namespaces, pods must be set, not none"),
        (cluster_policy(kind, {"subject": {"namespaces": None}}), "spec.subject",
         "exactly one of namespaces, pods must be set, not none"),
        (cluster_policy(kind, {"subject": {"namespaces": {}, "pods": {"namespaceSelector": {}, "podSelector": {}}}}),
         "spec.subject", "exactly one of namespaces, pods must be set, not namespaces and pods"),
        (cluster_policy(kind, {"subject": {"nodes": {}}}), "spec.subject.nodes",
         "unknown field (expected exactly one of namespaces, pods)"),
        (cluster_policy(kind, {"subject": ["namespaces"]}), "spec.subject", "must be an object, not a list"),
        (cluster_policy(kind, {"subject": {"pods": {"namespaceSelector": {}}}}), "spec.subject.pods.podSelector",
         MISSING),
        (cluster_policy(kind, {"subject": {"pods": {}}}), f"spec.subject.pods.{first_pods_selector}", MISSING),
        (cluster_policy(kind, {"subject": {"namespaces": {"matchLabels": {"zone": 1}}}}),
         "spec.subject.namespaces.matchLabels.zone", "label value must be a string, not 1"),
        (cluster_policy(kind, {"subject": {"pods": {"namespaceSelector": {}, "podSelector": {
            "matchExpressions": [{"key": "app", "operator": "In"}]}}}}),
         "spec.subject.pods.podSelector.matchExpressions[0].values", "must be non-empty when operator is In"),
        # rules
        (cluster_policy(kind, {"ingress": {"action": allow}}), "spec.ingress", "must be a list, not an object"),
        (cluster_policy(kind, {"egress": ["Deny"]}), "spec.egress[0]", "must be an object, not 'Deny'"),
        (cluster_policy(kind, {"ingress": repeat(rule(kind, "ingress", [ALL_NAMESPACES]), limit + 1)}),
         "spec.ingress", f"must have at most {limit} rules, not {limit + 1}"),
        (cluster_policy(kind, {"egress": repeat(rule(kind, "egress", [ALL_NAMESPACES]), limit + 1)}),
         "spec.egress", f"must have at most {limit} rules, not {limit + 1}"),
        (cluster_policy(kind, {"egress": [{"to": [ALL_NAMESPACES]}]}), "spec.egress[0].action", MISSING),
        (egress_to(kind, ALL_NAMESPACES, action=allow.lower()), "spec.egress[0].action",
         f"unrecognized action '{allow.lower()}' (expected {', '.join(ACTIONS[kind])})"),
        (egress_to(kind, ALL_NAMESPACES, action="Reject"), "spec.egress[0].action",
         f"unrecognized action 'Reject' (expected {', '.join(ACTIONS[kind])})"),
        (ingress_from(kind, ALL_NAMESPACES, name="x" * 101), "spec.ingress[0].name", "must be at most 100 characters"),
        (ingress_from(kind, ALL_NAMESPACES, name=7), "spec.ingress[0].name", "must be a string, not 7"),
        # peers: at least one, at most the limit, exactly one field each
        (cluster_policy(kind, {"ingress": [{"action": "Deny"}]}), "spec.ingress[0].from", NOT_EMPTY),
        (cluster_policy(kind, {"egress": [{"action": "Deny", "to": []}]}), "spec.egress[0].to", NOT_EMPTY),
        (cluster_policy(kind, {"egress": [{"action": "Deny", "to": ALL_NAMESPACES}]}), "spec.egress[0].to",
         "must be a list, not an object"),
        (ingress_from(kind, *repeat(ALL_NAMESPACES, limit + 1)), "spec.ingress[0].from",
         f"must have at most {limit} items, not {limit + 1}"),
        (egress_to(kind, *repeat(ALL_NAMESPACES, limit + 1)), "spec.egress[0].to",
         f"must have at most {limit} items, not {limit + 1}"),
        (ingress_from(kind, {}), "spec.ingress[0].from[0]",
         f"exactly one of {INGRESS_PEERS} must be set, not none"),
        (egress_to(kind, ALL_NAMESPACES, {"networks": None}), "spec.egress[0].to[1]",
         f"exactly one of {EGRESS_PEERS[kind]} must be set, not none"),
        (egress_to(kind, {"namespaces": {}, "networks": ["10.0.0.0/8"]}), "spec.egress[0].to[0]",
         f"exactly one of {EGRESS_PEERS[kind]} must be set, not namespaces and networks"),
        (ingress_from(kind, {"namespaces": {}, "pods": {"namespaceSelector": {}, "podSelector": {}}}),
         "spec.ingress[0].from[0]", f"exactly one of {INGRESS_PEERS} must be set, not namespaces and pods"),
        (ingress_from(kind, "everyone"), "spec.ingress[0].from[0]", "must be an object, not 'everyone'"),
        # ingress peers are only namespaces and pods
        (ingress_from(kind, NETWORKS), "spec.ingress[0].from[0].networks",
         f"unknown field (expected exactly one of {INGRESS_PEERS})"),
        (ingress_from(kind, {"nodes": {}}), "spec.ingress[0].from[0].nodes",
         f"unknown field (expected exactly one of {INGRESS_PEERS})"),
        (ingress_from(kind, {"domainNames": ["example.com"]}), "spec.ingress[0].from[0].domainNames",
         f"unknown field (expected exactly one of {INGRESS_PEERS})"),
        (egress_to(kind, {"ipBlock": {"cidr": "10.0.0.0/8"}}), "spec.egress[0].to[0].ipBlock",
         f"unknown field (expected exactly one of {EGRESS_PEERS[kind]})"),
        (egress_to(kind, {"namespaceSelector": {}}), "spec.egress[0].to[0].namespaceSelector",
         f"unknown field (expected exactly one of {EGRESS_PEERS[kind]})"),
        # pods peers
        (egress_to(kind, {"pods": {"namespaceSelector": {}}}), "spec.egress[0].to[0].pods.podSelector", MISSING),
        (ingress_from(kind, {"pods": {"podSelector": {}, "namespaceSelector": {"matchLabels": ["zone"]}}}),
         "spec.ingress[0].from[0].pods.namespaceSelector.matchLabels", "must be an object, not a list"),
        (egress_to(kind, {"nodes": {"matchExpressions": [{"key": "role", "operator": "Equals"}]}}),
         "spec.egress[0].to[0].nodes.matchExpressions[0].operator",
         "unsupported operator 'Equals' (expected one of In, NotIn, Exists, DoesNotExist)"),
        # networks
        (egress_to(kind, {"networks": []}), "spec.egress[0].to[0].networks", NOT_EMPTY),
        (egress_to(kind, {"networks": "10.0.0.0/8"}), "spec.egress[0].to[0].networks",
         "must be a list, not '10.0.0.0/8'"),
        (egress_to(kind, {"networks": repeat("10.0.0.0/8", 26)}), "spec.egress[0].to[0].networks",
         "must have at most 25 items, not 26"),
        (egress_to(kind, {"networks": ["10.0.0.0/8", "10.0.0.1"]}), "spec.egress[0].to[0].networks[1]",
         "invalid CIDR '10.0.0.1' (expected address/prefix-length)"),
        *[(egress_to(kind, {"networks": [cidr]}), "spec.egress[0].to[0].networks[0]", f"invalid CIDR {cidr!r}")
          for cidr in ["10.0.0.0/33", "fd00::/129", "internet/0", "10.0.0.256/32"]],
        (egress_to(kind, {"networks": [""]}), "spec.egress[0].to[0].networks[0]", MISSING),
        (egress_to(kind, {"networks": [167772160]}), "spec.egress[0].to[0].networks[0]",
         "must be a string, not 167772160"),
        # ports: at least one if given, at most the limit, exactly one field each
        (egress_to(kind, ALL_NAMESPACES, ports=[]), f"spec.egress[0].{ports}", NOT_EMPTY),
        (egress_to(kind, ALL_NAMESPACES, ports=repeat(TCP_80[kind], limit + 1)), f"spec.egress[0].{ports}",
         f"must have at most {limit} items, not {limit + 1}"),
        (egress_to(kind, ALL_NAMESPACES, **{ports: TCP_80[kind]}), f"spec.egress[0].{ports}",
         "must be a list, not an object"),
        (ingress_from(kind, ALL_NAMESPACES, ports=[{}]), f"spec.ingress[0].{ports}[0]",
         f"exactly one of {port_types} must be set, not none"),
        (ingress_from(kind, ALL_NAMESPACES, ports=[TCP_80[kind], TCP_80[kind] | NAMED_HTTP[kind]]),
         f"spec.ingress[0].{ports}[1]",
         f"exactly one of {port_types} must be set, not {' and '.join([*TCP_80[kind], *NAMED_HTTP[kind]])}"),
        (ingress_from(kind, ALL_NAMESPACES, ports=[{"port": 80}]), f"spec.ingress[0].{ports}[0].port",
         f"unknown field (expected exactly one of {port_types})"),
        (ingress_from(kind, ALL_NAMESPACES, ports=[80]), f"spec.ingress[0].{ports}[0]", "must be an object, not 80"),
        # named ports need pod peers (the rule's CEL validation)
        (egress_to(kind, NETWORKS, ports=[NAMED_HTTP[kind]]), f"spec.egress[0].{ports}", NAMED_PORT_PEERS),
        (egress_to(kind, {"nodes": {}}, ports=[NAMED_HTTP[kind]]), f"spec.egress[0].{ports}", NAMED_PORT_PEERS),
        (egress_to(kind, ALL_NAMESPACES, NETWORKS, ports=[TCP_80[kind], NAMED_HTTP[kind]]), f"spec.egress[0].{ports}",
         NAMED_PORT_PEERS),
    ]


PRIORITY_BOUNDS = "must be between 0 and 1000, not"

INVALID: list[tuple[dict[str, Any], str, str]] = [
    *rejections_of_every_kind(ANP), *rejections_of_every_kind(BANP), *rejections_of_every_kind(CNP),
    # priority: required for ANP and CNP, an integer in 0..1000
    *[(cluster_policy(kind, {"priority": None}), "spec.priority", MISSING) for kind in (ANP, CNP)],
    *[(cluster_policy(kind, {"priority": value}), "spec.priority", message)
      for kind in (ANP, CNP)
      for value, message in [(-1, f"{PRIORITY_BOUNDS} -1"), (1001, f"{PRIORITY_BOUNDS} 1001"),
                             ("10", "must be an integer, not '10'"), (10.0, "must be an integer, not 10.0"),
                             (True, "must be an integer, not true"), ([10], "must be an integer, not a list")]],
    # the BANP is the singleton `default`
    (cluster_policy(BANP, name="baseline"), "metadata.name",
     "must be 'default': only one BaselineAdminNetworkPolicy, named 'default', can exist in a cluster, not 'baseline'"),
    # v1alpha1 pods need both selectors
    *[(cluster_policy(kind, {"subject": {"pods": {"podSelector": {}}}}), "spec.subject.pods.namespaceSelector",
       MISSING) for kind in (ANP, BANP)],
    *[(ingress_from(kind, {"pods": {"podSelector": labels(app="db")}}),
       "spec.ingress[0].from[0].pods.namespaceSelector", MISSING) for kind in (ANP, BANP)],
    # per-kind actions
    (egress_to(ANP, ALL_NAMESPACES, action="Accept"), "spec.egress[0].action",
     "unrecognized action 'Accept' (expected Allow, Deny, Pass)"),
    (egress_to(BANP, ALL_NAMESPACES, action="Pass"), "spec.egress[0].action",
     "unrecognized action 'Pass' (expected Allow, Deny)"),
    (ingress_from(BANP, ALL_NAMESPACES, action="Accept"), "spec.ingress[0].action",
     "unrecognized action 'Accept' (expected Allow, Deny)"),
    (egress_to(CNP, ALL_NAMESPACES, action="Allow"), "spec.egress[0].action",
     "unrecognized action 'Allow' (expected Accept, Deny, Pass)"),
    (cluster_policy(CNP, {"egress": [{"action": 1, "to": [ALL_NAMESPACES]}]}), "spec.egress[0].action",
     "unrecognized action 1 (expected Accept, Deny, Pass)"),
    # the CNP tier
    (cluster_policy(CNP, {"tier": None}), "spec.tier", MISSING),
    (cluster_policy(CNP, {"tier": "admin"}), "spec.tier", "must be Admin or Baseline, not 'admin'"),
    (cluster_policy(CNP, {"tier": "Application"}), "spec.tier", "must be Admin or Baseline, not 'Application'"),
    # domainNames: ANP and CNP egress only, Allow/Accept rules only, valid names, 1..25
    (egress_to(BANP, {"domainNames": ["example.com"]}), "spec.egress[0].to[0].domainNames",
     f"unknown field (expected exactly one of {EGRESS_PEERS[BANP]})"),
    *[(egress_to(kind, {"domainNames": ["example.com"]}, action=action), "spec.egress[0].to",
       "domainNames peers are only supported in Accept rules")
      for kind in (ANP, CNP) for action in ("Deny", "Pass")],
    *[(egress_to(kind, {"domainNames": ["example.com"]}, ports=[NAMED_HTTP[kind]]), f"spec.egress[0].{PORTS[kind]}",
       NAMED_PORT_PEERS) for kind in (ANP, CNP)],
    *[(egress_to(kind, {"domainNames": value}), "spec.egress[0].to[0].domainNames", message) for kind in (ANP, CNP)
      for value, message in [([], NOT_EMPTY), (repeat("example.com", 26), "must have at most 25 items, not 26"),
                             ("example.com", "must be a list, not 'example.com'")]],
    *[(egress_to(kind, {"domainNames": ["example.com", name]}), "spec.egress[0].to[0].domainNames[1]",
       f"invalid domain name {name!r}") for kind in (ANP, CNP)
      for name in ["localhost", "*.com", "*example.com", "www.*.example.com", "-bad.example.com",
                   "bad-.example.com", "example..com", "https://example.com", "example.com\n"]],
    (egress_to(CNP, {"domainNames": [""]}), "spec.egress[0].to[0].domainNames[0]", MISSING),
    # v1alpha1 ports
    *[(ingress_from(kind, ALL_NAMESPACES, ports=[port]), f"spec.ingress[0].ports[0].{where}", message)
      for kind in (ANP, BANP)
      for port, where, message in [
          ({"portNumber": {"protocol": "TCP"}}, "portNumber.port", MISSING),
          ({"portNumber": {"port": 0}}, "portNumber.port", "must be between 1 and 65535, not 0"),
          ({"portNumber": {"port": 65536}}, "portNumber.port", "must be between 1 and 65535, not 65536"),
          ({"portNumber": {"port": "80"}}, "portNumber.port", "must be a port number, not '80'"),
          ({"portNumber": 80}, "portNumber", "must be an object, not 80"),
          ({"portRange": {"end": 90}}, "portRange.start", MISSING),
          ({"portRange": {"start": 80}}, "portRange.end", MISSING),
          ({"portRange": {"start": 80, "end": 70000}}, "portRange.end", "must be between 1 and 65535, not 70000"),
          ({"portRange": {"start": 90, "end": 80}}, "portRange",
           "end (80) must not be below start (90): the range would hold no port"),
          ({"namedPort": ""}, "namedPort", MISSING),
          ({"namedPort": 80}, "namedPort", "must be a string, not 80"),
      ]],
    # v1alpha2 protocols
    *[(ingress_from(CNP, ALL_NAMESPACES, ports=[protocol]), f"spec.ingress[0].protocols[0].{where}", message)
      for protocol, where, message in [
          ({"tcp": {}}, "tcp.destinationPort", MISSING),
          ({"udp": {"destinationPort": None}}, "udp.destinationPort", MISSING),
          ({"sctp": {"destinationPort": {}}}, "sctp.destinationPort",
           "exactly one of number, range must be set, not none"),
          ({"tcp": {"destinationPort": {"number": 80, "range": {"start": 1, "end": 2}}}}, "tcp.destinationPort",
           "exactly one of number, range must be set, not number and range"),
          ({"tcp": {"destinationPort": {"port": 80}}}, "tcp.destinationPort.port",
           "unknown field (expected exactly one of number, range)"),
          ({"tcp": {"destinationPort": 80}}, "tcp.destinationPort", "must be an object, not 80"),
          ({"tcp": {"destinationPort": {"number": 0}}}, "tcp.destinationPort.number",
           "must be between 1 and 65535, not 0"),
          ({"udp": {"destinationPort": {"number": True}}}, "udp.destinationPort.number",
           "must be a port number, not true"),
          ({"tcp": {"destinationPort": {"range": {"start": 80, "end": 80}}}}, "tcp.destinationPort.range",
           "start port must be less than end port (80 >= 80)"),
          ({"sctp": {"destinationPort": {"range": {"start": 90, "end": 80}}}}, "sctp.destinationPort.range",
           "start port must be less than end port (90 >= 80)"),
          ({"udp": {"destinationPort": {"range": {"start": 80}}}}, "udp.destinationPort.range.end", MISSING),
          ({"tcp": {"destinationPort": {"range": {"start": 0, "end": 80}}}}, "tcp.destinationPort.range.start",
           "must be between 1 and 65535, not 0"),
          ({"destinationNamedPort": ""}, "destinationNamedPort", MISSING),
          ({"icmp": {}}, "icmp", "unknown field (expected exactly one of tcp, udp, sctp, destinationNamedPort)"),
          ({"TCP": {"destinationPort": {"number": 80}}}, "TCP",
           "unknown field (expected exactly one of tcp, udp, sctp, destinationNamedPort)"),
      ]],
    # a v1alpha1 rule's ports are not protocols, and the other way round
    (ingress_from(ANP, ALL_NAMESPACES, ports=[{"tcp": {"destinationPort": {"number": 80}}}]),
     "spec.ingress[0].ports[0].tcp", "unknown field (expected exactly one of portNumber, namedPort, portRange)"),
    (ingress_from(CNP, ALL_NAMESPACES, ports=[{"portNumber": {"port": 80}}]), "spec.ingress[0].protocols[0].portNumber",
     "unknown field (expected exactly one of tcp, udp, sctp, destinationNamedPort)"),
]


def case_id(case: tuple[dict[str, Any], str, str]) -> str:
    """`Kind:field:start of message`, unique enough to find a failing row."""
    obj, field, message = case
    return f"{obj['kind']}:{field}:{message[:40]}"


@pytest.mark.parametrize(("obj", "field", "message"), [pytest.param(*case, id=case_id(case)) for case in INVALID])
def test_invalid_objects(obj: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        parse_cluster_policy(obj)
    assert (raised.value.field, raised.value.detail) == (field, message)


# --- the order of checks --------------------------------------------------------------------------


def bad_peer(kind: str, direction: str) -> dict[str, Any]:
    """A rule whose only fault is its peer (no field set)."""
    return rule(kind, direction, [{}])


def good(kind: str, direction: str, **fields: Any) -> dict[str, Any]:
    """A rule to or from every namespace, with `fields` (a fault) merged in."""
    return {**rule(kind, direction, [ALL_NAMESPACES]), **fields}


ORDER: list[Any] = [
    pytest.param(lambda k: {"ingress": [bad_peer(k, "ingress"), good(k, "ingress", action="Drop")]},
                 "spec.ingress[1].action", id="a-later-action-before-an-earlier-peer"),
    pytest.param(lambda k: {"egress": [bad_peer(k, "egress"), good(k, "egress", name="x" * 101)]},
                 "spec.egress[1].name", id="a-later-name-before-an-earlier-peer"),
    pytest.param(lambda k: {"ingress": [bad_peer(k, "ingress")], "egress": [good(k, "egress", **{PORTS[k]: [{}]})]},
                 "spec.egress[0].{ports}[0]", id="egress-ports-before-ingress-peers"),
    pytest.param(lambda k: {"ingress": [bad_peer(k, "ingress")], "egress": [bad_peer(k, "egress")]},
                 "spec.ingress[0].from[0]", id="ingress-peers-before-egress-peers"),
    pytest.param(lambda k: {"ingress": [good(k, "ingress", action="Drop", **{PORTS[k]: [{}]})]},
                 "spec.ingress[0].action", id="action-before-ports-of-one-rule"),
    pytest.param(lambda k: {"egress": [rule(k, "egress", [NETWORKS, {}], ports=[NAMED_HTTP[k]])]},
                 "spec.egress[0].to[1]", id="every-peer-before-the-named-port-rule"),
    pytest.param(lambda k: {"subject": {}, "ingress": [good(k, "ingress", action="Drop")]},
                 "spec.subject", id="subject-before-rules"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("spec", "field"), ORDER)
def test_every_rule_effect_is_checked_before_any_peer(kind: str, spec: Callable[[str], dict[str, Any]],
                                                      field: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        parse_cluster_policy(cluster_policy(kind, spec(kind)))
    assert raised.value.field == field.format(ports=PORTS[kind])


@pytest.mark.parametrize("kind", [ANP, CNP])
def test_priority_is_checked_before_the_subject(kind: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        parse_cluster_policy(cluster_policy(kind, {"priority": 1001, "subject": {}}))
    assert raised.value.field == "spec.priority"


def test_a_port_fault_is_reported_before_a_peer_fault_of_an_earlier_rule() -> None:
    """np-guard's anp_bad_path_test_8: its first rules' pods peers lack podSelector (rejected by the v1alpha1
    schema too), but the fault the scenario is about is a port entry with two fields in its last rule."""
    ravenclaw = {"pods": {"namespaceSelector": labels(**{"kubernetes.io/metadata.name": "ravenclaw"})}}
    obj = cluster_policy(ANP, {"egress": [
        rule(ANP, "egress", [ravenclaw], "Allow", name="allow-to-ravenclaw"),
        rule(ANP, "egress", [ravenclaw], "Deny", name="deny-to-slytherin-at-port-80",
             ports=[{"portNumber": {"protocol": "TCP", "port": 80}, "portRange": {"start": 80, "end": 81}}]),
    ]})
    with pytest.raises(InvalidObject) as raised:
        parse_cluster_policy(obj)
    assert raised.value.message == ("spec.egress[1].ports[0]: exactly one of portNumber, namedPort, portRange must "
                                    "be set, not portNumber and portRange")
