"""The ordered tiers of one direction, over port sets: Admin tier, then NetworkPolicy, then Baseline tier, then
the default (allow).

In a tier, rules are taken by priority (lower first), then policy, then rule order; a matching rule decides the
ports still undecided that it covers: Allow and Deny finally, Pass by leaving the tier. NetworkPolicies decide
every port left for a pod they isolate in the direction; the Baseline tier and then the default decide the rest.

Policies that share a priority are ordered by the implementation, which the objects do not say. Each such group
is therefore resolved twice: in the way most permissive for each port (Allow, then Pass, then Deny) and in the
way least permissive. The first gives the ports that may be allowed, the second those allowed whichever way
the implementation orders them; ports in the first only are ambiguous.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from compliance.model.cluster_policy import Action
from compliance.model.policy import PortSpec
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, NamedPorts, PortSet, resolve_ports


class OrderedRule(Protocol):
    """A rule of a tier as the evaluation needs it."""

    @property
    def action(self) -> Action:
        """What the rule does with the ports it covers."""

    @property
    def ports(self) -> tuple[PortSpec, ...] | None:
        """The ports it covers (None = every port)."""

    @property
    def rank(self) -> tuple[int, str, int]:
        """(priority, policy, rule index): its place in the tier."""


@dataclass(frozen=True)
class Decision:
    """The ports one direction may allow (`possible`) and those it allows however equal priorities are ordered
    (`certain`, a subset)."""

    possible: PortSet
    certain: PortSet

    @property
    def ambiguous(self) -> PortSet:
        """The ports allowed under some ordering of equal priorities and denied under another."""
        return self.possible - self.certain

    def __and__(self, other: Decision) -> Decision:
        return Decision(self.possible & other.possible, self.certain & other.certain)


ALLOW_ALL = Decision(ALL_PORTS, ALL_PORTS)
PERMISSIVE = (Action.ALLOW, Action.PASS, Action.DENY)
STRICT = (Action.DENY, Action.PASS, Action.ALLOW)


def policy_outcomes(rules: Sequence[OrderedRule], undecided: PortSet,
                    named_ports: NamedPorts | None) -> dict[Action, PortSet]:
    """What one policy's rules (in order, first match) decide of the `undecided` ports, by action."""
    outcomes = {action: NO_PORTS for action in Action}
    for rule in rules:
        covered = resolve_ports(rule.ports, named_ports) & undecided
        if covered:
            outcomes[rule.action] = outcomes[rule.action] | covered
            undecided = undecided - covered
    return outcomes


def evaluate_tier(rules: Sequence[OrderedRule], undecided: PortSet, named_ports: NamedPorts | None,
                  preference: tuple[Action, ...]) -> tuple[PortSet, PortSet]:
    """(allowed, left): the ports the tier allows and those it leaves to the next tier (passed or unmatched),
    policies of one priority resolved in `preference` order."""
    allowed = passed = NO_PORTS
    for _, group in itertools.groupby(rules, key=lambda rule: rule.rank[0]):
        by_policy = [list(rules) for _, rules in itertools.groupby(group, key=lambda rule: rule.rank[1])]
        decided = {action: NO_PORTS for action in Action}
        for policy_rules in by_policy:
            for action, ports in policy_outcomes(policy_rules, undecided, named_ports).items():
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
    return allowed, undecided | passed


def resolve_direction(admin: Sequence[OrderedRule], isolated: bool, policy_ports: Callable[[], PortSet],
                      baseline: Sequence[OrderedRule], named_ports: NamedPorts | None,
                      ties: bool) -> Decision:
    """The decision of one direction: the Admin tier's rules, whether NetworkPolicies isolate the pod (then
    `policy_ports()` are the ports they admit), and the Baseline tier's rules, each in rank order.

    Without `ties` (no two policies of a tier share a priority) the permissive and strict readings agree.
    """
    readings = [PERMISSIVE, STRICT] if ties else [PERMISSIVE]
    results = []
    for preference in readings:
        allowed, left = evaluate_tier(admin, ALL_PORTS, named_ports, preference)
        if isolated:
            allowed = allowed | (left & policy_ports())
        elif left:
            baseline_allowed, rest = evaluate_tier(baseline, left, named_ports, preference)
            allowed = allowed | baseline_allowed | rest
        results.append(allowed)
    return Decision(results[0], results[-1])
