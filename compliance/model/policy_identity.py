"""Every policy kind under one identity, for what tracks policies across states (history, drift, simulations, the
comparison of packs): a NetworkPolicy is `ns/name`, a cluster-scoped policy `Kind/name` (`AdminNetworkPolicy/cde`),
a Calico NetworkPolicy `CalicoNetworkPolicy/ns/name` and a GlobalNetworkPolicy `GlobalNetworkPolicy/name`.
Namespace names are lowercase DNS labels, so an identity that starts with a kind is never a namespace's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from compliance.model.calico_policy import CALICO_NETWORK_POLICY, GLOBAL_NETWORK_POLICY, CalicoPolicy
from compliance.model.cluster_policy import CLUSTER_POLICY_KINDS, ClusterPolicy
from compliance.model.policy import NETWORK_POLICY, NetworkPolicy

AnyPolicy = NetworkPolicy | ClusterPolicy | CalicoPolicy
CALICO_NAMESPACED = f"Calico{CALICO_NETWORK_POLICY}"  # the first part of a Calico NetworkPolicy's identity
CALICO_IDENTITY_KINDS = (CALICO_NAMESPACED, GLOBAL_NETWORK_POLICY)


def identity(kind: str, namespace: str, name: str) -> str:
    """`ns/name` for a NetworkPolicy, `Kind/name` for a cluster-scoped policy (a GlobalNetworkPolicy too),
    `CalicoNetworkPolicy/ns/name` for a Calico NetworkPolicy (`kind` as the identity names it)."""
    if kind == CALICO_NAMESPACED:
        return f"{kind}/{namespace}/{name}"
    return f"{kind}/{name}" if kind in (*CLUSTER_POLICY_KINDS, GLOBAL_NETWORK_POLICY) else f"{namespace}/{name}"


def kind_of(key: str) -> str:
    """The kind an identity names: the policy kind before the first `/`, else NetworkPolicy."""
    first = key.partition("/")[0]
    return first if first in (*CLUSTER_POLICY_KINDS, *CALICO_IDENTITY_KINDS) else NETWORK_POLICY


def identity_order(key: str) -> tuple[int, str, str]:
    """Sort key of identities: NetworkPolicies by namespace and name, then cluster policies by kind and name, then
    Calico's policies by kind, (namespace) and name."""
    first, _, name = key.partition("/")
    group = 1 if first in CLUSTER_POLICY_KINDS else 2 if first in CALICO_IDENTITY_KINDS else 0
    return group, first, name


def split_policies(policies: Iterable[AnyPolicy]
                   ) -> tuple[list[NetworkPolicy], list[ClusterPolicy], list[CalicoPolicy]]:
    """(the NetworkPolicies, the cluster policies, Calico's policies), each in the given order."""
    network: list[NetworkPolicy] = []
    tiered: list[ClusterPolicy] = []
    calico: list[CalicoPolicy] = []
    for policy in policies:
        if isinstance(policy, NetworkPolicy):
            network.append(policy)
        elif isinstance(policy, CalicoPolicy):
            calico.append(policy)
        else:
            tiered.append(policy)
    return network, tiered, calico


def policy_specs(policies: Iterable[AnyPolicy]) -> dict[str, Mapping[str, Any]]:
    """The specs as given, by identity."""
    return {policy.key: policy.spec for policy in policies}
