"""NetworkPolicies, normalised: effective policyTypes, rules, peers and ports."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.model.selectors import LabelSelector

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
NETWORK_POLICY = "NetworkPolicy"


def is_subnet(inner: IPNetwork, outer: IPNetwork) -> bool:
    """Whether `inner` lies within `outer`; networks of different IP versions never do."""
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


@dataclass(frozen=True)
class PortSpec:
    """A rule's port entry: a number, a range (endPort) or a container port name; None = every port."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None

    @property
    def is_named(self) -> bool:
        """True when the port is a container port name, resolved on each destination pod."""
        return isinstance(self.port, str)

    def describe(self) -> str:
        """`443/TCP`, `8000-8100/TCP`, `http/TCP` or `all/UDP`."""
        if not self.protocol:  # a cluster policy's named port, of whichever protocol the container declares
            return f"{self.port}"
        if self.port is None:
            return f"all/{self.protocol}"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol}"
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True)
class SelectorPeer:
    """Pods chosen by label: namespace selector None means the policy's own namespace."""

    namespace_selector: LabelSelector | None
    pod_selector: LabelSelector | None

    def describe(self) -> str:
        """The peer in words, e.g. `namespaces {team=x}, pods {app=y}`."""
        namespaces = "this namespace" if self.namespace_selector is None else (
            f"namespaces {self.namespace_selector.describe()}")
        pods = "all pods" if self.pod_selector is None else f"pods {self.pod_selector.describe()}"
        return f"{pods} in {namespaces}"


@dataclass(frozen=True)
class IPBlock:
    """An address range: cidr minus the except ranges."""

    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def contains_address(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """Whether one address lies in the block."""
        return address in self.cidr and not any(address in excluded for excluded in self.excepts)

    def describe(self) -> str:
        """`10.0.0.0/8 except 10.1.0.0/16`."""
        if not self.excepts:
            return str(self.cidr)
        return f"{self.cidr} except {', '.join(str(e) for e in self.excepts)}"


@dataclass(frozen=True)
class IPBlockPeer:
    """A peer given as an ipBlock."""

    block: IPBlock

    def describe(self) -> str:
        """The peer in words."""
        return f"ipBlock {self.block.describe()}"


Peer = SelectorPeer | IPBlockPeer


@dataclass(frozen=True)
class Rule:
    """One ingress or egress rule. peers None = every peer; ports None = every port."""

    peers: tuple[Peer, ...] | None
    ports: tuple[PortSpec, ...] | None


@dataclass(frozen=True)
class NetworkPolicy:
    """A NetworkPolicy with its effective policyTypes; `spec` keeps the spec exactly as given."""

    namespace: str
    name: str
    pod_selector: LabelSelector
    isolates_ingress: bool
    isolates_egress: bool
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    uid: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        """`ns/name`, the policy's name in every output."""
        return f"{self.namespace}/{self.name}"

    @property
    def kind(self) -> str:
        """`NetworkPolicy`."""
        return NETWORK_POLICY

    @property
    def policy_types(self) -> tuple[str, ...]:
        """The effective policyTypes."""
        return tuple(t for t, on in (("Ingress", self.isolates_ingress), ("Egress", self.isolates_egress)) if on)

    def rules(self, direction: str) -> tuple[Rule, ...]:
        """The rules of one direction ("ingress" or "egress") that take effect."""
        if direction == "ingress":
            return self.ingress if self.isolates_ingress else ()
        return self.egress if self.isolates_egress else ()

    def isolates(self, direction: str) -> bool:
        """Whether the policy isolates its pods in `direction`."""
        return self.isolates_ingress if direction == "ingress" else self.isolates_egress
