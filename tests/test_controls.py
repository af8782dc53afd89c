"""Control catalogs and their evaluation: validation, shared checks, statuses, exceptions, the CLI."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from compliance import controls as controls_module
from compliance.analysis.system import AssessedSystem
from compliance.checks import CHECKS
from compliance.checks.registry import CheckResult
from compliance.cli import main
from compliance.controls import (
    Assessment,
    CheckReference,
    Control,
    ControlResult,
    Framework,
    catalog_files,
    control_status,
    evaluate_controls,
    parse_catalog,
    run_check,
)
from compliance.errors import InvalidObject
from compliance.model.snapshot import Snapshot
from compliance.model.status import STATUS_ORDER, Status
from compliance.netpol.options import AnalysisOptions
from compliance.scope import Scope, parse_scope
from tests.netpol.builders import cluster, namespace, pod, policy
from tests.support.documents import with_value

ROOT = Path(__file__).resolve().parents[1]
TODAY = datetime.date(2026, 9, 30)
NOW = "2026-09-30T12:00:00Z"
SHARED_SCOPE = ROOT / "tests" / "checks" / "cases" / "scope.yaml"

# --- parse_catalog --------------------------------------------------------------------------------

CATALOG: dict[str, Any] = {
    "framework": {"id": "acme-baseline-1.0", "name": "ACME baseline", "version": "1.0",
                  "title": "ACME network segmentation baseline", "publisher": "ACME Security"},
    "controls": [
        {"id": "1.1", "title": "Inbound traffic to the CDE is restricted",
         "objective": "Only approved flows reach the cardholder data environment.",
         "testing": "Compare the inbound connections with the approved flows.", "severity": "high",
         "checks": [{"check": "segmentation.inbound_restricted", "params": {"zones": ["cde"]},
                     "evidence": ["zone_inbound"]}]},
        {"id": "1.2", "title": "Network diagrams are current",
         "objective": "Diagrams show every connection into the CDE.",
         "testing": "Interview the network team and inspect the diagrams.", "severity": "medium",
         "manual": {"reason": "Diagrams live outside the cluster.", "request": ["Current network diagram"]}},
    ],
}


def catalog_with(path: str, value: Any) -> dict[str, Any]:
    """CATALOG with the value at a dotted path set (`...` deletes it)."""
    return with_value(CATALOG, path, value)


def test_a_catalog_parses() -> None:
    framework = parse_catalog(CATALOG)
    assert (framework.id, framework.name, framework.version) == ("acme-baseline-1.0", "ACME baseline", "1.0")
    first, second = framework.controls
    assert first.checks == (CheckReference("segmentation.inbound_restricted", {"zones": ["cde"]}, ("zone_inbound",)),)
    assert (first.severity, first.manual_reason) == ("high", "")
    assert (second.checks, second.manual_reason, second.manual_requests) == (
        (), "Diagrams live outside the cluster.", ("Current network diagram",))


def test_check_reference_key_ignores_parameter_order() -> None:
    one = CheckReference("segmentation.zones_isolated", {"from": ["out-of-scope"], "to": ["cde"]}, ())
    other = CheckReference("segmentation.zones_isolated", {"to": ["cde"], "from": ["out-of-scope"]}, ())
    assert one.key == other.key
    assert one.key != CheckReference("segmentation.zones_isolated", {"from": ["connected"], "to": ["cde"]}, ()).key


@pytest.mark.parametrize(("document", "field", "message"), [
    pytest.param(catalog_with("owner", "x"), "owner", "unknown key", id="unknown-top-level-key"),
    pytest.param(catalog_with("framework.url", "x"), "framework.url", "unknown key", id="unknown-framework-key"),
    pytest.param(catalog_with("controls.0.owner", "x"), "controls[0].owner", "unknown key", id="unknown-control-key"),
    pytest.param(catalog_with("controls.0.checks.0.weight", 2), "controls[0].checks[0].weight", "unknown key",
                 id="unknown-check-entry-key"),
    pytest.param(catalog_with("controls.0.checks.0.check", "segmentation.inbound_restrcted"),
                 "controls[0].checks[0].check", "unknown check 'segmentation.inbound_restrcted'", id="unknown-check"),
    pytest.param(catalog_with("controls.0.checks.0.params", {"zone": ["cde"]}), "controls[0].checks[0].params.zone",
                 "takes no parameter 'zone'", id="unknown-param"),
    pytest.param(catalog_with("controls.0.checks.0.params", {"zones": ["cde"], "exclude": []}),
                 "controls[0].checks[0].params.exclude", "takes no parameter 'exclude'",
                 id="param-of-another-check"),
    pytest.param(catalog_with("controls.0.checks", []), "controls[0].manual.reason",
                 "a control without checks must say why it is manual", id="neither-checks-nor-manual"),
    pytest.param(catalog_with("controls.1.manual", {"request": ["Diagram"]}), "controls[1].manual.reason",
                 "must say why", id="manual-without-reason"),
    pytest.param(catalog_with("controls.1.manual.why", "x"), "controls[1].manual.why", "unknown key",
                 id="unknown-manual-key"),
    pytest.param(catalog_with("controls.1.id", "1.1"), "controls", "'1.1' is missing or repeated", id="duplicate-id"),
    pytest.param(catalog_with("controls.1.id", ...), "controls", "'' is missing or repeated", id="missing-id"),
    pytest.param(catalog_with("controls.0.severity", "severe"), "controls[0].severity",
                 "must be one of low, medium, high, critical", id="bad-severity"),
    pytest.param(catalog_with("controls.0.severity", ...), "controls[0].severity", "required field is missing",
                 id="missing-severity"),
    pytest.param(catalog_with("controls.0.testing", ...), "controls[0].testing", "required field is missing",
                 id="missing-testing"),
    pytest.param(catalog_with("framework.id", ...), "framework.id", "required field is missing",
                 id="missing-framework-id"),
    pytest.param(catalog_with("framework", ...), "framework", "required field is missing", id="missing-framework"),
    pytest.param(catalog_with("controls.0.checks.0.evidence", "zone_inbound"), "controls[0].checks[0].evidence",
                 "must be a list", id="evidence-not-a-list"),
])
def test_catalog_errors_name_the_key(document: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidObject) as raised:
        parse_catalog(document)
    assert raised.value.field == field
    assert message in raised.value.detail


# --- evaluate_controls on a small cluster ---------------------------------------------------------
#
# payments (cde) runs the payments API, which admits every namespace on 8443 (too wide: marketing
# reaches it); checkout (connected) and marketing (out of scope) have no policies.

OBJECTS = (
    namespace("payments", **{"pci-zone": "cde"}),
    namespace("checkout", **{"pci-zone": "connected"}),
    namespace("marketing"),
    pod("payments/api", {"app": "payments-api"}, ports=(("https", 8443),)),
    pod("checkout/web", {"app": "checkout-web"}),
    pod("marketing/newsletter", {"app": "newsletter"}),
    policy("payments/default-deny", {"policyTypes": ["Ingress", "Egress"]}),
    policy("payments/api-ingress", {"podSelector": {"matchLabels": {"app": "payments-api"}},
                                    "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 8443}]}]}),
)
CILIUM = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy",  # a host policy: not modelled
          "metadata": {"name": "nodes"}, "spec": {"nodeSelector": {}, "ingress": [{"fromEntities": ["cluster"]}]}}
INBOUND = CheckReference("segmentation.inbound_restricted", {"zones": ["cde"]}, ("zone_inbound",))
ISOLATED = CheckReference("workload.isolated", {"zones": ["connected", "out-of-scope"]}, ("workload_isolation",))
HOST_NETWORK = CheckReference("workload.host_network", {"zones": ["cde"]}, ("host_network_pods",))
CHANGES = CheckReference("change.approved", {}, ("changes",))
DANGLING = CheckReference("policy.dangling_selectors", {}, ("dangling_selectors",))
MARKETING_TO_API = "marketing/newsletter[Pod] -> payments/api[Pod]"


def scope_with(exceptions: list[dict[str, Any]] = ()) -> Scope:
    """The shared case scope with these exceptions."""
    document = yaml.safe_load(SHARED_SCOPE.read_text(encoding="utf-8"))
    document["exceptions"] = [{"justification": "Accepted risk", "approver": "Jane Doe (CISO)", **e}
                              for e in exceptions]
    return parse_scope(yaml.safe_dump(document), "scope.yaml")


def context(snapshot: Snapshot | None = None, scope: Scope | None = None, today: datetime.date = TODAY
            ) -> AssessedSystem:
    """A AssessedSystem on the small cluster."""
    return AssessedSystem(snapshot or cluster(*OBJECTS), scope or scope_with(), AnalysisOptions(), today)


def control(control_id: str, *checks: CheckReference, manual: str = "") -> Control:
    """A control running these checks."""
    return Control(control_id, f"Control {control_id}", "An objective.", "A testing procedure.", "high", checks,
                   manual_reason=manual)


def framework(*controls: Control, framework_id: str = "acme-1.0") -> Framework:
    """A framework of these controls."""
    return Framework(framework_id, "ACME", "1.0", "ACME baseline", "ACME Security", "", controls)


def by_id(assessment: Assessment) -> dict[str, ControlResult]:
    """Control results by `framework/control`."""
    return {result.reference: result for result in assessment.controls}


def test_the_small_cluster_has_the_findings_the_tests_rely_on() -> None:
    found = {r.check: (r.status, [f.object for f in r.findings])
             for r in (run_check(context(), ref) for ref in (INBOUND, ISOLATED, HOST_NETWORK, CHANGES))}
    assert found == {
        "segmentation.inbound_restricted": ("fail", [MARKETING_TO_API]),
        "workload.isolated": ("fail", ["checkout/web[Pod]", "marketing/newsletter[Pod]"]),
        "workload.host_network": ("pass", []),
        "change.approved": ("not_applicable", []),
    }


def counting(monkeypatch: pytest.MonkeyPatch, check_id: str) -> list[dict[str, Any]]:
    """Record the parameters of every call of a check."""
    calls: list[dict[str, Any]] = []
    spec = CHECKS[check_id]

    def wrapper(ctx: AssessedSystem, **params: Any) -> CheckResult:
        calls.append(params)
        return spec.function(ctx, **params)
    monkeypatch.setitem(CHECKS, check_id, dataclasses.replace(spec, function=wrapper))
    return calls


def test_a_check_shared_by_two_controls_runs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch, "segmentation.inbound_restricted")
    same = CheckReference(INBOUND.check, {"zones": ["cde"]}, ("zone_inbound",))
    assessment = evaluate_controls(context(), [framework(control("1.1", INBOUND), control("1.2", same)),
                                               framework(control("A.5", INBOUND), framework_id="other-2.0")])
    assert calls == [{"zones": ["cde"]}]
    results = by_id(assessment)
    assert results["acme-1.0/1.1"].results[0] is results["acme-1.0/1.2"].results[0]
    assert results["acme-1.0/1.1"].results[0] is results["other-2.0/A.5"].results[0]
    assert [r.check for r in assessment.checks] == ["segmentation.inbound_restricted"]


def test_the_same_check_with_other_parameters_runs_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch, "segmentation.inbound_restricted")
    wider = CheckReference(INBOUND.check, {"zones": ["cde", "connected"]}, ("zone_inbound",))
    assessment = evaluate_controls(context(), [framework(control("1.1", INBOUND), control("1.2", wider))])
    assert sorted(call["zones"] for call in calls) == [["cde"], ["cde", "connected"]]
    assert sorted(r.params["zones"] for r in assessment.checks) == [["cde"], ["cde", "connected"]]


def test_a_control_without_checks_is_manual() -> None:
    assessment = evaluate_controls(context(), [framework(control("12.1", manual="Diagrams live outside."))])
    (result,) = assessment.controls
    assert (result.status, result.summary, result.results) == ("manual", "Diagrams live outside.", ())
    assert assessment.counts("acme-1.0")["manual"] == 1


@pytest.mark.parametrize(("statuses", "expected"), [
    pytest.param(["pass", "fail"], "fail", id="fail-beats-pass"),
    pytest.param(["warning", "pass"], "warning", id="warning-beats-pass"),
    pytest.param(["fail", "error"], "error", id="error-beats-fail"),
    pytest.param(["fail", "warning"], "fail", id="fail-beats-warning"),
    pytest.param(["manual", "pass"], "manual", id="manual-beats-pass"),
    pytest.param(["excepted", "pass"], "excepted", id="excepted-beats-pass"),
    pytest.param(["pass", "not_applicable"], "pass", id="not-applicable-does-not-hide-a-pass"),
    pytest.param(["not_applicable", "not_applicable"], "not_applicable", id="all-not-applicable"),
])
def test_worst_status(statuses: list[str], expected: str) -> None:
    assert control_status([CheckResult("x.y", Status(status), "s.") for status in statuses]) == expected


def test_statuses_are_ranked_worst_first_and_written_as_their_values() -> None:
    assert [status.rank for status in STATUS_ORDER] == list(range(len(Status)))
    assert STATUS_ORDER[0] is Status.ERROR and STATUS_ORDER[-1] is Status.NOT_APPLICABLE
    assert (str(Status.NOT_APPLICABLE), f"{Status.PASS}", Status.NOT_APPLICABLE.label) == (
        "not_applicable", "pass", "Not applicable")
    assert json.dumps({"status": Status.FAIL}) == '{"status": "fail"}' and Status.FAIL == "fail"


def test_control_status_is_the_worst_of_its_checks() -> None:
    assessment = evaluate_controls(context(), [framework(
        control("1", HOST_NETWORK, INBOUND), control("2", HOST_NETWORK, CHANGES), control("3", CHANGES),
        control("4", HOST_NETWORK, DANGLING))])
    results = by_id(assessment)
    assert {key: r.status for key, r in results.items()} == {
        "acme-1.0/1": "fail", "acme-1.0/2": "pass", "acme-1.0/3": "not_applicable", "acme-1.0/4": "pass"}
    assert results["acme-1.0/1"].summary == "1 of 2 connections into cde is not covered by an approved flow."
    assert assessment.counts("acme-1.0") == {"error": 0, "fail": 1, "warning": 0, "manual": 0, "excepted": 0,
                                             "pass": 2, "not_applicable": 1}


# --- exceptions -----------------------------------------------------------------------------------


def exception_run(*exceptions: dict[str, Any], today: datetime.date = TODAY) -> Assessment:
    """Evaluate inbound (control 1.1) and isolation (control 1.2) with these scope exceptions."""
    return evaluate_controls(context(scope=scope_with(list(exceptions)), today=today),
                             [framework(control("1.1", INBOUND), control("1.2", ISOLATED))])


def test_an_active_exception_covering_every_finding_makes_the_control_excepted() -> None:
    assessment = exception_run({"control": "acme-1.0/1.1", "target": "marketing/*", "expires": "2026-12-31"})
    result = by_id(assessment)["acme-1.0/1.1"]
    assert result.status == "excepted"
    assert result.results[0].findings == ()
    assert result.results[0].summary.endswith("All findings are covered by exceptions.")
    assert [(finding.object, exception.target) for finding, exception in result.excepted] == [
        (MARKETING_TO_API, "marketing/*")]
    assert [(use.state, use.findings) for use in assessment.exceptions] == [("applied", 1)]
    # The check's own result stays as it was: the exception is a decision about the control.
    assert [r.status for r in assessment.checks if r.check == INBOUND.check] == ["fail"]


def test_an_exception_applies_on_its_expiry_date() -> None:
    assessment = exception_run({"control": "acme-1.0/1.1", "target": "marketing/*", "expires": "2026-09-30"})
    assert by_id(assessment)["acme-1.0/1.1"].status == "excepted"
    assert [use.state for use in assessment.exceptions] == ["applied"]


def test_an_expired_exception_does_not_apply() -> None:
    assessment = exception_run({"control": "acme-1.0/1.1", "target": "marketing/*", "expires": "2026-09-29"})
    result = by_id(assessment)["acme-1.0/1.1"]
    assert (result.status, result.excepted) == ("fail", ())
    assert [f.object for f in result.results[0].findings] == [MARKETING_TO_API]
    assert [(use.state, use.findings) for use in assessment.exceptions] == [("expired", 0)]


def test_an_exception_that_covers_nothing_is_unused() -> None:
    assessment = exception_run({"control": "acme-1.0/1.1", "target": "analytics/*"},
                               {"control": "policy.redundant_rules", "target": "*"})
    assert by_id(assessment)["acme-1.0/1.1"].status == "fail"
    assert [(use.exception.control, use.state, use.findings) for use in assessment.exceptions] == [
        ("acme-1.0/1.1", "unused", 0), ("policy.redundant_rules", "unused", 0)]


def test_an_exception_covering_some_findings_leaves_the_control_failing() -> None:
    assessment = exception_run({"control": "workload.isolated", "target": "marketing/*"})
    result = by_id(assessment)["acme-1.0/1.2"]
    assert result.status == "fail"
    assert [f.object for f in result.results[0].findings] == ["checkout/web[Pod]"]
    assert [finding.object for finding, _ in result.excepted] == ["marketing/newsletter[Pod]"]
    assert [use.state for use in assessment.exceptions] == ["applied"]


def test_a_control_exception_does_not_apply_to_another_control_sharing_the_check() -> None:
    assessment = evaluate_controls(
        context(scope=scope_with([{"control": "acme-1.0/1.1", "target": "*"}])),
        [framework(control("1.1", INBOUND), control("1.2", INBOUND))])
    results = by_id(assessment)
    assert (results["acme-1.0/1.1"].status, results["acme-1.0/1.2"].status) == ("excepted", "fail")


def test_a_check_exception_applies_to_every_control_using_the_check() -> None:
    assessment = evaluate_controls(
        context(scope=scope_with([{"control": INBOUND.check, "target": "marketing/*"}])),
        [framework(control("1.1", INBOUND), control("1.2", INBOUND)),
         framework(control("A.5", INBOUND), framework_id="other-2.0")])
    assert {r.status for r in assessment.controls} == {"excepted"}
    assert [use.state for use in assessment.exceptions] == ["applied"]


def test_the_first_matching_exception_takes_the_finding() -> None:
    assessment = exception_run({"control": "workload.isolated", "target": "*/newsletter*"},
                               {"control": "workload.isolated", "target": "marketing/*"})
    assert [use.state for use in assessment.exceptions] == ["applied", "unused"]


def test_exceptions_do_not_touch_passing_or_not_applicable_checks() -> None:
    assessment = evaluate_controls(context(scope=scope_with([{"control": "acme-1.0/9", "target": "*"}])),
                                   [framework(control("9", HOST_NETWORK, CHANGES))])
    assert [r.status for r in assessment.controls] == ["pass"]
    assert [use.state for use in assessment.exceptions] == ["unused"]


# --- analysis that cannot be complete -------------------------------------------------------------

REACHABILITY_PARAMS = {"segmentation.zones_isolated": {"from": ["out-of-scope"], "to": ["cde"]}}


@pytest.mark.parametrize("check_id", sorted(c for c, spec in CHECKS.items() if spec.reachability))
def test_reachability_checks_cannot_pass_with_unmodelled_policies(check_id: str) -> None:
    incomplete = context(cluster(*OBJECTS, CILIUM))
    assert incomplete.snapshot.unmodelled == {"CiliumClusterwideNetworkPolicy host policies": 1}
    reference = CheckReference(check_id, REACHABILITY_PARAMS.get(check_id, {}), CHECKS[check_id].evidence)
    result = run_check(incomplete, reference)
    assert (result.status, result.findings) == ("error", ())
    assert "CiliumClusterwideNetworkPolicy host policies" in result.summary
    assert run_check(context(), reference).status != "error", "the same check decides on the complete cluster"


def test_an_incomplete_analysis_makes_controls_error_but_other_checks_still_run() -> None:
    assessment = evaluate_controls(context(cluster(*OBJECTS, CILIUM)), [framework(
        control("1", INBOUND, HOST_NETWORK), control("2", HOST_NETWORK), control("3", CheckReference(
            "analysis.complete", {}, ())))])
    assert {key: r.status for key, r in by_id(assessment).items()} == {
        "acme-1.0/1": "error", "acme-1.0/2": "pass", "acme-1.0/3": "fail"}


def test_an_unknown_zone_parameter_is_an_error_not_a_crash() -> None:
    bad = CheckReference("policy.default_deny_ingress", {"zones": ["dmz"]}, ())
    (result,) = evaluate_controls(context(), [framework(control("1", bad))]).controls
    assert result.status == "error"
    assert "'dmz'" in result.summary


# --- the command line -----------------------------------------------------------------------------


def evaluate(*extra: str) -> Any:
    """`segproof evaluate` on the sample cluster and scope."""
    return CliRunner().invoke(main, ["evaluate", "--manifests", str(ROOT / "samples" / "cluster"), "--scope",
                                     str(ROOT / "samples" / "scope.yaml"), "--now", NOW, "--quiet", *extra])


def shipped_framework() -> str:
    """A shipped catalog's framework id; skip while none exists yet."""
    files = catalog_files()
    if not files:
        pytest.skip("no catalog in controls/ yet")
    return sorted(files)[0]


