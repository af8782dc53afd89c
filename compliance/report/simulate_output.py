"""A what-if simulation as text for a terminal, JSON (`segproof.simulation/v1`) and Markdown for a pull request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from compliance.analysis.policy_changes import SpecChangeKind
from compliance.netpol.connections import Connection
from compliance.report import markdown
from compliance.report.connections_output import assumptions_lines, connection_json, connections_list, incomplete_banner
from compliance.report.formats import json_text, text_table, visible
from compliance.simulate import ControlChange, FindingChange, Simulation, Verdict
from compliance.wording import counted

SIMULATION_FORMAT = "segproof.simulation/v1"
# The words of the `segproof.simulation/v1` contract for how a policy changes.
POLICY_WORDS = {SpecChangeKind.ADDED: "added", SpecChangeKind.REMOVED: "deleted", SpecChangeKind.CHANGED: "modified"}
OFFENDING_SHOWN = 50  # in the text without --details; a terminal should not scroll past the verdict


def path_text(connection: Connection, zones: Mapping[str, str]) -> str:
    """`src -> dst TCP 8080 (out-of-scope -> cde)`; the zones only when known."""
    where = f" ({zones[connection.source]} -> {zones[connection.destination]})" if zones else ""
    return f"{connection.source} -> {connection.destination} {connection.ports.describe()}{where}"


def headline(simulation: Simulation, verdict: Verdict) -> str:
    """One sentence: what the change opens and closes, and whether a control gets worse."""
    counts = f"opens {len(simulation.opened)} and closes {counted(len(simulation.closed), 'workload connection')}"
    if simulation.controls is None:
        return f"The change {counts}; no scope given, so no control was evaluated."
    if not verdict.worse:
        return f"OK: no control gets worse; the change {counts}."
    names = ", ".join(change.control for change in verdict.worse)
    prefix = "FAIL: " if verdict.failed else ""
    return f"{prefix}{counted(len(verdict.worse), 'control')} would get worse ({names}); the change {counts}."


def offending(simulation: Simulation, verdict: Verdict) -> list[str]:
    """What makes the controls worse: the opened paths their new findings name, else those findings."""
    if verdict.paths:
        return [path_text(c, simulation.zones) for c in verdict.paths]
    return [f"{f.object}: {f.message}" for f in verdict.findings]


def connection_rows(found: Sequence[Connection], zones: Mapping[str, str]) -> list[tuple[str, ...]]:
    """SOURCE, DESTINATION, PORTS (and ZONES when known) of connections."""
    return [(c.source, c.destination, c.ports.describe(),
             *((f"{zones[c.source]} -> {zones[c.destination]}",) if zones else ())) for c in found]


def connection_header(zones: Mapping[str, str]) -> tuple[str, ...]:
    """The columns of connection_rows."""
    return ("SOURCE", "DESTINATION", "PORTS", *(("ZONES",) if zones else ()))


def simulation_text(simulation: Simulation, verdict: Verdict, details: bool = False) -> str:
    """The simulation for a terminal: the verdict and the offending paths first, then counts of what else changes
    (with `details`: every policy, connection, zone path and finding), then the assumptions."""
    lines = [headline(simulation, verdict), *incomplete_banner(simulation.assumptions).splitlines()]
    if verdict.worse:
        shown = offending(simulation, verdict)
        lines += ["", "Offending paths:" if verdict.paths else "New failing findings:"]
        lines += [f"  {item}" for item in shown[:None if details else OFFENDING_SHOWN]]
        if len(shown) > OFFENDING_SHOWN and not details:
            lines.append(f"  ... and {len(shown) - OFFENDING_SHOWN} more (--details lists them all)")
    lines += ["", f"from {simulation.before}", f"to   {simulation.after}", "", *summary_lines(simulation, verdict)]
    if details:
        lines += detail_lines(simulation)
    lines += ["", "Assumptions:", *(f"  {line}" for line in assumptions_lines(simulation.assumptions))]
    if not details and (simulation.policies or simulation.opened or simulation.closed or simulation.controls):
        lines += ["", "Every policy, connection, zone path and finding: add --details, or use -o json."]
    return visible("\n".join(lines) + "\n", lines=True)


def summary_lines(simulation: Simulation, verdict: Verdict) -> list[str]:
    """How many policies, connections, zone paths and controls change."""
    kinds = Counter(POLICY_WORDS[change.kind] for change in simulation.policies)
    lines = [f"Policies changed: {len(simulation.policies)}"
             + (f" ({', '.join(f'{count} {word}' for word, count in sorted(kinds.items()))})" if kinds else ""),
             f"Workload connections: {len(simulation.opened)} opened, {len(simulation.closed)} closed"]
    if simulation.zones_opened is not None and simulation.zones_closed is not None:
        lines.append(f"Zone paths: {len(simulation.zones_opened)} opened, {len(simulation.zones_closed)} closed")
    if simulation.controls is not None:
        new = sum(len(change.new_findings) for change in simulation.controls)
        resolved = sum(len(change.resolved_findings) for change in simulation.controls)
        lines.append(f"Controls that would change: {len(simulation.controls)} ({len(verdict.worse)} worse; "
                     f"{new} new and {resolved} resolved findings)")
    return lines


def detail_lines(simulation: Simulation) -> list[str]:
    """Every policy, connection, zone path and control that changes, with the findings."""
    lines = ["", f"Policies changed ({len(simulation.policies)}):"]
    lines += [f"  {POLICY_WORDS[change.kind]:<9} {change.policy}" for change in simulation.policies] or ["  none"]
    for title, found in (("Connections opened", simulation.opened), ("Connections closed", simulation.closed)):
        lines += ["", f"{title} ({len(found)}):"]
        lines.append(text_table(connection_header(simulation.zones), connection_rows(found, simulation.zones))
                     .rstrip() if found else "  none")
    for title, zone_found in (("Zone paths opened", simulation.zones_opened),
                              ("Zone paths closed", simulation.zones_closed)):
        if zone_found is not None:
            lines += ["", f"{title} ({len(zone_found)}):"]
            lines.append(text_table(("SOURCE ZONE", "DESTINATION ZONE", "PORTS"), connection_rows(zone_found, {}))
                         .rstrip() if zone_found else "  none")
    if simulation.controls is not None:
        lines += ["", f"Controls that would change ({len(simulation.controls)}):"]
        for change in simulation.controls:
            lines.append(f"  {change.control} {change.before.upper()} -> {change.after.upper()}: {change.title}")
            lines += [f"    + {f.message}" for f in change.new_findings]
            lines += [f"    - {f.message}" for f in change.resolved_findings]
        if not simulation.controls:
            lines.append("  none")
    return lines


def finding_json(finding: FindingChange) -> dict[str, str]:
    """A finding that appears or disappears."""
    return {"check": finding.check, "status": finding.status, "object": finding.object, "message": finding.message,
            "severity": finding.severity}


def control_json(change: ControlChange) -> dict[str, Any]:
    """A control that changes."""
    return {"control": change.control, "title": change.title, "before": change.before, "after": change.after,
            "new_findings": [finding_json(f) for f in change.new_findings],
            "resolved_findings": [finding_json(f) for f in change.resolved_findings]}


def connections_json(found: Sequence[Connection] | None, zones: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """Connections as in the reachability JSON contract, with their zones when known; None when not computed."""
    if found is None or not zones:
        return connections_list(found)
    return [{**connection_json(c), "src_zone": zones[c.source], "dst_zone": zones[c.destination]} for c in found]


def simulation_json(simulation: Simulation, verdict: Verdict) -> str:
    """The simulation in its JSON format; zones and controls are null without a scope."""
    return json_text({
        "format": SIMULATION_FORMAT,
        "before": simulation.before,
        "after": simulation.after,
        "assumptions": dict(simulation.assumptions),
        "verdict": {"fail_on": verdict.fail_on, "failed": verdict.failed, "summary": headline(simulation, verdict),
                    "worse": [change.control for change in verdict.worse],
                    "offending": offending(simulation, verdict) if verdict.worse else []},
        "policies": [{"policy": change.policy, "change": POLICY_WORDS[change.kind]} for change in simulation.policies],
        "opened": connections_json(simulation.opened, simulation.zones),
        "closed": connections_json(simulation.closed, simulation.zones),
        "zones_opened": connections_json(simulation.zones_opened, {}),
        "zones_closed": connections_json(simulation.zones_closed, {}),
        "controls": None if simulation.controls is None else [control_json(c) for c in simulation.controls],
    })


def connection_cells(found: Sequence[Connection], zones: Mapping[str, str]) -> list[tuple[str, ...]]:
    """Markdown cells of connections: endpoints as code, then ports (and zones when known)."""
    return [(markdown.code(row[0]), markdown.code(row[1]), *map(markdown.text, row[2:]))
            for row in connection_rows(found, zones)]


def connections_part(found: Sequence[Connection], zones: Mapping[str, str], noun: str,
                     before: str = "", after: str = "") -> markdown.Part:
    """A Markdown table of connections, whose rows may be cut to fit the comment."""
    header = ("Source", "Destination", "Ports", *(("Zones",) if zones else ()))
    return markdown.table_part(header, connection_cells(found, zones), noun, before, after)


def listed_part(items: Sequence[str], noun: str) -> markdown.Part:
    """A Markdown list (already formatted items), or `_none_`."""
    return markdown.Part("", tuple(f"- {item}" for item in items), "", noun) if items else markdown.Part("_none_\n")


def simulation_markdown(simulation: Simulation, verdict: Verdict) -> str:
    """A pull-request comment: a verdict line, the offending paths, the controls, and collapsible details, within the
    size of a GitHub comment (long lists cut, saying what was cut)."""
    mark = ":x:" if verdict.failed else ":warning:" if verdict.worse else ":white_check_mark:"
    head = (f"### segproof simulate\n\n{mark} **{markdown.text(headline(simulation, verdict))}**\n\n"
            f"From {markdown.text(simulation.before)} to {markdown.text(simulation.after)}.\n\n")
    banner = incomplete_banner(simulation.assumptions)
    if banner:
        head += f"> {markdown.text(banner)}\n\n"
    parts = [markdown.Part(head)]
    if verdict.worse:
        label = "offending paths" if verdict.paths else "new failing findings"
        parts.append(markdown.Part(f"**{label.capitalize()}**\n\n",
                                   tuple(f"- {markdown.code(item)}" for item in offending(simulation, verdict)),
                                   "\n", label))
    if simulation.controls:
        parts.append(markdown.table_part(
            ("Control", "Before", "After", "Title", "New findings", "Resolved findings"),
            [(markdown.code(c.control), c.before, f"**{c.after}**" if c.after != c.before else c.after,
              markdown.text(c.title), str(len(c.new_findings)), str(len(c.resolved_findings)))
             for c in simulation.controls], "controls", after="\n"))
    for title, found in (("Connections opened", simulation.opened), ("Connections closed", simulation.closed)):
        parts += markdown.details_parts(f"{title} ({len(found)})",
                                        [connections_part(found, simulation.zones, title.lower())])
    if simulation.zones_opened is not None and simulation.zones_closed is not None:
        parts += markdown.details_parts(
            f"Zone paths opened ({len(simulation.zones_opened)}) and closed ({len(simulation.zones_closed)})",
            [connections_part(simulation.zones_opened, {}, "zone paths opened", "Opened\n\n", "\n"),
             connections_part(simulation.zones_closed, {}, "zone paths closed", "Closed\n\n")])
    if simulation.controls:
        parts += markdown.details_parts("New and resolved findings", [listed_part(
            [f"{markdown.code(c.control)} {sign} {markdown.text(f.message)}" for c in simulation.controls
             for sign, found in (("added:", c.new_findings), ("resolved:", c.resolved_findings)) for f in found],
            "findings")])
    parts += markdown.details_parts(f"Policies changed ({len(simulation.policies)})", [listed_part(
        [f"{POLICY_WORDS[change.kind]} {markdown.code(change.policy)}" for change in simulation.policies],
        "policies")])
    parts += markdown.details_parts("Assumptions", [listed_part(
        [markdown.text(line) for line in assumptions_lines(simulation.assumptions)], "assumptions")])
    return markdown.fitted(parts, "`segproof simulate -o json`")
