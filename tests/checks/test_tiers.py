"""The checks of the tiers on small clusters: the guardrail of the CDE in the Admin tier or a Calico tier ordered
before default (what no NetworkPolicy can open), and connections that equal priorities (or Calico rules setting
fields not modelled) leave ambiguous; with the per-pod reference as the oracle of the guardrail on random clusters."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.analysis.system import AssessedSystem
from compliance.checks.registry import CHECKS, CheckResult
from compliance.checks.tiers import guardrail_gaps
from compliance.controls import CheckReference, run_check
from compliance.model.calico_policy import CalicoTier
from compliance.model.cluster_policy import Action, Tier
from compliance.model.parse import parse_selector
from compliance.model.policy import PortSpec
from compliance.model.snapshot import Snapshot
from compliance.model.status import Status
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS
from compliance.netpol.verdict import Endpoint, PolicyContext
from compliance.scope import ApprovedFlow, FlowEnd, Scope, Zone, parse_scope
from tests.checks.test_cases import SHARED_SCOPE, TODAY
from tests.netpol import calico_builders as calico
from tests.netpol.builders import admin, baseline, cluster, namespace, pod, policy, ports
from tests.netpol.random_clusters import random_cluster

SCOPE_TEXT = SHARED_SCOPE.read_text(encoding="utf-8")
CDE = {"namespaces": {"matchLabels": {"pci-zone": "cde"}}}
CONNECTED = {"namespaces": {"matchLabels": {"pci-zone": "connected"}}}
UNLABELLED = {"namespaces": {"matchExpressions": [{"key": "pci-zone", "operator": "DoesNotExist"}]}}
OUTSIDE_CDE = {"namespaces": {"matchExpressions": [{"key": "pci-zone", "operator": "NotIn", "values": ["cde"]}]}}
EVERYONE: dict[str, Any] = {"namespaces": {}}
API = {"pods": {"namespaceSelector": CDE["namespaces"], "podSelector": {"matchLabels": {"app": "payments-api"}}}}
VAULT = {"pods": {"namespaceSelector": CDE["namespaces"], "podSelector": {"matchLabels": {"app": "vault"}}}}
TCP_8443 = [{"portNumber": {"protocol": "TCP", "port": 8443}}]
TCP_5432 = [{"portNumber": {"protocol": "TCP", "port": 5432}}]
BUT_8443 = "TCP 1-8442,8444-65535; UDP all; SCTP all"


def rule(action: str, peer: dict[str, Any], rule_ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A cluster policy rule from one peer."""
    found: dict[str, Any] = {"action": action, "from": [peer]}
    if rule_ports:
        found["ports"] = rule_ports
    return found


def guard(name: str, priority: int, subject: dict[str, Any], *rules: dict[str, Any]) -> dict[str, Any]:
    """An AdminNetworkPolicy with ingress rules."""
    return admin(name, priority, {"subject": subject, "ingress": list(rules)})


def egress_guard(name: str, priority: int, subject: dict[str, Any], *rules: dict[str, Any]) -> dict[str, Any]:
    """An AdminNetworkPolicy with egress rules (the peers given as `from` are its `to`)."""
    return admin(name, priority, {"subject": subject, "egress": [{**{k: v for k, v in r.items() if k != "from"},
                                                                    "to": r["from"]} for r in rules]})


# The CDE guardrail as a platform team writes it: the approved flow passed to NetworkPolicies, then deny.
APPROVED_PASS = guard("checkout-to-api", 10, API, rule("Pass", CONNECTED, TCP_8443))
GUARDRAIL = guard("cde-guardrail", 20, CDE, rule("Pass", CDE), rule("Deny", EVERYONE))


def workloads() -> list[dict[str, Any]]:
    """payments (cde: the payments API, a vault), checkout (connected), marketing (out of scope)."""
    return [namespace("payments", **{"pci-zone": "cde"}), namespace("checkout", **{"pci-zone": "connected"}),
            namespace("marketing"), pod("payments/api", {"app": "payments-api"}, ports=(("https", 8443),)),
            pod("payments/vault", {"app": "vault"}, ports=(("postgres", 5432),)), pod("checkout/web", {"app": "web"}),
            pod("marketing/news", {"app": "news"})]


