"""Cluster state from manifest files: directories, multi-document YAML, Lists, JSON, stdin, duplicates, order."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ManifestError
from compliance.model.objects import NAMESPACE_NAME_LABEL, WorkloadRef
from compliance.model.snapshot import Snapshot, snapshot_document
from compliance.netpol.connections import connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.reachability import analyse_snapshot
from compliance.sources import manifests
from compliance.sources.manifests import load_manifests, snapshot_of_objects
from tests.support.calico_objects import CRD, V3, calico_objects
from tests.support.cilium_objects import cidr_group_policy, cilium_objects, host_policy

NOW = "2026-09-30T12:00:00Z"

# --- builders -------------------------------------------------------------------------------------


def namespace(name: str, **labels: str) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(ref: str, phase: str = "Running", **labels: str) -> dict[str, Any]:
    """A bare Pod; ref is `ns/name`."""
    ns, name = ref.split("/")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]}, "status": {"phase": phase}}


def policy(ref: str, spec: dict[str, Any] | None = None, api_version: str = "networking.k8s.io/v1") -> dict[str, Any]:
    """A NetworkPolicy; ref is `ns/name`; deny-all ingress unless `spec` says otherwise."""
    ns, name = ref.split("/")
    return {"apiVersion": api_version, "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec if spec is not None else {"podSelector": {}}}


def service(ref: str) -> dict[str, Any]:
    """A Service on port 80; ref is `ns/name`."""
    ns, name = ref.split("/")
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]}}


def deployment(ref: str, replicas: int = 1) -> dict[str, Any]:
    """A Deployment; ref is `ns/name`."""
    ns, name = ref.split("/")
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "template": {"metadata": {"labels": {"app": name}},
                                                        "spec": {"containers": [{"name": name}]}}}}


def other(api_version: str, kind: str, ref: str = "shop/x") -> dict[str, Any]:
    """An object of any kind, with a spec that is not a NetworkPolicy spec."""
    ns, name = ref.split("/")
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": "app == 'web'", "ingress": [{"action": "Allow"}]}}


def kube_list(*items: dict[str, Any], kind: str = "List") -> dict[str, Any]:
    """A List as `kubectl get -o yaml` prints it."""
    return {"apiVersion": "v1", "kind": kind, "metadata": {"resourceVersion": ""}, "items": list(items)}


def documents(*objects: Any) -> str:
    """Objects as one multi-document YAML text."""
    return "---\n".join(yaml.safe_dump(obj, sort_keys=False) for obj in objects)


def write(root: Path, relative: str, text: str) -> Path:
    """Write `text` to root/relative, creating directories."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(*paths: Path | str) -> Snapshot:
    """load_manifests on these paths."""
    return load_manifests([str(path) for path in paths], NOW)


def load_error(*paths: Path | str) -> ManifestError:
    """The ManifestError loading these paths raises."""
    with pytest.raises(ManifestError) as raised:
        load(*paths)
    return raised.value


def pod_refs(snapshot: Snapshot) -> list[str]:
    """`ns/name` of every pod."""
    return [p.display for p in snapshot.pods]


def policy_refs(snapshot: Snapshot) -> list[str]:
    """`ns/name` of every NetworkPolicy."""
    return [p.key for p in snapshot.policies]


def namespace_names(snapshot: Snapshot) -> list[str]:
    """Names of every namespace."""
    return [n.name for n in snapshot.namespaces]


def service_refs(snapshot: Snapshot) -> list[str]:
    """`ns/name` of every service."""
    return [f"{s.namespace}/{s.name}" for s in snapshot.services]


# --- files and directories ------------------------------------------------------------------------


