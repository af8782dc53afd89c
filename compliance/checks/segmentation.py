"""Segmentation checks: who reaches the zones in scope, proven with reachability, against approved flows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from compliance.analysis.connection_groups import (
    GROUP_COLUMNS,
    GROUPING_LIMIT,
    ConnectionGroup,
    connection_count,
    connection_groups,
    port_range_counts,
)
from compliance.analysis.system import AssessedSystem, ZoneConnection
from compliance.checks.registry import (
    CheckParameterError,
    CheckResult,
    EmptyZones,
    EvidenceTable,
    Finding,
    NothingToExamine,
    check,
    holding_no_workload,
    result,
)
from compliance.netpol.ports import single_protocol
from compliance.scope import ApprovedFlow
from compliance.wording import counted, every

CONNECTION_COLUMNS = ("source", "source_zone", "destination", "destination_zone", "ports", "approved_ports",
                      "unapproved_ports", "approved_flows")


def workload_zones(system: AssessedSystem) -> list[str]:
    """The zones that hold workloads (not address ranges), in scope order."""
    return [z for z in system.scope.zone_names if not ((zone := system.scope.zone(z)) and zone.external)]


def zone_list(system: AssessedSystem, zones: Sequence[str] | None, name: str = "zones") -> list[str]:
    """Zone names from a parameter, checked against the scope; None means every workload zone.

    `*` stands for every workload zone and `-name` removes a zone, so `[*, -cde, -connected]` is
    every zone outside the CDE and the systems connected to it.
    """
    if zones is None:
        return workload_zones(system)
    chosen: list[str] = []
    for token in zones:
        if token == "*":
            chosen += [z for z in workload_zones(system) if z not in chosen]
        elif token.startswith("-"):
            chosen = [z for z in chosen if z != token[1:]]
        elif token not in system.zones:
            raise CheckParameterError(f"parameter {name}: zone {token!r} is not declared in the scope")
        elif token not in chosen:
            chosen.append(token)
    return chosen


@dataclass(frozen=True)
class ZoneChoice:
    """The zones a check examines, and those it was asked about but left out because they hold no workload."""

    examined: tuple[str, ...]
    empty: tuple[str, ...] = ()

    @property
    def names(self) -> str:
        """The examined zones as summaries name them: `cde, connected`."""
        return ", ".join(self.examined)


def zones_to_examine(system: AssessedSystem, zones: Sequence[str] | None, name: str = "zones") -> ZoneChoice:
    """The zones a parameter names (see zone_list) that hold workloads; address zones always count.

    A check asked only about zones that hold no workload would pass on nothing: that raises EmptyZones.
    """
    chosen = zone_list(system, zones, name)
    if not chosen:
        raise CheckParameterError(f"parameter {name}: names no zone")
    occupied = set(system.zoning.classes)
    workload_zone_names = set(workload_zones(system))
    empty = tuple(z for z in chosen if z in workload_zone_names and z not in occupied)
    examined = tuple(z for z in chosen if z not in empty)
    if not examined:
        raise EmptyZones(empty)
    return ZoneChoice(examined, empty)


def noted(outcome: CheckResult, *choices: ZoneChoice) -> CheckResult:
    """The result, its summary naming the zones asked about that hold no workload, so it claims nothing of them."""
    empty = tuple(dict.fromkeys(zone for choice in choices for zone in choice.empty))
    if not empty:
        return outcome
    return replace(outcome, summary=f"{outcome.summary.removesuffix('.')}; {holding_no_workload(empty)}.")


def connection_rows(connections: Sequence[ZoneConnection]) -> tuple[tuple[str, ...], ...]:
    """Evidence rows for connections between zones."""
    return tuple((c.source, c.source_zone, c.destination, c.destination_zone, c.ports.describe(),
                  c.approved.describe() if c.approved else "", c.unapproved.describe() if c.unapproved else "",
                  "; ".join(flow.label for flow in c.flows)) for c in connections)


def unapproved_findings(connections: Sequence[ZoneConnection], severity: str) -> list[Finding]:
    """A finding for each connection with ports no approved flow covers."""
    return [Finding(f"{c.source} -> {c.destination}",
                    f"{c.source} ({c.source_zone}) reaches {c.destination} ({c.destination_zone}) on "
                    f"{c.unapproved.describe()} without an approved flow", severity)
            for c in connections if c.unapproved]


def grouped(system: AssessedSystem, sources: Sequence[str] | None, destinations: Sequence[str] | None,
            across_only: bool = True, side: str = "ingress") -> tuple[ConnectionGroup, ...] | None:
    """The connections grouped by zone pair and admitting policies when there are more than GROUPING_LIMIT of
    them; None when they are few enough to report one by one."""
    if connection_count(system, sources, destinations, across_only) <= GROUPING_LIMIT:
        return None
    groups = connection_groups(system, sources, destinations, across_only, side)
    return groups if sum(group.connections for group in groups) > GROUPING_LIMIT else None


def group_table(table: str, title: str, groups: Sequence[ConnectionGroup]) -> EvidenceTable:
    """Evidence rows for grouped connections (every connection is in the pack's data/reachability.csv)."""
    return EvidenceTable(table, f"{title}, by zone pair and admitting policies (every connection is in "
                         "data/reachability.csv)", GROUP_COLUMNS,
                         tuple(group.row() for group in groups))


def approval_result(check_id: str, system: AssessedSystem, sources: Sequence[str] | None,
                    destinations: Sequence[str] | None, table: str, title: str, what: str, severity: str = "high",
                    side: str = "ingress") -> CheckResult:
    """Pass when every connection (`what`: "into cde") is covered by approved flows; above GROUPING_LIMIT
    connections, one finding per group of them."""
    groups = grouped(system, sources, destinations, side=side)
    if groups is None:
        connections = system.connections_between(sources, destinations)
        return result(check_id, unapproved_findings(connections, severity), approved_text(len(connections), what),
                      (f"{{count}} of {counted(len(connections), f'connection {what}', f'connections {what}')} is "
                       "not covered by an approved flow.",
                       f"{{count}} of {counted(len(connections), f'connection {what}', f'connections {what}')} are "
                       "not covered by an approved flow."),
                      (EvidenceTable(table, title, CONNECTION_COLUMNS, connection_rows(connections)),))
    findings = [Finding(g.object, f"{counted(g.unapproved_connections, 'connection')} from {g.source_zone} to "
                        f"{g.destination_zone} ({g.admitted_by}) on {g.unapproved.describe()} without an approved "
                        f"flow, e.g. {g.sample_text}", severity) for g in groups if g.unapproved_connections]
    total = sum(g.connections for g in groups)
    unapproved = sum(g.unapproved_connections for g in groups)
    return result(check_id, findings, approved_text(total, what),
                  f"{unapproved} of {counted(total, f'connection {what}', f'connections {what}')} "
                  f"{'is' if unapproved == 1 else 'are'} not covered by an approved flow "
                  f"({counted(len(findings), 'group')} by zone pair and admitting policies).",
                  (group_table(table, title, groups),))


def approved_text(count: int, what: str) -> str:
    """The summary of a pass: every connection `what` is covered by approved flows."""
    return every(count, f"The one connection {what} is covered by approved flows.",
                 f"All {{count}} connections {what} are covered by approved flows.",
                 f"No connection {what}, so none needs an approved flow.")


@check("segmentation.inbound_restricted", "Every connection into the zones from elsewhere is an approved flow",
       params=("zones",), evidence=("zone_inbound",))
def inbound_restricted(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """Connections into `zones` from other zones (and from addresses) must be covered by approved flows."""
    targets = zones_to_examine(system, zones)
    return noted(approval_result("segmentation.inbound_restricted", system, None, targets.examined, "zone_inbound",
                                 f"Connections into {targets.names}", f"into {targets.names}"), targets)


@check("segmentation.outbound_restricted", "Every connection out of the zones to elsewhere is an approved flow",
       params=("zones",), evidence=("zone_outbound",))
def outbound_restricted(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """Connections from `zones` to other zones (and to addresses) must be covered by approved flows."""
    sources = zones_to_examine(system, zones)
    return noted(approval_result("segmentation.outbound_restricted", system, sources.examined, None, "zone_outbound",
                                 f"Connections out of {sources.names}", f"out of {sources.names}", side="egress"),
                 sources)


@check("segmentation.all_flows_approved", "Every connection between two zones is an approved flow",
       evidence=("zone_matrix", "zone_connections"))
def all_flows_approved(system: AssessedSystem) -> CheckResult:
    """The inventory of flows between zones: every one must be approved; the zone matrix summarises it."""
    every_zone = zones_to_examine(system, None)
    matrix = EvidenceTable("zone_matrix", "Zone reachability matrix", ("source_zone", "destination_zone", "ports"),
                           tuple((a, b, ports.describe()) for (a, b), ports in system.matrix.cells))
    checked = approval_result("segmentation.all_flows_approved", system, None, None, "zone_connections",
                              "Connections between zones", "between zones")
    return noted(replace(checked, evidence=(matrix, *checked.evidence)), every_zone)


@check("segmentation.zones_isolated", "No path at all from some zones to others",
       params=("from", "to"), evidence=("zone_paths",))
def zones_isolated(system: AssessedSystem, **params: Sequence[str]) -> CheckResult:
    """No workload or address of the `from` zones reaches any workload of the `to` zones, on any port."""
    if not params.get("from") or not params.get("to"):
        raise CheckParameterError("parameters from and to are both required")
    targets = zones_to_examine(system, params["to"], "to")
    try:
        sources = zones_to_examine(system, params["from"], "from")
    except EmptyZones as empty:
        # Nothing runs in the zones to isolate from: there is nothing that could reach the protected zones.
        raise NothingToExamine(f"Not applicable: {holding_no_workload(empty.zones)}, so no workload there can "
                               f"reach {targets.names}.") from None
    title = f"Paths from {sources.names} to {targets.names}"
    passed = f"No path exists from {sources.names} to {targets.names}."
    groups = grouped(system, sources.examined, targets.examined, across_only=False)
    if groups is not None:
        total = sum(g.connections for g in groups)
        findings = [Finding(g.object, f"{counted(g.connections, 'path')} from {g.source_zone} to {g.destination_zone} "
                            f"({g.admitted_by}) on {g.ports.describe()}, e.g. {g.sample_text}", "critical")
                    for g in groups]
        return noted(result("segmentation.zones_isolated", findings, passed,
                            f"{counted(total, 'path')} {'exists' if total == 1 else 'exist'} from {sources.names} to "
                            f"{targets.names} ({counted(len(findings), 'group')} by zone pair and admitting policies).",
                            (group_table("zone_paths", title, groups),)), sources, targets)
    connections = system.connections_between(sources.examined, targets.examined, across_only=False)
    findings = [Finding(f"{c.source} -> {c.destination}",
                        f"{c.source} ({c.source_zone}) can reach {c.destination} ({c.destination_zone}) on "
                        f"{c.ports.describe()}", "critical") for c in connections]
    evidence = (EvidenceTable("zone_paths", title, CONNECTION_COLUMNS, connection_rows(connections)),)
    return noted(result("segmentation.zones_isolated", findings, passed,
                        (f"{{count}} path exists from {sources.names} to {targets.names}.",
                         f"{{count}} paths exist from {sources.names} to {targets.names}."),
                        evidence), sources, targets)


@check("segmentation.untrusted_ingress", "Untrusted address ranges reach the zones only through approved flows",
       params=("zones", "untrusted"), evidence=("untrusted_ingress",))
def untrusted_ingress(system: AssessedSystem, zones: Sequence[str] | None = None,
                      untrusted: Sequence[str] = ("internet",)) -> CheckResult:
    """Connections from untrusted external zones (e.g. the internet) into `zones` must be approved."""
    targets = zones_to_examine(system, zones)
    sources = zones_to_examine(system, untrusted, "untrusted")
    what = f"from {sources.names} into {targets.names}"
    return noted(approval_result("segmentation.untrusted_ingress", system, sources.examined, targets.examined,
                                 "untrusted_ingress",
                                 f"Connections {what}", what, "critical"), sources, targets)


@check("segmentation.internet_egress_restricted", "The zones reach the internet only through approved flows",
       params=("zones", "internet"), evidence=("internet_egress",))
def internet_egress_restricted(system: AssessedSystem, zones: Sequence[str] | None = None,
                               internet: Sequence[str] = ("internet",)) -> CheckResult:
    """Connections from `zones` to the internet zones must be approved; unrestricted egress is a finding."""
    sources = zones_to_examine(system, zones)
    destinations = zones_to_examine(system, internet, "internet")
    what = f"from {sources.names} to {destinations.names}"
    return noted(approval_result("segmentation.internet_egress_restricted", system, sources.examined,
                                 destinations.examined, "internet_egress", f"Connections {what}", what, side="egress"),
                 sources, destinations)


@check("segmentation.ports_documented", "Every port open into the zones has an approved, justified flow",
       params=("zones",), evidence=("open_ports",))
def ports_documented(system: AssessedSystem, zones: Sequence[str] | None = None) -> CheckResult:
    """Each protocol/port range reachable from outside `zones` is listed with its business justification."""
    targets = zones_to_examine(system, zones)
    if connection_count(system, None, targets.examined) > GROUPING_LIMIT:
        return noted(counted_ports(system, targets), targets)
    by_port: dict[tuple[str, str, int, int], list[ZoneConnection]] = {}
    for connection in system.connections_between(None, targets.examined):
        for protocol, low, high in connection.ports.items():
            by_port.setdefault((connection.destination_zone, protocol, low, high), []).append(connection)
    rows, findings = [], []
    for (zone, protocol, low, high), connections in sorted(by_port.items()):
        port = f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"
        rows.append(open_port_row(zone, port, protocol, low, high, len(connections),
                                  {flow for c in connections for flow in c.flows}))
        port_set = single_protocol(protocol, ((low, high),))
        uncovered = [c for c in connections if c.unapproved & port_set]
        if uncovered:
            findings.append(uncovered_finding(zone, port, len(uncovered), uncovered[0].source,
                                              uncovered[0].destination))
    return noted(open_ports_result(targets, rows, findings), targets)


def open_port_row(zone: str, port: str, protocol: str, low: int, high: int, connections: int,
                  flows: Iterable[ApprovedFlow]) -> tuple[str, ...]:
    """A row of the open ports table: the range, its connections and the approved flows that justify it."""
    port_set = single_protocol(protocol, ((low, high),))
    justified = [flow for flow in flows if flow.ports & port_set]
    labels = sorted(f.label if f.ports.issuperset(port_set) else f"{f.label} (partly)" for f in justified)
    return (zone, port, str(connections), "; ".join(labels), "; ".join(sorted({f.justification for f in justified})))


def uncovered_finding(zone: str, port: str, uncovered: int, source: str, destination: str) -> Finding:
    """The finding of a port range reachable without an approved, justified flow."""
    return Finding(f"{zone} {port}", f"{port} into {zone} is reachable from {counted(uncovered, 'connection')} "
                   f"without an approved, justified flow (e.g. {source} -> {destination})", "high")


def counted_ports(system: AssessedSystem, targets: ZoneChoice) -> CheckResult:
    """ports_documented on many connections: the port ranges counted from the class-level crossings."""
    rows, findings = [], []
    for (zone, protocol, low, high), tally in sorted(port_range_counts(system, targets.examined).items()):
        port = f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"
        rows.append(open_port_row(zone, port, protocol, low, high, tally.connections, tally.flows))
        if tally.example is not None:
            findings.append(uncovered_finding(zone, port, tally.uncovered, *tally.example))
    return open_ports_result(targets, rows, findings)


def open_ports_result(targets: ZoneChoice, rows: list[tuple[str, ...]], findings: list[Finding]) -> CheckResult:
    """ports_documented's result from its rows and findings."""
    evidence = (EvidenceTable("open_ports", f"Ports open into {targets.names}",
                              ("zone", "port", "connections", "approved_flows", "justification"), tuple(rows)),)
    return result("segmentation.ports_documented", findings,
                  every(len(rows), f"The one open port range into {targets.names} has an approved, justified "
                        "flow.", f"All {{count}} open port ranges into {targets.names} have an approved, "
                        "justified flow.", f"No port is open into {targets.names}."),
                  (f"{{count}} of {counted(len(rows), 'open port range')} into {targets.names} lacks an "
                   "approved flow.", f"{{count}} of {counted(len(rows), 'open port range')} into "
                   f"{targets.names} lack an approved flow."),
                  evidence)
