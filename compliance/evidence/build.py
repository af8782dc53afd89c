"""Assembling an evidence pack: the report's CSVs, the exact inputs, the PDF that shows them, then the manifest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from compliance import __version__
from compliance.checks.context import CheckContext
from compliance.controls import Assessment
from compliance.evidence.keys import Signer
from compliance.evidence.manifest import REPORT_PDF, SCOPE_FILE, SNAPSHOT_FILE, build_manifest, file_entry, sha256_hex
from compliance.model.snapshot import snapshot_document
from compliance.report.formats import json_text
from compliance.report.inputs import ChangeRow, DriftRow, ReportInput


@dataclass(frozen=True)
class PackRequest:
    """Everything a pack is made from besides the analysis: the scope text, the clock, signer and git rows."""

    scope_text: str
    created_at: str
    frameworks: tuple[str, ...]
    signer: Signer | None = None
    changes: tuple[ChangeRow, ...] = ()
    drift: tuple[DriftRow, ...] = ()
    git_source: str | None = None
    timestamp_url: str | None = None


def pack_inputs(context: CheckContext, request: PackRequest) -> dict[str, Any]:
    """The identity of the inputs, recorded in the manifest: snapshot source and time, scope hash, frameworks,
    and the analysis options that re-performance must use again."""
    snapshot = context.snapshot
    inputs: dict[str, Any] = {
        "snapshot": {"source": dict(snapshot.source), "collected_at": snapshot.collected_at},
        "scope_sha256": sha256_hex(request.scope_text.encode("utf-8")),
        "frameworks": list(request.frameworks),
        "assumptions": {**asdict(context.options), "complete": not snapshot.unmodelled},
    }
    if context.history is not None:
        history = context.history
        inputs["git"] = {"repository": history.repository, "commit": history.commit, "paths": list(history.paths)}
    return inputs


def pack_contents(context: CheckContext, assessment: Assessment, request: PackRequest,
                  inputs: Mapping[str, Any]) -> dict[str, bytes]:
    """Every file of the pack: data/*.csv, snapshot.json, scope.yaml, and report.pdf rendered last.

    The PDF shows the pack id (from the files and the manifest's `inputs`) and the hashes of the other files,
    all known before it is rendered.
    """
    from compliance.report.document import render_pdf
    from compliance.report.tables import csv_files, report_tables
    from compliance.report.zone_flows import zone_flows

    data = ReportInput(
        assessment=assessment, context=context,
        assumptions=context.options.assumptions(context.snapshot.unmodelled),
        pack_id="", created_at=request.created_at, tool_version=__version__,
        signer=request.signer.certificate.subject.rfc4514_string() if request.signer else None,
        changes=request.changes, drift=request.drift, git_source=request.git_source,
    )
    flows = zone_flows(context)
    tables = report_tables(data, flows)
    files = {**csv_files(tables),
             SNAPSHOT_FILE: json_text(snapshot_document(context.snapshot), flat_below=3).encode("utf-8"),
             SCOPE_FILE: request.scope_text.encode("utf-8")}
    entries = tuple(file_entry(path, content) for path, content in sorted(files.items()))
    pack_id = build_manifest(entries, request.created_at, inputs, None).pack_id
    attachments = {path: files[path] for path in tables}
    files[REPORT_PDF] = render_pdf(replace(data, pack_id=pack_id, files=entries), attachments, flows, tables)
    return files


def publish(context: CheckContext, assessment: Assessment, request: PackRequest, root: str | Path,
            keep: int | None = None, make_zip: bool = False) -> Any:
    """Write one pack into the ledger under `root`, chained to the previous one, applying retention; its manifest
    signature is timestamped when the request names a timestamping authority."""
    from compliance.evidence.ledger import publish_pack
    from compliance.evidence.timestamps import request_timestamp

    inputs = pack_inputs(context, request)
    url = request.timestamp_url
    return publish_pack(root, pack_contents(context, assessment, request, inputs), created_at=request.created_at,
                        inputs=inputs, signer=request.signer, keep=keep, make_zip=make_zip,
                        timestamper=(lambda data: request_timestamp(url, data)) if url else None)


def git_rows(context: CheckContext) -> tuple[tuple[ChangeRow, ...], tuple[DriftRow, ...], str | None]:
    """The report's rows for the policy changes of the period and the drift, and where they come from."""
    history, drift = context.history, context.drift
    if history is None:
        return (), (), None
    changes = tuple(ChangeRow(c.commit.sha, c.commit.author, c.commit.authored_at, c.object or c.path, c.change,
                              c.path, "; ".join(c.approval.evidence) or c.approval.reason, c.approval.approved,
                              len(c.opened or ()), len(c.closed or ())) for c in history.changes)
    drifted = tuple(DriftRow(item.object, item.status, item.semantic, item.explanation)
                    for item in (drift.items if drift else ()))
    return changes, drifted, f"{history.repository}@{history.commit[:12]}"
