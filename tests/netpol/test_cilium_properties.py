"""Property tests of Cilium policies mixed with NetworkPolicies: the engine (class-based and per-pod) agrees with the
per-pod reading of Cilium's documentation in tests/netpol/cilium_reference.py on every pod pair and on sampled
addresses (of the world, inside the pod range, in CIDR excepts, of the nodes) of a few hundred random clusters."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS
from tests.netpol.builders import Evaluators
from tests.netpol.cilium_reference import CiliumReference
from tests.netpol.random_cilium import NODES, random_cilium_cluster

# world addresses (some inside the pods' range, one in a CIDR except, the metadata services, IPv6) and the nodes'
ADDRESSES = ("8.8.8.8", "192.168.4.4", "10.0.0.250", "10.0.1.250", "10.0.2.250", "169.254.169.254", "fd00::1",
             "fd00:ec2::254", "2001:db8::1", *NODES.values())
SEEDS = range(300)
CHUNK = 30


def pairs(reference: CiliumReference, addresses: tuple[str, ...] = ADDRESSES) -> list[tuple[str, str]]:
    """Every ordered pod pair, every pod with every sampled address both ways."""
    names = sorted(reference.pods)
    found = [(a, b) for a in names for b in names if a != b]
    return found + [(a, address) for a in names for address in addresses] + [
        (address, b) for address in addresses for b in names]


def test_the_reference_reads_network_policies_alone_as_the_engine_does_without_ipblocks_on_pods() -> None:
    # The NetworkPolicy part of the reference, checked against the engine where their assumptions coincide: no
    # host-network pods nor node addresses (Cilium gives them the host's identity, which always reaches the node's
    # endpoints) and ipBlocks that do not match pods.
    for seed in SEEDS:
        snapshot = random_cilium_cluster(random.Random(seed), cilium_policies=0, policies=4)
        snapshot = replace(snapshot, pods=tuple(pod for pod in snapshot.pods if not pod.host_network))
        reference = CiliumReference(snapshot)
        evaluators = Evaluators(snapshot, AnalysisOptions(ipblock_selects_pods=False))
        for source, destination in pairs(reference, ADDRESSES[:-len(NODES)]):
            assert reference.verdict(source, destination).allowed == evaluators.engine(source, destination), (
                seed, source, destination)


def test_the_reference_keeps_its_own_invariants() -> None:
    for seed in SEEDS:
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


@pytest.mark.parametrize("first", range(SEEDS.start, SEEDS.stop, CHUNK))
def test_engine_agrees_with_the_cilium_reference(first: int) -> None:
    pytest.importorskip("compliance.netpol.cilium")
    for seed in range(first, first + CHUNK):
        snapshot = random_cilium_cluster(random.Random(seed))
        reference = CiliumReference(snapshot)
        evaluators = Evaluators(snapshot, AnalysisOptions(ipblock_selects_pods=False))
        for source, destination in pairs(reference):
            verdict = reference.verdict(source, destination)
            where = (seed, source, destination)
            assert evaluators.engine(source, destination) == verdict.allowed, where
            assert evaluators.reference(source, destination) == verdict.allowed, where
            assert evaluators.engine_ambiguous(source, destination) == verdict.ambiguous, where
