"""What-if of changes to cluster-scoped policies: AdminNetworkPolicies and BaselineAdminNetworkPolicies added,
changed and deleted, proposed or between two real git revisions, with the connections each opens and closes."""

from __future__ import annotations

import datetime

import pytest

from compliance.analysis.policy_changes import SpecChange, SpecChangeKind
from compliance.errors import InvalidValue
from compliance.model.parse_cluster_policy import parse_cluster_policy
from compliance.netpol.connections import Connection
from compliance.netpol.options import AnalysisOptions
from compliance.simulate import Simulation, policy_key, proposal, revisions, simulate, with_policies
from compliance.sources.git.revision import read_revision
from compliance.sources.manifests import snapshot_of_objects
from tests.netpol.builders import cluster, namespace, pod, ports
from tests.support.cilium_objects import cilium_objects
from tests.support.git_repos import BASELINE, GitRepo, admin_policy, guard, netpol

TODAY = datetime.date(2026, 1, 1)
GUARD = admin_policy("cde-guard", guard("pay", "shop"))
SOURCE = cluster(namespace("shop"), namespace("pay"), pod("shop/web", {"app": "web"}),
                 pod("pay/vault", {"app": "vault"}, ports=(("pg", 5432),)), GUARD)
WEB_TO_VAULT = ("shop/web[Pod]", "pay/vault[Pod]")


def proposed(*objects: dict, deleted: tuple[str, ...] = ()) -> Simulation:
    """The simulation of laying `objects` over SOURCE and deleting `deleted`."""
    policies = snapshot_of_objects(objects, {"type": "test"}, "2026-01-01T00:00:00Z").all_policies
    before, after, labels = proposal(SOURCE, policies, deleted, ["change.yaml"] if objects else [])
    return simulate(before, after, labels, AnalysisOptions(), TODAY)


def test_an_admin_policy_added_before_the_guard_opens_what_it_allows() -> None:
    pg_only = guard("pay", "shop", action="Allow", priority=5)
    pg_only["ingress"][0]["ports"] = [{"portNumber": {"protocol": "TCP", "port": 5432}}]
    found = proposed(admin_policy("pg-from-shop", pg_only))
    assert found.policies == (SpecChange("AdminNetworkPolicy/pg-from-shop", SpecChangeKind.ADDED),)
    assert (found.opened, found.closed) == ((Connection(*WEB_TO_VAULT, ports("TCP 5432")),), ())


def test_changing_and_deleting_the_guard() -> None:
    passed = proposed(admin_policy("cde-guard", guard("pay", "shop", action="Pass")))
    assert passed.policies == (SpecChange("AdminNetworkPolicy/cde-guard", SpecChangeKind.CHANGED,
                                          ("spec.ingress[0].action", "spec.ingress[0].name")),)
    assert (passed.opened, passed.closed) == ((Connection(*WEB_TO_VAULT, ports("all")),), ())
    deleted = proposed(deleted=("AdminNetworkPolicy/cde-guard",))
    assert deleted.after == "deleting AdminNetworkPolicy/cde-guard"
    assert deleted.policies == (SpecChange("AdminNetworkPolicy/cde-guard", SpecChangeKind.REMOVED),)
    assert deleted.opened == passed.opened
    with pytest.raises(InvalidValue, match="AdminNetworkPolicy/nothing: no such AdminNetworkPolicy to delete"):
        with_policies(SOURCE, (), ["AdminNetworkPolicy/nothing"])


def test_policies_of_every_kind_are_laid_over_the_source_in_one_order() -> None:
    network = snapshot_of_objects([netpol("pay/deny"), BASELINE], {}, "2026-01-01T00:00:00Z")
    changed = with_policies(SOURCE, network.all_policies)
    assert [p.key for p in changed.all_policies] == [
        "pay/deny", "AdminNetworkPolicy/cde-guard", "BaselineAdminNetworkPolicy/default"]
    replaced = with_policies(changed, [parse_cluster_policy(admin_policy("cde-guard", guard("pay", "pay")))],
                             ["pay/deny"])
    assert [p.key for p in replaced.all_policies] == ["AdminNetworkPolicy/cde-guard",
                                                      "BaselineAdminNetworkPolicy/default"]
    assert replaced.cluster_policies[0].spec == guard("pay", "pay")


