"""Drift between a cluster and git: NetworkPolicies only in the cluster (unmanaged), only in git (not applied),
or with different specs, each judged by whether it changes reachability among the cluster's pods.

A difference is semantic when swapping the cluster's version of that one policy for git's (or adding or
removing it) changes some connection; otherwise it is cosmetic: defaults written out (protocol TCP,
policyTypes), another order or form of the same rules, or rules that differ only for pods the cluster
does not have. Labels and annotations are not compared: they do not change what a policy allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compliance.model.policy import IPBlock, NetworkPolicy
from compliance.model.snapshot import Snapshot
from compliance.netpol.connections import Connection
from compliance.netpol.diff import connections_touching, diff_connections, same_rules
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.reachability import ReachabilityMap, analyse, block_cuts
from compliance.sources.git_history import Revision

MISSING = object()


@dataclass(frozen=True)
class DriftItem:
    """One NetworkPolicy that is not the same in the cluster and in git.

    status: unmanaged (only in the cluster), not-applied (only in git) or different. cluster_only: connections
    allowed with the cluster's version and not with git's; git_only: the reverse.
    """

    namespace: str
    name: str
    status: str
    path: str
    fields: tuple[str, ...]
    semantic: bool
    explanation: str
    cluster_only: tuple[Connection, ...] = ()
    git_only: tuple[Connection, ...] = ()

    @property
    def object(self) -> str:
        """`NetworkPolicy ns/name`."""
        return f"NetworkPolicy {self.namespace}/{self.name}"


@dataclass(frozen=True)
class Drift:
    """The differences between a cluster's NetworkPolicies and those in git, sorted by namespace and name."""

    repository: str
    rev: str
    commit: str
    paths: tuple[str, ...]
    cluster_source: Mapping[str, Any]
    collected_at: str
    level: str
    assumptions: Mapping[str, object]
    items: tuple[DriftItem, ...]
    in_sync: int


def differing_fields(first: Any, second: Any, path: str) -> list[str]:
    """Paths (e.g. `spec.ingress[0].ports[0].protocol`) where two JSON-like values differ."""
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        return [found for key in sorted(set(first) | set(second), key=str)
                for found in differing_fields(first.get(key, MISSING), second.get(key, MISSING), f"{path}.{key}")]
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [found for index, (a, b) in enumerate(zip(first, second, strict=True))
                for found in differing_fields(a, b, f"{path}[{index}]")]
    return [] if first == second else [path]


def explanation(status: str, cluster_only: list[Connection], git_only: list[Connection], rules_equal: bool) -> str:
    """Why a difference is semantic or cosmetic, in one sentence."""
    if cluster_only or git_only:
        return (f"changes reachability: {len(cluster_only)} connection(s) only with the cluster's version, "
                f"{len(git_only)} only with git's")
    if rules_equal:
        return "same rules once defaults are applied (e.g. protocol TCP, policyTypes)"
    if status == "different":
        return "the rules differ but allow the same connections among this cluster's pods"
    return "allows and denies nothing among this cluster's pods"


class DriftEvaluation:
    """Reachability of the cluster with one policy swapped at a time, compared in the policy's namespace."""

    def __init__(self, cluster: Snapshot, options: AnalysisOptions, level: str,
                 address_cuts: Sequence[IPBlock] = ()) -> None:
        self.cluster = cluster
        self.address_cuts = tuple(address_cuts)
        self.options = options
        self.level = level
        self.labels = cluster.topology_labels()
        self.policies = {(p.namespace, p.name): p for p in cluster.policies}
        self.reach: ReachabilityMap | None = None
        self.before: dict[str, list[Connection]] = {}

    def compare(self, key: tuple[str, str], replacement: NetworkPolicy | None) -> tuple[list[Connection],
                                                                                           list[Connection]]:
        """(cluster_only, git_only): connections lost and gained when the cluster's policy `key` is replaced."""
        namespace = key[0]
        if namespace not in self.before:
            if self.reach is None:
                self.reach = analyse(self.cluster.pods, self.policies.values(), self.labels, self.options,
                                     self.address_cuts)
            self.before[namespace] = connections_touching(self.reach, self.level, (namespace,))
        swapped = {k: p for k, p in self.policies.items() if k != key}
        if replacement is not None:
            swapped[key] = replacement
        after = analyse(self.cluster.pods, swapped.values(), self.labels, self.options, self.address_cuts)
        git_only, cluster_only = diff_connections(self.before[namespace],
                                                  connections_touching(after, self.level, (namespace,)))
        return cluster_only, git_only


def drift(cluster: Snapshot, revision: Revision, options: AnalysisOptions, level: str = "workload") -> Drift:
    """The NetworkPolicies that differ between `cluster` and the git revision, judged on the cluster's pods."""
    # Every comparison cuts the address space at the ipBlocks of both sides, so its ranges compare one to one.
    evaluation = DriftEvaluation(cluster, options, level, block_cuts([*cluster.policies, *revision.policies]))
    in_cluster = evaluation.policies
    in_git = {(p.namespace, p.name): p for p in revision.policies}
    paths = {(o.namespace, o.name): o.path for o in revision.objects if o.kind == "NetworkPolicy"}
    items = []
    in_sync = 0
    for key in sorted(set(in_cluster) | set(in_git)):
        ours, theirs = in_cluster.get(key), in_git.get(key)
        if ours is not None and theirs is not None and dict(ours.spec) == dict(theirs.spec):
            in_sync += 1
            continue
        status = "unmanaged" if theirs is None else "not-applied" if ours is None else "different"
        fields = differing_fields(ours.spec, theirs.spec, "spec") if ours and theirs else []
        rules_equal = same_rules(ours, theirs)
        cluster_only, git_only = ([], []) if rules_equal else evaluation.compare(key, theirs)
        items.append(DriftItem(key[0], key[1], status, paths.get(key, ""), tuple(fields),
                               bool(cluster_only or git_only), explanation(status, cluster_only, git_only, rules_equal),
                               tuple(cluster_only), tuple(git_only)))
    return Drift(revision.repository, revision.rev, revision.commit, revision.paths, dict(cluster.source),
                 cluster.collected_at, level, options.assumptions(cluster.unmodelled), tuple(items), in_sync)
