"""Random but valid small clusters for property tests: every selector form, peer kind and port kind."""

from __future__ import annotations

import random
from typing import Any

from compliance.model.snapshot import Snapshot
from tests.netpol.builders import cluster, cluster_policy, namespace, node, pod, policy
from tests.netpol.calico_builders import ACCOUNTS, random_calico_objects, with_calico

POD_LABELS = {"app": ["web", "db", "api", "batch"], "tier": ["front", "back"], "role": ["x", "y"]}
NAMESPACE_LABELS = {"env": ["prod", "dev"], "team": ["red", "blue"]}
NAMED_PORTS = [("http", 80, "TCP"), ("http", 8080, "TCP"), ("metrics", 9090, "TCP"), ("metrics", 9187, "TCP"),
               ("dns", 53, "UDP"), ("", 443, "TCP")]
BLOCKS = [{"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}, {"cidr": "10.0.2.0/23"},
          {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}, {"cidr": "192.168.0.0/16"}, {"cidr": "10.0.3.7/32"},
          {"cidr": "fd00::/8", "except": ["fd00:ec2::/32"]}]
PORTS = [{"port": 80}, {"port": 443}, {"port": 8000, "endPort": 9100}, {"port": "http"}, {"port": "metrics"},
         {"port": "dns", "protocol": "UDP"}, {"protocol": "UDP"}, {"port": 53, "protocol": "UDP"},
         {"port": 9, "protocol": "SCTP"}, {"port": "web"}]


def random_labels(rng: random.Random, vocabulary: dict[str, list[str]]) -> dict[str, str]:
    """A random subset of keys with random values."""
    return {key: rng.choice(values) for key, values in vocabulary.items() if rng.random() < 0.6}


def random_selector(rng: random.Random, vocabulary: dict[str, list[str]]) -> dict[str, Any]:
    """A selector using matchLabels and/or any matchExpressions operator (often empty)."""
    selector: dict[str, Any] = {}
    if rng.random() < 0.4:
        key = rng.choice(list(vocabulary))
        selector["matchLabels"] = {key: rng.choice(vocabulary[key])}
    if rng.random() < 0.4:
        key = rng.choice(list(vocabulary))
        operator = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
        expression: dict[str, Any] = {"key": key, "operator": operator}
        if operator in ("In", "NotIn"):
            expression["values"] = rng.sample(vocabulary[key], rng.randint(1, len(vocabulary[key])))
        selector["matchExpressions"] = [expression]
    return selector


def random_peer(rng: random.Random) -> dict[str, Any]:
    """A podSelector, namespaceSelector, both, or an ipBlock."""
    kind = rng.choice(["pod", "namespace", "both", "ipBlock"])
    if kind == "ipBlock":
        return {"ipBlock": rng.choice(BLOCKS)}
    peer = {}
    if kind in ("pod", "both"):
        peer["podSelector"] = random_selector(rng, POD_LABELS)
    if kind in ("namespace", "both"):
        peer["namespaceSelector"] = random_selector(rng, NAMESPACE_LABELS)
    return peer


def random_rule(rng: random.Random, direction: str) -> dict[str, Any]:
    """A rule whose peers and ports are absent, empty or a few entries."""
    rule: dict[str, Any] = {}
    peers_key = "from" if direction == "ingress" else "to"
    roll = rng.random()
    if roll < 0.7:
        rule[peers_key] = [random_peer(rng) for _ in range(rng.randint(1, 2))]
    elif roll < 0.8:
        rule[peers_key] = []
    if rng.random() < 0.7:
        rule["ports"] = rng.sample(PORTS, rng.randint(1, 2))
    return rule


def random_policy(rng: random.Random, ref: str, explicit_types: bool) -> dict[str, Any]:
    """A policy with random selector, policyTypes (or defaulting) and rules."""
    spec: dict[str, Any] = {"podSelector": random_selector(rng, POD_LABELS)}
    types = rng.choice([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]])
    if explicit_types and types is None:
        types = ["Ingress", "Egress"]
    if types is not None:
        spec["policyTypes"] = types
    for direction in ("ingress", "egress"):
        if rng.random() < 0.75:
            spec[direction] = [random_rule(rng, direction) for _ in range(rng.randint(0, 2))]
    return policy(ref, spec)


