"""The git history of the policy manifests, as read: commits, the tracked objects their manifests define (policies
of every kind, and Namespaces), the changes each commit made, and the objects at one revision. What a change means
(its approval, the connections it opened) is the analysis's (`analysis.history_effects`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.model.calico_policy import GLOBAL_NETWORK_POLICY
from compliance.model.cilium_policy import CILIUM_KINDS
from compliance.model.cluster_policy import CLUSTER_POLICY_KINDS
from compliance.model.objects import Namespace
from compliance.model.policy import NETWORK_POLICY
from compliance.model.policy_identity import CALICO_IDENTITY_KINDS, CILIUM_IDENTITY_KINDS, AnyPolicy, identity

NON_INTEGER_TOKEN = re.compile(r"[:,\[](?:true|false|-?[0-9]+[.eE])")  # how JSON writes a boolean or float value
# (or a string holding those characters)
# Kinds read from git (NetworkPolicy covers Calico's namespaced policies too).
TRACKED_KINDS = (NETWORK_POLICY, *CLUSTER_POLICY_KINDS, GLOBAL_NETWORK_POLICY, *CILIUM_KINDS, "Namespace")
ObjectKey = tuple[str, str, str]
SIGNATURE_STATUS = {
    "G": "good",
    "B": "bad",
    "U": "good, unknown validity",
    "X": "good, expired signature",
    "Y": "good, expired key",
    "R": "good, revoked key",
    "E": "cannot be checked",
    "N": "none",
}


@dataclass(frozen=True)
class Commit:
    """One commit of the first-parent history, as `git log` reports it; times are RFC 3339 UTC."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: str
    committer_name: str
    committer_email: str
    committed_at: str
    signature: str
    signer: str
    subject: str
    body: str
    trailers: tuple[tuple[str, str], ...] = ()

    @property
    def author(self) -> str:
        """`Name <email>` of the author."""
        return f"{self.author_name} <{self.author_email}>"

    @property
    def committer(self) -> str:
        """`Name <email>` of the committer."""
        return f"{self.committer_name} <{self.committer_email}>"

    @property
    def is_merge(self) -> bool:
        """Whether the commit has more than one parent."""
        return len(self.parents) > 1


class ObjectContent:
    """A tracked object's model value and document: given, or built by `load` when first asked for (a version read
    from a cache stays bytes until a consumer needs it).

    A `fingerprint` (b"": none) identifies the document exactly, as `document_fingerprint` makes it: two contents
    that both have one are equal exactly when their fingerprints are, so comparing them loads neither.
    """

    __slots__ = ("_load", "_loaded", "fingerprint")

    def __init__(self, value: AnyPolicy | Namespace | None = None, document: Mapping[str, Any] | None = None, *,
                 load: Callable[[], tuple[AnyPolicy | Namespace, Mapping[str, Any]]] | None = None,
                 fingerprint: bytes = b"") -> None:
        self._load = load
        self._loaded = None if load else (value, document)
        self.fingerprint = fingerprint

    def loaded(self) -> tuple[AnyPolicy | Namespace, Mapping[str, Any]]:
        """(value, document), built once."""
        if self._loaded is None:
            assert self._load is not None
            self._loaded = self._load()
        return self._loaded  # type: ignore[return-value]

    def same_document(self, other: ObjectContent) -> bool:
        """Whether both hold equal documents."""
        if self.fingerprint and other.fingerprint:
            return self.fingerprint == other.fingerprint
        return self.loaded()[1] == other.loaded()[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObjectContent):
            return NotImplemented
        return self.same_document(other) and (bool(self.fingerprint and other.fingerprint)
                                              or self.loaded()[0] == other.loaded()[0])

    __hash__ = None  # type: ignore[assignment]  # equal contents may be loaded or not


@dataclass(frozen=True)
class TrackedObject:
    """A policy (NetworkPolicy, cluster-scoped, Calico's, whose kind is `CalicoNetworkPolicy` or
    `GlobalNetworkPolicy` here, or Cilium's) or a Namespace as one manifest file in git defines it; its `content`
    holds the model value and the object as written (`document`)."""

    kind: str
    namespace: str
    name: str
    path: str
    content: ObjectContent = field(repr=False)

    @property
    def value(self) -> AnyPolicy | Namespace:
        """The model value (a policy of some kind, or a Namespace)."""
        return self.content.loaded()[0]

    @property
    def document(self) -> Mapping[str, Any]:
        """The object as written."""
        return self.content.loaded()[1]

    @property
    def key(self) -> ObjectKey:
        """(kind, namespace, name): the object's identity across files and revisions; namespace "" when
        cluster-scoped."""
        return self.kind, self.namespace, self.name

    @property
    def display(self) -> str:
        """`NetworkPolicy ns/name`, `AdminNetworkPolicy/name` or `Namespace name`."""
        return object_display(self.key)

    @property
    def policy(self) -> AnyPolicy | None:
        """The object as a policy; None for a Namespace."""
        return None if isinstance(self.value, Namespace) else self.value


