"""The class-based engine: the table of semantic rules, agreement with the per-pod reference, invariants."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.netpol import bitsets
from compliance.netpol.addresses import address_text
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.reachability import Blocks, refine
from tests.netpol.builders import Evaluators, cluster, ports
from tests.netpol.cases import CASES, Case
from tests.netpol.random_clusters import random_cluster, random_objects, random_rule


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_engine_follows_the_semantics(case: Case) -> None:
    evaluators = Evaluators(cluster(*case.objects), case.options)
    for source, destination, expected in case.expect:
        assert evaluators.engine(source, destination) == ports(expected), (source, destination)
    ambiguous = {(source, destination): expected for source, destination, expected in case.ambiguous}
    for source, destination, _ in case.expect:
        assert evaluators.engine_ambiguous(source, destination) == ports(ambiguous.get((source, destination), "none"))


# Addresses asked of every cluster besides those the ranges start with: the cloud metadata services (the IPv6
# one lies in no range unless some policy of the cluster names an IPv6 block) and the last IPv4 address.
EXTRA_ADDRESSES = ("169.254.169.254", "fd00:ec2::254", "255.255.255.255")


def assert_agree(evaluators: Evaluators, source: str, destination: str) -> None:
    """The two evaluators give one pair the same allowed and the same ambiguous ports."""
    assert evaluators.engine(source, destination) == evaluators.reference(source, destination), (source, destination)
    assert (evaluators.engine_ambiguous(source, destination)
            == evaluators.reference_ambiguous(source, destination)), ("ambiguous", source, destination)


def assert_engine_equals_reference(evaluators: Evaluators) -> None:
    """Every pod pair, and every pod with every address range, agree between the two evaluators."""
    reach = evaluators.reach
    names = sorted(evaluators.pods)
    for source in names:
        for destination in names:
            if source != destination:
                assert_agree(evaluators, source, destination)
        for address in (*(address_text(r.version, r.first) for r in reach.egress_ranges), *EXTRA_ADDRESSES):
            assert_agree(evaluators, source, address)
    for address in (*(address_text(r.version, r.first) for r in reach.ingress_ranges), *EXTRA_ADDRESSES):
        for destination in names:
            assert_agree(evaluators, address, destination)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.booleans(), st.booleans())
def test_engine_agrees_with_reference_on_random_clusters(rng: random.Random, ipblock: bool, host: bool) -> None:
    options = AnalysisOptions(ipblock_selects_pods=ipblock, host_network_isolated=host)
    assert_engine_equals_reference(Evaluators(random_cluster(rng, pods=8, policies=5), options))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.booleans(), st.booleans())
def test_engine_agrees_with_reference_on_random_clusters_with_tiers(rng: random.Random, ipblock: bool,
                                                                    host: bool) -> None:
    options = AnalysisOptions(ipblock_selects_pods=ipblock, host_network_isolated=host)
    snapshot = random_cluster(rng, pods=8, policies=3, cluster_policies=rng.randint(1, 4))
    assert_engine_equals_reference(Evaluators(snapshot, options))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.booleans())
def test_engine_agrees_with_reference_on_random_clusters_with_calico_policies(rng: random.Random,
                                                                             ipblock: bool) -> None:
    options = AnalysisOptions(ipblock_selects_pods=ipblock)
    snapshot = random_cluster(rng, pods=8, policies=rng.randint(0, 3), cluster_policies=rng.randint(0, 2),
                              calico_policies=rng.randint(1, 5))
    assert_engine_equals_reference(Evaluators(snapshot, options))


@pytest.mark.parametrize("seed", range(3))
def test_engine_agrees_with_reference_on_a_few_hundred_pods(seed: int) -> None:
    evaluators = Evaluators(random_cluster(random.Random(seed), pods=300, policies=40, namespaces=6))
    assert_engine_equals_reference(evaluators)


@settings(max_examples=100, deadline=None)
@given(st.randoms(use_true_random=False))
def test_adding_a_rule_never_removes_a_connection(rng: random.Random) -> None:
    objects = random_objects(rng, pods=7, policies=4, explicit_types=True)
    before = Evaluators(cluster(*objects))
    target = rng.choice([o for o in objects if o["kind"] == "NetworkPolicy"])
    direction = rng.choice(["ingress", "egress"])
    target["spec"].setdefault(direction, []).append(random_rule(rng, direction))
    after = Evaluators(cluster(*objects))
    for source in before.pods:
        for destination in before.pods:
            if source != destination:
                assert after.engine(source, destination).issuperset(before.engine(source, destination))


@given(st.lists(st.sets(st.integers(0, 300), min_size=1), min_size=1, max_size=3),
       st.lists(st.sets(st.integers(0, 300)), max_size=12))
def test_refine_cuts_cells_along_every_item(cells: list[set[int]], items: list[set[int]]) -> None:
    disjoint = [cell - set().union(*cells[:position]) for position, cell in enumerate(cells)]
    disjoint = [cell for cell in disjoint if cell]
    refined = refine([(bitsets.from_indices(cell, 301), ()) for cell in disjoint],
                     [(bits, bitsets.span(bits), number) for number, bits in
                      enumerate(bitsets.from_indices(item, 301) for item in items)])
    pieces = [set(bitsets.members(bits)) for bits, _ in refined]
    assert sorted(i for piece in pieces for i in piece) == sorted(i for cell in disjoint for i in cell)
    for piece, (_, tags) in zip(pieces, refined, strict=True):
        assert piece
        assert tags == tuple(number for number, item in enumerate(items) if piece <= item)
        assert all(piece <= item or not piece & item for item in items)


@given(st.lists(st.sets(st.integers(0, 300), min_size=1), min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 5), st.sets(st.integers(0, 49))), max_size=12),
       st.lists(st.sets(st.integers(0, 300)), max_size=3))
def test_blocks_refine_cuts_cells_as_refine_does(cells: list[set[int]], ranged: list[tuple[int, set[int]]],
                                                 wide: list[set[int]]) -> None:
    # Ranges of 50 indices with gaps between them; items inside one range, and items anywhere.
    starts, ends = [number * 60 for number in range(6)], [number * 60 + 50 for number in range(6)]
    sets = [{starts[number] + index for index in found} for number, found in ranged] + wide
    items = [(bits, bitsets.span(bits), number) for number, bits in
             enumerate(bitsets.from_indices(found, 360) for found in sets)]
    disjoint = [cell - set().union(*cells[:position]) for position, cell in enumerate(cells)]
    disjoint = [(bitsets.from_indices(cell, 360), ()) for cell in disjoint if cell]
    expected = {(bits, frozenset(tags)) for bits, tags in refine(disjoint, items)}
    found = Blocks.of(items, starts, ends).refine(disjoint)
    assert {(bits, frozenset(tags)) for bits, tags in found} == expected
    assert len(found) == len(expected)
