"""Cluster state from manifest files: YAML/JSON, multi-document, `kind: List`, directories, stdin."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml

from compliance.documents import json_document, load_all, string_at, type_name, yaml_problem
from compliance.errors import InvalidObject, ManifestError
from compliance.model.calico_policy import API_GROUP as CALICO_GROUP
from compliance.model.calico_policy import CRD_GROUP as CALICO_CRD_GROUP
from compliance.model.calico_policy import CalicoPolicy, CalicoTier, NetworkSet, ServiceAccount
from compliance.model.cilium_policy import API_VERSION as CILIUM_VERSION
from compliance.model.cilium_policy import CILIUM_KINDS, CiliumPolicy
from compliance.model.cluster_policy import API_GROUP as CLUSTER_POLICY_GROUP
from compliance.model.cluster_policy import API_VERSIONS as CLUSTER_POLICY_VERSIONS
from compliance.model.cluster_policy import CLUSTER_POLICY_KINDS, ClusterPolicy
from compliance.model.objects import Namespace, Node, Pod, Service, WorkloadRef
from compliance.model.parse import (
    namespace_with_labels,
    parse_metadata,
    parse_namespace,
    parse_network_policy,
    parse_node,
    parse_pod,
    parse_service,
    parse_service_account,
)
from compliance.model.parse_calico import API_VERSIONS as CALICO_VERSIONS
from compliance.model.parse_calico import CALICO_KINDS, parse_calico_object
from compliance.model.parse_cilium import parse_cilium_policy
from compliance.model.parse_cluster_policy import parse_cluster_policy
from compliance.model.policy import NetworkPolicy
from compliance.model.snapshot import Snapshot
from compliance.model.unmodelled import BY_GROUP_AND_KIND, cilium_unmodelled
from compliance.model.workloads import WORKLOAD_KINDS, expand_workload

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 1 << 30  # 1 GiB per file: the manifests of the 150,000-pod benchmark take 33 MB
MAX_OBJECTS = 1_000_000  # objects in one input, a workload counting as its pods: 150,000 pods and their kin
ObjectName = TypeVar("ObjectName", str, tuple[str, str])  # a namespace's name, or (namespace, name)
ModelObject = TypeVar("ModelObject", Namespace, Node, Pod, Service, NetworkPolicy, ClusterPolicy, CalicoPolicy,
                      CalicoTier, NetworkSet, ServiceAccount, CiliumPolicy)
CALICO_GROUPS = (CALICO_GROUP, CALICO_CRD_GROUP)
CILIUM_GROUP = CILIUM_VERSION.partition("/")[0]



@dataclass(frozen=True)
class Document:
    """One object read from a file, with where it came from."""

    file: str
    index: int
    field: str
    obj: Mapping[str, Any]

    def error(self, problem: InvalidObject) -> ManifestError:
        """A ManifestError naming this document and the field inside it."""
        return ManifestError(self.file, self.index, problem.within(self.field).field, problem.detail)


@dataclass(frozen=True)
class InputFile:
    """A file to read: `path` None is stdin; files found in a directory may hold other things than objects."""

    name: str
    path: Path | None
    in_directory: bool = False


def manifest_files(paths: Sequence[str]) -> Iterator[InputFile]:
    """Every file to read; directories are searched recursively, `-` is stdin."""
    for given in paths:
        if given == "-":
            yield InputFile("<stdin>", None)
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES)
            if not found:
                raise ManifestError(given, None, "", "no .yaml, .yml or .json files in this directory")
            for file in found:
                yield InputFile(str(file), file, in_directory=True)
        elif path.is_file():
            yield InputFile(given, path)
        else:
            raise ManifestError(given, None, "", "no such file or directory")


def read_text(name: str, path: Path | None) -> str:
    """The text of one input file (or stdin), of at most MAX_FILE_BYTES characters."""
    try:
        if path is None:
            text = sys.stdin.read(MAX_FILE_BYTES + 1)
        else:
            with path.open(encoding="utf-8") as stream:
                text = stream.read(MAX_FILE_BYTES + 1)
    except UnicodeDecodeError:
        raise ManifestError(name, None, "", "not UTF-8 text") from None
    except OSError as error:
        raise ManifestError(name, None, "", error.strerror or str(error)) from None
    if len(text) > MAX_FILE_BYTES:
        raise ManifestError(name, None, "", f"larger than {MAX_FILE_BYTES:,} bytes, the most segproof reads from "
                            "one file")
    return text


def parse_documents(name: str, text: str) -> Iterator[tuple[int, Any]]:
    """(1-based index, content) of every document in a YAML or JSON text."""
    if name.lower().endswith(".json"):
        try:
            yield 1, json_document(text, unique_keys=True)
        except json.JSONDecodeError as error:
            raise ManifestError(name, None, "", f"invalid JSON at line {error.lineno} column {error.colno}: "
                                f"{error.msg}") from None
        return
    index = 0
    try:
        for index, content in enumerate(load_all(text), start=1):
            yield index, content
    except yaml.YAMLError as error:
        raise ManifestError(name, index + 1, "", yaml_problem(error)) from None


def is_object(content: Any) -> bool:
    """Whether a document looks like a Kubernetes object (a mapping with a kind)."""
    return isinstance(content, Mapping) and bool(content.get("kind"))


def objects_in(name: str, index: int, content: Any) -> Iterator[Document]:
    """The objects of one document: itself, or the items of a List (`kind: List` or e.g. `PodList`).

    Items of a typed list may omit kind and apiVersion, as the API server writes them; they inherit both.
    """
    if content is None:
        return
    if not isinstance(content, Mapping):
        raise ManifestError(name, index, "", "a document must be a Kubernetes object (a mapping)")
    try:
        kind = string_at(content.get("kind"), "kind", required=True)
    except InvalidObject as problem:
        raise ManifestError(name, index, problem.field, problem.detail) from None
    if kind != "List" and not (kind.endswith("List") and "items" in content):
        yield Document(name, index, "", content)
        return
    items = content.get("items")
    if not isinstance(items, list):
        raise ManifestError(name, index, "items", f"must be a list, not {type_name(items)}")
    inherited = {"kind": kind[: -len("List")], "apiVersion": content.get("apiVersion")} if kind != "List" else {}
    for position, item in enumerate(items):
        field = f"items[{position}]"
        if not isinstance(item, Mapping):
            raise ManifestError(name, index, field, "must be a Kubernetes object (a mapping)")
        if inherited:
            item = {**{k: v for k, v in inherited.items() if v}, **item}
        if not item.get("kind"):
            raise ManifestError(name, index, f"{field}.kind", "required field is missing")
        yield Document(name, index, field, item)


def read_documents(paths: Sequence[str], warnings: list[str]) -> Iterator[Document]:
    """Every object in the given files and directories, in file order.

    A file found in a directory that holds something other than Kubernetes objects (a Helm values
    file, a JSON report) is skipped with a warning; a file named on its own must hold objects.
    """
    for file in manifest_files(paths):
        for index, content in parse_documents(file.name, read_text(file.name, file.path)):
            if file.in_directory and content is not None and not is_object(content):
                warnings.append(f"{file.name}: document {index}: not a Kubernetes object; skipped")
                continue
            yield from objects_in(file.name, index, content)


@dataclass
class Collected:
    """Objects gathered from documents, by kind and name."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    pods: dict[tuple[str, str], Pod] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    policies: dict[tuple[str, str], NetworkPolicy] = field(default_factory=dict)
    cluster_policies: dict[str, ClusterPolicy] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    calico_policies: dict[str, CalicoPolicy] = field(default_factory=dict)
    calico_tiers: dict[str, CalicoTier] = field(default_factory=dict)
    network_sets: dict[tuple[str, str], NetworkSet] = field(default_factory=dict)
    service_accounts: dict[tuple[str, str], ServiceAccount] = field(default_factory=dict)
    cilium_policies: dict[str, CiliumPolicy] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    unmodelled: dict[str, int | None] = field(default_factory=dict)
    origins: dict[tuple[str, str | tuple[str, str]], Document] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def keep(self, table: dict[ObjectName, ModelObject], key: ObjectName, value: ModelObject, document: Document,
             kind: str) -> None:
        """Store one object; defining it again is only allowed with the same content, except for a Service, which
        decides no reachability: the later one is kept, as `kubectl apply` would, with a warning."""
        if key in table and table[key] != value:
            first = self.origins[(kind, key)]
            name = "/".join(key) if isinstance(key, tuple) else key
            where = f"{document.field}.metadata.name".lstrip(".")
            again = (f"{kind} {name} is defined again with different content (first in {first.file} document "
                     f"{first.index})")
            if kind != "Service":
                raise ManifestError(document.file, document.index, where, again)
            self.warnings.append(f"{document.file}: document {document.index}: {where}: {again}; the later one is "
                                 "used, as kubectl apply would")
            self.origins[(kind, key)] = document
        self.origins.setdefault((kind, key), document)
        table[key] = value


