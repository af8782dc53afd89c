"""The evidence pack's CSV files (`data/*.csv`), built in plain Python, and the same tables for the PDF's excerpts.

Every file is UTF-8 with a byte-order mark (so Excel reads names and arrows correctly; read it back with
`encoding="utf-8-sig"`), written by the one CSV writer of every output (`formats.csv_text`): `\\n` line ends,
a header row even when there are no rows, and text cells starting with `=`, `+`, `-`, `@`, a tab, a carriage
return or NUL prefixed with `'` so a spreadsheet shows them as text instead of running them as formulas (scope
text and git authors are user-controlled). Rows are in a stable order; the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, overload

from compliance.analysis.system import AssessedSystem, ZoneConnection
from compliance.checks.registry import CheckResult, EvidenceTable, Finding
from compliance.controls import Assessment, ControlResult
from compliance.model.cluster_policy import Action, ClusterPolicy, ClusterRule
from compliance.model.objects import PROTOCOLS
from compliance.netpol import bitsets
from compliance.netpol.ports import PortSet, single_protocol
from compliance.report import formats
from compliance.report.inputs import ReportInput
from compliance.report.zone_flows import ZoneFlows, zone_flows
from compliance.scope import ScopeException

BOM = "\ufeff"
EVIDENCE_DIR = "data/evidence"
MAX_SLUG = 80

CONTROLS_COLUMNS = ("framework", "control", "title", "severity", "status", "summary", "checks", "open_findings",
                    "excepted_findings", "manual_requests")
FINDINGS_COLUMNS = ("framework", "control", "check", "params", "object", "severity", "message", "state",
                    "exception_control", "exception_target", "exception_approver", "exception_expires",
                    "exception_justification")
POLICIES_COLUMNS = ("namespace", "name", "policy_types", "pod_selector", "ingress_rules", "egress_rules",
                    "selected_pods", "selected_workloads", "zones", "default_deny_ingress", "default_deny_egress",
                    "uid")
CLUSTER_POLICIES_COLUMNS = ("tier", "priority", "kind", "name", "subject", "ingress_rules", "egress_rules",
                            "actions", "selected_pods", "selected_workloads", "zones", "uid")
CLUSTER_POLICY_RULES_COLUMNS = ("tier", "priority", "policy", "direction", "rule", "name", "action", "peers", "ports")
WORKLOADS_COLUMNS = ("workload", "namespace", "kind", "name", "zone", "pods", "labels", "ingress_isolated",
                     "egress_isolated", "host_network", "ingress_policies", "egress_policies", "cluster_policies")
REACHABILITY_COLUMNS = ("source", "source_zone", "destination", "destination_zone", "protocol", "port_from",
                        "port_to", "approval", "approved_flows", "ambiguous")
ZONE_MATRIX_COLUMNS = ("source_zone", "destination_zone", "path", "ports", "unapproved_ports", "connections",
                       "unapproved_connections", "into_cde")
APPROVED_FLOWS_COLUMNS = ("flow", "source", "destination", "ports", "justification", "approver", "ticket",
                          "connections", "used")
EXCEPTIONS_COLUMNS = ("control", "target", "justification", "approver", "expires", "state", "findings")
CHANGES_COLUMNS = ("authored_at", "commit", "author", "object", "change", "path", "approval", "approved", "opened",
                   "closed")
DRIFT_COLUMNS = ("object", "state", "semantic", "detail")
EVIDENCE_INDEX_COLUMNS = ("file", "check", "params", "table", "title", "rows", "controls")


@dataclass(frozen=True)
class Table:
    """One CSV file of the pack: its path, columns and rows in their final order."""

    path: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Any, ...]]

    def records(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The first `limit` rows (all when None) as dicts keyed by column."""
        chosen = self.rows if limit is None else self.rows[:limit]
        return [dict(zip(self.columns, row, strict=True)) for row in chosen]


@dataclass(frozen=True)
class EvidenceFile:
    """Where one evidence table of one check result is written, and the controls that rely on it."""

    path: str
    result: CheckResult
    table: EvidenceTable
    controls: tuple[str, ...]


def yes_no(value: bool) -> str:
    """`yes` or `no`."""
    return "yes" if value else "no"


def natural_key(text: str) -> str:
    """A sort key ordering `1.2.10` after `1.2.9` (digit runs zero-padded)."""
    return re.sub(r"\d+", lambda match: match.group().zfill(10), text)


