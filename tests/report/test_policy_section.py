"""The policy section's values: cluster policies by tier with a bounded rule listing, Calico policies by tier, ties,
ambiguous connections (held to the engine's own workload roll-up) and explain excerpts where a tier decides (the
Admin and Baseline tiers, or Calico's tiers)."""

from __future__ import annotations

import dataclasses

import pytest

from compliance.model.cluster_policy import Action
from compliance.netpol.connections import connections
from compliance.netpol.ports import ALL_PORTS
from compliance.netpol.verdict import TierStep
from compliance.report import policy_section
from compliance.report.inputs import ReportInput
from compliance.report.tables import report_tables
from compliance.report.zone_flows import zone_flows

from .builders import calico_snapshot, guarded_snapshot, report_input

TIE = ("Admin tier, priority 20: AdminNetworkPolicy/marketing-allow-dashboard, "
       "AdminNetworkPolicy/marketing-deny-analytics")


@pytest.fixture(scope="module")
def guarded() -> ReportInput:
    return report_input(snapshot=guarded_snapshot())


@pytest.fixture(scope="module")
def calico() -> ReportInput:
    return report_input(snapshot=calico_snapshot())


def test_cluster_policies_are_grouped_by_tier_in_evaluation_order(guarded: ReportInput) -> None:
    view = policy_section.cluster_policy_view(report_tables(guarded))
    admin, baseline = view["tiers"]
    assert (admin["name"], baseline["name"]) == ("Admin", "Baseline")
    assert [p["key"] for p in admin["policies"]] == [
        "ClusterNetworkPolicy/block-metadata", "AdminNetworkPolicy/allow-scrape", "AdminNetworkPolicy/cde-guardrail",
        "AdminNetworkPolicy/marketing-allow-dashboard", "AdminNetworkPolicy/marketing-deny-analytics"]
    guard = admin["policies"][2]
    assert [(r["rule"], r["name"], r["action"], r["tone"]) for r in guard["rules"]] == [
        (0, "connected-zone", "Pass", "neutral"), (1, "cde-internal", "Pass", "neutral"),
        (2, "deny-everything-else", "Deny", "no")]
    assert [p["key"] for p in baseline["policies"]] == ["BaselineAdminNetworkPolicy/default"]
    assert (view["total"], view["rules_total"], view["more"]) == (6, 8, 0)


def test_the_rule_listing_is_bounded_and_says_what_it_leaves_out(guarded: ReportInput) -> None:
    view = policy_section.cluster_policy_view(report_tables(guarded), rule_rows=3)
    admin, baseline = view["tiers"]
    shown = [(p["key"], len(p["rules"]), p["rules_more"]) for p in admin["policies"]]
    assert shown == [("ClusterNetworkPolicy/block-metadata", 1, 0), ("AdminNetworkPolicy/allow-scrape", 1, 0),
                     ("AdminNetworkPolicy/cde-guardrail", 1, 2)]
    assert baseline["policies"] == [] and view["more"] == 3


def test_ties_name_each_shared_priority(guarded: ReportInput) -> None:
    assert policy_section.tied_priorities(guarded.system.snapshot.cluster_policies) == [TIE]


def test_ambiguous_connections_agree_with_the_engines_workload_connections(guarded: ReportInput) -> None:
    found = policy_section.ambiguous_connections(zone_flows(guarded.system))
    expected = [(c.source, c.destination, c.ambiguous) for c in connections(guarded.system.reach, "workload")
                if c.ambiguous]
    assert [(c.source, c.destination, c.ambiguous) for c in found] == expected
    assert {(c.source_zone, c.destination_zone, c.ambiguous.describe()) for c in found} == {
        ("out-of-scope", "out-of-scope", "TCP 80")}
    assert len(found) == 4