MODELLED_API_VERSIONS = {
    "Namespace": ("v1",),
    "Node": ("v1",),
    "Pod": ("v1",),
    "Service": ("v1",),
    "ServiceAccount": ("v1",),
    "NetworkPolicy": ("networking.k8s.io/v1", "extensions/v1beta1"),
}


def api_group(obj: Mapping[str, Any]) -> str:
    """The API group of an object's apiVersion ("" for core)."""
    api_version = obj.get("apiVersion")
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def controller_of(obj: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, name) of the object's controlling owner, or None."""
    owners = (obj.get("metadata") or {}).get("ownerReferences")
    if not isinstance(owners, list) or not owners:
        return None
    owner = next((o for o in owners if isinstance(o, Mapping) and o.get("controller") is True), owners[0])
    if not isinstance(owner, Mapping) or not isinstance(owner.get("name"), str):
        return None
    return str(owner.get("kind") or "Pod"), owner["name"]


def workload_key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """(namespace, kind, name) of a workload, its metadata checked."""
    namespace, name, _, _ = parse_metadata(obj, namespaced=True)
    return namespace, obj["kind"], name


class OwnerChains:
    """Owner references among the workloads of the input, to find a pod's top owner.

    A pod owned by ReplicaSet web-5d4f8, itself owned by Deployment web, belongs to Deployment web;
    workloads whose pods are in the input, or that another workload owns, are not expanded again.
    """

    def __init__(self, workloads: Iterable[tuple[tuple[str, str, str], Document]], pods: Iterable[Document]) -> None:
        self.owner = {key: controller_of(document.obj) for key, document in workloads}
        self.covered: set[tuple[str, str, str]] = set()
        for document in pods:
            namespace = (document.obj.get("metadata") or {}).get("namespace") or "default"
            self.covered.update(self.chain(namespace, controller_of(document.obj)))

    def chain(self, namespace: str, owner: tuple[str, str] | None) -> list[tuple[str, str, str]]:
        """The owners above one object, nearest first, as far as the input tells."""
        found: list[tuple[str, str, str]] = []
        while owner is not None and (namespace, *owner) not in found:
            found.append((namespace, *owner))
            owner = self.owner.get((namespace, *owner))
        return found

    def top(self, pod: Pod) -> Pod:
        """The pod attributed to its top owner."""
        chain = self.chain(pod.namespace, (pod.workload.kind, pod.workload.name)) if pod.workload.kind != "Pod" else []
        if len(chain) < 2:
            return pod
        namespace, kind, name = chain[-1]
        return replace(pod, workload=WorkloadRef(namespace, name, kind))

    def expands(self, key: tuple[str, str, str]) -> bool:
        """Whether a workload's template stands for its pods: it is a top owner and none of its pods is given."""
        owner = self.owner.get(key)
        owned = owner is not None and (key[0], *owner) in self.owner
        return not owned and key not in self.covered