def test_directories_are_walked_recursively_for_manifest_suffixes_only(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", documents(pod("shop/a")))
    write(tmp_path, "team/b.yml", documents(pod("shop/b")))
    write(tmp_path, "team/deep/er/c.json", json.dumps(pod("shop/c")))
    write(tmp_path, "team/D.YAML", documents(pod("shop/d")))
    # Not manifests: each would fail to load if it were read.
    write(tmp_path, "README.md", "# Policies\n: not yaml : [\n")
    write(tmp_path, "team/notes.txt", "kind: Pod\n")
    write(tmp_path, "team/apply.sh", "kubectl apply -f .\n")
    write(tmp_path, "team/a.yaml.orig", "{{ broken\n")

    snapshot = load(tmp_path)

    assert pod_refs(snapshot) == ["shop/a", "shop/b", "shop/c", "shop/d"]
    assert snapshot.source == {"type": "manifests", "paths": [str(tmp_path)]}
    assert snapshot.collected_at == NOW
    assert snapshot.warnings == ()


def test_files_and_directories_can_be_combined(tmp_path: Path) -> None:
    single = write(tmp_path, "single.yaml", documents(policy("shop/deny")))
    write(tmp_path, "dir/pods.yaml", documents(pod("shop/web")))
    snapshot = load(single, tmp_path / "dir")
    assert (policy_refs(snapshot), pod_refs(snapshot)) == (["shop/deny"], ["shop/web"])


@pytest.mark.parametrize(("make", "message"), [
    pytest.param(lambda root: root / "missing.yaml", "no such file or directory", id="missing-file"),
    pytest.param(lambda root: root / "missing-dir", "no such file or directory", id="missing-directory"),
    pytest.param(lambda root: write(root, "empty/README.md", "nothing here").parent,
                 "no .yaml, .yml or .json files in this directory", id="directory-without-manifests"),
])
def test_paths_that_hold_no_manifests(tmp_path: Path, make: Any, message: str) -> None:
    path = make(tmp_path)
    error = load_error(path)
    assert (error.file, error.document, error.detail) == (str(path), None, message)
    assert error.message == f"{path}: {message}"


def test_multi_document_yaml_with_empty_documents(tmp_path: Path) -> None:
    text = ("---\n# leading comment-only document\n---\n" + documents(namespace("shop"), pod("shop/web"))
            + "---\n\n---\n" + documents(policy("shop/deny")) + "---\n")
    snapshot = load(write(tmp_path, "all.yaml", text))
    assert (namespace_names(snapshot), pod_refs(snapshot), policy_refs(snapshot)) == (
        ["shop"], ["shop/web"], ["shop/deny"])


def test_document_numbers_count_empty_documents(tmp_path: Path) -> None:
    broken = pod("shop/web")
    broken["status"]["podIP"] = "not-an-ip"
    # Document 1 is empty, 2 is the namespace, 3 the pod.
    path = write(tmp_path, "pods.yaml", "---\n---\n" + documents(namespace("shop"), broken))
    error = load_error(path)
    assert (error.document, error.field, error.detail) == (3, "status.podIP", "invalid IP address 'not-an-ip'")


def test_empty_file_gives_an_empty_snapshot(tmp_path: Path) -> None:
    snapshot = load(write(tmp_path, "empty.yaml", "# nothing yet\n"))
    assert (snapshot.namespaces, snapshot.pods, snapshot.policies, snapshot.services) == ((), (), (), ())


def test_an_empty_file_among_others_is_harmless(tmp_path: Path) -> None:
    write(tmp_path, "a-empty.yaml", "")
    write(tmp_path, "b.yaml", documents(namespace("shop")))
    assert namespace_names(load(tmp_path)) == ["shop"]


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_a_file_beyond_the_size_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 stdin: bool) -> None:
    monkeypatch.setattr(manifests, "MAX_FILE_BYTES", 100)
    text = documents(namespace("shop", team="a" * 60), namespace("bank"))
    path = write(tmp_path, "big.yaml", text)
    if stdin:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    error = load_error("-" if stdin else path)
    name = "<stdin>" if stdin else path
    assert error.message == f"{name}: larger than 100 bytes, the most segproof reads from one file"


def test_an_input_beyond_the_object_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifests, "MAX_OBJECTS", 3)
    path = write(tmp_path, "many.yaml", documents(namespace("a"), namespace("b"), namespace("c"), namespace("d")))
    assert (load_error(path).document, load_error(path).detail) == (
        4, "the input holds more than 3 objects (a workload counting as the pods it runs), more than a cluster has")
    within = write(tmp_path, "within/one.yaml", documents(namespace("shop"), deployment("shop/web", 2)))
    assert pod_refs(load(within)) == ["shop/web-0", "shop/web-1"]
    replicas = write(tmp_path, "replicas.yaml", documents(namespace("shop"), deployment("shop/web", 3)))
    assert load_error(replicas).document == 2


@pytest.mark.parametrize(("obj", "field", "detail"), [
    pytest.param({**namespace("shop"), "apiVersion": ["v1"]}, "apiVersion", "must be a string, not a list",
                 id="api-version"),
    pytest.param({**namespace("shop"), "kind": ["Namespace"]}, "kind", "must be a string, not a list", id="kind"),
    pytest.param(kube_list({**namespace("shop"), "kind": 7}), "items[0].kind", "must be a string, not 7",
                 id="item-kind"),
])
def test_api_version_and_kind_must_be_strings(tmp_path: Path, obj: dict[str, Any], field: str, detail: str) -> None:
    error = load_error(write(tmp_path, "a.yaml", documents(obj)))
    assert (error.field, error.detail) == (field, detail)


# --- Lists ----------------------------------------------------------------------------------------


