"""Deterministic synthetic clusters that look like real ones, for benchmarks.

A cluster of N pods has about N/100 namespaces spread over PCI zones, Deployments with 1-5 replicas
and named ports, about N/10 NetworkPolicies: default-deny in most namespaces, DNS egress, ingress by
tier with matchExpressions (In, NotIn, Exists), cross-namespace rules by zone, monitoring scrapes,
egress to ipBlocks with except, and port ranges (endPort). Optionally, cluster-scoped admin policies as platform
teams write them: CDE guardrails, Pass to namespace owners, metadata-service denies, team isolation, and a
BaselineAdminNetworkPolicy default.

Two other shapes: `dense` (dense reachability: namespaces of about 50 pods, Deployments of 15-45 replicas, three
policies per namespace with broad peers, the worker tier and most web pods unisolated) and `flat` (one namespace
whose pods no policy isolates, for pod-level output).

    python3 benchmarks/generate.py --pods 10000 --out cluster.yaml   # Deployments (manifests)
    python3 benchmarks/generate.py --pods 10000 --live --out pods.json  # running pods, as an API lists them
    python3 benchmarks/generate.py --shape dense --pods 10000 --out dense.yaml
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ZONES = (("cde", 0.1), ("connected", 0.2), ("general", 0.6), ("restricted", 0.1))
TIERS = ("web", "api", "worker", "db")
PORTS = {"web": ("http", 8080), "api": ("grpc", 9090), "worker": ("http", 8081), "db": ("postgres", 5432)}


@dataclass(frozen=True)
class Cluster:
    """The same cluster as manifests (Deployments) and as live objects (Pods with IPs and owners)."""

    manifests: list[dict[str, Any]]
    live: list[dict[str, Any]]

    @property
    def pods(self) -> int:
        """Number of pods."""
        return sum(1 for o in self.live if o["kind"] == "Pod")

    @property
    def policies(self) -> int:
        """Number of NetworkPolicies."""
        return sum(1 for o in self.manifests if o["kind"] == "NetworkPolicy")


def namespace(name: str, labels: dict[str, str]) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def network_policy(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicy."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def container(tier: str) -> dict[str, Any]:
    """The app container with its named ports (plus metrics)."""
    name, number = PORTS[tier]
    return {"name": "app", "image": f"registry.example/{tier}:1.0",
            "ports": [{"name": name, "containerPort": number}, {"name": "metrics", "containerPort": 9100}]}


def deployment(ns: str, name: str, labels: dict[str, str], replicas: int, tier: str) -> dict[str, Any]:
    """A Deployment running `replicas` pods."""
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": labels["app"]}},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container(tier)]}}}}


def live_pods(ns: str, name: str, labels: dict[str, str], replicas: int, tier: str,
              next_ip: list[int]) -> list[dict[str, Any]]:
    """The running pods of a Deployment, owned by its ReplicaSet, with pod IPs from 10.0.0.0/8."""
    pods = []
    for index in range(replicas):
        address = next_ip[0]
        next_ip[0] += 1
        ip = f"10.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}"
        pods.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": f"{name}-7c9f8-{index:05d}", "namespace": ns, "labels": labels,
                                  "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                       "name": f"{name}-7c9f8", "controller": True}]},
                     "spec": {"containers": [container(tier)], "nodeName": f"node-{address % 50}"},
                     "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}})
    return pods


def namespace_policies(rng: random.Random, ns: str, zone: str, apps: list[tuple[str, str]]) -> list[dict]:
    """About one policy per ten pods: default deny, DNS, per-tier ingress, cross-zone, monitoring, egress."""
    policies = []
    if rng.random() < 0.9:
        policies.append(network_policy(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}))
    policies.append(network_policy(ns, "allow-dns", {
        "podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}))
    policies.append(network_policy(ns, "allow-monitoring", {
        "podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                               "podSelector": {"matchLabels": {"app": "prometheus"}}}],
                     "ports": [{"port": "metrics"}]}]}))
    for app, tier in apps:
        if rng.random() < 0.2:
            callers = {"web": ["ingress"], "api": ["web"], "worker": ["api"], "db": ["api", "worker"]}[tier]
            peers: list[dict[str, Any]] = [{"podSelector": {"matchExpressions": [
                {"key": "tier", "operator": "In", "values": callers}]}}]
            if tier == "api" and rng.random() < 0.5:
                peers.append({"namespaceSelector": {"matchExpressions": [
                    {"key": "pci-zone", "operator": "In", "values": ["connected", zone]},
                    {"key": "env", "operator": "NotIn", "values": ["dev"]}]},
                              "podSelector": {"matchLabels": {"tier": "web"}}})
            if tier == "web":
                peers = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
            policies.append(network_policy(ns, f"{app}-ingress", {
                "podSelector": {"matchLabels": {"app": app}},
                "ingress": [{"from": peers, "ports": [{"port": PORTS[tier][0]}]}]}))
        if rng.random() < 0.05:
            octet = rng.randrange(256)
            policies.append(network_policy(ns, f"{app}-egress", {
                "podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {"matchExpressions": [
                               {"key": "tier", "operator": "In", "values": ["db", "worker"]}]}}],
                            "ports": [{"port": 5432}, {"port": 8081}]},
                           {"to": [{"ipBlock": {"cidr": f"203.0.{octet}.0/24", "except": [f"203.0.{octet}.128/25"]}}],
                            "ports": [{"port": 8000, "endPort": 8100}]}]}))
    return policies


def zone_peer(*zones: str, operator: str = "In") -> dict[str, Any]:
    """A `namespaces` peer or subject: namespaces whose pci-zone is (or is not) one of `zones`."""
    return {"namespaces": {"matchExpressions": [{"key": "pci-zone", "operator": operator, "values": list(zones)}]}}


def admin_network_policies(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """`count` cluster policies: AdminNetworkPolicies of distinct priorities (guardrails, Passes, team rules) and
    one BaselineAdminNetworkPolicy."""
    def anp(name: str, priority: int, spec: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                "metadata": {"name": name}, "spec": {"priority": priority, **spec}}

    monitoring = {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    dns = {"pods": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}}
    dns_ports = [{"portNumber": {"protocol": "UDP", "port": 53}}, {"portNumber": {"protocol": "TCP", "port": 53}}]
    policies = [
        anp("allow-monitoring", 1, {"subject": {"namespaces": {}}, "ingress": [
            {"name": "scrape", "action": "Allow", "from": [monitoring], "ports": [{"namedPort": "metrics"}]}]}),
        anp("allow-dns", 2, {"subject": {"namespaces": {}}, "egress": [
            {"name": "dns", "action": "Allow", "to": [dns], "ports": dns_ports}]}),
        anp("deny-metadata", 3, {"subject": {"namespaces": {}}, "egress": [
            {"name": "imds", "action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]}]}),
        anp("cde-guardrail", 4, {"subject": zone_peer("cde"), "ingress": [
            {"name": "from-connected", "action": "Pass", "from": [zone_peer("connected", "cde")]},
            {"name": "from-system", "action": "Pass", "from": [zone_peer("system")]},
            {"name": "everyone-else", "action": "Deny", "from": [{"namespaces": {}}]}]}),
        anp("restricted-egress", 5, {"subject": zone_peer("restricted"), "egress": [
            {"name": "internal", "action": "Pass", "to": [{"namespaces": {}}]},
            {"name": "partners", "action": "Allow", "to": [{"networks": ["198.51.100.0/24"]}],
             "ports": [{"portNumber": {"protocol": "TCP", "port": 443}}]},
            {"name": "internet", "action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}]}),
    ]
    for index in range(count - len(policies) - 1):
        team = f"team-{index % 37}"
        ports = [{"portRange": {"protocol": "TCP", "start": 8000 + index, "end": 8100 + index}}]
        action = rng.choice(["Pass", "Deny", "Allow"])
        same_team = {"namespaces": {"matchLabels": {"team": team}}}
        policies.append(anp(f"{team}-isolation-{index}", 10 + index, {
            "subject": same_team,
            "ingress": [{"name": "same-team", "action": "Pass", "from": [same_team]},
                        {"name": "others", "action": action, "from": [zone_peer("cde", operator="NotIn")],
                         "ports": ports}]}))
    policies.append({"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
                     "metadata": {"name": "default"}, "spec": {"subject": {"namespaces": {}}, "ingress": [
                         {"name": "default-deny-cross-zone", "action": "Deny", "from": [zone_peer("general")]}]}})
    return policies[:count]


class Builder:
    """A cluster under construction: its manifests, live objects and the next pod IP."""

    def __init__(self) -> None:
        self.manifests: list[dict[str, Any]] = []
        self.live: list[dict[str, Any]] = []
        self.next_ip = [1]

    def add_namespace(self, name: str, labels: dict[str, str]) -> None:
        """A Namespace, in both forms."""
        self.manifests.append(namespace(name, labels))
        self.live.append(namespace(name, labels))

    def add_workload(self, ns: str, name: str, labels: dict[str, str], replicas: int, tier: str) -> None:
        """A Deployment and its running pods."""
        self.manifests.append(deployment(ns, name, labels, replicas, tier))
        self.live.extend(live_pods(ns, name, labels, replicas, tier, self.next_ip))

    def add_system(self) -> None:
        """kube-system (DNS), monitoring (Prometheus) and ingress-nginx: five pods."""
        for name, labels in (("kube-system", {}), ("monitoring", {"pci-zone": "system"}),
                             ("ingress-nginx", {"pci-zone": "system"})):
            self.add_namespace(name, labels)
        self.add_workload("kube-system", "coredns", {"app": "coredns", "k8s-app": "kube-dns", "tier": "api"}, 2, "api")
        self.add_workload("monitoring", "prometheus", {"app": "prometheus", "tier": "worker"}, 1, "worker")
        self.add_workload("ingress-nginx", "controller", {"app": "ingress", "tier": "ingress"}, 2, "web")

    def add_apps(self, rng: random.Random, ns: str, budget: int, replicas: tuple[int, int]) -> list[tuple[str, str]]:
        """Deployments of random tiers with `replicas` (lowest, highest) pods each, `budget` pods in all."""
        apps: list[tuple[str, str]] = []
        while budget > 0:
            tier = rng.choice(TIERS)
            count = min(budget, rng.randint(*replicas))
            app = f"{tier}-{len(apps)}"
            self.add_workload(ns, app, {"app": app, "tier": tier, "version": f"v{rng.randint(1, 3)}"}, count, tier)
            apps.append((app, tier))
            budget -= count
        return apps

    def cluster(self) -> Cluster:
        """The cluster: live objects are the pods and namespaces plus every manifest but Deployments."""
        live = self.live + [o for o in self.manifests if o["kind"] not in ("Namespace", "Deployment")]
        return Cluster(self.manifests, live)


PolicyMaker = Callable[[random.Random, str, str, list[tuple[str, str]]], list[dict[str, Any]]]


def add_teams(rng: random.Random, builder: Builder, pods: int, per_namespace: int, replicas: tuple[int, int],
              policies: PolicyMaker) -> None:
    """Namespaces `team-NNNN` of about `per_namespace` pods each, `pods` pods in all, with their policies."""
    namespaces = max(1, pods // per_namespace)
    for index in range(namespaces):
        ns = f"team-{index:04d}"
        zone = rng.choices([z for z, _ in ZONES], [w for _, w in ZONES])[0]
        builder.add_namespace(ns, {"pci-zone": zone, "team": f"team-{index % 37}",
                                   "env": rng.choice(["prod", "prod", "dev"])})
        budget = pods // namespaces + (1 if index < pods % namespaces else 0)
        apps = builder.add_apps(rng, ns, budget, replicas)
        builder.manifests += policies(rng, ns, zone, apps)


def generate(pods: int, seed: int = 1, admin_policies: int = 0) -> Cluster:
    """A cluster of about `pods` pods (exactly, in live form), with `admin_policies` cluster policies."""
    rng = random.Random(seed)
    builder = Builder()
    builder.add_system()
    add_teams(rng, builder, pods - 5, 100, (1, 5), namespace_policies)
    if admin_policies:
        builder.manifests += admin_network_policies(rng, admin_policies)
    return builder.cluster()


def dense_policies(rng: random.Random, ns: str, zone: str, apps: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Three policies with broad peers, none selecting the worker tier: databases open to the zone, APIs to
    every namespace and the pod network, and either an egress guard to the team's namespaces (two namespaces
    in three) or web pods of version v1 open to the system namespaces."""
    policies = [
        network_policy(ns, "db-from-zone", {
            "podSelector": {"matchLabels": {"tier": "db"}},
            "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [
                {"key": "pci-zone", "operator": "In", "values": [zone, "connected"]}]}}],
                "ports": [{"port": "postgres"}, {"port": "metrics"}]}]}),
        network_policy(ns, "api-from-cluster", {
            "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["api"]}]},
            "ingress": [{"from": [{"namespaceSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/8"}}],
                         "ports": [{"port": "grpc"}, {"port": 9100}]}]})]
    if rng.random() < 0.67:
        team = f"team-{int(ns.split('-')[1]) % 37}"
        policies.append(network_policy(ns, "egress-team", {
            "podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": team}}},
                               {"namespaceSelector": {"matchLabels": {"pci-zone": "system"}}}]},
                       {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
                        "ports": [{"port": 443}]}]}))
    else:
        policies.append(network_policy(ns, "web-from-ingress", {
            "podSelector": {"matchLabels": {"tier": "web", "version": "v1"}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"pci-zone": "system"}}}],
                         "ports": [{"port": "http"}]}]}))
    return policies


