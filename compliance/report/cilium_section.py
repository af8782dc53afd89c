"""The report's Cilium table: each CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy by rule set, with what it
selects, its allow and deny rule counts, the directions it puts into default deny, and the rules whose verdict rests
on more than addresses and ports (L7 rules filter requests, FQDN rules match names learned from DNS at run time) or
on fields not modelled."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from compliance.analysis.system import AssessedSystem
from compliance.model.cilium_policy import CILIUM_CLUSTERWIDE_POLICY, CiliumPolicy, CiliumRule, CiliumRuleSet
from compliance.netpol import bitsets
from compliance.netpol.cilium import RULE_LISTS, rule_set_names

CILIUM_ROWS = 50


def selects(policy: CiliumPolicy, rule_set: CiliumRuleSet) -> str:
    """What a rule set selects, in words: `endpoints app=web in shop`, `every endpoint of the cluster`, or the nodes
    of a host policy."""
    if rule_set.node_selector is not None:
        return f"nodes {rule_set.node_selector.describe()} (host policy, not modelled)"
    selector = rule_set.endpoint_selector
    where = "the cluster" if policy.kind == CILIUM_CLUSTERWIDE_POLICY else policy.namespace
    if selector is None or selector.is_empty:
        return f"every endpoint of {where}"
    return f"endpoints {selector.describe()}" + ("" if policy.kind == CILIUM_CLUSTERWIDE_POLICY else f" in {where}")


def default_deny(rule_set: CiliumRuleSet) -> str:
    """`ingress, egress`: the directions the rule set puts into default deny; a direction with rules whose
    `enableDefaultDeny` is false shows as `ingress off`."""
    found = []
    for direction in ("ingress", "egress"):
        if rule_set.isolates(direction):
            found.append(direction)
        elif rule_set.rules(direction, False) or rule_set.rules(direction, True):
            found.append(f"{direction} off")
    return ", ".join(found)


def rule_flags(rule: CiliumRule) -> list[str]:
    """What makes one rule's verdict more than addresses and ports: L7 kinds, FQDNs, deprecated requirements and
    fields not modelled."""
    flags = [f"L7 {', '.join(rule.l7)}"] if rule.l7 else []
    flags += [f"FQDN {', '.join(rule.fqdns)}"] if rule.fqdns else []
    flags += ["requires (deprecated)"] if rule.requires else []
    flags += [f"{', '.join(rule.unmodelled)} not modelled"] if rule.unmodelled else []
    return flags


def flagged_rules(rule_set: CiliumRuleSet) -> list[str]:
    """`ingress[0]: L7 http` for each flagged rule of a rule set, in the order of its rule lists."""
    return [f"{field}[{index}]: {'; '.join(flags)}" for (direction, deny), field in RULE_LISTS.items()
            for index, rule in enumerate(rule_set.rules(direction, deny)) if (flags := rule_flags(rule))]


def selected_pods(system: AssessedSystem) -> dict[str, int]:
    """How many pods each rule set selects, by `<policy key> <rule set name>` (rule sets the engine gives no part,
    such as host policies, are left out)."""
    classes = system.reach.classes
    bits: dict[str, int] = defaultdict(int)
    for lowered, subjects in system.cilium_selections:
        bits[lowered.name] |= subjects
    return {name: sum(len(classes[index].pods) for index in bitsets.members(found)) for name, found in bits.items()}


def rule_set_row(policy: CiliumPolicy, name: str, rule_set: CiliumRuleSet, pods: int | None) -> dict[str, Any]:
    """One rule set of the table, with the pods it selects (None: not known)."""
    counts = {field: len(rule_set.rules(direction, deny)) for (direction, deny), field in RULE_LISTS.items()}
    return {"name": name, "description": rule_set.description, "selects": selects(policy, rule_set), "pods": pods,
            "allow": f"{counts['ingress']} / {counts['egress']}", "deny": f"{counts['ingressDeny']} / "
            f"{counts['egressDeny']}", "default_deny": default_deny(rule_set), "flags": flagged_rules(rule_set)}


def cilium_policy_view(system: AssessedSystem, rows: int = CILIUM_ROWS) -> dict[str, Any]:
    """The Cilium policies (clusterwide first, then by namespace and name), each with its rule sets (at most `rows`
    rule sets in all), and how many rules are L7 or FQDN rules."""
    policies = sorted(system.snapshot.cilium_policies, key=lambda p: (p.kind != CILIUM_CLUSTERWIDE_POLICY,
                                                                      p.namespace, p.name))
    pods = selected_pods(system) if policies else {}
    shown, budget = [], rows
    for policy in policies:
        if budget <= 0:
            break
        sets = [rule_set_row(policy, name, rule_set, pods.get(f"{policy.key} {name}"))
                for name, rule_set in zip(rule_set_names(policy), policy.rule_sets, strict=True)][:budget]
        shown.append({"key": policy.key, "kind": policy.kind, "rule_sets": sets})
        budget -= len(sets)
    rules = [rule for policy in policies for rule_set in policy.rule_sets for direction, deny in RULE_LISTS
             for rule in rule_set.rules(direction, deny)]
    return {"total": len(policies), "more": len(policies) - len(shown), "policies": shown,
            "rule_sets": sum(len(policy.rule_sets) for policy in policies),
            "l7_rules": sum(1 for rule in rules if rule.l7), "fqdn_rules": sum(1 for rule in rules if rule.fqdns)}