def test_kubectl_list_output(tmp_path: Path) -> None:
    text = documents(kube_list(namespace("shop"), pod("shop/web"), service("shop/web"), policy("shop/deny")))
    snapshot = load(write(tmp_path, "cluster.yaml", text))
    assert namespace_names(snapshot) == ["shop"]
    assert pod_refs(snapshot) == ["shop/web"]
    assert [s.name for s in snapshot.services] == ["web"]
    assert policy_refs(snapshot) == ["shop/deny"]


@pytest.mark.parametrize(("list_kind", "item", "found", "expected"), [
    pytest.param("PodList", pod("shop/web"), pod_refs, ["shop/web"], id="PodList"),
    pytest.param("ServiceList", service("shop/web"), service_refs, ["shop/web"], id="ServiceList"),
    pytest.param("NamespaceList", namespace("shop"), namespace_names, ["shop"], id="NamespaceList"),
    pytest.param("DeploymentList", deployment("shop/web", 2), pod_refs, ["shop/web-0", "shop/web-1"],
                 id="DeploymentList"),
])
def test_typed_list_items_take_the_kind_of_the_list(tmp_path: Path, list_kind: str, item: dict[str, Any],
                                                    found: Any, expected: list[str]) -> None:
    untyped = {key: value for key, value in item.items() if key not in ("kind", "apiVersion")}
    snapshot = load(write(tmp_path, "list.yaml", documents(kube_list(untyped, kind=list_kind))))
    assert found(snapshot) == expected


def test_network_policy_list_items_are_network_policies(tmp_path: Path) -> None:
    item = {key: value for key, value in policy("shop/deny").items() if key not in ("kind", "apiVersion")}
    text = documents({**kube_list(item, kind="NetworkPolicyList"), "apiVersion": "networking.k8s.io/v1"})
    snapshot = load(write(tmp_path, "netpols.yaml", text))
    assert policy_refs(snapshot) == ["shop/deny"]


@pytest.mark.parametrize(("content", "field", "detail"), [
    pytest.param({"apiVersion": "v1", "kind": "List", "items": {"kind": "Pod"}}, "items",
                 "must be a list, not an object", id="items-object"),
    pytest.param({"apiVersion": "v1", "kind": "List"}, "items", "must be a list, not null", id="items-missing"),
    pytest.param(kube_list(namespace("a"), "b"), "items[1]", "must be a Kubernetes object (a mapping)",
                 id="item-scalar"),
    pytest.param(kube_list({"metadata": {"name": "a"}}), "items[0].kind", "required field is missing",
                 id="untyped-list-item-without-kind"),
    pytest.param(kube_list(namespace("ok"), policy("shop/p", {"podSelector": {}, "policyTypes": ["ingress"]})),
                 "items[1].spec.policyTypes[0]", "unsupported policy type 'ingress' (expected Ingress or Egress)",
                 id="invalid-item-names-its-index"),
])
def test_invalid_lists(tmp_path: Path, content: dict[str, Any], field: str, detail: str) -> None:
    path = write(tmp_path, "list.yaml", documents(namespace("first"), content))
    error = load_error(path)
    assert (error.file, error.document, error.field, error.detail) == (str(path), 2, field, detail)


# --- JSON and stdin -------------------------------------------------------------------------------


def test_json_files(tmp_path: Path) -> None:
    write(tmp_path, "policy.json", json.dumps(policy("shop/deny"), indent=2))
    write(tmp_path, "pods.json", json.dumps(kube_list(pod("shop/a"), pod("shop/b"))))
    snapshot = load(tmp_path)
    assert (policy_refs(snapshot), pod_refs(snapshot)) == (["shop/deny"], ["shop/a", "shop/b"])


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "policy.json", '{\n  "kind": "NetworkPolicy",\n}\n')
    error = load_error(path)
    assert (error.document, error.field) == (None, "")
    assert error.message == (f"{path}: invalid JSON at line 3 column 1: "
                             "Expecting property name enclosed in double quotes")


def test_invalid_yaml_names_document_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "ns.yaml", documents(namespace("a")) + "---\nkind: Namespace\nmetadata: {name: [b\n")
    error = load_error(path)
    assert error.document == 2
    assert error.detail.startswith("invalid YAML at line ")
    assert error.message.startswith(f"{path}: document 2: invalid YAML at line ")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00k\x00i")
    assert load_error(path).message == f"{path}: not UTF-8 text"


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(documents(namespace("shop", team="retail"), pod("shop/web"))))
    snapshot = load("-")
    assert pod_refs(snapshot) == ["shop/web"]
    assert dict(snapshot.namespaces[0].labels)["team"] == "retail"
    assert snapshot.source == {"type": "manifests", "paths": ["-"]}


def test_stdin_with_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(documents(pod("shop/from-stdin"))))
    snapshot = load(write(tmp_path, "p.yaml", documents(pod("shop/from-file"))), "-")
    assert pod_refs(snapshot) == ["shop/from-file", "shop/from-stdin"]


