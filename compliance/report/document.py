"""The auditor's report: a jinja2 template rendered to HTML, and to a PDF/A-3b with the CSVs attached (WeasyPrint).

The template (`report_templates/report.html.j2`, with `report.css` inlined) autoescapes every value, shows
control and bidirectional-formatting characters as `\\u202e`-style escapes (`formats.visible`), and fails on any
undefined name. The PDF is deterministic: its dates come from the pack's `created_at`, embedded font
subsets are dated with SOURCE_DATE_EPOCH, attachments carry fixed dates, and the chart is deterministic SVG.
PDF tables are bounded (`PDF_TABLE_ROWS`); the CSVs carry every row.
"""

from __future__ import annotations

import base64
import datetime
import os
import re
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from compliance.checks.registry import CHECKS, CheckResult, Finding
from compliance.controls import ControlResult
from compliance.errors import InvalidValue
from compliance.model.status import STATUS_ORDER, Status
from compliance.model.unmodelled import describe_unmodelled
from compliance.report.charts import zone_matrix_svg
from compliance.report.connections_output import assumption_text
from compliance.report.formats import visible
from compliance.report.inputs import ReportInput
from compliance.report.policy_section import policy_section
from compliance.report.tables import (
    Table,
    control_findings,
    control_order,
    evidence_files,
    original_results,
    params_text,
    report_tables,
)
from compliance.report.zone_flows import ZoneFlows, verdicts, zone_flows
from compliance.resources import resource_dir
from compliance.scope import ScopeException
from compliance.times import parse_utc
from compliance.wording import agreeing, counted

if TYPE_CHECKING:  # jinja2 and WeasyPrint are imported only when a report is rendered
    import jinja2
    import pydyf
    import weasyprint
    from markupsafe import Markup

TEMPLATE = "report.html.j2"
PDF_TABLE_ROWS = 25
# zlib's default level for the attached CSVs: pydyf deflates every stream at level 9, five times slower on the
# ~100 MB of CSVs of a 150,000-pod cluster (3.6 s against 0.7 s) for a PDF only 11 % smaller.
ATTACHMENT_COMPRESSION = 6
DETAIL_FINDINGS = 8
EVIDENCE_EXCERPT_ROWS = 5
# The executive summary counts statuses from the best, the worst last.
SUMMARY_STATUSES = (Status.PASS, Status.FAIL, Status.WARNING, Status.MANUAL, Status.EXCEPTED, Status.NOT_APPLICABLE,
                    Status.ERROR)
STATUS_MEANINGS = {
    Status.PASS: "Every check of the control passed on the evidence in this pack.",
    Status.FAIL: "At least one check found a problem that no active exception covers.",
    Status.WARNING: "A check found a weakness that does not by itself break the requirement; review it.",
    Status.MANUAL: "No configuration check can decide the requirement; the listed evidence must be requested.",
    Status.EXCEPTED: "Every finding is covered by an active, approved exception of the scope.",
    Status.NOT_APPLICABLE: "The input the check needs was not given (e.g. no git history), or nothing is in scope.",
    Status.ERROR: "A check could not decide (e.g. unmodelled policy kinds, or parameters that do not fit the scope); "
                  "never read as a pass.",
}
ENVIRONMENT_LOCK = threading.Lock()


BREAK_POINTS = re.compile(r"(?<=[/,;=])|(?=\[)")


def breakable(value: Any) -> Markup:
    """Text escaped, with line-break opportunities (zero-width spaces) after `/ , ; =` and before `[`.

    Long identifiers (`ns/workload[Kind]`, address ranges) then wrap at their natural joints instead of
    letting table cells break anywhere, which is both uglier and far slower to lay out. A U+200B is what
    WeasyPrint shows for `<wbr>`, without the box `<wbr>` costs it for each break.
    """
    from markupsafe import Markup, escape

    pieces = BREAK_POINTS.split("" if value is None else str(value))
    return Markup("\u200b").join(escape(piece) for piece in pieces if piece)


def shown(value: Any) -> Any:
    """A value as the template prints it: text (also markup) `visible`, newlines kept (HTML whitespace)."""
    from markupsafe import Markup

    if not isinstance(value, str):
        return value
    text = visible(value, lines=True)
    return Markup(text) if isinstance(value, Markup) else text