def collect(documents: Iterable[Document]) -> Collected:
    """Model objects from documents; unknown kinds are counted, invalid objects raise ManifestError."""
    found = Collected()
    workloads: list[tuple[tuple[str, str, str], Document]] = []
    pods: list[Document] = []
    count = 0
    for count, document in enumerate(documents, start=1):
        if count > MAX_OBJECTS:
            raise too_many_objects(document)
        obj = document.obj
        try:
            kind = string_at(obj["kind"], "kind", required=True)
            string_at(obj.get("apiVersion"), "apiVersion")
            group = api_group(obj)
            calico = group in CALICO_GROUPS and kind in CALICO_KINDS
            if calico:
                if obj.get("apiVersion") in CALICO_VERSIONS:
                    keep_calico_object(found, obj, document)
                else:  # another version of a Calico kind changes reachability as well, in ways not modelled
                    other = f"Calico {kind} ({obj.get('apiVersion')})"
                    found.unmodelled[other] = (found.unmodelled.get(other) or 0) + 1
            elif group == CILIUM_GROUP and kind in CILIUM_KINDS:
                keep_cilium_policy(found, kind, obj, document)
            elif (group, kind) in BY_GROUP_AND_KIND:
                name = BY_GROUP_AND_KIND[(group, kind)].name
                found.unmodelled[name] = (found.unmodelled.get(name) or 0) + 1
            elif group == CLUSTER_POLICY_GROUP and kind in CLUSTER_POLICY_KINDS:
                keep_cluster_policy(found, kind, obj, document)
            elif kind in WORKLOAD_KINDS:
                workloads.append((workload_key(obj), document))
            elif kind in MODELLED_API_VERSIONS:
                api_version = obj.get("apiVersion")
                if not api_version:
                    raise InvalidObject("apiVersion", "required field is missing")
                if api_version not in MODELLED_API_VERSIONS[kind]:
                    found.skipped[f"{kind} ({api_version})"] = found.skipped.get(f"{kind} ({api_version})", 0) + 1
                elif kind == "Pod":
                    pods.append(document)
                else:
                    keep_object(found, kind, obj, document)
            else:
                found.skipped[kind] = found.skipped.get(kind, 0) + 1
        except InvalidObject as problem:
            raise document.error(problem) from None
    owners = OwnerChains(workloads, pods)
    for document in pods:
        try:
            pod = parse_pod(document.obj)
        except InvalidObject as problem:
            raise document.error(problem) from None
        if pod is None:
            found.skipped["Pod (terminated)"] = found.skipped.get("Pod (terminated)", 0) + 1
        else:
            keep_pod(found, owners.top(pod), document)
    objects = count
    for key, document in workloads:
        if owners.expands(key):
            try:
                expansion = expand_workload(document.obj)
            except InvalidObject as problem:
                raise document.error(problem) from None
            objects += len(expansion.names) - 1  # the workload stands for its pods
            if objects > MAX_OBJECTS:
                raise too_many_objects(document)
            if expansion.pod:  # replicas differ only in name: one is parsed, and kept under each name
                keep_pod(found, owners.top(expansion.pod), document, expansion.names)
    return found


