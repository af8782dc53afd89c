"""Collecting from a live API server: the real `kubernetes` client against the in-process test server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compliance.cli import main
from compliance.errors import (
    EXIT_BAD_INPUT,
    EXIT_UNREACHABLE,
    ClusterAccessError,
    ManifestError,
    UnknownNamespaceError,
)
from compliance.model.snapshot import CLUSTER_POLICY_LISTS, cluster_policy_document, snapshot_document
from compliance.sources.cluster import (
    NETWORK_POLICIES,
    ClusterReader,
    ClusterTarget,
    RetryPolicy,
    Timeouts,
    collect_cluster,
)
from compliance.sources.manifests import snapshot_of_objects
from tests.netpol.builders import namespace, node, pod, policy
from tests.support.calico_objects import CRD, V3, calico_objects
from tests.support.cilium_objects import cidr_group_policy, cilium_objects, host_policy
from tests.support.kube_api_server import (
    ADMIN_NETWORK_POLICIES,
    BASELINE_ADMIN_NETWORK_POLICIES,
    CALICO_API_RESOURCES,
    CALICO_CRD_RESOURCES,
    CILIUM_CLUSTERWIDE_NETWORK_POLICIES,
    CILIUM_NETWORK_POLICIES,
    CLUSTER_NETWORK_POLICIES,
    PODS,
    SERVICE_ACCOUNTS,
    Fault,
    KubeApiServer,
    ResourceType,
    make_service,
    unrelated_ca_pem,
)

NOW = "2026-09-30T12:00:00Z"
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, read_timeout=2.0, page_size=2)


def shop_objects() -> list[dict[str, Any]]:
    """A small cluster: two namespaces plus kube-system, five pods, a service and two policies."""
    web = pod("shop/web-1", {"app": "web"}, ports=(("http", 8080),), ip="10.0.0.1")
    web["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-5d4f8", "controller": True}]
    web["spec"]["containers"][0]["env"] = [{"name": "PASSWORD", "value": "hunter2"}]
    web["metadata"]["annotations"] = {"secret-ish": "do-not-keep"}
    return [
        namespace("kube-system"), namespace("shop", team="red"), namespace("pay", zone="cde"),
        web, pod("shop/web-2", {"app": "web"}, ip="10.0.0.2"), pod("shop/cart", {"app": "cart"}, ip="10.0.0.3"),
        pod("pay/api", {"app": "api"}, ports=(("https", 8443),), ip="10.0.1.1"),
        pod("kube-system/dns", {"k8s-app": "kube-dns"}, ip="10.0.2.1"),
        make_service("shop", "web", {"app": "web"}),
        policy("pay/deny", {"policyTypes": ["Ingress", "Egress"]}),
        policy("pay/api-in", {"podSelector": {"matchLabels": {"app": "api"}},
                              "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "red"}}}],
                                           "ports": [{"port": "https"}]}]}),
    ]


@pytest.fixture
def server():
    with KubeApiServer(shop_objects(), token="t0ken") as running:
        yield running


@pytest.fixture
def kubeconfig(server: KubeApiServer, tmp_path: Path) -> str:
    return str(server.write_kubeconfig(tmp_path / "kubeconfig"))


def collect(kubeconfig: str, retry: RetryPolicy = FAST, **target: Any):
    return collect_cluster(ClusterTarget(kubeconfig=kubeconfig, **target), NOW, retry)


def test_collects_every_object_with_its_provenance(server: KubeApiServer, kubeconfig: str) -> None:
    snapshot = collect(kubeconfig)
    assert [n.name for n in snapshot.namespaces] == ["kube-system", "pay", "shop"]
    assert [p.display for p in snapshot.pods] == ["kube-system/dns", "pay/api", "shop/cart", "shop/web-1",
                                                  "shop/web-2"]
    assert [s.name for s in snapshot.services] == ["web"]
    assert [p.key for p in snapshot.policies] == ["pay/api-in", "pay/deny"]
    kube_system_uid = server.store.snapshot(server.store.resource_type_of(namespace("kube-system")))[1][0][
        "metadata"]["uid"]
    assert snapshot.source == {
        "type": "cluster", "server": server.url, "context": "segproof-test", "version": "v1.31.4",
        "clusterId": kube_system_uid, "identity": "system:serviceaccount:segproof:collector", "namespaces": None}
    assert snapshot.collected_at == NOW
    web = next(p for p in snapshot.pods if p.name == "web-1")
    assert (web.workload.display, web.ips, web.named_ports) == ("shop/web-5d4f8[ReplicaSet]", ("10.0.0.1",),
                                                                (("http", "TCP", 8080),))


def test_never_keeps_env_values_or_annotations(kubeconfig: str) -> None:
    text = json.dumps(snapshot_document(collect(kubeconfig)))
    assert "hunter2" not in text and "PASSWORD" not in text and "do-not-keep" not in text


def test_lists_are_paginated(server: KubeApiServer, kubeconfig: str) -> None:
    snapshot = collect(kubeconfig)
    pages = server.requests_matching(verb="list", resource="pods")
    assert len(snapshot.pods) == 5 and len(pages) == 3
    assert all(request.query.get("limit") == "2" for request in pages)
    assert "continue" in pages[1].query


def test_a_list_that_changes_mid_way_restarts(server: KubeApiServer, kubeconfig: str) -> None:
    changed = []

    def change_once(resource: str, done: int, total: int | None) -> None:
        if resource == "pods" and not changed:
            changed.append(server.store.put(pod("shop/late", {"app": "late"})))

    target = ClusterTarget(kubeconfig=kubeconfig)
    snapshot = collect_cluster(target, NOW, FAST, progress=change_once)
    statuses = [r.status for r in server.requests_matching(verb="list", resource="pods")]
    assert 410 in statuses
    assert "shop/late" in [p.display for p in snapshot.pods] and len(snapshot.pods) == 6


def test_server_errors_are_retried_then_succeed(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(status=500, times=2), verb="list", resource="pods")
    server.inject(Fault(close=True), verb="list", resource="networkpolicies")
    snapshot = collect(kubeconfig)
    assert len(snapshot.pods) == 5 and len(snapshot.policies) == 2
    assert [r.status for r in server.requests_matching(verb="list", resource="pods")][:3] == [500, 500, 200]


def test_a_slow_response_times_out_and_is_retried(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(delay=1.0), verb="list", resource="services")
    retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, read_timeout=0.3, page_size=50)
    assert len(collect(kubeconfig, retry).services) == 1


def test_retry_after_is_honoured_within_bounds(server: KubeApiServer, kubeconfig: str) -> None:
    from compliance.sources.cluster import client_configuration

    server.inject(Fault(status=429, retry_after=7), verb="list", resource="networkpolicies")
    waits: list[float] = []
    configuration, _ = client_configuration(ClusterTarget(kubeconfig=kubeconfig))
    reader = ClusterReader(configuration, RetryPolicy(base_delay=0.5, max_delay=30.0), sleep=waits.append)
    try:
        assert len(reader.list(NETWORK_POLICIES)) == 2
    finally:
        reader.close()
    assert waits == [7.0]
    assert reader.backoff(3, None) == 2.0 and reader.backoff(10, "1000") == 30.0


def test_retries_are_bounded(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(status=503, times=100), verb="list", resource="pods")
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig)
    assert error.value.message.startswith(f"list pods on {server.url} failed after 4 attempts: HTTP 503")
    assert error.value.exit_code == EXIT_UNREACHABLE


PODS_LIST = {"verb": "list", "resource": "pods", "namespace": None}
DISCOVERY = {"when": lambda request: request.path == "/apis"}
BAD_ANSWERS = [  # (fault, where, the start of the message)
    (Fault(body=b'{"kind": "PodList", "items": [{"metadata": {"na'), PODS_LIST,
     "GET /api/v1/pods: the response is not valid JSON: Unterminated string starting at byte 44 of 47"),
    (Fault(body=b"<html><body>Sign in</body></html>", content_type="text/html; charset=utf-8"), PODS_LIST,
     "GET /api/v1/pods: the response is not JSON (text/html)"),
    (Fault(body=b"[]"), PODS_LIST, "GET /api/v1/pods: the response must be a JSON object, not a list"),
    (Fault(body=b'{"items": {"a": 1}}'), PODS_LIST, "GET /api/v1/pods: items: must be a list, not an object"),
    (Fault(body=b'{"items": [1, "x"]}'), PODS_LIST, "GET /api/v1/pods: items[0]: must be an object, not 1"),
    (Fault(body=b'{"items": [], "metadata": "x"}'), PODS_LIST,
     "GET /api/v1/pods: metadata: must be an object, not 'x'"),
    (Fault(body=b'{"items": [{"metadata": "x"}]}'), PODS_LIST,
     "GET /api/v1/pods: items[0].metadata: must be an object, not 'x'"),
    (Fault(body=b'{"items": [], "metadata": {"continue": 7}}'), PODS_LIST,
     "GET /api/v1/pods: metadata.continue: must be a string, not 7"),
    (Fault(body=b'{"kind": "APIGroupList", "groups": "x"}'), DISCOVERY, "GET /apis: groups: must be a list, not 'x'"),
    (Fault(body=b'{"groups": [{"name": "cilium.io", "preferredVersion": "v2"}]}'), DISCOVERY,
     "GET /apis: groups[0].preferredVersion: must be an object, not 'v2'"),
    (Fault(body=b'{"gitVersion": ["v1"]}'), {"when": lambda request: request.path == "/version"},
     "GET /version: gitVersion: must be a string, not a list"),
]


@pytest.mark.parametrize(("fault", "where", "message"), BAD_ANSWERS)
def test_a_successful_answer_of_the_wrong_shape_names_the_request_and_the_problem(
        server: KubeApiServer, kubeconfig: str, fault: Fault, where: dict[str, Any], message: str) -> None:
    server.inject(fault, **where)
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig)
    assert error.value.message.startswith(message), error.value.message
    assert "Kubernetes API server" in error.value.hint


def test_the_cli_renders_a_bad_answer_as_one_line_with_exit_code_3(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(body=b"<html>proxy login</html>", content_type="text/html"), **PODS_LIST)
    result = CliRunner().invoke(main, ["reachability", "--kubeconfig", kubeconfig])
    assert (result.exit_code, result.stdout) == (EXIT_UNREACHABLE, "")
    assert result.stderr.splitlines()[0] == "segproof: error: GET /api/v1/pods: the response is not JSON (text/html)"
    assert result.stderr.splitlines()[1].startswith("hint: the server does not answer like a Kubernetes API server")
    assert "Traceback" not in result.stderr


def test_an_error_answer_that_is_not_json_keeps_its_status(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(status=403, body=b"<html>denied</html>", content_type="text/html"), **PODS_LIST)
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig)
    assert error.value.message == "forbidden: cannot list pods at cluster scope (forbidden)"


def test_a_trickled_body_ends_at_the_request_timeout(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(trickle=0.1), **PODS_LIST)  # a page of two pods, one byte every 100 ms: minutes
    started = time.monotonic()
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig, timeouts=Timeouts(request=1))
    assert time.monotonic() - started < 2
    assert error.value.message == ("GET /api/v1/pods: no complete answer within the request timeout of 1 s; "
                                   "1 attempt, the last: the answer was still arriving")
    assert "raise --request-timeout" in error.value.hint


def test_a_server_that_never_answers_ends_at_the_request_timeout(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(hang=True, times=100), **PODS_LIST)
    started = time.monotonic()
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig, timeouts=Timeouts(request=1))
    assert time.monotonic() - started < 2
    assert error.value.message.startswith("GET /api/v1/pods: no complete answer within the request timeout of 1 s; "
                                          "1 attempt, the last: no answer in time")


def test_slow_answers_end_at_the_collection_timeout(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(delay=0.3, times=100))  # every request answers, slowly
    started = time.monotonic()
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig, timeouts=Timeouts(request=5, collection=1))
    assert time.monotonic() - started < 2
    assert "no complete answer within the collection timeout of 1 s" in error.value.message
    assert "raise --collect-timeout" in error.value.hint


def test_a_list_whose_continue_token_comes_back_is_an_error(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(endless="same", times=100), **PODS_LIST)
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig)
    assert error.value.message == ("GET /api/v1/pods: the server sent a continue token again (after 4 items): "
                                   "the list would never end")
    assert len(server.requests_matching(**PODS_LIST)) == 2


def test_a_list_that_never_ends_stops_at_the_page_bound(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(endless="fresh", times=100), **PODS_LIST)
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig, RetryPolicy(base_delay=0.01, page_size=2, max_pages=5))
    assert error.value.message == "GET /api/v1/pods: the list did not end within 5 pages (10 items)"
    assert len(server.requests_matching(**PODS_LIST)) == 5


def test_the_cli_takes_the_timeouts(server: KubeApiServer, kubeconfig: str) -> None:
    server.inject(Fault(hang=True, times=100), **PODS_LIST)
    result = CliRunner().invoke(main, ["reachability", "--kubeconfig", kubeconfig, "--request-timeout", "1",
                                       "--collect-timeout", "30"])
    assert result.exit_code == EXIT_UNREACHABLE
    assert result.stderr.startswith("segproof: error: GET /api/v1/pods: no complete answer within the request "
                                    "timeout of 1 s")
    refused = CliRunner().invoke(main, ["reachability", "--kubeconfig", kubeconfig, "--request-timeout", "0"])
    assert refused.exit_code == EXIT_BAD_INPUT and "--request-timeout" in refused.stderr
    help_text = " ".join(CliRunner().invoke(main, ["reachability", "--help"]).stdout.split())
    assert "[default: 120; x>0]" in help_text and "[default: 900; x>0]" in help_text


def test_wrong_credentials(server: KubeApiServer, tmp_path: Path) -> None:
    wrong = str(server.write_kubeconfig(tmp_path / "wrong", token="nope"))
    with pytest.raises(ClusterAccessError) as error:
        collect(wrong)
    assert "rejected the credentials (401 Unauthorized)" in error.value.message


def test_forbidden_networkpolicies_names_verb_and_resource(server: KubeApiServer, kubeconfig: str) -> None:
    server.forbid(verb="list", resource="networkpolicies")
    with pytest.raises(ClusterAccessError) as error:
        collect(kubeconfig)
    assert error.value.message.startswith("forbidden: cannot list networkpolicies.networking.k8s.io at cluster scope")
    assert (error.value.verb, error.value.resource) == ("list", "networkpolicies.networking.k8s.io")
    assert "samples/deploy/rbac.yaml" in error.value.hint


def test_forbidden_services_degrade_to_a_recorded_warning(server: KubeApiServer, kubeconfig: str) -> None:
    server.forbid(verb="list", resource="services")
    snapshot = collect(kubeconfig)
    assert snapshot.services == ()
    assert snapshot.warnings[0].startswith("services not collected: forbidden: cannot list services")
    assert snapshot_document(snapshot)["warnings"] == list(snapshot.warnings)


def test_tls_with_a_wrong_ca_is_refused(server: KubeApiServer, tmp_path: Path) -> None:
    wrong = str(server.write_kubeconfig(tmp_path / "wrong-ca", ca_pem=unrelated_ca_pem()))
    with pytest.raises(ClusterAccessError) as error:
        collect(wrong, RetryPolicy(attempts=2, base_delay=0.01))
    assert error.value.message.startswith(f"TLS verification of {server.url} failed")


def test_namespaced_collection_reads_only_those_namespaces(server: KubeApiServer, kubeconfig: str) -> None:
    snapshot = collect(kubeconfig, namespaces=("pay",))
    assert [p.display for p in snapshot.pods] == ["pay/api"]
    assert [n.name for n in snapshot.namespaces] == ["pay"]
    assert snapshot.source["namespaces"] == ["pay"]
    listed = {(r.resource, r.namespace) for r in server.requests if r.verb == "list"}
    assert ("pods", "pay") in listed and ("pods", None) not in listed


def test_a_namespace_the_cluster_does_not_have_is_a_usage_error_naming_it(server: KubeApiServer,
                                                                         kubeconfig: str) -> None:
    result = CliRunner().invoke(main, ["reachability", "--kubeconfig", kubeconfig, "-n", "pya", "-n", "pay",
                                       "-n", "nope"])
    assert (result.exit_code, result.stdout) == (EXIT_BAD_INPUT, "")
    assert result.stderr.splitlines() == [
        f"segproof: error: -n: namespaces 'nope', 'pya' not found in {server.url}",
        "hint: did you mean pay? namespaces there: pay, kube-system, shop"]


def test_without_the_right_to_list_namespaces_the_hint_says_how_to_look(server: KubeApiServer,
                                                                        kubeconfig: str) -> None:
    server.forbid(verb="list", resource="namespaces")
    with pytest.raises(UnknownNamespaceError) as raised:
        collect(kubeconfig, namespaces=("pya",))
    assert (raised.value.missing, raised.value.exit_code) == (("pya",), EXIT_BAD_INPUT)
    assert raised.value.hint == "list the namespaces with kubectl get namespaces"


def test_in_cluster_configuration(server: KubeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env, _, _ = server.incluster_files(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    snapshot = collect_cluster(ClusterTarget(service_account_dir=str(tmp_path)), NOW, FAST)
    assert snapshot.source["context"] == "in-cluster" and len(snapshot.pods) == 5


def test_unmodelled_policy_kinds_are_counted_and_reported(tmp_path: Path) -> None:
    with KubeApiServer([*shop_objects(), host_policy("a"), host_policy("b")], token="t",
                       custom_resources=CILIUM_RESOURCES) as running:
        config = str(running.write_kubeconfig(tmp_path / "kc"))
        expected = {"Cilium fromRequires/toRequires": 2, "CiliumClusterwideNetworkPolicy host policies": 2}
        assert collect(config).unmodelled == expected
        assert [r.path for r in running.requests].count("/apis/cilium.io/v2") == 1
        result = CliRunner().invoke(main, ["reachability", "--kubeconfig", config, "-o", "json"])
    assumptions = json.loads(result.stdout)["assumptions"]
    assert assumptions["complete"] is False
    assert assumptions["unmodelled_policies"] == expected
    assert ("analysis incomplete: Cilium fromRequires/toRequires (2), CiliumClusterwideNetworkPolicy host policies "
            "(2) also change reachability") in result.stderr


def test_two_collections_of_an_unchanged_cluster_are_identical(kubeconfig: str) -> None:
    first = snapshot_document(collect_cluster(ClusterTarget(kubeconfig=kubeconfig), "2026-01-01T00:00:00Z"))
    second = snapshot_document(collect_cluster(ClusterTarget(kubeconfig=kubeconfig), "2026-02-01T00:00:00Z"))
    assert first["collected_at"] != second["collected_at"]
    assert {**first, "collected_at": None} == {**second, "collected_at": None}


def test_cli_snapshot_equals_cluster(kubeconfig: str, tmp_path: Path) -> None:
    runner = CliRunner()
    snapshot_path = str(tmp_path / "snap.json")
    collected = runner.invoke(main, ["collect", "--kubeconfig", kubeconfig, "--out", snapshot_path, "--now", NOW])
    assert collected.exit_code == 0, collected.stderr
    from_cluster = runner.invoke(main, ["reachability", "--kubeconfig", kubeconfig, "-o", "json"])
    from_snapshot = runner.invoke(main, ["reachability", "--snapshot", snapshot_path, "-o", "json"])
    assert from_cluster.stdout == from_snapshot.stdout
    assert '"pay/api[Pod]"' in from_cluster.stdout


def test_cli_renders_a_forbidden_list_with_exit_code_3(server: KubeApiServer, kubeconfig: str) -> None:
    server.forbid(verb="list", resource="networkpolicies")
    result = CliRunner().invoke(main, ["reachability", "--kubeconfig", kubeconfig])
    assert result.exit_code == 3
    first, hint = result.stderr.splitlines()[:2]
    assert first.startswith("segproof: error: forbidden: cannot list networkpolicies.networking.k8s.io")
    assert hint.startswith("hint: grant read access")


def test_a_large_cluster_collects_to_the_same_reachability_as_its_manifests(tmp_path: Path) -> None:
    objects = large_cluster(namespaces=200, apps=10, replicas=10)
    manifests = tmp_path / "cluster.json"
    manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    with KubeApiServer(objects, token="t") as running:
        config = str(running.write_kubeconfig(tmp_path / "kc"))
        from_cluster = CliRunner().invoke(main, ["reachability", "--kubeconfig", config, "-o", "json", "-q"])
    from_manifests = CliRunner().invoke(main, ["reachability", "--manifests", str(manifests), "-o", "json"])
    assert from_cluster.exit_code == 0, from_cluster.stderr
    assert sum(1 for o in objects if o["kind"] == "Pod") == 20_001  # 200 namespaces x 100, plus DNS
    assert from_cluster.stdout == from_manifests.stdout


def large_cluster(namespaces: int, apps: int, replicas: int) -> list[dict[str, Any]]:
    """Namespaces of apps with replicas, each namespace default-deny plus same-namespace and DNS rules."""
    objects: list[dict[str, Any]] = [namespace("kube-system"),
                                     pod("kube-system/coredns-0", {"k8s-app": "kube-dns"}, ip="10.255.0.1")]
    for n in range(namespaces):
        ns = f"team-{n:03d}"
        objects.append(namespace(ns, zone="cde" if n % 10 == 0 else "general"))
        for a in range(apps):
            for r in range(replicas):
                index = (n * apps + a) * replicas + r
                item = pod(f"{ns}/app-{a}-{r}", {"app": f"app-{a}", "tier": "web" if a < 3 else "backend"},
                           ports=(("http", 8080),), ip=f"10.{index // 65536}.{index // 256 % 256}.{index % 256}")
                item["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": f"app-{a}-6f7c9",
                                                        "controller": True}]
                objects.append(item)
        objects += [
            policy(f"{ns}/default-deny", {"policyTypes": ["Ingress", "Egress"]}),
            policy(f"{ns}/same-namespace", {"ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": "http"}]}],
                                            "egress": [{"to": [{"podSelector": {}}]}]}),
            policy(f"{ns}/dns", {"policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}], "ports": [
                {"port": 53, "protocol": "UDP"}]}]}),
        ]
    return objects


def test_pods_resource_type_is_the_core_one() -> None:
    assert PODS.group == "" and PODS.plural == "pods"


# --- cluster policies (policy.networking.k8s.io) ---------------------------------------------------

GROUP = "policy.networking.k8s.io"
CLUSTER_POLICY_RESOURCES = (ADMIN_NETWORK_POLICIES, BASELINE_ADMIN_NETWORK_POLICIES, CLUSTER_NETWORK_POLICIES)
ADMIN_V1BETA1 = ResourceType(GROUP, "v1beta1", "adminnetworkpolicies", "AdminNetworkPolicy", namespaced=False,
                             subresources=("status",))


def admin_policy(name: str, priority: int, version: str = "v1alpha1") -> dict[str, Any]:
    """An AdminNetworkPolicy: only the red team may reach the CDE's https port."""
    return {"apiVersion": f"{GROUP}/{version}", "kind": "AdminNetworkPolicy",
            "metadata": {"name": name, "labels": {"owner": "platform"}},
            "spec": {"priority": priority, "subject": {"namespaces": {"matchLabels": {"zone": "cde"}}},
                     "ingress": [{"name": "red-in", "action": "Allow",
                                  "from": [{"namespaces": {"matchLabels": {"team": "red"}}}],
                                  "ports": [{"portNumber": {"protocol": "TCP", "port": 8443}}]},
                                 {"name": "rest", "action": "Deny", "from": [{"namespaces": {}}]}]}}


