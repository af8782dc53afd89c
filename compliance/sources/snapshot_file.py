"""Cluster state from a snapshot file (`segproof.snapshot/v2`, or v1), as written by `segproof collect`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from compliance.documents import json_document
from compliance.errors import ManifestError
from compliance.model.cluster_policy import API_VERSIONS
from compliance.model.snapshot import CLUSTER_POLICY_LISTS, READABLE_FORMATS, SNAPSHOT_FORMAT, Snapshot
from compliance.sources.manifests import Document, collect, read_text, snapshot_from_objects

OBJECT_KINDS = {"namespaces": "Namespace", "pods": "Pod", "services": "Service", "networkpolicies": "NetworkPolicy",
                **{plural: kind for kind, plural in CLUSTER_POLICY_LISTS.items()}, "nodes": "Node"}
API_VERSION_OF = {"Namespace": "v1", "Pod": "v1", "Service": "v1", "NetworkPolicy": "networking.k8s.io/v1",
                  **API_VERSIONS, "Node": "v1"}


def snapshot_documents(name: str, objects: Mapping[str, Any]) -> Iterator[Document]:
    """The objects of a snapshot, each named by its place in the file (`objects.pods[3]`)."""
    for key, kind in OBJECT_KINDS.items():
        items = objects.get(key) or []
        if not isinstance(items, list):
            raise ManifestError(name, None, f"objects.{key}", "must be a list")
        for index, item in enumerate(items):
            field = f"objects.{key}[{index}]"
            if not isinstance(item, Mapping):
                raise ManifestError(name, None, field, "must be a Kubernetes object")
            yield Document(name, 1, field, {"apiVersion": API_VERSION_OF[kind], **item, "kind": kind})


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
        raise ManifestError(path, None, "format", f"expected {SNAPSHOT_FORMAT!r} (or v1), found {found!r}")
    objects = document.get("objects")
    if not isinstance(objects, Mapping):
        raise ManifestError(path, None, "objects", "required field is missing")
    found = collect(snapshot_documents(path, objects))
    found.skipped.update(document.get("skipped") or {})
    found.unmodelled.update(document.get("unmodelled") or {})
    return snapshot_from_objects(found, document.get("source") or {}, str(document.get("collected_at") or ""),
                                 tuple(document.get("warnings") or ()))
