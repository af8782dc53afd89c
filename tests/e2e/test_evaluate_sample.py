"""PCI DSS on the sample shop: the deliberate mistakes fail the right requirements, naming the path."""

from __future__ import annotations

import datetime
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from compliance.analysis.system import AssessedSystem
from compliance.controls import Assessment, evaluate_controls, load_framework
from compliance.netpol.options import AnalysisOptions
from compliance.resources import resource_dir
from compliance.scope import parse_scope
from compliance.sources.manifests import load_manifests
from tests.support.cli import run

SAMPLES = resource_dir("samples")
TODAY = datetime.date(2026, 3, 31)
PATH = "analytics/dashboard[Deployment] -> payments/tokenizer[Deployment]"


def assess(*clusters: Path) -> Assessment:
    snapshot = load_manifests([str(cluster) for cluster in clusters], "2026-03-31T12:00:00Z")
    # The engine models Calico's kinds; drop them from the kinds counted as not modelled where the loader still does.
    snapshot = replace(snapshot, unmodelled={kind: count for kind, count in snapshot.unmodelled.items()
                                             if not kind.startswith("Calico ")})
    scope = parse_scope((SAMPLES / "scope.yaml").read_text(), "scope.yaml")
    return evaluate_controls(AssessedSystem(snapshot, scope, AnalysisOptions(), TODAY), [load_framework("pci-dss")])


def control(assessment: Assessment, control_id: str):
    return next(result for result in assessment.controls if result.control.id == control_id)


@pytest.fixture(scope="module")
def sample() -> Assessment:
    return assess(SAMPLES / "cluster")


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    """The sample with the tokenizer's over-broad TEMP rule replaced by the right policy."""
    cluster = tmp_path_factory.mktemp("cluster")
    for path in (SAMPLES / "cluster").glob("*.yaml"):
        documents = list(yaml.safe_load_all(path.read_text()))
        for document in documents:
            if document and document["kind"] == "NetworkPolicy" and document["metadata"]["name"] == "tokenizer-ingress":
                document["spec"]["ingress"] = [rule for rule in document["spec"]["ingress"]
                                               if rule["from"] != [{"namespaceSelector": {}}]]
        (cluster / path.name).write_text(yaml.safe_dump_all(documents, sort_keys=False))
    return assess(cluster)


def test_the_sample_shows_passes_failures_manual_controls_and_an_excepted_finding(sample: Assessment) -> None:
    statuses = {result.status for result in sample.controls}
    assert {"pass", "fail", "manual", "warning", "not_applicable"} <= statuses
    excepted = [finding.object for result in sample.controls for finding, _ in result.excepted]
    assert "monitoring/node-exporter[DaemonSet]" in excepted
    assert {use.exception.target: use.state for use in sample.exceptions} == {
        "monitoring/node-exporter*": "applied", "api-gateway/*": "expired"}


def test_an_out_of_scope_path_into_the_cde_fails_1_3_1_and_11_4_5_naming_it(sample: Assessment) -> None:
    for control_id in ("1.3.1", "11.4.5"):
        result = control(sample, control_id)
        assert result.status == "fail"
        findings = {finding.object: finding.message for check in result.results for finding in check.findings}
        assert PATH in findings, control_id
        assert "TCP 8080" in findings[PATH]


def test_the_calico_security_tier_is_the_cde_guardrail() -> None:
    # samples/cluster-calico guards the CDE in the Calico tier security (order 100, before default): out-of-scope
    # workloads are denied for certain; the connected zone is passed on to the namespaces' NetworkPolicies, so it is
    # not guarded by the tier (what its NetworkPolicies allow is assessed by the other checks of 1.3.1).
    result = control(assess(SAMPLES / "cluster", SAMPLES / "cluster-calico"), "1.3.1")
    guardrail = next(check for check in result.results if check.check == "segmentation.admin_guardrail")
    assert guardrail.status == "fail", guardrail.summary
    rows, rules = (table.rows for table in guardrail.evidence)
    guarded = {(row[0], row[2]): row[3] for row in rows}
    cde = ["payments/card-vault[StatefulSet]", "payments/debug-shell[Pod]", "payments/payments-api[Deployment]",
           "payments/tokenizer[Deployment]"]
    assert sorted({row[0] for row in rows}) == cde
    assert {guarded[(workload, "out-of-scope")] for workload in cde} == {"yes"}
    assert {guarded[(workload, "connected")] for workload in cde} == {"no"}
    assert {finding.object for finding in guardrail.findings} == set(cde)
    assert [(row[0], row[1], row[3], row[4]) for row in rules] == [
        ("GlobalNetworkPolicy/security.cde-ingress-guard", "tier security, order 100", "ingress[0]", "Pass"),
        ("GlobalNetworkPolicy/security.cde-ingress-guard", "tier security, order 100", "ingress[1]", "Log"),
        ("GlobalNetworkPolicy/security.cde-ingress-guard", "tier security, order 100", "ingress[2]", "Deny"),
        ("GlobalNetworkPolicy/security.out-of-scope-egress-guard", "tier security, order 300", "egress[0]", "Deny")]


def test_the_right_policy_makes_them_pass(corrected: Assessment) -> None:
    assert control(corrected, "1.3.1").status == "pass"
    assert control(corrected, "11.4.5").status == "pass"


def test_findings_name_the_exact_policies(sample: Assessment) -> None:
    permissive = {finding.message for check in control(sample, "1.2.1").results for finding in check.findings}
    assert "payments/tokenizer-ingress ingress[1] admits every pod of every namespace (namespaceSelector: {}) " \
           "on grpc/TCP" in permissive


@pytest.mark.parametrize(("now", "period"), [
    pytest.param("2026-04-01T04:00:00Z", {"start": "2026-01-01", "end": "2026-03-31"}, id="first-day-of-q2"),
    pytest.param("2027-01-01T04:00:00Z", {"start": "2026-10-01", "end": "2026-12-31"}, id="new-year"),
])
def test_a_relative_period_is_resolved_on_the_clock_of_the_command(tmp_path: Path, now: str,
                                                                   period: dict[str, str]) -> None:
    scope = tmp_path / "scope.yaml"
    scope.write_text((SAMPLES / "scope.yaml").read_text().replace("period: {start: 2026-01-01, end: 2026-03-31}",
                                                                  "period: {quarter: previous}"))
    code, out, err = run("evaluate", "--manifests", str(SAMPLES / "cluster"), "--scope", str(scope), "--framework",
                         "pci-dss-4.0.1", "--now", now, "-o", "json")
    assert code == 0, err
    assert json.loads(out)["period"] == period
