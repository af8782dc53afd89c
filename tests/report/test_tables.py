"""The pack's CSV files: columns, order, determinism, Excel safety, header-only files, evidence file names."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.analysis.system import ZoneConnection
from compliance.checks.registry import CheckResult, EvidenceTable
from compliance.controls import Assessment
from compliance.netpol.ports import ALL_PORTS, single_protocol
from compliance.report import tables
from compliance.report.inputs import ReportInput
from compliance.report.zone_flows import ZoneFlows
from compliance.scope import ApprovedFlow, FlowEnd

from .builders import HOSTILE_LABEL, guarded_snapshot, report_input

EXPECTED_COLUMNS = {
    "data/controls.csv": tables.CONTROLS_COLUMNS,
    "data/findings.csv": tables.FINDINGS_COLUMNS,
    "data/policies.csv": tables.POLICIES_COLUMNS,
    "data/cluster_policies.csv": tables.CLUSTER_POLICIES_COLUMNS,
    "data/cluster_policy_rules.csv": tables.CLUSTER_POLICY_RULES_COLUMNS,
    "data/workloads.csv": tables.WORKLOADS_COLUMNS,
    "data/reachability.csv": tables.REACHABILITY_COLUMNS,
    "data/zone_matrix.csv": tables.ZONE_MATRIX_COLUMNS,
    "data/approved_flows.csv": tables.APPROVED_FLOWS_COLUMNS,
    "data/exceptions.csv": tables.EXCEPTIONS_COLUMNS,
    "data/changes.csv": tables.CHANGES_COLUMNS,
    "data/drift.csv": tables.DRIFT_COLUMNS,
    "data/evidence.csv": tables.EVIDENCE_INDEX_COLUMNS,
}


def read(text: str) -> list[dict[str, str]]:
    """The rows of a CSV as written (BOM included), as dicts."""
    assert text.startswith(tables.BOM)
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def header(text: str) -> list[str]:
    """The header row of a CSV."""
    return next(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.fixture(scope="module")
def files(sample_with_git: ReportInput) -> dict[str, str]:
    return tables.csv_tables(sample_with_git)


@pytest.fixture(scope="module")
def guarded() -> dict[str, str]:
    """The CSVs of the sample with cluster policies of both tiers and a tie."""
    return tables.csv_tables(report_input(snapshot=guarded_snapshot()))


def test_every_file_has_its_documented_columns(files: dict[str, str]) -> None:
    for path, columns in EXPECTED_COLUMNS.items():
        assert header(files[path]) == list(columns), path


def test_files_are_utf8_with_bom_and_unix_line_ends(sample_with_git: ReportInput, files: dict[str, str]) -> None:
    encoded = tables.csv_files(tables.report_tables(sample_with_git))
    assert set(encoded) == set(files)
    for path, content in encoded.items():
        assert content.startswith(b"\xef\xbb\xbf"), path
        assert b"\r\n" not in content.replace(b'"\r\n', b""), path
        assert content.endswith(b"\n"), path
        assert content.decode("utf-8-sig") == files[path][1:]


def test_same_input_gives_identical_bytes(sample_with_git: ReportInput, files: dict[str, str]) -> None:
    again = report_input(sample_with_git.changes, sample_with_git.drift, git_source=sample_with_git.git_source)
    assert tables.csv_files(tables.report_tables(again)) == tables.csv_files(tables.report_tables(sample_with_git))
    assert tables.csv_tables(sample_with_git) == files


def test_controls_sorted_by_requirement_in_natural_order(files: dict[str, str]) -> None:
    ids = [row["control"] for row in read(files["data/controls.csv"])]
    assert ids == ["1.2.1", "1.2.2", "1.2.5", "1.3.1", "1.3.2", "1.4.4", "11.4.5"]
    manual = next(row for row in read(files["data/controls.csv"]) if row["control"] == "11.4.5")
    assert manual["status"] == "manual"
    assert manual["manual_requests"] == "Latest segmentation penetration test report"


def test_findings_include_excepted_ones_with_their_exception(files: dict[str, str]) -> None:
    rows = read(files["data/findings.csv"])
    excepted = [row for row in rows if row["state"] == "excepted"]
    assert [(row["control"], row["object"]) for row in excepted] == [("1.4.4", "monitoring/node-exporter[DaemonSet]")]
    assert excepted[0]["exception_target"] == "monitoring/node-exporter*"
    assert excepted[0]["exception_expires"] == "2026-12-31"
    assert excepted[0]["exception_approver"] == "Jane Doe (CISO)"
    assert any(row["state"] == "open" and row["check"] == "segmentation.zones_isolated" for row in rows)
    keys = [(row["framework"], tables.natural_key(row["control"]), row["check"], row["params"], row["object"],
             row["message"]) for row in rows]
    assert keys == sorted(keys)


def test_reachability_rows_per_port_range_with_approval(files: dict[str, str]) -> None:
    rows = read(files["data/reachability.csv"])
    assert {row["approval"] for row in rows} == {"approved", "unapproved", "same_zone"}
    into_cde = [row for row in rows if row["destination"] == "payments/tokenizer[Deployment]"
                and row["source"] == "analytics/dashboard[Deployment]"]
    assert [(r["protocol"], r["port_from"], r["port_to"], r["approval"]) for r in into_cde] == [
        ("TCP", "8080", "8080", "unapproved")]
    approved = next(row for row in rows if row["source"] == "checkout/checkout-web[Deployment]"
                    and row["destination"] == "payments/payments-api[Deployment]")
    assert approved["approval"] == "approved" and "CHG-1234" in approved["approved_flows"]
    keys = [(row["source"], row["destination"]) for row in rows]
    assert keys == sorted(keys)


def test_zone_matrix_lists_every_pair(sample_with_git: ReportInput, files: dict[str, str]) -> None:
    rows = read(files["data/zone_matrix.csv"])
    zones = {row["source_zone"] for row in rows}
    assert len(rows) == len(zones) ** 2
    cell = next(row for row in rows if (row["source_zone"], row["destination_zone"]) == ("out-of-scope", "cde"))
    assert (cell["path"], cell["ports"], cell["unapproved_ports"], cell["into_cde"]) == ("yes", "TCP 8080",
                                                                                       "TCP 8080", "yes")
    none = next(row for row in rows if (row["source_zone"], row["destination_zone"]) == ("cde", "out-of-scope"))
    assert (none["path"], none["ports"], none["connections"]) == ("no", "", "0")


def test_workloads_show_zone_isolation_host_network_and_policies(files: dict[str, str]) -> None:
    rows = {row["workload"]: row for row in read(files["data/workloads.csv"])}
    tokenizer = rows["payments/tokenizer[Deployment]"]
    assert (tokenizer["zone"], tokenizer["ingress_isolated"], tokenizer["egress_isolated"]) == ("cde", "yes", "yes")
    assert "payments/tokenizer-ingress" in tokenizer["ingress_policies"]
    assert rows["monitoring/node-exporter[DaemonSet]"]["host_network"] == "yes"
    assert rows["analytics/dashboard[Deployment]"]["ingress_isolated"] == "no"
    assert HOSTILE_LABEL in rows["payments/debug-shell[Pod]"]["labels"]


def test_policies_and_exceptions(files: dict[str, str]) -> None:
    policies = read(files["data/policies.csv"])
    assert [(p["namespace"], p["name"]) for p in policies] == sorted((p["namespace"], p["name"]) for p in policies)
    deny = next(p for p in policies if (p["namespace"], p["name"]) == ("api-gateway", "default-deny-all"))
    assert (deny["default_deny_ingress"], deny["default_deny_egress"], deny["pod_selector"]) == ("yes", "yes", "{}")
    states = {row["target"]: row["state"] for row in read(files["data/exceptions.csv"])}
    assert states == {"api-gateway/*": "expired", "monitoring/node-exporter*": "applied"}
    flows = read(files["data/approved_flows.csv"])
    assert [row["flow"] for row in flows] == [str(n) for n in range(1, len(flows) + 1)]


def test_cluster_policies_in_evaluation_order_with_what_they_select(guarded: dict[str, str]) -> None:
    policies = read(guarded["data/cluster_policies.csv"])
    assert [(p["tier"], p["priority"], p["kind"], p["name"]) for p in policies] == [
        ("Admin", "1", "ClusterNetworkPolicy", "block-metadata"), ("Admin", "5", "AdminNetworkPolicy", "allow-scrape"),
        ("Admin", "10", "AdminNetworkPolicy", "cde-guardrail"),
        ("Admin", "20", "AdminNetworkPolicy", "marketing-allow-dashboard"),
        ("Admin", "20", "AdminNetworkPolicy", "marketing-deny-analytics"),
        ("Baseline", "", "BaselineAdminNetworkPolicy", "default")]
    guard = policies[2]
    assert {k: guard[k] for k in ("subject", "ingress_rules", "egress_rules", "actions", "zones")} == {
        "subject": "all pods in namespaces pci-zone=cde", "ingress_rules": "3", "egress_rules": "0",
        "actions": "Deny 1; Pass 2", "zones": "cde"}
    workloads = read(guarded["data/workloads.csv"])
    cde = [w for w in workloads if w["zone"] == "cde"]
    assert (guard["selected_pods"], guard["selected_workloads"]) == (str(sum(int(w["pods"]) for w in cde)),
                                                                     str(len(cde)))
    everywhere = policies[0]  # every namespace, but never a host-network pod
    assert int(everywhere["selected_pods"]) == sum(int(w["pods"]) for w in workloads if w["host_network"] == "no")
    api = next(w for w in workloads if w["workload"] == "payments/payments-api[Deployment]")
    assert api["cluster_policies"] == ("ClusterNetworkPolicy/block-metadata; AdminNetworkPolicy/allow-scrape; "
                                       "AdminNetworkPolicy/cde-guardrail")


def test_cluster_policy_rules_list_every_rule_in_evaluation_order(guarded: dict[str, str]) -> None:
    rules = read(guarded["data/cluster_policy_rules.csv"])
    assert [(r["policy"], r["direction"], r["rule"], r["action"]) for r in rules] == [
        ("ClusterNetworkPolicy/block-metadata", "egress", "0", "Deny"),
        ("AdminNetworkPolicy/allow-scrape", "ingress", "0", "Allow"),
        ("AdminNetworkPolicy/cde-guardrail", "ingress", "0", "Pass"),
        ("AdminNetworkPolicy/cde-guardrail", "ingress", "1", "Pass"),
        ("AdminNetworkPolicy/cde-guardrail", "ingress", "2", "Deny"),
        ("AdminNetworkPolicy/marketing-allow-dashboard", "egress", "0", "Allow"),
        ("AdminNetworkPolicy/marketing-deny-analytics", "egress", "0", "Deny"),
        ("BaselineAdminNetworkPolicy/default", "egress", "0", "Deny")]
    scrape, connected = rules[1], rules[2]
    assert (scrape["name"], scrape["peers"], scrape["ports"]) == (
        "prometheus", "all pods in namespaces kubernetes.io/metadata.name=monitoring", "9090/TCP, 9187/TCP")
    assert (connected["peers"], connected["ports"]) == ("all pods in namespaces pci-zone in (connected,system)",
                                                        "all ports")
    assert rules[0]["peers"] == "networks 169.254.169.254/32" and rules[-1]["priority"] == ""


def test_cells_that_look_like_formulas_are_neutralised(files: dict[str, str]) -> None:
    changes = read(files["data/changes.csv"])
    authors = [row["author"] for row in changes]
    assert "'=HYPERLINK(\"http://evil\") <mallory@example.com>" in authors
    assert [row["authored_at"] for row in changes] == sorted(row["authored_at"] for row in changes)
    drift = {row["object"]: row for row in read(files["data/drift.csv"])}
    assert drift["NetworkPolicy payments/tokenizer-ingress"]["detail"].startswith("'+1 connection")
    assert drift["NetworkPolicy checkout/allow-legacy-frontend"]["detail"] == "'@only in the cluster"
    assert drift["NetworkPolicy api-gateway/partner"]["detail"] == "'-only in git"
    assert drift["NetworkPolicy api-gateway/partner"]["state"] == "not_applied"
    for text in files.values():
        for row in csv.reader(io.StringIO(text[1:], newline="")):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_sections_without_data_are_header_only(sample: ReportInput) -> None:
    files = tables.csv_tables(sample)
    assert files["data/changes.csv"] == tables.BOM + ",".join(tables.CHANGES_COLUMNS) + "\n"
    assert files["data/drift.csv"] == tables.BOM + ",".join(tables.DRIFT_COLUMNS) + "\n"
    assert files["data/cluster_policies.csv"] == tables.BOM + ",".join(tables.CLUSTER_POLICIES_COLUMNS) + "\n"
    assert files["data/cluster_policy_rules.csv"] == tables.BOM + ",".join(tables.CLUSTER_POLICY_RULES_COLUMNS) + "\n"


def test_evidence_files_are_named_by_table_and_parameters(files: dict[str, str]) -> None:
    evidence = sorted(path for path in files if path.startswith("data/evidence/"))
    assert "data/evidence/zone_inbound--zones-cde.csv" in evidence
    assert "data/evidence/zone_paths--from-out-of-scope--to-cde.csv" in evidence
    assert "data/evidence/namespace_posture--exclude-kube-system--zones-all.csv" in evidence
    # default_deny_ingress and default_deny_egress with the same zones produce the same table: one file for both
    shared = next(row for row in read(files["data/evidence.csv"])
                  if row["file"] == "data/evidence/namespace_posture--zones-cde-connected.csv")
    assert shared["check"] == "policy.default_deny_egress; policy.default_deny_ingress"
    assert shared["controls"] == "pci-dss-4.0.1/1.2.1"
    index = [row["file"] for row in read(files["data/evidence.csv"])]
    assert index == evidence
    inbound = read(files["data/evidence/zone_inbound--zones-cde.csv"])
    assert header(files["data/evidence/zone_inbound--zones-cde.csv"])[:2] == ["source", "source_zone"]
    assert len(inbound) == 11


def test_different_tables_under_one_name_get_distinct_files() -> None:
    def result(check: str, params: dict, rows: tuple) -> CheckResult:
        return CheckResult(check, "pass", "ok", (), (EvidenceTable("posture", "Posture", ("a",), rows),), params)

    assessment = Assessment((), (), (result("x.one", {"zones": ["a-b"]}, (("1",),)),
                                     result("x.one", {"zones": ["a", "b"]}, (("2",),)),
                                     result("x.two", {"zones": ["a", "b"]}, (("3",),))), ())
    paths = [entry.path for entry in tables.evidence_files(assessment)]
    assert len(paths) == len(set(paths)) == 3
    assert all(path.startswith("data/evidence/posture--zones-a-b--") for path in paths)


def test_reachability_splits_ranges_where_ambiguity_changes() -> None:
    flow = ApprovedFlow(FlowEnd("connected"), FlowEnd("cde"), single_protocol("TCP", ((8443, 8443),)), "j", "a")
    connection = ZoneConnection("checkout/web", "connected", "payments/api", "cde", ALL_PORTS,
                                single_protocol("TCP", ((8443, 8443),)), (flow,),
                                single_protocol("TCP", ((80, 80), (8443, 8443))))
    flows = ZoneFlows(("cde", "connected"), frozenset(), ("cde",), (connection,), (), ())
    rows = [(r["protocol"], r["port_from"], r["port_to"], r["approval"], r["ambiguous"])
            for r in tables.reachability_table(flows).records()]
    assert rows[:5] == [("TCP", 1, 79, "unapproved", "no"), ("TCP", 80, 80, "unapproved", "yes"),
                        ("TCP", 81, 8442, "unapproved", "no"), ("TCP", 8443, 8443, "approved", "yes"),
                        ("TCP", 8444, 65535, "unapproved", "no")]
    assert {(r[0], r[4]) for r in rows[5:]} == {("UDP", "no"), ("SCTP", "no")}


def test_reachability_marks_the_ports_equal_priorities_leave_ambiguous(files: dict[str, str],
                                                                       guarded: dict[str, str]) -> None:
    assert {row["ambiguous"] for row in read(files["data/reachability.csv"])} == {"no"}
    ambiguous = {(row["source"], row["destination"], row["protocol"], row["port_from"], row["port_to"])
                 for row in read(guarded["data/reachability.csv"]) if row["ambiguous"] == "yes"}
    assert ambiguous == {(source, destination, "TCP", "80", "80")
                         for source in ("marketing/campaigns[Deployment]", "marketing/email-sender[Deployment]")
                         for destination in ("analytics/dashboard[Deployment]",
                                             "analytics/nightly-order-aggregation[CronJob]")}


def test_csv_bytes_of_a_large_table_hold_little_more_than_its_bytes() -> None:
    # 200,000 rows with non-ASCII text: the text is encoded row by row, never held whole as well as the bytes.
    rows = tuple((f"ns-{i % 50}/workload-{i}[Deployment]", "cde", f"→ finding {i}", i) for i in range(200_000))
    table = tables.Table("data/findings.csv", ("object", "zone", "message", "n"), rows)
    tracemalloc.start()
    try:
        produced = tables.csv_bytes(table)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert produced == tables.csv_text(table).encode("utf-8")
    assert peak < 1.3 * len(produced)


@given(st.lists(st.tuples(st.sampled_from(["1.2.10", "1.2.9", "10.1", "2"]), st.integers(0, 3), st.text(max_size=2)),
                max_size=30))
def test_sorted_table_orders_as_one_sort_on_the_tuple_of_keys(rows: list[tuple[str, int, str]]) -> None:
    table = tables.sorted_table("t.csv", ("control", "n", "text"), rows, ("control", "text", "n"), natural=("control",))
    assert list(table.rows) == sorted(rows, key=lambda r: (tables.natural_key(r[0]), r[2], r[1]))
