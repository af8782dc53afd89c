"""Every policy kind under one identity, for what tracks policies across states (history, drift, simulations, the
comparison of packs): a NetworkPolicy is `ns/name`, a cluster-scoped policy `Kind/name` (`AdminNetworkPolicy/cde`).
Namespace names are lowercase DNS labels, so an identity that starts with a kind is never a namespace's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from compliance.model.cluster_policy import CLUSTER_POLICY_KINDS, ClusterPolicy
from compliance.model.policy import NETWORK_POLICY, NetworkPolicy

AnyPolicy = NetworkPolicy | ClusterPolicy


def identity(kind: str, namespace: str, name: str) -> str:
    """`ns/name` for a NetworkPolicy, `Kind/name` for a cluster-scoped policy."""
    return f"{kind}/{name}" if kind in CLUSTER_POLICY_KINDS else f"{namespace}/{name}"


def kind_of(key: str) -> str:
    """The kind an identity names: the cluster policy kind before the `/`, else NetworkPolicy."""
    first = key.partition("/")[0]
    return first if first in CLUSTER_POLICY_KINDS else NETWORK_POLICY


def identity_order(key: str) -> tuple[bool, str, str]:
    """Sort key of identities: NetworkPolicies by namespace and name, then cluster policies by kind and name."""
    first, _, name = key.partition("/")
    return first in CLUSTER_POLICY_KINDS, first, name


def split_policies(policies: Iterable[AnyPolicy]) -> tuple[list[NetworkPolicy], list[ClusterPolicy]]:
    """(the NetworkPolicies, the cluster policies), each in the given order."""
    network: list[NetworkPolicy] = []
    tiered: list[ClusterPolicy] = []
    for policy in policies:
        if isinstance(policy, NetworkPolicy):
            network.append(policy)
        else:
            tiered.append(policy)
    return network, tiered


def policy_specs(policies: Iterable[AnyPolicy]) -> dict[str, Mapping[str, Any]]:
    """The specs as given, by identity."""
    return {policy.key: policy.spec for policy in policies}
