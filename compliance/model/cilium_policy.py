"""Cilium's policy objects (cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy), normalised.

A policy holds one or more rule sets (`spec`, then the entries of `specs`). Each selects endpoints (pods) by an
`endpointSelector` over Cilium's labels (a label source such as `k8s:` or `any:` may prefix a key; the pod's
namespace is `io.kubernetes.pod.namespace`, its namespace's labels `io.cilium.k8s.namespace.labels.<key>`, its
service account `io.cilium.k8s.policy.serviceaccount`), or nodes by a `nodeSelector` (host policies). Its
`ingress`/`egress` rules allow, its `ingressDeny`/`egressDeny` rules deny, and a deny wins over every allow; allows
of every policy (and of the Kubernetes NetworkPolicies) are a union. An endpoint is denied by default in a direction
once a rule set with rules of that direction selects it, unless that rule set's `enableDefaultDeny` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.model.policy import IPNetwork
from compliance.model.selectors import Labels, LabelSelector

API_VERSION = "cilium.io/v2"
CILIUM_NETWORK_POLICY = "CiliumNetworkPolicy"
CILIUM_CLUSTERWIDE_POLICY = "CiliumClusterwideNetworkPolicy"
CILIUM_KINDS = (CILIUM_NETWORK_POLICY, CILIUM_CLUSTERWIDE_POLICY)
ENTITIES = ("all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "kube-apiserver", "ingress",
            "health", "init", "unmanaged", "none")
PROTOCOLS = ("TCP", "UDP", "SCTP", "ANY")  # ANY (or no protocol): every L4 protocol
DIRECTIONS = ("ingress", "ingressDeny", "egress", "egressDeny")  # the rule lists of a rule set, as the spec names them


@dataclass(frozen=True)
class CiliumPort:
    """A `toPorts[].ports[]` entry: `port` a number, a container port name, or None (0 or absent: every port), up to
    `end_port`; `protocol` TCP, UDP, SCTP or ANY."""

    port: int | str | None = None
    end_port: int | None = None
    protocol: str = "ANY"

    @property
    def is_named(self) -> bool:
        """Whether the port is a container port name, resolved on the destination pod."""
        return isinstance(self.port, str)

    def describe(self) -> str:
        """`443/TCP`, `8000-8100/ANY`, `http/TCP` or `all/UDP`."""
        if self.port is None:
            return f"all/{self.protocol}"
        if self.end_port is not None and not self.is_named:
            return f"{self.port}-{self.end_port}/{self.protocol}"
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True)
class PortRule:
    """A `toPorts` entry: the ports it admits (empty: every port), and the L7 rule kinds that restrict requests on
    them (`http`, `kafka`, `dns`, `l7proto`; also `serverNames` and TLS fields, which filter by name)."""

    ports: tuple[CiliumPort, ...] = ()
    l7: tuple[str, ...] = ()


@dataclass(frozen=True)
class CIDRRule:
    """A `fromCIDR`/`toCIDR` entry (no excepts) or a `fromCIDRSet`/`toCIDRSet` entry: `cidr` less `excepts`."""

    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def describe(self) -> str:
        """`10.0.0.0/8 except 10.1.0.0/16`."""
        return str(self.cidr) + (f" except {', '.join(map(str, self.excepts))}" if self.excepts else "")


@dataclass(frozen=True)
class ServiceReference:
    """A `toServices` entry: a Service by name (`k8sService`) or Services by label (`k8sServiceSelector`), in
    `namespace` ("" for the policy's own, as Cilium reads an absent namespace)."""

    namespace: str = ""
    name: str | None = None
    selector: LabelSelector | None = None


@dataclass(frozen=True)
class CiliumRule:
    """One rule of `ingress`, `ingressDeny`, `egress` or `egressDeny`: the peers it matches (the union of every peer
    field given; a rule with no peer field matches every peer when it has `toPorts`, else none) on its ports
    (`ports` None: every port and protocol).

    `endpoints` are `fromEndpoints`/`toEndpoints` (None: not given; an empty selector is every endpoint of the
    policy's namespace, or of the cluster for a clusterwide policy); `entities` the `fromEntities`/`toEntities`;
    `cidrs` the CIDR and CIDRSet entries; `services` and `fqdns` (egress only) `toServices` and `toFQDNs` (as
    written: `matchName` or `matchPattern` text); `requires` the deprecated `fromRequires`/`toRequires`;
    `unmodelled` names fields given that change what the rule matches but are not modelled (`icmps`, `toNodes`,
    `fromNodes`, `cidrGroupRef`, `toGroups`, `authentication`...)."""

    endpoints: tuple[LabelSelector, ...] | None = None
    entities: tuple[str, ...] = ()
    cidrs: tuple[CIDRRule, ...] = ()
    services: tuple[ServiceReference, ...] = ()
    fqdns: tuple[str, ...] = ()
    requires: tuple[LabelSelector, ...] = ()
    ports: tuple[PortRule, ...] | None = None
    unmodelled: tuple[str, ...] = ()

    @property
    def has_peer(self) -> bool:
        """Whether some L3 peer field is given (else the rule matches every peer on its ports, if it has any)."""
        return bool(self.endpoints is not None or self.entities or self.cidrs or self.services or self.fqdns)

    @property
    def l7(self) -> tuple[str, ...]:
        """The L7 rule kinds of its ports, in order of first use."""
        return tuple(dict.fromkeys(kind for rule in self.ports or () for kind in rule.l7))


@dataclass(frozen=True)
class CiliumRuleSet:
    """One rule set (`spec` or an entry of `specs`): what it selects (`endpoint_selector`; or `node_selector`, a
    host policy), its four rule lists, and `default_deny` per direction (`enableDefaultDeny.ingress`/`.egress`,
    None: not set, which means on when the rule set has rules of that direction)."""

    endpoint_selector: LabelSelector | None
    node_selector: LabelSelector | None = None
    ingress: tuple[CiliumRule, ...] = ()
    ingress_deny: tuple[CiliumRule, ...] = ()
    egress: tuple[CiliumRule, ...] = ()
    egress_deny: tuple[CiliumRule, ...] = ()
    default_deny_ingress: bool | None = None
    default_deny_egress: bool | None = None
    description: str = ""

    def rules(self, direction: str, deny: bool) -> tuple[CiliumRule, ...]:
        """The allow (or deny) rules of `direction` ("ingress" or "egress")."""
        if direction == "ingress":
            return self.ingress_deny if deny else self.ingress
        return self.egress_deny if deny else self.egress

    def isolates(self, direction: str) -> bool:
        """Whether the rule set puts the endpoints it selects in default deny for `direction`: it has a rule (allow or
        deny) of that direction and `enableDefaultDeny` does not turn it off."""
        setting = self.default_deny_ingress if direction == "ingress" else self.default_deny_egress
        has_rules = bool(self.rules(direction, False) or self.rules(direction, True))
        return has_rules and setting is not False


@dataclass(frozen=True)
class CiliumPolicy:
    """A CiliumNetworkPolicy (namespace set) or CiliumClusterwideNetworkPolicy (namespace ""); `rule_sets` are
    `spec` then `specs` in order; `spec` keeps the object's `spec` and `specs` exactly as given."""

    kind: str
    name: str
    namespace: str
    rule_sets: tuple[CiliumRuleSet, ...]
    uid: str = ""
    labels: Labels = ()
    spec: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        """`CiliumNetworkPolicy/ns/name` or `CiliumClusterwideNetworkPolicy/name`, the policy's name in every
        output."""
        if self.kind == CILIUM_CLUSTERWIDE_POLICY:
            return f"{CILIUM_CLUSTERWIDE_POLICY}/{self.name}"
        return f"{CILIUM_NETWORK_POLICY}/{self.namespace}/{self.name}"

    @property
    def host_policy(self) -> bool:
        """Whether some rule set selects nodes (a host policy, not modelled)."""
        return any(rule_set.node_selector is not None for rule_set in self.rule_sets)