def params_text(params: Mapping[str, Any]) -> str:
    """Check parameters as canonical JSON (sorted keys, no spaces); empty for no parameters."""
    return json.dumps(dict(params), sort_keys=True, separators=(",", ":"), ensure_ascii=False) if params else ""


def sorted_table(path: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], keys: Sequence[str] = (),
                 natural: Sequence[str] = ()) -> Table:
    """A table with rows sorted (stably) on `keys`; `natural` keys sort digit runs as numbers."""
    table_rows = [tuple(row) for row in rows]
    if len(table_rows) > 1:
        # One stable sort per key, the last key first, orders as one sort on the keys' tuple would, without
        # building a tuple per row. A natural key is computed once per distinct value: findings repeat a few
        # control ids on many rows.
        for key in reversed(keys):
            position = columns.index(key)
            if key in natural:
                naturals = {value: natural_key(str(value)) for value in {row[position] for row in table_rows}}
                table_rows.sort(key=lambda row: naturals[row[position]])
            else:
                table_rows.sort(key=itemgetter(position))
    return Table(path, tuple(columns), tuple(table_rows))


def csv_text(table: Table) -> str:
    """The table as the pack's CSV text: a BOM, then the CSV of every output."""
    return BOM + formats.csv_text(table.columns, table.rows)


def control_order(assessment: Assessment) -> list[ControlResult]:
    """Control results by framework (in the given order) then requirement id in natural order."""
    frameworks = [f.id for f in assessment.frameworks]
    return sorted(assessment.controls, key=lambda r: (frameworks.index(r.framework) if r.framework in frameworks
                                                      else len(frameworks), r.framework, natural_key(r.control.id)))


def controls_table(assessment: Assessment) -> Table:
    """data/controls.csv: one row per control with its status and counts."""
    rows = [(r.framework, r.control.id, r.control.title, r.control.severity, r.status, r.summary,
             "; ".join(dict.fromkeys(ref.check for ref in r.control.checks)),
             sum(len(c.findings) for c in r.results), len(r.excepted), "; ".join(r.control.manual_requests))
            for r in assessment.controls]
    return sorted_table("data/controls.csv", CONTROLS_COLUMNS, rows, ("framework", "control"), natural=("control",))


def original_results(assessment: Assessment) -> dict[tuple[str, str], CheckResult]:
    """The check results before exceptions, by (check, canonical parameters)."""
    return {(r.check, params_text(r.params)): r for r in assessment.checks}


def control_findings(result: ControlResult, originals: Mapping[tuple[str, str], CheckResult]
                     ) -> list[tuple[str, str, Finding, ScopeException | None]]:
    """(check, params, finding, covering exception or None) of one control, excepted findings included."""
    covering: dict[Finding, ScopeException] = {}
    for finding, exception in result.excepted:
        covering.setdefault(finding, exception)
    found: list[tuple[str, str, Finding, ScopeException | None]] = []
    for adjusted in result.results:
        params = params_text(adjusted.params)
        original = originals.get((adjusted.check, params), adjusted)
        if adjusted.findings is original.findings:  # no exception applied: every finding is open
            found += ((adjusted.check, params, finding, None) for finding in original.findings)
            continue
        # The open findings are the original's own objects (`apply_exceptions`): compared by identity, since
        # hashing hundreds of thousands of dataclasses costs seconds.
        remaining = {id(finding) for finding in adjusted.findings}
        for finding in original.findings:
            if id(finding) in remaining:
                found.append((adjusted.check, params, finding, None))
            elif finding in covering:
                found.append((adjusted.check, params, finding, covering[finding]))
    return found


def findings_table(assessment: Assessment) -> Table:
    """data/findings.csv: one row per framework, control and finding; excepted ones with their exception."""
    originals = original_results(assessment)
    rows = []
    for result in assessment.controls:
        for check, params, finding, exception in control_findings(result, originals):
            rows.append((result.framework, result.control.id, check, params, finding.object, finding.severity,
                         finding.message, "open" if exception is None else "excepted",
                         *(exception_cells(exception) if exception else ("",) * 5)))
    return sorted_table("data/findings.csv", FINDINGS_COLUMNS, rows,
                        ("framework", "control", "check", "params", "object", "message", "state"),
                        natural=("control",))


def exception_cells(exception: ScopeException) -> tuple[str, str, str, str, str]:
    """control, target, approver, expiry and justification of an exception."""
    return (exception.control, exception.target, exception.approver,
            exception.expires.isoformat() if exception.expires else "", exception.justification)