def test_stdin_errors_name_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(documents(namespace("shop"), policy("shop/p", {"podSelector": []}))))
    error = load_error("-")
    assert error.message == "<stdin>: document 2: spec.podSelector: must be an object, not a list"


# --- namespaces, skipped and unmodelled kinds -----------------------------------------------------


def test_referenced_namespaces_are_created_with_their_name_label(tmp_path: Path) -> None:
    default_pod = pod("x/bare")
    del default_pod["metadata"]["namespace"]
    text = documents(namespace("ops", team="sre"), pod("shop/web"), policy("db/deny"), service("web/front"),
                     default_pod, deployment("batch/etl"))
    snapshot = load(write(tmp_path, "objects.yaml", text))
    assert {n.name: dict(n.labels) for n in snapshot.namespaces} == {
        "batch": {NAMESPACE_NAME_LABEL: "batch"},
        "db": {NAMESPACE_NAME_LABEL: "db"},
        "default": {NAMESPACE_NAME_LABEL: "default"},
        "ops": {NAMESPACE_NAME_LABEL: "ops", "team": "sre"},
        "shop": {NAMESPACE_NAME_LABEL: "shop"},
        "web": {NAMESPACE_NAME_LABEL: "web"},
    }


def test_defined_namespaces_keep_their_labels(tmp_path: Path) -> None:
    snapshot = load(write(tmp_path, "o.yaml", documents(pod("shop/web"), namespace("shop", zone="cde"))))
    assert dict(snapshot.namespaces[0].labels) == {NAMESPACE_NAME_LABEL: "shop", "zone": "cde"}


def test_other_kinds_are_counted_in_skipped(tmp_path: Path) -> None:
    text = documents(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}, "data": {"a": "1"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d", "namespace": "shop"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "shop"}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "shop"}},
        pod("shop/done", phase="Succeeded"),
        pod("shop/crashed", phase="Failed"),
        pod("shop/web"),
    )
    snapshot = load(write(tmp_path, "mixed.yaml", text))
    assert snapshot.skipped == {"ConfigMap": 2, "Ingress": 1, "Pod (terminated)": 2}
    assert list(snapshot.skipped) == sorted(snapshot.skipped)
    assert pod_refs(snapshot) == ["shop/web"]
    assert snapshot.unmodelled == {}


UNMODELLED = [
    ("projectcalico.org/v3", "HostEndpoint", "Calico HostEndpoint"),
    ("projectcalico.org/v2", "NetworkPolicy", "Calico NetworkPolicy (projectcalico.org/v2)"),
    ("projectcalico.org/v2", "GlobalNetworkPolicy", "Calico GlobalNetworkPolicy (projectcalico.org/v2)"),
    ("cilium.io/v2alpha1", "CiliumNetworkPolicy", "CiliumNetworkPolicy (cilium.io/v2alpha1)"),
    ("cilium.io/v3", "CiliumClusterwideNetworkPolicy", "CiliumClusterwideNetworkPolicy (cilium.io/v3)"),
    ("policy.networking.k8s.io/v1beta1", "AdminNetworkPolicy", "AdminNetworkPolicy (policy.networking.k8s.io/v1beta1)"),
    ("policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy",
     "ClusterNetworkPolicy (policy.networking.k8s.io/v1beta1)"),
]


@pytest.mark.parametrize(("api_version", "kind", "reported"), [pytest.param(*row, id=f"{row[0]}-{row[1]}")
                                                                 for row in UNMODELLED])
def test_unmodelled_policy_kinds_are_counted_not_treated_as_network_policies(
        tmp_path: Path, api_version: str, kind: str, reported: str) -> None:
    # The spec is not a valid NetworkPolicy spec: parsing it as one would fail.
    snapshot = load(write(tmp_path, "cni.yaml", documents(other(api_version, kind), other(api_version, kind, "a/y"))))
    assert snapshot.unmodelled == {reported: 2}
    assert snapshot.policies == ()
    assert snapshot.skipped == {}


def test_unmodelled_counts_add_up_across_kinds(tmp_path: Path) -> None:
    snapshot = load(write(tmp_path, "cni.yaml", documents(*(other(api, kind) for api, kind, _ in UNMODELLED),
                                                          policy("shop/real"))))
    assert snapshot.unmodelled == {
        "AdminNetworkPolicy (policy.networking.k8s.io/v1beta1)": 1, "Calico HostEndpoint": 1,
        "Calico GlobalNetworkPolicy (projectcalico.org/v2)": 1, "Calico NetworkPolicy (projectcalico.org/v2)": 1,
        "CiliumClusterwideNetworkPolicy (cilium.io/v3)": 1, "CiliumNetworkPolicy (cilium.io/v2alpha1)": 1,
        "ClusterNetworkPolicy (policy.networking.k8s.io/v1beta1)": 1,
    }
    assert policy_refs(snapshot) == ["shop/real"]


