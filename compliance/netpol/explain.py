"""`explain`: why one endpoint may or may not reach another, down to the deciding policy and rule."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from compliance.errors import InvalidValue
from compliance.model.objects import Pod
from compliance.model.snapshot import Snapshot
from compliance.netpol.cilium import tiered_objects
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, PortSet
from compliance.netpol.verdict import ConnectionVerdict, Endpoint, PolicyContext


@dataclass(frozen=True)
class Explanation:
    """Verdicts for every distinct pair of representative endpoints, restricted to `ports`."""

    source: str
    destination: str
    ports: PortSet
    verdicts: tuple[ConnectionVerdict, ...]
    assumptions: dict[str, object]


def representatives(pods: list[Pod], by_service_account: bool = False) -> list[Pod]:
    """One pod for each distinct way policies could treat the pods of a workload (Calico's and Cilium's also by
    service account)."""
    chosen: dict[tuple, Pod] = {}
    for pod in sorted(pods, key=lambda p: p.name):
        chosen.setdefault((pod.labels, pod.named_ports, pod.host_network,
                           pod.service_account if by_service_account else ""), pod)
    return list(chosen.values())


def resolve_endpoints(snapshot: Snapshot, text: str) -> list[Endpoint]:
    """Endpoints named by `text`: an IP address, `ns/pod`, or a workload `ns/name[Kind]` or `ns/name`."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is not None:
        owners = [pod for pod in snapshot.pods if str(address) in pod.ips]
        return [Endpoint(pod=owners[0])] if owners else [Endpoint(address=address)]
    pods = [pod for pod in snapshot.pods if pod.display == text]
    if not pods:
        pods = [pod for pod in snapshot.pods if pod.workload.display == text]
    if not pods:
        kinds = sorted({pod.workload.kind for pod in snapshot.pods
                        if f"{pod.workload.namespace}/{pod.workload.name}" == text})
        if len(kinds) > 1:
            raise InvalidValue(f"{text!r} names workloads of several kinds ({', '.join(kinds)})",
                             hint=f"add the kind, e.g. {text}[{kinds[0]}]")
        pods = [pod for pod in snapshot.pods if f"{pod.workload.namespace}/{pod.workload.name}" == text]
    if not pods:
        raise InvalidValue(f"no pod or workload named {text!r}",
                         hint="use ns/pod, ns/workload, ns/workload[Kind] or an IP address")
    return [Endpoint(pod=pod) for pod in representatives(pods, bool(snapshot.calico_policies
                                                                     or snapshot.cilium_policies))]


def explain(snapshot: Snapshot, source: str, destination: str, options: AnalysisOptions,
            ports: PortSet = ALL_PORTS) -> Explanation:
    """The verdicts on source -> destination, for each pair of representative pods."""
    sources = resolve_endpoints(snapshot, source)
    destinations = resolve_endpoints(snapshot, destination)
    if all(endpoint.pod is None for endpoint in sources + destinations):
        raise InvalidValue("both ends are addresses outside the cluster; policies only act on pods")
    context = PolicyContext(snapshot.policies, snapshot.namespace_labels(), options, snapshot.cluster_policies,
                            snapshot.nodes, tiered_objects(snapshot, options))
    verdicts = tuple(context.connection(s, d) for s in sources for d in destinations)
    return Explanation(source, destination, ports, verdicts, options.of(snapshot))
