"""Calico's selector language, as values: comparisons of one label joined by `!`, `&&` and `||`.

`k == 'v'`, `k in {'a', 'b'}`, `has(k)`, `k contains 's'`, `k starts with 's'` and `k ends with 's'` hold only
for an endpoint that has the label; `k != 'v'` and `k not in {...}` also hold for one without it (Calico's
rule). `all()` matches everything; `global()` matches only non-namespaced resources (GlobalNetworkSets, host
endpoints) and is meaningful in a `namespaceSelector`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

OPERATORS = ("has", "==", "!=", "in", "not in", "contains", "starts with", "ends with")


@dataclass(frozen=True)
class LabelTest:
    """One comparison of the label `key`: `operator` with `values` (one value, a set for `in`, none for `has`)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy the comparison."""
        value = labels.get(self.key)
        if self.operator == "!=":
            return value is None or value != self.values[0]
        if self.operator == "not in":
            return value is None or value not in self.values
        if value is None:
            return False
        if self.operator == "has":
            return True
        if self.operator == "==":
            return value == self.values[0]
        if self.operator == "in":
            return value in self.values
        if self.operator == "contains":
            return self.values[0] in value
        if self.operator == "starts with":
            return value.startswith(self.values[0])
        return value.endswith(self.values[0])

    def describe(self) -> str:
        """The comparison in Calico's syntax."""
        if self.operator == "has":
            return f"has({self.key})"
        if self.operator in ("in", "not in"):
            return f"{self.key} {self.operator} {{{', '.join(quote(v) for v in self.values)}}}"
        return f"{self.key} {self.operator} {quote(self.values[0])}"


@dataclass(frozen=True)
class Everything:
    """`all()`: every endpoint (and, in a namespaceSelector, every namespace)."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Always."""
        return True

    def describe(self) -> str:
        """`all()`."""
        return "all()"


@dataclass(frozen=True)
class NonNamespaced:
    """`global()`: only resources outside namespaces; no pod and no namespaced network set."""

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Never, for labels of a namespaced endpoint (GlobalNetworkSets are matched by the engine)."""
        return False

    def describe(self) -> str:
        """`global()`."""
        return "global()"


@dataclass(frozen=True)
class Negation:
    """`!term`."""

    term: Term

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the term does not match."""
        return not self.term.matches(labels)

    def describe(self) -> str:
        """`!(...)`."""
        return f"!{wrapped(self.term)}"


@dataclass(frozen=True)
class Conjunction:
    """`a && b && ...`."""

    terms: tuple[Term, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every term matches."""
        return all(term.matches(labels) for term in self.terms)

    def describe(self) -> str:
        """`a && b`."""
        return " && ".join(wrapped(term) for term in self.terms)


@dataclass(frozen=True)
class Disjunction:
    """`a || b || ...`."""

    terms: tuple[Term, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether some term matches."""
        return any(term.matches(labels) for term in self.terms)

    def describe(self) -> str:
        """`a || b`."""
        return " || ".join(wrapped(term) for term in self.terms)


Term = LabelTest | Everything | NonNamespaced | Negation | Conjunction | Disjunction


@dataclass(frozen=True)
class CalicoSelector:
    """A parsed selector with the text it was written as (outputs show the text)."""

    text: str
    term: Term

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a namespaced endpoint (or a namespace, for a namespaceSelector) with `labels` is selected."""
        return self.term.matches(labels)

    def describe(self) -> str:
        """The selector as written."""
        return self.text


EVERY_ENDPOINT = CalicoSelector("all()", Everything())


def quote(value: str) -> str:
    """A value in selector syntax, in the quotes it does not contain."""
    return f'"{value}"' if "'" in value else f"'{value}'"


def wrapped(term: Term) -> str:
    """A term as an operand: in parentheses when it is a conjunction or disjunction."""
    text = term.describe()
    return f"({text})" if isinstance(term, (Conjunction, Disjunction)) else text