def too_many_objects(document: Document) -> ManifestError:
    """The error for an input that holds, with this document, more than MAX_OBJECTS objects."""
    return ManifestError(document.file, document.index, document.field, f"the input holds more than "
                         f"{MAX_OBJECTS:,} objects (a workload counting as the pods it runs), more than a cluster has")


def keep_object(found: Collected, kind: str, obj: Mapping[str, Any], document: Document) -> None:
    """Parse and keep a Namespace, Node, Service or NetworkPolicy."""
    if kind == "Namespace":
        namespace = parse_namespace(obj)
        found.keep(found.namespaces, namespace.name, namespace, document, kind)
    elif kind == "Node":
        node = parse_node(obj)
        found.keep(found.nodes, node.name, node, document, kind)
    elif kind == "Service":
        service = parse_service(obj)
        found.keep(found.services, (service.namespace, service.name), service, document, kind)
    elif kind == "ServiceAccount":
        account = parse_service_account(obj)
        found.keep(found.service_accounts, (account.namespace, account.name), account, document, kind)
    else:
        policy = parse_network_policy(obj)
        found.keep(found.policies, (policy.namespace, policy.name), policy, document, kind)


def keep_calico_object(found: Collected, obj: Mapping[str, Any], document: Document) -> None:
    """Parse and keep one of Calico's objects (either API group: the same object read twice is kept once)."""
    value = parse_calico_object(obj)
    if isinstance(value, CalicoPolicy):
        found.keep(found.calico_policies, value.key, value, document, "Calico policy")
    elif isinstance(value, CalicoTier):
        found.keep(found.calico_tiers, value.name, value, document, "Tier")
    else:
        found.keep(found.network_sets, (value.namespace, value.name), value, document, value.kind)


