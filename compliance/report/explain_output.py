"""`explain` results as text for people and JSON for machines."""

from __future__ import annotations

from compliance.netpol.explain import Explanation
from compliance.netpol.ports import PortSet
from compliance.netpol.verdict import ConnectionVerdict, DirectionVerdict, RuleVerdict
from compliance.report.connections_output import assumptions_lines, incomplete_banner
from compliance.report.formats import json_text

EXPLAIN_FORMAT = "segproof.explain/v1"


def rule_json(rule: RuleVerdict, asked: PortSet) -> dict:
    """One rule's verdict."""
    return {"policy": rule.policy, "direction": rule.direction, "rule": rule.index,
            "peer_matches": rule.peer_matches, "ports": rule.ports.to_json(),
            "unresolved_named_ports": list(rule.unresolved_ports),
            "admits": rule.peer_matches and bool(rule.ports & asked)}


def direction_json(side: DirectionVerdict, asked: PortSet) -> dict:
    """One direction's verdict."""
    return {"applies": side.applies, "host_network": side.host_network, "isolated": side.isolated,
            "policies": list(side.selecting), "rules": [rule_json(r, asked) for r in side.rules],
            "allowed": (side.ports & asked).to_json()}


def verdict_json(verdict: ConnectionVerdict, asked: PortSet) -> dict:
    """One pair's verdict."""
    allowed = verdict.ports & asked
    return {"src": verdict.source.display, "dst": verdict.destination.display,
            "self": verdict.self_connection, "allowed": allowed.to_json(), "denied": (asked - allowed).to_json(),
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


def direction_lines(side: DirectionVerdict, subject: str, peer: str, asked: PortSet) -> list[str]:
    """The lines explaining one direction."""
    where = f"{side.direction} at {subject}"
    if not side.applies:
        return [f"{where}: an address outside the cluster; no policy applies"]
    if side.host_network:
        return [f"{where}: hostNetwork pod, not isolated by NetworkPolicies (outside policy control)"]
    if not side.isolated:
        return [f"{where}: not isolated (no policy selects it for {side.direction}): allows everything"]
    lines = [f"{where}: isolated by {', '.join(side.selecting)}"]
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
        if allowed and asked - allowed:
            lines.append(f"  denied: {(asked - allowed).describe()}")
        lines += [f"  {line}" for line in direction_lines(verdict.egress, source, destination, asked)]
        lines += [f"  {line}" for line in direction_lines(verdict.ingress, destination, source, asked)]
        lines.append("")
    lines.append("Assumptions:")
    lines += [f"  {line}" for line in assumptions_lines(explanation.assumptions)]
    return "\n".join(lines) + "\n"
