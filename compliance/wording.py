"""English number agreement for every message that counts something: `1 workload`, `2 workloads`, `1 of 3
namespaces has`, and a statement about none that does not read "All 0 connections"."""

from __future__ import annotations


def counted(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 workload`, `0 workloads`; `nouns` for an irregular plural (`3 policies`)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def agreeing(count: int, one: str, many: str) -> str:
    """`one` when the count is 1, else `many`; `{count}` in either is the count (other braces stay: names in the
    text may hold them)."""
    return (one if count == 1 else many).replace("{count}", str(count))


def every(count: int, one: str, many: str, none: str) -> str:
    """A statement about all items: `none` when there is none, `one` for a single one, else `many` (`{count}`)."""
    return none if count == 0 else agreeing(count, one, many)