def base(*extra: dict[str, Any]) -> Snapshot:
    """The workloads, with NetworkPolicies that already deny everything into payments but the approved flow."""
    return cluster(*workloads(), policy("payments/default-deny", {"policyTypes": ["Ingress", "Egress"]}),
                   policy("payments/api-ingress", {"podSelector": {"matchLabels": {"app": "payments-api"}}, "ingress": [
                       {"from": [{"namespaceSelector": {"matchLabels": {"pci-zone": "connected"}}}],
                        "ports": [{"protocol": "TCP", "port": 8443}]}]}), *extra)


def assessed(snapshot: Snapshot) -> AssessedSystem:
    """The snapshot assessed against the shared scope of the check cases."""
    return AssessedSystem(snapshot, parse_scope(SCOPE_TEXT, str(SHARED_SCOPE)), AnalysisOptions(), TODAY)


def run(check_id: str, snapshot: Snapshot, **params: Any) -> CheckResult:
    """One check's result as the catalogs run it."""
    return run_check(assessed(snapshot), CheckReference(check_id, params, CHECKS[check_id].evidence))


def gaps(outcome: CheckResult) -> set[tuple[str, str, str]]:
    """(CDE workload, source zone, unguarded ports) of a guardrail result's evidence rows that are not guarded."""
    rows = outcome.evidence[0].rows if outcome.evidence else ()
    return {(row[0], row[2], row[4]) for row in rows if row[3] == "no"}


GUARDRAIL_CASES = [
    pytest.param([APPROVED_PASS, GUARDRAIL], Status.PASS, set(), id="guardrail-with-the-approved-flow-passed"),
    pytest.param([guard("checkout-to-api", 10, API, rule("Allow", CONNECTED, TCP_8443)), GUARDRAIL], Status.PASS,
                 set(), id="approved-flow-allowed-by-the-admin-tier"),
    pytest.param([guard("cde-guardrail", 20, CDE, rule("Pass", CDE), rule("Pass", CONNECTED), rule("Deny", EVERYONE))],
                 Status.FAIL, {("payments/api[Pod]", "connected", BUT_8443),
                               ("payments/vault[Pod]", "connected", "all ports")}, id="pass-for-a-whole-zone"),
    pytest.param([APPROVED_PASS, GUARDRAIL, guard("news-reads-vault", 5, VAULT, rule("Allow", UNLABELLED, TCP_5432))],
                 Status.FAIL, {("payments/vault[Pod]", "out-of-scope", "TCP 5432")}, id="allow-before-the-deny"),
    pytest.param([APPROVED_PASS, guard("cde-guardrail", 20, CDE, rule("Deny", CONNECTED))], Status.FAIL,
                 {("payments/api[Pod]", "out-of-scope", "all ports"), ("payments/vault[Pod]", "out-of-scope",
                                                                         "all ports")}, id="missing-source-zone"),
    # Out-of-scope pods are denied by the Admin tier; the connected zone only by payments' NetworkPolicies.
    pytest.param([APPROVED_PASS, guard("cde-guardrail", 20, CDE, rule("Deny", UNLABELLED))], Status.FAIL,
                 {("payments/api[Pod]", "connected", BUT_8443), ("payments/vault[Pod]", "connected", "all ports")},
                 id="network-policy-deny-only"),
    pytest.param([APPROVED_PASS, GUARDRAIL, guard("vault-tie", 20, VAULT, rule("Allow", UNLABELLED, TCP_5432))],
                 Status.FAIL, {("payments/vault[Pod]", "out-of-scope", "TCP 5432")},
                 id="equal-priority-allow-counts-as-open"),
    pytest.param([APPROVED_PASS, GUARDRAIL, pod("marketing/agent", {"app": "agent"}, host_network=True)],
                 Status.FAIL, {("payments/api[Pod]", "out-of-scope", "all ports"),
                               ("payments/vault[Pod]", "out-of-scope", "all ports")},
                 id="host-network-source-matches-no-peer"),
    pytest.param([egress_guard("checkout-to-api", 10, CONNECTED, rule("Pass", API, TCP_8443)),
                  egress_guard("into-cde", 20, OUTSIDE_CDE, rule("Deny", CDE))],
                 Status.PASS, set(), id="egress-deny-at-every-source"),
    pytest.param([baseline({"subject": CDE, "ingress": [rule("Deny", EVERYONE)]})], Status.NOT_APPLICABLE, set(),
                 id="baseline-deny-only"),
    pytest.param([baseline({"subject": CDE, "ingress": [rule("Deny", EVERYONE)]}),
                  guard("cde-guardrail", 20, CDE, rule("Deny", UNLABELLED))], Status.FAIL,
                 {("payments/api[Pod]", "connected", BUT_8443), ("payments/vault[Pod]", "connected", "all ports")},
                 id="baseline-deny-is-no-guardrail"),
    pytest.param([], Status.NOT_APPLICABLE, set(), id="network-policies-only"),
    pytest.param([guard("no-ssh", 20, CDE, rule("Deny", EVERYONE, [{"portNumber": {"protocol": "TCP", "port": 22}}]))],
                 Status.NOT_APPLICABLE, set(), id="a-deny-of-some-ports-is-no-guardrail"),
]