def keep_cluster_policy(found: Collected, kind: str, obj: Mapping[str, Any], document: Document) -> None:
    """Parse and keep an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy of the version
    segproof models; another version of one of them is a policy kind that is not modelled."""
    if obj.get("apiVersion") != CLUSTER_POLICY_VERSIONS[kind]:
        name = f"{kind} ({obj.get('apiVersion')})"
        found.unmodelled[name] = (found.unmodelled.get(name) or 0) + 1
        return
    policy = parse_cluster_policy(obj)
    found.keep(found.cluster_policies, policy.key, policy, document, kind)


def keep_cilium_policy(found: Collected, kind: str, obj: Mapping[str, Any], document: Document) -> None:
    """Parse and keep a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy of cilium.io/v2; another version of
    one is a policy kind that is not modelled."""
    if obj.get("apiVersion") != CILIUM_VERSION:
        name = f"{kind} ({obj.get('apiVersion')})"
        found.unmodelled[name] = (found.unmodelled.get(name) or 0) + 1
        return
    policy = parse_cilium_policy(obj)
    found.keep(found.cilium_policies, policy.key, policy, document, "Cilium policy")


def keep_pod(found: Collected, pod: Pod, document: Document, names: Sequence[str] = ()) -> None:
    """Keep one pod; with `names`, one copy of it under each name instead."""
    if not names:
        found.keep(found.pods, (pod.namespace, pod.name), pod, document, "Pod")
    for name in names:
        found.keep(found.pods, (pod.namespace, name), pod.renamed(name), document, "Pod")


def snapshot_from_objects(found: Collected, source: Mapping[str, Any], collected_at: str,
                          warnings: Sequence[str] = ()) -> Snapshot:
    """A Snapshot of collected objects; namespaces that are referenced but not defined are created."""
    namespaces = dict(found.namespaces)
    referenced = [pod.namespace for pod in found.pods.values()] + [
        policy.namespace for policy in found.policies.values()] + [s.namespace for s in found.services.values()] + [
        item.namespace for table in (found.calico_policies, found.network_sets, found.service_accounts,
                                     found.cilium_policies) for item in table.values()]
    for name in referenced:
        if name and name not in namespaces:
            namespaces[name] = namespace_with_labels(name, {})
    cilium = tuple(found.cilium_policies[key] for key in sorted(found.cilium_policies))
    return Snapshot(
        source=source,
        collected_at=collected_at,
        namespaces=tuple(namespaces[name] for name in sorted(namespaces)),
        pods=tuple(found.pods[key] for key in sorted(found.pods)),
        services=tuple(found.services[key] for key in sorted(found.services)),
        policies=tuple(found.policies[key] for key in sorted(found.policies)),
        cluster_policies=tuple(found.cluster_policies[key] for key in sorted(found.cluster_policies)),
        nodes=tuple(found.nodes[name] for name in sorted(found.nodes)),
        calico_policies=tuple(found.calico_policies[key] for key in sorted(found.calico_policies)),
        calico_tiers=tuple(found.calico_tiers[name] for name in sorted(found.calico_tiers)),
        network_sets=tuple(found.network_sets[key] for key in sorted(found.network_sets)),
        service_accounts=tuple(found.service_accounts[key] for key in sorted(found.service_accounts)),
        cilium_policies=cilium,
        skipped=dict(sorted(found.skipped.items())),
        unmodelled=dict(sorted({**found.unmodelled, **cilium_unmodelled(cilium)}.items())),
        warnings=(*warnings, *found.warnings),
    )


def load_manifests(paths: Sequence[str], collected_at: str) -> Snapshot:
    """A Snapshot of the objects in manifest files and directories (`-` reads stdin)."""
    warnings: list[str] = []
    found = collect(read_documents(paths, warnings))
    return snapshot_from_objects(found, {"type": "manifests", "paths": list(paths)}, collected_at, warnings)


def snapshot_of_objects(objects: Sequence[Mapping[str, Any]], source: Mapping[str, Any], collected_at: str,
                        name: str = "<objects>") -> Snapshot:
    """A Snapshot of Kubernetes objects already parsed from JSON/YAML (each one document of `name`)."""
    documents = (document for index, obj in enumerate(objects, start=1) for document in objects_in(name, index, obj))
    return snapshot_from_objects(collect(documents), source, collected_at)