def test_excerpts_name_tier_policy_priority_and_rule_where_a_tier_decides(guarded: ReportInput) -> None:
    flows = zone_flows(guarded.system)
    rows = policy_section.tier_excerpts(guarded.system, flows, policy_section.ambiguous_connections(flows))
    assert [(r["reason"], r["source"], r["destination"]) for r in rows] == [
        ("ambiguous", "marketing/campaigns[Deployment]", "analytics/dashboard[Deployment]"),
        ("into the CDE", "api-gateway/gateway[Deployment]", "payments/payments-api[Deployment]"),
        ("into the CDE", "monitoring/prometheus[StatefulSet]", "payments/card-vault[StatefulSet]"),
        ("no path into the CDE", "analytics/dashboard[Deployment]", "payments/card-vault[StatefulSet]"),
    ]
    ambiguous, connected, scrape, denied = rows
    assert (ambiguous["allowed"], ambiguous["ambiguous"]) == ("TCP 80", "TCP 80")
    assert ambiguous["egress"][-1].startswith(f"AMBIGUOUS TCP 80: {TIE.split(': ', 1)[1]} share a priority")
    assert ('Admin tier: AdminNetworkPolicy/cde-guardrail (priority 10) ingress[0] "connected-zone": passes all '
            "ports on (to NetworkPolicies, or the Baseline tier where none isolates the pod)") in connected["ingress"]
    assert 'Admin tier: AdminNetworkPolicy/allow-scrape (priority 5) ingress[0] "prometheus": allows TCP 9090,9187' \
        in scrape["ingress"]
    assert (denied["allowed"], denied["explained"]) == ("", "analytics/dashboard-0 -> payments/card-vault-0")
    assert denied["ingress"] == ['Admin tier: AdminNetworkPolicy/cde-guardrail (priority 10) ingress[2] '
                                 '"deny-everything-else": denies all ports']


def test_excerpts_are_bounded(guarded: ReportInput) -> None:
    flows = zone_flows(guarded.system)
    rows = policy_section.tier_excerpts(guarded.system, flows, policy_section.ambiguous_connections(flows), 2)
    assert len(rows) == 2


def test_without_cluster_policies_nothing_is_tiered_or_ambiguous(sample: ReportInput) -> None:
    flows = zone_flows(sample.system)
    section = policy_section.policy_section(sample.system, flows, report_tables(sample, flows), 25)
    assert section["cluster"]["total"] == 0 and [t["policies"] for t in section["cluster"]["tiers"]] == [[], []]
    assert section["excerpts"] == [] and section["ambiguity"] is None
    assert section["network"]["total"] == len(sample.system.snapshot.policies)
    assert len(section["network"]["rows"]) == 25 and section["network"]["more"] == section["network"]["total"] - 25


def test_calico_policies_are_listed_by_tier_in_evaluation_order(calico: ReportInput) -> None:
    view = policy_section.calico_policy_view(calico.system)
    assert (view["total"], view["more"]) == (4, 0)
    assert [(tier["name"], tier["order"], tier["default_action"], [
        (p["key"], p["order"], p["types"], p["ingress_rules"], p["egress_rules"]) for p in tier["policies"]])
            for tier in view["tiers"]] == [
        ("security", "100", "Pass", [("GlobalNetworkPolicy/security.cde-ingress-guard", "100", "Ingress", 3, 0),
                                          ("GlobalNetworkPolicy/security.cde-egress-guard", "200", "Egress", 0, 3),
                                          ("GlobalNetworkPolicy/security.out-of-scope-egress-guard", "300", "Egress", 0,
                                           1)]),
        ("default", "1,000,000", "Deny", [("CalicoNetworkPolicy/marketing/default.egress-allowlist", "2000", "Egress",
                                           0, 5)])]
    bounded = policy_section.calico_policy_view(calico.system, rows=2)
    assert [len(tier["policies"]) for tier in bounded["tiers"]] == [2] and bounded["more"] == 2


def test_without_calico_policies_none_is_listed(sample: ReportInput) -> None:
    assert policy_section.calico_policy_view(sample.system) == {"total": 0, "more": 0, "tiers": []}


