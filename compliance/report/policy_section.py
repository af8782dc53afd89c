"""The report's policy section: the cluster policies' rules in evaluation order, the Calico policies by tier, the
Cilium policies by rule set, the NetworkPolicies, explain excerpts where a cluster policy's or Calico policy's tier
decides a connection, and what equal priorities leave ambiguous.

Excerpts are the verdicts of `segproof explain` (the tiers' lines, every port) on representative pods of a few
workload pairs: some ambiguous connections first, then connections into the CDE (unapproved first), one pair per
zone with no path into the CDE, and connections out of the CDE. A pair is shown only when a cluster policy or
Calico policy decides some of its ports, and differently from the pairs already shown. At most
`EXCERPT_CANDIDATES` pairs are looked at, so the section stays cheap on large clusters.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from compliance.analysis.system import AssessedSystem, ZoneConnection
from compliance.model.calico_policy import DEFAULT_TIER
from compliance.model.cluster_policy import ClusterPolicy, Tier
from compliance.model.objects import Pod
from compliance.netpol.addresses import AddressRange, address_text
from compliance.netpol.calico import calico_rank, tier_places, unmodelled_fields
from compliance.netpol.cilium import tiered_objects
from compliance.netpol.explain import representatives
from compliance.netpol.ports import ALL_PORTS
from compliance.netpol.verdict import ConnectionVerdict, Endpoint, PolicyContext, TierStep
from compliance.report.cilium_section import cilium_policy_view
from compliance.report.explain_output import tier_lines
from compliance.report.tables import Table, evaluation_order
from compliance.report.zone_flows import ZoneFlows

RULE_ROWS = 50
EXCERPT_ROWS = 12
AMBIGUOUS_ROWS = 4
EXCERPT_CANDIDATES = 8 * EXCERPT_ROWS
CALICO_ROWS = 50
NAMESPACE_STEPS = ("NetworkPolicy", DEFAULT_TIER, "profile")  # the NetworkPolicies' and the final allow's steps
ACTION_TONES = {"Allow": "yes", "Deny": "no", "Pass": "neutral"}
TIER_NOTES = {
    Tier.ADMIN: "evaluated first: Allow and Deny are final, whatever a NetworkPolicy says; Pass hands the ports on",
    Tier.BASELINE: "evaluated last, only for pods that no NetworkPolicy isolates in that direction",
}


@dataclass(frozen=True)
class Pair:
    """Two ends of a workload-level connection with their zones, and why the report explains it."""

    reason: str
    source: str
    source_zone: str
    destination: str
    destination_zone: str


def cluster_policy_view(tables: Mapping[str, Table], rule_rows: int = RULE_ROWS) -> dict[str, Any]:
    """The cluster policies by tier in evaluation order, each with its rules (at most `rule_rows` rules in all)."""
    policies = tables["data/cluster_policies.csv"]
    rules = tables["data/cluster_policy_rules.csv"]
    by_policy: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rule in rules.records():
        by_policy[rule["policy"]].append({**rule, "tone": ACTION_TONES[rule["action"]]})
    budget, hidden = rule_rows, 0
    tiers: dict[str, list[dict[str, Any]]] = {str(tier): [] for tier in Tier}
    for policy in policies.records():
        key = f"{policy['kind']}/{policy['name']}"
        if budget <= 0:
            hidden += 1
            continue
        own = by_policy[key]
        tiers[policy["tier"]].append({**policy, "key": key, "rules": own[:budget],
                                      "rules_more": max(0, len(own) - budget)})
        budget -= len(own)
    return {"total": len(policies.rows), "rules_total": len(rules.rows), "more": hidden, "path": policies.path,
            "rules_path": rules.path,
            "tiers": [{"name": str(tier), "note": TIER_NOTES[tier], "policies": tiers[str(tier)]} for tier in Tier]}


def calico_policy_view(system: AssessedSystem, rows: int = CALICO_ROWS) -> dict[str, Any]:
    """The Calico policies by tier in evaluation order (tiers without one left out), each with its order, types and
    rule counts (at most `rows` policies in all)."""
    snapshot = system.snapshot
    policies = sorted(snapshot.calico_policies, key=lambda policy: calico_rank(policy, 0))
    tiers, shown = [], 0
    for place in tier_places(snapshot.calico_tiers, snapshot.calico_policies):
        own = [{"key": p.key, "order": "" if p.order is None else f"{p.order:g}", "types": ", ".join(p.types),
                "ingress_rules": len(p.rules("ingress")), "egress_rules": len(p.rules("egress"))}
               for p in policies if p.tier == place.name][:rows - shown]
        if own:
            tiers.append({"name": place.name, "order": "unset" if place.order is None else f"{place.order:,.10g}",
                          "default_action": str(place.default_action), "policies": own})
            shown += len(own)
    return {"total": len(policies), "more": len(policies) - shown, "tiers": tiers}


def tied_priorities(policies: Iterable[ClusterPolicy]) -> list[str]:
    """`Admin tier, priority 20: AdminNetworkPolicy/a, AdminNetworkPolicy/b` for each priority several policies
    of one tier share."""
    groups = itertools.groupby(evaluation_order(policies), key=lambda p: (p.tier, p.priority))
    found = [(tier, priority, [p.key for p in group]) for (tier, priority), group in groups]
    return [f"{tier} tier, priority {priority}: {', '.join(keys)}" for tier, priority, keys in found if len(keys) > 1]


def uncertain_rules(system: AssessedSystem) -> list[str]:
    """`GlobalNetworkPolicy/a ingress[0]: http` for each Calico rule selecting some pod whose match is uncertain: it
    sets fields not modelled (or an ipVersion, where pods are its peers)."""
    return sorted({f"{rule.reference}: {', '.join(unmodelled_fields(rule.policy, rule.rule)) or 'ipVersion'}"
                   for rule in system.reach.calico_rules if rule.uncertain})


def ambiguous_connections(flows: ZoneFlows) -> list[ZoneConnection]:
    """Workload-level connections with ports that equal priorities leave ambiguous, sorted."""
    return [c for c in flows.connections if c.ambiguous]


def denied_examples(system: AssessedSystem, flows: ZoneFlows) -> Iterator[Pair]:
    """For each zone of workloads with no path into a CDE zone, its first workload and the CDE zone's first."""
    members: dict[str, list[str]] = defaultdict(list)
    for workload, zone in sorted(system.workload_zones.items()):
        members[zone].append(workload)
    for destination in flows.cde:
        for source in flows.zones:
            if source not in flows.cde and members[source] and members[destination] and not flows.pair(
                    source, destination).path:
                yield Pair("no path into the CDE", members[source][0], source, members[destination][0], destination)


