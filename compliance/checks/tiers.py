"""Checks of the ordered tiers: the guardrail of zones in a tier before the namespaces' policies (traffic no
NetworkPolicy can open), and connections that policies of equal priority, or Calico rules setting fields not modelled,
leave to the implementation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from compliance.analysis.system import AssessedSystem, merged_ambiguity
from compliance.checks.registry import (
    CheckParameterError,
    CheckResult,
    EvidenceTable,
    Finding,
    NothingToExamine,
    check,
    result,
)
from compliance.checks.segmentation import ZoneChoice, noted, workload_zones, zones_to_examine
from compliance.model.cilium_policy import CILIUM_CLUSTERWIDE_POLICY
from compliance.model.cluster_policy import Action, PodPeer, Tier
from compliance.netpol import bitsets
from compliance.netpol.calico import unmodelled_fields
from compliance.netpol.calico_rules import CalicoTierRule
from compliance.netpol.cilium import LoweredPolicy
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, PortSet
from compliance.netpol.reachability import TierRule, refine
from compliance.netpol.zones import Crossing
from compliance.wording import counted

GUARDRAIL_COLUMNS = ("destination", "destination_zone", "source_zone", "guarded", "unguarded_ports",
                     "source_workloads", "example_source")
GUARDRAIL_RULE_COLUMNS = ("policy", "priority", "direction", "rule", "action", "peers", "ports")
AMBIGUOUS_COLUMNS = ("source", "source_zone", "destination", "destination_zone", "ambiguous_ports", "tied_policies")
GUARDRAIL_TIERS = "a tier before the namespaces' policies (Admin tier, or a Calico tier ordered before default)"
CILIUM_GUARDRAIL_TIERS = ("a tier before the namespaces' policies (Admin tier, a Calico tier ordered before default, "
                          "or CiliumClusterwideNetworkPolicies' deny rules)")
GuardRule = TierRule | CalicoTierRule


def guardrail_tiers_text(system: AssessedSystem) -> str:
    """What the guardrail tiers are, in words (naming Cilium's where the cluster has Cilium policies)."""
    return CILIUM_GUARDRAIL_TIERS if system.snapshot.cilium_policies else GUARDRAIL_TIERS


def namespaced_cilium(rule: GuardRule) -> bool:
    """Whether a rule comes from a CiliumNetworkPolicy, which its namespace's owners write: never a guardrail."""
    return isinstance(rule.policy, LoweredPolicy) and not rule.policy.key.startswith(f"{CILIUM_CLUSTERWIDE_POLICY}/")


def tiered_rules(system: AssessedSystem) -> list[GuardRule]:
    """The rules of the cluster policies and Calico policies that select some pod."""
    return [*system.reach.tier_rules, *system.reach.calico_rules]


def crossing_rules(system: AssessedSystem, zone: str) -> list[GuardRule]:
    """The rules of the guardrail tiers (system.guardrail_tiers) that match some traffic from outside `zone` into it:
    ingress rules of policies whose subjects are in the zone, and egress rules (of subjects outside it) whose peers
    are."""
    inside = system.zoning.members(zone)
    tiers = system.guardrail_tiers
    return [rule for rule in tiered_rules(system) if rule.tier_name in tiers and not namespaced_cilium(rule) and (
        (rule.direction == "ingress" and rule.targets & inside and rule.peers & ~inside)
        or (rule.direction == "egress" and rule.peers & inside and rule.targets & ~inside))]


def denies_every_port(system: AssessedSystem, rule: GuardRule, inside: int) -> bool:
    """Whether a rule is the catch-all deny a guardrail is made of: a Deny of every port (a Deny of some ports blocks
    services), certain (no field not modelled), and for egress one whose peers are pods of the zone by selector (an
    egress Deny to networks matches pods only through their addresses)."""
    if rule.action is not Action.DENY:
        return False
    if isinstance(rule, CalicoTierRule):
        return (not rule.uncertain and not rule.named and rule.port_set(None) == ALL_PORTS
                and (rule.direction == "ingress" or not rule.rule.destination.nets))
    original = rule.policy.rules(rule.direction)[rule.index]
    return original.ports is None and (rule.direction == "ingress" or any(
        isinstance(peer, PodPeer) and system.reach.pod_peer_members(peer) & inside for peer in original.peers))


def has_guardrail(system: AssessedSystem, zone: str) -> bool:
    """Whether a Deny of every port in a guardrail tier matches pods outside `zone` reaching pods in it."""
    inside = system.zoning.members(zone)
    return any(denies_every_port(system, rule, inside) for rule in crossing_rules(system, zone))


def guarded_zones(system: AssessedSystem, zones: Sequence[str] | None) -> tuple[ZoneChoice, list[str], list[str]]:
    """The zones examined, those with a guardrail (complete or not), and the others."""
    choice = zones_to_examine(system, zones)
    workload = set(workload_zones(system))
    addresses = [zone for zone in choice.examined if zone not in workload]
    if addresses:
        raise CheckParameterError(f"parameter zones: {addresses[0]!r} is an address zone; only workloads are guarded")
    guarded = [zone for zone in choice.examined if has_guardrail(system, zone)]
    return choice, guarded, [zone for zone in choice.examined if zone not in guarded]


def guardrail_gaps(system: AssessedSystem, zones: Sequence[str]) -> dict[tuple[str, str], tuple[PortSet, int]]:
    """(destination workload, source zone) -> (the ports from that zone that the guardrail tiers do not deny for
    certain and no approved flow covers, the bitset of the source classes concerned), over
    `system.guardrail_tiers_alone`."""
    alone = system.guardrail_tiers_alone
    members = {zone: alone.zoning.members(zone) for zone in zones}
    sources: dict[tuple[str, int, PortSet], int] = defaultdict(int)
    # Only workloads are sources: address ranges are left to the untrusted_ingress and inbound_restricted checks.
    for source, cells in enumerate(alone.reach.cells):
        source_zone = alone.zoning.classes[source]
        for destinations, open_ports in cells:
            for zone, zone_members in members.items():
                inside = destinations & zone_members
                if zone == source_zone or not inside:
                    continue
                crossing = Crossing(source_zone, zone, open_ports, source_class=source, destinations=inside)
                for bits, approved, _ in alone.approvals(crossing):
                    unguarded = open_ports - approved
                    if bits and unguarded:
                        sources[(source_zone, bits, unguarded)] |= 1 << source
    gaps: dict[tuple[str, str], tuple[PortSet, int]] = {}
    for (zone, bits, unguarded), source_bits in sources.items():
        for index in bitsets.members(bits):
            for workload in alone.workloads_of_class[index]:
                ports, known = gaps.get((workload, zone), (NO_PORTS, 0))
                gaps[(workload, zone)] = (ports | unguarded, known | source_bits)
    return gaps


def rule_row(rule: GuardRule) -> tuple[str, ...]:
    """The evidence row of a cluster policy's or Calico policy's rule; a Calico rule's priority is its tier and
    order, its peers the source and destination as written."""
    if isinstance(rule, CalicoTierRule):
        calico, policy = rule.rule, rule.policy
        order = "unset" if policy.order is None else f"{policy.order:g}"
        return (policy.key, f"tier {policy.tier}, order {order}", rule.direction,
                policy.rule_name(rule.direction, rule.index),
                str(rule.action), f"source {calico.source.describe()}; destination {calico.destination.describe()}",
                calico.describe_ports())
    original = rule.policy.rules(rule.direction)[rule.index]
    ports = "every port" if original.ports is None else ", ".join(spec.describe() for spec in original.ports)
    return (rule.policy.key, str(rule.policy.priority), rule.direction,
            f"{rule.direction}[{rule.index}]" + (f" {original.name}" if original.name else ""),
            str(rule.action), "; ".join(peer.describe() for peer in original.peers), ports)


def rule_rows(system: AssessedSystem, rules: Sequence[GuardRule]) -> tuple[tuple[str, ...], ...]:
    """Evidence rows for the guardrail tiers' rules, in evaluation order (a rule in two parts shown once)."""
    position = {name: number for number, name in enumerate(system.tier_order)}
    ordered = sorted(dict.fromkeys(rules), key=lambda rule: (position[rule.tier_name], rule.rank, rule.direction))
    return tuple(dict.fromkeys(rule_row(rule) for rule in ordered))


@check("segmentation.admin_guardrail", "A guardrail in a tier before the namespaces' policies denies traffic into the "
       "zones from every other zone, except approved flows", params=("zones",),
       evidence=("admin_guardrail", "admin_guardrail_rules"))
def admin_guardrail(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """Into every workload of a zone with a guardrail (a Deny of every port from pods outside it in the Admin tier or
    a Calico tier ordered before default), every port from every other workload zone is denied by those tiers for
    certain (not passed, allowed, tied or uncertain), unless an approved flow covers it: no NetworkPolicy or
    default-tier Calico policy, which namespace owners change, can open it. Address ranges as sources are left to the
    untrusted_ingress and inbound_restricted checks."""
    choice, guarded, unguarded = guarded_zones(system, zones)
    tiers = guardrail_tiers_text(system)
    if not guarded:
        raise NothingToExamine(f"Not applicable: no Deny of every port in {tiers} matches traffic into "
                               f"{choice.names} from pods outside, so no guardrail is claimed; what NetworkPolicies "
                               "(and the later tiers) allow is assessed by the other segmentation checks.")
    alone = system.guardrail_tiers_alone
    gaps = guardrail_gaps(system, guarded)
    occupied = sorted(set(alone.zoning.classes), key=system.zones.index)
    named: dict[int, list[str]] = {}
    rows, findings = [], []
    for destination, zone in sorted(alone.workload_zones.items()):
        if zone not in guarded:
            continue
        for source_zone in (z for z in occupied if z != zone):
            ports, source_bits = gaps.get((destination, source_zone), (NO_PORTS, 0))
            if source_bits not in named:
                named[source_bits] = sorted({w for index in bitsets.members(source_bits)
                                             for w in alone.workloads_of_class[index]})
            sources = named[source_bits]
            rows.append((destination, zone, source_zone, "no" if ports else "yes", ports.describe() if ports else "",
                         str(len(sources)), sources[0] if sources else ""))
            if ports:
                findings.append(Finding(destination, f"{destination} ({zone}) is not guarded against zone "
                                        f"{source_zone} on {ports.describe()}: no Deny of a tier before the "
                                        "namespaces' policies decides them for certain, so they are allowed or left "
                                        f"to the namespaces' policies (from {counted(len(sources), 'workload')}, e.g. "
                                        f"{sources[0]})", "high"))
    names = ", ".join(guarded)
    evidence = (EvidenceTable("admin_guardrail", f"Guardrail of {names} in {tiers}", GUARDRAIL_COLUMNS,
                              tuple(rows)),
                EvidenceTable("admin_guardrail_rules", f"Rules into {names} of the tiers before the namespaces' "
                              "policies", GUARDRAIL_RULE_COLUMNS,
                              rule_rows(system, [rule for zone in guarded for rule in crossing_rules(system, zone)])))
    outcome = result("segmentation.admin_guardrail", findings,
                     f"A{tiers[1:]} denies every other zone's traffic into {names} except approved "
                     "flows, so no NetworkPolicy can open it.",
                     (f"{{count}} of {counted(len(rows), 'pair')} of a workload in {names} and another zone is not "
                      "guarded by a tier before the namespaces' policies.", f"{{count}} of "
                      f"{counted(len(rows), 'pair')} of a workload in {names} and another zone are not guarded by a "
                      "tier before the namespaces' policies."), evidence)
    if unguarded:
        outcome = replace(outcome, summary=f"{outcome.summary.removesuffix('.')}; no guardrail in a tier before the "
                                           f"namespaces' policies protects {', '.join(unguarded)}.")
    return noted(outcome, choice)


def tied_policies(rules: Sequence[GuardRule], ports: PortSet) -> set[str]:
    """The groups of `rules`' cluster policies that share a tier, priority and direction and decide some of `ports`
    differently, each as `AdminNetworkPolicy/a, AdminNetworkPolicy/b (Admin tier, priority 10, egress)`; and the
    Calico rules covering some of `ports` whose match is uncertain, each as
    `GlobalNetworkPolicy/a ingress[0] (tier security, order 10): icmp not modelled`."""
    groups: dict[tuple[Tier, int, str], dict[str, set[Action]]] = defaultdict(lambda: defaultdict(set))
    uncertain = set()
    for rule in rules:
        if not (rule.named or rule.port_set(None) & ports):
            continue
        if isinstance(rule, CalicoTierRule):
            if rule.uncertain:
                fields = ", ".join(unmodelled_fields(rule.policy, rule.rule)) or "ipVersion with pod peers"
                uncertain.add(f"{rule.reference} ({rule_row(rule)[1]}): {fields} not modelled")
            continue
        groups[(rule.policy.tier, rule.policy.priority, rule.direction)][rule.policy.key].add(rule.action)
    return uncertain | {f"{', '.join(sorted(actions))} ({tier} tier, priority {priority}, {direction})"
                        for (tier, priority, direction), actions in groups.items()
                        if len(actions) > 1 and len(set().union(*actions.values())) > 1}


def ambiguous_pairs(system: AssessedSystem, zones: set[str]) -> dict[tuple[str, str], set[str]]:
    """The workload pairs (or workload and address range) with an end in `zones` and pods between which some ports
    are ambiguous, each with the ties of policies (and uncertain Calico rules) behind them; the map's ambiguous cells
    are cut by the tier rules that cover them."""
    reach = system.reach
    assert reach.ambiguity is not None
    egress: dict[int, list[GuardRule]] = defaultdict(list)  # by subject class
    admitting: dict[int, list[GuardRule]] = defaultdict(list)  # ingress rules, by peer class
    for rule in tiered_rules(system):
        for index in bitsets.members(rule.targets if rule.direction == "egress" else rule.peers):
            (egress if rule.direction == "egress" else admitting)[index].append(rule)
    found: dict[tuple[str, str], set[str]] = defaultdict(set)

    def add(source: int, destinations: Sequence[str], destination_zone: str, ties: set[str]) -> None:
        if system.zoning.classes[source] in zones or destination_zone in zones:
            for source_workload in system.workloads_of_class[source]:
                for destination in destinations:
                    if destination != source_workload:
                        found[(source_workload, destination)] |= ties

    for source, cells in enumerate(reach.ambiguity.cells):
        covering = [(rule.peers, rule.peers_span, rule) for rule in egress[source]]
        covering += [(rule.targets, rule.targets_span, rule) for rule in admitting[source]]
        for bits, ports in cells:
            for part, rules in refine([(bits, ())], covering):
                ties = tied_policies(rules, ports)
                for index in bitsets.members(part):
                    add(source, system.workloads_of_class[index], system.zoning.classes[index], ties)
        for index, ports in reach.ambiguity.egress_external[source]:
            add(source, [reach.egress_ranges[index].display], system.zoning.egress_ranges[index],
                tied_policies([rule for rule in egress[source] if index in rule.addresses], ports))
    return found


def pair_ambiguity(system: AssessedSystem, source: str, destination: str, ranges: dict[str, int]) -> PortSet:
    """The ports between two workloads (or a workload and the address range `ranges` indexes) that only some order of
    equal priorities allows: ambiguous between some of their pods and certain between none."""
    reach = system.reach
    assert reach.ambiguity is not None
    parts = []
    for source_class in system.classes_of_workload[source]:
        if destination in ranges:
            index = ranges[destination]
            parts.append((dict(reach.egress_external[source_class]).get(index, NO_PORTS),
                          dict(reach.ambiguity.egress_external[source_class]).get(index, NO_PORTS)))
        else:
            parts += [(reach.ports_between(source_class, index), reach.ambiguous_between(source_class, index))
                      for index in system.classes_of_workload[destination]]
    return merged_ambiguity(*parts)


@check("analysis.unambiguous", "No connection depends on how the implementation orders policies of equal priority",
       params=("zones",), evidence=("ambiguous_connections",))
def unambiguous(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """Two cluster policies of one tier and priority that decide a connection differently leave it to the
    implementation: it counts as reachable, and the policies should get distinct priorities. So does a Calico rule
    setting fields not modelled, which may or may not match, and a Cilium rule whose peers the objects do not hold
    (`toFQDNs`, `toServices`). Connections with an end in `zones` are examined."""
    choice = zones_to_examine(system, zones)
    snapshot = system.snapshot
    if not snapshot.cluster_policies and not snapshot.calico_policies and not snapshot.cilium_policies:
        raise NothingToExamine("Not applicable: the input holds no cluster policy (AdminNetworkPolicy, "
                               "BaselineAdminNetworkPolicy or ClusterNetworkPolicy) and no Calico policy, so no "
                               "priorities can tie.")
    wanted = set(choice.examined)
    rows, findings = [], []
    if system.reach.ambiguity is not None:
        ranges = {found.display: index for index, found in enumerate(system.reach.egress_ranges)}
        for (source, destination), ties in sorted(ambiguous_pairs(system, wanted).items()):
            ports = pair_ambiguity(system, source, destination, ranges)
            if not ports:
                continue
            zones_of = (system.workload_zones[source], system.zoning.egress_ranges[ranges[destination]]
                        if destination in ranges else system.workload_zones[destination])
            tied = "; ".join(sorted(ties)) or "policies of equal priority"
            rows.append((source, zones_of[0], destination, zones_of[1], ports.describe(), tied))
            findings.append(Finding(f"{source} -> {destination}", f"{source} ({zones_of[0]}) -> {destination} "
                                    f"({zones_of[1]}) on {ports.describe()}: {tied}, so the implementation "
                                    "decides these ports (its order of equal priorities, or the fields not "
                                    "modelled); counted as reachable", "high"))
    evidence = (EvidenceTable("ambiguous_connections", f"Connections of {choice.names} that equal priorities leave "
                              "ambiguous", AMBIGUOUS_COLUMNS, tuple(rows)),)
    uncertain = ("Calico or Cilium rules whose match the objects do not decide" if snapshot.cilium_policies
                 else "Calico rules setting fields not modelled")
    passed = (f"No connection of {choice.names} depends on the order of policies of equal priority or on fields "
              "not modelled."
              if system.reach.ambiguity is not None else
              "No two cluster policies of one tier share a priority and no Calico rule sets fields not modelled, so "
              "the policies decide every connection.")
    return noted(result("analysis.unambiguous", findings, passed,
                        f"Connections of {choice.names} that policies of equal priority decide differently (or "
                        f"{uncertain} may decide), leaving them to the implementation: {{count}}.",
                        evidence), choice)
