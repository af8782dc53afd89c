"""Bitsets of class indices: building, listing, membership, span and the ranges touched agree with Python sets."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.netpol import bitsets

INDICES = st.sets(st.integers(min_value=0, max_value=2000), max_size=60)


@settings(deadline=None)  # the first example imports numpy
@given(INDICES)
def test_members_has_and_span_agree_with_a_set(indices: set[int]) -> None:
    bits = bitsets.from_indices(indices, 2001)
    assert bitsets.members(bits) == sorted(indices)
    assert all(bitsets.has(bits, index) == (index in indices) for index in range(0, 2001, 7))
    low, high = bitsets.span(bits)
    if indices:
        assert (low, high) == (min(indices), max(indices) + 1)
    else:
        assert high <= 0


@given(INDICES, st.sets(st.integers(min_value=0, max_value=2001), max_size=30))
def test_touched_lists_the_ranges_holding_a_member(indices: set[int], cuts: set[int]) -> None:
    ranges = list(itertools.pairwise(sorted(cuts)))[::2]  # disjoint, with gaps between them
    touched = bitsets.touched(bitsets.from_indices(indices, 2001), [s for s, _ in ranges], [e for _, e in ranges])
    assert list(touched) == [number for number, (start, end) in enumerate(ranges)
                             if any(start <= index < end for index in indices)]


@given(st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=300))
def test_from_range_holds_the_range(start: int, length: int) -> None:
    assert bitsets.members(bitsets.from_range(start, start + length)) == list(range(start, start + length))
