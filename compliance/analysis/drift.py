"""Drift between a cluster and git: policies (NetworkPolicies and the cluster-scoped kinds, by identity `ns/name`
or `Kind/name`) only in the cluster (unmanaged), only in git (not applied), or with different specs, each judged by
whether it changes reachability among the cluster's pods.

A difference is semantic when swapping the cluster's version of that one policy for git's (or adding or
removing it) changes some connection; otherwise it is cosmetic: defaults written out (protocol TCP,
policyTypes), another order or form of the same rules, or rules that differ only for pods the cluster
does not have. Labels and annotations are not compared: they do not change what a policy allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from compliance.analysis.policy_changes import SpecChangeKind, spec_changes
from compliance.model.history import Revision, object_display
from compliance.model.policy_identity import identity, kind_of, policy_specs, split_policies
from compliance.model.snapshot import Snapshot
from compliance.model.values import TextEnum
from compliance.netpol.connections import Connection
from compliance.netpol.diff import IncrementalReachability, policy_cuts, same_rules
from compliance.netpol.options import AnalysisOptions, detected_cni
from compliance.wording import counted


class DriftState(TextEnum):
    """How a policy differs between the cluster and git, in the order outputs list them."""

    UNMANAGED = "unmanaged"
    NOT_APPLIED = "not-applied"
    DIFFERENT = "different"

    @property
    def heading(self) -> str:
        """The heading of the policies in this state."""
        return DRIFT_TITLES[self]

    @property
    def words(self) -> str:
        """The state in a sentence: `not applied`."""
        return self.value.replace("-", " ")

    @property
    def key(self) -> str:
        """The state as CSV cells and JSON keys name it: `not_applied`."""
        return self.value.replace("-", "_")


DRIFT_TITLES = {DriftState.UNMANAGED: "Only in the cluster (unmanaged)",
                DriftState.NOT_APPLIED: "Only in git (not applied)", DriftState.DIFFERENT: "Different"}
# A policy only in the cluster is "added" from git to the cluster; one only in git is "removed".
STATE_OF_CHANGE = {SpecChangeKind.ADDED: DriftState.UNMANAGED, SpecChangeKind.REMOVED: DriftState.NOT_APPLIED,
                   SpecChangeKind.CHANGED: DriftState.DIFFERENT}


@dataclass(frozen=True)
class DriftItem:
    """One policy that is not the same in the cluster and in git; `namespace` is "" for a cluster-scoped kind.

    cluster_only: connections allowed with the cluster's version and not with git's; git_only: the reverse.
    """

    kind: str
    namespace: str
    name: str
    status: DriftState
    path: str
    fields: tuple[str, ...]
    semantic: bool
    explanation: str
    cluster_only: tuple[Connection, ...] = ()
    git_only: tuple[Connection, ...] = ()

    @property
    def policy(self) -> str:
        """The policy's identity: `ns/name`, or `AdminNetworkPolicy/name` for a cluster-scoped kind."""
        return identity(self.kind, self.namespace, self.name)

    @property
    def object(self) -> str:
        """`NetworkPolicy ns/name`, or `AdminNetworkPolicy/name` for a cluster-scoped kind."""
        return object_display((self.kind, self.namespace, self.name))


@dataclass(frozen=True)
class Drift:
    """The differences between a cluster's policies and those in git: NetworkPolicies by namespace and name, then
    cluster policies by kind and name."""

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


def explanation(status: DriftState, cluster_only: list[Connection], git_only: list[Connection],
                rules_equal: bool) -> str:
    """Why a difference is semantic or cosmetic, in one sentence."""
    if cluster_only or git_only:
        return (f"changes reachability: {counted(len(cluster_only), 'connection')} only with the cluster's version, "
                f"{len(git_only)} only with git's")
    if rules_equal:
        return "same rules once defaults are applied (e.g. protocol TCP, policyTypes)"
    if status is DriftState.DIFFERENT:
        return "the rules differ but allow the same connections among this cluster's pods"
    return "allows and denies nothing among this cluster's pods"


def drift(cluster: Snapshot, revision: Revision, options: AnalysisOptions, level: str = "workload") -> Drift:
    """The policies that differ between `cluster` and the git revision, judged on the cluster's pods."""
    # Every comparison cuts the address space at the ipBlocks (and networks) of both sides, so its ranges compare
    # one to one.
    _, tiered, calico, cilium = split_policies([*cluster.all_policies, *revision.policies])
    tracker = IncrementalReachability(cluster.pods, cluster.topology_labels(), cluster.all_policies, options, level,
                                      analysis_cuts=policy_cuts([*cluster.all_policies, *revision.policies]),
                                      nodes=cluster.nodes,
                                      untracked=replace(cluster, calico_policies=(), cilium_policies=()),
                                      cilium_cni=bool(cilium))
    in_cluster = {p.key: p for p in cluster.all_policies}
    in_git = {p.key: p for p in revision.policies}
    paths = {policy.key: o.path for o in revision.objects if (policy := o.policy) is not None}
    items = []
    for change in spec_changes(policy_specs(in_git.values()), policy_specs(in_cluster.values())):
        ours, theirs = in_cluster.get(change.policy), in_git.get(change.policy)
        found = ours or in_git[change.policy]
        status = STATE_OF_CHANGE[change.kind]
        rules_equal = same_rules(ours, theirs)
        git_only, cluster_only = ([], []) if rules_equal else tracker.compare(change.policy, theirs)
        items.append(DriftItem(kind_of(found.key), found.namespace, found.name, status, paths.get(change.policy, ""),
                               change.fields, bool(cluster_only or git_only),
                               explanation(status, cluster_only, git_only, rules_equal), tuple(cluster_only),
                               tuple(git_only)))
    return Drift(revision.repository, revision.rev, revision.commit, revision.paths, dict(cluster.source),
                 cluster.collected_at, level,
                 options.assumptions(cluster.unmodelled, dict.fromkeys(tiered), bool(cluster.nodes), calico,
                                     detected_cni(cluster), cilium),
                 tuple(items), len(set(in_cluster) | set(in_git)) - len(items))
