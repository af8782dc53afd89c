"""Small builders for Kubernetes objects, and the two evaluators side by side, for engine tests."""

from __future__ import annotations

import ipaddress
from typing import Any

from compliance.model.snapshot import Snapshot
from compliance.netpol.cilium import tiered_objects
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, PortSet, single_protocol
from compliance.netpol.reachability import ReachabilityMap, analyse_snapshot
from compliance.netpol.verdict import Endpoint, PolicyContext
from compliance.sources.manifests import snapshot_of_objects


def namespace(name: str, **labels: str) -> dict[str, Any]:
    """A Namespace manifest."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(ref: str, labels: dict[str, str] | None = None, ports: tuple = (), ip: str | None = None,
        host_network: bool = False) -> dict[str, Any]:
    """A bare Pod manifest; ref is `ns/name`; ports are (name, number[, protocol]) tuples."""
    ns, name = ref.split("/")
    container_ports = [{"name": p[0], "containerPort": p[1], "protocol": p[2] if len(p) > 2 else "TCP"}
                       if p[0] else {"containerPort": p[1]} for p in ports]
    obj: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"containers": [{"name": "main", "ports": container_ports}], "hostNetwork": host_network},
    }
    if ip:
        obj["status"] = {"podIP": ip}
    return obj


def policy(ref: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A NetworkPolicy manifest; ref is `ns/name`; `podSelector: {}` unless the spec sets one."""
    ns, name = ref.split("/")
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": {"podSelector": {}, **spec}}


def node(name: str, *ips: str, **labels: str) -> dict[str, Any]:
    """A Node manifest with InternalIP addresses."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "status": {"addresses": [{"type": "InternalIP", "address": ip} for ip in ips]}}


def cluster_policy(kind: str, name: str, spec: dict[str, Any], priority: int | None = None,
                   tier: str | None = None) -> dict[str, Any]:
    """An AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy manifest; its subject is every
    namespace unless the spec sets one."""
    version = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    full: dict[str, Any] = {"subject": {"namespaces": {}}, **spec}
    if priority is not None:
        full["priority"] = priority
    if tier is not None:
        full["tier"] = tier
    return {"apiVersion": f"policy.networking.k8s.io/{version}", "kind": kind, "metadata": {"name": name},
            "spec": full}


def admin(name: str, priority: int, spec: dict[str, Any]) -> dict[str, Any]:
    """An AdminNetworkPolicy manifest."""
    return cluster_policy("AdminNetworkPolicy", name, spec, priority)


def baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """The BaselineAdminNetworkPolicy manifest (named `default`)."""
    return cluster_policy("BaselineAdminNetworkPolicy", "default", spec)


def cluster(*objects: dict[str, Any]) -> Snapshot:
    """A Snapshot of manifests."""
    return snapshot_of_objects(objects, {"type": "test"}, "2026-01-01T00:00:00Z")


def ports(text: str) -> PortSet:
    """A port set from `all`, `none` or e.g. `TCP 80,8000-8100; UDP 53; SCTP all`."""
    if text == "all":
        return ALL_PORTS
    result = NO_PORTS
    if text == "none":
        return result
    for part in text.split(";"):
        protocol, _, numbers = part.strip().partition(" ")
        for item in numbers.split(","):
            low, _, high = item.replace("all", "1-65535").partition("-")
            result = result | single_protocol(protocol, ((int(low), int(high or low)),))
    return result


class Evaluators:
    """The class-based engine and the per-pod reference on one snapshot, queried by endpoint name."""

    def __init__(self, snapshot: Snapshot, options: AnalysisOptions | None = None) -> None:
        options = options or AnalysisOptions()
        self.snapshot = snapshot
        self.reach: ReachabilityMap = analyse_snapshot(snapshot, options)
        self.context = PolicyContext(snapshot.policies, snapshot.namespace_labels(), options,
                                     snapshot.cluster_policies, snapshot.nodes, tiered_objects(snapshot, options))
        self.pods = {p.display: p for p in snapshot.pods}
        self.class_of = {p.display: c.index for c in self.reach.classes for p in c.pods}

    def endpoint(self, name: str) -> Endpoint:
        """A pod by `ns/name`, else an address."""
        return Endpoint(pod=self.pods[name]) if name in self.pods else Endpoint(address=ipaddress.ip_address(name))

    def reference(self, source: str, destination: str) -> PortSet:
        """Allowed ports by the per-pod reference."""
        return self.context.connection(self.endpoint(source), self.endpoint(destination)).ports

    def reference_ambiguous(self, source: str, destination: str) -> PortSet:
        """Ports the per-pod reference finds ambiguous (equal priorities ordered either way)."""
        return self.context.connection(self.endpoint(source), self.endpoint(destination)).ambiguous

    def engine(self, source: str, destination: str) -> PortSet:
        """Allowed ports by the class-based engine."""
        if source in self.pods and destination in self.pods:
            return self.reach.ports_between(self.class_of[source], self.class_of[destination])
        if source in self.pods:
            return self.reach.egress_to_address(self.class_of[source], destination)
        return self.reach.ingress_from_address(source, self.class_of[destination])

    def engine_ambiguous(self, source: str, destination: str) -> PortSet:
        """Ports the class-based engine finds ambiguous."""
        if source in self.pods and destination in self.pods:
            return self.reach.ambiguous_between(self.class_of[source], self.class_of[destination])
        if source in self.pods:
            return self.reach.ambiguous_to_address(self.class_of[source], destination)
        return self.reach.ambiguous_from_address(source, self.class_of[destination])

    def reference_filtered(self, source: str, destination: str) -> PortSet:
        """Ports the per-pod reference finds allowed only through rules with L7 rules."""
        return self.context.connection(self.endpoint(source), self.endpoint(destination)).filtered

    def engine_filtered(self, source: str, destination: str) -> PortSet:
        """Ports the class-based engine finds allowed only through rules with L7 rules."""
        if source in self.pods and destination in self.pods:
            return self.reach.filtered_between(self.class_of[source], self.class_of[destination])
        if source in self.pods:
            return self.reach.filtered_to_address(self.class_of[source], destination)
        return self.reach.filtered_from_address(source, self.class_of[destination])
