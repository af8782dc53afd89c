"""How two states' policies differ by spec: one classifier for simulate, drift and the pack comparison."""

from __future__ import annotations

from compliance.analysis.policy_changes import SpecChange, SpecChangeKind, differing_fields, spec_changes

BEFORE = {"shop/web": {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}, "shop/gone": {"podSelector": {}},
          "pay/db": {"podSelector": {"matchLabels": {"app": "db"}}}}
AFTER = {"shop/web": {"podSelector": {}, "ingress": [{"ports": [{"port": 8080}]}]}, "shop/new": {"podSelector": {}},
         "pay/db": {"podSelector": {"matchLabels": {"app": "db"}}}}


def test_added_removed_and_changed_policies_in_namespace_order() -> None:
    assert spec_changes(BEFORE, AFTER) == (
        SpecChange("shop/gone", SpecChangeKind.REMOVED),
        SpecChange("shop/new", SpecChangeKind.ADDED),
        SpecChange("shop/web", SpecChangeKind.CHANGED, ("spec.ingress[0].ports[0].port",)),
    )
    assert spec_changes(AFTER, AFTER) == ()


def test_cluster_policies_follow_the_network_policies_by_kind_and_name() -> None:
    guard = {"priority": 10, "subject": {"namespaces": {}}}
    before = {"AdminNetworkPolicy/guard": guard, "BaselineAdminNetworkPolicy/default": {}, "shop/web": {}}
    after = {"AdminNetworkPolicy/guard": {**guard, "priority": 20}, "ClusterNetworkPolicy/a": {}, "a/b": {},
             "shop/web": {}}
    assert spec_changes(before, after) == (
        SpecChange("a/b", SpecChangeKind.ADDED),
        SpecChange("AdminNetworkPolicy/guard", SpecChangeKind.CHANGED, ("spec.priority",)),
        SpecChange("BaselineAdminNetworkPolicy/default", SpecChangeKind.REMOVED),
        SpecChange("ClusterNetworkPolicy/a", SpecChangeKind.ADDED),
    )


def test_differing_fields_name_every_path_alike_in_both_directions() -> None:
    first = {"a": 1, "b": [1, 2], "c": {"d": 1}}
    second = {"a": 2, "b": [1, 2, 3], "c": {"e": 1}}
    assert differing_fields(first, second, "spec") == ["spec.a", "spec.b", "spec.c.d", "spec.c.e"]
    assert differing_fields(second, first, "spec") == differing_fields(first, second, "spec")


def test_kinds_print_as_their_words() -> None:
    assert [str(kind) for kind in SpecChangeKind] == ["added", "removed", "changed"]
