"""Report inputs built from the bundled sample cluster and scope, with a small PCI DSS catalog made in code."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import ipaddress
from collections.abc import Mapping
from typing import Any

from compliance.analysis.system import AssessedSystem
from compliance.controls import Framework, evaluate_controls, parse_catalog
from compliance.evidence.manifest import FileEntry
from compliance.model.cilium_policy import (
    CILIUM_CLUSTERWIDE_POLICY,
    CILIUM_NETWORK_POLICY,
    CIDRRule,
    CiliumPolicy,
    CiliumPort,
    CiliumRule,
    CiliumRuleSet,
    PortRule,
)
from compliance.model.selectors import LabelSelector
from compliance.model.snapshot import Snapshot
from compliance.netpol.options import AnalysisOptions
from compliance.report.inputs import ChangeRow, DriftRow, ReportInput
from compliance.resources import resource_dir
from compliance.scope import Scope, parse_scope
from compliance.sources.manifests import load_manifests
from tests.netpol.builders import admin, baseline, cluster, cluster_policy

NOW = "2026-09-30T12:00:00Z"
TODAY = datetime.date(2026, 9, 30)
PACK_ID = "2026-09-30T120000Z-acme-prod-eu-1"
HOSTILE_LABEL = "<script>alert(1)</script>"

CATALOG: dict[str, Any] = {
    "framework": {"id": "pci-dss-4.0.1", "name": "PCI DSS", "version": "4.0.1",
                  "title": "PCI DSS v4.0.1 (test catalog)", "publisher": "Test catalog",
                  "note": "Requirements paraphrased for tests."},
    "controls": [
        {"id": "1.3.1", "title": "Inbound traffic to the CDE is restricted", "severity": "critical",
         "objective": "Only necessary traffic reaches the CDE.", "testing": "Examine connections into the CDE.",
         "checks": [{"check": "segmentation.inbound_restricted", "params": {"zones": ["cde"]}},
                    {"check": "workload.isolated", "params": {"zones": ["cde"], "directions": ["ingress", "egress"]}}]},
        {"id": "1.3.2", "title": "Outbound traffic from the CDE is restricted", "severity": "critical",
         "objective": "The CDE sends only necessary traffic.", "testing": "Examine connections out of the CDE.",
         "checks": [{"check": "segmentation.outbound_restricted", "params": {"zones": ["cde"]}}]},
        {"id": "1.2.5", "title": "Open ports have a business need", "severity": "high",
         "objective": "Every open port into the CDE is justified.", "testing": "Compare ports with approvals.",
         "checks": [{"check": "segmentation.ports_documented", "params": {"zones": ["cde"]}}]},
        {"id": "1.4.4", "title": "Out-of-scope systems cannot reach the CDE", "severity": "critical",
         "objective": "Segmentation isolates the CDE.", "testing": "Confirm no path exists.",
         "checks": [{"check": "segmentation.zones_isolated", "params": {"from": ["out-of-scope"], "to": ["cde"]}},
                    {"check": "workload.host_network", "params": {"zones": ["*"]}}]},
        {"id": "1.2.1", "title": "Policy hygiene", "severity": "medium", "objective": "Policies are sound.",
         "testing": "Review the policies.",
         "checks": [{"check": "policy.namespace_has_policy", "params": {"zones": ["*"], "exclude": ["kube-system"]}},
                    {"check": "policy.default_deny_ingress", "params": {"zones": ["cde", "connected"]}},
                    {"check": "policy.default_deny_egress", "params": {"zones": ["cde", "connected"]}}]},
        {"id": "1.2.2", "title": "Changes are approved", "severity": "medium", "objective": "Change control.",
         "testing": "Sample changes.", "checks": [{"check": "change.approved"}]},
        {"id": "11.4.5", "title": "Segmentation is penetration tested", "severity": "high",
         "objective": "Segmentation is tested.", "testing": "Obtain the test report.",
         "manual": {"reason": "A penetration test cannot be derived from configuration.",
                    "request": ["Latest segmentation penetration test report"]}},
    ],
}


def framework() -> Framework:
    """The test catalog."""
    return parse_catalog(CATALOG)


def sample_snapshot() -> Snapshot:
    """The sample cluster, with a label an attacker controls on a CDE workload."""
    snapshot = load_manifests((str(resource_dir("samples") / "cluster"),), NOW)
    pods = tuple(dataclasses.replace(pod, labels=tuple(sorted((*pod.labels, ("note", HOSTILE_LABEL)))))
                 if pod.display == "payments/debug-shell" else pod for pod in snapshot.pods)
    return dataclasses.replace(snapshot, pods=pods)


def namespaces(**labels: str) -> dict[str, Any]:
    """A `namespaces` peer or subject matching labels."""
    return {"namespaces": {"matchLabels": labels}}


NAMED = "kubernetes.io/metadata.name"
CDE = namespaces(**{"pci-zone": "cde"})
# A CDE guardrail (only the connected and system zones, and the CDE itself, are handed on to NetworkPolicies),
# an Admin-tier allow of the metrics scrape, two Admin policies of one priority that disagree on marketing ->
# analytics (ambiguous on TCP 80), a ClusterNetworkPolicy before everything and the baseline for analytics' egress.
GUARDRAILS = (
    admin("cde-guardrail", 10, {"subject": CDE, "ingress": [
        {"name": "connected-zone", "action": "Pass", "from": [{"namespaces": {"matchExpressions": [
            {"key": "pci-zone", "operator": "In", "values": ["connected", "system"]}]}}]},
        {"name": "cde-internal", "action": "Pass", "from": [CDE]},
        {"name": "deny-everything-else", "action": "Deny", "from": [{"namespaces": {}}]}]}),
    admin("allow-scrape", 5, {"subject": CDE, "ingress": [
        {"name": "prometheus", "action": "Allow", "from": [namespaces(**{NAMED: "monitoring"})],
         "ports": [{"portNumber": {"protocol": "TCP", "port": 9090}},
                   {"portNumber": {"protocol": "TCP", "port": 9187}}]}]}),
    admin("marketing-deny-analytics", 20, {"subject": namespaces(**{NAMED: "marketing"}), "egress": [
        {"name": "analytics", "action": "Deny", "to": [namespaces(**{NAMED: "analytics"})]}]}),
    admin("marketing-allow-dashboard", 20, {"subject": namespaces(**{NAMED: "marketing"}), "egress": [
        {"name": "dashboard", "action": "Allow", "to": [namespaces(**{NAMED: "analytics"})],
         "ports": [{"portNumber": {"protocol": "TCP", "port": 80}}]}]}),
    cluster_policy("ClusterNetworkPolicy", "block-metadata", {"egress": [
        {"name": "metadata", "action": "Deny", "to": [{"networks": ["169.254.169.254/32"]}]}]}, 1, "Admin"),
    baseline({"subject": namespaces(**{NAMED: "analytics"}), "egress": [
        {"name": "no-internet", "action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}]}]}),
)


def guarded_snapshot() -> Snapshot:
    """The sample cluster with the cluster policies of GUARDRAILS."""
    return dataclasses.replace(sample_snapshot(), cluster_policies=cluster(*GUARDRAILS).cluster_policies)


def calico_snapshot() -> Snapshot:
    """The sample cluster with samples/cluster-calico (a security tier guarding the CDE), its Calico kinds modelled."""
    samples = resource_dir("samples")
    snapshot = load_manifests((str(samples / "cluster"), str(samples / "cluster-calico")), NOW)
    return dataclasses.replace(snapshot, unmodelled={kind: count for kind, count in snapshot.unmodelled.items()
                                                     if not kind.startswith("Calico ")})


def selector(**labels: str) -> LabelSelector:
    """A Cilium endpoint selector by labels (keys may carry a source prefix, like `k8s:`)."""
    return LabelSelector(tuple(sorted(labels.items())))


def tcp(*ports: int | str, l7: tuple[str, ...] = ()) -> tuple[PortRule, ...]:
    """`toPorts` of TCP ports, with the L7 rule kinds on them."""
    return (PortRule(tuple(CiliumPort(port, protocol="TCP") for port in ports), l7),)


NOTHING = CiliumRule()  # `{}`: no peer and no port, so it matches nothing (a default deny's rule)
CDE_ENDPOINTS = selector(**{"io.cilium.k8s.namespace.labels.pci-zone": "cde"})
OUT_OF_SCOPE_ENDPOINTS = selector(**{"io.cilium.k8s.namespace.labels.pci-zone": "out-of-scope"})
# What samples/cluster-cilium/guardrails.yaml and payments.yaml hold, as model values.
CILIUM_POLICIES = (
    CiliumPolicy(CILIUM_CLUSTERWIDE_POLICY, "cde-guardrail", "", (
        CiliumRuleSet(CDE_ENDPOINTS, ingress_deny=(CiliumRule(endpoints=(OUT_OF_SCOPE_ENDPOINTS,)),),
                      default_deny_ingress=False, default_deny_egress=False,
                      description="Nothing out of PCI DSS scope connects into the CDE"),
        CiliumRuleSet(OUT_OF_SCOPE_ENDPOINTS, egress_deny=(CiliumRule(endpoints=(CDE_ENDPOINTS,)),),
                      default_deny_ingress=False, default_deny_egress=False)),
        spec={"specs": []}),
    CiliumPolicy(CILIUM_NETWORK_POLICY, "default-deny", "payments",
                 (CiliumRuleSet(LabelSelector(), ingress=(NOTHING,), egress=(NOTHING,)),), spec={"spec": {}}),
    CiliumPolicy(CILIUM_NETWORK_POLICY, "payments-api", "payments", (CiliumRuleSet(
        selector(app="payments-api"),
        ingress=(CiliumRule(endpoints=(selector(**{"k8s:io.kubernetes.pod.namespace": "checkout"}, app="storefront"),),
                            ports=tcp(8443, l7=("http",))),
                 CiliumRule(entities=("cluster",), ports=tcp("metrics"))),
        egress=(CiliumRule(endpoints=(selector(app="card-vault"),), ports=tcp(5432)),
                CiliumRule(cidrs=(CIDRRule(ipaddress.ip_network("203.0.113.0/24"),
                                           (ipaddress.ip_network("203.0.113.192/26"),)),), ports=tcp(443)),
                CiliumRule(fqdns=("api.processor.example",), ports=tcp(443)),
                CiliumRule(endpoints=(selector(**{"k8s:io.kubernetes.pod.namespace": "kube-system",
                                                  "k8s-app": "kube-dns"}),),
                           ports=(PortRule((CiliumPort(53),), ("dns",)),))),
        description="The payments API"),), spec={"spec": {}}),
    CiliumPolicy(CILIUM_CLUSTERWIDE_POLICY, "host-guard", "", (CiliumRuleSet(
        None, selector(**{"node-role.kubernetes.io/worker": ""}), ingress=(CiliumRule(entities=("cluster",)),)),),
        spec={"spec": {}}),
)


def cilium_snapshot() -> Snapshot:
    """The sample cluster with Cilium's policies of CILIUM_POLICIES (a host policy among them), modelled."""
    return dataclasses.replace(sample_snapshot(), cilium_policies=CILIUM_POLICIES)


