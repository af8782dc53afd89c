"""Control catalogs (controls/*.yaml) and their evaluation into an Assessment.

A catalog maps a framework's requirements to checks with parameters. Each distinct (check,
parameters) runs once; its result serves every control that uses it. Exceptions from the scope
apply to findings; a control with no check is `manual`, never absent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compliance.analysis.system import AssessedSystem
from compliance.checks import CHECKS
from compliance.checks.registry import SEVERITIES, CheckParameterError, CheckResult, Finding, NothingToExamine
from compliance.documents import list_at, mapping_at, only_keys, string_at, yaml_problem
from compliance.errors import CatalogError, InvalidObject, InvalidValue
from compliance.model.status import STATUS_ORDER, Status
from compliance.model.unmodelled import describe_unmodelled
from compliance.resources import resource_dir
from compliance.scope import ScopeException

FRAMEWORK_KEYS = {"id", "name", "version", "title", "publisher", "note"}
CONTROL_KEYS = {"id", "title", "objective", "testing", "severity", "checks", "manual"}
CHECK_KEYS = {"check", "params", "evidence"}
MANUAL_KEYS = {"reason", "request"}


@dataclass(frozen=True)
class CheckReference:
    """A check a control runs, with its parameters and the evidence tables it contributes."""

    check: str
    params: Mapping[str, Any]
    evidence: tuple[str, ...]

    @property
    def key(self) -> str:
        """The check with its parameters, canonically: checks with the same key run once."""
        return f"{self.check} {json.dumps(self.params, sort_keys=True)}"


@dataclass(frozen=True)
class Control:
    """One requirement: what it asks (in our words), how an assessor tests it, and the checks that decide it."""

    id: str
    title: str
    objective: str
    testing: str
    severity: str
    checks: tuple[CheckReference, ...]
    manual_reason: str = ""
    manual_requests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framework:
    """A catalog: a framework version and its controls."""

    id: str
    name: str
    version: str
    title: str
    publisher: str
    note: str
    controls: tuple[Control, ...]


@dataclass(frozen=True)
class ControlResult:
    """A control's status, from its checks' results after exceptions."""

    framework: str
    control: Control
    status: Status
    summary: str
    results: tuple[CheckResult, ...]
    excepted: tuple[tuple[Finding, ScopeException], ...] = ()

    @property
    def reference(self) -> str:
        """`pci-dss-4.0.1/1.3.1`, how exceptions name the control."""
        return f"{self.framework}/{self.control.id}"


@dataclass(frozen=True)
class ExceptionUse:
    """How an exception of the scope was used: active and applied, active but unused, or expired."""

    exception: ScopeException
    state: str
    findings: int


@dataclass(frozen=True)
class Assessment:
    """Every framework's control results, the check results behind them, and the exceptions' use."""

    frameworks: tuple[Framework, ...]
    controls: tuple[ControlResult, ...]
    checks: tuple[CheckResult, ...]
    exceptions: tuple[ExceptionUse, ...]

    def counts(self, framework: str) -> dict[Status, int]:
        """Number of controls per status for one framework."""
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for result in self.controls:
            if result.framework == framework:
                counts[result.status] += 1
        return counts


def parse_check_reference(value: Any, field: str) -> CheckReference:
    """One entry of a control's checks."""
    entry = mapping_at(value, field)
    only_keys(entry, CHECK_KEYS, field)
    check_id = string_at(entry.get("check"), f"{field}.check", required=True)
    if check_id not in CHECKS:
        raise InvalidObject(f"{field}.check", f"unknown check {check_id!r}")
    params = dict(mapping_at(entry.get("params"), f"{field}.params"))
    unknown = [p for p in params if p not in CHECKS[check_id].params]
    if unknown:
        raise InvalidObject(f"{field}.params.{unknown[0]}", f"check {check_id} takes no parameter {unknown[0]!r}")
    evidence = tuple(string_at(e, f"{field}.evidence[{i}]", required=True)
                     for i, e in enumerate(list_at(entry.get("evidence"), f"{field}.evidence")))
    return CheckReference(check_id, params, evidence)