# --- files that hold something other than objects -------------------------------------------------

NOT_OBJECTS = [
    pytest.param("values.yaml", "replicaCount: 2\nimage:\n  tag: latest\n", "kind", "required field is missing",
                 id="helm-values-mapping"),
    pytest.param("report.json", json.dumps([{"check": "x", "status": "pass"}]), "",
                 "a document must be a Kubernetes object (a mapping)", id="json-list"),
    pytest.param("notes.yaml", "just some text\n", "", "a document must be a Kubernetes object (a mapping)",
                 id="scalar"),
]


@pytest.mark.parametrize(("name", "text", "field", "detail"), NOT_OBJECTS)
def test_non_objects_in_a_directory_are_skipped_with_a_warning(tmp_path: Path, name: str, text: str, field: str,
                                                               detail: str) -> None:
    write(tmp_path, "pods.yaml", documents(pod("shop/web")))
    path = write(tmp_path, f"chart/{name}", text)
    snapshot = load(tmp_path)
    assert pod_refs(snapshot) == ["shop/web"]
    assert snapshot.warnings == (f"{path}: document 1: not a Kubernetes object; skipped",)


@pytest.mark.parametrize(("name", "text", "field", "detail"), NOT_OBJECTS)
def test_non_objects_named_explicitly_are_errors(tmp_path: Path, name: str, text: str, field: str,
                                                 detail: str) -> None:
    path = write(tmp_path, name, text)
    error = load_error(path)
    assert (error.file, error.document, error.field, error.detail) == (str(path), 1, field, detail)


def test_only_the_non_object_documents_of_a_directory_file_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.yaml", documents(pod("shop/a"), ["not", "an", "object"], pod("shop/b")))
    snapshot = load(tmp_path)
    assert pod_refs(snapshot) == ["shop/a", "shop/b"]
    assert snapshot.warnings == (f"{path}: document 2: not a Kubernetes object; skipped",)


def test_invalid_objects_in_a_directory_are_still_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "policies/deny.yaml", documents(policy("shop/deny", {"policyTypes": ["Inbound"]})))
    error = load_error(tmp_path)
    assert (error.file, error.document, error.field) == (str(path), 1, "spec.policyTypes[0]")


# --- a policy without podSelector -----------------------------------------------------------------

# payments admits ingress only from checkout on 8443; its pods (api and vault) differ in labels, so a
# policy selecting only some of them would show. `{selector}` is the policy's podSelector line.
POD_SELECTOR_CLUSTER = """\
apiVersion: v1
kind: Namespace
metadata: {{name: payments}}
---
apiVersion: v1
kind: Pod
metadata: {{name: api, namespace: payments, labels: {{app: api}}}}
spec: {{containers: [{{name: main, ports: [{{containerPort: 8443}}]}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: vault, namespace: payments, labels: {{app: vault}}}}
spec: {{containers: [{{name: main, ports: [{{containerPort: 5432}}]}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: checkout, labels: {{app: web}}}}
spec: {{containers: [{{name: main}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: ads, namespace: marketing, labels: {{app: ads}}}}
spec: {{containers: [{{name: main}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: from-checkout, namespace: payments}}
spec:
{selector}
  ingress:
    - from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: checkout}}}}}}]
      ports: [{{port: 8443}}]
"""


@pytest.mark.parametrize("selector", [pytest.param("", id="missing"), pytest.param("  podSelector: null", id="null"),
                                      pytest.param("  podSelector:", id="empty-value")])
def test_a_policy_without_pod_selector_selects_every_pod_of_its_namespace(tmp_path: Path, selector: str) -> None:
    def reachability(text: str, name: str) -> tuple[Snapshot, list]:
        snapshot = load(write(tmp_path, name, text))
        return snapshot, connections(analyse_snapshot(snapshot, AnalysisOptions()), "pod")

    written, found = reachability(POD_SELECTOR_CLUSTER.format(selector=selector), "without.yaml")
    _, expected = reachability(POD_SELECTOR_CLUSTER.format(selector="  podSelector: {}"), "empty.yaml")

    assert found == expected
    into_payments = {(c.source, c.destination): c.ports.describe() for c in found
                     if c.destination.startswith("payments/")}
    # Both payments pods are isolated: only checkout reaches them, and only on 8443.
    assert into_payments == {("checkout/web", "payments/api"): "TCP 8443",
                             ("checkout/web", "payments/vault"): "TCP 8443"}
    assert snapshot_document(written)["objects"]["networkpolicies"][0]["spec"]["podSelector"] == {}