@dataclass(frozen=True)
class Change:
    """One object added, modified or deleted by a commit, or (with `error`) a manifest that could not be read."""

    commit: Commit
    sequence: int
    change: str
    path: str
    before: TrackedObject | None = None
    after: TrackedObject | None = None
    error: str = ""

    @property
    def target(self) -> TrackedObject | None:
        """The object as changed (as it was, for a deletion); None for a manifest that could not be read."""
        return self.after or self.before

    @property
    def object(self) -> str:
        """The object's display (`NetworkPolicy ns/name`...), or "" for a manifest that could not be read."""
        return self.target.display if self.target else ""

    @property
    def previous_path(self) -> str:
        """The file that held the object before, when the change moved it; else ""."""
        if self.before and self.after and self.before.path != self.after.path:
            return self.before.path
        return ""


@dataclass(frozen=True)
class History:
    """Changes to the tracked objects under `paths` on the first-parent history of `rev`.

    `changes` are sorted by committed time, then history order, then object; `initial` and `final` are the
    objects before the first and after the last commit read (the whole history unless since/until narrow it).
    """

    repository: str
    rev: str
    commit: str
    paths: tuple[str, ...]
    since: str | None
    until: str | None
    changes: tuple[Change, ...]
    initial: tuple[TrackedObject, ...]
    final: tuple[TrackedObject, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Revision:
    """The tracked objects defined by the manifests under `paths` at one commit."""

    repository: str
    rev: str
    commit: str
    paths: tuple[str, ...]
    objects: tuple[TrackedObject, ...]

    @property
    def policies(self) -> tuple[AnyPolicy, ...]:
        """The policies of every kind: cluster policies by kind and name, then NetworkPolicies by namespace and
        name."""
        return tuple(policy for o in self.objects if (policy := o.policy) is not None)


def object_display(key: ObjectKey) -> str:
    """`NetworkPolicy ns/name`, `Namespace name`, or the identity of a cluster, Calico or Cilium policy
    (`AdminNetworkPolicy/name`, `CalicoNetworkPolicy/ns/name`, `CiliumNetworkPolicy/ns/name`), which already names
    its kind (so it reads alike in every output and never as a namespace)."""
    kind, namespace, name = key
    if kind in (*CLUSTER_POLICY_KINDS, *CALICO_IDENTITY_KINDS, *CILIUM_IDENTITY_KINDS):
        return identity(kind, namespace, name)
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def signature_description(status: str) -> str:
    """The meaning of a %G? letter, e.g. `good` or `none`."""
    return SIGNATURE_STATUS.get(status, f"unknown status {status!r}")


def replay_order(change: Change) -> tuple[int, str, str]:
    """Order in which changes happened: history order, then object, then path."""
    return change.sequence, change.object, change.path


def document_fingerprint(document: Any) -> bytes:
    """A digest that two documents share exactly when they are equal (`==`: keys in any order, 1 == 1.0 == True);
    b"" for a document that is not plain JSON with string keys (a YAML 1.1 date, a set, a key that is not a string).

    The digest is of the canonical JSON (sorted keys) of the document with booleans and whole floats written as the
    integers they equal; a JSON round trip that changes the document tells a document that is not plain JSON.
    """
    try:
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return b""
    if json.loads(text) != document:
        return b""
    if NON_INTEGER_TOKEN.search(f"[{text}"):  # perhaps a boolean or float
        text = json.dumps(integers_for_equals(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()  # lone surrogates too: PyYAML reads escapes


def integers_for_equals(value: Any) -> Any:
    """A plain JSON value with every boolean and whole float replaced by the integer it equals."""
    if isinstance(value, dict):
        return {key: integers_for_equals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integers_for_equals(item) for item in value]
    if isinstance(value, bool) or (isinstance(value, float) and value.is_integer()):
        return int(value)
    return value
