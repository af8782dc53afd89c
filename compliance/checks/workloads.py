"""Workload checks: pods no policy isolates, pods outside policy control (hostNetwork, hostPort), and pods that
reach the cloud instance metadata service."""

from __future__ import annotations

from collections.abc import Sequence

from compliance.analysis.system import AssessedSystem
from compliance.checks.registry import CheckParameterError, CheckResult, EvidenceTable, Finding, check, result
from compliance.checks.segmentation import noted, zones_to_examine
from compliance.model.parse import canonical_address
from compliance.netpol import bitsets
from compliance.netpol.ports import NO_PORTS, PortSet
from compliance.wording import agreeing, every

DIRECTIONS = ("ingress", "egress")
# AWS, Azure, GCP, Oracle and OpenStack serve instance metadata at the link-local IPv4 address; AWS also at
# the IPv6 one (Nitro instances).
METADATA_ADDRESSES = ("169.254.169.254", "fd00:ec2::254")


@check("workload.isolated", "Every workload in the zones is selected by a policy for each direction",
       params=("zones", "directions"), evidence=("workload_isolation",))
def workload_isolated(system: AssessedSystem, zones: Sequence[str] | None = None,
                      directions: Sequence[str] = ("ingress",)) -> CheckResult:
    """Workloads that no policy isolates accept (or send) traffic from (to) anyone."""
    unknown = [d for d in directions if d not in DIRECTIONS]
    if unknown:
        raise CheckParameterError(f"parameter directions: {unknown[0]!r} is not ingress or egress")
    if not directions:
        raise CheckParameterError("parameter directions: names no direction")
    choice = zones_to_examine(system, zones)
    wanted = set(choice.examined)
    reach = system.reach
    isolated = system.isolated
    status: dict[str, dict[str, bool]] = {}
    for pod_class, zone in zip(reach.classes, system.zoning.classes, strict=True):
        if zone not in wanted:
            continue
        for workload in system.workloads_of_class[pod_class.index]:
            flags = status.setdefault(workload, {d: True for d in DIRECTIONS})
            for direction in DIRECTIONS:
                flags[direction] &= bitsets.has(isolated[direction], pod_class.index)
    findings = [Finding(workload, f"{workload} ({system.workload_zones[workload]}) is not isolated for "
                        f"{direction}: no NetworkPolicy selects it", "high")
                for workload, flags in status.items() for direction in directions if not flags[direction]]
    rows = tuple((workload, system.workload_zones[workload], *("yes" if flags[d] else "no" for d in DIRECTIONS))
                 for workload, flags in sorted(status.items()))
    table = EvidenceTable("workload_isolation", "Isolation of each workload", ("workload", "zone",
                                                                               "ingress_isolated",
                                                                               "egress_isolated"), rows)
    both = " and ".join(directions)
    return noted(result("workload.isolated", findings,
                        every(len(rows), f"The one workload is isolated for {both}.",
                              f"All {{count}} workloads are isolated for {both}.", "No workload to examine."),
                        ("{count} workload direction is not isolated by any policy.",
                         "{count} workload directions are not isolated by any policy."), (table,)), choice)


@check("workload.host_network", "No workload in the zones uses the host network (outside policy control)",
       params=("zones",), evidence=("host_network_pods",), reachability=False)