def evaluation_order(policies: Iterable[ClusterPolicy]) -> list[ClusterPolicy]:
    """Cluster policies in the order the engine walks them: the Admin tier, then Baseline; priority, then key."""
    return sorted(policies, key=lambda p: p.order)


def shown_priority(policy: ClusterPolicy) -> int | str:
    """The policy's priority, or "" for a BaselineAdminNetworkPolicy (a singleton without one)."""
    return "" if policy.shown_priority is None else policy.shown_priority


def selection(system: AssessedSystem, bits: int) -> tuple[int, int, str]:
    """The pods, workloads and zones (sorted, `; `-joined) of the classes in a bitset."""
    indices = bitsets.members(bits)
    workloads = {name for index in indices for name in system.workloads_of_class[index]}
    zones = sorted({system.zoning.classes[index] for index in indices})
    return sum(len(system.reach.classes[index].pods) for index in indices), len(workloads), "; ".join(zones)


def class_zone_and_policies(system: AssessedSystem) -> list[tuple[str, list[str], list[str], list[str]]]:
    """Per pod class: its zone, the NetworkPolicies selecting it for ingress and for egress, and the cluster policies
    whose subject selects it (in evaluation order)."""
    reach = system.reach
    ingress: list[list[str]] = [[] for _ in reach.classes]
    egress: list[list[str]] = [[] for _ in reach.classes]
    tiered: list[list[str]] = [[] for _ in reach.classes]
    for policy in system.snapshot.policies:
        for index in bitsets.members(reach.policy_members(policy)):
            if policy.isolates_ingress:
                ingress[index].append(policy.key)
            if policy.isolates_egress:
                egress[index].append(policy.key)
    for cluster_policy in evaluation_order(system.snapshot.cluster_policies):
        for index in bitsets.members(system.reach.pod_peer_members(cluster_policy.subject)):
            tiered[index].append(cluster_policy.key)
    return list(zip(system.zoning.classes, ingress, egress, tiered, strict=True))


def mixed(values: Sequence[bool]) -> str:
    """yes when all are true, no when none is, partial otherwise."""
    return "yes" if all(values) else "no" if not any(values) else "partial"


def workloads_table(system: AssessedSystem) -> Table:
    """data/workloads.csv: every workload with its zone, pods, isolation per direction, the NetworkPolicies that
    isolate it and the cluster policies that select it."""
    reach = system.reach
    per_class = class_zone_and_policies(system)
    rank = {policy.key: index for index, policy in enumerate(evaluation_order(system.snapshot.cluster_policies))}
    isolated = system.isolated
    workloads: dict[str, dict[str, Any]] = {}
    for pod_class in reach.classes:
        zone, ingress, egress, tiered = per_class[pod_class.index]
        isolated_ingress = bitsets.has(isolated["ingress"], pod_class.index)
        isolated_egress = bitsets.has(isolated["egress"], pod_class.index)
        # Every pod of a class has the class's labels and host networking: a class adds to each of its workloads
        # once, with the number of its pods there.
        labels = set(pod_class.labels)
        pods: dict[str, list[Any]] = {}
        for pod in pod_class.pods:
            display = pod.workload.display
            found = pods.get(display)
            if found is None:
                pods[display] = [pod.workload, 1]
            else:
                found[1] += 1
        for display, (workload, count) in pods.items():
            entry = workloads.setdefault(display, {
                "ref": workload, "zone": system.workload_zones.get(display, zone), "pods": 0,
                "labels": None, "ingress": [], "egress": [], "host": [], "ingress_policies": set(),
                "egress_policies": set(), "cluster_policies": set()})
            entry["pods"] += count
            entry["labels"] = labels if entry["labels"] is None else entry["labels"] & labels
            entry["host"].append(pod_class.host_network)
            entry["ingress"].append(isolated_ingress)
            entry["egress"].append(isolated_egress)
            entry["ingress_policies"].update(ingress)
            entry["egress_policies"].update(egress)
            entry["cluster_policies"].update(tiered)
    rows = [(name, e["ref"].namespace, e["ref"].kind, e["ref"].name, e["zone"], e["pods"],
             ", ".join(f"{k}={v}" for k, v in sorted(e["labels"] or ())), mixed(e["ingress"]), mixed(e["egress"]),
             mixed(e["host"]), "; ".join(sorted(e["ingress_policies"])), "; ".join(sorted(e["egress_policies"])),
             "; ".join(sorted(e["cluster_policies"], key=rank.__getitem__)))
            for name, e in workloads.items()]
    return sorted_table("data/workloads.csv", WORKLOADS_COLUMNS, rows, ("workload",))