def cluster_policy_objects() -> list[dict[str, Any]]:
    """Two AdminNetworkPolicies, the BaselineAdminNetworkPolicy and a ClusterNetworkPolicy."""
    baseline = {"apiVersion": f"{GROUP}/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
                "metadata": {"name": "default"},
                "spec": {"subject": {"namespaces": {}}, "egress": [
                    {"name": "no-internet", "action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}]}}
    web_out = {"apiVersion": f"{GROUP}/v1alpha2", "kind": "ClusterNetworkPolicy", "metadata": {"name": "web-out"},
               "spec": {"tier": "Admin", "priority": 5,
                        "subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}},
                        "egress": [{"name": "https", "action": "Accept", "to": [{"networks": ["10.0.0.0/8"]}],
                                    "protocols": [{"tcp": {"destinationPort": {"number": 443}}}]}]}}
    return [admin_policy("zz-guard", 20), admin_policy("aa-guard", 10), admin_policy("mm-guard", 30), baseline,
            web_out]


@contextmanager
def cluster_with(tmp_path: Path, objects: list[dict[str, Any]],
                 resources: tuple[ResourceType, ...]) -> Iterator[tuple[KubeApiServer, str]]:
    """A running server holding the shop plus `objects` and serving `resources`, with its kubeconfig."""
    with KubeApiServer([*shop_objects(), *objects], token="t", custom_resources=resources) as running:
        yield running, str(running.write_kubeconfig(tmp_path / "kc"))


def stored(running: KubeApiServer, resources: tuple[ResourceType, ...]) -> list[dict[str, Any]]:
    """The objects the server holds for `resources`, as they are listed (uids and all)."""
    return [obj for resource in resources for obj in running.store.snapshot(resource)[1]]


def test_cluster_policies_are_collected_as_the_manifests_path_reads_them(tmp_path: Path) -> None:
    with cluster_with(tmp_path, cluster_policy_objects(), CLUSTER_POLICY_RESOURCES) as (running, config):
        snapshot = collect(config)
        from_manifests = snapshot_of_objects(stored(running, CLUSTER_POLICY_RESOURCES), {"type": "manifests"}, NOW)
        pages = running.requests_matching(verb="list", resource="adminnetworkpolicies")
    assert [p.key for p in snapshot.cluster_policies] == [
        "AdminNetworkPolicy/aa-guard", "AdminNetworkPolicy/mm-guard", "AdminNetworkPolicy/zz-guard",
        "BaselineAdminNetworkPolicy/default", "ClusterNetworkPolicy/web-out"]
    assert snapshot.cluster_policies == from_manifests.cluster_policies
    assert [cluster_policy_document(p) for p in snapshot.cluster_policies] == [
        cluster_policy_document(p) for p in from_manifests.cluster_policies]
    assert all(p.uid for p in snapshot.cluster_policies)
    assert (snapshot.unmodelled, snapshot.warnings) == ({}, ())
    assert [(r.path, r.query.get("limit")) for r in pages] == [
        (f"/apis/{GROUP}/v1alpha1/adminnetworkpolicies", "2")] * 2


def test_nodes_are_read_only_for_the_nodes_peers_that_need_their_addresses(tmp_path: Path) -> None:
    nodes = [node("cp-1", "10.9.0.1", role="control-plane"), node("worker-1", "10.9.0.2", role="worker")]
    with cluster_with(tmp_path, [*cluster_policy_objects(), *nodes], CLUSTER_POLICY_RESOURCES) as (running, config):
        without = collect(config)
        listed_without = running.requests_matching(verb="list", resource="nodes")
    guard = {"apiVersion": f"{GROUP}/v1alpha1", "kind": "AdminNetworkPolicy", "metadata": {"name": "no-cp"},
             "spec": {"priority": 1, "subject": {"namespaces": {}}, "egress": [
                 {"action": "Deny", "to": [{"nodes": {"matchLabels": {"role": "control-plane"}}}]}]}}
    with cluster_with(tmp_path, [guard, *nodes], CLUSTER_POLICY_RESOURCES) as (running, config):
        snapshot = collect(config)
    assert (without.nodes, listed_without) == ((), [])
    assert [(n.name, n.addresses) for n in snapshot.nodes] == [("cp-1", (("InternalIP", "10.9.0.1"),)),
                                                               ("worker-1", (("InternalIP", "10.9.0.2"),))]
    assert all(n.uid for n in snapshot.nodes)


def test_a_server_without_the_group_has_no_cluster_policies(server: KubeApiServer, kubeconfig: str) -> None:
    snapshot = collect(kubeconfig)
    assert (snapshot.cluster_policies, snapshot.unmodelled) == ((), {})
    assert [(r.path, r.status) for r in server.requests if GROUP in r.path] == [(f"/apis/{GROUP}", 404)]
    objects = snapshot_document(snapshot)["objects"]
    assert {kind: objects[plural] for kind, plural in CLUSTER_POLICY_LISTS.items()} == {
        "AdminNetworkPolicy": [], "BaselineAdminNetworkPolicy": [], "ClusterNetworkPolicy": []}


def test_only_the_served_versions_are_read(tmp_path: Path) -> None:
    with cluster_with(tmp_path, cluster_policy_objects()[-1:], (CLUSTER_NETWORK_POLICIES,)) as (running, config):
        snapshot = collect(config)
        paths = [r.path for r in running.requests if GROUP in r.path]
    assert [p.key for p in snapshot.cluster_policies] == ["ClusterNetworkPolicy/web-out"]
    assert paths == [f"/apis/{GROUP}", f"/apis/{GROUP}/v1alpha2", f"/apis/{GROUP}/v1alpha2/clusternetworkpolicies"]


@pytest.mark.parametrize("plural", [r.plural for r in CLUSTER_POLICY_RESOURCES])
def test_a_forbidden_cluster_policy_list_names_verb_and_resource(tmp_path: Path, plural: str) -> None:
    with cluster_with(tmp_path, cluster_policy_objects(), CLUSTER_POLICY_RESOURCES) as (running, config):
        running.forbid(verb="list", resource=plural)
        with pytest.raises(ClusterAccessError) as error:
            collect(config)
    assert error.value.message.startswith(f"forbidden: cannot list {plural}.{GROUP} at cluster scope")
    assert (error.value.verb, error.value.resource, error.value.exit_code) == ("list", f"{plural}.{GROUP}",
                                                                              EXIT_UNREACHABLE)
    assert "samples/deploy/rbac.yaml" in error.value.hint


def test_an_invalid_cluster_policy_is_named_with_its_field(tmp_path: Path) -> None:
    with cluster_with(tmp_path, [admin_policy("too-late", 1001)], CLUSTER_POLICY_RESOURCES) as (running, config):
        with pytest.raises(ManifestError) as error:
            collect(config)
        url = running.url
    assert (error.value.file, error.value.field) == (f"{url}: AdminNetworkPolicy too-late", "spec.priority")
    assert error.value.detail == "must be between 0 and 1000, not 1001"


def test_a_served_version_segproof_does_not_model_is_counted_as_unmodelled(tmp_path: Path) -> None:
    resources = (ADMIN_V1BETA1, CLUSTER_NETWORK_POLICIES)
    objects = [admin_policy("a", 10, "v1beta1"), admin_policy("b", 20, "v1beta1"), *cluster_policy_objects()[-1:]]
    with cluster_with(tmp_path, objects, resources) as (running, config):
        snapshot = collect(config)
        from_manifests = snapshot_of_objects(stored(running, resources), {"type": "manifests"}, NOW)
        running.forbid(verb="list", resource="adminnetworkpolicies")
        refused = collect(config)
        result = CliRunner().invoke(main, ["reachability", "--kubeconfig", config, "-o", "json"])
    reported = f"AdminNetworkPolicy ({GROUP}/v1beta1)"
    assert snapshot.unmodelled == from_manifests.unmodelled == {reported: 2}
    assert [p.key for p in snapshot.cluster_policies] == ["ClusterNetworkPolicy/web-out"]
    assert refused.unmodelled == {reported: None}
    assert refused.warnings[0].startswith(f"{reported} exists but could not be counted: forbidden: cannot list "
                                          f"adminnetworkpolicies.{GROUP}")
    assert json.loads(result.stdout)["assumptions"]["unmodelled_policies"] == {reported: None}


def test_cli_snapshot_lists_the_cluster_policies(tmp_path: Path) -> None:
    snapshot_path, runner = str(tmp_path / "snap.json"), CliRunner()
    with cluster_with(tmp_path, cluster_policy_objects(), CLUSTER_POLICY_RESOURCES) as (_, config):
        collected = runner.invoke(main, ["collect", "--kubeconfig", config, "--out", snapshot_path, "--now", NOW])
        from_cluster = runner.invoke(main, ["reachability", "--kubeconfig", config, "-o", "json"])
    assert collected.exit_code == 0, collected.stderr
    document = json.loads(Path(snapshot_path).read_text())
    assert document["format"] == "segproof.snapshot/v4"
    assert {kind: [o["metadata"]["name"] for o in document["objects"][plural]]
            for kind, plural in CLUSTER_POLICY_LISTS.items()} == {
        "AdminNetworkPolicy": ["aa-guard", "mm-guard", "zz-guard"], "BaselineAdminNetworkPolicy": ["default"],
        "ClusterNetworkPolicy": ["web-out"]}
    from_snapshot = runner.invoke(main, ["reachability", "--snapshot", snapshot_path, "-o", "json"])
    assert from_cluster.exit_code == 0, from_cluster.stderr
    assert from_cluster.stdout == from_snapshot.stdout
    assert json.loads(from_cluster.stdout)["assumptions"]["complete"] is True


# --- Calico (projectcalico.org/v3, or crd.projectcalico.org/v1 without Calico's API server) --------------------


def calico_cluster(tmp_path: Path, api_version: str, resources: tuple[ResourceType, ...],
                   extra: tuple[dict[str, Any], ...] = ()) -> Any:
    """The shop plus Calico's objects of `api_version` (and `extra`), serving `resources` and ServiceAccounts."""
    return cluster_with(tmp_path, [*calico_objects(api_version), *extra], (*resources, SERVICE_ACCOUNTS))


@pytest.mark.parametrize(("api_version", "resources"), [(V3, CALICO_API_RESOURCES), (CRD, CALICO_CRD_RESOURCES)],
                         ids=["api-server", "crds"])
def test_calicos_objects_are_collected_as_the_manifests_path_reads_them(tmp_path: Path, api_version: str,
                                                                        resources: tuple[ResourceType, ...]) -> None:
    with calico_cluster(tmp_path, api_version, resources) as (running, config):
        snapshot = collect(config)
        from_manifests = snapshot_of_objects(stored(running, resources), {"type": "manifests"}, NOW)
        listed = sorted({r.path for r in running.requests_matching(verb="list") if "calico" in r.path})
    group = api_version.split("/")[0]
    assert [p.key for p in snapshot.calico_policies] == ["CalicoNetworkPolicy/payments/api",
                                                         "GlobalNetworkPolicy/security.cde-guard"]
    assert (snapshot.calico_policies, snapshot.calico_tiers, snapshot.network_sets) == (
        from_manifests.calico_policies, from_manifests.calico_tiers, from_manifests.network_sets)
    assert all(p.uid for p in snapshot.calico_policies) and snapshot.calico_tiers[0].uid == "t-1"
    assert listed == sorted(f"/apis/{api_version}/{plural}" for plural in (
        "tiers", "networkpolicies", "globalnetworkpolicies", "networksets", "globalnetworksets"))
    assert [p.service_account for p in snapshot.pods if p.name == "checkout-0"] == ["checkout"]
    assert snapshot.service_accounts == ()  # no policy selects service accounts by label: not read
    assert snapshot.unmodelled == {}  # the engine models them: the analysis is complete
    assert group in listed[0]


def test_the_api_servers_group_is_preferred_when_both_are_served(tmp_path: Path) -> None:
    both = (*CALICO_API_RESOURCES, *CALICO_CRD_RESOURCES, SERVICE_ACCOUNTS)
    with cluster_with(tmp_path, [*calico_objects(V3), *calico_objects(CRD)[:5]], both) as (running, config):
        snapshot = collect(config)
        listed = {r.path.split("/")[2] for r in running.requests_matching(verb="list") if "calico" in r.path}
    assert listed == {"projectcalico.org"}
    assert len(snapshot.calico_policies) == 2


def test_calicos_host_endpoints_are_counted_once_as_not_modelled(tmp_path: Path) -> None:
    # HostEndpoints put host interfaces (and host-network pods) under Calico's policies, which segproof does not
    # model; with Calico's API server and its CRDs both served, the same objects are counted once.
    stored = ResourceType("crd.projectcalico.org", "v1", "hostendpoints", "HostEndpoint", namespaced=False)
    served = replace(stored, group="projectcalico.org", version="v3")
    endpoints = [{"apiVersion": f"{resource.group}/{resource.version}", "kind": "HostEndpoint",
                  "metadata": {"name": "node-1-eth0"}, "spec": {"node": "node-1", "interfaceName": "eth0"}}
                 for resource in (stored, served)]
    with cluster_with(tmp_path, endpoints, (*CALICO_API_RESOURCES, *CALICO_CRD_RESOURCES, stored, served)) as (
            _, config):
        snapshot = collect(config)
    assert snapshot.unmodelled == {"Calico HostEndpoint": 1}


def test_kubernetes_policies_that_calicos_api_server_lists_as_its_own_are_left_out(tmp_path: Path) -> None:
    # Calico's API server presents NetworkPolicies as `knp.default.<name>` (libcalico-go names.go); they are read
    # from networking.k8s.io, so keeping them would count each twice.
    converted = [{"apiVersion": V3, "kind": "NetworkPolicy", "metadata": {"name": "knp.default.web",
                                                                         "namespace": "shop"},
                  "spec": {"tier": "default", "order": 1000, "selector": "app == 'web'", "types": ["Ingress"]}},
                 {"apiVersion": V3, "kind": "GlobalNetworkPolicy", "metadata": {"name": "kanp.adminnetworkpolicy.x"},
                  "spec": {"tier": "adminnetworkpolicy", "order": 10}}]
    with calico_cluster(tmp_path, V3, CALICO_API_RESOURCES, tuple(converted)) as (_, config):
        snapshot = collect(config)
    assert [p.key for p in snapshot.calico_policies] == ["CalicoNetworkPolicy/payments/api",
                                                         "GlobalNetworkPolicy/security.cde-guard"]


def test_a_cluster_without_calico_reads_no_calico_objects(server: KubeApiServer, kubeconfig: str) -> None:
    snapshot = collect(kubeconfig)
    assert (snapshot.calico_policies, snapshot.calico_tiers, snapshot.network_sets) == ((), (), ())
    assert [r.path for r in server.requests if "calico" in r.path] == ["/apis/projectcalico.org",
                                                                       "/apis/crd.projectcalico.org"]


def test_service_accounts_are_read_when_a_policy_selects_them_by_label(tmp_path: Path) -> None:
    by_label = {"apiVersion": V3, "kind": "GlobalNetworkPolicy", "metadata": {"name": "by-team"},
                "spec": {"serviceAccountSelector": "team == 'web'", "egress": [{"action": "Allow"}]}}
    with calico_cluster(tmp_path, V3, CALICO_API_RESOURCES, (by_label,)) as (_, config):
        snapshot = collect(config)
        in_shop = collect(config, namespaces=("shop",))
    assert [(a.namespace, a.name, a.labels) for a in snapshot.service_accounts] == [
        ("shop", "checkout", (("team", "web"),))]
    assert in_shop.service_accounts == snapshot.service_accounts
    assert [p.key for p in in_shop.calico_policies] == ["GlobalNetworkPolicy/by-team",
                                                        "GlobalNetworkPolicy/security.cde-guard"]
    assert [s.name for s in in_shop.network_sets] == ["internet"]  # only the shop's NetworkSets, every global one


@pytest.mark.parametrize("plural", ["tiers", "networksets", "globalnetworksets"])
def test_a_forbidden_calico_list_names_verb_and_resource(tmp_path: Path, plural: str) -> None:
    with calico_cluster(tmp_path, V3, CALICO_API_RESOURCES) as (running, config):
        running.forbid(verb="list", resource=plural)
        with pytest.raises(ClusterAccessError) as error:
            collect(config)
    assert error.value.message.startswith(f"forbidden: cannot list {plural}.projectcalico.org")
    assert "samples/deploy/rbac.yaml" in error.value.hint


def test_an_invalid_calico_object_is_named_with_its_field(tmp_path: Path) -> None:
    bad = {"apiVersion": CRD, "kind": "Tier", "metadata": {"name": "security"}, "spec": {"defaultAction": "Allow"}}
    with cluster_with(tmp_path, [bad], CALICO_CRD_RESOURCES) as (running, config):
        with pytest.raises(ManifestError) as error:
            collect(config)
        url = running.url
    assert (error.value.file, error.value.field) == (f"{url}: Tier security", "spec.defaultAction")


def test_cli_snapshot_of_a_calico_cluster_reads_back_the_same(tmp_path: Path) -> None:
    snapshot_path, runner = str(tmp_path / "snap.json"), CliRunner()
    with calico_cluster(tmp_path, CRD, CALICO_CRD_RESOURCES) as (_, config):
        collected = runner.invoke(main, ["collect", "--kubeconfig", config, "--out", snapshot_path, "--now", NOW])
        from_cluster = runner.invoke(main, ["reachability", "--kubeconfig", config, "-o", "json"])
    assert collected.exit_code == 0, collected.stderr
    document = json.loads(Path(snapshot_path).read_text())
    assert [o["metadata"]["name"] for o in document["objects"]["globalnetworkpolicies"]] == ["security.cde-guard"]
    from_snapshot = runner.invoke(main, ["reachability", "--snapshot", snapshot_path, "-o", "json"])
    assert from_cluster.stdout == from_snapshot.stdout
    assert json.loads(from_cluster.stdout)["assumptions"]["complete"] is True


# --- Cilium (cilium.io/v2) ----------------------------------------------------------------------------------

CILIUM_RESOURCES = (CILIUM_NETWORK_POLICIES, CILIUM_CLUSTERWIDE_NETWORK_POLICIES)


def test_cilium_policies_are_collected_as_the_manifests_path_reads_them(tmp_path: Path) -> None:
    with cluster_with(tmp_path, cilium_objects(), CILIUM_RESOURCES) as (running, config):
        snapshot = collect(config)
        from_manifests = snapshot_of_objects(stored(running, CILIUM_RESOURCES), {"type": "manifests"}, NOW)
        in_shop = collect(config, namespaces=("shop",))
        listed = sorted({r.path for r in running.requests_matching(verb="list") if "cilium" in r.path})
    assert [p.key for p in snapshot.cilium_policies] == ["CiliumClusterwideNetworkPolicy/dns",
                                                         "CiliumNetworkPolicy/payments/api",
                                                         "CiliumNetworkPolicy/payments/deny-world"]
    assert snapshot.cilium_policies == from_manifests.cilium_policies
    assert [p.spec for p in snapshot.cilium_policies] == [p.spec for p in from_manifests.cilium_policies]
    assert all(p.uid for p in snapshot.cilium_policies)
    assert snapshot.unmodelled == {}  # Cilium's policies are modelled: the analysis is complete
    assert listed == ["/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies",
                      "/apis/cilium.io/v2/ciliumnetworkpolicies",
                      "/apis/cilium.io/v2/namespaces/shop/ciliumnetworkpolicies"]
    assert [p.key for p in in_shop.cilium_policies] == ["CiliumClusterwideNetworkPolicy/dns"]


def test_a_cluster_without_cilium_reads_no_cilium_policies(server: KubeApiServer, kubeconfig: str) -> None:
    assert collect(kubeconfig).cilium_policies == ()
    assert [r.path for r in server.requests if "cilium" in r.path] == ["/apis/cilium.io"]


def test_cidr_groups_are_counted_as_not_modelled(tmp_path: Path) -> None:
    with cluster_with(tmp_path, [cidr_group_policy()], CILIUM_RESOURCES) as (_, config):
        assert collect(config).unmodelled == {"Cilium CIDR groups (CiliumCIDRGroup)": 1}


@pytest.mark.parametrize("plural", ["ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies"])
def test_a_forbidden_cilium_list_names_verb_and_resource(tmp_path: Path, plural: str) -> None:
    with cluster_with(tmp_path, cilium_objects(), CILIUM_RESOURCES) as (running, config):
        running.forbid(verb="list", resource=plural)
        with pytest.raises(ClusterAccessError) as error:
            collect(config)
        result = CliRunner().invoke(main, ["collect", "--kubeconfig", config, "--out", str(tmp_path / "s.json")])
    assert error.value.message.startswith(f"forbidden: cannot list {plural}.cilium.io at cluster scope")
    assert "samples/deploy/rbac.yaml" in error.value.hint
    assert result.exit_code == 3 and f"cannot list {plural}.cilium.io" in result.stderr


def test_an_invalid_cilium_policy_is_named_with_its_field(tmp_path: Path) -> None:
    bad = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": ["internet"]}]}}
    with cluster_with(tmp_path, [bad], CILIUM_RESOURCES) as (running, config):
        with pytest.raises(ManifestError) as error:
            collect(config)
        url = running.url
    assert (error.value.file, error.value.field) == (f"{url}: CiliumNetworkPolicy shop/web",
                                                     "spec.ingress[0].fromEntities[0]")


def test_cli_snapshot_of_a_cilium_cluster_reads_back_the_same(tmp_path: Path) -> None:
    snapshot_path, runner = str(tmp_path / "snap.json"), CliRunner()
    with cluster_with(tmp_path, cilium_objects(), CILIUM_RESOURCES) as (_, config):
        collected = runner.invoke(main, ["collect", "--kubeconfig", config, "--out", snapshot_path, "--now", NOW])
        from_cluster = runner.invoke(main, ["reachability", "--kubeconfig", config, "-o", "json"])
    assert collected.exit_code == 0, collected.stderr
    document = json.loads(Path(snapshot_path).read_text())
    assert [o["metadata"]["name"] for o in document["objects"]["ciliumclusterwidenetworkpolicies"]] == ["dns"]
    from_snapshot = runner.invoke(main, ["reachability", "--snapshot", snapshot_path, "-o", "json"])
    assert from_cluster.stdout == from_snapshot.stdout
    assert json.loads(from_cluster.stdout)["assumptions"]["complete"] is True
