"""`explain` results as text for people and JSON for machines."""

from __future__ import annotations

from compliance.netpol.explain import Explanation
from compliance.netpol.ports import PortSet
from compliance.netpol.verdict import ConnectionVerdict, DirectionVerdict, RuleVerdict, TierStep
from compliance.report.connections_output import assumptions_lines, incomplete_banner
from compliance.report.formats import json_text, visible

EXPLAIN_FORMAT = "segproof.explain/v1"


def rule_json(rule: RuleVerdict, asked: PortSet) -> dict:
    """One rule's verdict."""
    return {"policy": rule.policy, "direction": rule.direction, "rule": rule.index,
            "peer_matches": rule.peer_matches, "ports": rule.ports.to_json(),
            "unresolved_named_ports": list(rule.unresolved_ports),
            "admits": rule.peer_matches and bool(rule.ports & asked)}


def step_json(step: TierStep, asked: PortSet) -> dict:
    """One step of the tiers: which tier, policy, priority (or Calico order) and rule decided (or passed on) which
    ports."""
    found = {"tier": str(step.tier), "action": str(step.action), "ports": (step.ports & asked).to_json(),
             "policy": step.policy or None, "priority": step.priority, "rule": step.rule or None}
    return (found | ({"order": step.order} if step.order is not None else {})
            | ({"l7_filtered": list(step.l7)} if step.l7 else {})
            | ({"selected_by": list(step.selected_by)} if step.selected_by else {}))


def direction_json(side: DirectionVerdict, asked: PortSet) -> dict:
    """One direction's verdict; `tiers` (with `ambiguous` and `ties`) only where cluster policies exist."""
    found = {"applies": side.applies, "host_network": side.host_network, "isolated": side.isolated,
             "policies": list(side.selecting), "rules": [rule_json(r, asked) for r in side.rules],
             "allowed": (side.ports & asked).to_json()}
    if side.steps:
        found["tiers"] = [step_json(step, asked) for step in side.steps if step.ports & asked]
        found["ambiguous"] = (side.ambiguous & asked).to_json()
        found["ties"] = list(side.ties)
    if side.unmodelled:
        found["unmodelled"] = list(side.unmodelled)
    return found


def verdict_json(verdict: ConnectionVerdict, asked: PortSet) -> dict:
    """One pair's verdict (ambiguous ports are part of the allowed ones)."""
    allowed = verdict.ports & asked
    return {"src": verdict.source.display, "dst": verdict.destination.display,
            "self": verdict.self_connection, "allowed": allowed.to_json(), "denied": (asked - allowed).to_json(),
            "ambiguous": (verdict.ambiguous & asked).to_json(),
            **({"l7_filtered": (verdict.filtered & asked).to_json()} if verdict.filtered & asked else {}),
            "egress": direction_json(verdict.egress, asked), "ingress": direction_json(verdict.ingress, asked)}


def explanation_json(explanation: Explanation) -> str:
    """The explanation in the segproof.explain/v1 JSON format."""
    return json_text({
        "format": EXPLAIN_FORMAT, "from": explanation.source, "to": explanation.destination,
        "ports": explanation.ports.to_json(), "assumptions": explanation.assumptions,
        "pairs": [verdict_json(v, explanation.ports) for v in explanation.verdicts],
    })


def rule_line(rule: RuleVerdict, asked: PortSet, peer: str) -> str:
    """Why one rule admits the traffic or not."""
    ports = rule.ports & asked
    if rule.peer_matches and ports:
        return f"admits {ports.describe()}: {rule.reference}"
    reasons = []
    if not rule.peer_matches:
        reasons.append(f"its peers do not include {peer}")
    if rule.unresolved_ports:
        reasons.append(f"named port {', '.join(rule.unresolved_ports)} is not declared by the destination")
    elif not ports:
        reasons.append(f"its ports ({rule.ports.describe()}) do not include {asked.describe()}")
    return f"no: {rule.reference}: {'; '.join(reasons)}"


STEP_VERBS = {"Allow": "allows {}", "Deny": "denies {}", "Log": "logs {} (and decides nothing)",
              "Pass": "passes {} on to the next tier"}
ADMIN_PASS = "passes {} on (to NetworkPolicies, or the Baseline tier where none isolates the pod)"


