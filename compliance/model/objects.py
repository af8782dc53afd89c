"""Namespaces, nodes, pods, workloads and services."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from compliance.model.selectors import Labels

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True)
class Namespace:
    """A namespace; its labels always include kubernetes.io/metadata.name."""

    name: str
    labels: Labels
    uid: str = ""


@dataclass(frozen=True)
class Node:
    """A node: its labels and the IP addresses it reports (InternalIP and ExternalIP), which the nodes peers of
    cluster policies match."""

    name: str
    labels: Labels
    addresses: tuple[tuple[str, str], ...] = ()  # (type, address)
    uid: str = ""

    @property
    def ips(self) -> tuple[str, ...]:
        """The node's IP addresses."""
        return tuple(address for _, address in self.addresses)


@dataclass(frozen=True)
class ContainerPort:
    """A port a container declares; named ports are what policies may refer to by name. `host_port` (0: none) is
    the node port mapped to it, which traffic reaches around NetworkPolicies."""

    port: int
    protocol: str = "TCP"
    name: str = ""
    container: str = ""
    host_port: int = 0


@dataclass(frozen=True, order=True)
class WorkloadRef:
    """The top owner of a pod as given (Deployment, StatefulSet, ..., or Pod for a bare pod)."""

    namespace: str
    name: str
    kind: str

    @property
    def display(self) -> str:
        """`ns/name[Kind]`, the workload's name in every output."""
        return f"{self.namespace}/{self.name}[{self.kind}]"


@dataclass(frozen=True)
class Pod:
    """A pod as far as network policy is concerned."""

    namespace: str
    name: str
    labels: Labels
    workload: WorkloadRef
    ports: tuple[ContainerPort, ...] = ()
    ips: tuple[str, ...] = ()
    host_network: bool = False
    uid: str = ""
    node_name: str = ""
    phase: str = ""
    service_account: str = "default"  # spec.serviceAccountName, which Kubernetes defaults to `default`

    @property
    def display(self) -> str:
        """`ns/name`, the pod's name in every output."""
        return f"{self.namespace}/{self.name}"

    @functools.cached_property
    def named_ports(self) -> tuple[tuple[str, str, int], ...]:
        """(name, protocol, port) of every named container port, sorted."""
        return tuple(sorted({(p.name, p.protocol, p.port) for p in self.ports if p.name}))

    def renamed(self, name: str) -> Pod:
        """This pod under another name, as a replica of its template: its other fields are shared, not checked or
        computed again (`named_ports` included)."""
        _ = self.named_ports
        fields = vars(self).copy()
        fields["name"] = name
        replica = object.__new__(Pod)
        object.__setattr__(replica, "__dict__", fields)
        return replica


# The levels reachability is reported at, each with the name a pod takes at that level.
NODE_NAMES: dict[str, Callable[[Pod], str]] = {
    "pod": lambda pod: pod.display,
    "workload": lambda pod: pod.workload.display,
    "namespace": lambda pod: pod.namespace,
}
LEVELS = tuple(NODE_NAMES)


@dataclass(frozen=True)
class ServicePort:
    """One port of a service."""

    port: int
    protocol: str = "TCP"
    name: str = ""
    target_port: int | str | None = None


@dataclass(frozen=True)
class Service:
    """A service: which pods it fronts and on which ports."""

    namespace: str
    name: str
    selector: Labels
    ports: tuple[ServicePort, ...] = ()
    type: str = "ClusterIP"
    labels: Labels = ()
    uid: str = ""
