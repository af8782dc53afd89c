"""Snapshot files: what `collect` writes, every command reads back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compliance.errors import ManifestError
from compliance.model.snapshot import snapshot_document
from compliance.report.formats import json_text
from compliance.resources import resource_dir
from compliance.sources.manifests import load_manifests
from compliance.sources.snapshot_file import load_snapshot_file
from tests.netpol.builders import admin, baseline, cluster, cluster_policy, namespace
from tests.sources.test_manifests import documents
from tests.support.calico_objects import CRD, calico_objects
from tests.support.cilium_objects import cidr_group_policy, cilium_objects, host_policy
from tests.support.cli import run


def write_snapshot(tmp_path: Path, document: object) -> str:
    path = tmp_path / "snapshot.json"
    path.write_text(json_text(document, flat_below=3))
    return str(path)


def test_a_snapshot_reads_back_as_the_same_snapshot(tmp_path: Path) -> None:
    original = load_manifests([str(resource_dir("samples") / "cluster")], "2026-09-30T12:00:00Z")
    reread = load_snapshot_file(write_snapshot(tmp_path, snapshot_document(original)))
    assert reread == original
    assert [p.spec for p in reread.policies] == [json.loads(json.dumps(p.spec, sort_keys=True))
                                                  for p in original.policies]
    assert snapshot_document(reread) == snapshot_document(original)


def test_cluster_policies_are_written_in_their_own_lists_and_read_back(tmp_path: Path) -> None:
    objects = [admin("guard", 10, {"ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}),
               baseline({"egress": [{"action": "Allow", "to": [{"networks": ["10.0.0.0/8"]}]}]}),
               cluster_policy("ClusterNetworkPolicy", "edge", {"egress": [
                   {"action": "Accept", "to": [{"domainNames": ["example.com"]}]}]}, 3, "Admin")]
    original = cluster(namespace("a"), *objects)
    document = snapshot_document(original)
    assert document["format"] == "segproof.snapshot/v4"
    lists = {key: [item["metadata"]["name"] for item in value] for key, value in document["objects"].items()
             if key in ("adminnetworkpolicies", "baselineadminnetworkpolicies", "clusternetworkpolicies")}
    assert lists == {"adminnetworkpolicies": ["guard"], "baselineadminnetworkpolicies": ["default"],
                     "clusternetworkpolicies": ["edge"]}
    assert load_snapshot_file(write_snapshot(tmp_path, document)).cluster_policies == original.cluster_policies


def test_calicos_objects_and_service_accounts_read_back_equal(tmp_path: Path) -> None:
    manifest = tmp_path / "calico.yaml"
    manifest.write_text(documents(*calico_objects(CRD)), encoding="utf-8")
    original = load_manifests([str(manifest)], "2026-09-30T12:00:00Z")
    document = snapshot_document(original)
    assert document["format"] == "segproof.snapshot/v4"
    names = {key: [(item["apiVersion"], item["metadata"]["name"]) for item in document["objects"][key]]
             for key in ("tiers", "caliconetworkpolicies", "globalnetworkpolicies", "networksets",
                         "globalnetworksets", "serviceaccounts")}
    assert names == {"tiers": [("projectcalico.org/v3", "security")],
                     "caliconetworkpolicies": [("projectcalico.org/v3", "api")],
                     "globalnetworkpolicies": [("projectcalico.org/v3", "security.cde-guard")],
                     "networksets": [("projectcalico.org/v3", "partners")],
                     "globalnetworksets": [("projectcalico.org/v3", "internet")],
                     "serviceaccounts": [("v1", "checkout")]}
    assert "secrets" not in json.dumps(document["objects"]["serviceaccounts"])
    assert document["objects"]["pods"][0]["spec"]["serviceAccountName"] == "checkout"
    reread = load_snapshot_file(write_snapshot(tmp_path, document))
    assert reread == original
    assert (reread.calico_policies, reread.calico_tiers, reread.network_sets, reread.service_accounts) == (
        original.calico_policies, original.calico_tiers, original.network_sets, original.service_accounts)
    assert [p.spec for p in reread.calico_policies] == [p.spec for p in original.calico_policies]
    assert snapshot_document(reread) == document


def test_cilium_policies_read_back_equal_with_their_spec_and_specs_as_given(tmp_path: Path) -> None:
    manifest = tmp_path / "cilium.yaml"
    objects = [*cilium_objects(), host_policy(), cidr_group_policy()]
    manifest.write_text(documents(*objects), encoding="utf-8")
    original = load_manifests([str(manifest)], "2026-09-30T12:00:00Z")
    document = snapshot_document(original)
    assert document["format"] == "segproof.snapshot/v4"
    assert [(item["apiVersion"], item["metadata"]["name"]) for item in document["objects"]["ciliumnetworkpolicies"]
            ] == [("cilium.io/v2", "api"), ("cilium.io/v2", "deny-world"), ("cilium.io/v2", "partners")]
    written = {item["metadata"]["name"]: item for item in document["objects"]["ciliumclusterwidenetworkpolicies"]}
    assert sorted(written) == ["dns", "nodes"]
    assert (written["nodes"]["spec"], written["nodes"]["specs"]) == (objects[3]["spec"], objects[3]["specs"])
    api = document["objects"]["ciliumnetworkpolicies"][0]
    assert (api["spec"], api["specs"], api["metadata"]) == (objects[0]["spec"], objects[0]["specs"],
                                                            objects[0]["metadata"])
    assert set(document["unmodelled"]) == {"Cilium CIDR groups (CiliumCIDRGroup)", "Cilium fromRequires/toRequires",
                                           "CiliumClusterwideNetworkPolicy host policies"}
    reread = load_snapshot_file(write_snapshot(tmp_path, document))
    assert reread == original
    assert [p.spec for p in reread.cilium_policies] == [p.spec for p in original.cilium_policies]
    assert snapshot_document(reread) == document


def test_a_v3_snapshot_reads_as_a_cluster_without_cilium_policies(tmp_path: Path) -> None:
    document = {"format": "segproof.snapshot/v3", "collected_at": "2026-01-01T00:00:00Z",
                "objects": {"pods": [{"metadata": {"name": "p", "namespace": "a"}}]}}
    snapshot = load_snapshot_file(write_snapshot(tmp_path, document))
    assert snapshot.cilium_policies == () and len(snapshot.pods) == 1


def test_a_v2_snapshot_reads_as_a_cluster_without_calico_objects(tmp_path: Path) -> None:
    document = {"format": "segproof.snapshot/v2", "collected_at": "2026-01-01T00:00:00Z",
                "objects": {"pods": [{"metadata": {"name": "p", "namespace": "a"}}]}}
    snapshot = load_snapshot_file(write_snapshot(tmp_path, document))
    assert (snapshot.calico_policies, snapshot.service_accounts) == ((), ())
    assert snapshot.pods[0].service_account == "default"


def test_only_calico_objects_is_not_an_empty_snapshot(tmp_path: Path) -> None:
    manifest = tmp_path / "tier.yaml"
    manifest.write_text(documents(calico_objects()[0]), encoding="utf-8")
    snapshot = load_manifests([str(manifest)], "2026-09-30T12:00:00Z")
    assert not snapshot.is_empty and snapshot.namespace_names() == []


def test_counts_warnings_and_unmodelled_kinds_survive(tmp_path: Path) -> None:
    document = {"format": "segproof.snapshot/v1", "source": {"type": "cluster"}, "collected_at": "2026-01-01T00:00:00Z",
                "objects": {}, "skipped": {"ConfigMap": 2}, "unmodelled": {"AdminNetworkPolicy": None},
                "warnings": ["services not collected"]}
    snapshot = load_snapshot_file(write_snapshot(tmp_path, document))
    assert (snapshot.skipped, snapshot.unmodelled, snapshot.warnings) == (
        {"ConfigMap": 2}, {"AdminNetworkPolicy": None}, ("services not collected",))


@pytest.mark.parametrize(("document", "message"), [
    ({"format": "something/else"}, "format: expected 'segproof.snapshot/v4' (or v3, v2 or v1), found 'something/else'"),
    ({"format": "segproof.snapshot/v1"}, "objects: required field is missing"),
    ({"format": "segproof.snapshot/v1", "objects": {"pods": [{"metadata": {"name": "p"},
                                                              "status": {"podIP": "nope"}}]}},
     "document 1: objects.pods[0].status.podIP: invalid IP address 'nope'"),
], ids=["format", "objects", "invalid-pod"])
def test_bad_snapshots_are_named(tmp_path: Path, document: dict, message: str) -> None:
    path = write_snapshot(tmp_path, document)
    with pytest.raises(ManifestError) as error:
        load_snapshot_file(path)
    assert error.value.message == f"{path}: {message}"


@pytest.mark.parametrize(("fields", "message"), [
    ({"skipped": ["ConfigMap"]}, "skipped: must be an object, not a list"),
    ({"skipped": "ConfigMap"}, "skipped: must be an object, not 'ConfigMap'"),
    ({"skipped": {"ConfigMap": "2"}}, "skipped.ConfigMap: must be a count (a whole number, 0 or more), not '2'"),
    ({"skipped": {"ConfigMap": -1}}, "skipped.ConfigMap: must be a count (a whole number, 0 or more), not -1"),
    ({"unmodelled": ["CiliumNetworkPolicy"]}, "unmodelled: must be an object, not a list"),
    ({"unmodelled": "CiliumNetworkPolicy"}, "unmodelled: must be an object, not 'CiliumNetworkPolicy'"),
    ({"unmodelled": {"NetworkPolicy": True}},
     "unmodelled.NetworkPolicy: must be a count (a whole number, 0 or more), not true"),
    ({"warnings": 5}, "warnings: must be a list, not 5"),
    ({"warnings": ["services not collected", {"text": "x"}]}, "warnings[1]: must be a string, not an object"),
    ({"source": "x"}, "source: must be an object, not 'x'"),
    ({"collected_at": 20260101}, "collected_at: must be a string, not 20260101"),
    ({"objects": []}, "objects: must be an object, not a list"),
    ({"objects": {"pods": {"p": {}}}}, "objects.pods: must be a list, not an object"),
], ids=["skipped-list", "skipped-string", "skipped-count-string", "skipped-count-negative", "unmodelled-list",
        "unmodelled-string", "unmodelled-count-boolean", "warnings-number", "warning-object", "source-string",
        "collected_at-number", "objects-list", "objects-pods-object"])
def test_top_level_fields_of_the_wrong_type_are_named(tmp_path: Path, fields: dict, message: str) -> None:
    document = {"format": "segproof.snapshot/v2", "source": {"type": "cluster"}, "collected_at": "2026-01-01T00:00:00Z",
                "objects": {"namespaces": [{"metadata": {"name": "a"}}]}, **fields}
    path = write_snapshot(tmp_path, document)
    with pytest.raises(ManifestError) as error:
        load_snapshot_file(path)
    assert error.value.message == f"{path}: {message}"


def test_a_field_of_the_wrong_type_is_one_error_line_on_the_command_line(tmp_path: Path) -> None:
    path = write_snapshot(tmp_path, {"format": "segproof.snapshot/v2", "objects": {}, "warnings": 5})
    code, out, err = run("reachability", "--snapshot", path)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == f"segproof: error: {path}: warnings: must be a list, not 5"
    assert all(line.startswith("hint: ") for line in err.splitlines()[1:])


@pytest.mark.parametrize(("text", "message"), [
    ('{"format": "segproof.snapshot/v2",\n "objects": {"networkpolicies": [{"spec": {"x": NaN}}]}}',
     "invalid JSON at line 2 column 49: NaN is not a number JSON can hold"),
    ('{"format": "segproof.snapshot/v2", "objects": ' + "[" * 100_000 + "]" * 100_000 + "}",
     "invalid JSON at line 1 column 174: nested more than 128 levels deep"),
    ('{"format": "segproof.snapshot/v2", "collected_at": ' + "9" * 5000 + "}",
     "invalid JSON at line 1 column 52: integer too long (more than 4300 digits)"),
    ('{"format": "segproof.snapshot/v2", "objects": {"namespaces": [{"metadata": {"name": "Prod_NS"}}]}}',
     "document 1: objects.namespaces[0].metadata.name: invalid name 'Prod_NS' (must be a DNS-1123 label: at most "
     "63 lowercase letters, digits or '-', starting and ending with a letter or digit)"),
], ids=["nan", "nested-100k", "long-integer", "namespace-name"])
def test_a_hostile_snapshot_is_refused_at_its_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as error:
        load_snapshot_file(str(path))
    assert error.value.message == f"{path}: {message}"