def step_line(step: TierStep, ports: PortSet) -> str:
    """`Admin tier: AdminNetworkPolicy/guard (priority 10) ingress[0] "no-blue": denies TCP 80`; the Pass chain of
    Calico's tiers step by step, each tier's end (its default action) and the profile after the last."""
    verb = ADMIN_PASS if str(step.action) == "Pass" and str(step.tier) == "Admin" else STEP_VERBS[str(step.action)]
    action = verb.format(ports.describe()) + (f" (L7-filtered ({', '.join(step.l7)}): the connection is reachable, "
                                              "its requests are filtered)" if step.l7 else "")
    if str(step.tier) == "NetworkPolicy":
        return f"NetworkPolicy: {action} (they isolate the pod, so they decide what the Admin tier left)"
    if str(step.tier) == "default" and not step.policy and str(step.action) == "Allow":
        return f"default: {action} (no tier decided)"
    if str(step.tier) == "profile":
        return f"profile: {action} (no tier decided; the Kubernetes profile allows)"
    if not step.policy:
        origin = f"; default deny from {', '.join(step.selected_by)}" if step.selected_by else ""
        return f"{step.tier} tier: {action} (the tier selects the pod and no rule decided: its default action{origin})"
    return f"{step.tier} tier: {step.reference}: {action}"


def tier_lines(side: DirectionVerdict, asked: PortSet) -> list[str]:
    """The tiers' steps of one direction, and what equal priorities leave ambiguous."""
    lines = [step_line(step, step.ports & asked) for step in side.steps if step.ports & asked]
    if side.ambiguous & asked and side.ties:
        lines.append(f"AMBIGUOUS {(side.ambiguous & asked).describe()}: {', '.join(side.ties)} share a priority; "
                     "the implementation's order decides (counted as reachable)")
    if side.ambiguous & asked and side.unmodelled:
        lines.append(f"AMBIGUOUS {(side.ambiguous & asked).describe()}: {'; '.join(side.unmodelled)} not modelled; "
                     "the rule may or may not match (counted as reachable)")
    return lines


def direction_lines(side: DirectionVerdict, subject: str, peer: str, asked: PortSet) -> list[str]:
    """The lines explaining one direction."""
    where = f"{side.direction} at {subject}"
    if not side.applies:
        return [f"{where}: an address outside the cluster; no policy applies"]
    if side.host_network and not side.steps:
        return [f"{where}: hostNetwork pod, not isolated by NetworkPolicies (outside policy control)"]
    steps = [f"  {line}" for line in tier_lines(side, asked)]
    if not side.isolated:
        return [f"{where}: not isolated by NetworkPolicies (none selects it for {side.direction})"
                + ("" if side.steps else ": allows everything"), *steps]
    lines = [f"{where}: isolated by {', '.join(side.selecting)}", *steps]
    if not side.rules:
        lines.append(f"  no {side.direction} rules: nothing is admitted")
    lines += [f"  {rule_line(rule, asked, peer)}" for rule in side.rules]
    return lines


def explanation_text(explanation: Explanation) -> str:
    """The explanation for a terminal."""
    asked = explanation.ports
    lines = incomplete_banner(explanation.assumptions).splitlines()
    for verdict in explanation.verdicts:
        source, destination = verdict.source.display, verdict.destination.display
        allowed = verdict.ports & asked
        lines.append(f"{source} -> {destination}")
        if verdict.self_connection:
            lines += ["  ALLOWED: a pod always reaches itself", ""]
            continue
        lines.append(f"  ALLOWED: {allowed.describe()}" if allowed else "  DENIED")
        if verdict.ambiguous & asked:
            why = ("fields not modelled, or the implementation's order of equal priorities, decide"
                   if verdict.egress.unmodelled or verdict.ingress.unmodelled
                   else "by the implementation's order of equal priorities")
            lines.append(f"  ambiguous (allowed or denied {why}): {(verdict.ambiguous & asked).describe()}")
        if verdict.filtered & asked:
            kinds = dict.fromkeys(kind for side in (verdict.egress, verdict.ingress) for step in side.steps
                                  for kind in step.l7)
            lines.append(f"  L7-filtered ({', '.join(kinds)}): {(verdict.filtered & asked).describe()} (reachable; "
                         "L7 rules filter the requests)")
        if allowed and asked - allowed:
            lines.append(f"  denied: {(asked - allowed).describe()}")
        lines += [f"  {line}" for line in direction_lines(verdict.egress, source, destination, asked)]
        lines += [f"  {line}" for line in direction_lines(verdict.ingress, destination, source, asked)]
        lines.append("")
    lines.append("Assumptions:")
    lines += [f"  {line}" for line in assumptions_lines(explanation.assumptions)]
    return visible("\n".join(lines) + "\n", lines=True)
