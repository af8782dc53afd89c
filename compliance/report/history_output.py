"""Git provenance as output: history of changes (table, JSON `segproof.history/v1`, CSV), provenance of the
current policies (table, JSON `segproof.provenance/v1`, CSV) and drift (text, JSON `segproof.drift/v1`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compliance.analysis.drift import Drift, DriftItem, DriftState
from compliance.analysis.history_effects import AssessedHistory, ChangeEffects, Provenance
from compliance.model.history import Commit, History, signature_description
from compliance.netpol.connections import Connection
from compliance.report.connections_output import connections_list
from compliance.report.formats import csv_text, json_text, text_table, visible
from compliance.wording import agreeing, counted

HISTORY_FORMAT = "segproof.history/v1"
PROVENANCE_FORMAT = "segproof.provenance/v1"
DRIFT_FORMAT = "segproof.drift/v1"
HISTORY_CSV_HEADER = ("commit", "committed_at", "author", "authored_at", "committer", "subject", "object", "change",
                      "path", "previous_path", "signature", "signer", "approved", "approval_evidence",
                      "approval_reason", "opened", "closed", "opened_zones", "closed_zones", "error")
PROVENANCE_CSV_HEADER = ("object", "path", "commit", "committed_at", "author", "committer", "subject", "change",
                         "signature", "approved", "approval_evidence", "approval_reason")


def connections_cell(found: Sequence[Connection] | None) -> str:
    """Connections in one CSV cell: `src -> dst ports` joined by ` | `; empty when not computed."""
    return " | ".join(f"{c.source} -> {c.destination} {c.ports.describe()}" for c in found or ())


def signature_json(commit: Commit) -> dict[str, str]:
    """The %G? status, its meaning and the signer."""
    return {"status": commit.signature, "description": signature_description(commit.signature),
            "signer": commit.signer}


def history_git(history: History) -> dict[str, Any]:
    """What was read: repository, revision, commit, paths and the date range."""
    return {"repository": history.repository, "rev": history.rev, "commit": history.commit,
            "paths": list(history.paths), "since": history.since, "until": history.until}


def change_json(effects: ChangeEffects) -> dict[str, Any]:
    """One change in the `segproof.history/v1` contract."""
    change = effects.change
    commit = change.commit
    return {
        "commit": commit.sha,
        "author": commit.author,
        "authored_at": commit.authored_at,
        "committer": commit.committer,
        "committed_at": commit.committed_at,
        "subject": commit.subject,
        "object": change.object or None,
        "change": change.change,
        "path": change.path,
        "previous_path": change.previous_path or None,
        "signature": signature_json(commit),
        "approval": {"evidence": list(effects.approval.evidence), "reason": effects.approval.reason},
        "approved": effects.approval.approved,
        "opened": connections_list(effects.opened),
        "closed": connections_list(effects.closed),
        "opened_zones": connections_list(effects.zones_opened),
        "closed_zones": connections_list(effects.zones_closed),
        "error": change.error or None,
    }


def history_json(assessed: AssessedHistory) -> str:
    """The history as JSON (`segproof.history/v1`), one connection per line; opened/closed are null when no
    topology was given."""
    return json_text({
        "format": HISTORY_FORMAT,
        "git": history_git(assessed.history),
        "level": assessed.level or None,
        "assumptions": None if assessed.assumptions is None else dict(assessed.assumptions),
        "warnings": list(assessed.history.warnings),
        "changes": [change_json(effects) for effects in assessed.changes],
    }, flat_below=4)


def history_csv(assessed: AssessedHistory) -> str:
    """One row per change; connections are joined in one cell each."""
    return csv_text(HISTORY_CSV_HEADER, (
        (c.commit.sha, c.commit.committed_at, c.commit.author, c.commit.authored_at, c.commit.committer,
         c.commit.subject, c.object, c.change, c.path, c.previous_path, c.commit.signature, c.commit.signer,
         "yes" if e.approval.approved else "no", "; ".join(e.approval.evidence), e.approval.reason,
         connections_cell(e.opened), connections_cell(e.closed), connections_cell(e.zones_opened),
         connections_cell(e.zones_closed), c.error)
        for e in assessed.changes for c in (e.change,)))


def count(found: Sequence[Connection] | None) -> str:
    """The number of connections, or `-` when not computed."""
    return "-" if found is None else str(len(found))


def connection_lines(label: str, found: Sequence[Connection] | None) -> list[str]:
    """`    LABEL src -> dst  ports` lines."""
    return [f"    {label} {c.source} -> {c.destination}  {c.ports.describe()}" for c in found or ()]


def history_table(assessed: AssessedHistory) -> str:
    """A table of changes, then the connections each opened or closed, unapproved commits, errors and warnings."""
    history = assessed.history
    rows = [(c.commit.committed_at, c.commit.sha[:10], c.commit.author_name, c.change, c.object or "(unreadable)",
             c.commit.signature, "yes" if e.approval.approved else "NO", count(e.opened), count(e.closed))
            for e in assessed.changes for c in (e.change,)]
    lines = [text_table(("COMMITTED", "COMMIT", "AUTHOR", "CHANGE", "OBJECT", "SIG", "APPROVED", "OPENED", "CLOSED"),
                        rows).rstrip("\n"),
             f"\n{counted(len(history.changes), 'change')} on {history.rev} ({history.commit[:12]})"
             + (f" under {', '.join(history.paths)}" if history.paths else "")
             + (f" from {history.since}" if history.since else "") + (f" to {history.until}" if history.until else "")
             + "."]
    moved = [e for e in assessed.changes if e.opened or e.closed or e.zones_opened or e.zones_closed]
    if moved:
        lines.append("\nConnections opened (+) and closed (-):")
        for e in moved:
            c = e.change
            lines.append(f"  {c.commit.sha[:10]} {c.object} ({c.change}, {c.commit.author_name}, "
                         f"{c.commit.committed_at}): {c.commit.subject}")
            lines += connection_lines("+", e.opened) + connection_lines("-", e.closed)
            lines += connection_lines("+ zones", e.zones_opened) + connection_lines("- zones", e.zones_closed)
    unapproved = {e.change.commit.sha: e for e in assessed.changes if not e.approval.approved}
    if unapproved:
        lines.append("\nNot approved:")
        lines += [f"  {e.change.commit.sha[:10]} {e.change.commit.author_name}: {e.change.commit.subject}: "
                  f"{e.approval.reason}" for e in unapproved.values()]
    errors = [c for c in history.changes if c.error]
    if errors:
        lines.append("\nUnreadable manifests (their last readable content stands in):")
        lines += [f"  {c.commit.sha[:10]} {c.error}" for c in errors]
    lines += [f"warning: {warning}" for warning in history.warnings]
    return visible("\n".join(lines) + "\n", lines=True)


def provenance_record(record: Provenance) -> dict[str, Any]:
    """One object and the change that last set it."""
    found: dict[str, Any] = {"object": record.current.display, "path": record.current.path}
    if record.change is None:
        return {**found, "commit": None, "author": None, "authored_at": None, "committer": None,
                "committed_at": None, "subject": None, "change": None, "signature": None, "approval": None,
                "approved": None}
    change, approval = record.change.change, record.change.approval
    return {**found, "commit": change.commit.sha, "author": change.commit.author,
            "authored_at": change.commit.authored_at, "committer": change.commit.committer,
            "committed_at": change.commit.committed_at, "subject": change.commit.subject, "change": change.change,
            "signature": signature_json(change.commit),
            "approval": {"evidence": list(approval.evidence), "reason": approval.reason},
            "approved": approval.approved}


def provenance_json(history: History, records: Sequence[Provenance]) -> str:
    """Provenance as JSON (`segproof.provenance/v1`); null fields when no change in the history set the object."""
    return json_text({"format": PROVENANCE_FORMAT, "git": history_git(history),
                      "objects": [provenance_record(record) for record in records]}, flat_below=4)


def provenance_row(record: Provenance) -> tuple[str, ...]:
    """One CSV row: the object, then its last change (empty when none was read)."""
    if record.change is None:
        return record.current.display, record.current.path, *("",) * 10
    change, approval = record.change.change, record.change.approval
    return (record.current.display, record.current.path, change.commit.sha, change.commit.committed_at,
            change.commit.author, change.commit.committer, change.commit.subject, change.change,
            change.commit.signature, "yes" if approval.approved else "no", "; ".join(approval.evidence),
            approval.reason)


def provenance_csv(records: Sequence[Provenance]) -> str:
    """One row per current object."""
    return csv_text(PROVENANCE_CSV_HEADER, (provenance_row(record) for record in records))


def provenance_table(records: Sequence[Provenance]) -> str:
    """Each current object with who last set it, when, and whether that was approved."""
    rows = [(r.current.display, r.change.change.commit.committed_at, r.change.change.commit.sha[:10],
             r.change.change.commit.author_name, "yes" if r.change.approval.approved else "NO") if r.change else
            (r.current.display, "(before the history read)", "", "", "")
            for r in records]
    return text_table(("OBJECT", "SET AT", "COMMIT", "AUTHOR", "APPROVED"), rows)


def describe_source(source: Mapping[str, Any]) -> str:
    """A snapshot's source in one line, e.g. `type=manifests paths=samples/cluster`."""
    return " ".join(f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}"
                    for key, value in sorted(source.items()))