NODE_LABELS = {"role": ["control-plane", "worker"], "zone": ["a", "b"]}
NETWORKS = ["10.0.0.0/16", "10.0.1.0/24", "0.0.0.0/0", "192.168.0.0/16", "10.0.3.7/32", "fd00::/8"]
V1ALPHA1_PORTS = [{"portNumber": {"protocol": "TCP", "port": 80}}, {"portNumber": {"protocol": "UDP", "port": 53}},
                  {"portRange": {"protocol": "TCP", "start": 8000, "end": 9100}}, {"namedPort": "http"},
                  {"namedPort": "dns"}, {"portNumber": {"protocol": "SCTP", "port": 9}}]
V1ALPHA2_PORTS = [{"tcp": {"destinationPort": {"number": 80}}}, {"udp": {"destinationPort": {"number": 53}}},
                  {"tcp": {"destinationPort": {"range": {"start": 8000, "end": 9100}}}},
                  {"destinationNamedPort": "http"}, {"destinationNamedPort": "metrics"},
                  {"sctp": {"destinationPort": {"number": 9}}}]


def random_cluster_peer(rng: random.Random, kind: str, direction: str, action: str) -> dict[str, Any]:
    """A peer of a cluster policy's rule: namespaces or pods, and for egress also networks or (ClusterNetworkPolicy
    Accept rules) domain names."""
    choices = ["namespaces", "pods"]
    if direction == "egress":
        choices += ["networks", "nodes"] + (["domainNames"] if kind == "ClusterNetworkPolicy" and action == "Accept"
                                            else [])
    chosen = rng.choice(choices)
    if chosen == "namespaces":
        return {"namespaces": random_selector(rng, NAMESPACE_LABELS)}
    if chosen == "pods":
        return {"pods": {"namespaceSelector": random_selector(rng, NAMESPACE_LABELS),
                         "podSelector": random_selector(rng, POD_LABELS)}}
    if chosen == "networks":
        return {"networks": rng.sample(NETWORKS, rng.randint(1, 2))}
    if chosen == "nodes":
        return {"nodes": random_selector(rng, NODE_LABELS)}
    return {"domainNames": ["example.com"]}


def random_cluster_rule(rng: random.Random, kind: str, direction: str) -> dict[str, Any]:
    """A rule of a cluster policy with a random action, one or two peers, and often ports."""
    actions = {"AdminNetworkPolicy": ["Allow", "Deny", "Pass"], "BaselineAdminNetworkPolicy": ["Allow", "Deny"],
               "ClusterNetworkPolicy": ["Accept", "Deny", "Pass"]}[kind]
    action = rng.choice(actions)
    peers = [random_cluster_peer(rng, kind, direction, action) for _ in range(rng.randint(1, 2))]
    rule: dict[str, Any] = {"name": f"r{rng.randint(0, 99)}", "action": action,
                            ("from" if direction == "ingress" else "to"): peers}
    if rng.random() < 0.6:
        choices = V1ALPHA2_PORTS if kind == "ClusterNetworkPolicy" else V1ALPHA1_PORTS
        if any(set(peer) != {"namespaces"} and set(peer) != {"pods"} for peer in peers):
            choices = [port for port in choices if "namedPort" not in port and "destinationNamedPort" not in port]
        rule["protocols" if kind == "ClusterNetworkPolicy" else "ports"] = rng.sample(choices, rng.randint(1, 2))
    return rule


