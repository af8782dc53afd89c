"""Bitsets of class indices: building, listing, membership and span agree with Python sets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.netpol import bitsets

INDICES = st.sets(st.integers(min_value=0, max_value=2000), max_size=60)


@settings(deadline=None)  # the first large set imports numpy
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


def test_small_and_large_sets_expand_alike() -> None:
    for size in (bitsets.SMALL_BITS - 1, bitsets.SMALL_BITS, bitsets.SMALL_BITS + 1, 5 * bitsets.SMALL_BITS):
        indices = set(range(0, size, 3)) | {size - 1}
        assert bitsets.members(bitsets.from_indices(indices, size)) == sorted(indices)
