"""Workloads expand into the pods their templates describe, owned by the workload, with template field paths."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.errors import InvalidObject, ManifestError
from compliance.model.objects import ContainerPort, Pod, WorkloadRef
from compliance.model.parse import parse_pod
from compliance.model.workloads import MAX_REPLICAS, WORKLOAD_KINDS, Expansion, expand_workload, pod_count
from compliance.sources.manifests import snapshot_of_objects

API_VERSIONS = {
    "Deployment": "apps/v1",
    "ReplicaSet": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicationController": "v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}
TEMPLATE_PATHS = {kind: "spec.jobTemplate.spec.template" if kind == "CronJob" else "spec.template"
                  for kind in API_VERSIONS}
COUNT_FIELDS = {"Job": "parallelism", "CronJob": "parallelism", "DaemonSet": None}
BAD_PORT = [{"name": "http", "containerPort": 0}]
BAD_PORT_FIELD = "spec.containers[0].ports[0].containerPort"


def pod_template(labels: dict[str, str] | None = None, ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A pod template with one container."""
    container_ports = [{"name": "http", "containerPort": 8080}] if ports is None else ports
    return {
        "metadata": {"labels": {"app": "web"} if labels is None else labels},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": container_ports}]},
    }


def workload(kind: str, count: Any = None, template: Any = None, name: str = "web",
             namespace: str | None = "shop") -> dict[str, Any]:
    """A workload of `kind` with its pod count (replicas or parallelism) set when `count` is given."""
    template = pod_template() if template is None else template
    spec: dict[str, Any] = {"template": template}
    count_field = COUNT_FIELDS.get(kind, "replicas")
    if count is not None and count_field:
        spec[count_field] = count
    if kind == "CronJob":
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": spec}}
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": API_VERSIONS[kind], "kind": kind, "metadata": metadata, "spec": spec}


def pod_names(obj: dict[str, Any]) -> list[str]:
    """Names of the pods a workload expands to."""
    return list(expand_workload(obj).names)


def test_every_workload_kind_is_covered() -> None:
    assert set(WORKLOAD_KINDS) == set(API_VERSIONS)


def test_deployment_with_three_replicas_runs_three_owned_pods() -> None:
    expansion = expand_workload(workload("Deployment", 3))
    assert expansion.names == ("web-0", "web-1", "web-2")
    assert expansion.pod == Pod("shop", "web-0", (("app", "web"),), WorkloadRef("shop", "web", "Deployment"),
                                (ContainerPort(8080, "TCP", "http", "web"),))


