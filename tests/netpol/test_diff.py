"""Difference of two reachability results: opened/closed connections, address-aware ranges, incremental updates."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.model.parse import parse_network_policy
from compliance.model.parse_cluster_policy import parse_cluster_policy
from compliance.model.policy import IPBlock
from compliance.model.policy_identity import split_policies
from compliance.netpol.calico import CalicoObjects
from compliance.netpol.cilium import tiered_objects
from compliance.netpol.connections import Connection, connections
from compliance.netpol.diff import (
    IncrementalReachability,
    connections_touching,
    diff_connections,
    external_range,
    roll_up,
)
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.reachability import analyse, analyse_snapshot
from tests.netpol.builders import admin, cluster, namespace, node, pod, policy, ports
from tests.netpol.random_clusters import random_cluster, random_cluster_policy, random_policy
from tests.support.git_repos import admin_policy, guard

WEB, DB = "shop/web[Pod]", "shop/db[Pod]"
EVERYWHERE = "0.0.0.0-255.255.255.255[External]"


def conn(source: str, destination: str, text: str) -> Connection:
    """A connection with ports given as in `ports()`."""
    return Connection(source, destination, ports(text))


@pytest.mark.parametrize(("before", "after", "opened", "closed"), [
    ([], [conn(WEB, DB, "TCP 80")], [conn(WEB, DB, "TCP 80")], []),
    ([conn(WEB, DB, "TCP 80")], [], [], [conn(WEB, DB, "TCP 80")]),
    ([conn(WEB, DB, "TCP 80,443")], [conn(WEB, DB, "TCP 80")], [], [conn(WEB, DB, "TCP 443")]),
    ([conn(WEB, DB, "TCP 80")], [conn(WEB, DB, "TCP 80-81; UDP 53")], [conn(WEB, DB, "TCP 81; UDP 53")], []),
    ([conn(WEB, DB, "TCP 80")], [conn(WEB, DB, "TCP 443")], [conn(WEB, DB, "TCP 443")], [conn(WEB, DB, "TCP 80")]),
    ([conn(WEB, DB, "all")], [conn(WEB, DB, "all")], [], []),
], ids=["opened", "closed", "port set shrinks", "port set grows", "port moved", "unchanged"])
def test_diff_of_workload_connections(before: list, after: list, opened: list, closed: list) -> None:
    assert diff_connections(before, after) == (opened, closed)


def test_ranges_cut_differently_are_compared_address_by_address() -> None:
    before = [conn(WEB, EVERYWHERE, "all")]
    after = [conn(WEB, "0.0.0.0-9.255.255.255[External]", "all"),
             conn(WEB, "10.0.0.0-10.255.255.255[External]", "TCP 443"),
             conn(WEB, "11.0.0.0-255.255.255.255[External]", "all")]
    opened, closed = diff_connections(before, after)
    assert opened == []
    assert closed == [Connection(WEB, "10.0.0.0-10.255.255.255[External]", ports("all") - ports("TCP 443"))]
    assert diff_connections(after, before) == (closed, [])


def test_neighbouring_ranges_that_change_alike_are_joined() -> None:
    after = [conn("0.0.0.0-9.255.255.255[External]", DB, "TCP 5432"),
             conn("10.0.0.0-255.255.255.255[External]", DB, "TCP 5432")]
    assert diff_connections([], after) == ([conn(EVERYWHERE, DB, "TCP 5432")], [])


def test_ranges_are_not_joined_across_address_cuts() -> None:
    cut = IPBlock(ipaddress.ip_network("10.0.0.0/8"))
    assert diff_connections([], [conn(WEB, EVERYWHERE, "TCP 443")], [cut]) == ([
        conn(WEB, "0.0.0.0-9.255.255.255[External]", "TCP 443"),
        conn(WEB, "10.0.0.0-10.255.255.255[External]", "TCP 443"),
        conn(WEB, "11.0.0.0-255.255.255.255[External]", "TCP 443")], [])


def test_external_range_names() -> None:
    found = external_range("10.0.0.0-10.255.255.255[External]")
    assert found is not None and (found.version, found.last - found.first) == (4, 2**24 - 1)
    assert external_range(WEB) is None
    assert external_range("::-ffff::[External]").version == 6


def test_roll_up_groups_by_zone_pair_with_the_union_of_ports() -> None:
    zone = {"shop": "general", "pay": "cde"}.get
    found = [conn("shop/a[Pod]", "pay/x[Pod]", "TCP 80"), conn("shop/b[Pod]", "pay/y[Pod]", "TCP 443"),
             conn("pay/x[Pod]", "pay/y[Pod]", "TCP 5432")]
    assert roll_up(found, lambda name: zone(name.split("/")[0], "external")) == [
        conn("cde", "cde", "TCP 5432"), conn("general", "cde", "TCP 80,443")]


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_connections_touching_is_the_filtered_full_result(rng: random.Random) -> None:
    snapshot = random_cluster(rng, pods=8, policies=4)
    reach = analyse_snapshot(snapshot, AnalysisOptions())
    inside = {"ns0", "ns2"}
    for level in ("pod", "workload", "namespace"):
        full = connections(reach, level)
        namespace_of = {p.display: p.namespace for p in snapshot.pods} | {
            p.workload.display: p.namespace for p in snapshot.pods} | {p.namespace: p.namespace for p in snapshot.pods}
        expected = [c for c in full if {namespace_of.get(c.source), namespace_of.get(c.destination)} & inside]
        assert connections_touching(reach, level, inside) == expected


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_incremental_updates_match_full_recomputation(rng: random.Random) -> None:
    snapshot = random_cluster(rng, pods=8, policies=4)
    options = AnalysisOptions(ipblock_selects_pods=rng.random() < 0.5)
    labels = snapshot.topology_labels()
    current = {p.key: p for p in snapshot.policies}
    tracker = IncrementalReachability(snapshot.pods, labels, current.values(), options)
    for step in range(4):
        key = f"ns{rng.randrange(3)}/{rng.choice([p.name for p in current.values()] + [f'new{step}'])}"
        replacement = None if rng.random() < 0.25 else parse_network_policy(
            random_policy(rng, key, explicit_types=False))
        previous = dict(current)
        if replacement is None:
            current.pop(key, None)
        else:
            current[key] = replacement
        changed = tracker.apply(key, replacement)
        # Both sides model the same IP versions: those of every policy the tracker has seen so far.
        before, after = (connections(analyse(snapshot.pods, state.values(), labels, options, tracker.address_cuts),
                                     "workload") for state in (previous, current))
        assert changed == diff_connections(before, after)


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_incremental_updates_under_calico_tiers_match_full_recomputation(rng: random.Random) -> None:
    snapshot = random_cluster(rng, pods=8, policies=3, calico_policies=3)
    options = AnalysisOptions()
    labels = snapshot.topology_labels()
    calico = CalicoObjects.of(snapshot)
    current = {p.key: p for p in snapshot.policies}
    tracker = IncrementalReachability(snapshot.pods, labels, current.values(), options, calico=calico)
    for step in range(3):
        key = f"ns{rng.randrange(3)}/{rng.choice([p.name for p in current.values()] + [f'new{step}'])}"
        replacement = None if rng.random() < 0.25 else parse_network_policy(
            random_policy(rng, key, explicit_types=False))
        previous = dict(current)
        if replacement is None:
            current.pop(key, None)
        else:
            current[key] = replacement
        changed = tracker.apply(key, replacement)
        before, after = (connections(analyse(snapshot.pods, state.values(), labels, options, tracker.address_cuts,
                                             calico=calico), "workload") for state in (previous, current))
        assert changed == diff_connections(before, after)


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_incremental_updates_of_tracked_calico_policies_match_full_recomputation(rng: random.Random) -> None:
    snapshot = random_cluster(rng, pods=8, policies=2, calico_policies=4)
    options = AnalysisOptions()
    labels = snapshot.topology_labels()
    fixed = replace(CalicoObjects.of(snapshot), policies=())  # tiers and network sets; the policies are tracked
    originals = {p.key: p for p in snapshot.calico_policies}
    current: dict[str, Any] = {p.key: p for p in snapshot.all_policies}
    tracker = IncrementalReachability(snapshot.pods, labels, current.values(), options, calico=fixed)
    for _ in range(4):
        key = rng.choice(sorted(originals))
        replacement = None if key in current and rng.random() < 0.6 else originals[key]
        previous = dict(current)
        if replacement is None:
            current.pop(key, None)
        else:
            current[key] = replacement
        changed = tracker.apply(key, replacement)
        before, after = (connections(analyse(snapshot.pods, network, labels, options, tracker.address_cuts, tiered,
                                             calico=replace(fixed, policies=tuple(calico))), "workload")
                         for network, tiered, calico, _ in map(split_policies, (previous.values(), current.values())))
        assert changed == diff_connections(before, after)


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_incremental_updates_of_every_policy_kind_match_full_recomputation(rng: random.Random) -> None:
    snapshot = random_cluster(rng, pods=8, policies=3, cluster_policies=3)
    options = AnalysisOptions(ipblock_selects_pods=rng.random() < 0.5)
    labels = snapshot.topology_labels()
    current = {p.key: p for p in snapshot.all_policies}
    tracker = IncrementalReachability(snapshot.pods, labels, current.values(), options)
    for step in range(4):
        kind = rng.choice(["NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"])
        if kind == "NetworkPolicy":
            key = f"ns{rng.randrange(3)}/{rng.choice([p.name for p in snapshot.policies] + [f'new{step}'])}"
            replacement = parse_network_policy(random_policy(rng, key, explicit_types=False))
        else:
            parsed = parse_cluster_policy(random_cluster_policy(rng, kind, rng.choice(["cp0", "cp1", f"new{step}"])))
            key, replacement = parsed.key, parsed
        previous = dict(current)
        if rng.random() < 0.25:
            current.pop(key, None)
            changed = tracker.apply(key, None)
        else:
            current[key] = replacement
            changed = tracker.apply(key, replacement)
        before, after = (connections(analyse(snapshot.pods, network, labels, options, tracker.address_cuts, tiered),
                                     "workload") for network, tiered, _, _ in map(split_policies, (previous.values(),
                                                                                             current.values())))
        assert changed == diff_connections(before, after)


def test_a_cluster_policy_change_is_weighed_on_the_namespaces_its_subject_selects() -> None:
    snapshot = cluster(namespace("shop"), namespace("pay"), namespace("empty"), pod("shop/web", {"app": "web"}),
                       pod("pay/vault", {"app": "vault"}))
    tracker = IncrementalReachability(snapshot.pods, snapshot.topology_labels(), [], AnalysisOptions())
    deny = parse_cluster_policy(admin_policy("cde-guard", guard("pay", "shop")))
    assert tracker.compare(deny.key, deny) == ([], [conn("shop/web[Pod]", "pay/vault[Pod]", "all")])
    assert tracker.apply(deny.key, deny) == ([], [conn("shop/web[Pod]", "pay/vault[Pod]", "all")])
    evaluations = tracker.evaluations
    nowhere = parse_cluster_policy(admin_policy("nowhere", guard("empty", "shop")))
    assert tracker.apply(nowhere.key, nowhere) == ([], [])
    assert tracker.apply(deny.key, parse_cluster_policy(admin_policy("cde-guard", guard("pay", "shop"),
                                                                      labels={"team": "platform"}))) == ([], [])
    assert tracker.evaluations == evaluations
    assert tracker.apply(deny.key, None) == ([conn("shop/web[Pod]", "pay/vault[Pod]", "all")], [])


def test_changes_that_cannot_matter_are_not_evaluated() -> None:
    snapshot = cluster(namespace("shop"), pod("shop/web", {"app": "web"}), pod("shop/db", {"app": "db"}))
    deny = parse_network_policy(policy("shop/deny", {"podSelector": {"matchLabels": {"app": "db"}}}))
    tracker = IncrementalReachability(snapshot.pods, snapshot.topology_labels(), [], AnalysisOptions())
    into_db = [conn(EVERYWHERE, DB, "all"), conn(WEB, DB, "all")]
    assert tracker.apply("shop/deny", deny) == ([], into_db)
    assert tracker.evaluations == 2
    labelled = parse_network_policy({**policy("shop/deny", {"podSelector": {"matchLabels": {"app": "db"}},
                                                             "policyTypes": ["Ingress"]}),
                                     "metadata": {"name": "deny", "namespace": "shop", "labels": {"x": "y"}}})
    assert tracker.apply("shop/deny", labelled) == ([], [])
    elsewhere = parse_network_policy(policy("elsewhere/deny", {}))
    assert tracker.apply("elsewhere/deny", elsewhere) == ([], [])
    nothing = parse_network_policy(policy("shop/nothing", {"podSelector": {"matchLabels": {"app": "gone"}}}))
    assert tracker.apply("shop/nothing", nothing) == ([], [])
    assert tracker.evaluations == 2
    assert tracker.apply("shop/deny", None) == (into_db, [])
    assert tracker.evaluations == 3


def test_a_first_ipv6_block_opens_nothing_by_itself() -> None:
    # Before, no ipBlock names IPv6, so no IPv6 range is modelled; the new egress policy of db brings them.
    # web could always reach IPv6 (its egress is not isolated): that must not read as opened now; db's
    # egress, isolated by the policy, is closed for everything but its one IPv6 block.
    snapshot = cluster(namespace("shop"), pod("shop/web", {"app": "web"}), pod("shop/db", {"app": "db"}))
    tracker = IncrementalReachability(snapshot.pods, snapshot.topology_labels(), [], AnalysisOptions())
    egress = parse_network_policy(policy("shop/db-egress", {
        "podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "2001:db8::/32"}}]}]}))
    opened, closed = tracker.apply("shop/db-egress", egress)
    assert opened == []
    assert {c.source for c in closed} == {DB}
    assert conn(DB, "::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External]", "all") in closed
    assert not any(c.destination.startswith("2001:db8::") for c in closed)


def test_a_nodes_peer_is_resolved_against_the_nodes_given() -> None:
    snapshot = cluster(namespace("a"), pod("a/web"),
                       node("cp-1", "10.9.0.1", role="control-plane"), node("worker-1", "10.9.0.2", role="worker"))
    guard_nodes = parse_cluster_policy(admin("no-cp", 1, {"egress": [
        {"action": "Deny", "to": [{"nodes": {"matchLabels": {"role": "control-plane"}}}]}]}))
    tracker = IncrementalReachability(snapshot.pods, snapshot.topology_labels(), [], AnalysisOptions(),
                                      level="pod", nodes=snapshot.nodes)
    opened, closed = tracker.compare(guard_nodes.key, guard_nodes)
    assert opened == []
    assert [(c.source, c.destination, c.ports) for c in closed] == [
        ("a/web", "10.9.0.1-10.9.0.1[External]", ports("all"))]


CILIUM_DENIES = [
    {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "deny-ns0", "namespace": "ns1"},
     "spec": {"endpointSelector": {}, "ingressDeny": [{"fromEndpoints": [
         {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "ns0"}}]}]}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "egress-ns2"},
     "spec": {"endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "ns2"}},
              "egress": [{"toEntities": ["cluster"], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]}]}},
    {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "web", "namespace": "ns0"},
     "spec": {"endpointSelector": {}, "ingress": [{"fromEntities": ["cluster"]}]}},
]


@settings(max_examples=20, deadline=None)
@given(st.randoms(use_true_random=False))
def test_incremental_updates_of_tracked_cilium_policies_match_full_recomputation(rng: random.Random) -> None:
    base = random_cluster(rng, pods=8, policies=2)
    originals = {p.key: p for p in cluster(*CILIUM_DENIES).cilium_policies}
    options = AnalysisOptions()
    current: dict[str, Any] = {p.key: p for p in base.all_policies}
    tracker = IncrementalReachability(base.pods, base.topology_labels(), current.values(), options,
                                      untracked=base, cilium_cni=True)
    for _ in range(4):
        key = rng.choice(sorted(originals))
        replacement = None if key in current and rng.random() < 0.5 else originals[key]
        previous = dict(current)
        if replacement is None:
            current.pop(key, None)
        else:
            current[key] = replacement
        changed = tracker.apply(key, replacement)
        before, after = (connections(analyse(base.pods, network, base.topology_labels(), options,
                                             tracker.address_cuts, tiered, calico=replace(tiered_objects(
                                                 replace(base, cilium_policies=tuple(cilium)), options), cilium=True)),
                                     "workload")
                         for network, tiered, _, cilium in map(split_policies, (previous.values(), current.values())))
        assert changed == diff_connections(before, after)
