"""Cluster-scoped policies of ordered tiers (kubernetes-sigs/network-policy-api), normalised into one shape:
ClusterNetworkPolicy (v1alpha2: tier Admin or Baseline), AdminNetworkPolicy (v1alpha1: the Admin tier) and
BaselineAdminNetworkPolicy (v1alpha1: the Baseline tier, a singleton named `default`).

A policy selects its subject pods (never host-network pods) and holds ordered rules per direction, each with an
action: Allow (ClusterNetworkPolicy's Accept), Deny, or Pass (leave this tier). Within a tier, policies are
evaluated by priority (lower first; Baseline policies of v1alpha1 have none), then rules in order; the first
rule that matches a connection decides it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.model.objects import Node
from compliance.model.policy import IPBlock, PortSpec
from compliance.model.selectors import LabelSelector
from compliance.model.values import TextEnum

ADMIN_NETWORK_POLICY = "AdminNetworkPolicy"
BASELINE_ADMIN_NETWORK_POLICY = "BaselineAdminNetworkPolicy"
CLUSTER_NETWORK_POLICY = "ClusterNetworkPolicy"
CLUSTER_POLICY_KINDS = (ADMIN_NETWORK_POLICY, BASELINE_ADMIN_NETWORK_POLICY, CLUSTER_NETWORK_POLICY)
API_GROUP = "policy.networking.k8s.io"
API_VERSIONS = {ADMIN_NETWORK_POLICY: f"{API_GROUP}/v1alpha1", BASELINE_ADMIN_NETWORK_POLICY: f"{API_GROUP}/v1alpha1",
                CLUSTER_NETWORK_POLICY: f"{API_GROUP}/v1alpha2"}


EVERYTHING = LabelSelector()


class Tier(TextEnum):
    """Where a cluster policy sits: before NetworkPolicies (Admin) or after them (Baseline)."""

    ADMIN = "Admin"
    BASELINE = "Baseline"


class Action(TextEnum):
    """What a matching rule does with the ports it covers."""

    ALLOW = "Allow"
    DENY = "Deny"
    PASS = "Pass"
    LOG = "Log"  # Calico only: logs the packet and decides nothing


@dataclass(frozen=True)
class PodPeer:
    """Pods of the namespaces `namespace_selector` matches whose labels `pod_selector` matches (a `namespaces`
    peer is every pod of its namespaces); host-network pods never match."""

    namespace_selector: LabelSelector
    pod_selector: LabelSelector = EVERYTHING

    def describe(self) -> str:
        """`pods {app=web} in namespaces {team=x}`."""
        pods = "all pods" if self.pod_selector.is_empty else f"pods {self.pod_selector.describe()}"
        return f"{pods} in namespaces {self.namespace_selector.describe()}"


@dataclass(frozen=True)
class NetworksPeer:
    """Address blocks (egress only); like an ipBlock, they also match the pods whose IPs they contain."""

    blocks: tuple[IPBlock, ...]

    def describe(self) -> str:
        """`networks 10.0.0.0/8, 192.168.0.0/16`."""
        return "networks " + ", ".join(block.describe() for block in self.blocks)


@dataclass(frozen=True)
class NodesPeer:
    """The addresses of the nodes a selector matches (egress only); like networks, they also match the pods with
    those IPs (host-network pods)."""

    node_selector: LabelSelector

    def describe(self) -> str:
        """`nodes {role=worker}`."""
        return f"nodes {self.node_selector.describe()}"

    def blocks(self, nodes: Iterable[Node]) -> tuple[IPBlock, ...]:
        """One single-address block per IP of each node the selector matches."""
        return tuple(IPBlock(ipaddress.ip_network(ip)) for node in nodes
                     if self.node_selector.matches(dict(node.labels)) for ip in node.ips)


@dataclass(frozen=True)
class DomainNamesPeer:
    """Destinations by domain name (egress, Allow rules only), which no static analysis can resolve."""

    names: tuple[str, ...]

    def describe(self) -> str:
        """`domain names example.com, *.example.org`."""
        return "domain names " + ", ".join(self.names)


ClusterPeer = PodPeer | NetworksPeer | NodesPeer | DomainNamesPeer


@dataclass(frozen=True)
class ClusterRule:
    """One rule: its name, action, peers (at least one), and ports (None = every port; a named port with the
    protocol '' is a container port of that name in whichever protocol it declares)."""

    name: str
    action: Action
    peers: tuple[ClusterPeer, ...]
    ports: tuple[PortSpec, ...] | None


@dataclass(frozen=True)
class ClusterPolicy:
    """A cluster-scoped policy of the Admin or Baseline tier; `spec` keeps the spec exactly as given."""

    kind: str
    name: str
    tier: Tier
    priority: int
    subject: PodPeer
    ingress: tuple[ClusterRule, ...]
    egress: tuple[ClusterRule, ...]
    uid: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        """`AdminNetworkPolicy/name`, the policy's name in every output."""
        return f"{self.kind}/{self.name}"

    @property
    def order(self) -> tuple[int, int, str]:
        """Its place in evaluation: the Admin tier before the Baseline tier, then priority (lower first), then key."""
        return (0 if self.tier is Tier.ADMIN else 1, self.priority, self.key)

    @property
    def shown_priority(self) -> int | None:
        """The priority as outputs show it: none for a BaselineAdminNetworkPolicy, a singleton without one."""
        return None if self.kind == BASELINE_ADMIN_NETWORK_POLICY else self.priority

    @property
    def namespace(self) -> str:
        """Always "": the policy is cluster-scoped."""
        return ""

    def rules(self, direction: str) -> tuple[ClusterRule, ...]:
        """The rules of one direction ("ingress" or "egress"), in order."""
        return self.ingress if direction == "ingress" else self.egress
