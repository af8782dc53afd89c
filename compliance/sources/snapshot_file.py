"""Cluster state from a snapshot file (`segproof.snapshot/v4`, or v3, v2 or v1), as written by `segproof collect`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compliance.documents import json_document, list_at, mapping_at, string_at, strings_at, type_name
from compliance.errors import InvalidObject, ManifestError
from compliance.model.cluster_policy import API_VERSIONS
from compliance.model.snapshot import (
    CALICO_LISTS,
    CILIUM_LISTS,
    CLUSTER_POLICY_LISTS,
    READABLE_FORMATS,
    SNAPSHOT_FORMAT,
    Snapshot,
)
from compliance.sources.manifests import Document, collect, read_text, snapshot_from_objects

# (kind, apiVersion) of the objects of each list
OBJECT_LISTS = {"namespaces": ("Namespace", "v1"), "pods": ("Pod", "v1"), "services": ("Service", "v1"),
                "networkpolicies": ("NetworkPolicy", "networking.k8s.io/v1"),
                **{plural: (kind, API_VERSIONS[kind]) for kind, plural in CLUSTER_POLICY_LISTS.items()},
                "nodes": ("Node", "v1"), **CALICO_LISTS, **CILIUM_LISTS}


def snapshot_documents(name: str, objects: Mapping[str, list[Any]]) -> Iterator[Document]:
    """The objects of a snapshot's lists, each named by its place in the file (`objects.pods[3]`)."""
    for key, (kind, api_version) in OBJECT_LISTS.items():
        for index, item in enumerate(objects[key]):
            field = f"objects.{key}[{index}]"
            if not isinstance(item, Mapping):
                raise ManifestError(name, None, field, "must be a Kubernetes object")
            yield Document(name, 1, field, {"apiVersion": api_version, **item, "kind": kind})


def load_snapshot_file(path: str) -> Snapshot:
    """The Snapshot stored in a file, with its source, time, counts and warnings as recorded."""
    text = read_text(path, Path(path)) if path != "-" else read_text("<stdin>", None)
    return snapshot_from_text(text, path)


def snapshot_from_text(text: str, path: str) -> Snapshot:
    """The Snapshot in the text of a snapshot file named `path`."""
    try:
        document = json_document(text)
    except json.JSONDecodeError as error:
        raise ManifestError(path, None, "", f"invalid JSON at line {error.lineno} column {error.colno}: "
                            f"{error.msg}") from None
    if not isinstance(document, Mapping) or document.get("format") not in READABLE_FORMATS:
        found = document.get("format") if isinstance(document, Mapping) else None
        raise ManifestError(path, None, "format", f"expected {SNAPSHOT_FORMAT!r} (or v3, v2 or v1), found {found!r}")
    try:
        fields = SnapshotFields.read(document)
    except InvalidObject as problem:
        raise ManifestError(path, None, problem.field, problem.detail) from None
    found = collect(snapshot_documents(path, fields.objects))
    found.skipped.update(fields.skipped)
    found.unmodelled.update(fields.unmodelled)
    return snapshot_from_objects(found, fields.source, fields.collected_at, fields.warnings)


@dataclass(frozen=True)
class SnapshotFields:
    """The top-level fields of a snapshot file, each of the type the format gives it."""

    objects: Mapping[str, list[Any]]
    source: Mapping[str, Any]
    collected_at: str
    skipped: Mapping[str, int]
    unmodelled: Mapping[str, int | None]
    warnings: tuple[str, ...]

    @classmethod
    def read(cls, document: Mapping[str, Any]) -> SnapshotFields:
        """The fields of a parsed snapshot file; a field of the wrong type raises InvalidObject naming it."""
        objects = mapping_at(document.get("objects"), "objects", required=True)
        unmodelled = mapping_at(document.get("unmodelled"), "unmodelled")
        return cls(objects={key: list_at(objects.get(key), f"objects.{key}") for key in OBJECT_LISTS},
                   source=mapping_at(document.get("source"), "source"),
                   collected_at=string_at(document.get("collected_at"), "collected_at"),
                   skipped={kind: count_at(count, f"skipped.{kind}")
                            for kind, count in mapping_at(document.get("skipped"), "skipped").items()},
                   unmodelled={kind: None if count is None else count_at(count, f"unmodelled.{kind}")
                               for kind, count in unmodelled.items()},
                   warnings=strings_at(document.get("warnings"), "warnings"))


def count_at(value: Any, field: str) -> int:
    """`value` as a count of objects: a whole number, zero or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidObject(field, f"must be a count (a whole number, 0 or more), not {type_name(value)}")
    return value
