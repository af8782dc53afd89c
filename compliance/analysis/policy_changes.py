"""How the policies of two states differ, by identity (`ns/name` for a NetworkPolicy, `Kind/name` for a
cluster-scoped policy): added, removed, or changed by spec (with the spec fields that differ). Labels and
annotations do not count: they do not change what a policy allows.

Each output names these in its own contract's words (simulate: added/deleted/modified; drift: unmanaged,
not-applied, different; pack comparison: added/removed/changed), mapped where it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compliance.model.policy_identity import CILIUM_IDENTITY_KINDS, identity_order, kind_of
from compliance.model.values import TextEnum

MISSING = object()


class SpecChangeKind(TextEnum):
    """How a policy differs from the first state to the second."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class SpecChange:
    """A policy (`ns/name` or `Kind/name`) that is only in one state, or whose spec differs at `fields`."""

    policy: str
    kind: SpecChangeKind
    fields: tuple[str, ...] = ()


def spec_changes(before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
                 ) -> tuple[SpecChange, ...]:
    """The policies added, removed or changed by spec from `before` to `after` (specs by identity), sorted as
    `identity_order` sorts: NetworkPolicies by namespace and name, then cluster policies by kind and name. A Cilium
    policy's spec holds its `spec` and `specs`, so its fields read `spec.ingress[0]` and `specs[1].egress`."""
    found = []
    for key in sorted(set(before) | set(after), key=identity_order):
        if key not in before:
            found.append(SpecChange(key, SpecChangeKind.ADDED))
        elif key not in after:
            found.append(SpecChange(key, SpecChangeKind.REMOVED))
        elif dict(before[key]) != dict(after[key]):
            root = "" if kind_of(key) in CILIUM_IDENTITY_KINDS else "spec"
            found.append(SpecChange(key, SpecChangeKind.CHANGED, tuple(differing_fields(before[key], after[key],
                                                                                         root))))
    return tuple(found)


def differing_fields(first: Any, second: Any, path: str) -> list[str]:
    """Paths (e.g. `spec.ingress[0].ports[0].protocol`) where two JSON-like values differ."""
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        return [found for key in sorted(set(first) | set(second), key=str)
                for found in differing_fields(first.get(key, MISSING), second.get(key, MISSING),
                                              f"{path}.{key}" if path else str(key))]
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [found for index, (a, b) in enumerate(zip(first, second, strict=True))
                for found in differing_fields(a, b, f"{path}[{index}]")]
    return [] if first == second else [path]
