"""Check results and the registry of checks, each known by one id used everywhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compliance.model.status import Status
from compliance.wording import agreeing

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Finding:
    """One problem a check found, on one object (a workload, namespace, policy or address range)."""

    object: str
    message: str
    severity: str = "medium"


@dataclass(frozen=True)
class EvidenceTable:
    """Rows an auditor can sample, named so the report and the CSVs can refer to them."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: a status, a one-sentence summary, findings and evidence."""

    check: str
    status: Status
    summary: str
    findings: tuple[Finding, ...] = ()
    evidence: tuple[EvidenceTable, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its function, what it proves, and the parameters it accepts."""

    id: str
    function: Callable[..., CheckResult]
    title: str
    params: tuple[str, ...]
    evidence: tuple[str, ...]
    reachability: bool


CHECKS: dict[str, CheckSpec] = {}


class CheckParameterError(ValueError):
    """A check was given parameters that do not fit the scope (e.g. an unknown zone)."""


class NothingToExamine(Exception):
    """A check found nothing to examine, so it cannot pass; `status` and `summary` are what it reports instead.

    Not applicable when what it examines legitimately does not exist (no NetworkPolicy, no change in the period).
    """

    status = Status.NOT_APPLICABLE

    def __init__(self, summary: str) -> None:
        super().__init__(summary)
        self.summary = summary


class EmptyZones(NothingToExamine):
    """Every zone a check is asked about holds no workload: a scoping mistake (a selector or an input that matches
    nothing), so the check cannot decide."""

    status = Status.ERROR

    def __init__(self, zones: Sequence[str]) -> None:
        super().__init__(f"Cannot decide: {holding_no_workload(zones)}; check the scope's zone selectors and the "
                         "input.")
        self.zones = tuple(zones)


def holding_no_workload(zones: Sequence[str]) -> str:
    """`zone cde holds no workload`, or `zones cde, connected hold no workload`."""
    if len(zones) == 1:
        return f"zone {zones[0]} holds no workload"
    return f"zones {', '.join(zones)} hold no workload"


def check(check_id: str, title: str, params: tuple[str, ...] = (), evidence: tuple[str, ...] = (),
          reachability: bool = True) -> Callable[[Callable[..., CheckResult]], Callable[..., CheckResult]]:
    """Register a check function under `check_id`; it is called as function(system, **params).

    `reachability` marks checks whose verdict rests on reachability: they cannot decide (status error)
    while policy kinds that segproof does not model exist in the cluster.
    """
    def register(function: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
        if check_id in CHECKS:
            raise ValueError(f"check {check_id} is registered twice")
        CHECKS[check_id] = CheckSpec(check_id, function, title, params, evidence, reachability)
        return function
    return register


def object_message_rows(findings: list[Finding] | tuple[Finding, ...]) -> tuple[tuple[str, str], ...]:
    """Evidence rows (object, message) of findings, in the order `result` sorts them."""
    return tuple((f.object, f.message) for f in sorted(findings, key=lambda f: (f.object, f.message)))


def result(check_id: str, findings: list[Finding] | tuple[Finding, ...], passed: str, failed: str | tuple[str, str],
           evidence: tuple[EvidenceTable, ...] = (), failing_status: Status = Status.FAIL) -> CheckResult:
    """A pass/fail result: `failing_status` with `failed` (formatted with the `{count}` of findings; a pair is the
    singular and the plural form) when there are findings."""
    ordered = tuple(sorted(findings, key=lambda f: (f.object, f.message)))
    if ordered:
        one, many = (failed, failed) if isinstance(failed, str) else failed
        return CheckResult(check_id, failing_status, agreeing(len(ordered), one, many), ordered, evidence)
    return CheckResult(check_id, Status.PASS, passed, (), evidence)