def test_cli_evaluate_json_with_a_shipped_catalog() -> None:
    framework_id = shipped_framework()
    outcome = evaluate("--framework", framework_id, "-o", "json")
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.output)
    assert document["format"] == "segproof.assessment/v1"
    assert (document["organization"], document["evaluated_at"]) == ("ACME Payments Ltd", NOW)
    assert [f["id"] for f in document["frameworks"]] == [framework_id]
    assert document["controls"] and {c["framework"] for c in document["controls"]} == {framework_id}


def test_cli_fail_on_fail_exits_1_on_the_sample() -> None:
    framework_id = shipped_framework()
    assert evaluate("--framework", framework_id, "--fail-on", "fail").exit_code == 1


TEST_CATALOG = {
    "framework": {"id": "segproof-test-1.0", "name": "segproof test", "version": "1.0",
                  "title": "A catalog for the CLI tests"},
    "controls": [
        {"id": "1", "title": "Inbound to the CDE", "objective": "o", "testing": "t", "severity": "high",
         "checks": [{"check": "segmentation.inbound_restricted", "params": {"zones": ["cde"]}}]},
        {"id": "2", "title": "Host network", "objective": "o", "testing": "t", "severity": "medium",
         "checks": [{"check": "workload.host_network", "params": {"zones": ["connected"]}}]},
        {"id": "3", "title": "Diagrams", "objective": "o", "testing": "t", "severity": "low",
         "manual": {"reason": "Diagrams live outside the cluster.", "request": ["Network diagram"]}},
    ],
}


