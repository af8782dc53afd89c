"""One identity for every policy kind: `ns/name` for NetworkPolicies, `Kind/name` for the cluster-scoped kinds,
`CalicoNetworkPolicy/ns/name` and `GlobalNetworkPolicy/name` for Calico's, `CiliumNetworkPolicy/ns/name` and
`CiliumClusterwideNetworkPolicy/name` for Cilium's."""

from __future__ import annotations

from dataclasses import replace

from compliance.model.history import object_display
from compliance.model.parse_cilium import parse_cilium_policy
from compliance.model.policy_identity import identity, identity_order, kind_of, policy_specs, split_policies
from tests.netpol.builders import cluster, policy
from tests.support.cilium_objects import cilium_objects
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
    network, tiered, calico, cilium = split_policies(reversed(snapshot.all_policies))
    assert [p.key for p in network] == ["pay/deny"] and calico == [] and cilium == []
    assert [(p.key, p.namespace) for p in tiered] == [("BaselineAdminNetworkPolicy/default", ""),
                                                      ("AdminNetworkPolicy/guard", "")]
    assert [p.kind for p in snapshot.all_policies] == ["NetworkPolicy", "AdminNetworkPolicy",
                                                       "BaselineAdminNetworkPolicy"]
    assert policy_specs(snapshot.all_policies)["AdminNetworkPolicy/guard"] == guard("pay", "shop")


def test_cilium_identities_name_their_kind_and_sort_last() -> None:
    assert identity("CiliumNetworkPolicy", "pay", "web") == "CiliumNetworkPolicy/pay/web"
    assert identity("CiliumClusterwideNetworkPolicy", "", "dns") == "CiliumClusterwideNetworkPolicy/dns"
    assert [kind_of(key) for key in ("CiliumNetworkPolicy/pay/web", "CiliumClusterwideNetworkPolicy/dns")] == [
        "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"]
    assert object_display(("CiliumNetworkPolicy", "pay", "web")) == "CiliumNetworkPolicy/pay/web"
    assert object_display(("CiliumClusterwideNetworkPolicy", "", "dns")) == "CiliumClusterwideNetworkPolicy/dns"
    keys = ["CiliumNetworkPolicy/a/b", "GlobalNetworkPolicy/g", "CiliumClusterwideNetworkPolicy/z", "zeta/a",
            "AdminNetworkPolicy/a"]
    assert sorted(keys, key=identity_order) == ["zeta/a", "AdminNetworkPolicy/a", "GlobalNetworkPolicy/g",
                                                "CiliumClusterwideNetworkPolicy/z", "CiliumNetworkPolicy/a/b"]


def test_cilium_policies_split_and_keep_their_spec_and_specs() -> None:
    parsed = [parse_cilium_policy(obj) for obj in cilium_objects()]
    snapshot = replace(cluster(policy("pay/deny", {})), cilium_policies=tuple(parsed))
    network, tiered, calico, cilium = split_policies(snapshot.all_policies)
    assert ([p.key for p in network], tiered, calico) == (["pay/deny"], [], [])
    assert [p.key for p in cilium] == ["CiliumNetworkPolicy/payments/api", "CiliumNetworkPolicy/payments/deny-world",
                                       "CiliumClusterwideNetworkPolicy/dns"]
    specs = policy_specs(snapshot.all_policies)
    assert specs["CiliumNetworkPolicy/payments/api"] == {"spec": cilium_objects()[0]["spec"],
                                                         "specs": cilium_objects()[0]["specs"]}
