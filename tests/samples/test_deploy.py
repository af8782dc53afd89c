"""The in-cluster deployment: valid against the Kubernetes schema offline, and read-only by construction."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from compliance.resources import resource_dir

DEPLOY = resource_dir("samples") / "deploy"
KUBERNETES_VERSION = "1.30.0"
READ = ["get", "list"]
ALLOWED_RULES = {
    ("", "namespaces"): READ, ("", "pods"): READ, ("", "services"): READ, ("", "nodes"): READ,
    ("networking.k8s.io", "networkpolicies"): READ,
    ("policy.networking.k8s.io", "adminnetworkpolicies"): READ,
    ("policy.networking.k8s.io", "baselineadminnetworkpolicies"): READ,
    ("policy.networking.k8s.io", "clusternetworkpolicies"): READ,
    ("crd.projectcalico.org", "networkpolicies"): READ, ("crd.projectcalico.org", "globalnetworkpolicies"): READ,
    ("projectcalico.org", "networkpolicies"): READ, ("projectcalico.org", "globalnetworkpolicies"): READ,
    ("cilium.io", "ciliumnetworkpolicies"): READ, ("cilium.io", "ciliumclusterwidenetworkpolicies"): READ,
    ("authentication.k8s.io", "selfsubjectreviews"): ["create"],
}


def documents() -> list[tuple[str, dict]]:
    """(file name, object) of every manifest."""
    return [(path.name, document) for path in sorted(DEPLOY.glob("*.yaml"))
            for document in yaml.safe_load_all(path.read_text()) if document]


@pytest.mark.parametrize(("name", "document"), documents(),
                         ids=[f"{name}:{doc['kind']}/{doc['metadata']['name']}" for name, doc in documents()])
def test_every_manifest_is_valid_kubernetes(name: str, document: dict) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_cluster_role_grants_nothing_more_than_reading() -> None:
    roles = [d for _, d in documents() if d["kind"] == "ClusterRole"]
    assert len(roles) == 1
    granted = {}
    for rule in roles[0]["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}, "no resourceNames, nonResourceURLs or wildcards"
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted[(group, resource)] = sorted(rule["verbs"])
    assert granted == {key: sorted(verbs) for key, verbs in ALLOWED_RULES.items()}
    assert not any("*" in str(rule) for rule in roles[0]["rules"])


def test_no_secret_material_is_shipped() -> None:
    kinds = {d["kind"] for _, d in documents()}
    assert "Secret" not in kinds
    for path in DEPLOY.iterdir():
        assert "PRIVATE KEY" not in path.read_text()


def test_the_cron_job_runs_as_the_reader_without_privileges() -> None:
    jobs = [d for _, d in documents() if d["kind"] == "CronJob"]
    assert len(jobs) == 1
    spec = jobs[0]["spec"]
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert (spec["concurrencyPolicy"], pod["serviceAccountName"]) == ("Forbid", "segproof")
    container = pod["containers"][0]
    assert container["args"][:2] == ["run", "--config"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert {v["secretKeyRef"]["name"] for e in container["env"] if (v := e.get("valueFrom"))} == {"segproof-git"}


def test_the_image_is_built_from_the_wheel() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    assert "pip wheel" in text and "USER 10001" in text


def test_the_rbac_sample_is_where_errors_point() -> None:
    from compliance.sources.cluster import RBAC_HINT
    assert Path(RBAC_HINT.split()[-1]).name == "rbac.yaml"
