"""Small random clusters of bare Pods with Calico NetworkPolicies, GlobalNetworkPolicies and Kubernetes
NetworkPolicies, all in the default tier, as YAML documents that IBM network-config-analyzer 2.1.0 reads too.

The selectors use the part of Calico's language NCA parses (`==`, `!=`, `in`, `not in`, `has`, `!`, `&&`, `||`,
`all()`); rules use actions Allow, Deny, Pass and Log, protocols TCP, UDP and SCTP, numbered, ranged and named
ports, notPorts, nets and notNets.
"""

from __future__ import annotations

import random
from typing import Any

NAMESPACES = {"ns-a": {"team": "a", "env": "prod"}, "ns-b": {"team": "b", "env": "dev"},
              "ns-c": {"team": "a", "env": "dev"}}
APPS = ("web", "api", "db")
ROLES = ("fe", "be", None)
PORTS = {"web": [("http", "TCP", 80)], "api": [("http", "TCP", 8080), ("dns", "UDP", 53)],
         "db": [("db", "TCP", 5432), ("sctp-x", "SCTP", 9000)]}
NETS = ("10.0.0.0/8", "192.168.0.0/16", "0.0.0.0/0", "172.16.0.0/12")


def pod(rng: random.Random, index: int) -> dict[str, Any]:
    """A bare Pod with a random app, an optional role and the app's named container ports."""
    app = rng.choice(APPS)
    labels = {"app": app}
    role = rng.choice(ROLES)
    if role:
        labels["role"] = role
    ports = [{"name": name, "protocol": protocol, "containerPort": number} for name, protocol, number in PORTS[app]]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"p{index}", "namespace": rng.choice(sorted(NAMESPACES)), "labels": labels},
            "spec": {"containers": [{"name": "main", "image": "registry.example/app:1", "ports": ports}]}}


def comparison(rng: random.Random, namespace: bool) -> str:
    """One label comparison, on pod labels or (`namespace`) on namespace labels."""
    key, values = (rng.choice([("team", ["a", "b"]), ("env", ["prod", "dev"])]) if namespace
                   else rng.choice([("app", list(APPS)), ("role", ["fe", "be"])]))
    form = rng.randrange(6)
    if form == 0:
        return f"{key} == '{rng.choice(values)}'"
    if form == 1:
        return f"{key} != '{rng.choice(values)}'"
    if form == 2:
        return f"{key} in {{'{values[0]}', '{values[1]}'}}"
    if form == 3:
        return f"{key} not in {{'{rng.choice(values)}'}}"
    if form == 4:
        return f"has({key})"
    return f"!has({key})"


def selector(rng: random.Random, namespace: bool = False) -> str:
    """A selector of one to three comparisons joined by && or ||, sometimes negated or `all()`."""
    if rng.random() < 0.15:
        return "all()"
    terms = [comparison(rng, namespace) for _ in range(rng.randint(1, 3))]
    text = terms[0]
    for term in terms[1:]:
        text = f"{text} {rng.choice(['&&', '||'])} {term}"
    if len(terms) > 1 and rng.random() < 0.3:
        text = f"!({text})"
    return text


def ports(rng: random.Random, protocol: str) -> list[int | str]:
    """One or two destination ports: numbers, a range, or a named port."""
    choices: list[int | str] = [80, 8080, 53, 5432, 9000, "8000:8100", "http", "db", "dns", "sctp-x"]
    if protocol == "UDP":
        choices += [53, "dns"]
    return rng.sample(choices, rng.randint(1, 2))


def peer(rng: random.Random) -> dict[str, Any]:
    """The peer side of a rule: selectors, nets, or nothing (every peer)."""
    found: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.4:
        found["selector"] = selector(rng)
    if 0.3 < roll < 0.6:
        found["namespaceSelector"] = selector(rng, namespace=True)
    if roll > 0.85:
        found["nets"] = [rng.choice(NETS)]
        if rng.random() < 0.5:
            found["notNets"] = [rng.choice(NETS[:2])]
    if "selector" in found and rng.random() < 0.3:
        found["notSelector"] = comparison(rng, namespace=False)
    return found


def rule(rng: random.Random, ingress: bool) -> dict[str, Any]:
    """One rule with a random action, protocol, peer and destination ports."""
    found: dict[str, Any] = {"action": rng.choices(["Allow", "Deny", "Pass", "Log"], [5, 3, 1, 1])[0]}
    protocol = rng.choice(["TCP", "TCP", "UDP", "SCTP", None])
    destination = {} if ingress else peer(rng)
    if protocol:
        found["protocol"] = protocol
        if rng.random() < 0.6:
            destination["ports"] = ports(rng, protocol)
        if rng.random() < 0.15:
            destination["notPorts"] = ports(rng, protocol)
    source = peer(rng) if ingress else {}
    if source:
        found["source"] = source
    if destination:
        found["destination"] = destination
    return found


def calico_policy(rng: random.Random, index: int) -> dict[str, Any]:
    """A Calico NetworkPolicy or GlobalNetworkPolicy of the default tier with random types, order and rules."""
    is_global = rng.random() < 0.3
    spec: dict[str, Any] = {"selector": selector(rng)}
    if is_global and rng.random() < 0.5:
        spec["namespaceSelector"] = selector(rng, namespace=True)
    order = rng.choice([None, 100, 500, 1000, 1500])
    if order is not None:
        spec["order"] = order
    directions = rng.choice([["ingress"], ["egress"], ["ingress", "egress"]])
    typed = rng.random() < 0.5
    for direction in directions:
        rules = [rule(rng, direction == "ingress") for _ in range(rng.randint(0, 3))]
        if rules or typed:
            spec[direction] = rules
    if typed:
        spec["types"] = [direction.capitalize() for direction in directions]
    metadata: dict[str, Any] = {"name": f"calico-{index}"}
    if not is_global:
        metadata["namespace"] = rng.choice(sorted(NAMESPACES))
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy" if is_global else "NetworkPolicy",
            "metadata": metadata, "spec": spec}


def kubernetes_policy(rng: random.Random, index: int) -> dict[str, Any]:
    """A Kubernetes NetworkPolicy selecting one app, admitting one app of some namespaces on a port."""
    direction = rng.choice(["ingress", "egress"])
    peer: dict[str, Any] = {"podSelector": {"matchLabels": {"app": rng.choice(APPS)}}}
    if rng.random() < 0.5:
        peer["namespaceSelector"] = {"matchLabels": {"team": rng.choice(["a", "b"])}}
    rules = [{("from" if direction == "ingress" else "to"): [peer],
              "ports": [{"protocol": "TCP", "port": rng.choice([80, 8080, 5432, "http"])}]}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": f"k8s-{index}", "namespace": rng.choice(sorted(NAMESPACES))},
            "spec": {"podSelector": {"matchLabels": {"app": rng.choice(APPS)}},
                     "policyTypes": [direction.capitalize()], direction: rules if rng.random() < 0.8 else []}}


def random_cluster(seed: int) -> list[dict[str, Any]]:
    """The documents of one random cluster: namespaces, 4-7 pods, 1-4 Calico and 0-2 Kubernetes policies."""
    rng = random.Random(seed)
    documents: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}}}
        for name, labels in sorted(NAMESPACES.items())]
    documents += [pod(rng, index) for index in range(rng.randint(4, 7))]
    documents += [calico_policy(rng, index) for index in range(rng.randint(1, 4))]
    documents += [kubernetes_policy(rng, index) for index in range(rng.randint(0, 2))]
    return documents
