"""The lowering of Cilium's policies into tiers: names, tiers, what it adds to the results (L7-filtered ports in
every reachability format, explain's rules and default-deny origins) and that it stays linear."""

from __future__ import annotations

import io
import json
import time

from compliance.model.calico_policy import DEFAULT_TIER
from compliance.netpol.cilium import ALLOW_TIER, DENY_TIER, LoweredPolicy, lower, tiered_objects
from compliance.netpol.connections import connections
from compliance.netpol.explain import explain
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.reachability import analyse_snapshot
from compliance.report.connections_output import (
    connections_table,
    write_connections_csv,
    write_connections_json,
)
from compliance.report.explain_output import explanation_json, explanation_text
from tests.netpol.builders import cluster
from tests.netpol.cases import BASE
from tests.netpol.cilium_builders import ccnp, cnp, labels, port, rule, rule_set, to_ports, with_cilium

WEB = labels(app="web")
CLIENT = labels(**{"k8s:io.kubernetes.pod.namespace": "b", "app": "client"})
TWO_SETS = cnp("a/web", rule_set(WEB, ingress=(rule(CLIENT, ports=to_ports(port(80, "TCP"), l7=("http",))),)),
               rule_set(WEB, ingress_deny=(rule(labels(**{"io.kubernetes.pod.namespace": "b", "app": "batch"})),),
                        egress=(rule(entities=("world",)),), default_deny_egress=False))


def test_each_rule_set_is_lowered_per_tier_under_the_policys_key() -> None:
    lowered = lower((TWO_SETS,), (), AnalysisOptions())
    assert {policy.key for policy in lowered} == {"CiliumNetworkPolicy/a/web"}
    by_tier = {(policy.name, policy.tier): policy for policy in lowered}
    assert set(by_tier) == {("CiliumNetworkPolicy/a/web specs[0]", DEFAULT_TIER),
                            ("CiliumNetworkPolicy/a/web specs[1]", DENY_TIER),
                            ("CiliumNetworkPolicy/a/web specs[1]", ALLOW_TIER),
                            ("CiliumNetworkPolicy/a/web specs[1]", DEFAULT_TIER)}
    deny = by_tier["CiliumNetworkPolicy/a/web specs[1]", DENY_TIER]
    assert deny.rule_name("ingress", 0) == "specs[1].ingressDeny[0]"
    # The deny-only direction still switches default deny on: the rule set selects the pod in the default tier.
    assert by_tier["CiliumNetworkPolicy/a/web specs[1]", DEFAULT_TIER].types == ("Ingress",)
    assert by_tier["CiliumNetworkPolicy/a/web specs[0]", DEFAULT_TIER].ingress[0].l7 == ("http",)


def test_without_cilium_the_tiered_objects_are_calicos() -> None:
    snapshot = cluster(*BASE)
    objects = tiered_objects(snapshot, AnalysisOptions())
    assert not objects.policies and not objects.tiers and not objects.cilium
    assert all(isinstance(p, LoweredPolicy) for p in tiered_objects(snapshot, AnalysisOptions(
        policy_enforcement="always")).policies)


def test_lowering_is_linear_in_the_rules() -> None:
    def timed(count: int) -> float:
        policies = [cnp(f"a/p{n}", rule_set(labels(app=f"w{n}"), ingress=(rule(CLIENT, ports=to_ports(port(n))),),
                                             egress_deny=(rule(labels(app="x")),))) for n in range(count)]
        start = time.process_time()
        lowered = lower(policies, (), AnalysisOptions())
        assert len(lowered) == 2 * count
        return time.process_time() - start

    small, large = min(timed(500) for _ in range(3)), min(timed(5000) for _ in range(3))
    assert large < 25 * max(small, 1e-3)


def test_l7_filtered_ports_are_a_column_of_every_reachability_format() -> None:
    snapshot = with_cilium(cluster(*BASE), TWO_SETS)
    found = connections(analyse_snapshot(snapshot, AnalysisOptions()), "pod")
    client = next(c for c in found if (c.source, c.destination) == ("b/client", "a/web"))
    assert client.filtered is not None and client.filtered.describe() == "TCP 80"
    stream = io.StringIO()
    write_connections_json(stream, "pod", {}, found)
    rows = json.loads(stream.getvalue())["connections"]
    assert all(list(row)[-1] == "l7_filtered" for row in rows)
    assert next(row for row in rows if row["src"] == "b/client" and row["dst"] == "a/web")["l7_filtered"] == [
        {"protocol": "TCP", "from": 80, "to": 80}]
    stream = io.StringIO()
    write_connections_csv(stream, found)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "src,dst,protocol,port_from,port_to,ambiguous,l7_filtered"
    assert "b/client,a/web,TCP,80,80,no,yes" in lines
    assert "TCP 80 (L7-filtered: TCP 80)" in connections_table(found, {})


def test_without_l7_rules_no_row_carries_the_column() -> None:
    plain = cnp("a/web", rule_set(WEB, ingress=(rule(CLIENT),)))
    found = connections(analyse_snapshot(with_cilium(cluster(*BASE), plain), AnalysisOptions()), "pod")
    assert found and all(c.filtered is None for c in found)
    stream = io.StringIO()
    write_connections_csv(stream, found)
    assert stream.getvalue().splitlines()[0] == "src,dst,protocol,port_from,port_to,ambiguous"


def test_explain_names_the_rule_its_action_and_the_origin_of_default_deny() -> None:
    guard = ccnp("no-smtp", rule_set(labels(), egress_deny=(rule(entities=("world",), ports=to_ports(port(25))),),
                                     egress=(rule(entities=("all",)),)))
    snapshot = with_cilium(cluster(*BASE), TWO_SETS, guard)
    text = explanation_text(explain(snapshot, "b/client", "a/web", AnalysisOptions()))
    assert ("default tier: CiliumNetworkPolicy/a/web specs[0].ingress[0]: allows TCP 80 (L7-filtered (http)"
            in text)
    assert "L7-filtered (http): TCP 80 (reachable; L7 rules filter the requests)" in text
    assert ("default deny from CiliumNetworkPolicy/a/web specs[0], CiliumNetworkPolicy/a/web specs[1])" in text)
    denied = explanation_text(explain(snapshot, "b/batch", "a/web", AnalysisOptions()))
    assert "cilium-deny tier: CiliumNetworkPolicy/a/web specs[1].ingressDeny[0]: denies all ports" in denied
    smtp = explanation_text(explain(snapshot, "a/db", "8.8.8.8", AnalysisOptions()))
    assert "cilium-deny tier: CiliumClusterwideNetworkPolicy/no-smtp spec.egressDeny[0]: denies TCP 25" in smtp
    pair = json.loads(explanation_json(explain(snapshot, "b/client", "a/web", AnalysisOptions())))["pairs"][0]
    assert pair["l7_filtered"] == [{"protocol": "TCP", "from": 80, "to": 80}]
    assert pair["ingress"]["tiers"][0]["l7_filtered"] == ["http"]


def test_packs_record_the_resolved_options_and_cilium_s_only_under_cilium() -> None:
    plain = cluster(*BASE)
    assert AnalysisOptions().recorded(plain) == {"ipblock_selects_pods": True, "host_network_isolated": False}
    cilium = with_cilium(plain, TWO_SETS)
    assert AnalysisOptions(cluster_name="east").recorded(cilium) == {
        "ipblock_selects_pods": False, "host_network_isolated": False, "policy_enforcement": "default",
        "cluster_name": "east"}