def host_network(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """hostNetwork pods share the node's network: NetworkPolicies do not reliably constrain them."""
    choice = zones_to_examine(system, zones)
    wanted = set(choice.examined)
    rows, findings = [], []
    for pod in system.snapshot.pods:
        zone = system.workload_zones.get(pod.workload.display)
        if pod.host_network and zone in wanted:
            rows.append((pod.display, pod.workload.display, zone))
    for workload in sorted({row[1] for row in rows}):
        findings.append(Finding(workload, f"{workload} runs with hostNetwork: its traffic is outside "
                                "NetworkPolicy control", "high"))
    table = EvidenceTable("host_network_pods", "Pods on the host network", ("pod", "workload", "zone"),
                          tuple(sorted(rows)))
    return noted(result("workload.host_network", findings, "No workload in scope uses the host network.",
                        ("{count} workload uses the host network, outside policy control.",
                         "{count} workloads use the host network, outside policy control."), (table,)), choice)


@check("workload.host_ports", "No workload in the zones maps a container port to a port of its node",
       params=("zones",), evidence=("host_ports",), reachability=False)
def host_ports(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """A hostPort opens a port on the node that forwards to the pod, outside the pod network and its policies."""
    choice = zones_to_examine(system, zones)
    wanted = set(choice.examined)
    rows = []
    opened: dict[str, set[str]] = {}
    for pod in system.snapshot.pods:
        zone = system.workload_zones.get(pod.workload.display)
        if zone not in wanted:
            continue
        for port in pod.ports:
            if port.host_port:
                rows.append((pod.display, pod.workload.display, zone, port.container,
                             f"{port.protocol} {port.host_port}", str(port.port)))
                opened.setdefault(pod.workload.display, set()).add(f"{port.protocol} {port.host_port}")
    findings = [Finding(workload, f"{workload} ({system.workload_zones[workload]}) opens "
                        f"{agreeing(len(ports), 'node port', 'node ports')} {', '.join(sorted(ports))} to its pods, "
                        "outside NetworkPolicy control", "high")
                for workload, ports in opened.items()]
    table = EvidenceTable("host_ports", "Container ports mapped to node ports",
                          ("pod", "workload", "zone", "container", "host_port", "container_port"), tuple(sorted(rows)))
    return noted(result("workload.host_ports", findings, "No workload in scope maps a port of its node.",
                        ("{count} workload maps ports of its nodes, outside policy control.",
                         "{count} workloads map ports of their nodes, outside policy control."), (table,)), choice)


@check("workload.metadata_blocked", "No workload in the zones reaches the cloud instance metadata service",
       params=("zones", "addresses"), evidence=("metadata_access",))
def metadata_blocked(system: AssessedSystem, zones: Sequence[str] | None = None,
                     addresses: Sequence[str] = METADATA_ADDRESSES) -> CheckResult:
    """A pod that reaches the instance metadata service can read the node's cloud credentials and identity."""
    for address in addresses:
        if not isinstance(address, str) or canonical_address(address) is None:
            raise CheckParameterError(f"parameter addresses: {address!r} is not an IP address")
    if not addresses:
        raise CheckParameterError("parameter addresses: names no address")
    choice = zones_to_examine(system, zones)
    wanted = set(choice.examined)
    reach = system.reach
    reached: dict[str, dict[str, PortSet]] = {}
    for pod_class, zone in zip(reach.classes, system.zoning.classes, strict=True):
        if zone not in wanted:
            continue
        for address in addresses:
            ports = reach.egress_to_address(pod_class.index, address)
            if ports:
                for workload in system.workloads_of_class[pod_class.index]:
                    by_address = reached.setdefault(workload, {})
                    by_address[address] = by_address.get(address, NO_PORTS) | ports
    rows = tuple((workload, system.workload_zones[workload], address, ports.describe())
                 for workload, by_address in sorted(reached.items()) for address, ports in sorted(by_address.items()))
    findings = [Finding(workload, f"{workload} ({system.workload_zones[workload]}) reaches the instance metadata "
                        f"service: {'; '.join(f'{a} on {p.describe()}' for a, p in sorted(by_address.items()))}",
                        "high")
                for workload, by_address in reached.items()]
    table = EvidenceTable("metadata_access", f"Workloads reaching the metadata service ({', '.join(addresses)})",
                          ("workload", "zone", "address", "ports"), rows)
    return noted(result("workload.metadata_blocked", findings,
                        f"No workload in {choice.names} reaches {', '.join(addresses)}.",
                        ("{count} workload reaches the instance metadata service.",
                         "{count} workloads reach the instance metadata service."), (table,)), choice)