def drift_item_json(item: DriftItem) -> dict[str, Any]:
    """One difference in the `segproof.drift/v1` contract; `namespace` is null for a cluster-scoped kind."""
    return {"object": item.object, "kind": item.kind, "namespace": item.namespace or None, "name": item.name,
            "status": item.status, "path": item.path or None, "semantic": item.semantic,
            "explanation": item.explanation, "fields": list(item.fields),
            "cluster_only": connections_list(item.cluster_only), "git_only": connections_list(item.git_only)}


def drift_summary(drift: Drift) -> dict[str, int]:
    """Counts by status and by effect."""
    return {
        **{state.key: sum(1 for item in drift.items if item.status is state) for state in DriftState},
        "semantic": sum(1 for i in drift.items if i.semantic),
        "cosmetic": sum(1 for i in drift.items if not i.semantic),
        "in_sync": drift.in_sync,
    }


def drift_json(drift: Drift) -> str:
    """Drift as JSON (`segproof.drift/v1`), differences in the drift's order (NetworkPolicies by namespace and name,
    then cluster policies by kind and name)."""
    return json_text({
        "format": DRIFT_FORMAT,
        "git": {"repository": drift.repository, "rev": drift.rev, "commit": drift.commit, "paths": list(drift.paths)},
        "cluster": {"source": dict(drift.cluster_source), "collected_at": drift.collected_at},
        "level": drift.level,
        "assumptions": dict(drift.assumptions),
        "summary": drift_summary(drift),
        "differences": [drift_item_json(item) for item in drift.items],
    }, flat_below=4)


