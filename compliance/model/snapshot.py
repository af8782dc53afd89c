"""The Snapshot: every object segproof analyses, plus where and when it came from."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from compliance.model.calico_policy import API_GROUP as CALICO_GROUP
from compliance.model.calico_policy import (
    CALICO_NETWORK_POLICY,
    GLOBAL_NETWORK_POLICY,
    CalicoPolicy,
    CalicoTier,
    NetworkSet,
    ServiceAccount,
)
from compliance.model.cilium_policy import API_VERSION as CILIUM_VERSION
from compliance.model.cilium_policy import CILIUM_CLUSTERWIDE_POLICY, CILIUM_NETWORK_POLICY, CiliumPolicy
from compliance.model.cluster_policy import API_VERSIONS, CLUSTER_POLICY_KINDS, ClusterPolicy
from compliance.model.objects import NAMESPACE_NAME_LABEL, Namespace, Node, Pod, Service
from compliance.model.policy import NetworkPolicy
from compliance.model.policy_identity import AnyPolicy
from compliance.model.selectors import Labels

SNAPSHOT_FORMAT = "segproof.snapshot/v4"
# v3 is v4 without Cilium's lists, v2 is v3 without Calico's lists and pods' service accounts, v1 is v2 without the
# cluster policies' lists; each reads as a cluster without them.
READABLE_FORMATS = ("segproof.snapshot/v1", "segproof.snapshot/v2", "segproof.snapshot/v3", SNAPSHOT_FORMAT)
CLUSTER_POLICY_LISTS = {kind: kind.lower().removesuffix("y") + "ies" for kind in CLUSTER_POLICY_KINDS}
CALICO_VERSION = f"{CALICO_GROUP}/v3"  # Calico's objects are written in its API group, however they were read
# the snapshot's lists of Calico's objects and service accounts: (kind, apiVersion) by list name
CALICO_LISTS = {"tiers": ("Tier", CALICO_VERSION), "caliconetworkpolicies": (CALICO_NETWORK_POLICY, CALICO_VERSION),
                "globalnetworkpolicies": (GLOBAL_NETWORK_POLICY, CALICO_VERSION),
                "networksets": ("NetworkSet", CALICO_VERSION),
                "globalnetworksets": ("GlobalNetworkSet", CALICO_VERSION),
                "serviceaccounts": ("ServiceAccount", "v1")}
# the snapshot's lists of Cilium's policies: (kind, apiVersion) by list name
CILIUM_LISTS = {"ciliumnetworkpolicies": (CILIUM_NETWORK_POLICY, CILIUM_VERSION),
                "ciliumclusterwidenetworkpolicies": (CILIUM_CLUSTERWIDE_POLICY, CILIUM_VERSION)}


@dataclass(frozen=True)
class Snapshot:
    """Cluster state from one source, with objects sorted by namespace and name.

    `skipped` counts input objects of kinds segproof does not use; `unmodelled` counts what changes reachability
    but is not modelled (policy kinds such as Calico's HostEndpoints, other versions of modelled kinds, and parts
    of Cilium's policies: host policies, fromRequires/toRequires, CIDR groups), so every reachability-based result
    built on this snapshot must say it is incomplete. `cluster_policies` are the cluster-scoped tiers' policies
    (AdminNetworkPolicy, BaselineAdminNetworkPolicy, ClusterNetworkPolicy), sorted by kind and name; `nodes` are
    the Nodes, read where the nodes peers of cluster policies need their addresses. `calico_policies` (Calico
    NetworkPolicies and GlobalNetworkPolicies), `calico_tiers`, `network_sets` (NetworkSets and
    GlobalNetworkSets) and `service_accounts` (names and labels) are Calico's objects and what its rules select.
    `cilium_policies` are the CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies, sorted by identity.
    """

    source: Mapping[str, Any]
    collected_at: str
    namespaces: tuple[Namespace, ...]
    pods: tuple[Pod, ...]
    services: tuple[Service, ...]
    policies: tuple[NetworkPolicy, ...]
    skipped: Mapping[str, int] = field(default_factory=dict)
    unmodelled: Mapping[str, int | None] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    cluster_policies: tuple[ClusterPolicy, ...] = ()
    nodes: tuple[Node, ...] = ()
    calico_policies: tuple[CalicoPolicy, ...] = ()
    calico_tiers: tuple[CalicoTier, ...] = ()
    network_sets: tuple[NetworkSet, ...] = ()
    service_accounts: tuple[ServiceAccount, ...] = ()
    cilium_policies: tuple[CiliumPolicy, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Whether the snapshot holds no namespace, pod, service, policy, tier or network set at all."""
        return not (self.namespaces or self.pods or self.services or self.policies or self.cluster_policies
                    or self.calico_policies or self.calico_tiers or self.network_sets or self.cilium_policies)

    @property
    def all_policies(self) -> tuple[AnyPolicy, ...]:
        """The NetworkPolicies, then the cluster policies, then Calico's policies, then Cilium's."""
        return (*self.policies, *self.cluster_policies, *self.calico_policies, *self.cilium_policies)

    def namespace_names(self) -> list[str]:
        """Every namespace the snapshot holds something in, with or without a Namespace object, sorted."""
        named = {namespace.name for namespace in self.namespaces}
        for objects in (self.pods, self.services, self.policies, self.calico_policies, self.network_sets,
                        self.service_accounts, self.cilium_policies):
            named.update(item.namespace for item in objects)
        named.discard("")  # GlobalNetworkPolicies, GlobalNetworkSets and clusterwide Cilium policies are in none
        return sorted(named)

    def restricted_to(self, namespaces: tuple[str, ...]) -> Snapshot:
        """The part of the snapshot in the given namespaces (all of it when none are given)."""
        if not namespaces:
            return self
        keep = set(namespaces)
        return replace(self, namespaces=tuple(n for n in self.namespaces if n.name in keep),
                       pods=tuple(p for p in self.pods if p.namespace in keep),
                       services=tuple(s for s in self.services if s.namespace in keep),
                       policies=tuple(p for p in self.policies if p.namespace in keep),
                       calico_policies=tuple(p for p in self.calico_policies if p.namespace in keep or not p.namespace),
                       cilium_policies=tuple(p for p in self.cilium_policies if p.namespace in keep or not p.namespace),
                       network_sets=tuple(s for s in self.network_sets if s.namespace in keep or not s.namespace),
                       service_accounts=tuple(s for s in self.service_accounts if s.namespace in keep))

    def namespace_labels(self) -> dict[str, dict[str, str]]:
        """Labels of every namespace by name."""
        return {namespace.name: dict(namespace.labels) for namespace in self.namespaces}

    def topology_labels(self) -> dict[str, Labels]:
        """Labels of every namespace, including namespaces only its pods name."""
        labels = {namespace.name: namespace.labels for namespace in self.namespaces}
        for pod in self.pods:
            labels.setdefault(pod.namespace, ((NAMESPACE_NAME_LABEL, pod.namespace),))
        return labels


def metadata_document(namespace: str, name: str, labels: Labels, uid: str, **extra: Any) -> dict[str, Any]:
    """Trimmed Kubernetes metadata: only what segproof uses."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if uid:
        metadata["uid"] = uid
    if labels:
        metadata["labels"] = dict(labels)
    metadata.update({key: value for key, value in extra.items() if value})
    return metadata


def namespace_document(namespace: Namespace) -> dict[str, Any]:
    """A Namespace as trimmed Kubernetes JSON."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": metadata_document("", namespace.name, namespace.labels, namespace.uid)}


