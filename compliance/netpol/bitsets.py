"""Sets of small integers (pod class indices) as Python ints, one bit per member."""

from __future__ import annotations

from collections.abc import Iterable

SMALL_BITS = 64  # sets of at most this many classes are expanded bit by bit, as fast as numpy for them


def from_indices(indices: Iterable[int], size: int) -> int:
    """The bitset holding `indices` (each < size)."""
    buffer = bytearray((size + 7) // 8)
    for index in indices:
        buffer[index >> 3] |= 1 << (index & 7)
    return int.from_bytes(buffer, "little")


def members(bits: int) -> list[int]:
    """The indices in a bitset, ascending."""
    if bits.bit_length() <= SMALL_BITS:  # a small cluster's sets: no numpy to import
        found = []
        while bits:
            lowest = bits & -bits
            found.append(lowest.bit_length() - 1)
            bits ^= lowest
        return found
    import numpy  # imported on first use: small clusters start faster

    data = numpy.frombuffer(bits.to_bytes((bits.bit_length() + 7) // 8, "little"), dtype=numpy.uint8)
    return numpy.flatnonzero(numpy.unpackbits(data, bitorder="little")).tolist()


def span(bits: int) -> tuple[int, int]:
    """(lowest member, highest member + 1): every member lies in that range; (-1, 0) for the empty set."""
    return (bits & -bits).bit_length() - 1, bits.bit_length()


def has(bits: int, index: int) -> bool:
    """Whether `index` is in the bitset."""
    return (bits >> index) & 1 == 1