def template_environment() -> jinja2.Environment:
    """The jinja2 environment of the report templates: autoescape on, every value `shown`, undefined names are
    errors."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(resource_dir("report_templates"))),
                                     autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True, keep_trailing_newline=True, finalize=shown)
    environment.filters.update(breakable=breakable, counted=counted, agreeing=agreeing)
    return environment


def time_text(text: str) -> str:
    """`2026-09-30 12:00:00 UTC` from RFC 3339; the text itself when it is not a time."""
    try:
        return parse_utc(text).strftime("%Y-%m-%d %H:%M:%S UTC")
    except InvalidValue:
        return text


def anchor(*parts: str) -> str:
    """An HTML id made of the parts (`control-pci-dss-4-0-1-1-3-1`)."""
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")


def cell(value: Any) -> str:
    """A table cell as text."""
    return "" if value is None else str(value)


def source_text(source: Mapping[str, Any]) -> str:
    """Where the cluster state came from, in one line."""
    if not source:
        return "not recorded"
    return "; ".join(f"{key}: {', '.join(map(str, value)) if isinstance(value, (list, tuple)) else value}"
                     for key, value in sorted(source.items()))


def assumption_rows(assumptions: Mapping[str, Any]) -> list[dict[str, str]]:
    """The analysis assumptions as name/value rows, in words (`assumption_text`)."""
    return [{"name": str(name), "value": assumption_text(value)} for name, value in assumptions.items()]


def status_counts(data: ReportInput, framework: str) -> list[dict[str, Any]]:
    """The number of controls per status of one framework, in summary order."""
    counts = data.assessment.counts(framework)
    return [{"status": status, "label": status.label, "count": counts.get(status, 0)}
            for status in SUMMARY_STATUSES]


def zone_rows(data: ReportInput, workloads: Table, flows: ZoneFlows) -> list[dict[str, Any]]:
    """Each zone with how it is selected and what it holds."""
    scope = data.system.scope
    members: dict[str, list[int]] = {}
    for record in workloads.records():
        members.setdefault(record["zone"], []).append(record["pods"])
    found = []
    for name in flows.zones:
        zone = scope.zone(name)
        if zone is None and name == scope.default_zone:
            selects = ["every workload no zone above matches (default zone)"]
            kind, description = "workloads", "Default zone"
        elif zone is None:
            selects = ["addresses in no declared zone"]
            kind, description = "addresses", "Addresses outside every zone of the scope"
        elif zone.external:
            selects = [f"CIDR {block.describe()}" for block in zone.cidrs]
            kind, description = "addresses", zone.description
        else:
            selects = []
            if zone.namespace_selector is not None:
                selects.append(f"namespaces {zone.namespace_selector.describe()}")
            if zone.pod_selector is not None:
                selects.append(f"pods {zone.pod_selector.describe()}")
            kind, description = "workloads", zone.description
        pods = members.get(name, [])
        found.append({"name": name, "kind": kind, "description": description, "selects": selects,
                      "workloads": len(pods) if kind == "workloads" else "", "pods": sum(pods) if kind == "workloads"
                      else "", "cde": name in flows.cde})
    return found


def evidence_paths(data: ReportInput) -> dict[tuple[str, str, str], str]:
    """The CSV path of each (check, params, evidence table name)."""
    return {(e.result.check, params_text(e.result.params), e.table.name): e.path
            for e in evidence_files(data.assessment)}


def compact_columns(columns: Sequence[str], rows: Sequence[Sequence[Any]]
                    ) -> tuple[list[str], list[list[dict[str, str]]]]:
    """Columns and cells for a narrow PDF table: a column `x_zone` next to `x` is shown under it, in small type."""
    merged = {index: columns.index(name[:-5]) for index, name in enumerate(columns)
              if name.endswith("_zone") and name[:-5] in columns}
    shown = [index for index in range(len(columns)) if index not in merged]
    under = {target: index for index, target in merged.items()}
    names = [f"{columns[i]} ({columns[under[i]]})" if i in under else columns[i] for i in shown]
    cells = [[{"text": cell(row[i]), "sub": cell(row[under[i]]) if i in under else ""} for i in shown]
             for row in rows]
    return names, cells


def check_view(result: CheckResult, original: CheckResult, paths: Mapping[tuple[str, str, str], str],
               findings: Sequence[tuple[str, str, Finding, ScopeException | None]]) -> dict[str, Any]:
    """One check of a control: status, summary, findings (open and excepted) and evidence excerpts."""
    params = params_text(result.params)
    own = [(finding, exception) for check, p, finding, exception in findings if check == result.check and p == params]
    evidence = []
    for table in original.evidence:
        path = paths.get((result.check, params, table.name), "")
        columns, rows = compact_columns(table.columns, table.rows[:EVIDENCE_EXCERPT_ROWS])
        evidence.append({"title": table.title, "path": path, "columns": columns, "rows": rows,
                         "total": len(table.rows), "more": max(0, len(table.rows) - EVIDENCE_EXCERPT_ROWS)})
    spec = CHECKS.get(result.check)
    shown = own[:DETAIL_FINDINGS]
    return {
        "check": result.check, "title": spec.title if spec else result.check,
        "params": ", ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
                            for k, v in sorted(result.params.items())),
        "status": result.status, "status_label": result.status.label,
        "summary": result.summary,
        "findings": [{"object": f.object, "message": f.message, "severity": f.severity,
                      "excepted": exception is not None,
                      "exception": f"{exception.approver}, until {exception.expires or 'no expiry'}"
                      if exception is not None else ""} for f, exception in shown],
        "findings_total": len(own), "findings_more": max(0, len(own) - len(shown)),
        "evidence": evidence,
    }


def control_view(result: ControlResult, originals: Mapping[tuple[str, str], CheckResult],
                 paths: Mapping[tuple[str, str, str], str]) -> dict[str, Any]:
    """One control with its checks, for the control table and the detail pages."""
    control = result.control
    findings = control_findings(result, originals)
    checks = [check_view(r, originals.get((r.check, params_text(r.params)), r), paths, findings)
              for r in result.results]
    return {
        "framework": result.framework, "id": control.id, "title": control.title, "severity": control.severity,
        "objective": control.objective, "testing": control.testing, "status": result.status,
        "status_label": result.status.label, "summary": result.summary,
        "anchor": anchor("control", result.framework, control.id), "checks": checks,
        "manual_reason": control.manual_reason, "manual_requests": list(control.manual_requests),
        "open_findings": sum(1 for f in findings if f[3] is None),
        "excepted_findings": sum(1 for f in findings if f[3] is not None),
    }


def approved_flow_rows(flows: ZoneFlows) -> list[dict[str, Any]]:
    """Each approved flow with its use."""
    return [{"number": use.number, "source": use.flow.source.describe(),
             "destination": use.flow.destination.describe(), "ports": use.flow.ports.describe(),
             "justification": use.flow.justification, "approver": use.flow.approver, "ticket": use.flow.ticket,
             "connections": use.connections, "used": use.used} for use in flows.flow_uses]


def unapproved_excerpt(flows: ZoneFlows) -> dict[str, Any]:
    """Cross-zone connections with ports no approved flow covers, those into the CDE first."""
    found = flows.unapproved
    rows = [{"source": c.source, "source_zone": c.source_zone, "destination": c.destination,
             "destination_zone": c.destination_zone, "unapproved": c.unapproved.describe(),
             "approved": c.approved.describe() if c.approved else "", "into_cde": c.destination_zone in flows.cde}
            for c in found[:PDF_TABLE_ROWS]]
    return {"rows": rows, "total": len(found), "more": max(0, len(found) - PDF_TABLE_ROWS),
            "path": "data/reachability.csv"}


def change_view(data: ReportInput, tables: Mapping[str, Table]) -> dict[str, Any]:
    """The change provenance section: counts and the first changes of the period."""
    table = tables["data/changes.csv"]
    rows = [{"date": r["authored_at"][:10], "time": r["authored_at"], "commit": r["commit"][:10],
             "author": r["author"], "object": r["object"], "change": r["change"], "path": r["path"],
             "approval": r["approval"], "approved": r["approved"] == "yes", "opened": r["opened"],
             "closed": r["closed"]} for r in table.records(PDF_TABLE_ROWS)]
    changes = data.changes
    return {"given": data.git_given, "source": data.git_source or "", "rows": rows, "total": len(changes),
            "more": max(0, len(changes) - PDF_TABLE_ROWS), "path": table.path,
            "approved": sum(1 for c in changes if c.approved), "unapproved": sum(1 for c in changes if not c.approved),
            "reachability": sum(1 for c in changes if c.changed_reachability),
            "commits": len({c.commit for c in changes})}


def drift_view(data: ReportInput, tables: Mapping[str, Table]) -> dict[str, Any]:
    """The drift section: counts per state and the first differing policies."""
    table = tables["data/drift.csv"]
    drift = data.drift
    states = {state: sum(1 for d in drift if d.state == state) for state in ("unmanaged", "not_applied",
                                                                                  "different")}
    return {"given": data.git_given, "source": data.git_source or "", "rows": table.records(PDF_TABLE_ROWS),
            "total": len(drift), "more": max(0, len(drift) - PDF_TABLE_ROWS), "path": table.path,
            "states": states, "semantic": sum(1 for d in drift if d.semantic)}


def sections(frameworks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's sections in order, numbered, for the headings and the table of contents."""
    names = [("summary", "Executive summary"), ("scope", "Scope, zones and assumptions"),
             ("policies", "Policies and tiers"), ("matrix", "Zone reachability"), ("controls", "Controls")]
    names += [(f"details-{f['anchor']}", f"Control details: {f['title']}") for f in frameworks]
    names += [("flows", "Approved and actual flows"), ("exceptions", "Exceptions"),
              ("changes", "Change provenance"), ("drift", "Drift between git and the cluster")]
    found = [{"id": key, "number": str(index), "title": title} for index, (key, title) in enumerate(names, start=1)]
    found.append({"id": "appendix", "number": "A", "title": "Appendix: files, verification and re-performance"})
    return found