def parse_control(value: Any, field: str) -> Control:
    """One control of a catalog."""
    control = mapping_at(value, field)
    only_keys(control, CONTROL_KEYS, field)
    severity = string_at(control.get("severity"), f"{field}.severity", required=True)
    if severity not in SEVERITIES:
        raise InvalidObject(f"{field}.severity", f"must be one of {', '.join(SEVERITIES)}")
    checks = tuple(parse_check_reference(c, f"{field}.checks[{i}]")
                   for i, c in enumerate(list_at(control.get("checks"), f"{field}.checks")))
    manual = mapping_at(control.get("manual"), f"{field}.manual")
    only_keys(manual, MANUAL_KEYS, f"{field}.manual")
    if not checks and not manual.get("reason"):
        raise InvalidObject(f"{field}.manual.reason", "a control without checks must say why it is manual")
    return Control(
        id=str(control.get("id") or ""),
        title=string_at(control.get("title"), f"{field}.title", required=True),
        objective=string_at(control.get("objective"), f"{field}.objective", required=True),
        testing=string_at(control.get("testing"), f"{field}.testing", required=True),
        severity=severity,
        checks=checks,
        manual_reason=string_at(manual.get("reason"), f"{field}.manual.reason"),
        manual_requests=tuple(string_at(r, f"{field}.manual.request[{i}]", required=True)
                              for i, r in enumerate(list_at(manual.get("request"), f"{field}.manual.request"))),
    )


def parse_catalog(document: Any) -> Framework:
    """A Framework from a parsed catalog document."""
    top = mapping_at(document, "", required=True)
    only_keys(top, {"framework", "controls"}, "")
    framework = mapping_at(top.get("framework"), "framework", required=True)
    only_keys(framework, FRAMEWORK_KEYS, "framework")
    controls = tuple(parse_control(c, f"controls[{i}]")
                     for i, c in enumerate(list_at(top.get("controls"), "controls")))
    ids = [c.id for c in controls]
    duplicate = next((i for i in ids if ids.count(i) > 1 or not i), None)
    if duplicate is not None:
        raise InvalidObject("controls", f"control id {duplicate!r} is missing or repeated")
    return Framework(
        id=string_at(framework.get("id"), "framework.id", required=True),
        name=string_at(framework.get("name"), "framework.name", required=True),
        version=str(framework.get("version") or ""),
        title=string_at(framework.get("title"), "framework.title", required=True),
        publisher=string_at(framework.get("publisher"), "framework.publisher"),
        note=string_at(framework.get("note"), "framework.note"),
        controls=controls,
    )


def catalog_files() -> dict[str, Path]:
    """Catalog files by framework id (the file name without .yaml)."""
    return {path.stem: path for path in sorted(resource_dir("controls").glob("*.yaml"))}


def load_framework(framework_id: str) -> Framework:
    """The catalog of one framework, e.g. `pci-dss-4.0.1` (or `pci-dss` when one version is shipped)."""
    files = catalog_files()
    versions = [name for name in files if name.startswith(f"{framework_id}-")]
    if framework_id not in files and len(versions) == 1:
        framework_id = versions[0]
    if framework_id not in files:
        raise InvalidValue(f"unknown framework {framework_id!r}", hint=f"available: {', '.join(files)}")
    path = files[framework_id]
    try:
        framework = parse_catalog(yaml.safe_load(path.read_text(encoding="utf-8")))
    except InvalidObject as problem:
        raise CatalogError(str(path), problem.field, problem.detail) from None
    except yaml.YAMLError as error:
        raise CatalogError(str(path), "", yaml_problem(error)) from None
    if framework.id != framework_id:
        raise CatalogError(str(path), "framework.id", f"{framework.id!r} does not match the file name")
    return framework


