"""Drift between a cluster snapshot and git: unmanaged, not applied, semantic and cosmetic differences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.analysis.drift import drift
from compliance.analysis.policy_changes import differing_fields
from compliance.netpol.connections import Connection
from compliance.netpol.options import AnalysisOptions
from compliance.report.history_output import drift_json, drift_text
from compliance.sources.git.revision import read_revision
from compliance.sources.manifests import load_manifests
from tests.netpol.builders import cluster, namespace, pod, ports
from tests.support.git_repos import BASELINE, ROOT, GitRepo, admin_policy, build_demo, guard, netpol


def spec(app: str, port: int, source: str, explicit_tcp: bool = False, selector: dict | None = None) -> dict:
    """Pods `app` (or `selector`) accept `port` from pods `app=source`."""
    entry = {"protocol": "TCP", "port": port} if explicit_tcp else {"port": port}
    return {"podSelector": selector or {"matchLabels": {"app": app}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": source}}}], "ports": [entry]}]}


IN_CLUSTER = [
    netpol("shop/deny"),
    netpol("shop/db-ingress", spec("db", 5432, "web", explicit_tcp=True)),
    netpol("shop/api-ingress", spec("api", 8080, "web")),
    netpol("shop/cache-ingress", spec("cache", 6379, "web", selector={
        "matchExpressions": [{"key": "app", "operator": "In", "values": ["cache"]}]})),
    netpol("shop/orphan", spec("nothing", 1, "web")),
]
IN_GIT = {
    "shop/deny.yaml": "spec:\n  podSelector: {}\nmetadata: {namespace: shop, name: deny}\n"
                      "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\n",
    "shop/db-ingress.yaml": netpol("shop/db-ingress", spec("db", 5432, "web")),
    "shop/api-ingress.yaml": netpol("shop/api-ingress", spec("api", 8081, "web")),
    "shop/cache-ingress.yaml": netpol("shop/cache-ingress", spec("cache", 6379, "web")),
    "shop/web-ingress.yaml": netpol("shop/web-ingress", spec("web", 80, "db")),
}


@pytest.fixture
def compared(tmp_path: Path):
    """Drift of the cluster above against the git repository above."""
    repo = GitRepo(tmp_path / "repo")
    for path, content in IN_GIT.items():
        if isinstance(content, str):
            repo.write(f"policies/{path}", text=content)
        else:
            repo.write(f"policies/{path}", content)
    repo.commit("Policies")
    repo.write("other/ignored.yaml", netpol("shop/ignored"))
    repo.commit("Something else")
    snapshot = cluster(namespace("shop"), *(pod(f"shop/{app}", {"app": app}, ports=(("p", number),))
                                            for app, number in (("web", 80), ("db", 5432), ("api", 8080),
                                                                ("cache", 6379))), *IN_CLUSTER)
    return drift(snapshot, read_revision(repo.path, paths=["policies"]), AnalysisOptions())


def test_drift_classifies_every_difference(compared) -> None:
    assert [(i.namespace, i.name, i.status, i.semantic, i.explanation) for i in compared.items] == [
        ("shop", "api-ingress", "different", True,
         "changes reachability: 1 connection only with the cluster's version, 1 only with git's"),
        ("shop", "cache-ingress", "different", False,
         "the rules differ but allow the same connections among this cluster's pods"),
        ("shop", "db-ingress", "different", False, "same rules once defaults are applied (e.g. protocol TCP, "
                                                   "policyTypes)"),
        ("shop", "orphan", "unmanaged", False, "allows and denies nothing among this cluster's pods"),
        ("shop", "web-ingress", "not-applied", True,
         "changes reachability: 0 connections only with the cluster's version, 1 only with git's"),
    ]
    assert compared.in_sync == 1
    by_name = {item.name: item for item in compared.items}
    api = by_name["api-ingress"]
    assert api.fields == ("spec.ingress[0].ports[0].port",)
    assert api.cluster_only == (Connection("shop/web[Pod]", "shop/api[Pod]", ports("TCP 8080")),)
    assert api.git_only == (Connection("shop/web[Pod]", "shop/api[Pod]", ports("TCP 8081")),)
    assert by_name["db-ingress"].fields == ("spec.ingress[0].ports[0].protocol",)
    assert by_name["web-ingress"].git_only == (Connection("shop/db[Pod]", "shop/web[Pod]", ports("TCP 80")),)
    assert (by_name["web-ingress"].path, by_name["orphan"].path) == ("policies/shop/web-ingress.yaml", "")


def test_drift_outputs(compared) -> None:
    document = json.loads(drift_json(compared))
    assert document["format"] == "segproof.drift/v1"
    assert document["summary"] == {"unmanaged": 1, "not_applied": 1, "different": 3, "semantic": 2, "cosmetic": 3,
                                   "in_sync": 1}
    assert document["git"]["paths"] == ["policies"]
    assert document["differences"][0] == {
        "object": "NetworkPolicy shop/api-ingress", "kind": "NetworkPolicy", "namespace": "shop", "name": "api-ingress",
        "status": "different", "path": "policies/shop/api-ingress.yaml", "semantic": True,
        "explanation": "changes reachability: 1 connection only with the cluster's version, 1 only with git's",
        "fields": ["spec.ingress[0].ports[0].port"],
        "cluster_only": [{"src": "shop/web[Pod]", "dst": "shop/api[Pod]",
                          "ports": [{"protocol": "TCP", "from": 8080, "to": 8080}], "ambiguous": []}],
        "git_only": [{"src": "shop/web[Pod]", "dst": "shop/api[Pod]",
                      "ports": [{"protocol": "TCP", "from": 8081, "to": 8081}], "ambiguous": []}]}
    assert drift_json(compared) == drift_json(compared)
    text = drift_text(compared)
    assert "5 differences (2 change reachability, 3 cosmetic); 1 policy in sync." in text
    assert "    git only: shop/db[Pod] -> shop/web[Pod]  TCP 80" in text


def test_differing_fields() -> None:
    assert differing_fields({"a": [1, {"b": 2}], "c": 1}, {"a": [1, {"b": 3}], "d": 1}, "spec") == [
        "spec.a[1].b", "spec.c", "spec.d"]
    assert differing_fields({"a": [1]}, {"a": [1, 2]}, "spec") == ["spec.a"]


def test_demo_drift_against_the_sample_cluster(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo")
    sample = load_manifests([str(ROOT / "samples" / "cluster")], "2026-04-01T00:00:00Z")
    found = drift(sample, read_revision(str(tmp_path / "demo"), paths=["clusters/prod/policies"]), AnalysisOptions())
    assert [(i.status, i.object, i.semantic) for i in found.items] == [
        ("not-applied", "NetworkPolicy analytics/default-deny-all", True),
        ("unmanaged", "NetworkPolicy checkout/allow-legacy-frontend", False),
        ("different", "NetworkPolicy marketing/default-deny", True),
        ("different", "NetworkPolicy payments/card-vault-ingress", False),
    ]
    marketing = found.items[2]
    assert marketing.fields == ("spec.policyTypes",)
    assert Connection("marketing/email-sender[Deployment]", "payments/tokenizer[Deployment]",
                      ports("TCP 8080")) in marketing.cluster_only
    assert found.in_sync == len(sample.policies) - 3


def test_an_ipv6_block_only_in_git_is_judged_on_what_it_changes(tmp_path: Path) -> None:
    # The cluster names no IPv6 block. Git's version of the policy restricts db's egress to one IPv6 block: db
    # loses the rest, and web (not selected, egress open) keeps its IPv6 reach, which must not read as git-only.
    egress = {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Egress"],
              "egress": [{"to": [{"ipBlock": {"cidr": "2001:db8::/32"}}]}]}
    repo = GitRepo(tmp_path / "repo")
    repo.write("policies/db-egress.yaml", netpol("shop/db-egress", egress))
    repo.commit("Policies")
    snapshot = cluster(namespace("shop"), pod("shop/web", {"app": "web"}), pod("shop/db", {"app": "db"}))
    (item,) = drift(snapshot, read_revision(repo.path, paths=["policies"]), AnalysisOptions()).items
    assert (item.status, item.semantic, item.git_only) == ("not-applied", True, ())
    assert {c.source for c in item.cluster_only} == {"shop/db[Pod]"}


def test_cluster_policies_drift_by_kind_and_name(tmp_path: Path) -> None:
    cluster_wide = admin_policy("tier-check", {**guard("pay", "shop", priority=50), "tier": "Admin"},
                                kind="ClusterNetworkPolicy")
    repo = GitRepo(tmp_path / "repo")
    repo.write("policies/pay-deny.yaml", netpol("pay/deny"))
    repo.write("policies/cde-guard.yaml", admin_policy("cde-guard", guard("pay", "shop", priority=20)))
    repo.write("policies/shop-in.yaml", admin_policy("shop-in", guard("pay", "shop", action="Allow", priority=5)))
    repo.write("policies/tier-check.yaml", cluster_wide)
    repo.commit("Policies")
    snapshot = cluster(namespace("shop"), namespace("pay"), pod("shop/web", {"app": "web"}),
                       pod("pay/vault", {"app": "vault"}), netpol("pay/deny"),
                       admin_policy("cde-guard", guard("pay", "shop")), BASELINE, cluster_wide)

    found = drift(snapshot, read_revision(repo.path, paths=["policies"]), AnalysisOptions())

    assert [(i.object, i.status, i.semantic, i.explanation) for i in found.items] == [
        ("AdminNetworkPolicy/cde-guard", "different", False,
         "the rules differ but allow the same connections among this cluster's pods"),
        ("AdminNetworkPolicy/shop-in", "not-applied", True,
         "changes reachability: 0 connections only with the cluster's version, 1 only with git's"),
        ("BaselineAdminNetworkPolicy/default", "unmanaged", False,
         "allows and denies nothing among this cluster's pods"),
    ]
    assert found.in_sync == 2
    shop_in = found.items[1]
    assert (shop_in.policy, shop_in.path) == ("AdminNetworkPolicy/shop-in", "policies/shop-in.yaml")
    assert shop_in.git_only == (Connection("shop/web[Pod]", "pay/vault[Pod]", ports("all")),)
    assert found.items[0].fields == ("spec.priority",)
    document = json.loads(drift_json(found))
    assert {key: document["differences"][1][key] for key in ("object", "kind", "namespace", "name", "status")} == {
        "object": "AdminNetworkPolicy/shop-in", "kind": "AdminNetworkPolicy", "namespace": None, "name": "shop-in",
        "status": "not-applied"}
    assert "  AdminNetworkPolicy/shop-in (policies/shop-in.yaml)" in drift_text(found)


def test_calico_policies_drift_by_identity(tmp_path: Path) -> None:
    def guard_document(action: str) -> dict:
        return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy", "metadata": {"name": "cde-guard"},
                "spec": {"namespaceSelector": "kubernetes.io/metadata.name == 'pay'", "types": ["Ingress"],
                         "ingress": [{"action": action, "source": {"namespaceSelector": "all()"}}]}}

    namespaced = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                  "metadata": {"name": "web-out", "namespace": "shop"},
                  "spec": {"selector": "app == 'web'", "types": ["Egress"], "egress": [{"action": "Allow"}]}}
    repo = GitRepo(tmp_path / "repo")
    repo.write("policies/cde-guard.yaml", guard_document("Deny"))
    repo.commit("Guard")
    snapshot = cluster(namespace("shop"), namespace("pay"), pod("shop/web", {"app": "web"}),
                       pod("pay/vault", {"app": "vault"}), guard_document("Allow"), namespaced)

    found = drift(snapshot, read_revision(repo.path, paths=["policies"]), AnalysisOptions())

    assert [(i.object, i.status, i.semantic) for i in found.items] == [
        ("CalicoNetworkPolicy/shop/web-out", "unmanaged", False), ("GlobalNetworkPolicy/cde-guard", "different", True)]
    assert found.items[1].git_only == ()
    assert found.items[1].cluster_only == (Connection("shop/web[Pod]", "pay/vault[Pod]", ports("all")),)


def test_cilium_policies_drift_by_identity(tmp_path: Path) -> None:
    def guard_document(entity: str) -> dict:
        return {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",
                "metadata": {"name": "cde-guard"},
                "spec": {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "pay"}},
                         "ingressDeny": [{"fromEntities": [entity]}]}}

    namespaced = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                  "metadata": {"name": "web-out", "namespace": "shop"},
                  "spec": {"endpointSelector": {"matchLabels": {"app": "web"}}, "egress": [{"toEntities": ["all"]}]}}
    repo = GitRepo(tmp_path / "repo")
    repo.write("policies/cde-guard.yaml", guard_document("cluster"))
    repo.commit("Guard")
    snapshot = cluster(namespace("shop"), namespace("pay"), pod("shop/web", {"app": "web"}),
                       pod("pay/vault", {"app": "vault"}), guard_document("world"), namespaced)

    found = drift(snapshot, read_revision(repo.path, paths=["policies"]), AnalysisOptions())

    assert [(i.object, i.kind, i.status, i.path) for i in found.items] == [
        ("CiliumClusterwideNetworkPolicy/cde-guard", "CiliumClusterwideNetworkPolicy", "different",
         "policies/cde-guard.yaml"),
        ("CiliumNetworkPolicy/shop/web-out", "CiliumNetworkPolicy", "unmanaged", "")]
    assert found.items[0].fields == ("spec.ingressDeny[0].fromEntities[0]",)
    assert "  CiliumNetworkPolicy/shop/web-out" in drift_text(found)


def test_a_cilium_policy_only_in_git_changes_reachability(tmp_path: Path) -> None:
    guard = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "cde-guard"},
             "spec": {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "pay"}},
                      "ingressDeny": [{"fromEntities": ["cluster"]}]}}
    repo = GitRepo(tmp_path / "repo")
    repo.write("policies/cde-guard.yaml", guard)
    repo.commit("Guard")
    snapshot = cluster(namespace("shop"), namespace("pay"), pod("shop/web", {"app": "web"}),
                       pod("pay/vault", {"app": "vault"}))

    found = drift(snapshot, read_revision(repo.path, paths=["policies"]), AnalysisOptions())

    [item] = found.items
    assert (item.object, item.status, item.semantic) == ("CiliumClusterwideNetworkPolicy/cde-guard", "not-applied",
                                                         True)
    assert Connection("shop/web[Pod]", "pay/vault[Pod]", ports("all")) in item.cluster_only and item.git_only == ()