def random_cluster_policy(rng: random.Random, kind: str, name: str) -> dict[str, Any]:
    """A cluster policy with a random subject, rules, and a priority from a few (so that some are equal)."""
    if rng.random() < 0.5:
        subject: dict[str, Any] = {"namespaces": random_selector(rng, NAMESPACE_LABELS)}
    else:
        subject = {"pods": {"namespaceSelector": random_selector(rng, NAMESPACE_LABELS),
                            "podSelector": random_selector(rng, POD_LABELS)}}
    spec: dict[str, Any] = {"subject": subject}
    for direction in ("ingress", "egress"):
        if rng.random() < 0.75:
            spec[direction] = [random_cluster_rule(rng, kind, direction) for _ in range(rng.randint(1, 3))]
    if kind == "BaselineAdminNetworkPolicy":
        return cluster_policy(kind, "default", spec)
    tier = rng.choice(["Admin", "Baseline"]) if kind == "ClusterNetworkPolicy" else None
    return cluster_policy(kind, name, spec, rng.randint(1, 3), tier)


def random_cluster_policies(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """`count` cluster policies of the three kinds (at most one BaselineAdminNetworkPolicy)."""
    kinds = [rng.choice(["AdminNetworkPolicy", "ClusterNetworkPolicy", "BaselineAdminNetworkPolicy"])
             for _ in range(count)]
    if kinds.count("BaselineAdminNetworkPolicy") > 1:
        kinds = [kind for kind in kinds if kind != "BaselineAdminNetworkPolicy"] + ["BaselineAdminNetworkPolicy"]
    return [random_cluster_policy(rng, kind, f"cp{index}") for index, kind in enumerate(kinds)]


def random_objects(rng: random.Random, pods: int, policies: int, namespaces: int = 3,
                   explicit_types: bool = False) -> list[dict[str, Any]]:
    """Manifests of a random cluster."""
    names = [f"ns{i}" for i in range(namespaces)]
    objects = [namespace(name, **random_labels(rng, NAMESPACE_LABELS)) for name in names]
    addresses = rng.sample([f"10.0.{a}.{b}" for a in range(4) for b in range(1, 250)], pods)
    for index in range(pods):
        named = rng.sample(NAMED_PORTS, rng.randint(0, 2))
        if len({(n, p) for n, _, p in named if n}) < len([n for n, _, _ in named if n]):
            named = named[:1]
        objects.append(pod(f"{rng.choice(names)}/p{index}", random_labels(rng, POD_LABELS),
                           ports=tuple((n, number, protocol) for n, number, protocol in named),
                           ip=addresses[index] if rng.random() < 0.9 else None,
                           host_network=rng.random() < 0.1))
    objects += [random_policy(rng, f"{rng.choice(names)}/np{index}", explicit_types) for index in range(policies)]
    return objects


def random_cluster(rng: random.Random, pods: int, policies: int, namespaces: int = 3,
                   cluster_policies: int = 0, calico_policies: int = 0) -> Snapshot:
    """A random cluster as a Snapshot, with `cluster_policies` of the tiers and `calico_policies` (in Calico tiers,
    with network sets and service accounts) besides its NetworkPolicies."""
    objects = random_objects(rng, pods, policies, namespaces)
    if calico_policies:
        names = [f"ns{i}" for i in range(namespaces)]
        snapshot = random_cluster_of(rng, objects, cluster_policies)
        accounts = {pod.display: rng.choice(ACCOUNTS) for pod in snapshot.pods}
        return with_calico(snapshot, *random_calico_objects(rng, names, calico_policies), accounts=accounts)
    return random_cluster_of(rng, objects, cluster_policies)


def random_cluster_of(rng: random.Random, objects: list[dict[str, Any]], cluster_policies: int) -> Snapshot:
    """The cluster of `objects`, with nodes and `cluster_policies` random cluster policies."""
    nodes = [node(f"node{index}", *rng.sample([o["status"]["podIP"] for o in objects if "podIP" in o.get("status", {})]
                                              + ["10.0.3.7", "10.0.200.1"], 2), **random_labels(rng, NODE_LABELS))
             for index in range(2)] if cluster_policies else []
    return cluster(*objects, *nodes, *random_cluster_policies(rng, cluster_policies))
