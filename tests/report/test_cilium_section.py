"""The report's Cilium table: rule sets by the field holding them, what each selects, allow and deny rule counts,
default deny per direction (enableDefaultDeny off shown as such), and the L7, FQDN and host-policy rules flagged."""

from __future__ import annotations

import dataclasses
import re

from compliance.analysis.system import AssessedSystem
from compliance.model.cilium_policy import CILIUM_NETWORK_POLICY, CiliumPolicy, CiliumRule, CiliumRuleSet
from compliance.model.selectors import LabelSelector
from compliance.model.snapshot import Snapshot
from compliance.netpol.options import AnalysisOptions
from compliance.report import document
from compliance.report.cilium_section import cilium_policy_view

from .builders import TODAY, calico_snapshot, cilium_snapshot, report_input, sample_scope, sample_snapshot


def system(snapshot: Snapshot) -> AssessedSystem:
    """The sample scope's system of `snapshot`."""
    return AssessedSystem(snapshot, sample_scope(), AnalysisOptions(), TODAY)


def test_each_rule_set_shows_what_it_selects_its_rules_and_its_default_deny() -> None:
    view = cilium_policy_view(system(cilium_snapshot()))
    assert (view["total"], view["more"], view["rule_sets"], view["l7_rules"], view["fqdn_rules"]) == (4, 0, 5, 2, 1)
    assert [p["key"] for p in view["policies"]] == [
        "CiliumClusterwideNetworkPolicy/cde-guardrail", "CiliumClusterwideNetworkPolicy/host-guard",
        "CiliumNetworkPolicy/payments/default-deny", "CiliumNetworkPolicy/payments/payments-api"]
    guardrail, host, deny_all, api = (p["rule_sets"] for p in view["policies"])
    assert [(s["name"], s["selects"], s["allow"], s["deny"], s["default_deny"]) for s in guardrail] == [
        ("specs[0]", "endpoints io.cilium.k8s.namespace.labels.pci-zone=cde", "0 / 0", "1 / 0", "ingress off"),
        ("specs[1]", "endpoints io.cilium.k8s.namespace.labels.pci-zone=out-of-scope", "0 / 0", "0 / 1",
         "egress off")]
    assert guardrail[0]["description"] == "Nothing out of PCI DSS scope connects into the CDE"
    assert [(s["name"], s["selects"], s["default_deny"], s["pods"]) for s in deny_all] == [
        ("spec", "every endpoint of payments", "ingress, egress", 7)]
    assert [s["pods"] for s in guardrail] == [7, 5]  # the CDE's pods; marketing's and analytics' (out of scope)
    (rule_set,) = api
    assert (rule_set["selects"], rule_set["allow"], rule_set["deny"]) == (
        "endpoints app=payments-api in payments", "2 / 4", "0 / 0")
    assert rule_set["flags"] == ["ingress[0]: L7 http", "egress[2]: FQDN api.processor.example", "egress[3]: L7 dns"]
    assert (host[0]["selects"], host[0]["pods"]) == ("nodes node-role.kubernetes.io/worker= (host policy, not "
                                                     "modelled)", None)


def test_unmodelled_and_deprecated_fields_are_flagged() -> None:
    rule = CiliumRule(entities=("world",), requires=(LabelSelector(),), unmodelled=("icmps",))
    policy = CiliumPolicy(CILIUM_NETWORK_POLICY, "odd", "shop", (CiliumRuleSet(LabelSelector(), egress=(rule,)),))
    view = cilium_policy_view(system(dataclasses.replace(sample_snapshot(), cilium_policies=(policy,))))
    (rule_set,) = view["policies"][0]["rule_sets"]
    assert (rule_set["name"], rule_set["flags"]) == ("spec", ["egress[0]: requires (deprecated); icmps not modelled"])


def test_the_listing_is_bounded_by_rule_sets() -> None:
    view = cilium_policy_view(system(cilium_snapshot()), rows=2)
    assert [p["key"] for p in view["policies"]] == ["CiliumClusterwideNetworkPolicy/cde-guardrail"]
    assert view["more"] == 3


def test_html_shows_the_cilium_table_and_how_cilium_combines_policies() -> None:
    text = " ".join(re.sub(r"<[^>]+>", "", document.render_html(report_input(snapshot=cilium_snapshot())))
                    .replace("\u200b", "").split())
    for phrase in ("Cilium policies", "4 Cilium policies with 5 rule sets", "L7 rules (2) filter requests",
                   "FQDN rules (1)", "CiliumNetworkPolicy/payments/payments-api",
                   "egress[2]: FQDN api.processor.example",
                   "a deny rule of any of them wins over every allow", "NetworkPolicies with 4 Cilium policies",
                   "0 cluster policies, 4 Cilium policies", "or whose peers no object holds (Cilium's toFQDNs",
                   "The cluster has no AdminNetworkPolicy, "
                   "BaselineAdminNetworkPolicy or ClusterNetworkPolicy."):
        assert phrase in text, phrase
    assert "the NetworkPolicies alone decide" not in text and "Calico's tiers sit" not in text


def test_without_cilium_policies_the_report_has_no_cilium_words() -> None:
    text = document.render_html(report_input())
    assert "Cilium" not in text and "Calico's tiers sit" not in text


def test_the_policy_intro_places_calico_tiers_when_there_are_calico_policies() -> None:
    text = " ".join(re.sub(r"<[^>]+>", "", document.render_html(report_input(snapshot=calico_snapshot())))
                    .replace("\u200b", "").split())
    assert ("Calico's tiers sit between the Admin and the Baseline tier by their order, and its default tier holds the "
            "NetworkPolicies") in text
    assert "Cilium" not in text