@pytest.fixture
def test_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, Any]], str]:
    """Serve catalogs from a temporary directory instead of controls/."""
    monkeypatch.setattr(controls_module, "catalog_files",
                        lambda: {p.stem: p for p in sorted(tmp_path.glob("*.yaml"))})

    def write(document: dict[str, Any]) -> str:
        framework_id = document["framework"]["id"]
        (tmp_path / f"{framework_id}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
        return framework_id
    return write


def test_cli_evaluate_json_with_a_test_catalog(test_catalog: Callable[[dict[str, Any]], str]) -> None:
    framework_id = test_catalog(TEST_CATALOG)
    outcome = evaluate("--framework", framework_id, "-o", "json")
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.output)
    assert document["format"] == "segproof.assessment/v1"
    assert document["period"] == {"start": "2026-01-01", "end": "2026-03-31"}
    (found,) = document["frameworks"]
    assert found["id"] == framework_id
    statuses = {c["id"]: c["status"] for c in document["controls"]}
    assert statuses == {"1": "fail", "2": "fail", "3": "manual"}
    host = next(c for c in document["controls"] if c["id"] == "2")
    assert host["checks"][0]["id"] == "workload.host_network"
    # node-exporter is excepted until 2026-12-31; calico-node is not.
    assert [e["object"] for e in host["excepted"]] == ["monitoring/node-exporter[DaemonSet]"]
    assert [f["object"] for f in host["checks"][0]["findings"]] == ["kube-system/calico-node[DaemonSet]"]
    assert [(e["control"], e["state"]) for e in document["exceptions"]] == [
        ("workload.host_network", "applied"), ("pci-dss-4.0.1/1.4.1", "expired")]


