"""Sets of small integers (pod class indices) as Python ints, one bit per member."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence

SMALL_BITS = 64  # sets of at most this many classes are expanded bit by bit, as fast as numpy for them


def from_indices(indices: Iterable[int], size: int) -> int:
    """The bitset holding `indices` (each < size)."""
    buffer = bytearray((size + 7) // 8)
    for index in indices:
        buffer[index >> 3] |= 1 << (index & 7)
    return int.from_bytes(buffer, "little")


def from_range(start: int, end: int) -> int:
    """The bitset holding start, ..., end - 1."""
    return ((1 << (end - start)) - 1) << start


def members(bits: int) -> list[int]:
    """The indices in a bitset, ascending.

    Only the bytes from the lowest member up are unpacked: most bitsets are one namespace's classes, a narrow
    band of a wide range.
    """
    if bits.bit_length() <= SMALL_BITS:  # a small cluster's sets: no numpy to import
        found = []
        while bits:
            lowest = bits & -bits
            found.append(lowest.bit_length() - 1)
            bits ^= lowest
        return found
    import numpy  # imported on first use: small clusters start faster

    low = (bits & -bits).bit_length() - 1
    bits >>= low
    data = numpy.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=numpy.uint8)
    return (numpy.flatnonzero(numpy.unpackbits(data, bitorder="little")) + low).tolist()


def span(bits: int) -> tuple[int, int]:
    """(lowest member, highest member + 1): every member lies in that range; (-1, 0) for the empty set."""
    return (bits & -bits).bit_length() - 1, bits.bit_length()


def has(bits: int, index: int) -> bool:
    """Whether `index` is in the bitset."""
    return (bits >> index) & 1 == 1


def touched(bits: int, starts: Sequence[int], ends: Sequence[int]) -> Iterator[int]:
    """The positions i of the ranges [starts[i], ends[i]) (disjoint, ascending) that hold a member of the bitset.

    It jumps from member to range and from range to member, so it costs as many steps as the bitset has runs
    of members among the ranges, not as many as there are ranges.
    """
    position = number = 0
    while number < len(ends):
        rest = bits >> position
        if not rest:
            return
        first = position + (rest & -rest).bit_length() - 1
        number = bisect.bisect_right(ends, first, number)
        if number == len(ends):
            return
        if first >= starts[number]:
            yield number
            position = ends[number]
            number += 1
        else:
            position = starts[number]