def run_check(system: AssessedSystem, reference: CheckReference) -> CheckResult:
    """One check's result; it cannot pass when the analysis is incomplete, its parameters do not fit or it found
    nothing to examine."""
    spec = CHECKS[reference.check]
    if spec.reachability and not system.complete:
        return CheckResult(spec.id, Status.ERROR, f"Cannot decide: the cluster also has "
                           f"{describe_unmodelled(system.snapshot.unmodelled)}, which change reachability and are "
                           "not modelled.", params=reference.params)
    try:
        outcome = spec.function(system, **reference.params)
    except CheckParameterError as error:
        return CheckResult(spec.id, Status.ERROR, f"Cannot decide: {error}.", params=reference.params)
    except NothingToExamine as nothing:
        return CheckResult(spec.id, nothing.status, nothing.summary, params=reference.params)
    return CheckResult(outcome.check, outcome.status, outcome.summary, outcome.findings, outcome.evidence,
                       reference.params)


def apply_exceptions(result: CheckResult, identifiers: Sequence[str], exceptions: Sequence[ScopeException],
                     system: AssessedSystem, used: dict[int, set[tuple[str, str, Finding]]]
                     ) -> tuple[CheckResult, list[tuple[Finding, ScopeException]]]:
    """The result with findings covered by active exceptions set aside; all-excepted failures become excepted.

    `used` collects, per exception, the distinct (check, finding) pairs it covered.
    """
    excepted, remaining = [], []
    for finding in result.findings:
        index = next((i for i, e in enumerate(exceptions)
                      if e.active(system.today) and e.covers(identifiers, finding.object)), None)
        if index is None:
            remaining.append(finding)
        else:
            excepted.append((finding, exceptions[index]))
            used.setdefault(index, set()).add((result.check, json.dumps(result.params, sort_keys=True), finding))
    if not excepted:
        return result, []
    status = (Status.EXCEPTED if not remaining and result.status in (Status.FAIL, Status.WARNING)
              else result.status)
    summary = (result.summary if status is not Status.EXCEPTED
               else f"{result.summary} All findings are covered by exceptions.")
    return CheckResult(result.check, status, summary, tuple(remaining), result.evidence, result.params), excepted


def control_status(results: Sequence[CheckResult]) -> Status:
    """The worst status among a control's checks (all not-applicable stays not applicable)."""
    return min((r.status for r in results), key=lambda status: status.rank)


def evaluate_controls(system: AssessedSystem, frameworks: Sequence[Framework]) -> Assessment:
    """Run every control of the frameworks against the system."""
    cache: dict[str, CheckResult] = {}
    exceptions = system.scope.exceptions
    used: dict[int, set[tuple[str, str, Finding]]] = {}
    controls = []
    for framework in frameworks:
        for control in framework.controls:
            if not control.checks:
                controls.append(ControlResult(framework.id, control, Status.MANUAL, control.manual_reason, ()))
                continue
            results, excepted = [], []
            for reference in control.checks:
                if reference.key not in cache:
                    cache[reference.key] = run_check(system, reference)
                adjusted, covered = apply_exceptions(cache[reference.key],
                                                     (f"{framework.id}/{control.id}", reference.check),
                                                     exceptions, system, used)
                results.append(adjusted)
                excepted += covered
            status = control_status(results)
            summary = " ".join(dict.fromkeys(r.summary for r in results if r.status == status))
            controls.append(ControlResult(framework.id, control, status, summary, tuple(results), tuple(excepted)))
    uses = tuple(ExceptionUse(exception, "expired" if not exception.active(system.today) else
                              "applied" if used.get(index) else "unused", len(used.get(index, ())))
                 for index, exception in enumerate(exceptions))
    checks = tuple(cache[key] for key in sorted(cache))
    return Assessment(tuple(frameworks), tuple(controls), checks, uses)
