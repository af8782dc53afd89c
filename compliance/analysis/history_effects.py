"""What the changes in the policies' history meant: whether each was approved under the scope's rule, which
connections it opened and closed among a topology's pods (and between zones), and which change last set each
current object."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from compliance.analysis.approvals import Approval, approval_of
from compliance.model.history import Change, History, ObjectKey, TrackedObject, replay_order
from compliance.model.policy import IPBlock
from compliance.model.policy_identity import split_policies
from compliance.model.snapshot import Snapshot
from compliance.netpol.connections import Connection
from compliance.netpol.diff import IncrementalReachability, roll_up, version_cuts
from compliance.netpol.options import AnalysisOptions, detected_cni
from compliance.scope import ChangeApproval

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class ChangeEffects:
    """One change with its approval and the connections it opened and closed (None when not computed, and for
    objects that are not policies); zones_opened/zones_closed are the same grouped by zone pairs."""

    change: Change
    approval: Approval
    opened: tuple[Connection, ...] | None = None
    closed: tuple[Connection, ...] | None = None
    zones_opened: tuple[Connection, ...] | None = None
    zones_closed: tuple[Connection, ...] | None = None


@dataclass(frozen=True)
class AssessedHistory:
    """A history and the effects of each of its changes, in the history's order.

    `level` and `assumptions` are set once the connections of each change have been computed.
    """

    history: History
    changes: tuple[ChangeEffects, ...]
    level: str = ""
    assumptions: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Provenance:
    """The change that last set an object's current content (None: not changed within the history read)."""

    current: TrackedObject
    change: ChangeEffects | None


def assess_history(history: History, rule: ChangeApproval) -> AssessedHistory:
    """Each change of `history` with the approval its commit has under `rule`."""
    approvals: dict[str, Approval] = {}
    changes = []
    for change in history.changes:
        sha = change.commit.sha
        if sha not in approvals:
            approvals[sha] = approval_of(change.commit, rule)
        changes.append(ChangeEffects(change, approvals[sha]))
    return AssessedHistory(history, tuple(changes))


def with_reachability(assessed: AssessedHistory, topology: Snapshot, options: AnalysisOptions,
                      zone_of: Callable[[str], str] | None = None, level: str = "workload",
                      address_cuts: Sequence[IPBlock] = (), progress: Progress | None = None) -> AssessedHistory:
    """The history with the connections each policy change (of every kind) opened and closed among the topology's
    pods.

    The topology's own policies are ignored: they come from git, starting from `history.initial`, except Calico's
    when the history holds none (then the topology's stay as they are); its Calico tiers and network sets stay. The
    changes of one commit are applied one at a time in object order, so each is credited with what it
    changed given the ones before it. With `zone_of` (endpoint name, workload or address range, to zone
    name), zones_opened/zones_closed group the same connections by zone pair; `address_cuts` (the CIDRs
    of external zones) keep every address range inside one zone. `progress` is called as (what, done,
    total) after each change.
    """
    history = assessed.history
    # Every IP version any version of a policy uses is modelled from the start, so each delta reads alike.
    every_version = [policy for change in history.changes for found in (change.before, change.after)
                     if found is not None and (policy := found.policy) is not None]
    initial = [policy for o in history.initial if (policy := o.policy) is not None]
    _, tiered, calico, cilium = split_policies([*initial, *every_version])
    # Calico's (Cilium's) policies come from git when the history holds any, else the topology's stay as they are;
    # its tiers, network sets and Services stay as they are either way.
    fixed = replace(topology, calico_policies=topology.calico_policies if not calico else (),
                    cilium_policies=topology.cilium_policies if not cilium else ())
    tracker = IncrementalReachability(topology.pods, topology.topology_labels(), initial, options, level,
                                      (*address_cuts, *version_cuts([*initial, *every_version])),
                                      nodes=topology.nodes, untracked=fixed, cilium_cni=bool(cilium))
    evaluated = [(effects, policy.key) for effects in sorted(assessed.changes, key=lambda e: replay_order(e.change))
                 if (target := effects.change.target) is not None and (policy := target.policy) is not None]
    updated: dict[int, ChangeEffects] = {}
    for done, (effects, key) in enumerate(evaluated, start=1):
        opened, closed = tracker.apply(key, effects.change.after.policy if effects.change.after else None)
        updated[id(effects)] = replace(
            effects, opened=tuple(opened), closed=tuple(closed),
            zones_opened=tuple(roll_up(opened, zone_of)) if zone_of else None,
            zones_closed=tuple(roll_up(closed, zone_of)) if zone_of else None)
        if progress:
            progress("policy changes", done, len(evaluated))
    return replace(assessed, changes=tuple(updated.get(id(e), e) for e in assessed.changes), level=level,
                   assumptions=options.assumptions(topology.unmodelled, dict.fromkeys(tiered),
                                                   bool(topology.nodes), calico or topology.calico_policies,
                                                   detected_cni(topology), cilium or topology.cilium_policies))


def effective_content(found: TrackedObject) -> Any:
    """What an object enforces: a policy's spec, a Namespace's labels."""
    if found.kind == "Namespace":
        return (found.document.get("metadata") or {}).get("labels") or {}
    return found.document.get("spec")


def provenance(assessed: AssessedHistory) -> tuple[Provenance, ...]:
    """For each object at the end of the history, the change that last set its current spec (a Namespace's
    labels), sorted by object.

    Read the history without since/until for a change behind every object. Changes to other fields (labels
    of a policy, annotations) and moves to another file do not count, so the change's path may be an
    earlier file than `current.path`.
    """
    last: dict[ObjectKey, ChangeEffects] = {}
    for effects in sorted(assessed.changes, key=lambda e: replay_order(e.change)):
        change = effects.change
        if change.after is not None and (change.before is None or
                                         effective_content(change.before) != effective_content(change.after)):
            last[change.after.key] = effects
    return tuple(Provenance(found, last.get(found.key)) for found in assessed.history.final)
