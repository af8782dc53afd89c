"""The ordered tiers of one direction, over port sets: kube-admin (AdminNetworkPolicy, ClusterNetworkPolicy Admin),
Calico's tiers by order, the default tier (Calico policies of tier default and the Kubernetes NetworkPolicies, at
order 1000), kube-baseline, then allow (Calico's profile). calico.py gives the order and its sources.

In a tier, rules are taken by order (priority; lower first), then policy, then rule order; a matching rule decides
the ports still undecided that it covers: Allow and Deny finally, Pass by leaving the tier, Log not at all. A tier
that selects the pod ends in its default action (Deny, or Pass); one that does not is skipped.

Policies that share a priority are ordered by the implementation, which the objects do not say. Each such group
is therefore resolved twice: in the way most permissive for each port (Allow, then Pass, then Deny) and in the
way least permissive. The first gives the ports that may be allowed, the second those allowed whichever way
the implementation orders them; ports in the first only are ambiguous. A rule that sets fields not modelled may or
may not match: the permissive reading takes it as allowing (a Deny as not matching), the strict one as denying.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Protocol

from compliance.model.cluster_policy import Action
from compliance.model.policy_identity import AnyPolicy
from compliance.netpol import bitsets
from compliance.netpol.calico import Rank
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, NamedPorts, PortSet


class Spans:
    """The spans of the classes something applies to (`targets`) and matches (`peers`), bitsets the refinement of
    cells passes over."""

    peers: int
    targets: int

    @cached_property
    def peers_span(self) -> tuple[int, int]:
        """bitsets.span of the peers."""
        return bitsets.span(self.peers)

    @cached_property
    def targets_span(self) -> tuple[int, int]:
        """bitsets.span of the targets."""
        return bitsets.span(self.targets)


class SpannedRule(Spans):
    """What every resolved rule of every kind shares: its spans, and its name in outputs."""

    policy: AnyPolicy
    direction: str
    index: int

    @property
    def reference(self) -> str:
        """`ns/policy ingress[0]`, `AdminNetworkPolicy/name egress[0]` or `GlobalNetworkPolicy/zones egress[0]`."""
        return f"{self.policy.key} {self.direction}[{self.index}]"


class OrderedRule(Protocol):
    """A rule of a tier as the evaluation needs it."""

    @property
    def action(self) -> Action:
        """What the rule does with the ports it covers."""

    @property
    def rank(self) -> Rank:
        """(order, tie-break name, policy, rule index): its place in the tier."""

    @property
    def uncertain(self) -> bool:
        """Whether the rule may or may not match (fields not modelled): each reading takes its own bound."""

    @property
    def l7(self) -> tuple[str, ...]:
        """The L7 rule kinds that filter the requests on what it allows (none: it allows whole connections)."""

    def port_set(self, named_ports: NamedPorts | None) -> PortSet:
        """The ports it covers towards a destination with `named_ports` (None: an address range)."""


class Uncertain(Protocol):
    """What the readings of an uncertain rule need: its action and whether it is uncertain."""

    @property
    def action(self) -> Action:
        """What the rule does with the ports it covers."""

    @property
    def uncertain(self) -> bool:
        """Whether the rule may or may not match."""


@dataclass(frozen=True)
class Decision:
    """The ports one direction may allow (`possible`), those it allows however equal priorities are ordered
    (`certain`, a subset), and those of `possible` allowed only by rules with L7 rules (`filtered`)."""

    possible: PortSet
    certain: PortSet
    filtered: PortSet = NO_PORTS

    @property
    def ambiguous(self) -> PortSet:
        """The ports allowed under some ordering of equal priorities and denied under another."""
        return self.possible - self.certain

    def __and__(self, other: Decision) -> Decision:
        possible = self.possible & other.possible
        if not self.filtered and not other.filtered:
            return Decision(possible, self.certain & other.certain)
        plain = (self.possible - self.filtered) & (other.possible - other.filtered)
        return Decision(possible, self.certain & other.certain, possible - plain)


@dataclass(frozen=True)
class TierInput:
    """One tier of a direction for one connection: the rules of its policies selecting the subject that match the
    peer (in rank order); whether the tier selects the subject (`selected`, or only in the strict reading:
    `maybe_selected`), and what it does then with the ports no rule decided (Deny, or Pass to the next tier)."""

    rules: tuple[OrderedRule, ...]
    selected: bool
    default_action: Action = Action.PASS
    maybe_selected: bool = False


ALLOW_ALL = Decision(ALL_PORTS, ALL_PORTS)
PERMISSIVE = (Action.ALLOW, Action.PASS, Action.DENY)
STRICT = (Action.DENY, Action.PASS, Action.ALLOW)


def effective_action(rule: OrderedRule | Uncertain, preference: tuple[Action, ...]) -> Action | None:
    """The action a rule takes in a reading: its own when certain; for an uncertain rule, the bound of the reading
    (permissive: an Allow or Pass allows, a Deny does not match; strict: it denies); None: no match. Log decides
    nothing in either reading."""
    if not rule.uncertain or rule.action is Action.LOG:
        return rule.action
    if preference is STRICT:
        return Action.DENY
    return None if rule.action is Action.DENY else Action.ALLOW


def policy_outcomes(rules: Sequence[OrderedRule], undecided: PortSet, named_ports: NamedPorts | None,
                    preference: tuple[Action, ...] = PERMISSIVE) -> dict[Action, PortSet]:
    """What one policy's rules (in order, first match; Log decides nothing) decide of the `undecided` ports."""
    outcomes = {action: NO_PORTS for action in Action}
    for rule in rules:
        action = effective_action(rule, preference)
        if action is None or action is Action.LOG:
            continue
        covered = rule.port_set(named_ports) & undecided
        if covered:
            outcomes[action] = outcomes[action] | covered
            undecided = undecided - covered
    return outcomes