def policies_table(system: AssessedSystem) -> Table:
    """data/policies.csv: every NetworkPolicy with its types, selector, rule counts and what it selects."""
    rows = []
    for policy in system.snapshot.policies:
        rows.append((policy.namespace, policy.name, "; ".join(policy.policy_types), policy.pod_selector.describe(),
                     len(policy.rules("ingress")), len(policy.rules("egress")),
                     *selection(system, system.reach.policy_members(policy)),
                     yes_no(policy.pod_selector.is_empty and policy.isolates_ingress and not policy.rules("ingress")),
                     yes_no(policy.pod_selector.is_empty and policy.isolates_egress and not policy.rules("egress")),
                     policy.uid))
    return sorted_table("data/policies.csv", POLICIES_COLUMNS, rows, ("namespace", "name"))


def action_counts(policy: ClusterPolicy) -> str:
    """`Allow 2; Deny 1`: how many rules of both directions take each action."""
    actions = [rule.action for rule in (*policy.ingress, *policy.egress)]
    return "; ".join(f"{action} {actions.count(action)}" for action in Action if action in actions)


def cluster_policies_table(system: AssessedSystem) -> Table:
    """data/cluster_policies.csv: every cluster policy in evaluation order, with its subject, rule counts, actions
    and what it selects."""
    rows = [(str(p.tier), shown_priority(p), p.kind, p.name, p.subject.describe(), len(p.ingress), len(p.egress),
             action_counts(p), *selection(system, system.reach.pod_peer_members(p.subject)), p.uid)
            for p in evaluation_order(system.snapshot.cluster_policies)]
    return Table("data/cluster_policies.csv", CLUSTER_POLICIES_COLUMNS, tuple(rows))


def rule_peers(rule: ClusterRule) -> str:
    """A rule's peers in words, `; `-joined."""
    return "; ".join(peer.describe() for peer in rule.peers)


def rule_ports(rule: ClusterRule) -> str:
    """A rule's ports in words (`all ports` when it names none)."""
    return "all ports" if rule.ports is None else ", ".join(spec.describe() for spec in rule.ports)


def cluster_policy_rules_table(system: AssessedSystem) -> Table:
    """data/cluster_policy_rules.csv: every rule of every cluster policy, in evaluation order (per direction the
    engine walks the same order, skipping the other direction's rules)."""
    rows = [(str(p.tier), shown_priority(p), p.key, direction, index, rule.name, str(rule.action), rule_peers(rule),
             rule_ports(rule))
            for p in evaluation_order(system.snapshot.cluster_policies) for direction in ("ingress", "egress")
            for index, rule in enumerate(p.rules(direction))]
    return Table("data/cluster_policy_rules.csv", CLUSTER_POLICY_RULES_COLUMNS, tuple(rows))


def reachability_rows(flows: ZoneFlows) -> Iterator[tuple[Any, ...]]:
    """The rows of data/reachability.csv, connection by connection (in source and destination order), each
    connection's in protocol (TCP, UDP, SCTP) and first-port order."""
    # Connections share few distinct port sets, approvals and flows: their rows' port cells are built once.
    cells: dict[tuple[bool, PortSet, PortSet, PortSet, tuple[int, ...]], list[tuple[Any, ...]]] = {}
    for c in flows.connections:
        same = c.source_zone == c.destination_zone
        key = (same, c.ports, c.approved, c.ambiguous, tuple(map(id, c.flows)))
        found = cells.get(key)
        if found is None:
            found = cells[key] = port_cells(c, same)
        head = (c.source, c.source_zone, c.destination, c.destination_zone)
        for cell in found:
            yield head + cell


def port_cells(c: ZoneConnection, same: bool) -> list[tuple[Any, ...]]:
    """A connection's rows of data/reachability.csv without its ends: protocol, ports, approval, the approved flows
    and ambiguity, in protocol and first-port order."""
    parts = [(c.ports, "same_zone")] if same else [(c.approved, "approved"), (c.unapproved, "unapproved")]
    cuts = ([(cut, approval, ambiguous) for ports, approval in parts
             for ambiguous, cut in (("yes", ports & c.ambiguous), ("no", ports - c.ambiguous))]
            if c.ambiguous else [(ports, approval, "no") for ports, approval in parts])
    ranges = sorted(((protocol, low, high, approval, ambiguous) for cut, approval, ambiguous in cuts
                     for protocol, low, high in cut.items()), key=lambda r: (PROTOCOLS.index(r[0]), r[1]))
    found = []
    for protocol, low, high, approval, ambiguous in ranges:
        labels = ""
        if approval == "approved":
            span = single_protocol(protocol, ((low, high),))
            labels = "; ".join(dict.fromkeys(f.label for f in c.flows if f.ports & span))
        found.append((protocol, low, high, approval, labels, ambiguous))
    return found


