"""The Snapshot's views over Calico's objects: emptiness, the namespaces it holds, restriction to namespaces."""

from __future__ import annotations

from compliance.model.calico_policy import CalicoPolicy, CalicoTier, NetworkSet, ServiceAccount
from compliance.model.snapshot import Snapshot

NETWORK_POLICY = CalicoPolicy("NetworkPolicy", "api", "payments", "default", None, ("Ingress",), (), ())
GLOBAL_POLICY = CalicoPolicy("GlobalNetworkPolicy", "guard", "", "security", 1.0, ("Ingress",), (), ())
SETS = (NetworkSet("partners", "payments", (), ()), NetworkSet("internet", "", (), ()))
ACCOUNT = ServiceAccount("shop", "checkout")


def snapshot(**objects: object) -> Snapshot:
    """A snapshot holding only `objects`."""
    return Snapshot({}, "", (), (), (), (), **objects)  # type: ignore[arg-type]


def test_calicos_objects_make_a_snapshot_non_empty() -> None:
    assert snapshot().is_empty
    assert not snapshot(calico_policies=(GLOBAL_POLICY,)).is_empty
    assert not snapshot(calico_tiers=(CalicoTier("security", 1.0),)).is_empty
    assert not snapshot(network_sets=SETS[1:]).is_empty
    assert snapshot(service_accounts=(ACCOUNT,)).is_empty  # names for selectors, nothing to analyse


def test_namespaces_of_calicos_namespaced_objects_count_and_global_ones_do_not() -> None:
    held = snapshot(calico_policies=(NETWORK_POLICY, GLOBAL_POLICY), network_sets=SETS, service_accounts=(ACCOUNT,))
    assert held.namespace_names() == ["payments", "shop"]


def test_restriction_keeps_the_namespaces_objects_and_every_global_one() -> None:
    held = snapshot(calico_policies=(NETWORK_POLICY, GLOBAL_POLICY), network_sets=SETS, service_accounts=(ACCOUNT,))
    restricted = held.restricted_to(("shop",))
    assert (restricted.calico_policies, restricted.network_sets, restricted.service_accounts) == (
        (GLOBAL_POLICY,), SETS[1:], (ACCOUNT,))
