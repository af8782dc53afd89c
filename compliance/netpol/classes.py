"""Equivalence classes of pods: pods that no policy can tell apart are analysed once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from compliance.model.objects import Pod
from compliance.model.selectors import Labels, LabelSelector
from compliance.netpol import bitsets
from compliance.netpol.addresses import AddressPartition
from compliance.netpol.ports import NamedPorts


@dataclass(frozen=True)
class PodClass:
    """Pods with the same namespace, labels, named ports, host networking and ipBlock membership."""

    index: int
    namespace: str
    labels: Labels
    named_ports: NamedPorts
    host_network: bool
    address_ranges: tuple[int, ...]
    pods: tuple[Pod, ...]


def group_pods(pods: Iterable[Pod], partition: AddressPartition | None) -> tuple[PodClass, ...]:
    """Pods grouped into classes, in a stable order (namespace, labels, ...).

    With a partition (ipBlocks select pods), pods whose IPs fall in different ranges of it are kept apart.
    """
    groups: dict[tuple[str, Labels, NamedPorts, bool, tuple[int, ...]], list[Pod]] = defaultdict(list)
    for pod in pods:
        ranges: tuple[int, ...] = ()
        if partition is not None and pod.ips:
            found = {partition.index_of(ip) for ip in pod.ips}
            ranges = tuple(sorted(index for index in found if index is not None))
        groups[(pod.namespace, pod.labels, pod.named_ports, pod.host_network, ranges)].append(pod)
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


def namespace_label_index(classes: Sequence[PodClass], namespace_labels: Mapping[str, Labels]) -> LabelIndex:
    """A LabelIndex over classes by the labels of their namespaces."""
    return LabelIndex([namespace_labels[c.namespace] for c in classes])