def sample_scope() -> Scope:
    """The sample scope file."""
    path = resource_dir("samples") / "scope.yaml"
    return parse_scope(path.read_text(encoding="utf-8"), str(path))


def report_input(changes: tuple[ChangeRow, ...] = (), drift: tuple[DriftRow, ...] = (),
                 files: Mapping[str, bytes] | None = None, git_source: str | None = None,
                 snapshot: Snapshot | None = None, scope: Scope | None = None) -> ReportInput:
    """A ReportInput for the sample cluster evaluated against the test catalog."""
    snapshot = snapshot or sample_snapshot()
    options = AnalysisOptions()
    context = AssessedSystem(snapshot, scope or sample_scope(), options, TODAY)
    assessment = evaluate_controls(context, [framework()])
    entries = tuple(FileEntry(path, hashlib.sha256(content).hexdigest(), len(content))
                    for path, content in sorted((files or {}).items()))
    return ReportInput(assessment, context, options.of(snapshot), PACK_ID, NOW, "0.1.0",
                       "CN=ACME Compliance Signing,O=ACME Payments Ltd", changes, drift, entries, git_source)


CHANGES = (
    ChangeRow("c2" * 20, "=HYPERLINK(\"http://evil\") <mallory@example.com>", "2026-08-02T17:40:00Z",
              "NetworkPolicy analytics/allow-all", "added", "policies/analytics.yaml", "direct push", False, 12, 0),
    ChangeRow("a1" * 20, "Priya Raman <priya@acme.example>", "2026-07-14T09:12:00Z",
              "NetworkPolicy payments/tokenizer-ingress", "modified", "policies/payments.yaml", "PR #42", True, 4, 1),
    ChangeRow("b3" * 20, "Priya Raman <priya@acme.example>", "2026-09-01T08:00:00Z", "Namespace marketing",
              "modified", "policies/marketing.yaml", "PR #51", True, 0, 0),
)
DRIFT = (
    DriftRow("NetworkPolicy payments/tokenizer-ingress", "different", True, "+1 connection: spec.ingress[1] differs"),
    DriftRow("NetworkPolicy checkout/allow-legacy-frontend", "unmanaged", False, "@only in the cluster"),
    DriftRow("NetworkPolicy api-gateway/partner", "not_applied", False, "-only in git"),
)
GIT_SOURCE = "https://git.acme.example/platform/netpol.git@9f8e7d6"
