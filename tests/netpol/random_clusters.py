"""Random but valid small clusters for property tests: every selector form, peer kind and port kind."""

from __future__ import annotations

import random
from typing import Any

from compliance.model.snapshot import Snapshot
from tests.netpol.builders import cluster, namespace, pod, policy

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


def random_cluster(rng: random.Random, pods: int, policies: int, namespaces: int = 3) -> Snapshot:
    """A random cluster as a Snapshot."""
    return cluster(*random_objects(rng, pods, policies, namespaces))
