"""Cluster checks: whether the analysis is complete, and whether a policy-enforcing CNI runs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from compliance.checks.context import CheckContext
from compliance.checks.registry import CheckResult, EvidenceTable, Finding, check

# Workload name patterns of network plugins, and whether they enforce NetworkPolicies.
ENFORCING = {
    "Calico": r"calico-node|calico-typha", "Cilium": r"cilium(-agent)?", "Antrea": r"antrea-agent",
    "Weave Net": r"weave-net", "kube-router": r"kube-router", "Canal": r"canal", "OVN-Kubernetes": r"ovnkube-node",
    "Kube-OVN": r"kube-ovn-cni", "Azure NPM": r"azure-npm", "AWS VPC CNI network policy agent":
    r"aws-network-policy-agent",
}
NOT_ENFORCING = {"Flannel": r"(kube-)?flannel(-ds)?", "AWS VPC CNI": r"aws-node", "kindnet": r"kindnet"}


def detected(workloads: Sequence[str], patterns: dict[str, str]) -> dict[str, list[str]]:
    """Plugins among `workloads` (a name, optionally with a ReplicaSet hash), each with its workloads in that order."""
    compiled = {plugin: re.compile(rf"(?:{pattern})(?:-[0-9a-f]{{5,10}})?") for plugin, pattern in patterns.items()}
    found: dict[str, list[str]] = {}
    for workload in workloads:
        name = workload.split("/", 1)[1].split("[", 1)[0]
        for plugin, pattern in compiled.items():
            if pattern.fullmatch(name):
                found.setdefault(plugin, []).append(workload)
    return found


@check("cluster.cni_enforces_policies", "A network plugin that enforces NetworkPolicies runs in the cluster",
       evidence=("network_plugins",), reachability=False)
def cni_enforces_policies(context: CheckContext) -> CheckResult:
    """NetworkPolicies are only as good as the plugin enforcing them; detected from its workloads."""
    workloads = sorted({pod.workload.display for pod in context.snapshot.pods})
    enforcing, other = detected(workloads, ENFORCING), detected(workloads, NOT_ENFORCING)
    rows = tuple((plugin, "yes", ", ".join(w)) for plugin, w in sorted(enforcing.items())) + tuple(
        (plugin, "no", ", ".join(w)) for plugin, w in sorted(other.items()))
    table = (EvidenceTable("network_plugins", "Network plugins detected", ("plugin", "enforces_policies",
                                                                             "workloads"), rows),)
    check_id = "cluster.cni_enforces_policies"
    if enforcing:
        return CheckResult(check_id, "pass", f"{', '.join(sorted(enforcing))} enforces NetworkPolicies.", (), table)
    if other:
        plugins = ", ".join(sorted(other))
        return CheckResult(check_id, "fail", f"Only {plugins} was found, which does not enforce NetworkPolicies.",
                           (Finding("cluster", f"{plugins} does not enforce NetworkPolicies", "critical"),), table)
    return CheckResult(check_id, "manual", "No known network plugin was found among the workloads; obtain the "
                       "plugin and its policy enforcement from the platform team.", (), table)


@check("analysis.complete", "Every policy kind in the cluster is modelled by the analysis", reachability=False)
def analysis_complete(context: CheckContext) -> CheckResult:
    """Other policy kinds (AdminNetworkPolicy, Calico, Cilium) change reachability beyond NetworkPolicies."""
    unmodelled = context.snapshot.unmodelled
    if not unmodelled:
        return CheckResult("analysis.complete", "pass", "Only NetworkPolicy v1 objects restrict traffic; the "
                           "reachability analysis covers them all.")
    findings = tuple(Finding(kind, f"{kind}: {'an unknown number' if count is None else count} object(s) not "
                             "modelled", "high") for kind, count in sorted(unmodelled.items()))
    return CheckResult("analysis.complete", "fail", f"{len(findings)} policy kinds are not modelled; "
                       "reachability-based results cannot be relied on.", findings)