# --- duplicates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", [
    pytest.param(namespace("shop", team="retail"), id="namespace"),
    pytest.param(pod("shop/web", app="web"), id="pod"),
    pytest.param(service("shop/web"), id="service"),
    pytest.param(policy("shop/deny"), id="policy"),
])
def test_identical_duplicates_are_accepted(tmp_path: Path, obj: dict[str, Any]) -> None:
    once = load(write(tmp_path, "once/a.yaml", documents(obj)))
    write(tmp_path, "twice/a.yaml", documents(obj))
    write(tmp_path, "twice/b/copy.json", json.dumps(kube_list(obj)))
    twice = load(tmp_path / "twice")
    assert (twice.namespaces, twice.pods, twice.services, twice.policies) == (
        once.namespaces, once.pods, once.services, once.policies)


@pytest.mark.parametrize(("first", "second", "kind", "name"), [
    pytest.param(namespace("shop", team="a"), namespace("shop", team="b"), "Namespace", "shop", id="namespace"),
    pytest.param(pod("shop/web", app="a"), pod("shop/web", app="b"), "Pod", "shop/web", id="pod"),
    pytest.param(policy("shop/p"), policy("shop/p", {"podSelector": {"matchLabels": {"app": "x"}}}),
                 "NetworkPolicy", "shop/p", id="policy"),
])
def test_different_duplicates_are_rejected(tmp_path: Path, first: dict[str, Any], second: dict[str, Any], kind: str,
                                           name: str) -> None:
    a = write(tmp_path, "a.yaml", documents(first))
    b = write(tmp_path, "b.yaml", documents(namespace("other"), second))
    error = load_error(tmp_path)
    assert (error.file, error.document, error.field) == (str(b), 2, "metadata.name")
    assert error.detail == f"{kind} {name} is defined again with different content (first in {a} document 1)"