@pytest.mark.parametrize(("step", "decided"), [
    (TierStep("Admin", Action.DENY, ALL_PORTS, "AdminNetworkPolicy/a", 10, "ingress[0]"), True),
    (TierStep("kube-admin", Action.DENY, ALL_PORTS, "AdminNetworkPolicy/a", 10, "ingress[0]"), True),
    (TierStep("kube-baseline", Action.DENY, ALL_PORTS, "BaselineAdminNetworkPolicy/default", None, "egress[0]"), True),
    (TierStep("security", Action.PASS, ALL_PORTS, "GlobalNetworkPolicy/guard", None, "ingress[0]", 10.0), True),
    (TierStep("security", Action.DENY, ALL_PORTS), True),  # a Calico tier's default action
    (TierStep("default", Action.ALLOW, ALL_PORTS, "CalicoNetworkPolicy/ns/p", None, "egress[1]", 5.0), True),
    (TierStep("NetworkPolicy", Action.ALLOW, ALL_PORTS), False),
    (TierStep("NetworkPolicy", Action.DENY, ALL_PORTS), False),
    (TierStep("default", Action.ALLOW, ALL_PORTS, "NetworkPolicies ns/p", None, "", 1000.0), False),
    (TierStep("default", Action.DENY, ALL_PORTS), False),
    (TierStep("default", Action.ALLOW, ALL_PORTS), False),
    (TierStep("profile", Action.ALLOW, ALL_PORTS), False),
])
def test_tier_steps_with_and_without_calico(step: TierStep, decided: bool) -> None:
    assert policy_section.tier_decided(step) is decided


def test_excerpts_show_where_the_calico_tier_decides(calico: ReportInput) -> None:
    flows = zone_flows(calico.system)
    section = policy_section.policy_section(calico.system, flows, report_tables(calico, flows), 25)
    assert section["calico"]["total"] == 4
    rows = section["excerpts"]
    assert rows and all(row["egress"] or row["ingress"] for row in rows)
    lines = [line for row in rows for line in (*row["egress"], *row["ingress"])]
    assert any("GlobalNetworkPolicy/security.cde-ingress-guard" in line for line in lines)
    denied = next(row for row in rows if row["reason"] == "no path into the CDE")
    assert denied["allowed"] == ""


def test_representatives_split_by_service_account_where_calico_policies_select_by_it(calico: ReportInput) -> None:
    snapshot = calico.system.snapshot
    gateway = sorted((pod for pod in snapshot.pods if pod.workload.display == "api-gateway/gateway[Deployment]"),
                     key=lambda pod: pod.name)
    assert len(gateway) > 1
    pods = tuple(dataclasses.replace(pod, service_account="edge") if pod == gateway[-1] else pod
                 for pod in snapshot.pods)
    for calico_policies, expected in ((snapshot.calico_policies, 2), ((), 1)):
        system = report_input(snapshot=dataclasses.replace(snapshot, pods=pods, calico_policies=calico_policies)).system
        assert len(policy_section.endpoint_index(system)("api-gateway/gateway[Deployment]")) == expected


def test_calico_rules_with_fields_not_modelled_are_named_as_ambiguity(calico: ReportInput) -> None:
    snapshot = calico.system.snapshot
    [original] = [p for p in snapshot.calico_policies if p.name == "security.cde-ingress-guard"]
    guard = dataclasses.replace(original, ingress=(dataclasses.replace(original.ingress[0], unmodelled=("http",)),
                                                   *original.ingress[1:]))
    report = report_input(snapshot=dataclasses.replace(snapshot, calico_policies=tuple(
        guard if p is original else p for p in snapshot.calico_policies)))
    assert policy_section.uncertain_rules(report.system) == [f"{guard.key} ingress[0]: http"]
    flows = zone_flows(report.system)
    section = policy_section.policy_section(report.system, flows, report_tables(report, flows), 25)
    assert section["ambiguity"]["ties"] == [] and section["ambiguity"]["uncertain"] == [f"{guard.key} ingress[0]: http"]
    assert policy_section.uncertain_rules(calico.system) == []