class StreamedRows(Sequence[tuple[Any, ...]]):
    """Rows produced afresh each time they are iterated, never held: the reachability rows of a dense cluster are
    tens of millions."""

    def __init__(self, produce: Callable[[], Iterator[tuple[Any, ...]]]) -> None:
        self.produce = produce

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self.produce()

    def __len__(self) -> int:
        return sum(1 for _ in self.produce())

    @overload
    def __getitem__(self, index: int) -> tuple[Any, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[Any, ...], ...]: ...

    def __getitem__(self, index: int | slice) -> tuple[Any, ...] | tuple[tuple[Any, ...], ...]:
        if isinstance(index, slice) and (index.start or 0) >= 0 and (index.stop or 0) >= 0 and index.step is None:
            return tuple(itertools.islice(self.produce(), index.start, index.stop))
        return tuple(self.produce())[index]


def reachability_table(flows: ZoneFlows) -> Table:
    """data/reachability.csv: workload-level connections with zones, one row per port range, approval and
    ambiguity (`yes` for ports only some order of equal priorities allows; they count as reachable).

    Rows are sorted by source and destination (the connections' order), then protocol (TCP, UDP, SCTP) and first
    port, and streamed: produced as the CSV is written.
    """
    return Table("data/reachability.csv", REACHABILITY_COLUMNS, StreamedRows(lambda: reachability_rows(flows)))


def zone_matrix_table(flows: ZoneFlows) -> Table:
    """data/zone_matrix.csv: every ordered pair of zones, in the scope's zone order."""
    rows = [(p.source, p.destination, yes_no(p.path), p.ports.describe() if p.path else "",
             p.unapproved.describe() if p.unapproved else "", p.connections, p.unapproved_connections,
             yes_no(p.into_cde)) for p in flows.pairs]
    return Table("data/zone_matrix.csv", ZONE_MATRIX_COLUMNS, tuple(rows))


def approved_flows_table(flows: ZoneFlows) -> Table:
    """data/approved_flows.csv: each approved flow of the scope (numbered in file order) and whether it is used."""
    rows = [(use.number, use.flow.source.describe(), use.flow.destination.describe(), use.flow.ports.describe(),
             use.flow.justification, use.flow.approver, use.flow.ticket, use.connections, yes_no(use.used))
            for use in flows.flow_uses]
    return Table("data/approved_flows.csv", APPROVED_FLOWS_COLUMNS, tuple(rows))


def exceptions_table(assessment: Assessment) -> Table:
    """data/exceptions.csv: each exception of the scope, its expiry and state (applied, unused, expired)."""
    rows = [(u.exception.control, u.exception.target, u.exception.justification, u.exception.approver,
             u.exception.expires.isoformat() if u.exception.expires else "", u.state, u.findings)
            for u in assessment.exceptions]
    return sorted_table("data/exceptions.csv", EXCEPTIONS_COLUMNS, rows, ("control", "target", "expires", "approver"))


def changes_table(data: ReportInput) -> Table:
    """data/changes.csv: policy changes from git in the period, with approval and reachability effect."""
    rows = [(c.authored_at, c.commit, c.author, c.object, c.change, c.path, c.approval, yes_no(c.approved),
             c.opened, c.closed) for c in data.changes]
    return sorted_table("data/changes.csv", CHANGES_COLUMNS, rows, ("authored_at", "commit", "object", "path"))


def drift_table(data: ReportInput) -> Table:
    """data/drift.csv: policies that differ between the cluster and git."""
    rows = [(d.object, d.state, yes_no(d.semantic), d.detail) for d in data.drift]
    return sorted_table("data/drift.csv", DRIFT_COLUMNS, rows, ("object", "state", "detail"))


def slug(text: str) -> str:
    """A file-name-safe form of a parameter value (`*` is `all`, a leading `-` is `not-`)."""
    text = "all" if text == "*" else f"not-{text[1:]}" if text.startswith("-") else text
    return re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-") or "x"


def params_slug(params: Mapping[str, Any]) -> str:
    """`zones-cde--exclude-kube-system`: parameters by sorted key, values joined by `-`."""
    parts = []
    for key in sorted(params):
        value = params[key]
        values = value if isinstance(value, (list, tuple)) else [value]
        parts.append("-".join([slug(str(key)), *(slug(str(v)) for v in values)]))
    return "--".join(parts)