def test_a_different_service_is_a_warning_and_the_later_one_wins(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", documents(service("shop/web")))
    b = write(tmp_path, "b.yaml", documents(namespace("other"), {**service("shop/web"),
                                                                 "spec": {"ports": [{"port": 81}]}}))
    snapshot = load(tmp_path)
    assert [port.port for port in snapshot.services[0].ports] == [81]
    assert snapshot.warnings == (f"{b}: document 2: metadata.name: Service shop/web is defined again with different "
                                 f"content (first in {a} document 1); the later one is used, as kubectl apply would",)


def test_different_duplicate_inside_a_list_names_the_item(tmp_path: Path) -> None:
    path = write(tmp_path, "list.yaml", documents(kube_list(policy("shop/p"), policy("shop/p", {"podSelector": {},
                                                                                                "ingress": [{}]}))))
    error = load_error(path)
    assert (error.document, error.field) == (1, "items[1].metadata.name")
    assert error.detail.endswith(f"(first in {path} document 1)")


# --- determinism ----------------------------------------------------------------------------------

MIXED = [pod("shop/web-b"), namespace("zeta"), policy("shop/b-allow"), service("db/pg"), pod("db/pg-0"),
         policy("db/a-deny"), pod("shop/web-a"), namespace("alpha"), service("shop/api"), deployment("batch/etl", 2)]


def test_objects_are_sorted(tmp_path: Path) -> None:
    snapshot = load(write(tmp_path, "mixed.yaml", documents(*MIXED)))
    assert namespace_names(snapshot) == ["alpha", "batch", "db", "shop", "zeta"]
    assert pod_refs(snapshot) == ["batch/etl-0", "batch/etl-1", "db/pg-0", "shop/web-a", "shop/web-b"]
    assert service_refs(snapshot) == ["db/pg", "shop/api"]
    assert policy_refs(snapshot) == ["db/a-deny", "shop/b-allow"]


def test_files_are_read_in_sorted_order(tmp_path: Path) -> None:
    for name in ("c.yaml", "a.yaml", "b/z.yaml", "b/a.yaml"):
        write(tmp_path, name, "just text\n")
    snapshot = load(tmp_path)
    assert [warning.split(":")[0] for warning in snapshot.warnings] == [
        str(tmp_path / name) for name in ("a.yaml", "b/a.yaml", "b/z.yaml", "c.yaml")]


def test_the_same_input_twice_gives_equal_snapshots(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", documents(*MIXED[:5]))
    write(tmp_path, "sub/two.json", json.dumps(kube_list(*MIXED[5:])))
    first, second = load(tmp_path), load(tmp_path)
    assert first == second
    assert json.dumps(snapshot_document(first), sort_keys=False) == json.dumps(snapshot_document(second))


@settings(max_examples=50, deadline=None)
@given(order=st.permutations(MIXED))
def test_object_order_does_not_change_the_snapshot(order: list[dict[str, Any]]) -> None:
    expected = snapshot_of_objects(MIXED, {"type": "test"}, NOW)
    assert snapshot_of_objects(order, {"type": "test"}, NOW) == expected


# --- snapshot_of_objects --------------------------------------------------------------------------


def test_snapshot_of_objects() -> None:
    objects = [namespace("shop"), None, kube_list(pod("shop/web"), policy("shop/deny")), service("shop/web"),
               other("cilium.io/v2alpha1", "CiliumNetworkPolicy"), {"apiVersion": "v1", "kind": "Secret",
                                                               "metadata": {"name": "s", "namespace": "shop"}}]
    snapshot = snapshot_of_objects(objects, {"type": "cluster", "server": "https://k8s.example"}, NOW)
    assert snapshot.source == {"type": "cluster", "server": "https://k8s.example"}
    assert snapshot.collected_at == NOW
    assert (namespace_names(snapshot), pod_refs(snapshot), policy_refs(snapshot)) == (
        ["shop"], ["shop/web"], ["shop/deny"])
    assert snapshot.skipped == {"Secret": 1}
    assert snapshot.unmodelled == {"CiliumNetworkPolicy (cilium.io/v2alpha1)": 1}
    assert snapshot.warnings == ()


def test_snapshot_of_objects_expands_workloads() -> None:
    snapshot = snapshot_of_objects([deployment("shop/web", 2)], {"type": "test"}, NOW)
    assert pod_refs(snapshot) == ["shop/web-0", "shop/web-1"]
    assert {p.workload for p in snapshot.pods} == {WorkloadRef("shop", "web", "Deployment")}


@pytest.mark.parametrize(("name", "expected"), [
    pytest.param(None, "<objects>: document 3: spec.ingress: must be a list, not an object", id="default-name"),
    pytest.param("cluster", "cluster: document 3: spec.ingress: must be a list, not an object", id="given-name"),
])
def test_snapshot_of_objects_errors_name_the_object_index(name: str | None, expected: str) -> None:
    objects = [namespace("a"), namespace("b"), policy("a/p", {"podSelector": {}, "ingress": {"from": []}})]
    kwargs = {} if name is None else {"name": name}
    with pytest.raises(ManifestError) as raised:
        snapshot_of_objects(objects, {"type": "test"}, NOW, **kwargs)
    assert raised.value.message == expected


def test_snapshot_of_objects_rejects_non_objects() -> None:
    with pytest.raises(ManifestError) as raised:
        snapshot_of_objects([namespace("a"), ["b"]], {"type": "test"}, NOW)
    assert raised.value.message == "<objects>: document 2: a document must be a Kubernetes object (a mapping)"


def test_kubectl_get_all_output_is_not_counted_twice(tmp_path: Path) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                  "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}}}
    replica_set = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": "web-5d4f8", "namespace": "shop",
                                "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}]},
                   "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}}}
    live_pods = [{"apiVersion": "v1", "kind": "Pod",
                  "metadata": {"name": f"web-5d4f8-{suffix}", "namespace": "shop", "labels": {"app": "web"},
                               "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d4f8", "controller": True}]},
                  "spec": {}} for suffix in ("abcde", "fghij")]
    snapshot = load(write(tmp_path, "all.yaml", documents(kube_list(deployment, replica_set, *live_pods))))
    assert [(p.name, p.workload.display) for p in snapshot.pods] == [
        ("web-5d4f8-abcde", "shop/web[Deployment]"), ("web-5d4f8-fghij", "shop/web[Deployment]")]


def test_a_replica_set_owned_by_a_given_deployment_is_not_expanded_again(tmp_path: Path) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                  "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}}}
    replica_set = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": "web-5d4f8", "namespace": "shop",
                                "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}]},
                   "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}}}
    snapshot = load(write(tmp_path, "all.yaml", documents(deployment, replica_set)))
    assert [(p.name, p.workload.display) for p in snapshot.pods] == [("web-0", "shop/web[Deployment]")]


# --- Calico's objects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("api_version", [V3, CRD])
def test_calicos_objects_are_read_from_either_api_group(tmp_path: Path, api_version: str) -> None:
    snapshot = load(write(tmp_path, "calico.yaml", documents(*calico_objects(api_version))))
    assert [p.key for p in snapshot.calico_policies] == ["CalicoNetworkPolicy/payments/api",
                                                         "GlobalNetworkPolicy/security.cde-guard"]
    assert [(t.name, t.order, t.default_action.value) for t in snapshot.calico_tiers] == [("security", 100.0, "Pass")]
    assert [s.kind + "/" + s.name for s in snapshot.network_sets] == ["GlobalNetworkSet/internet",
                                                                       "NetworkSet/partners"]
    assert [(a.namespace, a.name, a.labels) for a in snapshot.service_accounts] == [
        ("shop", "checkout", (("team", "web"),))]
    assert [pod.service_account for pod in snapshot.pods] == ["checkout"]
    assert snapshot.namespace_names() == ["payments", "shop"]  # referenced namespaces exist
    assert snapshot.skipped == {}