def candidates(system: AssessedSystem, flows: ZoneFlows, ambiguous: list[ZoneConnection]) -> Iterator[Pair]:
    """The pairs worth explaining, most telling first (see the module docstring)."""
    yield from (Pair("ambiguous", c.source, c.source_zone, c.destination, c.destination_zone)
                for c in ambiguous[:AMBIGUOUS_ROWS])
    cde = set(flows.cde)
    into = [c for c in flows.unapproved if c.destination_zone in cde]
    into += [c for c in flows.cross_zone if c.destination_zone in cde and not c.unapproved]
    yield from (Pair("into the CDE, unapproved" if c.unapproved else "into the CDE", c.source, c.source_zone,
                     c.destination, c.destination_zone) for c in into)
    yield from denied_examples(system, flows)
    yield from (Pair("out of the CDE", c.source, c.source_zone, c.destination, c.destination_zone)
                for c in flows.cross_zone if c.source_zone in cde)


def endpoint_index(system: AssessedSystem) -> Callable[[str], list[Endpoint]]:
    """A lookup from a workload or address-range name to the endpoints that represent it (a pod per service account
    too where Calico policies may select by it, as the engine's classes do)."""
    pods: dict[str, list[Pod]] = defaultdict(list)
    for pod in system.snapshot.pods:
        pods[pod.workload.display].append(pod)
    reach = system.reach
    ranges: dict[str, AddressRange] = {r.display: r for r in (*reach.egress_ranges, *reach.ingress_ranges)}
    by_account = bool(system.snapshot.calico_policies or system.snapshot.cilium_policies)

    def endpoints(name: str) -> list[Endpoint]:
        found = ranges.get(name)
        if found is not None:
            return [Endpoint(address=ipaddress.ip_address(address_text(found.version, found.first)))]
        return [Endpoint(pod=pod) for pod in representatives(pods.get(name, []), by_account)]
    return endpoints