@pytest.mark.parametrize(("extra", "status", "unguarded"), GUARDRAIL_CASES)
def test_admin_guardrail(extra: list[dict[str, Any]], status: Status, unguarded: set[tuple[str, str, str]]) -> None:
    outcome = run("segmentation.admin_guardrail", base(*extra), zones=["cde"])
    assert outcome.status is status, outcome.summary
    assert gaps(outcome) == unguarded
    assert {f.message.split(": ", 1)[0] for f in outcome.findings} == {
        f"{workload} (cde) is not guarded against zone {zone} on {text}" for workload, zone, text in unguarded}


def test_guardrail_findings_name_the_workload_zone_ports_and_a_source() -> None:
    extra = [APPROVED_PASS, guard("cde-guardrail", 20, CDE, rule("Deny", UNLABELLED))]
    outcome = run("segmentation.admin_guardrail", base(*extra), zones=["cde"])
    vault = next(f for f in outcome.findings if f.object == "payments/vault[Pod]")
    assert vault.message.startswith("payments/vault[Pod] (cde) is not guarded against zone connected on all ports")
    assert vault.message.endswith("(from 1 workload, e.g. checkout/web[Pod])")
    assert [row[:5] for row in outcome.evidence[1].rows] == [
        ("AdminNetworkPolicy/checkout-to-api", "10", "ingress", "ingress[0]", "Pass"),
        ("AdminNetworkPolicy/cde-guardrail", "20", "ingress", "ingress[0]", "Deny")]


def test_guardrail_notes_zones_without_one_and_rejects_address_zones() -> None:
    extra = [APPROVED_PASS, GUARDRAIL]
    both = run("segmentation.admin_guardrail", base(*extra), zones=["cde", "connected"])
    assert both.status is Status.PASS
    assert both.summary.endswith("; no guardrail in a tier before the namespaces' policies protects connected.")
    assert run("segmentation.admin_guardrail", base(*extra), zones=["internet"]).status is Status.ERROR


def test_a_network_policy_cannot_open_what_the_guardrail_denies() -> None:
    # The claim behind the check: with the guardrail in place, an allow-all NetworkPolicy in payments opens nothing
    # from the other workload zones (address ranges are beyond it).
    allow_all = policy("payments/allow-all", {"ingress": [{}]})
    system = assessed(base(APPROVED_PASS, GUARDRAIL, allow_all))
    opened = system.connections_between(["connected", "out-of-scope"], ["cde"])
    assert [(c.source, c.destination, c.ports) for c in opened] == [
        ("checkout/web[Pod]", "payments/api[Pod]", ports("TCP 8443"))]


def test_a_deny_between_equal_priorities_is_ambiguous() -> None:
    tie = [guard("vault-readers", 10, VAULT, rule("Allow", CONNECTED, TCP_5432)), guard("cde-guardrail", 10, CDE,
                                                                                         rule("Deny", EVERYONE))]
    outcome = run("analysis.unambiguous", base(*tie), zones=["cde"])
    assert outcome.status is Status.FAIL
    assert [f.object for f in outcome.findings] == ["checkout/web[Pod] -> payments/vault[Pod]"]
    assert outcome.evidence[0].rows == (("checkout/web[Pod]", "connected", "payments/vault[Pod]", "cde", "TCP 5432",
                                         "AdminNetworkPolicy/cde-guardrail, AdminNetworkPolicy/vault-readers "
                                         "(Admin tier, priority 10, ingress)"),)


