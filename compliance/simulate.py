"""What-if: the connections and control results a change to the policies (NetworkPolicies and the cluster-scoped
kinds) would bring, before it is applied.

The topology (namespaces, pods and their labels) comes from one source. The two states lay policies over it:
proposed manifests (and deletions) over the source's policies, or the policies of a base and a head git
revision. A policy of the source that the change does not name stays as it is in both states, so policies
managed elsewhere keep isolating what they isolate.

A control gets worse when it fails after the change and did not before, or fails in both states and gains
failing findings: on objects it had no finding for, or on connections the change opened more ports on. A gate
on an already failing cluster still stops new violations, and a change that only improves things passes.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from compliance.analysis.policy_changes import SpecChange, spec_changes
from compliance.analysis.system import AssessedSystem
from compliance.controls import Assessment, ControlResult, Framework, evaluate_controls
from compliance.errors import InvalidValue
from compliance.model.calico_policy import GLOBAL_NETWORK_POLICY
from compliance.model.cilium_policy import CILIUM_CLUSTERWIDE_POLICY, CILIUM_NETWORK_POLICY
from compliance.model.cluster_policy import CLUSTER_POLICY_KINDS
from compliance.model.history import Revision
from compliance.model.policy_identity import (
    CALICO_NAMESPACED,
    AnyPolicy,
    identity_order,
    kind_of,
    policy_specs,
    split_policies,
)
from compliance.model.snapshot import Snapshot
from compliance.model.status import FAILING_STATUSES
from compliance.netpol.cilium import tiered_objects
from compliance.netpol.connections import Connection, connections
from compliance.netpol.diff import diff_connections, endpoint_zones, policy_cuts, roll_up
from compliance.netpol.options import AnalysisOptions, detected_cni
from compliance.netpol.reachability import analyse_snapshot, calico_cuts
from compliance.scope import Scope


@dataclass(frozen=True)
class FindingChange:
    """A finding present in one state only, with the status of the check that reported it there."""

    check: str
    status: str
    object: str
    message: str
    severity: str


@dataclass(frozen=True)
class ControlChange:
    """A control whose status or findings differ between the two states."""

    control: str
    title: str
    before: str
    after: str
    new_findings: tuple[FindingChange, ...]
    resolved_findings: tuple[FindingChange, ...]

    def worse(self, failing: frozenset[str]) -> bool:
        """Whether it fails after the change and did not before, or fails in both and gains failing findings."""
        if self.after not in failing:
            return False
        return self.before not in failing or any(f.status in failing for f in self.new_findings)


@dataclass(frozen=True)
class Simulation:
    """What changing the policies from `before` to `after` (labels of the two states) would change.

    opened/closed are workload-level connections; `zones` maps each of their endpoints to its zone, and
    zones_opened/zones_closed group them by zone pair, when a scope is given (else empty and None). `controls`
    are the controls that change, None without a scope.
    """

    before: str
    after: str
    policies: tuple[SpecChange, ...]
    opened: tuple[Connection, ...]
    closed: tuple[Connection, ...]
    zones: Mapping[str, str]
    zones_opened: tuple[Connection, ...] | None
    zones_closed: tuple[Connection, ...] | None
    controls: tuple[ControlChange, ...] | None
    assumptions: Mapping[str, object]


@dataclass(frozen=True)
class Verdict:
    """The gate: the controls that get worse, and the opened paths and new findings that make them worse.

    Controls count as worse at the `fail_on` threshold; with `never`, at `fail`, but nothing fails.
    """

    fail_on: str
    worse: tuple[ControlChange, ...]
    paths: tuple[Connection, ...]
    findings: tuple[FindingChange, ...]

    @property
    def failed(self) -> bool:
        """Whether the gate stops the change."""
        return self.fail_on != "never" and bool(self.worse)


def policy_key(text: str) -> str:
    """The identity `ns/name` (a NetworkPolicy), `Kind/name` (a cluster policy, GlobalNetworkPolicy or
    CiliumClusterwideNetworkPolicy) or `CalicoNetworkPolicy/ns/name` or `CiliumNetworkPolicy/ns/name` as given;
    ValueError otherwise."""
    first, separator, name = text.partition("/")
    if first in (CALICO_NAMESPACED, CILIUM_NETWORK_POLICY):
        first, separator, name = name.partition("/")
    if not separator or not first or not name or "/" in name:
        raise ValueError(f"{text!r} is not ns/name or Kind/name (CalicoNetworkPolicy/ns/name and "
                         "CiliumNetworkPolicy/ns/name for those kinds)")
    kinds = (*CLUSTER_POLICY_KINDS, GLOBAL_NETWORK_POLICY, CILIUM_CLUSTERWIDE_POLICY)
    if first[0].isupper() and first not in kinds:
        raise ValueError(f"{first!r} is not a cluster policy kind ({', '.join(kinds)})")
    return text


def with_policies(snapshot: Snapshot, policies: Sequence[AnyPolicy], deleted: Sequence[str] = ()) -> Snapshot:
    """The snapshot with `policies` (of every kind) replacing the same-named ones (or added) and the `deleted` ones
    (by identity) removed."""
    merged = {p.key: p for p in snapshot.all_policies}
    for key in deleted:
        if key not in merged:
            raise InvalidValue(f"{key}: no such {kind_of(key)} to delete",
                               hint="name a policy of the source as ns/name, or a cluster policy as Kind/name")
        del merged[key]
    merged.update({p.key: p for p in policies})
    network, tiered, calico, cilium = split_policies(merged[key] for key in sorted(merged, key=identity_order))
    return replace(snapshot, policies=tuple(network), cluster_policies=tuple(tiered), calico_policies=tuple(calico),
                   cilium_policies=tuple(cilium))


def with_calico(snapshot: Snapshot, proposed: Snapshot) -> Snapshot:
    """The snapshot with the Calico tiers and network sets of `proposed` replacing the same-named ones (or added);
    its policies, Calico's too, are laid over by `with_policies`."""
    def laid_over(current: Sequence[Any], new: Sequence[Any], key: Callable[[Any], Any]) -> tuple[Any, ...]:
        found = {key(item): item for item in current} | {key(item): item for item in new}
        return tuple(found[name] for name in sorted(found))

    return replace(snapshot, calico_tiers=laid_over(snapshot.calico_tiers, proposed.calico_tiers, lambda t: t.name),
                   network_sets=laid_over(snapshot.network_sets, proposed.network_sets,
                                          lambda n: (n.namespace, n.name)))


