"""Random small Cilium policies (model values) mixed with the NetworkPolicies of random clusters, for property tests:
every selector form and label source, Cilium's special labels, entities, CIDR sets with excepts, L3-only, L4-only
and L3+L4 rules, named ports, ANY, port ranges, L7 rules, deny rules, `specs` and `enableDefaultDeny`."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import replace
from typing import Any

from compliance.model.cilium_policy import (
    CILIUM_CLUSTERWIDE_POLICY,
    CILIUM_NETWORK_POLICY,
    CIDRRule,
    CiliumPolicy,
    CiliumPort,
    CiliumRule,
    CiliumRuleSet,
    PortRule,
)
from compliance.model.selectors import LabelSelector, Requirement
from compliance.model.snapshot import Snapshot
from tests.netpol.builders import cluster, node
from tests.netpol.random_clusters import NAMESPACE_LABELS, POD_LABELS, random_objects

NODES = {"node0": "10.0.200.1", "node1": "10.0.200.2"}
ACCOUNTS = ["default", "api", "batch"]
SOURCES = ["", "", "k8s:", "any:"]
ENTITIES = ["all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "health"]
CIDRS = [("10.0.0.0/16", ("10.0.1.0/24",)), ("10.0.2.0/23", ()), ("0.0.0.0/0", ("10.0.0.0/8",)),
         ("0.0.0.0/0", ()), ("192.168.0.0/16", ()), ("10.0.200.0/24", ()), ("fd00::/8", ("fd00:ec2::/32",))]
PORTS = [CiliumPort(80, None, "TCP"), CiliumPort(443), CiliumPort(8000, 9100, "TCP"), CiliumPort("http", None, "TCP"),
         CiliumPort("http"), CiliumPort("metrics"), CiliumPort("dns", None, "UDP"), CiliumPort(None, None, "UDP"),
         CiliumPort(53, None, "UDP"), CiliumPort(9, None, "SCTP"), CiliumPort(50, 90), CiliumPort("web", None, "TCP")]
L7_PORTS = [(CiliumPort(80, None, "TCP"), "http"), (CiliumPort("http", None, "TCP"), "http"),
            (CiliumPort(8080, None, "TCP"), "http"), (CiliumPort(53, None, "UDP"), "dns"),
            (CiliumPort(9092, None, "TCP"), "kafka")]
# label keys an endpoint selector may test, with their values: the pods' own, and Cilium's special labels
NAMESPACE_KEY = "io.kubernetes.pod.namespace"
SPECIAL = {NAMESPACE_KEY: ["ns0", "ns1", "ns2"], "io.cilium.k8s.policy.serviceaccount": ACCOUNTS,
           "io.cilium.k8s.policy.cluster": ["default", "other"],
           **{f"io.cilium.k8s.namespace.labels.{key}": values for key, values in NAMESPACE_LABELS.items()}}


def random_key(rng: random.Random) -> tuple[str, list[str]]:
    """A label key with a label source prefix (or none), and the values it takes."""
    vocabulary = SPECIAL if rng.random() < 0.35 else POD_LABELS
    key = rng.choice(list(vocabulary))
    return rng.choice(SOURCES) + key, vocabulary[key]


def random_endpoint_selector(rng: random.Random) -> LabelSelector:
    """An endpoint selector (often empty) of matchLabels and matchExpressions over pod and special labels."""
    match_labels = {}
    if rng.random() < 0.45:
        key, values = random_key(rng)
        match_labels[key] = rng.choice(values)
    expressions = []
    if rng.random() < 0.3:
        key, values = random_key(rng)
        operator = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
        chosen = rng.sample(values, rng.randint(1, len(values))) if operator in ("In", "NotIn") else []
        expressions.append(Requirement(key, operator, frozenset(chosen)))
    return LabelSelector(tuple(sorted(match_labels.items())), tuple(expressions))


def random_port_rules(rng: random.Random, deny: bool) -> tuple[PortRule, ...]:
    """One or two toPorts entries, some with L7 rules (never on deny rules), some without ports (every port)."""
    rules = []
    for _ in range(rng.randint(1, 2)):
        if not deny and rng.random() < 0.2:
            port, kind = rng.choice(L7_PORTS)
            rules.append(PortRule((port,), (kind,)))
        elif rng.random() < 0.1:
            rules.append(PortRule())
        else:
            rules.append(PortRule(tuple(rng.sample(PORTS, rng.randint(1, 2)))))
    return tuple(rules)


def random_cilium_rule(rng: random.Random, direction: str, deny: bool) -> CiliumRule:
    """A rule of L3 peers (endpoints, entities, CIDR sets, sometimes names), ports, both, or neither."""
    fields: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.8:
        for _ in range(rng.randint(1, 2)):
            kind = rng.choice(["endpoints", "endpoints", "entities", "cidrs"]
                              + (["fqdns"] if direction == "egress" and not deny else []))
            if kind == "endpoints":
                fields["endpoints"] = (*fields.get("endpoints", ()), random_endpoint_selector(rng))
            elif kind == "entities":
                fields["entities"] = (*fields.get("entities", ()), rng.choice(ENTITIES))
            elif kind == "cidrs":
                cidr, excepts = rng.choice(CIDRS)
                fields["cidrs"] = (*fields.get("cidrs", ()), CIDRRule(ipaddress.ip_network(cidr),
                                                                      tuple(map(ipaddress.ip_network, excepts))))
            elif not fields:  # toFQDNs is the rule's only L3 field
                fields["fqdns"] = ("api.example.com",)
                break
    if rng.random() < (0.5 if fields else 0.9):
        fields["ports"] = random_port_rules(rng, deny)
    return CiliumRule(**fields)


def random_rule_set(rng: random.Random) -> CiliumRuleSet:
    """A rule set with a random endpoint selector, allow and deny rules, and sometimes `enableDefaultDeny`."""
    lists = {name: tuple(random_cilium_rule(rng, name.removesuffix("_deny"), name.endswith("_deny"))
                         for _ in range(rng.randint(1, 2))) if rng.random() < chance else ()
             for name, chance in (("ingress", 0.6), ("ingress_deny", 0.3), ("egress", 0.5), ("egress_deny", 0.25))}
    selector = random_endpoint_selector(rng)
    if NAMESPACE_KEY in {key.partition(":")[2] or key for key, _ in selector.match_labels}:
        selector = LabelSelector()  # Kubernetes refuses the namespace in a namespaced policy's endpointSelector
    return CiliumRuleSet(selector, None, **lists,
                         default_deny_ingress=rng.choice([None, None, None, False, True]),
                         default_deny_egress=rng.choice([None, None, None, False, True]))


def random_cilium_policy(rng: random.Random, index: int, namespaces: list[str]) -> CiliumPolicy:
    """A CiliumNetworkPolicy in a random namespace or a CiliumClusterwideNetworkPolicy, with one or two rule sets."""
    clusterwide = rng.random() < 0.35
    rule_sets = tuple(random_rule_set(rng) for _ in range(1 if rng.random() < 0.8 else 2))
    if clusterwide:
        return CiliumPolicy(CILIUM_CLUSTERWIDE_POLICY, f"ccnp{index}", "", rule_sets)
    return CiliumPolicy(CILIUM_NETWORK_POLICY, f"cnp{index}", rng.choice(namespaces), rule_sets)


def random_cilium_cluster(rng: random.Random, pods: int = 8, policies: int = 2, cilium_policies: int = 3,
                          namespaces: int = 3) -> Snapshot:
    """A random cluster (tests.netpol.random_clusters) on two nodes, its pods under random service accounts and
    host-network pods at their node's address, with `policies` NetworkPolicies and `cilium_policies` Cilium ones."""
    names = [f"ns{i}" for i in range(namespaces)]
    objects = random_objects(rng, pods, policies, namespaces)
    snapshot = cluster(*objects, *(node(name, ip) for name, ip in NODES.items()))
    placed = []
    for pod in snapshot.pods:
        node_name = rng.choice(list(NODES))
        placed.append(replace(pod, node_name=node_name, service_account=rng.choice(ACCOUNTS),
                              ips=(NODES[node_name],) if pod.host_network else pod.ips))
    chosen = [random_cilium_policy(rng, index, names) for index in range(cilium_policies)]
    return replace(snapshot, pods=tuple(placed), cilium_policies=tuple(sorted(chosen, key=lambda p: p.key)))
