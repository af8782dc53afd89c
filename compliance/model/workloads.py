"""Workload objects (Deployment, StatefulSet, ...) expanded into the pods their templates describe."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compliance.documents import mapping_at, string_at, type_name
from compliance.errors import InvalidObject
from compliance.model.names import DNS_SUBDOMAIN, check_name
from compliance.model.objects import Pod, WorkloadRef
from compliance.model.parse import (
    parse_container_ports,
    parse_host_network,
    parse_labels,
    parse_metadata,
    parse_service_account_name,
)

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


@dataclass(frozen=True)
class Expansion:
    """The pods a workload runs: their names, and the pod its template describes, named as the first (they differ
    only in name; None when the workload runs no pod)."""

    names: tuple[str, ...]
    pod: Pod | None


def expand_workload(obj: Mapping[str, Any]) -> Expansion:
    """The pods a workload runs, named `<workload>-<i>` and owned by the workload, so they group back to it; errors
    in the template name its fields under the template's path."""
    kind = obj["kind"]
    template_path, count_path = TEMPLATES[kind]
    namespace, name, _, _ = parse_metadata(obj, namespaced=True)
    prefix = ".".join(template_path)
    template = mapping_at(dig(obj, template_path), prefix, required=True)
    metadata = mapping_at(template.get("metadata"), f"{prefix}.metadata")
    names = tuple(f"{name}-{index}" for index in range(pod_count(obj, count_path)))
    if not names:
        return Expansion(names, None)
    try:
        pod = template_pod(metadata, template.get("spec"), namespace, names[0], WorkloadRef(namespace, name, kind))
    except InvalidObject as problem:
        raise problem.within(prefix) from None
    return Expansion(names, pod)


def template_pod(metadata: Mapping[str, Any], spec: Any, namespace: str, name: str, workload: WorkloadRef) -> Pod:
    """The pod a template's metadata and spec describe, checked as a pod is (see parse_pod)."""
    check_name(name, "metadata.name", DNS_SUBDOMAIN)
    labels = parse_labels(metadata.get("labels"), "metadata.labels")
    spec = mapping_at(spec, "spec")
    host_network = parse_host_network(spec)
    return Pod(namespace=namespace, name=name, labels=labels, workload=workload, ports=parse_container_ports(spec),
               host_network=host_network, node_name=string_at(spec.get("nodeName"), "spec.nodeName"),
               service_account=parse_service_account_name(spec))