def node_document(node: Node) -> dict[str, Any]:
    """A Node as trimmed Kubernetes JSON: name, labels and IP addresses."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": metadata_document("", node.name, node.labels, node.uid),
            "status": {"addresses": [{"type": kind, "address": address} for kind, address in node.addresses]}}


def pod_document(pod: Pod) -> dict[str, Any]:
    """A Pod as trimmed Kubernetes JSON: labels, owner, container ports, host network, IPs; nothing else."""
    owners = [] if pod.workload.kind == "Pod" else [
        {"kind": pod.workload.kind, "name": pod.workload.name, "controller": True}]
    containers: dict[str, list[dict[str, Any]]] = {}
    for port in pod.ports:
        entry = {"containerPort": port.port, "protocol": port.protocol}
        if port.name:
            entry["name"] = port.name
        if port.host_port:
            entry["hostPort"] = port.host_port
        containers.setdefault(port.container, []).append(entry)
    spec: dict[str, Any] = {"containers": [{"name": name, "ports": ports} for name, ports in containers.items()]}
    if pod.host_network:
        spec["hostNetwork"] = True
    if pod.node_name:
        spec["nodeName"] = pod.node_name
    if pod.service_account != "default":
        spec["serviceAccountName"] = pod.service_account
    status: dict[str, Any] = {}
    if pod.phase:
        status["phase"] = pod.phase
    if pod.ips:
        status["podIP"] = pod.ips[0]
        status["podIPs"] = [{"ip": ip} for ip in pod.ips]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": metadata_document(pod.namespace, pod.name, pod.labels, pod.uid, ownerReferences=owners),
            "spec": spec, "status": status}


def service_document(service: Service) -> dict[str, Any]:
    """A Service as trimmed Kubernetes JSON."""
    ports = []
    for port in service.ports:
        entry: dict[str, Any] = {"port": port.port, "protocol": port.protocol}
        if port.name:
            entry["name"] = port.name
        if port.target_port is not None:
            entry["targetPort"] = port.target_port
        ports.append(entry)
    spec: dict[str, Any] = {"type": service.type, "ports": ports}
    if service.selector:
        spec["selector"] = dict(service.selector)
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": metadata_document(service.namespace, service.name, service.labels, service.uid),
            "spec": spec}


def policy_document(policy: NetworkPolicy) -> dict[str, Any]:
    """A NetworkPolicy as Kubernetes JSON, its spec exactly as given."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": metadata_document(policy.namespace, policy.name, policy.labels, policy.uid),
            "spec": json.loads(json.dumps(policy.spec, sort_keys=True))}


