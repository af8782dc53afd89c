"""Cluster checks: whether the analysis is complete, and whether a policy-enforcing CNI runs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from compliance.analysis.system import AssessedSystem
from compliance.checks.registry import CheckResult, EvidenceTable, Finding, check
from compliance.model.status import Status
from compliance.wording import agreeing, counted

# Network plugins by the workload names they run under, and whether they enforce NetworkPolicies: "yes", "no", or
# what the enforcement depends on (the plugin's configuration, which the snapshot does not hold).
PLUGINS = {
    "Antrea": (r"antrea-agent", "yes"),
    "AWS VPC CNI": (r"aws-node", "only when its network policy agent is enabled (enable-network-policy)"),
    "Azure NPM": (r"azure-npm", "yes"),
    "Calico": (r"calico-node|calico-typha", "yes"),
    "Canal": (r"canal", "yes"),
    "Cilium": (r"cilium(-agent)?", "yes"),
    "Flannel": (r"(kube-)?flannel(-ds)?", "no"),
    "GKE Dataplane V2": (r"anetd", "yes"),
    "kindnet": (r"kindnet", "no"),
    "Kube-OVN": (r"kube-ovn-cni", "yes"),
    "kube-router": (r"kube-router", "yes"),
    "OVN-Kubernetes": (r"ovnkube-node", "yes"),
    "Weave Net": (r"weave-net", "yes"),
}
PLUGIN_NAMES = {plugin: re.compile(rf"(?:{pattern})(?:-[0-9a-f]{{5,10}})?") for plugin, (pattern, _) in PLUGINS.items()}


def detected(workloads: Sequence[str]) -> dict[str, list[str]]:
    """Plugins among `workloads` (a name, optionally with a ReplicaSet hash), each with its workloads in that order."""
    found: dict[str, list[str]] = {}
    for workload in workloads:
        name = workload.split("/", 1)[1].split("[", 1)[0]
        for plugin, pattern in PLUGIN_NAMES.items():
            if pattern.fullmatch(name):
                found.setdefault(plugin, []).append(workload)
    return found


@check("cluster.cni_enforces_policies", "A network plugin that enforces NetworkPolicies runs in the cluster",
       evidence=("network_plugins",), reachability=False)
def cni_enforces_policies(system: AssessedSystem) -> CheckResult:
    """NetworkPolicies are only as good as the plugin enforcing them; detected from its workloads."""
    found = detected(sorted({pod.workload.display for pod in system.snapshot.pods}))
    rows = tuple((plugin, PLUGINS[plugin][1], ", ".join(workloads)) for plugin, workloads in sorted(found.items()))
    table = (EvidenceTable("network_plugins", "Network plugins detected", ("plugin", "enforces_policies",
                                                                             "workloads"), rows),)
    check_id = "cluster.cni_enforces_policies"
    enforcing = sorted(plugin for plugin in found if PLUGINS[plugin][1] == "yes")
    configurable = sorted(plugin for plugin in found if PLUGINS[plugin][1] not in ("yes", "no"))
    if enforcing:
        return CheckResult(check_id, Status.PASS, f"{', '.join(enforcing)} enforces NetworkPolicies.", (), table)
    if configurable:
        return CheckResult(check_id, Status.MANUAL, "; ".join(f"{plugin} enforces NetworkPolicies {PLUGINS[plugin][1]}"
                                                         for plugin in configurable)
                           + ": obtain its configuration from the platform team.", (), table)
    if found:
        plugins = ", ".join(sorted(found))
        return CheckResult(check_id, Status.FAIL, f"Only {plugins} was found, which does not enforce NetworkPolicies.",
                           (Finding("cluster", f"{plugins} does not enforce NetworkPolicies", "critical"),), table)
    where = "among the workloads" if system.snapshot.pods else "(the input holds no pod to detect it from)"
    return CheckResult(check_id, Status.MANUAL, f"No known network plugin was found {where}; obtain the plugin and its "
                       "policy enforcement from the platform team.", (), table)


@check("analysis.complete", "Every policy kind in the cluster is modelled by the analysis", reachability=False)
def analysis_complete(system: AssessedSystem) -> CheckResult:
    """Policy kinds segproof does not model (Calico, Cilium, cluster policies at other versions) change reachability
    beyond what the analysis covers."""
    unmodelled = system.snapshot.unmodelled
    if not unmodelled:
        # Complete even without policies (everything is open, and the analysis says so), but not in those words.
        snapshot = system.snapshot
        named = [kind for kind, present in (("NetworkPolicy v1", True), ("cluster policy", snapshot.cluster_policies),
                                            ("Cilium policy", snapshot.cilium_policies)) if present]
        kinds = " and ".join((", ".join(named[:-1]), named[-1])) if len(named) > 1 else named[0]
        summary = (f"Only {kinds} objects restrict traffic; the reachability analysis covers them all."
                   if system.snapshot.all_policies else "No policy object restricts traffic: every connection is "
                   "open, as the reachability analysis shows.")
        return CheckResult("analysis.complete", Status.PASS, summary)
    unknown = "an unknown number of objects"
    findings = tuple(Finding(kind, f"{kind}: {unknown if count is None else counted(count, 'object')} not modelled",
                             "high") for kind, count in sorted(unmodelled.items()))
    kinds = agreeing(len(findings), "{count} policy kind is", "{count} policy kinds are")
    return CheckResult("analysis.complete", Status.FAIL, f"{kinds} not modelled; reachability-based results cannot be "
                       "relied on.", findings)