def drift_text(drift: Drift) -> str:
    """Drift for terminals: a summary line, then each difference grouped by status with its connections."""
    summary = drift_summary(drift)
    where = f" under {', '.join(drift.paths)}" if drift.paths else ""
    lines = [f"Cluster ({describe_source(drift.cluster_source)}) vs git {drift.repository} at {drift.rev} "
             f"({drift.commit[:12]}){where}",
             f"{counted(len(drift.items), 'difference')} ({summary['semantic']} "
             f"{agreeing(summary['semantic'], 'changes', 'change')} reachability, {summary['cosmetic']} cosmetic); "
             f"{counted(drift.in_sync, 'policy', 'policies')} in sync."]
    for state in DriftState:
        items = [item for item in drift.items if item.status is state]
        if not items:
            continue
        lines.append(f"\n{state.heading}:")
        for item in items:
            lines.append(f"  {item.object}" + (f" ({item.path})" if item.path else ""))
            lines.append(f"    {'SEMANTIC' if item.semantic else 'cosmetic'}: {item.explanation}")
            if item.fields:
                lines.append(f"    fields: {', '.join(item.fields)}")
            lines += connection_lines("cluster only:", item.cluster_only)
            lines += connection_lines("git only:", item.git_only)
    return visible("\n".join(lines) + "\n", lines=True)