def report_context(data: ReportInput, flows: ZoneFlows | None = None,
                   tables: Mapping[str, Table] | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values."""
    flows = flows or zone_flows(data.system)
    tables = tables or report_tables(data, flows)
    system, scope, snapshot = data.system, data.system.scope, data.system.snapshot
    workloads = tables["data/workloads.csv"]
    records = workloads.records()
    host_network = [r["workload"] for r in records if r["host_network"] != "no"]
    cde_records = [r for r in records if r["zone"] in flows.cde]
    unisolated = [r["workload"] for r in cde_records if r["ingress_isolated"] != "yes"]
    originals = original_results(data.assessment)
    paths = evidence_paths(data)
    ordered = control_order(data.assessment)
    frameworks = []
    for framework in data.assessment.frameworks:
        controls = [control_view(r, originals, paths) for r in ordered if r.framework == framework.id]
        attention = [c for c in controls if c["status"] in ("fail", "error", "warning")]
        frameworks.append({"id": framework.id, "title": framework.title, "name": framework.name,
                           "version": framework.version, "publisher": framework.publisher, "note": framework.note,
                           "anchor": anchor(framework.id), "counts": status_counts(data, framework.id),
                           "total": len(controls), "controls": controls, "attention": attention})
    unmodelled = data.assumptions.get("unmodelled_policies") or {}
    cde_workloads = {"rows": cde_records[:PDF_TABLE_ROWS], "more": max(0, len(cde_records) - PDF_TABLE_ROWS),
                     "path": workloads.path}
    exception_table = tables["data/exceptions.csv"]
    return {
        "title": f"Network segmentation evidence: {scope.organization}, {scope.system}",
        "organization": scope.organization, "system": scope.system,
        "period": {"start": scope.period_start.isoformat(), "end": scope.period_end.isoformat()},
        "created_at": data.created_at, "created_text": time_text(data.created_at),
        "tool_version": data.tool_version, "pack_id": data.pack_id,
        "signer": data.signer or "", "signed": data.signer is not None,
        "source": source_text(snapshot.source), "collected_at": time_text(snapshot.collected_at),
        "complete": data.complete,
        "unmodelled": describe_unmodelled(unmodelled),
        "frameworks": frameworks, "sections": sections(frameworks),
        "statuses": [{"status": s, "label": s.label, "meaning": STATUS_MEANINGS[s]} for s in STATUS_ORDER],
        "summary_statuses": [{"status": s, "label": s.label} for s in SUMMARY_STATUSES],
        "verdicts": [{"tone": v.tone, "text": v.text, "detail": v.detail}
                     for v in verdicts(flows, host_network, unisolated, data.complete)],
        "counts": {"namespaces": len(system.namespace_labels), "pods": len(snapshot.pods),
                   "workloads": len(records), "policies": len(snapshot.policies),
                   "cluster_policies": len(snapshot.cluster_policies), "cilium_policies": len(snapshot.cilium_policies),
                   "connections": len(flows.connections), "cross_zone": len(flows.cross_zone),
                   "unapproved": len(flows.unapproved)},
        "default_zone": scope.default_zone, "approved_flow_count": len(scope.approved_flows),
        "exception_count": len(scope.exceptions), "cde_zones": list(flows.cde),
        "zones": zone_rows(data, workloads, flows), "cde_workloads": cde_workloads,
        "assumptions": assumption_rows(data.assumptions),
        "policies": policy_section(system, flows, tables, PDF_TABLE_ROWS),
        "warnings": list(snapshot.warnings[:PDF_TABLE_ROWS]), "warnings_more": max(0, len(snapshot.warnings)
                                                                                   - PDF_TABLE_ROWS),
        "change_approval": scope.change_approval,
        "chart": "data:image/svg+xml;base64," + base64.b64encode(zone_matrix_svg(flows).encode()).decode("ascii"),
        "zone_pairs": [{"source": p.source, "destination": p.destination, "ports": p.ports.describe(),
                        "unapproved": p.unapproved.describe() if p.unapproved else "", "connections": p.connections,
                        "unapproved_connections": p.unapproved_connections, "into_cde": p.into_cde}
                       for p in flows.pairs if p.path and not p.same_zone],
        "approved_flows": approved_flow_rows(flows),
        "unused_flows": sum(1 for use in flows.flow_uses if not use.used),
        "unapproved": unapproved_excerpt(flows),
        "exceptions": exception_table.records(PDF_TABLE_ROWS),
        "exceptions_more": max(0, len(exception_table.rows) - PDF_TABLE_ROWS),
        "exception_states": {state: sum(1 for u in data.assessment.exceptions if u.state == state)
                             for state in ("applied", "unused", "expired")},
        "changes": change_view(data, tables), "drift": drift_view(data, tables),
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size}
                  for f in sorted(data.files, key=lambda f: f.path)],
        "csv_files": sorted(tables),
        "table_rows": PDF_TABLE_ROWS,
    }


def render_html(data: ReportInput, flows: ZoneFlows | None = None,
                tables: Mapping[str, Table] | None = None) -> str:
    """The report as one self-contained HTML document (CSS inlined, chart as SVG data)."""
    return render_context(report_context(data, flows, tables))


def render_context(context: Mapping[str, Any]) -> str:
    """The report template rendered with a prepared context (undefined names raise)."""
    return template_environment().get_template(TEMPLATE).render(**context)


@contextmanager
def source_date_epoch(moment: datetime.datetime) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set for the block, so fontTools dates the embedded font subsets deterministically."""
    with ENVIRONMENT_LOCK:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous


def compress_attachments(document: weasyprint.Document, pdf: pydyf.PDF) -> None:
    """WeasyPrint's finisher: the embedded files deflated here at `ATTACHMENT_COMPRESSION`, the rest left to
    pydyf."""
    import pydyf

    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.compress and item.extra.get("Type") == "/EmbeddedFile":
            item.stream = [zlib.compress(b"\n".join(item.stream), ATTACHMENT_COMPRESSION)]
            item.extra["Filter"] = "/FlateDecode"
            item.compress = False


def render_pdf(data: ReportInput, attachments: Mapping[str, bytes], flows: ZoneFlows | None = None,
               tables: Mapping[str, Table] | None = None) -> bytes:
    """The report as a PDF/A-3b with `attachments` (relative path -> bytes) embedded as Data; deterministic.

    `flows` and `tables` are the report's zone flows and CSV tables when the caller already built them.
    """
    import weasyprint

    moment = parse_utc(data.created_at)
    fixed = moment.replace(tzinfo=None)
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    files = [weasyprint.Attachment(string=content, name=path, description=path, created=fixed, modified=fixed,
                                   relationship="Data", url_fetcher=fetcher)
             for path, content in sorted(attachments.items())]
    html = weasyprint.HTML(string=render_html(data, flows, tables), url_fetcher=fetcher)
    with source_date_epoch(moment):
        return html.write_pdf(pdf_variant="pdf/a-3b", attachments=files, uncompressed_pdf=False,
                              finisher=compress_attachments)
