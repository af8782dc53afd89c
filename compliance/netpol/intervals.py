"""Sets of integers as sorted, disjoint, inclusive intervals: the basis of port and address sets."""

from __future__ import annotations

Spans = tuple[tuple[int, int], ...]


def normalise(spans: list[tuple[int, int]] | Spans) -> Spans:
    """Sorted, merged (adjacent or overlapping) intervals."""
    merged: list[list[int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return tuple((low, high) for low, high in merged)


def union(a: Spans, b: Spans) -> Spans:
    """The union of a and b."""
    if not a:
        return b
    if not b or a == b:
        return a
    return normalise(a + b)


def intersection(a: Spans, b: Spans) -> Spans:
    """The intersection of a and b."""
    result = []
    i = j = 0
    while i < len(a) and j < len(b):
        low = max(a[i][0], b[j][0])
        high = min(a[i][1], b[j][1])
        if low <= high:
            result.append((low, high))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(result)


def difference(a: Spans, b: Spans) -> Spans:
    """a minus b."""
    result = []
    for low, high in a:
        start = low
        for cut_low, cut_high in b:
            if cut_high < start or cut_low > high:
                continue
            if cut_low > start:
                result.append((start, cut_low - 1))
            start = max(start, cut_high + 1)
            if start > high:
                break
        if start <= high:
            result.append((start, high))
    return tuple(result)


def contains(outer: Spans, inner: Spans) -> bool:
    """Whether inner is a subset of outer."""
    return not difference(inner, outer)
