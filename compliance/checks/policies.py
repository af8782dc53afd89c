"""Policy checks: coverage of namespaces by policies, default deny, and the hygiene of the rules themselves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from compliance.analysis.system import AssessedSystem
from compliance.checks.registry import (
    CheckResult,
    EvidenceTable,
    Finding,
    NothingToExamine,
    check,
    object_message_rows,
    result,
)
from compliance.checks.segmentation import ZoneChoice, noted, zones_to_examine
from compliance.model.cilium_policy import CiliumPolicy, CiliumRule
from compliance.model.policy import IPBlockPeer, NetworkPolicy, Peer, PortSpec, SelectorPeer
from compliance.model.selectors import LabelSelector
from compliance.model.status import Status
from compliance.netpol import bitsets
from compliance.netpol.ports import resolve_ports
from compliance.netpol.reachability import CompiledRule
from compliance.wording import counted, every

POSTURE_COLUMNS = ("namespace", "zones", "policies", "default_deny_ingress", "default_deny_egress")


def namespaces_in(system: AssessedSystem, zones: Sequence[str] | None,
                  exclude: Sequence[str]) -> tuple[ZoneChoice, list[str]]:
    """The zones examined, and the namespaces that hold workloads in them (every zone when None), minus `exclude`."""
    choice = zones_to_examine(system, zones)
    wanted = set(choice.examined)
    namespaces = sorted(ns for ns, found in system.namespace_zones.items() if found & wanted and ns not in exclude)
    if not namespaces:
        raise NothingToExamine(f"Every namespace with workloads in {choice.names} is excluded "
                               f"({', '.join(exclude)}); no namespace to examine.")
    return choice, namespaces


def policies_to_examine(system: AssessedSystem) -> tuple[NetworkPolicy, ...]:
    """Every NetworkPolicy of the snapshot; none at all leaves a policy check nothing to examine."""
    if not system.snapshot.policies:
        raise NothingToExamine("No NetworkPolicy to examine: the input holds none.")
    return system.snapshot.policies


def admits_nothing(rule: CiliumRule) -> bool:
    """Whether a Cilium allow rule matches no peer: `{}` (no peer field, no ports, no field not modelled)."""
    return not rule.has_peer and rule.ports is None and not rule.unmodelled


def cilium_denies_by_default(policy: CiliumPolicy, direction: str) -> bool:
    """Whether a rule set of a Cilium policy selects every endpoint it can (`endpointSelector: {}`: its namespace's,
    or the cluster's for a clusterwide policy), puts them into default deny for `direction` and allows nothing that
    way."""
    return any(rule_set.endpoint_selector is not None and rule_set.endpoint_selector.is_empty
               and rule_set.isolates(direction) and all(map(admits_nothing, rule_set.rules(direction, False)))
               for rule_set in policy.rule_sets)


def default_deny(policies: Sequence[NetworkPolicy], cilium: Sequence[CiliumPolicy], direction: str) -> str:
    """The name of a NetworkPolicy denying `direction` to every pod of its namespace, else the key of a Cilium
    policy doing so (`cilium`: the namespace's and the clusterwide ones), or ""."""
    return next((p.name for p in policies if p.pod_selector.is_empty and p.isolates(direction)
                 and not p.rules(direction)), "") or next(
        (p.key for p in cilium if cilium_denies_by_default(p, direction)), "")


def posture(system: AssessedSystem, namespaces: Sequence[str]) -> EvidenceTable:
    """Per namespace: its zones, how many policies it has (NetworkPolicies and CiliumNetworkPolicies), and its
    default-deny policies."""
    by_namespace: dict[str, list[NetworkPolicy]] = defaultdict(list)
    for policy in system.snapshot.policies:
        by_namespace[policy.namespace].append(policy)
    cilium: dict[str, list[CiliumPolicy]] = defaultdict(list)
    for found in system.snapshot.cilium_policies:
        cilium[found.namespace].append(found)
    rows = tuple((ns, ", ".join(sorted(system.namespace_zones.get(ns, ()))),
                  str(len(by_namespace[ns]) + len(cilium[ns])),
                  *(default_deny(by_namespace[ns], [*cilium[ns], *cilium[""]], d) for d in ("ingress", "egress")))
                 for ns in namespaces)
    return EvidenceTable("namespace_posture", "NetworkPolicy posture of each namespace", POSTURE_COLUMNS, rows)


def policy_kinds(system: AssessedSystem) -> str:
    """`NetworkPolicy`, or `NetworkPolicy or CiliumNetworkPolicy` where Cilium's policies exist: what a namespace
    lacks when it has no policy."""
    return "NetworkPolicy or CiliumNetworkPolicy" if system.snapshot.cilium_policies else "NetworkPolicy"


@check("policy.namespace_has_policy", "Every namespace in the zones has at least one NetworkPolicy",
       params=("zones", "exclude"), evidence=("namespace_posture",), reachability=False)
def namespace_has_policy(system: AssessedSystem, zones: Sequence[str] | None = None,
                         exclude: Sequence[str] = ()) -> CheckResult:
    """A namespace without any NetworkPolicy leaves its pods open to every peer."""
    choice, namespaces = namespaces_in(system, zones, exclude)
    table = posture(system, namespaces)
    findings = [Finding(row[0], f"namespace {row[0]} ({row[1]}) has no {policy_kinds(system)}", "high")
                for row in table.rows if row[2] == "0"]
    return noted(result("policy.namespace_has_policy", findings,
                        every(len(namespaces), "The one namespace has a NetworkPolicy.",
                              "All {count} namespaces have a NetworkPolicy.", "No namespace to examine."),
                        (f"{{count}} of {counted(len(namespaces), 'namespace')} has no NetworkPolicy.",
                         f"{{count}} of {counted(len(namespaces), 'namespace')} have no NetworkPolicy."), (table,)),
                 choice)


def default_deny_check(check_id: str, system: AssessedSystem, direction: str, zones: Sequence[str] | None,
                       exclude: Sequence[str]) -> CheckResult:
    """Every namespace has a policy selecting all its pods that admits nothing in `direction`."""
    choice, namespaces = namespaces_in(system, zones, exclude)
    table = posture(system, namespaces)
    column = 3 if direction == "ingress" else 4
    cilium = (f"; or a Cilium rule set with endpointSelector: {{}} and only empty {direction} rules ({{}})"
              if system.snapshot.cilium_policies else "")
    findings = [Finding(row[0], f"namespace {row[0]} ({row[1]}) has no default-deny {direction} policy "
                        f"(podSelector: {{}}, policyTypes including {direction.capitalize()}, no {direction} rules"
                        f"{cilium})", "high") for row in table.rows if not row[column]]
    total = counted(len(namespaces), "namespace")
    return noted(result(check_id, findings,
                        every(len(namespaces), f"The one namespace denies {direction} by default.",
                              f"All {{count}} namespaces deny {direction} by default.", "No namespace to examine."),
                        (f"{{count}} of {total} does not deny {direction} by default.",
                         f"{{count}} of {total} do not deny {direction} by default."), (table,)), choice)


@check("policy.default_deny_ingress", "Every namespace in the zones denies ingress by default",
       params=("zones", "exclude"), evidence=("namespace_posture",), reachability=False)
def default_deny_ingress(system: AssessedSystem, zones: Sequence[str] | None = None,
                         exclude: Sequence[str] = ()) -> CheckResult:
    """A default-deny ingress policy in each namespace: new workloads start isolated."""
    return default_deny_check("policy.default_deny_ingress", system, "ingress", zones, exclude)


@check("policy.default_deny_egress", "Every namespace in the zones denies egress by default",
       params=("zones", "exclude"), evidence=("namespace_posture",), reachability=False)
def default_deny_egress(system: AssessedSystem, zones: Sequence[str] | None = None,
                        exclude: Sequence[str] = ()) -> CheckResult:
    """A default-deny egress policy in each namespace: new workloads cannot call out."""
    return default_deny_check("policy.default_deny_egress", system, "egress", zones, exclude)


@check("policy.dangling_selectors", "Policies and peers select existing pods and namespaces",
       evidence=("dangling_selectors",), reachability=False)
def dangling_selectors(system: AssessedSystem) -> CheckResult:
    """Selectors that match nothing: a policy protecting nobody, or a rule admitting a peer that does not exist."""
    reach = system.reach
    namespaces_matched: dict[LabelSelector, bool] = {}
    findings = []
    for policy in policies_to_examine(system):
        if not reach.policy_members(policy):
            findings.append(Finding(policy.key, f"{policy.key}: podSelector {policy.pod_selector.describe()} "
                                    f"selects no pod in namespace {policy.namespace}", "low"))
        for direction in ("ingress", "egress"):
            for index, rule in enumerate(policy.rules(direction)):
                for peer in rule.peers or ():
                    if not isinstance(peer, SelectorPeer):
                        continue
                    selector = peer.namespace_selector
                    if selector is not None and selector not in namespaces_matched:
                        namespaces_matched[selector] = any(selector.matches(labels)
                                                           for labels in system.namespace_labels.values())
                    if selector is not None and not namespaces_matched[selector]:
                        findings.append(Finding(policy.key, f"{policy.key} {direction}[{index}]: namespaceSelector "
                                                f"{selector.describe()} matches no namespace", "low"))
                    elif not reach.peer_members(policy, peer):
                        findings.append(Finding(policy.key, f"{policy.key} {direction}[{index}]: peer "
                                                f"({peer.describe()}) matches no pod", "low"))
    table = EvidenceTable("dangling_selectors", "Selectors that match nothing", ("policy", "problem"),
                          object_message_rows(findings))
    return result("policy.dangling_selectors", findings, "Every policy and peer selector matches something.",
                  ("{count} selector matches nothing.", "{count} selectors match nothing."), (table,),
                  failing_status=Status.WARNING)


def permissive_peers(rule_peers: tuple[Peer, ...] | None) -> list[str]:
    """What makes a rule's peers overly broad, in words."""
    if rule_peers is None:
        return ["admits every peer: all pods and every address"]
    problems = []
    for peer in rule_peers:
        if isinstance(peer, IPBlockPeer) and peer.block.cidr.prefixlen == 0:
            problems.append(f"admits every address ({peer.block.describe()})")
        elif isinstance(peer, SelectorPeer) and peer.namespace_selector is not None and \
                peer.namespace_selector.is_empty and (peer.pod_selector is None or peer.pod_selector.is_empty):
            problems.append("admits every pod of every namespace (namespaceSelector: {})")
    return problems


@check("policy.overly_permissive", "No rule admits every peer, every namespace or every address",
       params=("zones",), evidence=("permissive_rules",), reachability=False)
def overly_permissive(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """Rules of policies protecting workloads in `zones` that admit far more than a named peer."""
    choice = zones_to_examine(system, zones)
    wanted = set(choice.examined)
    classes = system.zoning.classes
    in_zone = bitsets.from_indices((i for i, zone in enumerate(classes) if zone in wanted), len(classes))
    if not any(system.reach.policy_members(policy) & in_zone for policy in system.snapshot.policies):
        raise NothingToExamine(f"No NetworkPolicy to examine: none selects a workload in {choice.names}.")
    findings, rows = [], []
    for rule in system.reach.rules:
        if not rule.targets & in_zone:
            continue
        original = rule.policy.rules(rule.direction)[rule.index]
        for problem in permissive_peers(original.peers):
            ports = "every port" if original.ports is None else ", ".join(s.describe() for s in original.ports)
            rows.append((rule.policy.key, f"{rule.direction}[{rule.index}]", problem, ports))
            findings.append(Finding(rule.policy.key, f"{rule.reference} {problem} on {ports}",
                                    "high" if original.ports is None else "medium"))
    table = EvidenceTable("permissive_rules", "Overly permissive rules", ("policy", "rule", "problem", "ports"),
                          tuple(sorted(rows)))
    return noted(result("policy.overly_permissive", findings, "No rule admits every peer, namespace or address.",
                        ("{count} rule admits every peer, namespace or address.",
                         "{count} rules admit every peer, namespace or address."), (table,)), choice)


def ports_within(inner: tuple[PortSpec, ...] | None, outer: tuple[PortSpec, ...] | None) -> bool:
    """Whether every port `inner` admits, `outer` admits too, for any destination."""
    if outer is None:
        return True
    if inner is None:
        return False
    numeric_outer = resolve_ports(tuple(s for s in outer if not s.is_named), None)
    for spec in inner:
        if spec.is_named:
            if spec not in outer and not any(o.port is None and o.protocol == spec.protocol for o in outer):
                return False
        elif not numeric_outer.issuperset(resolve_ports((spec,), None)):
            return False
    return True


def shadows(outer: CompiledRule, inner: CompiledRule) -> bool:
    """Whether `outer` admits everything `inner` does, for every pod `inner` applies to."""
    return (inner.direction == outer.direction and inner.policy.namespace == outer.policy.namespace
            and not inner.targets & ~outer.targets and not inner.peers & ~outer.peers
            and inner.addresses <= outer.addresses and ports_within(inner.ports, outer.ports))


def rules_to_examine(system: AssessedSystem) -> tuple[CompiledRule, ...]:
    """The rules of the policies that select some pod; none leaves a rule check nothing to examine."""
    policies_to_examine(system)
    if not system.reach.rules:
        raise NothingToExamine("No NetworkPolicy rule to examine: no policy that selects a pod has ingress or "
                               "egress rules.")
    return system.reach.rules


@check("policy.redundant_rules", "No rule is made redundant by another", evidence=("redundant_rules",),
       reachability=False)
def redundant_rules(system: AssessedSystem) -> CheckResult:
    """A rule another rule fully covers (same pods, wider peers and ports) can be removed without effect."""
    groups: dict[tuple[str, str], list[CompiledRule]] = defaultdict(list)
    for rule in rules_to_examine(system):
        groups[(rule.policy.namespace, rule.direction)].append(rule)
    findings = []
    for rules in groups.values():
        for position, rule in enumerate(rules):
            cover = next((other for index, other in enumerate(rules) if index != position and shadows(other, rule)
                          and (index < position or not shadows(rule, other))), None)
            if cover is not None:
                findings.append(Finding(rule.policy.key, f"{rule.reference} is covered by {cover.reference}", "low"))
    table = EvidenceTable("redundant_rules", "Rules covered by other rules", ("policy", "finding"),
                          object_message_rows(findings))
    return result("policy.redundant_rules", findings, "No rule is covered by another.",
                  ("{count} rule is covered by other rules.", "{count} rules are covered by other rules."), (table,),
                  failing_status=Status.WARNING)


@check("policy.named_ports_resolve", "Every named port in a rule is declared by a destination pod",
       evidence=("unresolved_named_ports",), reachability=False)
def named_ports_resolve(system: AssessedSystem) -> CheckResult:
    """A named port no destination declares admits nothing: the rule silently does less than intended."""
    classes = system.reach.classes
    rules = rules_to_examine(system)
    if not any(spec.is_named for rule in rules for spec in rule.ports or ()):
        raise NothingToExamine("No rule names a port: no named port to resolve.")
    findings = []
    for rule in rules:
        destinations = rule.targets if rule.direction == "ingress" else rule.peers
        declared = {(name, protocol) for index in bitsets.members(destinations)
                    for name, protocol, _ in classes[index].named_ports}
        for spec in rule.ports or ():
            if spec.is_named and (spec.port, spec.protocol) not in declared:
                where = "the pods it selects" if rule.direction == "ingress" else "the peers it admits"
                findings.append(Finding(rule.policy.key, f"{rule.reference}: named port {spec.describe()} is "
                                        f"declared by none of {where}", "medium"))
    table = EvidenceTable("unresolved_named_ports", "Named ports no destination declares", ("policy", "finding"),
                          object_message_rows(findings))
    return result("policy.named_ports_resolve", findings, "Every named port resolves on some destination.",
                  ("{count} named port resolves on no destination.", "{count} named ports resolve on no destination."),
                  (table,), failing_status=Status.WARNING)
