"""Workload objects (Deployment, StatefulSet, ...) expanded into the pods their templates describe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.documents import mapping_at, type_name
from compliance.errors import InvalidObject
from compliance.model.parse import parse_metadata

# kind -> (path of the pod template, field holding the pod count, or None for one pod)
TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "Deployment": (("spec", "template"), ("spec", "replicas")),
    "ReplicaSet": (("spec", "template"), ("spec", "replicas")),
    "StatefulSet": (("spec", "template"), ("spec", "replicas")),
    "ReplicationController": (("spec", "template"), ("spec", "replicas")),
    "DaemonSet": (("spec", "template"), None),
    "Job": (("spec", "template"), ("spec", "parallelism")),
    "CronJob": (("spec", "jobTemplate", "spec", "template"), ("spec", "jobTemplate", "spec", "parallelism")),
}
WORKLOAD_KINDS = tuple(TEMPLATES)
MAX_REPLICAS = 150_000  # the pods one Kubernetes cluster supports at most, so one workload cannot run more


def dig(obj: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path`, or None when any step is missing."""
    value: Any = obj
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def pod_count(obj: Mapping[str, Any], path: tuple[str, ...] | None) -> int:
    """The number of pods a workload runs (DaemonSets count as one pod; the default is 1)."""
    if path is None:
        return 1
    value = dig(obj, path)
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidObject(".".join(path), f"must be a non-negative integer, not {type_name(value)}")
    if value > MAX_REPLICAS:
        raise InvalidObject(".".join(path), f"{value} is more pods than a Kubernetes cluster runs (at most "
                            f"{MAX_REPLICAS:,})")
    return value


def expand_workload(obj: Mapping[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The pods a workload runs, each with the field path of the template it came from.

    Pods are named `<workload>-<i>` and owned by the workload, so they group back to it.
    """
    kind = obj["kind"]
    template_path, count_path = TEMPLATES[kind]
    namespace, name, _, _ = parse_metadata(obj, namespaced=True)
    prefix = ".".join(template_path)
    template = mapping_at(dig(obj, template_path), prefix, required=True)
    template_metadata = mapping_at(template.get("metadata"), f"{prefix}.metadata")
    pods = []
    for index in range(pod_count(obj, count_path)):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{name}-{index}",
                "namespace": namespace,
                "labels": template_metadata.get("labels"),
                "ownerReferences": [{"kind": kind, "name": name, "controller": True}],
            },
            "spec": template.get("spec"),
        }
        pods.append((pod, prefix))
    return pods
