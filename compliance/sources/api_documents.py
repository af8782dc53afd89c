"""The documents a Kubernetes API server answers with, read as the shapes segproof relies on.

Each reader raises InvalidObject naming the field that has the wrong shape (`items[3]`, `groups`); the
cluster reader adds the request it answered. Only shapes are checked, cheaply: the objects themselves are
validated later, by the parsers the manifests source uses too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from compliance.documents import list_at, mapping_at, string_at, type_name
from compliance.errors import InvalidObject


def json_object(data: bytes, content_type: str | None) -> dict[str, Any]:
    """The body of a successful answer: a JSON object, whatever the Content-Type claims."""
    try:
        document = json.loads(data) if data else None
    except ValueError as error:  # JSONDecodeError, or bytes that are no UTF-8/16/32 text
        media_type = (content_type or "no Content-Type").split(";")[0].strip()
        if "json" not in media_type:
            raise InvalidObject("", f"the response is not JSON ({media_type})") from None
        reason = (f"{error.msg.removesuffix(' at')} at byte {error.pos} of {len(data)}"
                  if isinstance(error, json.JSONDecodeError) else str(error))
        raise InvalidObject("", f"the response is not valid JSON: {reason}") from None
    if not isinstance(document, dict):
        raise InvalidObject("", f"the response must be a JSON object, not {type_name(document)}")
    return document


def error_document(data: bytes) -> dict[str, Any]:
    """The body of a failed answer when it is a JSON object (a Status), else nothing: the status code says enough."""
    try:
        document = json.loads(data) if data else None
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def objects_at(document: Mapping[str, Any], field: str) -> list[Mapping[str, Any]]:
    """The list at `field`, each entry an object."""
    entries = list_at(document.get(field), field)
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise InvalidObject(f"{field}[{index}]", f"must be an object, not {type_name(entry)}")
    return entries


def api_object(document: Mapping[str, Any]) -> dict[str, Any]:
    """One object (a Namespace read by name): its metadata must be an object."""
    mapping_at(document.get("metadata"), "metadata")
    return dict(document)


@dataclass(frozen=True)
class ListPage:
    """One page of a list: its items, the continue token of the next page ("" on the last) and the count left."""

    items: list[dict[str, Any]]
    token: str
    remaining: int | None


def list_page(document: Mapping[str, Any]) -> ListPage:
    """A page of a list: `items` objects (each with object metadata) and `metadata.continue`."""
    items = cast("list[dict[str, Any]]", objects_at(document, "items"))  # JSON objects are dicts
    for index, item in enumerate(items):
        meta = item.get("metadata")
        if meta is not None and not isinstance(meta, Mapping):
            raise InvalidObject(f"items[{index}].metadata", f"must be an object, not {type_name(meta)}")
    metadata = mapping_at(document.get("metadata"), "metadata")
    token = string_at(metadata.get("continue"), "metadata.continue")
    remaining = metadata.get("remainingItemCount")
    if remaining is not None and (not isinstance(remaining, int) or isinstance(remaining, bool) or remaining < 0):
        raise InvalidObject("metadata.remainingItemCount", f"must be a count, not {type_name(remaining)}")
    return ListPage(items, token, remaining)


def version_of(document: Mapping[str, Any]) -> str | None:
    """The gitVersion of the `/version` document."""
    return string_at(document.get("gitVersion"), "gitVersion") or None


def preferred_versions(document: Mapping[str, Any]) -> dict[str, str]:
    """The preferred version of each API group, from the APIGroupList at `/apis`."""
    preferred = {}
    for index, group in enumerate(objects_at(document, "groups")):
        name = string_at(group.get("name"), f"groups[{index}].name", required=True)
        version = mapping_at(group.get("preferredVersion"), f"groups[{index}].preferredVersion")
        preferred[name] = string_at(version.get("version"), f"groups[{index}].preferredVersion.version")
    return preferred


def served_versions(document: Mapping[str, Any]) -> list[str]:
    """The versions an APIGroup document (`/apis/<group>`) serves."""
    return [string_at(entry.get("version"), f"versions[{index}].version", required=True)
            for index, entry in enumerate(objects_at(document, "versions"))]


def api_resources(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, name) of each resource an APIResourceList (`/apis/<group>/<version>`) serves."""
    return [(string_at(entry.get("kind"), f"resources[{index}].kind"),
             string_at(entry.get("name"), f"resources[{index}].name", required=True))
            for index, entry in enumerate(objects_at(document, "resources"))]


def username_of(document: Mapping[str, Any]) -> str | None:
    """The username a SelfSubjectReview reports."""
    status = mapping_at(document.get("status"), "status")
    user = mapping_at(status.get("userInfo"), "status.userInfo")
    return string_at(user.get("username"), "status.userInfo.username") or None
