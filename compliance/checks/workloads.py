"""Workload checks: pods no policy isolates, and pods outside policy control (hostNetwork)."""

from __future__ import annotations

from collections.abc import Sequence

from compliance.checks.context import CheckContext
from compliance.checks.registry import CheckParameterError, CheckResult, EvidenceTable, Finding, check, result
from compliance.checks.segmentation import zone_list
from compliance.netpol import bitsets

DIRECTIONS = ("ingress", "egress")


@check("workload.isolated", "Every workload in the zones is selected by a policy for each direction",
       params=("zones", "directions"), evidence=("workload_isolation",))
def workload_isolated(context: CheckContext, zones: Sequence[str] | None = None,
                      directions: Sequence[str] = ("ingress",)) -> CheckResult:
    """Workloads that no policy isolates accept (or send) traffic from (to) anyone."""
    unknown = [d for d in directions if d not in DIRECTIONS]
    if unknown:
        raise CheckParameterError(f"parameter directions: {unknown[0]!r} is not ingress or egress")
    wanted = set(zone_list(context, zones))
    reach = context.reach
    isolated = {"ingress": reach.isolated_ingress, "egress": reach.isolated_egress}
    status: dict[str, dict[str, bool]] = {}
    for pod_class, zone in zip(reach.classes, context.zoning.classes, strict=True):
        if zone not in wanted:
            continue
        for workload in context.workloads_of_class[pod_class.index]:
            flags = status.setdefault(workload, {d: True for d in DIRECTIONS})
            for direction in DIRECTIONS:
                flags[direction] &= bitsets.has(isolated[direction], pod_class.index)
    findings = [Finding(workload, f"{workload} ({context.workload_zones[workload]}) is not isolated for "
                        f"{direction}: no NetworkPolicy selects it", "high")
                for workload, flags in status.items() for direction in directions if not flags[direction]]
    rows = tuple((workload, context.workload_zones[workload], *("yes" if flags[d] else "no" for d in DIRECTIONS))
                 for workload, flags in sorted(status.items()))
    table = EvidenceTable("workload_isolation", "Isolation of each workload", ("workload", "zone",
                                                                               "ingress_isolated",
                                                                               "egress_isolated"), rows)
    return result("workload.isolated", findings, f"All {len(rows)} workloads are isolated for "
                  f"{' and '.join(directions)}.", "{count} workload directions are not isolated by any policy.",
                  (table,))


@check("workload.host_network", "No workload in the zones uses the host network (outside policy control)",
       params=("zones",), evidence=("host_network_pods",), reachability=False)
def host_network(context: CheckContext, zones: Sequence[str] | None = None) -> CheckResult:
    """hostNetwork pods share the node's network: NetworkPolicies do not reliably constrain them."""
    wanted = set(zone_list(context, zones))
    rows, findings = [], []
    for pod in context.snapshot.pods:
        zone = context.workload_zones.get(pod.workload.display)
        if pod.host_network and zone in wanted:
            rows.append((pod.display, pod.workload.display, zone))
    for workload in sorted({row[1] for row in rows}):
        findings.append(Finding(workload, f"{workload} runs with hostNetwork: its traffic is outside "
                                "NetworkPolicy control", "high"))
    table = EvidenceTable("host_network_pods", "Pods on the host network", ("pod", "workload", "zone"),
                          tuple(sorted(rows)))
    return result("workload.host_network", findings, "No workload in scope uses the host network.",
                  "{count} workloads use the host network, outside policy control.", (table,))
