"""One identity for every policy kind: `ns/name` for NetworkPolicies, `Kind/name` for the cluster-scoped kinds,
`CalicoNetworkPolicy/ns/name` and `GlobalNetworkPolicy/name` for Calico's."""

from __future__ import annotations

from compliance.model.policy_identity import identity, identity_order, kind_of, policy_specs, split_policies
from tests.netpol.builders import cluster, policy
from tests.support.git_repos import BASELINE, admin_policy, guard


def test_identities_name_their_kind_and_sort_network_policies_first() -> None:
    assert identity("NetworkPolicy", "pay", "deny") == "pay/deny"
    assert identity("AdminNetworkPolicy", "", "guard") == "AdminNetworkPolicy/guard"
    assert [kind_of(key) for key in ("pay/deny", "AdminNetworkPolicy/guard", "ClusterNetworkPolicy/x")] == [
        "NetworkPolicy", "AdminNetworkPolicy", "ClusterNetworkPolicy"]
    assert identity("CalicoNetworkPolicy", "pay", "web") == "CalicoNetworkPolicy/pay/web"
    assert identity("GlobalNetworkPolicy", "", "guard") == "GlobalNetworkPolicy/guard"
    assert [kind_of(key) for key in ("CalicoNetworkPolicy/pay/web", "GlobalNetworkPolicy/guard")] == [
        "CalicoNetworkPolicy", "GlobalNetworkPolicy"]
    keys = ["ClusterNetworkPolicy/a", "GlobalNetworkPolicy/g", "zeta/a", "CalicoNetworkPolicy/a/b",
            "AdminNetworkPolicy/b", "1st/a", "AdminNetworkPolicy/a"]
    assert sorted(keys, key=identity_order) == ["1st/a", "zeta/a", "AdminNetworkPolicy/a", "AdminNetworkPolicy/b",
                                                "ClusterNetworkPolicy/a", "CalicoNetworkPolicy/a/b",
                                                "GlobalNetworkPolicy/g"]


def test_policies_of_both_kinds_split_and_keep_their_specs() -> None:
    snapshot = cluster(policy("pay/deny", {}), admin_policy("guard", guard("pay", "shop")), BASELINE)
    network, tiered, calico = split_policies(reversed(snapshot.all_policies))
    assert [p.key for p in network] == ["pay/deny"] and calico == []
    assert [(p.key, p.namespace) for p in tiered] == [("BaselineAdminNetworkPolicy/default", ""),
                                                      ("AdminNetworkPolicy/guard", "")]
    assert [p.kind for p in snapshot.all_policies] == ["NetworkPolicy", "AdminNetworkPolicy",
                                                       "BaselineAdminNetworkPolicy"]
    assert policy_specs(snapshot.all_policies)["AdminNetworkPolicy/guard"] == guard("pay", "shop")