def test_cilium_policies_are_laid_over_and_deleted_by_identity() -> None:
    proposed = snapshot_of_objects(cilium_objects(), {}, "2026-01-01T00:00:00Z").cilium_policies
    changed = with_policies(SOURCE, proposed, ["AdminNetworkPolicy/cde-guard"])
    assert [p.key for p in changed.all_policies] == [
        "CiliumClusterwideNetworkPolicy/dns", "CiliumNetworkPolicy/payments/api",
        "CiliumNetworkPolicy/payments/deny-world"]
    assert changed.cilium_policies == proposed
    emptied = with_policies(changed, [], ["CiliumNetworkPolicy/payments/api", "CiliumClusterwideNetworkPolicy/dns"])
    assert [p.key for p in emptied.cilium_policies] == ["CiliumNetworkPolicy/payments/deny-world"]
    with pytest.raises(InvalidValue, match="CiliumNetworkPolicy/payments/web: no such CiliumNetworkPolicy"):
        with_policies(changed, [], ["CiliumNetworkPolicy/payments/web"])


@pytest.mark.parametrize(("text", "problem"), [
    ("AdminNetworkPolicy/cde-guard", None), ("ClusterNetworkPolicy/x", None), ("pay/deny", None),
    ("CiliumNetworkPolicy/pay/web", None), ("CiliumClusterwideNetworkPolicy/dns", None),
    ("NetworkPolicy/x", "'NetworkPolicy' is not a cluster policy kind"),
    ("CiliumNetworkPolicy/web", "is not ns/name or Kind/name"),
    ("AdminNetworkPolicy", "is not ns/name or Kind/name"),
])
def test_deletions_name_policies_by_identity(text: str, problem: str | None) -> None:
    if problem is None:
        assert policy_key(text) == text
    else:
        with pytest.raises(ValueError, match=problem):
            policy_key(text)


def test_two_revisions_compare_their_cluster_policies(repo: GitRepo) -> None:
    repo.write("p/cde-guard.yaml", GUARD)
    repo.write("p/vault.yaml", netpol("pay/vault", {"podSelector": {}, "ingress": [{"ports": [{"port": 5432}]}]}))
    base = repo.commit("Guard the CDE")
    repo.git("rm", "-q", "p/cde-guard.yaml")
    repo.write("p/baseline.yaml", BASELINE)
    repo.commit("Leave pay to its NetworkPolicy, with a baseline")
    topology = cluster(namespace("shop"), namespace("pay"), pod("shop/web", {"app": "web"}),
                       pod("pay/vault", {"app": "vault"}, ports=(("pg", 5432),)))

    before, after, labels = revisions(topology, read_revision(repo.path, base), read_revision(repo.path))
    found = simulate(before, after, labels, AnalysisOptions(), TODAY)

    assert [(c.policy, c.kind) for c in found.policies] == [("AdminNetworkPolicy/cde-guard", "removed"),
                                                             ("BaselineAdminNetworkPolicy/default", "added")]
    # The vault's NetworkPolicy isolates it, so the baseline decides nothing there: port 5432 opens.
    assert (found.opened, found.closed) == ((Connection(*WEB_TO_VAULT, ports("TCP 5432")),), ())


def test_deleting_a_cilium_deny_opens_what_it_denied() -> None:
    deny = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "deny-shop",
                                                                                       "namespace": "pay"},
            "spec": {"endpointSelector": {}, "ingressDeny": [{"fromEndpoints": [
                {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "shop"}}]}]}}
    source = cluster(namespace("shop"), namespace("pay"), pod("shop/web", {"app": "web"}),
                     pod("pay/vault", {"app": "vault"}), deny)
    before, after, labels = proposal(source, (), ["CiliumNetworkPolicy/pay/deny-shop"], [])
    found = simulate(before, after, labels, AnalysisOptions(), TODAY)
    assert found.policies == (SpecChange("CiliumNetworkPolicy/pay/deny-shop", SpecChangeKind.REMOVED),)
    assert Connection(*WEB_TO_VAULT, ports("all")) in found.opened and found.closed == ()
