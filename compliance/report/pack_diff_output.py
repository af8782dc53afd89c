"""The comparison of two packs as text for a terminal, JSON (`segproof.pack-diff/v1`) and Markdown."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from compliance.analysis.pack_comparison import ControlDifference, PackDiff, PackSide, ZoneDifference
from compliance.report import markdown
from compliance.report.formats import json_text, text_table, visible
from compliance.wording import counted

PACK_DIFF_FORMAT = "segproof.pack-diff/v1"


def side_text(side: PackSide) -> str:
    """`packs/20260930T120000Z (pack 20260930T120000Z-1a2b..., created 2026-09-30T12:00:00Z)`."""
    return f"{side.location} (pack {side.pack_id}, created {side.created_at})"


def inputs_text(found: PackDiff) -> str:
    """Whether the scope, the git commit, the frameworks and the assumptions are the same in both packs."""
    before, after = found.before, found.after
    scope = "same scope" if before.scope_sha256 == after.scope_sha256 else "scope changed"
    commits = (f"git commit {(before.git_commit or 'none')[:12]} -> {(after.git_commit or 'none')[:12]}"
               if before.git_commit != after.git_commit
               else f"git commit {after.git_commit[:12]}" if after.git_commit else "no git history")
    frameworks = ", ".join(after.frameworks) if before.frameworks == after.frameworks else (
        f"frameworks {', '.join(before.frameworks)} -> {', '.join(after.frameworks)}")
    changed = [f"{key} {before.assumptions.get(key)} -> {after.assumptions.get(key)}"
               for key in sorted(set(before.assumptions) | set(after.assumptions))
               if before.assumptions.get(key) != after.assumptions.get(key)]
    assumptions = f"assumptions changed: {', '.join(changed)}" if changed else "same assumptions"
    return f"{scope}; {commits}; {frameworks}; {assumptions}"


def summary(found: PackDiff) -> str:
    """One sentence counting the differences."""
    counts = [(len(found.controls), "control", "controls"), (len(found.zones), "zone path", "zone paths"),
              (len(found.policies), "policy", "policies"), (len(found.exceptions), "exception", "exceptions")]
    if not any(count for count, _, _ in counts):
        return "No differences in controls, zone matrix, policies or exceptions."
    return "Changed: " + ", ".join(counted(count, one, many) for count, one, many in counts) + "."


def status(value: str | None) -> str:
    """A control status, or `absent` when the pack does not hold the control."""
    return value or "absent"


def control_rows(found: PackDiff) -> list[tuple[str, ...]]:
    """CONTROL, BEFORE, AFTER, OPEN FINDINGS, TITLE of each changed control."""
    return [(c.control, status(c.before), status(c.after), f"{c.findings_before} -> {c.findings_after}", c.title)
            for c in found.controls]


def zone_rows(found: PackDiff) -> list[tuple[str, ...]]:
    """SOURCE ZONE, DESTINATION ZONE, CHANGE, PORTS and UNAPPROVED PORTS before -> after of each changed pair."""
    return [(z.source_zone, z.destination_zone, z.change, f"{z.ports_before or '-'} -> {z.ports_after or '-'}",
             f"{z.unapproved_before or '-'} -> {z.unapproved_after or '-'}") for z in found.zones]


def policy_rows(found: PackDiff) -> list[tuple[str, ...]]:
    """POLICY, CHANGE, FIELDS of each changed policy."""
    return [(p.policy, p.kind, ", ".join(p.fields)) for p in found.policies]


def exception_rows(found: PackDiff) -> list[tuple[str, ...]]:
    """CONTROL, TARGET, CHANGE, STATE and EXPIRES before -> after of each changed exception."""
    return [(e.control, e.target, e.change, f"{e.state_before or '-'} -> {e.state_after or '-'}",
             f"{e.expires_before or '-'} -> {e.expires_after or '-'}") for e in found.exceptions]


SECTIONS = (  # title, columns, rows, how many leading columns are names (code in Markdown)
    ("Controls", ("CONTROL", "BEFORE", "AFTER", "OPEN FINDINGS", "TITLE"), control_rows, 1),
    ("Zone matrix", ("SOURCE ZONE", "DESTINATION ZONE", "CHANGE", "PORTS", "UNAPPROVED PORTS"), zone_rows, 2),
    ("Policies", ("POLICY", "CHANGE", "SPEC FIELDS"), policy_rows, 1),
    ("Exceptions", ("CONTROL", "TARGET", "CHANGE", "STATE", "EXPIRES"), exception_rows, 2),
)


def pack_diff_text(found: PackDiff) -> str:
    """The comparison for a terminal: both packs, what stayed the same, then one table per kind of difference."""
    lines = [f"from {side_text(found.before)}", f"to   {side_text(found.after)}", inputs_text(found), "",
             summary(found)]
    for title, header, rows, _ in SECTIONS:
        found_rows = rows(found)
        lines += ["", f"{title} ({len(found_rows)} changed):"]
        lines.append(text_table(header, found_rows).rstrip() if found_rows else "  none")
    return visible("\n".join(lines) + "\n", lines=True)


def control_json(change: ControlDifference) -> dict[str, Any]:
    """A changed control."""
    return {"control": change.control, "title": change.title, "before": change.before, "after": change.after,
            "open_findings": {"before": change.findings_before, "after": change.findings_after}}


def zone_json(change: ZoneDifference) -> dict[str, Any]:
    """A changed zone pair."""
    return {"source_zone": change.source_zone, "destination_zone": change.destination_zone, "change": change.change,
            "ports": {"before": change.ports_before, "after": change.ports_after},
            "unapproved_ports": {"before": change.unapproved_before, "after": change.unapproved_after}}


def pack_diff_json(found: PackDiff) -> str:
    """The comparison in its JSON format."""
    return json_text({
        "format": PACK_DIFF_FORMAT,
        "before": asdict(found.before),
        "after": asdict(found.after),
        "controls": [control_json(c) for c in found.controls],
        "zones": [zone_json(z) for z in found.zones],
        "policies": [{"policy": p.policy, "change": p.kind, "fields": list(p.fields)} for p in found.policies],
        "exceptions": [{"control": e.control, "target": e.target, "change": e.change,
                        "state": {"before": e.state_before, "after": e.state_after},
                        "expires": {"before": e.expires_before, "after": e.expires_after}} for e in found.exceptions],
    })


def pack_diff_markdown(found: PackDiff) -> str:
    """The comparison as Markdown: both packs, a summary, one table per kind of difference."""
    parts = ["### segproof diff", "", f"**{markdown.text(summary(found))}**", "",
             f"From {markdown.code(found.before.pack_id)} ({markdown.text(found.before.created_at)}) to "
             f"{markdown.code(found.after.pack_id)} ({markdown.text(found.after.created_at)}): "
             f"{markdown.text(inputs_text(found))}.", ""]
    for title, header, rows, names in SECTIONS:
        found_rows = rows(found)
        parts += [f"#### {title} ({len(found_rows)} changed)", "",
                  markdown.table([h.capitalize() for h in header],
                                 [(*map(markdown.code, row[:names]), *map(markdown.text, row[names:]))
                                  for row in found_rows])]
    return "\n".join(parts)