def tier_decided(step: TierStep) -> bool:
    """Whether a cluster policy's or Calico policy's tier took the step: one of their rules, or a Calico tier's
    default action (the steps of the NetworkPolicies, of the default tier's end and of the final allow are not)."""
    return bool(step.rule) or step.tier not in NAMESPACE_STEPS


def tier_decisions(verdict: ConnectionVerdict) -> tuple[str, ...]:
    """The steps of both directions that a tier took, as text (empty when none decides a port)."""
    return tuple(f"{side.direction} {step.reference} {step.action} {step.ports.describe()}"
                 for side in (verdict.egress, verdict.ingress) for step in side.steps if tier_decided(step))


def excerpt_row(pair: Pair, verdict: ConnectionVerdict) -> dict[str, Any]:
    """One excerpt: the pair, the pods explained, the verdict over every port and each direction's tier lines."""
    return {"reason": pair.reason, "source": pair.source, "source_zone": pair.source_zone,
            "destination": pair.destination, "destination_zone": pair.destination_zone,
            "explained": f"{verdict.source.display} -> {verdict.destination.display}",
            "allowed": verdict.ports.describe() if verdict.ports else "",
            "ambiguous": verdict.ambiguous.describe() if verdict.ambiguous else "",
            "egress": tier_lines(verdict.egress, ALL_PORTS), "ingress": tier_lines(verdict.ingress, ALL_PORTS)}


def tier_excerpts(system: AssessedSystem, flows: ZoneFlows, ambiguous: list[ZoneConnection],
                  limit: int = EXCERPT_ROWS) -> list[dict[str, Any]]:
    """Explain excerpts of the first pairs (of at most EXCERPT_CANDIDATES) on which a cluster policy or Calico
    policy decides."""
    snapshot = system.snapshot
    if not snapshot.cluster_policies and not snapshot.calico_policies and not snapshot.cilium_policies:
        return []
    context = PolicyContext(snapshot.policies, system.namespace_labels, system.options, snapshot.cluster_policies,
                            snapshot.nodes, tiered_objects(snapshot, system.options))
    endpoints = endpoint_index(system)
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    decisions: set[tuple[str, ...]] = set()
    for pair in itertools.islice(candidates(system, flows, ambiguous), EXCERPT_CANDIDATES):
        if len(rows) >= limit:
            break
        if (pair.source, pair.destination) in seen:
            continue
        seen.add((pair.source, pair.destination))
        verdicts = [context.connection(s, d) for s in endpoints(pair.source) for d in endpoints(pair.destination)]
        wanted = [(v, tier_decisions(v)) for v in verdicts if v.ambiguous or pair.reason != "ambiguous"]
        found = next(((v, steps) for v, steps in wanted if steps and steps not in decisions), None)
        if found is not None:
            decisions.add(found[1])
            rows.append(excerpt_row(pair, found[0]))
    return rows


def policy_section(system: AssessedSystem, flows: ZoneFlows, tables: Mapping[str, Table],
                   table_rows: int) -> dict[str, Any]:
    """Everything the policy section shows: cluster policies, Calico policies, Cilium policies, NetworkPolicies,
    excerpts and ambiguity."""
    ambiguous = ambiguous_connections(flows)
    network = tables["data/policies.csv"]
    ties = tied_priorities(system.snapshot.cluster_policies)
    uncertain = uncertain_rules(system)
    return {
        "cluster": cluster_policy_view(tables),
        "calico": calico_policy_view(system),
        "cilium": cilium_policy_view(system),
        "network": {"rows": network.records(table_rows), "total": len(network.rows),
                    "more": max(0, len(network.rows) - table_rows), "path": network.path},
        "excerpts": tier_excerpts(system, flows, ambiguous),
        "ambiguity": {"ties": ties, "uncertain": uncertain, "connections": len(ambiguous),
                      "examples": [f"{c.source} -> {c.destination}: {c.ambiguous.describe()}"
                                   for c in ambiguous[:3]]} if ties or uncertain else None,
    }
