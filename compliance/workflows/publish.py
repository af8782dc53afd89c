"""Publishing an evidence pack: assess, render the report's CSVs and PDF from the result, and write them with the
exact inputs into the ledger under an output root, chained to the previous pack, signed and timestamped."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from compliance import __version__
from compliance.analysis.system import AssessedSystem
from compliance.controls import Assessment, Framework
from compliance.errors import UsageError
from compliance.evidence.keys import Signer, load_signer
from compliance.evidence.ledger import check_in_time_order, publish_pack, read_ledger
from compliance.evidence.manifest import REPORT_PDF, SCOPE_FILE, SNAPSHOT_FILE, build_manifest, file_entry, sha256_hex
from compliance.evidence.pack import WrittenPack
from compliance.evidence.timestamps import request_timestamp
from compliance.model.snapshot import Snapshot, snapshot_document
from compliance.netpol.options import AnalysisOptions
from compliance.report.document import render_pdf
from compliance.report.formats import json_bytes
from compliance.report.inputs import ChangeRow, DriftRow, ReportInput
from compliance.report.tables import Table, csv_files, report_tables
from compliance.report.zone_flows import ZoneFlows, zone_flows
from compliance.scope import Scope, parse_scope
from compliance.sources.git.source import GitSource
from compliance.times import current_utc
from compliance.workflows.assess import Evaluation, assess
from compliance.workflows.inputs import (
    QUIET,
    Feedback,
    StateSource,
    chosen_frameworks,
    load_state,
    run_date,
    scope_text,
)

# Renders the report PDF from its input, the CSVs it attaches, the zone flows and the tables.
Renderer = Callable[[ReportInput, Mapping[str, bytes], ZoneFlows, Mapping[str, Table]], bytes]


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


@dataclass(frozen=True)
class Signing:
    """How packs are signed: by `signer` (None: unsigned), timestamped by the authority at `timestamp_url`."""

    signer: Signer | None = None
    timestamp_url: str | None = None


UNSIGNED = Signing()


def load_signing(key: str | None, certificate: str | None, timestamp_url: str | None = None) -> Signing:
    """The signer from a key and its certificate (both or neither), checked against the real clock
    (SEGPROOF_KEY_PASSWORD decrypts the key), with the timestamping authority that dates its signatures."""
    if not key and not certificate:
        if timestamp_url:
            raise UsageError("--tsa timestamps the signature, so it needs --sign-key and --sign-cert")
        return UNSIGNED
    if not key or not certificate:
        raise UsageError("--sign-key and --sign-cert go together", hint="create them with segproof keys create")
    return Signing(load_signer(key, certificate, current_utc(), password=os.environb.get(b"SEGPROOF_KEY_PASSWORD")),
                   timestamp_url)


@dataclass(frozen=True)
class Published:
    """A pack in its ledger, the results it holds, and who signed it."""

    pack: WrittenPack
    evaluation: Evaluation
    signer: Signer | None

    @property
    def assessment(self) -> Assessment:
        """The controls' results the pack holds."""
        return self.evaluation.assessment


def pack_inputs(system: AssessedSystem, request: PackRequest) -> dict[str, Any]:
    """The identity of the inputs, recorded in the manifest: snapshot source and time, scope hash, frameworks,
    and the analysis options that re-performance must use again."""
    snapshot = system.snapshot
    inputs: dict[str, Any] = {
        "snapshot": {"source": dict(snapshot.source), "collected_at": snapshot.collected_at},
        "scope_sha256": sha256_hex(request.scope_text.encode("utf-8")),
        "frameworks": list(request.frameworks),
        "assumptions": {**system.options.recorded(snapshot), "complete": not snapshot.unmodelled},
    }
    if system.history is not None:
        history = system.history.history
        inputs["git"] = {"repository": history.repository, "commit": history.commit, "paths": list(history.paths)}
    return inputs


def pack_contents(system: AssessedSystem, assessment: Assessment, request: PackRequest, inputs: Mapping[str, Any],
                  render: Renderer = render_pdf) -> dict[str, bytes]:
    """Every file of the pack: data/*.csv, snapshot.json, scope.yaml, and report.pdf rendered last by `render`.

    The PDF shows the pack id (from the files and the manifest's `inputs`) and the hashes of the other files,
    all known before it is rendered.
    """
    data = ReportInput(
        assessment=assessment, system=system,
        assumptions=system.options.of(system.snapshot),
        pack_id="", created_at=request.created_at, tool_version=__version__,
        signer=request.signer.certificate.subject.rfc4514_string() if request.signer else None,
        changes=request.changes, drift=request.drift, git_source=request.git_source,
    )
    flows = zone_flows(system)
    tables = report_tables(data, flows)
    files = {**csv_files(tables),
             SNAPSHOT_FILE: json_bytes(snapshot_document(system.snapshot, lazy=True), flat_below=3),
             SCOPE_FILE: request.scope_text.encode("utf-8")}
    entries = tuple(file_entry(path, content) for path, content in sorted(files.items()))
    pack_id = build_manifest(entries, request.created_at, inputs, None).pack_id
    attachments = {path: files[path] for path in tables}
    files[REPORT_PDF] = render(replace(data, pack_id=pack_id, files=entries), attachments, flows, tables)
    return files