@pytest.mark.parametrize(("fail_on", "code"), [("fail", 1), ("warning", 1), ("never", 0)])
def test_cli_fail_on(test_catalog: Callable[[dict[str, Any]], str], fail_on: str, code: int) -> None:
    framework_id = test_catalog(TEST_CATALOG)
    assert evaluate("--framework", framework_id, "--fail-on", fail_on).exit_code == code


def test_cli_fail_on_fail_passes_a_manual_only_catalog(test_catalog: Callable[[dict[str, Any]], str]) -> None:
    manual_only = {**TEST_CATALOG, "framework": {**TEST_CATALOG["framework"], "id": "manual-1.0"},
                   "controls": [TEST_CATALOG["controls"][2]]}
    outcome = evaluate("--framework", test_catalog(manual_only), "--fail-on", "fail")
    assert outcome.exit_code == 0, outcome.output


def test_cli_unknown_framework_is_bad_usage(test_catalog: Callable[[dict[str, Any]], str]) -> None:
    test_catalog(TEST_CATALOG)
    outcome = evaluate("--framework", "pci-dss-9.9")
    assert outcome.exit_code == 2
    assert "unknown framework 'pci-dss-9.9'" in outcome.output
    assert "segproof-test-1.0" in outcome.output


def test_cli_invalid_scope_names_the_key(tmp_path: Path) -> None:
    scope = tmp_path / "scope.yaml"
    scope.write_text((ROOT / "samples" / "scope.yaml").read_text(encoding="utf-8").replace(
        "defaultZone: out-of-scope", "defaultZone: out-of-scope\nowner: platform"), encoding="utf-8")
    outcome = CliRunner().invoke(main, ["evaluate", "--manifests", str(ROOT / "samples" / "cluster"), "--scope",
                                        str(scope), "--now", NOW, "--quiet"])
    assert outcome.exit_code == 2
    assert f"segproof: error: {scope}: owner: unknown key" in outcome.output
