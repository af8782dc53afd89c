"""An Assessment as text for a terminal and JSON (segproof.assessment/v1) for machines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.checks.registry import CheckResult
from compliance.controls import Assessment
from compliance.report.connections_output import assumptions_lines, incomplete_banner
from compliance.report.formats import json_text, text_table, visible
from compliance.scope import Scope

ASSESSMENT_FORMAT = "segproof.assessment/v1"
SHOWN_FINDINGS = 5


def check_json(result: CheckResult) -> dict[str, Any]:
    """One check result, without its evidence tables (those go to CSV)."""
    return {"id": result.check, "params": dict(result.params), "status": result.status, "summary": result.summary,
            "findings": [{"object": f.object, "message": f.message, "severity": f.severity} for f in result.findings],
            "evidence": {table.name: len(table.rows) for table in result.evidence}}


def assessment_document(assessment: Assessment, scope: Scope, source: Mapping[str, Any],
                        assumptions: Mapping[str, Any], evaluated_at: str) -> dict[str, Any]:
    """The assessment in its JSON format."""
    return {
        "format": ASSESSMENT_FORMAT,
        "evaluated_at": evaluated_at,
        "organization": scope.organization,
        "system": scope.system,
        "period": {"start": scope.period_start.isoformat(), "end": scope.period_end.isoformat()},
        "source": dict(source),
        "assumptions": dict(assumptions),
        "frameworks": [{
            "id": framework.id, "name": framework.name, "version": framework.version, "title": framework.title,
            "counts": assessment.counts(framework.id),
        } for framework in assessment.frameworks],
        "controls": [{
            "framework": result.framework, "id": result.control.id, "title": result.control.title,
            "severity": result.control.severity, "status": result.status, "summary": result.summary,
            "checks": [check_json(r) for r in result.results],
            "excepted": [{"object": finding.object, "message": finding.message, "exception": exception.target,
                          "approver": exception.approver} for finding, exception in result.excepted],
            "manual_requests": list(result.control.manual_requests),
        } for result in assessment.controls],
        "exceptions": [{"control": use.exception.control, "target": use.exception.target, "state": use.state,
                        "findings": use.findings, "approver": use.exception.approver,
                        "expires": use.exception.expires.isoformat() if use.exception.expires else None}
                       for use in assessment.exceptions],
    }


def assessment_json(assessment: Assessment, scope: Scope, source: Mapping[str, Any], assumptions: Mapping[str, Any],
                    evaluated_at: str) -> str:
    """The assessment as JSON text."""
    return json_text(assessment_document(assessment, scope, source, assumptions, evaluated_at))


def assessment_text(assessment: Assessment, scope: Scope, assumptions: Mapping[str, Any]) -> str:
    """A terminal summary: per framework, the status of each control and the first findings of failures."""
    lines = [incomplete_banner(assumptions) + f"{scope.organization} - {scope.system} - "
             f"{scope.period_start} to {scope.period_end}", ""]
    for framework in assessment.frameworks:
        counts = assessment.counts(framework.id)
        lines.append(f"{framework.title} ({framework.id}): " + ", ".join(
            f"{count} {status.replace('_', ' ')}" for status, count in counts.items() if count))
        results = [r for r in assessment.controls if r.framework == framework.id]
        lines.append(text_table(("CONTROL", "STATUS", "TITLE"), [(r.control.id, r.status.upper(), r.control.title)
                                                                 for r in results]))
        for result in results:
            if result.status not in ("fail", "error", "warning"):
                continue
            lines.append(f"{result.control.id} {result.status.upper()}: {result.summary}")
            findings = [f for r in result.results for f in r.findings]
            lines += [f"  - {f.message}" for f in findings[:SHOWN_FINDINGS]]
            if len(findings) > SHOWN_FINDINGS:
                lines.append(f"  ... and {len(findings) - SHOWN_FINDINGS} more")
        lines.append("")
    expired = [use for use in assessment.exceptions if use.state == "expired"]
    if expired:
        lines.append("Expired exceptions (no longer applied):")
        lines += [f"  - {u.exception.control} {u.exception.target} (expired {u.exception.expires})" for u in expired]
        lines.append("")
    lines.append("Assumptions:")
    lines += [f"  {line}" for line in assumptions_lines(assumptions)]
    return visible("\n".join(lines) + "\n", lines=True)