def evaluate_tier(rules: Sequence[OrderedRule], undecided: PortSet, named_ports: NamedPorts | None,
                  preference: tuple[Action, ...]) -> tuple[PortSet, PortSet, PortSet]:
    """(allowed, passed, unmatched): what the tier's rules allow, pass to the next tier and leave undecided,
    policies of one order resolved in `preference` order."""
    allowed = passed = NO_PORTS
    for _, group in itertools.groupby(rules, key=lambda rule: rule.rank[:2]):
        by_policy = [list(rules) for _, rules in itertools.groupby(group, key=lambda rule: rule.rank[2])]
        decided = {action: NO_PORTS for action in Action}
        for policy_rules in by_policy:
            for action, ports in policy_outcomes(policy_rules, undecided, named_ports, preference).items():
                decided[action] = decided[action] | ports
        taken = NO_PORTS
        for action in preference:  # where equal priorities disagree, the preferred action wins the port
            won = decided[action] - taken
            if action is Action.ALLOW:
                allowed = allowed | won
            elif action is Action.PASS:
                passed = passed | won
            taken = taken | won
        undecided = undecided - taken
        if not undecided:
            break
    return allowed, passed, undecided


def resolve_tiers(tiers: Sequence[TierInput], named_ports: NamedPorts | None, readings: int) -> Decision:
    """The decision of one direction over its tiers in order; after the last, what is left is allowed.

    With one reading (no equal priorities, no uncertain rule) the permissive and strict readings agree. Where rules
    with L7 rules allow, the tiers are read once more without them: what only they allow is L7-filtered.
    """
    decision = resolve_readings(tiers, named_ports, readings)
    if not any(rule.l7 for tier in tiers for rule in tier.rules):
        return decision
    plain = resolve_readings([replace(tier, rules=tuple(rule for rule in tier.rules if not rule.l7)) for tier in tiers],
                             named_ports, 1)
    return replace(decision, filtered=decision.possible - plain.possible)


def resolve_readings(tiers: Sequence[TierInput], named_ports: NamedPorts | None, readings: int) -> Decision:
    """resolve_tiers without the L7 reading."""
    results = []
    for preference in (PERMISSIVE, STRICT)[:readings]:
        allowed = NO_PORTS
        undecided = ALL_PORTS
        for tier in tiers:
            selected = tier.selected or (preference is STRICT and tier.maybe_selected)
            if not tier.rules and not selected:
                continue
            tier_allowed, passed, unmatched = evaluate_tier(tier.rules, undecided, named_ports, preference)
            allowed = allowed | tier_allowed
            undecided = passed if selected and tier.default_action is Action.DENY else passed | unmatched
            if not undecided:
                break
        results.append(allowed | undecided)
    return Decision(results[0], results[-1])
