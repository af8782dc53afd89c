"""Calico's policy objects (projectcalico.org/v3, also as stored in crd.projectcalico.org/v1), normalised.

A `Tier` orders groups of policies (lower `order` first, unset last); within a tier, NetworkPolicies (namespaced)
and GlobalNetworkPolicies are taken by `order` (unset last), then name, and their rules in order. A rule's action
is Allow or Deny (final), Pass (go to the next tier) or Log (no decision). A tier that selects an endpoint but
whose rules do not decide a connection ends in its `defaultAction` (Deny, or Pass). NetworkSets and
GlobalNetworkSets give labels to address ranges, so that rule selectors can match them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.model.calico_selector import EVERY_ENDPOINT, CalicoSelector
from compliance.model.cluster_policy import Action
from compliance.model.policy import IPNetwork, PortSpec
from compliance.model.selectors import Labels

API_GROUP = "projectcalico.org"
CRD_GROUP = "crd.projectcalico.org"
CALICO_NETWORK_POLICY = "NetworkPolicy"
GLOBAL_NETWORK_POLICY = "GlobalNetworkPolicy"
DEFAULT_TIER = "default"


@dataclass(frozen=True)
class ServiceAccountMatch:
    """A rule's `serviceAccounts`: pods running as one of `names` (none: any) whose service account's labels
    `selector` matches (None: any)."""

    names: tuple[str, ...] = ()
    selector: CalicoSelector | None = None


@dataclass(frozen=True)
class EntityRule:
    """A rule's `source` or `destination`; every field given must match (absent fields match everything).

    `namespace_selector` None means the policy's own namespace for a NetworkPolicy and every namespace for a
    GlobalNetworkPolicy. `ports` (None: every port) and `not_ports` carry the rule's protocol; a named port is
    resolved on the destination endpoint.
    """

    selector: CalicoSelector | None = None
    not_selector: CalicoSelector | None = None
    namespace_selector: CalicoSelector | None = None
    service_accounts: ServiceAccountMatch | None = None
    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    ports: tuple[PortSpec, ...] | None = None
    not_ports: tuple[PortSpec, ...] = ()

    def describe(self) -> str:
        """Its fields that select, as written, e.g. `selector app == 'web'; nets 10.0.0.0/8`; `anything` when none."""
        parts = [f"{name} {selector.describe()}" for name, selector in (
            ("selector", self.selector), ("notSelector", self.not_selector),
            ("namespaceSelector", self.namespace_selector)) if selector is not None]
        if self.service_accounts is not None:
            names, selector = self.service_accounts.names, self.service_accounts.selector
            parts.append("serviceAccounts " + ", ".join(
                (*names, *((f"selector {selector.describe()}",) if selector is not None else ()))))
        parts += [f"{name} {', '.join(map(str, nets))}" for name, nets in (("nets", self.nets),
                                                                            ("notNets", self.not_nets)) if nets]
        return "; ".join(parts) or "anything"


@dataclass(frozen=True)
class CalicoRule:
    """One rule. `protocol`/`not_protocol` are "TCP", "UDP", "SCTP" or another protocol (None: any);
    `unmodelled` names the fields given that change what the rule matches but are not modelled
    (e.g. `icmp`, `http`, `source.ports`, `destination.services`); `l7` the kinds of L7 rules (`http`, `dns`...)
    that filter the requests on the connections an Allow admits (Cilium's toPorts rules): those connections are
    reachable, and reported L7-filtered."""

    action: Action
    protocol: str | None = None
    not_protocol: str | None = None
    ip_version: int | None = None
    source: EntityRule = EntityRule()
    destination: EntityRule = EntityRule()
    unmodelled: tuple[str, ...] = ()
    l7: tuple[str, ...] = ()

    def describe_ports(self) -> str:
        """Its protocol and destination ports as written, e.g. `443/TCP, not 8000-8100/TCP` (the ports carry the
        protocol) or `UDP, not SCTP`; `every port` when none."""
        destination = self.destination
        if destination.ports is not None:
            parts = [spec.describe() for spec in destination.ports]
        else:
            parts = [self.protocol] if self.protocol else []
        parts += [f"not {self.not_protocol}"] if self.not_protocol else []
        parts += [f"not {spec.describe()}" for spec in destination.not_ports]
        return ", ".join(parts) or "every port"


@dataclass(frozen=True)
class CalicoPolicy:
    """A Calico NetworkPolicy (namespace set) or GlobalNetworkPolicy (namespace ""), with its effective `types`
    ("Ingress", "Egress"); `unmodelled` names set fields that change where rules apply (`doNotTrack`, `preDNAT`,
    `applyOnForward`); `spec` keeps the spec exactly as given."""

    kind: str
    name: str
    namespace: str
    tier: str
    order: float | None
    types: tuple[str, ...]
    ingress: tuple[CalicoRule, ...]
    egress: tuple[CalicoRule, ...]
    selector: CalicoSelector = EVERY_ENDPOINT
    namespace_selector: CalicoSelector | None = None
    service_account_selector: CalicoSelector | None = None
    unmodelled: tuple[str, ...] = ()
    uid: str = ""
    labels: Labels = ()
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        """`CalicoNetworkPolicy/ns/name` or `GlobalNetworkPolicy/name`, the policy's name in every output."""
        if self.kind == GLOBAL_NETWORK_POLICY:
            return f"{GLOBAL_NETWORK_POLICY}/{self.name}"
        return f"Calico{CALICO_NETWORK_POLICY}/{self.namespace}/{self.name}"

    def rule_name(self, direction: str, index: int) -> str:
        """How outputs name rule `index` of `direction`: `ingress[0]`."""
        return f"{direction}[{index}]"

    def matches_host_network(self, direction: str, index: int) -> bool:
        """Whether the rule's peers include host-network pods whatever its selectors say (never for Calico's, to
        which they are no endpoint; Cilium's lowered rules of the entities that carry them)."""
        return False

    def applies(self, direction: str) -> bool:
        """Whether the policy applies to its endpoints in `direction` ("ingress" or "egress")."""
        return direction.capitalize() in self.types

    def rules(self, direction: str) -> tuple[CalicoRule, ...]:
        """The rules of one direction, in order (none when the policy does not apply that way)."""
        if not self.applies(direction):
            return ()
        return self.ingress if direction == "ingress" else self.egress


@dataclass(frozen=True)
class CalicoTier:
    """A `Tier`: its `order` (None: after every ordered tier) and what ends it for an endpoint one of its policies
    selects when no rule decided (Deny, or Pass to the next tier)."""

    name: str
    order: float | None
    default_action: Action = Action.DENY
    uid: str = ""
    labels: Labels = ()


@dataclass(frozen=True)
class NetworkSet:
    """A NetworkSet (namespace set) or GlobalNetworkSet (namespace ""): labelled address ranges."""

    name: str
    namespace: str
    labels: Labels
    nets: tuple[IPNetwork, ...]
    uid: str = ""

    @property
    def kind(self) -> str:
        """`NetworkSet` or `GlobalNetworkSet`."""
        return "NetworkSet" if self.namespace else "GlobalNetworkSet"


@dataclass(frozen=True)
class ServiceAccount:
    """A ServiceAccount's name and labels (never its secrets or tokens), for `serviceAccounts` selectors."""

    namespace: str
    name: str
    labels: Labels = ()