AMBIGUITY_CASES = [
    pytest.param([guard("a", 10, VAULT, rule("Deny", CONNECTED)), guard("b", 10, CDE, rule("Deny", CONNECTED))],
                 Status.PASS, [], id="equal-priorities-agree"),
    pytest.param([guard("a", 5, VAULT, rule("Allow", CONNECTED)), guard("b", 10, CDE, rule("Deny", CONNECTED))],
                 Status.PASS, [], id="distinct-priorities"),
    pytest.param([], Status.NOT_APPLICABLE, [], id="no-cluster-policy"),
    pytest.param([egress_guard("a", 10, CDE, {"action": "Allow", "from": [{"networks": ["203.0.113.0/24"]}]}),
                  egress_guard("b", 10, CDE, {"action": "Deny", "from": [{"networks": ["203.0.0.0/16"]}]})],
                 Status.FAIL, [f"payments/{name}[Pod] -> 203.0.113.0-203.0.113.255[External]"
                               for name in ("api", "vault")], id="egress-to-an-address"),
]


@pytest.mark.parametrize(("extra", "status", "objects"), AMBIGUITY_CASES)
def test_unambiguous(extra: list[dict[str, Any]], status: Status, objects: list[str]) -> None:
    # Without payments' NetworkPolicies, which deny its egress, the egress case reaches the address range.
    snapshot = cluster(*workloads(), *extra) if objects else base(*extra)
    outcome = run("analysis.unambiguous", snapshot, zones=["cde"])
    assert outcome.status is status, outcome.summary
    assert [f.object for f in outcome.findings] == objects


def owned(ref: str, labels: dict[str, str], owner: str) -> dict[str, Any]:
    """A pod of a StatefulSet."""
    found = pod(ref, labels)
    found["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": owner,
                                             "uid": f"uid-{owner}", "controller": True}]
    return found


def test_a_port_certain_between_other_pods_of_the_workloads_is_not_ambiguous() -> None:
    # db-0 (primary) is ambiguous on 5432, db-1 (replica) certainly reachable: the workload pair is reachable.
    primary = {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"role": "primary"}}}}
    snapshot = cluster(*workloads()[:3], pod("checkout/web", {"app": "web"}),
                       owned("payments/db-0", {"app": "db", "role": "primary"}, "db"),
                       owned("payments/db-1", {"app": "db", "role": "replica"}, "db"),
                       guard("a", 10, primary, rule("Allow", CONNECTED, TCP_5432)),
                       guard("b", 10, primary, rule("Deny", CONNECTED)))
    outcome = run("analysis.unambiguous", snapshot, zones=["cde"])
    assert outcome.status is Status.PASS, [f.message for f in outcome.findings]
    system = assessed(snapshot)
    connection = next(c for c in system.connections_between(["connected"], ["cde"]) if "db" in c.destination)
    assert (connection.ports, connection.ambiguous) == (ALL_PORTS, NO_PORTS)