def evidence_files(assessment: Assessment) -> list[EvidenceFile]:
    """Every evidence table of every check result with its file name, unique across parameter sets and checks.

    The name is `<table>--<params>.csv`. Identical tables from different checks share one file; a name that
    would still collide gets the check id, then a short hash of the parameters.
    """
    users: dict[tuple[str, str], list[str]] = defaultdict(list)
    for control in control_order(assessment):
        for check in control.results:
            key = (check.check, params_text(check.params))
            reference = control.reference
            if reference not in users[key]:
                users[key].append(reference)
    by_name: dict[str, list[tuple[CheckResult, EvidenceTable]]] = defaultdict(list)
    for result in sorted(assessment.checks, key=lambda r: (r.check, params_text(r.params))):
        for table in result.evidence:
            base = slug(table.name).replace(".", "_")
            suffix = params_slug(result.params)
            if len(suffix) > MAX_SLUG:
                suffix = suffix[:MAX_SLUG].rstrip("-") + "-" + digest(params_text(result.params))
            by_name[f"{base}--{suffix}" if suffix else base].append((result, table))
    found = []
    for name, entries in sorted(by_name.items()):
        contents = {(t.columns, t.rows) for _, t in entries}
        for result, table in entries:
            unique = name
            if len(contents) > 1:
                unique = f"{name}--{slug(result.check)}"
                if sum(1 for r, _ in entries if r.check == result.check) > 1:
                    unique += "-" + digest(params_text(result.params))
            controls = tuple(users.get((result.check, params_text(result.params)), ()))
            found.append(EvidenceFile(f"{EVIDENCE_DIR}/{unique}.csv", result, table, controls))
    return found


def digest(text: str) -> str:
    """The first 8 hex digits of the SHA-256 of `text`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def evidence_tables(assessment: Assessment) -> tuple[Table, list[Table]]:
    """The index of evidence files (data/evidence.csv) and one table per distinct evidence file."""
    files = evidence_files(assessment)
    index_rows: dict[str, list] = {}
    tables: dict[str, Table] = {}
    for entry in files:
        row = index_rows.get(entry.path)
        if row is None:
            index_rows[entry.path] = [entry.path, entry.result.check, params_text(entry.result.params),
                                      entry.table.name, entry.table.title, len(entry.table.rows),
                                      list(entry.controls)]
            tables[entry.path] = Table(entry.path, entry.table.columns, entry.table.rows)
        else:
            row[1] += f"; {entry.result.check}"
            row[6] += [c for c in entry.controls if c not in row[6]]
    rows = [(*row[:6], "; ".join(row[6])) for row in index_rows.values()]
    index = sorted_table("data/evidence.csv", EVIDENCE_INDEX_COLUMNS, rows, ("file",))
    return index, [tables[path] for path in sorted(tables)]


def report_tables(data: ReportInput, flows: ZoneFlows | None = None) -> dict[str, Table]:
    """Every CSV of the pack as a Table, by relative path."""
    flows = flows or zone_flows(data.system)
    index, evidence = evidence_tables(data.assessment)
    system = data.system
    tables = [controls_table(data.assessment), findings_table(data.assessment), policies_table(system),
              cluster_policies_table(system), cluster_policy_rules_table(system), workloads_table(system),
              reachability_table(flows), zone_matrix_table(flows), approved_flows_table(flows),
              exceptions_table(data.assessment), changes_table(data), drift_table(data), index, *evidence]
    return {table.path: table for table in sorted(tables, key=lambda t: t.path)}


def csv_tables(data: ReportInput) -> dict[str, str]:
    """Every CSV of the pack as text, by relative path (`data/controls.csv`, `data/evidence/...`)."""
    return {path: csv_text(table) for path, table in report_tables(data).items()}


def csv_bytes(table: Table) -> bytes:
    """The table's CSV text as UTF-8 bytes, encoded row by row (a large table is never held as text too)."""
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=False) as stream:
        stream.write(BOM)
        formats.write_csv(stream, table.columns, table.rows)
        stream.flush()
        return buffer.getvalue()


def csv_files(tables: Mapping[str, Table]) -> dict[str, bytes]:
    """Every CSV of the pack as UTF-8 bytes (with the BOM), ready to write and to attach to the PDF."""
    return {path: csv_bytes(table) for path, table in tables.items()}