def test_calico_policies_are_modelled(tmp_path: Path) -> None:
    snapshot = load(write(tmp_path, "calico.yaml", documents(*calico_objects())))
    assert snapshot.unmodelled == {}


def test_the_same_object_in_both_groups_is_kept_once(tmp_path: Path) -> None:
    snapshot = load(write(tmp_path, "v3.yaml", documents(*calico_objects(V3))),
                    write(tmp_path, "crd.yaml", documents(*calico_objects(CRD)[:5])))
    assert len(snapshot.calico_policies) == 2 and len(snapshot.network_sets) == 2


def test_a_calico_policy_defined_again_differently_is_an_error(tmp_path: Path) -> None:
    changed = calico_objects(CRD)[2]
    changed["spec"] = {**changed["spec"], "order": 600}
    error = load_error(write(tmp_path, "a.yaml", documents(*calico_objects(V3))), write(tmp_path, "b.yaml",
                                                                                       documents(changed)))
    assert error.message.endswith("metadata.name: Calico policy CalicoNetworkPolicy/payments/api is defined again "
                                  f"with different content (first in {tmp_path / 'a.yaml'} document 3)")


def test_calicos_kinds_at_another_version_are_counted_as_not_modelled(tmp_path: Path) -> None:
    tier = {**calico_objects()[0], "apiVersion": "projectcalico.org/v2"}
    snapshot = load(write(tmp_path, "t.yaml", documents(tier, namespace("a"))))
    assert (snapshot.unmodelled, snapshot.skipped) == ({"Calico Tier (projectcalico.org/v2)": 1}, {})



# --- Cilium's policies -------------------------------------------------------------------------------------


def test_cilium_policies_are_read_and_modelled(tmp_path: Path) -> None:
    snapshot = load(write(tmp_path, "cilium.yaml", documents(*cilium_objects())))
    assert [p.key for p in snapshot.cilium_policies] == ["CiliumClusterwideNetworkPolicy/dns",
                                                         "CiliumNetworkPolicy/payments/api",
                                                         "CiliumNetworkPolicy/payments/deny-world"]
    assert [len(p.rule_sets) for p in snapshot.cilium_policies] == [1, 2, 1]
    assert snapshot.namespace_names() == ["payments"]  # a referenced namespace exists
    assert (snapshot.unmodelled, snapshot.skipped) == ({}, {})
    assert [p.key for p in snapshot.all_policies] == [p.key for p in snapshot.cilium_policies]


def test_host_policies_requires_and_cidr_groups_are_counted_once_per_policy(tmp_path: Path) -> None:
    objects = [*cilium_objects(), host_policy("a"), host_policy("b"), cidr_group_policy()]
    snapshot = load(write(tmp_path, "cilium.yaml", documents(*objects)))
    assert snapshot.unmodelled == {"Cilium CIDR groups (CiliumCIDRGroup)": 1, "Cilium fromRequires/toRequires": 2,
                                   "CiliumClusterwideNetworkPolicy host policies": 2}
    assert len(snapshot.cilium_policies) == 6


def test_cilium_kinds_that_change_no_reachability_are_skipped(tmp_path: Path) -> None:
    text = documents(other("cilium.io/v2", "CiliumCIDRGroup"), other("cilium.io/v2", "CiliumEgressGatewayPolicy"),
                     *cilium_objects())
    snapshot = load(write(tmp_path, "cilium.yaml", text))
    assert (snapshot.unmodelled, snapshot.skipped) == ({}, {"CiliumCIDRGroup": 1, "CiliumEgressGatewayPolicy": 1})


def test_an_invalid_cilium_policy_names_file_document_and_field(tmp_path: Path) -> None:
    broken = cilium_objects()[0]
    broken["specs"][0]["egress"][0]["toPorts"][0]["ports"][0]["port"] = "99999"
    path = write(tmp_path, "cilium.yaml", documents(namespace("payments"), broken))
    assert load_error(path).message == (f"{path}: document 2: specs[0].egress[0].toPorts[0].ports[0].port: invalid "
                                        "port '99999' (a number 0-65535, or a port name of 1-15 letters, digits and "
                                        "single inner '-', with a letter)")


def test_a_cilium_policy_defined_again_differently_is_an_error(tmp_path: Path) -> None:
    changed = cilium_objects()[1]
    changed["spec"]["ingressDeny"] = [{"fromEntities": ["all"]}]
    error = load_error(write(tmp_path, "a.yaml", documents(*cilium_objects())), write(tmp_path, "b.yaml",
                                                                                      documents(changed)))
    assert error.message.endswith("metadata.name: Cilium policy CiliumNetworkPolicy/payments/deny-world is "
                                  f"defined again with different content (first in {tmp_path / 'a.yaml'} document 2)")
