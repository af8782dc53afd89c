"""Policy kinds that change reachability but that segproof does not model (yet): Cilium's, and Calico's
HostEndpoints (they put host interfaces, and so host-network pods, under Calico's policies).

When any exist, reachability-based results must say the analysis is incomplete and name them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyKind:
    """A policy resource outside networking.k8s.io/v1 NetworkPolicy."""

    group: str
    kind: str
    plural: str
    name: str
    namespaced: bool


UNMODELLED_POLICY_KINDS = (
    # Calico's API server's group first: a cluster serving both groups is counted once, through it.
    PolicyKind("projectcalico.org", "HostEndpoint", "hostendpoints", "Calico HostEndpoint", False),
    PolicyKind("crd.projectcalico.org", "HostEndpoint", "hostendpoints", "Calico HostEndpoint", False),
    PolicyKind("cilium.io", "CiliumNetworkPolicy", "ciliumnetworkpolicies", "CiliumNetworkPolicy", True),
    PolicyKind("cilium.io", "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies",
               "CiliumClusterwideNetworkPolicy", False),
)
BY_GROUP_AND_KIND = {(k.group, k.kind): k for k in UNMODELLED_POLICY_KINDS}


def describe_unmodelled(unmodelled: Mapping[str, int | None]) -> str:
    """`AdminNetworkPolicy (count unknown), CiliumNetworkPolicy (3)`: the unmodelled kinds with their counts."""
    return ", ".join(f"{kind} ({'count unknown' if count is None else count})" for kind, count in
                     sorted(unmodelled.items()))
