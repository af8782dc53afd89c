"""Equivalence classes of pods: pods that no policy can tell apart are analysed once."""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from compliance.model.calico_selector import Conjunction, Disjunction, Everything, Negation, NonNamespaced, Term
from compliance.model.objects import Pod
from compliance.model.selectors import Labels, LabelSelector
from compliance.netpol import bitsets
from compliance.netpol.addresses import AddressPartition
from compliance.netpol.ports import NamedPorts


@dataclass(frozen=True)
class PodClass:
    """Pods with the same namespace, labels, named ports, host networking and ipBlock membership (and service
    account, where Calico policies may select by it)."""

    index: int
    namespace: str
    labels: Labels
    named_ports: NamedPorts
    host_network: bool
    address_ranges: tuple[int, ...]
    service_account: str
    pods: tuple[Pod, ...]


def group_pods(pods: Iterable[Pod], partition: AddressPartition | None,
               by_service_account: bool = False) -> tuple[PodClass, ...]:
    """Pods grouped into classes, in a stable order (namespace, labels, ...).

    With a partition (ipBlocks select pods), pods whose IPs fall in different ranges of it are kept apart; with
    `by_service_account`, so are pods running as different service accounts.
    """
    groups: dict[tuple[str, Labels, NamedPorts, bool, tuple[int, ...], str], list[Pod]] = defaultdict(list)
    for pod in pods:
        ranges: tuple[int, ...] = ()
        if partition is not None and pod.ips:
            found = {partition.index_of(ip) for ip in pod.ips}
            ranges = tuple(sorted(index for index in found if index is not None))
        account = pod.service_account if by_service_account else ""
        groups[(pod.namespace, pod.labels, pod.named_ports, pod.host_network, ranges, account)].append(pod)
    return tuple(
        PodClass(index, *key, tuple(sorted(members, key=lambda p: p.name)))
        for index, (key, members) in enumerate(sorted(groups.items(), key=lambda item: item[0]))
    )


class LabelIndex:
    """Evaluates label selectors over many labelled items at once, as bitsets of item indices."""

    def __init__(self, labels: Sequence[Labels]) -> None:
        self.size = len(labels)
        self.everything = (1 << self.size) - 1
        pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
        keys: dict[str, list[int]] = defaultdict(list)
        for index, item_labels in enumerate(labels):
            for key, value in item_labels:
                pairs[(key, value)].append(index)
                keys[key].append(index)
        self.by_pair = {pair: bitsets.from_indices(found, self.size) for pair, found in pairs.items()}
        self.by_key = {key: bitsets.from_indices(found, self.size) for key, found in keys.items()}
        self.cache: dict[LabelSelector, int] = {}
        self.values: dict[str, list[str]] = defaultdict(list)  # the values of each key, for the substring operators
        for key, value in self.by_pair:
            self.values[key].append(value)
        self.term_cache: dict[Term, int] = {}

    def pair(self, key: str, value: str) -> int:
        """Items labelled key=value."""
        return self.by_pair.get((key, value), 0)

    def select(self, selector: LabelSelector) -> int:
        """Items the selector matches."""
        found = self.cache.get(selector)
        if found is not None:
            return found
        bits = self.everything
        for key, value in selector.match_labels:
            bits &= self.pair(key, value)
        for requirement in selector.expressions:
            with_value = 0
            for value in requirement.values:
                with_value |= self.pair(requirement.key, value)
            with_key = self.by_key.get(requirement.key, 0)
            bits &= {
                "In": with_value,
                "NotIn": self.everything & ~with_value,
                "Exists": with_key,
                "DoesNotExist": self.everything & ~with_key,
            }[requirement.operator]
        self.cache[selector] = bits
        return bits


    def select_term(self, term: Term) -> int:
        """Items a Calico selector term matches (items are namespaced: `all()` holds, `global()` does not)."""
        found = self.term_cache.get(term)
        if found is None:
            found = self.term_cache[term] = self.evaluate(term)
        return found

    def evaluate(self, term: Term) -> int:
        """select_term, uncached."""
        if isinstance(term, Everything):
            return self.everything
        if isinstance(term, NonNamespaced):
            return 0
        if isinstance(term, Negation):
            return self.everything & ~self.select_term(term.term)
        if isinstance(term, Conjunction | Disjunction):
            parts = [self.select_term(part) for part in term.terms]
            return functools.reduce(operator.and_ if isinstance(term, Conjunction) else operator.or_, parts)
        values = {"==": term.values[:1], "!=": term.values[:1]}.get(term.operator, term.values)
        if term.operator in ("contains", "starts with", "ends with"):
            probe = term.values[0]
            test = {"contains": lambda value: probe in value, "starts with": lambda value: value.startswith(probe),
                    "ends with": lambda value: value.endswith(probe)}[term.operator]
            values = tuple(value for value in self.values.get(term.key, ()) if test(value))
        if term.operator == "has":
            return self.by_key.get(term.key, 0)
        bits = 0
        for value in values:
            bits |= self.pair(term.key, value)
        return self.everything & ~bits if term.operator in ("!=", "not in") else bits


def namespace_label_index(classes: Sequence[PodClass], namespace_labels: Mapping[str, Labels]) -> LabelIndex:
    """A LabelIndex over classes by the labels of their namespaces."""
    return LabelIndex([namespace_labels[c.namespace] for c in classes])
