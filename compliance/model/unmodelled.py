"""What changes reachability but segproof does not model (yet): Calico's HostEndpoints (they put host interfaces, and
so host-network pods, under Calico's policies), and the parts of Cilium's policies it does not model: host policies
(a nodeSelector rule set), the deprecated fromRequires/toRequires, and CIDR groups (CiliumCIDRGroups, referenced by
cidrGroupRef or cidrGroupSelector). Other Cilium kinds do not change which connections policies allow (egress
gateway, local redirect and Envoy configurations route or proxy traffic they allow).

When any exist, reachability-based results must say the analysis is incomplete and name them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance.model.cilium_policy import CiliumPolicy


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
)
BY_GROUP_AND_KIND = {(k.group, k.kind): k for k in UNMODELLED_POLICY_KINDS}
CILIUM_REQUIRES = "Cilium fromRequires/toRequires"
CILIUM_CIDR_GROUPS = "Cilium CIDR groups (CiliumCIDRGroup)"


def host_policies(kind: str) -> str:
    """How the host policies of a Cilium policy kind are named among what is not modelled."""
    return f"{kind} host policies"


def cilium_unmodelled(policies: Iterable[CiliumPolicy]) -> dict[str, int]:
    """What of Cilium's policies is not modelled, with how many policies use it (each counted once per item)."""
    counts: dict[str, int] = {}
    for policy in policies:
        rules = [rule for rule_set in policy.rule_sets for direction in ("ingress", "egress")
                 for deny in (False, True) for rule in rule_set.rules(direction, deny)]
        found = {host_policies(policy.kind): policy.host_policy,
                 CILIUM_REQUIRES: any(rule.requires for rule in rules),
                 CILIUM_CIDR_GROUPS: any(key in rule.unmodelled for rule in rules
                                         for key in ("cidrGroupRef", "cidrGroupSelector"))}
        for name, used in found.items():
            if used:
                counts[name] = counts.get(name, 0) + 1
    return counts


def describe_unmodelled(unmodelled: Mapping[str, int | None]) -> str:
    """`AdminNetworkPolicy (count unknown), CiliumNetworkPolicy (3)`: the unmodelled kinds with their counts."""
    return ", ".join(f"{kind} ({'count unknown' if count is None else count})" for kind, count in
                     sorted(unmodelled.items()))
