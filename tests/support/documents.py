"""Editing nested test documents by dotted path."""

from __future__ import annotations

import copy
from typing import Any


def with_value(document: Any, path: str, value: Any) -> Any:
    """A copy of `document` with the value at a dotted path (list indexes as numbers) set; `...` deletes it."""
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = changed
    for step in parents:
        node = node[int(step)] if isinstance(node, list) else node.setdefault(step, {})
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return changed


# A NetworkPolicy that closes the sample's analytics namespace (the fix of its deliberate mistake).
ANALYTICS_DENY = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                  "metadata": {"name": "default-deny-all", "namespace": "analytics"},
                  "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
