"""Every policy kind under one identity, for what tracks policies across states (history, drift, simulations, the
comparison of packs): a NetworkPolicy is `ns/name`, a cluster-scoped policy `Kind/name` (`AdminNetworkPolicy/cde`),
a Calico NetworkPolicy `CalicoNetworkPolicy/ns/name` and a GlobalNetworkPolicy `GlobalNetworkPolicy/name`, a
CiliumNetworkPolicy `CiliumNetworkPolicy/ns/name` and a CiliumClusterwideNetworkPolicy
`CiliumClusterwideNetworkPolicy/name`. Namespace names are lowercase DNS labels, so an identity that starts with a
kind is never a namespace's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from compliance.model.calico_policy import CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY, CalicoPolicy
from compliance.model.cilium_policy import CILIUM_CLUSTERWIDE_POLICY, CILIUM_KINDS, CILIUM_NETWORK_POLICY, CiliumPolicy
from compliance.model.cluster_policy import CLUSTER_POLICY_KINDS, ClusterPolicy
from compliance.model.policy import NETWORK_POLICY, NetworkPolicy

AnyPolicy = NetworkPolicy | ClusterPolicy | CalicoPolicy | CiliumPolicy
CALICO_NAMESPACED = f"Calico{CALICO_NETWORK_POLICY}"  # the first part of a Calico NetworkPolicy's identity
CALICO_IDENTITY_KINDS = (CALICO_NAMESPACED, GLOBAL_NETWORK_POLICY)
CILIUM_IDENTITY_KINDS = CILIUM_KINDS
NAMESPACED_IDENTITY_KINDS = (CALICO_NAMESPACED, CILIUM_NETWORK_POLICY)  # `Kind/ns/name`
CLUSTER_SCOPED_KINDS = (*CLUSTER_POLICY_KINDS, GLOBAL_NETWORK_POLICY, CILIUM_CLUSTERWIDE_POLICY)  # `Kind/name`


def identity(kind: str, namespace: str, name: str) -> str:
    """`ns/name` for a NetworkPolicy, `Kind/name` for a cluster-scoped policy (a GlobalNetworkPolicy and a
    CiliumClusterwideNetworkPolicy too), `Kind/ns/name` for a Calico NetworkPolicy (`CalicoNetworkPolicy`, as the
    identity names it) and a CiliumNetworkPolicy."""
    if kind in NAMESPACED_IDENTITY_KINDS:
        return f"{kind}/{namespace}/{name}"
    return f"{kind}/{name}" if kind in CLUSTER_SCOPED_KINDS else f"{namespace}/{name}"


def kind_of(key: str) -> str:
    """The kind an identity names: the policy kind before the first `/`, else NetworkPolicy."""
    first = key.partition("/")[0]
    return first if first in (*CLUSTER_POLICY_KINDS, *CALICO_IDENTITY_KINDS, *CILIUM_IDENTITY_KINDS) else NETWORK_POLICY


def identity_order(key: str) -> tuple[int, str, str]:
    """Sort key of identities: NetworkPolicies by namespace and name, then cluster policies by kind and name, then
    Calico's policies, then Cilium's, by kind, (namespace) and name."""
    first, _, name = key.partition("/")
    group = (1 if first in CLUSTER_POLICY_KINDS else 2 if first in CALICO_IDENTITY_KINDS
             else 3 if first in CILIUM_IDENTITY_KINDS else 0)
    return group, first, name


def split_policies(policies: Iterable[AnyPolicy]
                   ) -> tuple[list[NetworkPolicy], list[ClusterPolicy], list[CalicoPolicy], list[CiliumPolicy]]:
    """(the NetworkPolicies, the cluster policies, Calico's policies, Cilium's policies), each in the given order."""
    network: list[NetworkPolicy] = []
    tiered: list[ClusterPolicy] = []
    calico: list[CalicoPolicy] = []
    cilium: list[CiliumPolicy] = []
    for policy in policies:
        if isinstance(policy, NetworkPolicy):
            network.append(policy)
        elif isinstance(policy, CalicoPolicy):
            calico.append(policy)
        elif isinstance(policy, CiliumPolicy):
            cilium.append(policy)
        else:
            tiered.append(policy)
    return network, tiered, calico, cilium


def policy_specs(policies: Iterable[AnyPolicy]) -> dict[str, Mapping[str, Any]]:
    """The specs as given, by identity."""
    return {policy.key: policy.spec for policy in policies}