def test_the_template_pod_is_the_pod_the_api_would_run() -> None:
    obj = workload("Deployment", 1)
    template = obj["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": template["spec"],
           "metadata": {**template["metadata"], "name": "web-0", "namespace": "shop",
                        "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}]}}
    assert expand_workload(obj).pod == parse_pod(pod)


def test_a_workload_scaled_to_zero_runs_no_pod() -> None:
    assert expand_workload(workload("Deployment", 0, template={"spec": {"hostNetwork": "yes"}})) == Expansion((), None)


@pytest.mark.parametrize(("kind", "count", "names"), [
    pytest.param("Deployment", None, ["web-0"], id="deployment-default-one"),
    pytest.param("Deployment", 0, [], id="deployment-scaled-to-zero"),
    pytest.param("Deployment", 2, ["web-0", "web-1"], id="deployment-two"),
    pytest.param("ReplicaSet", 2, ["web-0", "web-1"], id="replicaset"),
    pytest.param("ReplicaSet", 0, [], id="replicaset-zero"),
    pytest.param("StatefulSet", 3, ["web-0", "web-1", "web-2"], id="statefulset"),
    pytest.param("StatefulSet", None, ["web-0"], id="statefulset-default-one"),
    pytest.param("ReplicationController", 2, ["web-0", "web-1"], id="replicationcontroller"),
    pytest.param("DaemonSet", None, ["web-0"], id="daemonset-one"),
    pytest.param("Job", None, ["web-0"], id="job-default-one"),
    pytest.param("Job", 4, ["web-0", "web-1", "web-2", "web-3"], id="job-parallelism"),
    pytest.param("Job", 0, [], id="job-suspended-parallelism-zero"),
    pytest.param("CronJob", None, ["web-0"], id="cronjob-default-one"),
    pytest.param("CronJob", 2, ["web-0", "web-1"], id="cronjob-job-template-parallelism"),
])
def test_pod_count(kind: str, count: int | None, names: list[str]) -> None:
    assert pod_names(workload(kind, count)) == names


def test_null_replicas_is_the_default() -> None:
    obj = workload("Deployment")
    obj["spec"]["replicas"] = None
    assert pod_names(obj) == ["web-0"]


def test_replicas_up_to_what_a_cluster_runs() -> None:
    assert pod_count(workload("Deployment", MAX_REPLICAS), ("spec", "replicas")) == MAX_REPLICAS
    with pytest.raises(InvalidObject) as raised:
        expand_workload(workload("Deployment", 10_000_000))
    assert (raised.value.field, raised.value.detail) == (
        "spec.replicas", f"10000000 is more pods than a Kubernetes cluster runs (at most {MAX_REPLICAS:,})")


def test_daemonset_ignores_a_replicas_field() -> None:
    obj = workload("DaemonSet")
    obj["spec"]["replicas"] = 5
    assert pod_names(obj) == ["web-0"]


def test_job_completions_do_not_multiply_pods() -> None:
    obj = workload("Job")
    obj["spec"]["completions"] = 10
    assert pod_names(obj) == ["web-0"]


@pytest.mark.parametrize("kind", sorted(API_VERSIONS))
def test_every_kind_owns_its_pods_and_names_its_template(kind: str) -> None:
    pod = expand_workload(workload(kind, 1)).pod
    assert pod is not None
    assert pod.workload == WorkloadRef("shop", "web", kind)
    with pytest.raises(InvalidObject) as raised:
        expand_workload(workload(kind, 1, pod_template(ports=BAD_PORT)))
    assert raised.value.field == f"{TEMPLATE_PATHS[kind]}.{BAD_PORT_FIELD}"


def test_workload_without_namespace_runs_in_default() -> None:
    pod = expand_workload(workload("Deployment", namespace=None)).pod
    assert pod is not None
    assert pod.namespace == "default"


def test_template_without_metadata_gives_unlabelled_pods() -> None:
    template = pod_template()
    del template["metadata"]
    pod = expand_workload(workload("Deployment", template=template)).pod
    assert pod is not None
    assert pod.labels == ()


@pytest.mark.parametrize(("obj", "field", "message"), [
    pytest.param(workload("Deployment", "3"), "spec.replicas", "must be a non-negative integer, not '3'",
                 id="replicas-string"),
    pytest.param(workload("StatefulSet", True), "spec.replicas", "must be a non-negative integer, not true",
                 id="replicas-boolean"),
    pytest.param(workload("Job", "two"), "spec.parallelism", "must be a non-negative integer, not 'two'",
                 id="job-parallelism-string"),
    pytest.param(workload("CronJob", [1]), "spec.jobTemplate.spec.parallelism",
                 "must be a non-negative integer, not a list", id="cronjob-parallelism-list"),
    pytest.param({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 1}}, "spec.template",
                 "required field is missing", id="deployment-without-template"),
    pytest.param({"kind": "CronJob", "metadata": {"name": "web"}, "spec": {"schedule": "@daily"}},
                 "spec.jobTemplate.spec.template", "required field is missing", id="cronjob-without-job-template"),
    pytest.param(workload("DaemonSet", template=[pod_template()]), "spec.template", "must be an object, not a list",
                 id="template-list"),
    pytest.param(workload("Deployment", template={"metadata": "web", "spec": {}}), "spec.template.metadata",
                 "must be an object, not 'web'", id="template-metadata-string"),
    pytest.param(workload("CronJob", template={"metadata": ["web"]}), "spec.jobTemplate.spec.template.metadata",
                 "must be an object, not a list", id="cronjob-template-metadata-list"),
    pytest.param({"kind": "Deployment", "metadata": {"namespace": "shop"}, "spec": {"template": pod_template()}},
                 "metadata.name", "required field is missing", id="workload-without-name"),
])
def test_invalid_workloads(obj: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        expand_workload(obj)
    assert (raised.value.field, raised.value.detail) == (field, message)


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "CronJob"])
def test_negative_pod_count_is_rejected(kind: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        expand_workload(workload(kind, -1))
    count_field = COUNT_FIELDS.get(kind, "replicas")
    assert raised.value.field == ("spec.jobTemplate.spec." if kind == "CronJob" else "spec.") + count_field
    assert raised.value.detail.startswith("must be a non-negative integer")


def test_negative_replicas_message_shows_the_value() -> None:
    with pytest.raises(InvalidObject) as raised:
        expand_workload(workload("Deployment", -1))
    assert raised.value.detail == "must be a non-negative integer, not -1"




@pytest.mark.parametrize(("kind", "template", "field", "message"), [
    pytest.param(kind, pod_template(ports=BAD_PORT), f"{TEMPLATE_PATHS[kind]}.{BAD_PORT_FIELD}",
                 "must be between 1 and 65535, not 0", id=f"{kind}-container-port")
    for kind in sorted(API_VERSIONS)
] + [
    pytest.param("Deployment", pod_template(labels={"version": 2}), "spec.template.metadata.labels.version",
                 "label value must be a string, not 2", id="Deployment-template-label"),
    pytest.param("CronJob", pod_template(ports=[{"containerPort": 9090, "name": "Metrics"}]),
                 "spec.jobTemplate.spec.template.spec.containers[0].ports[0].name",
                 "invalid port name 'Metrics' (1-15 lowercase letters, digits or '-', with at least one letter)",
                 id="CronJob-port-name"),
    pytest.param("StatefulSet", {"metadata": {}, "spec": {"hostNetwork": "yes"}}, "spec.template.spec.hostNetwork",
                 "must be a boolean, not 'yes'", id="StatefulSet-host-network"),
])
def test_template_errors_are_reported_under_the_template_path(kind: str, template: dict[str, Any], field: str,
                                                               message: str) -> None:
    with pytest.raises(ManifestError) as raised:
        snapshot_of_objects([workload(kind, 2, template)], {"type": "test"}, "2026-01-01T00:00:00Z", name="app.yaml")
    assert (raised.value.file, raised.value.document, raised.value.field) == ("app.yaml", 1, field)
    assert raised.value.detail == message
    assert raised.value.message == f"app.yaml: document 1: {field}: {message}"


def test_template_errors_inside_a_list_name_the_item() -> None:
    items = [workload("Deployment"), workload("Job", template=pod_template(ports=BAD_PORT), name="migrate")]
    with pytest.raises(ManifestError) as raised:
        snapshot_of_objects([{"apiVersion": "v1", "kind": "List", "items": items}], {"type": "test"}, "t")
    assert raised.value.field == "items[1].spec.template.spec.containers[0].ports[0].containerPort"