def random_scope() -> Scope:
    """Zones over the random clusters' namespace labels, with one approved flow into the CDE."""
    prod = parse_selector({"matchLabels": {"env": "prod"}}, "cde")
    red = parse_selector({"matchLabels": {"team": "red"}}, "connected")
    flow = ApprovedFlow(FlowEnd("connected"), FlowEnd("cde", pod_selector=parse_selector(
        {"matchLabels": {"app": "api"}}, "to")), ports("TCP 80,8000-8100"), "j", "a")
    return Scope("test", "random", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31), "general",
                 (Zone("cde", namespace_selector=prod), Zone("connected", namespace_selector=red)), (flow,))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_guardrail_gaps_agree_with_the_per_pod_reference(rng: random.Random) -> None:
    # Gap of (d, zone) = union over pods s of that zone of (what the Admin tier alone does not deny) - approved.
    snapshot = random_cluster(rng, pods=10, policies=3, namespaces=3, cluster_policies=4)
    system = AssessedSystem(snapshot, random_scope(), AnalysisOptions(), TODAY)
    found = {key: value[0] for key, value in guardrail_gaps(system, ["cde"]).items()}
    admin_only = [p for p in snapshot.cluster_policies if p.tier is Tier.ADMIN]
    reference = PolicyContext((), snapshot.namespace_labels(), AnalysisOptions(), admin_only, snapshot.nodes)
    labels = snapshot.topology_labels()
    expected: dict[tuple[str, str], Any] = {}
    for destination in snapshot.pods:
        zone_of = system.scope.zone_of_workload
        destination_zone = zone_of(dict(labels[destination.namespace]), dict(destination.labels))
        if destination_zone != "cde":
            continue
        for source in snapshot.pods:
            source_zone = zone_of(dict(labels[source.namespace]), dict(source.labels))
            if source_zone == "cde" or source.workload.display == destination.workload.display:
                continue
            open_ports = reference.connection(Endpoint(pod=source), Endpoint(pod=destination)).ports
            flows = system.scope.approving((source_zone, dict(labels[source.namespace]), dict(source.labels)),
                                           ("cde", dict(labels[destination.namespace]), dict(destination.labels)))
            unguarded = open_ports - system.scope.approved_ports(flows)
            if unguarded:
                key = (destination.workload.display, source_zone)
                expected[key] = expected.get(key, NO_PORTS) | unguarded
    assert found == expected


# The CDE guardrail in a Calico security tier (order 100, ending in Pass), as samples/cluster-calico writes it: the
# CDE's own pods and the approved flow passed on to the namespaces' policies, then Deny.
SECURITY = CalicoTier("security", 100.0, Action.PASS)
IN_CDE = calico.entity(namespace_selector="pci-zone == 'cde'")
FROM_CONNECTED = calico.entity(namespace_selector="pci-zone == 'connected'")
OUT_OF_SCOPE = calico.entity(namespace_selector=calico.selector(calico.negated(calico.compare("pci-zone", "has"))))
TO_API = calico.entity("app == 'payments-api'", ports=(8443,))
CALICO_GUARD = (calico.rule(Action.PASS, IN_CDE), calico.rule(Action.PASS, FROM_CONNECTED, TO_API, protocol="TCP"),
                calico.rule(Action.DENY))


def calico_guard(*rules: Any, tier: str = "security", order: float = 10.0) -> Any:
    """A GlobalNetworkPolicy of `tier` selecting the CDE's pods for ingress."""
    return calico.calico_policy("cde-guard", order, ingress=rules, tier=tier, namespace_selector="pci-zone == 'cde'")


def with_guard(snapshot: Snapshot, *objects: Any) -> Snapshot:
    """A snapshot with the security tier and Calico objects."""
    return calico.with_calico(snapshot, SECURITY, *objects)


ALLOW_ALL_INTO_PAYMENTS = policy("payments/allow-all", {"ingress": [{}]})
CALICO_GUARDRAIL_CASES = [
    pytest.param(with_guard(base(), calico_guard(*CALICO_GUARD)), Status.PASS, set(), id="security-tier-guardrail"),
    pytest.param(with_guard(base(ALLOW_ALL_INTO_PAYMENTS), calico_guard(*CALICO_GUARD),
                            calico.calico_policy("payments/open", 1.0, ingress=(calico.rule(Action.ALLOW),))),
                 Status.PASS, set(), id="namespace-policies-cannot-open-what-it-denies"),
    # Passing the whole connected zone leaves it to payments' NetworkPolicies, which an owner could open.
    pytest.param(with_guard(base(), calico_guard(calico.rule(Action.PASS, IN_CDE), calico.rule(Action.PASS,
                                                                                               FROM_CONNECTED),
                                                 calico.rule(Action.DENY))),
                 Status.FAIL, {("payments/api[Pod]", "connected", BUT_8443),
                               ("payments/vault[Pod]", "connected", "all ports")}, id="pass-for-a-whole-zone"),
    pytest.param(with_guard(base(), calico_guard(*CALICO_GUARD[:2], calico.rule(
        Action.ALLOW, OUT_OF_SCOPE,
        calico.entity("app == 'vault'", ports=(5432,)), protocol="TCP"), CALICO_GUARD[2])),
                 Status.FAIL, {("payments/vault[Pod]", "out-of-scope", "TCP 5432")}, id="allow-before-the-deny"),
    # The tier ends in Deny: pods it selects are denied what no rule decides, with no Deny rule needed for that.
    pytest.param(calico.with_calico(base(), CalicoTier("security", 100.0, Action.DENY), calico_guard(
        *CALICO_GUARD, calico.rule(Action.DENY, ip_version=6))), Status.PASS, set(), id="tier-default-deny"),
    pytest.param(with_guard(base(), calico_guard(*CALICO_GUARD, tier="default")), Status.NOT_APPLICABLE, set(),
                 id="default-tier-deny-is-no-guardrail"),
    pytest.param(calico.with_calico(base(), CalicoTier("late", 2_000_000.0, Action.PASS),
                                    calico_guard(*CALICO_GUARD, tier="late")), Status.NOT_APPLICABLE, set(),
                 id="tier-after-default-is-no-guardrail"),
    pytest.param(with_guard(base(), calico_guard(calico.rule(Action.DENY, unmodelled=("http",)))),
                 Status.NOT_APPLICABLE, set(), id="deny-with-fields-not-modelled-is-no-guardrail"),
    pytest.param(with_guard(base(), calico_guard(calico.rule(Action.DENY, protocol="TCP"))),
                 Status.NOT_APPLICABLE, set(), id="deny-of-one-protocol-is-no-guardrail"),
]


