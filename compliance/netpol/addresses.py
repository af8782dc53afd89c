"""Address ranges: ipBlocks as integer intervals, and the disjoint ranges a set of ipBlocks induces."""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from compliance.model.policy import IPBlock
from compliance.netpol import intervals
from compliance.netpol.intervals import Spans

SPACE = {4: (0, 2**32 - 1), 6: (0, 2**128 - 1)}


@dataclass(frozen=True, order=True)
class AddressRange:
    """An inclusive range of IPv4 or IPv6 addresses outside the modelled pods."""

    version: int
    first: int
    last: int

    @property
    def display(self) -> str:
        """`a.b.c.d-e.f.g.h[External]`, the range's name in every output."""
        return f"{address_text(self.version, self.first)}-{address_text(self.version, self.last)}[External]"


def address_text(version: int, value: int) -> str:
    """An address given as an integer, in its usual notation."""
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


def block_spans(block: IPBlock) -> tuple[int, Spans]:
    """(IP version, intervals) of an ipBlock: its cidr minus its except ranges."""
    def span(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> tuple[int, int]:
        return int(network.network_address), int(network.broadcast_address)
    return block.cidr.version, intervals.difference((span(block.cidr),), intervals.normalise(
        [span(excluded) for excluded in block.excepts]))


@dataclass(frozen=True)
class AddressPartition:
    """The disjoint ranges that the boundaries of some ipBlocks cut the address space into.

    Every block is a union of whole ranges, so "range ⊆ block" is decided per range exactly.
    Only IPv4 is partitioned unless some block is IPv6.
    """

    ranges: tuple[AddressRange, ...]

    def indices_within(self, block: IPBlock) -> frozenset[int]:
        """Indices of the ranges that lie inside `block`."""
        version, spans = block_spans(block)
        found = []
        for low, high in spans:
            index = bisect.bisect_left(self.ranges, AddressRange(version, low, low))
            while index < len(self.ranges) and self.ranges[index].version == version and \
                    self.ranges[index].first <= high:
                if self.ranges[index].last <= high:
                    found.append(index)
                index += 1
        return frozenset(found)

    def index_of(self, address: str) -> int | None:
        """The index of the range holding an address, or None when its IP version is not partitioned."""
        version, value = address_value(address)
        position = bisect.bisect_right(self.ranges, AddressRange(version, value, SPACE[version][1])) - 1
        if position >= 0 and self.ranges[position].version == version and (
                self.ranges[position].first <= value <= self.ranges[position].last):
            return position
        return None


def address_value(address: str) -> tuple[int, int]:
    """(IP version, integer value) of an address in text form."""
    family, version = (socket.AF_INET6, 6) if ":" in address else (socket.AF_INET, 4)
    return version, int.from_bytes(socket.inet_pton(family, address), "big")


def partition(blocks: Iterable[IPBlock]) -> AddressPartition:
    """The disjoint address ranges induced by `blocks` (the whole IPv4 space when there are none)."""
    cuts: dict[int, set[int]] = {4: {0}}
    for block in blocks:
        version, spans = block_spans(block)
        points = cuts.setdefault(version, {0})
        for low, high in spans:
            points.update((low, high + 1))
    ranges = []
    for version in sorted(cuts):
        last_address = SPACE[version][1]
        starts = sorted(p for p in cuts[version] if p <= last_address)
        bounds = [*starts, last_address + 1]
        ranges += [AddressRange(version, low, high - 1) for low, high in itertools.pairwise(bounds)]
    return AddressPartition(tuple(ranges))