def return_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's `malloc_trim`; elsewhere nothing).

    Parsing 150,000 pods leaves about 550 MB of freed but resident heap, and the pack's files (~170 MB, mapped
    afresh) would come on top of it: trimmed first, the pack's peak stays below the load's.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def publish(system: AssessedSystem, assessment: Assessment, request: PackRequest, root: str | Path,
            keep: int | None = None, make_zip: bool = False, render: Renderer = render_pdf,
            feedback: Feedback = QUIET) -> WrittenPack:
    """Write one pack into the ledger under `root`, chained to the previous one, applying retention; its manifest
    signature is timestamped when the request names a timestamping authority."""
    inputs = pack_inputs(system, request)
    url = request.timestamp_url
    with feedback.stage("rendering the report"):
        return_free_memory()
        files = pack_contents(system, assessment, request, inputs, render)
    with feedback.stage("signing and writing the pack" if request.signer else "writing the pack"):
        return publish_pack(root, files, created_at=request.created_at, inputs=inputs, signer=request.signer,
                            keep=keep, make_zip=make_zip,
                            timestamper=(lambda data: request_timestamp(url, data)) if url else None)


def git_rows(system: AssessedSystem) -> tuple[tuple[ChangeRow, ...], tuple[DriftRow, ...], str | None]:
    """The report's rows for the policy changes of the period and the drift, and where they come from."""
    assessed, drift = system.history, system.drift
    if assessed is None:
        return (), (), None
    changes = tuple(ChangeRow(e.change.commit.sha, e.change.commit.author, e.change.commit.authored_at,
                              e.change.object or e.change.path, e.change.change, e.change.path,
                              "; ".join(e.approval.evidence) or e.approval.reason, e.approval.approved,
                              len(e.opened or ()), len(e.closed or ())) for e in assessed.changes)
    drifted = tuple(DriftRow(item.object, item.status.key, item.semantic, item.explanation)
                    for item in (drift.items if drift else ()))
    history = assessed.history
    return changes, drifted, f"{history.repository}@{history.commit[:12]}"


def assess_and_publish(snapshot: Snapshot, scope: Scope, scope_source: str, options: AnalysisOptions,
                       frameworks: Sequence[Framework], now: str, out: str | Path, git: GitSource | None = None,
                       signing: Signing = UNSIGNED, feedback: Feedback = QUIET, make_zip: bool = False,
                       keep: int | None = None, render: Renderer = render_pdf) -> Published:
    """Assess with the ledger's earlier packs, then write the pack into the ledger at `out`, chained, signed and
    timestamped as `signing` says, and with retention (`keep` packs)."""
    previous = tuple(entry.created_at for entry in read_ledger(out))
    with feedback.stage("evaluating the controls"):
        evaluation = assess(snapshot, scope, options, frameworks, now, git, feedback.progress, previous)
    request = PackRequest(scope_source, now, tuple(f.id for f in evaluation.assessment.frameworks), signing.signer,
                          *git_rows(evaluation.system), timestamp_url=signing.timestamp_url)
    written = publish(evaluation.system, evaluation.assessment, request, out, keep=keep, make_zip=make_zip,
                      render=render, feedback=feedback)
    return Published(written, evaluation, signing.signer)


def publish_assessment(source: StateSource, scope_file: str, frameworks: Sequence[str], options: AnalysisOptions,
                       now: str, out: str, signing: Signing = UNSIGNED, git: GitSource | None = None,
                       make_zip: bool = False, keep: int | None = None, feedback: Feedback = QUIET,
                       render: Renderer = render_pdf) -> Published:
    """`segproof pack`: assess the cluster state and write the pack into the ledger at `out`; a time not after the
    ledger's newest pack is refused before the cluster state is read."""
    check_in_time_order(Path(out), read_ledger(out), now)
    snapshot = load_state(source, now, feedback)
    text = scope_text(scope_file)
    return assess_and_publish(snapshot, parse_scope(text, scope_file, run_date(now)), text, options,
                              chosen_frameworks(frameworks), now, out, git, signing, feedback, make_zip, keep, render)
