"""Property tests of Cilium policies mixed with NetworkPolicies: the engine (class-based and per-pod) agrees with the
per-pod reading of Cilium's documentation in tests/netpol/cilium_reference.py on every pod pair and on sampled
addresses (of the world, inside the pod range, in CIDR excepts, of the nodes) of a few hundred random clusters.

Where they disagree, the minimal clusters below name the case; each is expected to fail on the engine (strict xfail)
until the engine reads it as Cilium's documentation does."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from compliance.model.snapshot import Snapshot
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS
from tests.netpol.builders import Evaluators, cluster, namespace, node, pod, ports
from tests.netpol.cilium_reference import CiliumReference
from tests.netpol.random_cilium import NODES, random_cilium_cluster

# world addresses (some inside the pods' range, one in a CIDR except, the metadata services, IPv6) and the nodes'
WORLD = ("8.8.8.8", "192.168.4.4", "10.0.0.250", "10.0.1.250", "10.0.2.250", "169.254.169.254", "fd00::1",
         "fd00:ec2::254", "2001:db8::1")
ADDRESSES = (*WORLD, *NODES.values())
SEEDS = range(300)
CHUNK = 50
OPTIONS = AnalysisOptions(ipblock_selects_pods=False)  # Cilium's agent: CIDR rules and ipBlocks never match pods
HOST_IDENTITIES = ("the engine gives host-network pods and node addresses no host/remote-node identity: it matches "
                   "them by pod selectors and CIDRs and as world, never by the host/remote-node entities, and does not "
                   "let the local host reach its node's pods")


def pairs(reference: CiliumReference, addresses: tuple[str, ...] = ADDRESSES) -> list[tuple[str, str]]:
    """Every ordered pod pair, every pod with every sampled address both ways."""
    names = sorted(reference.pods)
    found = [(a, b) for a in names for b in names if a != b]
    return found + [(a, address) for a in names for address in addresses] + [
        (address, b) for address in addresses for b in names]


def without_host_network(snapshot: Snapshot) -> Snapshot:
    """The snapshot without its host-network pods (whose identity is their node's)."""
    return replace(snapshot, pods=tuple(pod for pod in snapshot.pods if not pod.host_network))


def default_deny_off(reference: CiliumReference, name: str, direction: str) -> bool:
    """Whether a rule set with `enableDefaultDeny` off in `direction` selects the pod `name` (where the engine does
    not report the L7 filtering its L7 rules still do: see L7_WITHOUT_DEFAULT_DENY)."""
    pod = reference.pods.get(name)
    return pod is not None and any(
        (rule_set.default_deny_ingress if direction == "ingress" else rule_set.default_deny_egress) is False
        and reference.subject_selected(policy, rule_set.endpoint_selector, pod)
        for policy in reference.snapshot.cilium_policies for rule_set in policy.rule_sets)


def assert_agree(snapshot: Snapshot, addresses: tuple[str, ...], where: object, enforcement: str = "default") -> None:
    """Both evaluators of the engine allow the reference's ports on every pair; they report ambiguous at least the
    reference's ambiguous ports (more is sound: ambiguous ports count as reachable), and L7-filtered the reference's
    (at most those where a rule set without default deny selects an end)."""
    reference = CiliumReference(snapshot, enforcement=enforcement)
    evaluators = Evaluators(snapshot, replace(OPTIONS, policy_enforcement=enforcement))
    for source, destination in pairs(reference, addresses):
        verdict = reference.verdict(source, destination)
        at = (where, source, destination)
        per_pod = evaluators.context.connection(evaluators.endpoint(source), evaluators.endpoint(destination))
        assert evaluators.engine(source, destination) == verdict.allowed, at
        assert per_pod.ports == verdict.allowed, at
        assert evaluators.engine_ambiguous(source, destination).issuperset(verdict.ambiguous), at
        assert per_pod.ambiguous.issuperset(verdict.ambiguous), at
        off = default_deny_off(reference, source, "egress") or default_deny_off(reference, destination, "ingress")
        for filtered in (evaluators.engine_filtered(source, destination), per_pod.filtered):
            assert filtered == verdict.l7 or (off and verdict.l7.issuperset(filtered)), ("L7", *at)


def test_the_reference_reads_network_policies_alone_as_the_engine_does_without_ipblocks_on_pods() -> None:
    # The NetworkPolicy part of the reference, checked against the engine where their assumptions coincide: no
    # host-network pods nor node addresses (Cilium gives them the host's identity, which always reaches the node's
    # endpoints) and ipBlocks that do not match pods.
    for seed in range(100):
        snapshot = without_host_network(random_cilium_cluster(random.Random(seed), cilium_policies=0, policies=4))
        reference = CiliumReference(snapshot)
        evaluators = Evaluators(snapshot, OPTIONS)
        for source, destination in pairs(reference, WORLD):
            assert reference.verdict(source, destination).allowed == evaluators.engine(source, destination), (
                seed, source, destination)


def test_the_reference_keeps_its_own_invariants() -> None:
    for seed in range(100):
        snapshot = random_cilium_cluster(random.Random(seed))
        reference = CiliumReference(snapshot)
        without_denies = CiliumReference(replace(snapshot, cilium_policies=tuple(
            replace(policy, rule_sets=tuple(replace(rule_set, ingress_deny=(), egress_deny=())
                                            for rule_set in policy.rule_sets))
            for policy in snapshot.cilium_policies)))
        never = CiliumReference(snapshot, enforcement="never")
        for source, destination in pairs(reference):
            verdict = reference.verdict(source, destination)
            assert verdict.allowed.issuperset(verdict.l7 | verdict.ambiguous), (seed, source, destination)
            assert without_denies.verdict(source, destination).allowed.issuperset(verdict.allowed), (seed, source,
                                                                                                     destination)
            assert never.verdict(source, destination).allowed == ALL_PORTS


# chunks of seeds, each under one policyEnforcementMode (mostly Cilium's default)
CHUNKS = [(first, "always" if first == 200 else "never" if first == 250 else "default")
          for first in range(SEEDS.start, SEEDS.stop, CHUNK)]


@pytest.mark.parametrize(("first", "enforcement"), CHUNKS)
def test_engine_agrees_with_the_cilium_reference_on_pods_and_the_world(first: int, enforcement: str) -> None:
    for seed in range(first, first + CHUNK):
        assert_agree(without_host_network(random_cilium_cluster(random.Random(seed))), WORLD, seed, enforcement)


@pytest.mark.xfail(strict=True, reason=HOST_IDENTITIES)
def test_engine_agrees_with_the_cilium_reference_on_host_network_pods_and_nodes() -> None:
    for seed in range(30):
        assert_agree(random_cilium_cluster(random.Random(seed)), ADDRESSES, seed)


# Minimal clusters on which the engine and Cilium's documentation disagree: two nodes, pods in namespace `a`.
def cnp(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A CiliumNetworkPolicy manifest in namespace `a`."""
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": name, "namespace": "a"},
            "spec": spec}


def placed(ref: str, node_name: str, ip: str, host_network: bool = False) -> dict[str, Any]:
    """A pod on a node."""
    manifest = pod(ref, {"app": ref.split("/")[1]}, ip=ip, host_network=host_network)
    manifest["spec"]["nodeName"] = node_name
    return manifest


BASE = (namespace("a"), node("n1", "10.0.200.1"), node("n2", "10.0.200.2"), placed("a/web", "n1", "10.0.1.5"),
        placed("a/host1", "n1", "10.0.200.1", True), placed("a/host2", "n2", "10.0.200.2", True))
DISAGREEMENTS = {
    # Cilium's language.rst, Entities based: `host` and `remote-node` include host-networking containers and the nodes;
    # cilium-cli's host-entity-egress test expects pods to reach every node.
    "host and remote-node entities match the nodes and host-network pods": (
        [cnp("to-nodes", {"endpointSelector": {}, "egress": [{"toEntities": ["host", "remote-node"]}]})],
        [("a/web", "10.0.200.2", "all"), ("a/web", "a/host1", "all")]),
    # language.rst: world is every endpoint outside the cluster; a node is remote-node, not world.
    "a node address is not world": (
        [cnp("to-world", {"endpointSelector": {}, "egress": [{"toEntities": ["world"]}]})],
        [("a/web", "10.0.200.2", "none"), ("a/web", "8.8.8.8", "all")]),
    # language.rst, IP/CIDR based: CIDR rules do not apply where both sides are Cilium endpoints or nodes (host-network
    # pods included); Kubernetes NetworkPolicy selectors, translated to endpoint selectors, do not match them either.
    "CIDR rules and pod selectors do not match host-network pods": (
        [cnp("to-cidr", {"endpointSelector": {}, "egress": [{"toCIDR": ["10.0.200.0/24"]}]}),
         {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "same", "namespace": "a"},
          "spec": {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]}}],
        [("a/web", "a/host2", "none"), ("a/web", "10.0.200.2", "none")]),
    # language.rst, Access to/from local host: Kubernetes always allows the local host to reach its endpoints.
    "the local host always reaches its node's pods": (
        [cnp("deny-all", {"endpointSelector": {}, "ingress": [{}]})],
        [("a/host1", "a/web", "all"), ("10.0.200.1", "a/web", "all"), ("a/host2", "a/web", "none")]),
}


# language.rst: world is every endpoint outside the cluster, whatever CIDR rules match (here under the non-default
# reading that they match pods).
WORLD_DENIED = cnp("not-world", {"endpointSelector": {}, "egress": [{"toEntities": ["all"]}],
                                 "egressDeny": [{"toEntities": ["world"]}]})


def test_the_reference_never_matches_pods_by_the_world_entity() -> None:
    reference = CiliumReference(cluster(*BASE, placed("a/db", "n2", "10.0.2.7"), WORLD_DENIED), cidr_selects_pods=True)
    assert (reference.verdict("a/web", "a/db").allowed, reference.verdict("a/web", "8.8.8.8").allowed) == (
        ALL_PORTS, NO_PORTS)


def test_the_engine_never_matches_pods_by_the_world_entity() -> None:
    evaluators = Evaluators(cluster(*BASE, placed("a/db", "n2", "10.0.2.7"), WORLD_DENIED),
                            AnalysisOptions(ipblock_selects_pods=True))
    assert (evaluators.engine("a/web", "a/db"), evaluators.engine("a/web", "8.8.8.8")) == (ALL_PORTS, NO_PORTS)


@pytest.mark.parametrize("case", DISAGREEMENTS, ids=list(DISAGREEMENTS))
def test_the_reference_reads_each_disagreement_as_the_docs_say(case: str) -> None:
    objects, expected = DISAGREEMENTS[case]
    reference = CiliumReference(cluster(*BASE, *objects))
    for source, destination, allowed in expected:
        assert reference.verdict(source, destination).allowed == ports(allowed), (source, destination)


def test_the_reference_reads_the_local_host_as_possible_where_a_node_is_unknown() -> None:
    unplaced = pod("a/api", {"app": "api"}, ip="10.0.1.6")  # no nodeName: the node may be its local host
    reference = CiliumReference(cluster(*BASE, unplaced, cnp("deny-all", {"endpointSelector": {}, "ingress": [{}]})))
    verdict = reference.verdict("10.0.200.1", "a/api")
    assert (verdict.allowed, verdict.ambiguous) == (ALL_PORTS, ALL_PORTS)


@pytest.mark.xfail(strict=True, reason=HOST_IDENTITIES)
@pytest.mark.parametrize("case", DISAGREEMENTS, ids=list(DISAGREEMENTS))
def test_the_engine_reads_each_disagreement_as_the_docs_say(case: str) -> None:
    objects, expected = DISAGREEMENTS[case]
    evaluators = Evaluators(cluster(*BASE, *objects), OPTIONS)
    assert [evaluators.engine(source, destination) for source, destination, _ in expected] == [
        ports(allowed) for _, _, allowed in expected]


# intro.rst: a rule set with enableDefaultDeny off does not put its endpoints in default deny, so an allow that may or
# may not match (toFQDNs) cannot deny what the default allows. The engine reports such ports ambiguous: sound (they
# count as reachable) but imprecise.
NAMES_WITHOUT_DEFAULT_DENY = cnp("names", {"endpointSelector": {}, "enableDefaultDeny": {"egress": False},
                                           "egress": [{"toFQDNs": [{"matchName": "api.example.com"}]}]})
OVER_REPORTED = ("the engine reads a rule that may not match (toFQDNs) as a possible deny even where no default deny "
                 "applies, and reports its ports ambiguous")


def test_the_reference_leaves_fqdn_ports_certain_without_default_deny() -> None:
    verdict = CiliumReference(cluster(*BASE, NAMES_WITHOUT_DEFAULT_DENY)).verdict("a/web", "8.8.8.8")
    assert (verdict.allowed, verdict.ambiguous) == (ALL_PORTS, NO_PORTS)


@pytest.mark.xfail(strict=True, reason=OVER_REPORTED)
def test_the_engine_leaves_fqdn_ports_certain_without_default_deny() -> None:
    evaluators = Evaluators(cluster(*BASE, NAMES_WITHOUT_DEFAULT_DENY), OPTIONS)
    assert (evaluators.engine("a/web", "8.8.8.8"), evaluators.engine_ambiguous("a/web", "8.8.8.8")) == (
        ALL_PORTS, NO_PORTS)


# intro.rst, Endpoint default policy: enableDefaultDeny does not apply to L7 rules; an L7 rule without an L7 allow-all
# still filters requests where default deny is off.
L7_WITHOUT_DEFAULT_DENY = ("the engine reads the default allow of an endpoint without default deny as lifting the L7 "
                           "rules that select it, and reports their ports unfiltered")
HTTP_WITHOUT_DEFAULT_DENY = cnp("http", {"endpointSelector": {}, "enableDefaultDeny": {"ingress": False},
                                         "ingress": [{"toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}],
                                                                   "rules": {"http": [{"method": "GET"}]}}]}]})


def test_the_reference_filters_l7_ports_without_default_deny() -> None:
    verdict = CiliumReference(cluster(*BASE, HTTP_WITHOUT_DEFAULT_DENY)).verdict("8.8.8.8", "a/web")
    assert (verdict.allowed, verdict.l7) == (ALL_PORTS, ports("TCP 80"))


@pytest.mark.xfail(strict=True, reason=L7_WITHOUT_DEFAULT_DENY)
def test_the_engine_filters_l7_ports_without_default_deny() -> None:
    evaluators = Evaluators(cluster(*BASE, HTTP_WITHOUT_DEFAULT_DENY), OPTIONS)
    assert (evaluators.engine("8.8.8.8", "a/web"), evaluators.engine_filtered("8.8.8.8", "a/web")) == (
        ALL_PORTS, ports("TCP 80"))