@pytest.mark.parametrize(("snapshot", "status", "unguarded"), CALICO_GUARDRAIL_CASES)
def test_calico_guardrail(snapshot: Snapshot, status: Status, unguarded: set[tuple[str, str, str]]) -> None:
    outcome = run("segmentation.admin_guardrail", snapshot, zones=["cde"])
    assert outcome.status is status, outcome.summary
    assert gaps(outcome) == unguarded


def test_calico_guardrail_evidence_shows_tier_order_peers_and_ports() -> None:
    outcome = run("segmentation.admin_guardrail", with_guard(base(APPROVED_PASS), calico_guard(*CALICO_GUARD)),
                  zones=["cde"])
    assert outcome.status is Status.PASS
    assert outcome.summary.startswith("A tier before the namespaces' policies (Admin tier, or a Calico tier ordered "
                                      "before default) denies every other zone's traffic into cde")
    # Tiers in evaluation order: security (order 100) before kube-admin (order 1000). The Pass within the CDE matches
    # no traffic from outside it.
    assert outcome.evidence[1].rows == (
        ("GlobalNetworkPolicy/cde-guard", "tier security, order 10", "ingress", "ingress[1]", "Pass",
         "source namespaceSelector pci-zone == 'connected'; destination selector app == 'payments-api'", "8443/TCP"),
        ("GlobalNetworkPolicy/cde-guard", "tier security, order 10", "ingress", "ingress[2]", "Deny",
         "source anything; destination anything", "every port"),
        ("AdminNetworkPolicy/checkout-to-api", "10", "ingress", "ingress[0]", "Pass",
         "all pods in namespaces pci-zone=connected", "8443/TCP"))


def test_a_calico_rule_with_fields_not_modelled_is_ambiguous_and_named() -> None:
    vault = calico.entity("app == 'vault'", ports=(PortSpec("TCP", 5432),))
    maybe = calico.calico_policy("vault-readers", 5.0, ingress=(calico.rule(
        Action.ALLOW, FROM_CONNECTED, vault, protocol="TCP", unmodelled=("http",)),), tier="security")
    outcome = run("analysis.unambiguous", with_guard(base(), maybe, calico_guard(*CALICO_GUARD)), zones=["cde"])
    assert outcome.status is Status.FAIL, outcome.summary
    assert [row[:5] for row in outcome.evidence[0].rows] == [
        ("checkout/web[Pod]", "connected", "payments/vault[Pod]", "cde", "TCP 5432")]
    assert outcome.evidence[0].rows[0][5] == ("GlobalNetworkPolicy/vault-readers ingress[0] (tier security, order 5): "
                                              "http not modelled")


def test_calico_policies_alone_make_unambiguous_applicable() -> None:
    outcome = run("analysis.unambiguous", with_guard(base(), calico_guard(*CALICO_GUARD)), zones=["cde"])
    assert outcome.status is Status.PASS, outcome.summary
