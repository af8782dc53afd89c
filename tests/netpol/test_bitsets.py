"""Bitsets of class indices: building, listing, membership and span agree with Python sets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compliance.netpol import bitsets

INDICES = st.sets(st.integers(min_value=0, max_value=2000), max_size=60)


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