def proposal(snapshot: Snapshot, proposed: Sequence[AnyPolicy], deleted: Sequence[str],
             files: Sequence[str]) -> tuple[Snapshot, Snapshot, tuple[str, str]]:
    """(before, after, labels): the source's policies, then with the proposed ones laid over and deletions."""
    changes = [f"proposed {', '.join(files)}"] if files else []
    if deleted:
        changes.append("deleting " + ", ".join(deleted))
    return snapshot, with_policies(snapshot, proposed, deleted), ("current policies", "; ".join(changes))


def revisions(snapshot: Snapshot, base: Revision, head: Revision) -> tuple[Snapshot, Snapshot, tuple[str, str]]:
    """(before, after, labels): the source with the base revision's policies, then with the head's."""
    before = with_policies(snapshot, base.policies)
    gone = sorted({p.key for p in base.policies} - {p.key for p in head.policies}, key=identity_order)
    return before, with_policies(before, head.policies, gone), (f"{base.rev} ({base.commit[:12]})",
                                                                f"{head.rev} ({head.commit[:12]})")


def findings_of(result: ControlResult) -> dict[tuple[str, str, str], FindingChange]:
    """The open findings of a control by (check, parameters, object)."""
    return {(r.check, json.dumps(dict(r.params), sort_keys=True), f.object):
            FindingChange(r.check, r.status, f.object, f.message, f.severity)
            for r in result.results for f in r.findings}


def control_changes(before: Assessment, after: Assessment, opened: Sequence[Connection]) -> tuple[ControlChange, ...]:
    """The controls whose status or findings differ; a finding on a connection that gained ports counts as new."""
    widened = {f"{c.source} -> {c.destination}" for c in opened}
    previous = {result.reference: result for result in before.controls}
    found = []
    for result in after.controls:
        was, now = findings_of(previous[result.reference]), findings_of(result)
        new = tuple(f for key, f in now.items() if key not in was or f.object in widened)
        resolved = tuple(f for key, f in was.items() if key not in now)
        status = previous[result.reference].status
        if status != result.status or new or resolved:
            found.append(ControlChange(result.reference, result.control.title, status, result.status, new, resolved))
    return tuple(found)


def simulate(before: Snapshot, after: Snapshot, labels: tuple[str, str], options: AnalysisOptions,
             today: datetime.date, scope: Scope | None = None, frameworks: Sequence[Framework] = ()) -> Simulation:
    """Compare the two states: connections, and with a scope, zone paths and the frameworks' controls on `today`."""
    # Both states cut the address space at the ipBlocks (and networks) of both, so ranges and findings compare one
    # to one.
    blocks = (*policy_cuts([*before.all_policies, *after.all_policies]),
              *calico_cuts(tiered_objects(before, options)), *calico_cuts(tiered_objects(after, options)))
    if scope is None:
        reaches = [analyse_snapshot(state, options, blocks) for state in (before, after)]
    else:
        systems = [AssessedSystem(state, scope, options, today, address_cuts=blocks) for state in (before, after)]
        reaches = [system.reach for system in systems]
    cuts = (*scope.address_cuts, *blocks) if scope else blocks
    opened, closed = diff_connections(connections(reaches[0], "workload"), connections(reaches[1], "workload"), cuts)
    zones: dict[str, str] = {}
    zones_opened = zones_closed = controls = None
    if scope is not None:
        zone_of = endpoint_zones(before.pods, before.topology_labels(), scope)
        zones = {name: zone_of(name) for c in (*opened, *closed) for name in (c.source, c.destination)}
        zones_opened, zones_closed = tuple(roll_up(opened, zone_of)), tuple(roll_up(closed, zone_of))
        earlier, later = [evaluate_controls(system, frameworks) for system in systems]
        controls = control_changes(earlier, later, opened)
    specs = [policy_specs(state.all_policies) for state in (before, after)]
    return Simulation(labels[0], labels[1], spec_changes(*specs), tuple(opened), tuple(closed),
                      dict(sorted(zones.items())), zones_opened, zones_closed, controls,
                      options.assumptions(after.unmodelled, dict.fromkeys((*before.cluster_policies,
                                                                           *after.cluster_policies)),
                                          bool(after.nodes), cni=detected_cni(after),
                                          cilium_policies=after.cilium_policies))


def verdict(simulation: Simulation, fail_on: str) -> Verdict:
    """The controls the change makes worse at the `fail_on` threshold, with the opened paths and findings to blame."""
    failing = FAILING_STATUSES["fail" if fail_on == "never" else fail_on]
    worse = tuple(change for change in simulation.controls or () if change.worse(failing))
    findings = tuple(dict.fromkeys(f for change in worse for f in change.new_findings if f.status in failing))
    named = {f.object for f in findings}
    paths = tuple(c for c in simulation.opened if f"{c.source} -> {c.destination}" in named)
    return Verdict(fail_on, worse, paths, findings)