def cluster_policy_document(policy: ClusterPolicy) -> dict[str, Any]:
    """A cluster policy as Kubernetes JSON, its spec exactly as given."""
    return {"apiVersion": API_VERSIONS[policy.kind], "kind": policy.kind,
            "metadata": metadata_document("", policy.name, policy.labels, policy.uid),
            "spec": json.loads(json.dumps(policy.spec, sort_keys=True))}


def calico_policy_document(policy: CalicoPolicy) -> dict[str, Any]:
    """A Calico NetworkPolicy or GlobalNetworkPolicy as projectcalico.org/v3 JSON, its spec exactly as given."""
    return {"apiVersion": CALICO_VERSION, "kind": policy.kind,
            "metadata": metadata_document(policy.namespace, policy.name, policy.labels, policy.uid),
            "spec": json.loads(json.dumps(policy.spec, sort_keys=True))}


def cilium_policy_document(policy: CiliumPolicy) -> dict[str, Any]:
    """A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy as cilium.io/v2 JSON, its spec and specs exactly as
    given."""
    return {"apiVersion": CILIUM_VERSION, "kind": policy.kind,
            "metadata": metadata_document(policy.namespace, policy.name, policy.labels, policy.uid),
            **json.loads(json.dumps(policy.spec, sort_keys=True))}


def tier_document(tier: CalicoTier) -> dict[str, Any]:
    """A Tier as projectcalico.org/v3 JSON: its order (when set) and default action."""
    spec: dict[str, Any] = {} if tier.order is None else {"order": tier.order}
    spec["defaultAction"] = tier.default_action.value
    return {"apiVersion": CALICO_VERSION, "kind": "Tier",
            "metadata": metadata_document("", tier.name, tier.labels, tier.uid), "spec": spec}


def network_set_document(network_set: NetworkSet) -> dict[str, Any]:
    """A NetworkSet or GlobalNetworkSet as projectcalico.org/v3 JSON."""
    return {"apiVersion": CALICO_VERSION, "kind": network_set.kind,
            "metadata": metadata_document(network_set.namespace, network_set.name, network_set.labels,
                                          network_set.uid),
            "spec": {"nets": [str(net) for net in network_set.nets]}}


def service_account_document(account: ServiceAccount) -> dict[str, Any]:
    """A ServiceAccount: name, namespace and labels."""
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": metadata_document(account.namespace, account.name, account.labels, "")}


def snapshot_document(snapshot: Snapshot, lazy: bool = False) -> dict[str, Any]:
    """The snapshot in its file format (`segproof.snapshot/v4`), every list sorted; with `lazy`, each list of
    objects is an iterator building their documents as it is read (for a writer that streams)."""
    def documents(function: Callable[[Any], dict[str, Any]], objects: list[Any]) -> Iterable[dict[str, Any]]:
        return map(function, objects) if lazy else [function(item) for item in objects]

    return {
        "format": SNAPSHOT_FORMAT,
        "source": dict(snapshot.source),
        "collected_at": snapshot.collected_at,
        "objects": {
            "namespaces": documents(namespace_document, sorted(snapshot.namespaces, key=lambda n: n.name)),
            "pods": documents(pod_document, sorted(snapshot.pods, key=lambda p: (p.namespace, p.name))),
            "services": documents(service_document, sorted(snapshot.services, key=lambda s: (s.namespace, s.name))),
            "networkpolicies": documents(policy_document, sorted(snapshot.policies, key=lambda p: p.key)),
            **{plural: documents(cluster_policy_document, sorted((p for p in snapshot.cluster_policies
                                                                  if p.kind == kind), key=lambda p: p.name))
               for kind, plural in CLUSTER_POLICY_LISTS.items()},
            "nodes": documents(node_document, sorted(snapshot.nodes, key=lambda n: n.name)),
            "tiers": documents(tier_document, sorted(snapshot.calico_tiers, key=lambda t: t.name)),
            **{plural: documents(calico_policy_document, sorted((p for p in snapshot.calico_policies
                                                                 if p.kind == kind), key=lambda p: p.key))
               for plural, kind in (("caliconetworkpolicies", CALICO_NETWORK_POLICY),
                                    ("globalnetworkpolicies", GLOBAL_NETWORK_POLICY))},
            **{plural: documents(network_set_document, sorted((s for s in snapshot.network_sets
                                                               if bool(s.namespace) is namespaced),
                                                              key=lambda s: (s.namespace, s.name)))
               for plural, namespaced in (("networksets", True), ("globalnetworksets", False))},
            "serviceaccounts": documents(service_account_document, sorted(
                snapshot.service_accounts, key=lambda s: (s.namespace, s.name))),
            **{plural: documents(cilium_policy_document, sorted((p for p in snapshot.cilium_policies
                                                                 if p.kind == kind), key=lambda p: p.key))
               for plural, (kind, _) in CILIUM_LISTS.items()},
        },
        "skipped": dict(sorted(snapshot.skipped.items())),
        "unmodelled": dict(sorted(snapshot.unmodelled.items())),
        "warnings": sorted(snapshot.warnings),
    }