def dense(pods: int, seed: int = 1) -> Cluster:
    """A cluster with dense reachability: namespaces of about 50 pods, three policies each with broad peers,
    and the web and worker tiers (about half of the pods) unisolated."""
    rng = random.Random(seed)
    builder = Builder()
    builder.add_system()
    add_teams(rng, builder, pods - 5, 50, (15, 45), dense_policies)
    return builder.cluster()


def flat(pods: int) -> Cluster:
    """One namespace, `flat`, of `pods` pods that no policy isolates: every pod reaches every other pod."""
    builder = Builder()
    builder.add_namespace("flat", {"pci-zone": "general"})
    for index in range(0, pods, 50):
        tier = TIERS[index // 50 % len(TIERS)]
        app = f"{tier}-{index // 50}"
        builder.add_workload("flat", app, {"app": app, "tier": tier}, min(50, pods - index), tier)
    return builder.cluster()


SHAPES: dict[str, Callable[[int, int], Cluster]] = {
    "default": generate, "dense": dense, "flat": lambda pods, seed: flat(pods)}


def main() -> None:
    """Write a generated cluster as a JSON List (fast to read) or YAML."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="default",
                        help="default: about one policy per ten pods; dense: broad peers, many unisolated pods; "
                             "flat: one namespace without policies")
    parser.add_argument("--admin-policies", type=int, default=0,
                        help="cluster-scoped admin policies to add (default shape only)")
    parser.add_argument("--live", action="store_true", help="running pods instead of Deployments")
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    if args.admin_policies and args.shape != "default":
        parser.error("--admin-policies applies to the default shape only")
    cluster = generate(args.pods, args.seed, args.admin_policies) if args.shape == "default" else \
        SHAPES[args.shape](args.pods, args.seed)
    document = {"apiVersion": "v1", "kind": "List", "items": cluster.live if args.live else cluster.manifests}
    if args.out.endswith((".yaml", ".yml")):
        import yaml
        text = yaml.dump(document, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
    else:
        text = json.dumps(document)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
