"""Kubernetes label selectors: matchLabels plus matchExpressions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Labels = tuple[tuple[str, str], ...]
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def labels_of(mapping: Mapping[str, str] | None) -> Labels:
    """Labels as a sorted tuple of pairs, so they can be compared and hashed."""
    return tuple(sorted((mapping or {}).items()))


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry."""

    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy this requirement (NotIn and DoesNotExist hold for a missing key)."""
        value = labels.get(self.key)
        if self.operator == "In":
            return value is not None and value in self.values
        if self.operator == "NotIn":
            return value is None or value not in self.values
        if self.operator == "Exists":
            return value is not None
        return value is None

    def describe(self) -> str:
        """The requirement in kubectl's label-selector syntax."""
        values = ",".join(sorted(self.values))
        return {
            "In": f"{self.key} in ({values})",
            "NotIn": f"{self.key} notin ({values})",
            "Exists": self.key,
            "DoesNotExist": f"!{self.key}",
        }[self.operator]


@dataclass(frozen=True)
class LabelSelector:
    """A selector; the empty selector matches everything."""

    match_labels: Labels = ()
    expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the selector selects every object."""
        return not self.match_labels and not self.expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an object with `labels` is selected."""
        return all(labels.get(key) == value for key, value in self.match_labels) and all(
            requirement.matches(labels) for requirement in self.expressions
        )

    def describe(self) -> str:
        """The selector in kubectl's syntax; `{}` (everything) for the empty selector."""
        terms = [f"{key}={value}" for key, value in self.match_labels]
        terms += [requirement.describe() for requirement in self.expressions]
        return ",".join(terms) if terms else "{}"
