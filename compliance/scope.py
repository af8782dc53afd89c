"""The scope file: security zones, approved flows, exceptions and the change-approval rule.

`scope.yaml` (kind Scope, apiVersion segproof/v1). Unknown keys are errors that name the key;
selectors use the Kubernetes LabelSelector shape. Zones are matched in order, first match wins;
workloads no zone matches fall in `defaultZone`. A zone with `cidrs` is external: address ranges.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compliance.documents import (
    boolean_at,
    date_at,
    list_at,
    mapping_at,
    only_keys,
    parse_config,
    segproof_document,
    string_at,
)
from compliance.errors import InvalidObject, ScopeError
from compliance.model.parse import parse_network, parse_policy_port, parse_selector
from compliance.model.policy import IPBlock, is_subnet
from compliance.model.selectors import LabelSelector
from compliance.netpol.addresses import block_spans
from compliance.netpol.intervals import contains
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, PortSet, resolve_port


@dataclass(frozen=True)
class Zone:
    """A security zone: workloads chosen by selectors, or (external zone) address ranges."""

    name: str
    description: str = ""
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None
    cidrs: tuple[IPBlock, ...] = ()

    @property
    def external(self) -> bool:
        """True for a zone of address ranges (e.g. the internet)."""
        return bool(self.cidrs)

    def matches(self, namespace_labels: Mapping[str, str], pod_labels: Mapping[str, str]) -> bool:
        """Whether a workload with these labels is in the zone (both selectors must match when given)."""
        if self.external:
            return False
        return (self.namespace_selector is None or self.namespace_selector.matches(namespace_labels)) and (
            self.pod_selector is None or self.pod_selector.matches(pod_labels))

    def contains_range(self, version: int, first: int, last: int) -> bool:
        """Whether an address range lies wholly inside this external zone."""
        return any(block_version == version and contains(spans, ((first, last),))
                   for block_version, spans in map(block_spans, self.cidrs))


@dataclass(frozen=True)
class FlowEnd:
    """One end of an approved flow: a zone, optionally narrowed by selectors."""

    zone: str
    namespace_selector: LabelSelector | None = None
    pod_selector: LabelSelector | None = None

    def matches(self, zone: str, namespace_labels: Mapping[str, str] | None, pod_labels: Mapping[str, str] | None
                ) -> bool:
        """Whether an endpoint in `zone` with these labels (None for an address) is this end."""
        if zone != self.zone:
            return False
        if namespace_labels is None or pod_labels is None:
            return self.namespace_selector is None and self.pod_selector is None
        return (self.namespace_selector is None or self.namespace_selector.matches(namespace_labels)) and (
            self.pod_selector is None or self.pod_selector.matches(pod_labels))

    def describe(self) -> str:
        """`zone cde, pods app=payments-api`."""
        parts = [f"zone {self.zone}"]
        if self.namespace_selector is not None:
            parts.append(f"namespaces {self.namespace_selector.describe()}")
        if self.pod_selector is not None:
            parts.append(f"pods {self.pod_selector.describe()}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ApprovedFlow:
    """A connection the organisation approved, with its business justification."""

    source: FlowEnd
    destination: FlowEnd
    ports: PortSet
    justification: str
    approver: str
    ticket: str = ""

    @property
    def label(self) -> str:
        """`connected -> cde (CHG-1234)`."""
        ticket = f" ({self.ticket})" if self.ticket else ""
        return f"{self.source.zone} -> {self.destination.zone}{ticket}"


@dataclass(frozen=True)
class ScopeException:
    """A waiver: a control or check that does not apply to some targets until it expires."""

    control: str
    target: str
    justification: str
    approver: str
    expires: datetime.date | None = None

    def active(self, today: datetime.date) -> bool:
        """Whether the exception still applies (it lapses after its expiry date)."""
        return self.expires is None or today <= self.expires

    def covers(self, identifiers: Sequence[str], target: str) -> bool:
        """Whether it applies to a finding on `target` under any of the control/check `identifiers`.

        The target is a glob where only `*` and `?` are special, so `ns/name[Kind]` matches itself.
        """
        return self.control in identifiers and glob_matches(self.target, target)


@dataclass(frozen=True)
class ChangeApproval:
    """What counts as an approved change in the git history of the policies."""

    require_pull_request: bool = True
    accept_trailers: tuple[str, ...] = ("Reviewed-by", "Approved-by")
    require_signed_commits: bool = False


@dataclass(frozen=True)
class Scope:
    """What is assessed, how it is zoned, and what is approved or excepted."""

    organization: str
    system: str
    period_start: datetime.date
    period_end: datetime.date
    default_zone: str
    zones: tuple[Zone, ...]
    approved_flows: tuple[ApprovedFlow, ...] = ()
    exceptions: tuple[ScopeException, ...] = ()
    change_approval: ChangeApproval = ChangeApproval()

    def zone(self, name: str) -> Zone | None:
        """A zone by name."""
        return next((zone for zone in self.zones if zone.name == name), None)

    @property
    def zone_names(self) -> tuple[str, ...]:
        """Every zone name: the declared zones, then the default zone if it is not declared."""
        names = tuple(zone.name for zone in self.zones)
        return names if self.default_zone in names else (*names, self.default_zone)

    @property
    def address_cuts(self) -> tuple[IPBlock, ...]:
        """The CIDRs of the external zones, in declared order: where address ranges are cut so each lies in one zone."""
        return tuple(block for zone in self.zones for block in zone.cidrs)

    def zone_of_workload(self, namespace_labels: Mapping[str, str], pod_labels: Mapping[str, str]) -> str:
        """The first zone matching a workload, else the default zone."""
        return next((z.name for z in self.zones if z.matches(namespace_labels, pod_labels)), self.default_zone)

    def zone_of_range(self, version: int, first: int, last: int) -> str:
        """The first external zone holding an address range, else `external` (addresses in no zone)."""
        return next((z.name for z in self.zones if z.external and z.contains_range(version, first, last)),
                    UNZONED_EXTERNAL)

    def approving(self, source: tuple[str, Mapping | None, Mapping | None],
                  destination: tuple[str, Mapping | None, Mapping | None]) -> list[ApprovedFlow]:
        """The approved flows covering a pair of endpoints, each given as (zone, namespace labels, pod labels)."""
        return [flow for flow in self.approved_flows
                if flow.source.matches(*source) and flow.destination.matches(*destination)]

    def approved_ports(self, flows: Sequence[ApprovedFlow]) -> PortSet:
        """The union of the ports of some approved flows."""
        result = NO_PORTS
        for flow in flows:
            result = result | flow.ports
        return result


UNZONED_EXTERNAL = "external"


@functools.lru_cache(maxsize=256)
def glob_pieces(glob: str) -> tuple[tuple[re.Pattern[str], int], ...]:
    """The `*`-free pieces of a glob, each a fixed-length pattern (`?` is any one character) with its length."""
    return tuple((re.compile("".join("." if c == "?" else re.escape(c) for c in piece), re.DOTALL), len(piece))
                 for piece in glob.split("*"))


def glob_matches(glob: str, text: str) -> bool:
    """Whether all of `text` matches `glob`: `*` is any text, `?` any one character, the rest itself (case-sensitive).

    The first piece must start the text and the last end it; each piece between takes its leftmost place after the
    one before, which is never worse than a later place since the stars around it absorb what lies between. Pieces
    have a fixed length, so nothing backtracks: the work stays within len(glob) x len(text), whatever the stars.
    """
    (first, first_length), *rest = glob_pieces(glob)
    if not rest:
        return first.fullmatch(text) is not None
    *middle, (last, last_length) = rest
    end = len(text) - last_length
    if end < first_length or first.match(text) is None or last.fullmatch(text, end) is None:
        return False
    position = first_length
    for piece, _ in middle:
        found = piece.search(text, position, end)
        if found is None:
            return False
        position = found.end()
    return True


TOP_KEYS = {"apiVersion", "kind", "organization", "system", "period", "defaultZone", "zones", "approvedFlows",
            "exceptions", "changeApproval"}
ZONE_KEYS = {"name", "description", "namespaceSelector", "podSelector", "cidrs", "except"}
FLOW_KEYS = {"from", "to", "ports", "justification", "approver", "ticket"}
END_KEYS = {"zone", "namespaceSelector", "podSelector"}
EXCEPTION_KEYS = {"control", "target", "justification", "approver", "expires"}
APPROVAL_KEYS = {"requirePullRequest", "acceptTrailers", "requireSignedCommits"}
RELATIVE_PERIOD_MONTHS = {"quarter": 3, "month": 1}  # a relative period's unit, in months


def ticket_at(value: Any, field: str) -> str:
    """A change ticket: text, or a number as written (`1234`); "" when absent."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else string_at(value, field)


def parse_zone(value: Any, field: str) -> Zone:
    """One zone: selectors, or cidrs (with except) for an external zone."""
    zone = mapping_at(value, field)
    only_keys(zone, ZONE_KEYS, field)
    name = string_at(zone.get("name"), f"{field}.name", required=True)
    cidrs = [parse_network(c, f"{field}.cidrs[{i}]")
             for i, c in enumerate(list_at(zone.get("cidrs"), f"{field}.cidrs"))]
    excepts = [parse_network(c, f"{field}.except[{i}]")
               for i, c in enumerate(list_at(zone.get("except"), f"{field}.except"))]
    if excepts and not cidrs:
        raise InvalidObject(f"{field}.except", "only an external zone (cidrs) can have except")
    for index, excluded in enumerate(excepts):
        if not any(is_subnet(excluded, cidr) for cidr in cidrs):
            raise InvalidObject(f"{field}.except[{index}]", f"{excluded} is not inside any of the zone's cidrs")
    if name == UNZONED_EXTERNAL:
        raise InvalidObject(f"{field}.name", f"{UNZONED_EXTERNAL!r} is reserved for addresses in no zone")
    selectors = [key for key in ("namespaceSelector", "podSelector") if zone.get(key) is not None]
    if cidrs and selectors:
        raise InvalidObject(f"{field}.cidrs", "an external zone (cidrs) cannot also have selectors")

    if not cidrs and not selectors:
        raise InvalidObject(field, "a zone needs namespaceSelector and/or podSelector, or cidrs")
    return Zone(
        name=name,
        description=string_at(zone.get("description"), f"{field}.description"),
        namespace_selector=parse_selector(zone["namespaceSelector"], f"{field}.namespaceSelector")
        if "namespaceSelector" in selectors else None,
        pod_selector=parse_selector(zone["podSelector"], f"{field}.podSelector") if "podSelector" in selectors
        else None,
        cidrs=tuple(IPBlock(cidr, tuple(e for e in excepts if is_subnet(e, cidr)))
                    for cidr in cidrs),
    )


def parse_flow_end(value: Any, field: str, zones: set[str]) -> FlowEnd:
    """One end of an approved flow."""
    end = mapping_at(value, field, required=True)
    only_keys(end, END_KEYS, field)
    zone = string_at(end.get("zone"), f"{field}.zone", required=True)
    if zone not in zones:
        raise InvalidObject(f"{field}.zone", f"unknown zone {zone!r} (zones: {', '.join(sorted(zones))})")
    return FlowEnd(
        zone=zone,
        namespace_selector=parse_selector(end["namespaceSelector"], f"{field}.namespaceSelector")
        if end.get("namespaceSelector") is not None else None,
        pod_selector=parse_selector(end["podSelector"], f"{field}.podSelector")
        if end.get("podSelector") is not None else None,
    )


def parse_flow_ports(value: Any, field: str) -> PortSet:
    """The ports of an approved flow, as NetworkPolicy port entries (numbers or ranges); none = every port."""
    entries = list_at(value, field)
    if not entries:
        return ALL_PORTS
    result = NO_PORTS
    for index, entry in enumerate(entries):
        spec = parse_policy_port(entry, f"{field}[{index}]")
        if spec.is_named:
            raise InvalidObject(f"{field}[{index}].port", "approved flows use port numbers, not names")
        result = result | resolve_port(spec, None)
    return result


def parse_period(value: Any, today: datetime.date | None) -> tuple[datetime.date, datetime.date]:
    """The period's first and last day: `{start, end}`, or the calendar quarter or month before (`previous`) or
    holding (`current`) the run's date, so that a scheduled run assesses the period that just ended."""
    period = mapping_at(value, "period", required=True)
    relative = [unit for unit in RELATIVE_PERIOD_MONTHS if unit in period]
    if not relative:
        only_keys(period, {"start", "end"}, "period")
        start, end = date_at(period.get("start"), "period.start"), date_at(period.get("end"), "period.end")
        if end < start:
            raise InvalidObject("period.end", f"ends ({end}) before it starts ({start})")
        return start, end
    if len(period) != 1:
        raise InvalidObject("period", "give start and end, or one of quarter or month alone")
    unit = relative[0]
    which = string_at(period[unit], f"period.{unit}", required=True)
    if which not in ("previous", "current"):
        raise InvalidObject(f"period.{unit}", f"must be previous or current, not {which!r}")
    if today is None:
        raise InvalidObject(f"period.{unit}", "a relative period needs the run's date")
    months = RELATIVE_PERIOD_MONTHS[unit]
    first = (today.year * 12 + today.month - 1) // months * months - (months if which == "previous" else 0)
    after = first + months
    return (datetime.date(first // 12, first % 12 + 1, 1),
            datetime.date(after // 12, after % 12 + 1, 1) - datetime.timedelta(days=1))


def parse_scope_document(document: Any, today: datetime.date | None = None) -> Scope:
    """A Scope from the parsed YAML document, a relative period resolved on `today`; InvalidObject names the bad
    key."""
    top = segproof_document(document, "Scope", TOP_KEYS)
    start, end = parse_period(top.get("period"), today)
    zones = [parse_zone(z, f"zones[{i}]") for i, z in enumerate(list_at(top.get("zones"), "zones"))]
    names = [zone.name for zone in zones]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate:
        raise InvalidObject("zones", f"zone {duplicate!r} is declared twice")
    default_zone = string_at(top.get("defaultZone"), "defaultZone", required=True)
    if any(zone.name == default_zone and zone.external for zone in zones):
        raise InvalidObject("defaultZone", f"{default_zone!r} is an external zone; the default zone holds workloads")
    known = {*names, default_zone, UNZONED_EXTERNAL}
    flows = []
    for index, item in enumerate(list_at(top.get("approvedFlows"), "approvedFlows")):
        field = f"approvedFlows[{index}]"
        flow = mapping_at(item, field)
        only_keys(flow, FLOW_KEYS, field)
        flows.append(ApprovedFlow(
            source=parse_flow_end(flow.get("from"), f"{field}.from", known),
            destination=parse_flow_end(flow.get("to"), f"{field}.to", known),
            ports=parse_flow_ports(flow.get("ports"), f"{field}.ports"),
            justification=string_at(flow.get("justification"), f"{field}.justification", required=True),
            approver=string_at(flow.get("approver"), f"{field}.approver", required=True),
            ticket=ticket_at(flow.get("ticket"), f"{field}.ticket"),
        ))
    exceptions = []
    for index, item in enumerate(list_at(top.get("exceptions"), "exceptions")):
        field = f"exceptions[{index}]"
        exception = mapping_at(item, field)
        only_keys(exception, EXCEPTION_KEYS, field)
        exceptions.append(ScopeException(
            control=string_at(exception.get("control"), f"{field}.control", required=True),
            target=string_at(exception.get("target"), f"{field}.target") or "*",
            justification=string_at(exception.get("justification"), f"{field}.justification", required=True),
            approver=string_at(exception.get("approver"), f"{field}.approver", required=True),
            expires=date_at(exception["expires"], f"{field}.expires") if exception.get("expires") else None,
        ))
    approval = mapping_at(top.get("changeApproval"), "changeApproval")
    only_keys(approval, APPROVAL_KEYS, "changeApproval")
    trailers = list_at(approval.get("acceptTrailers"), "changeApproval.acceptTrailers")
    return Scope(
        organization=string_at(top.get("organization"), "organization", required=True),
        system=string_at(top.get("system"), "system", required=True),
        period_start=start,
        period_end=end,
        default_zone=default_zone,
        zones=tuple(zones),
        approved_flows=tuple(flows),
        exceptions=tuple(exceptions),
        change_approval=ChangeApproval(
            require_pull_request=boolean_at(approval.get("requirePullRequest"), "changeApproval.requirePullRequest",
                                            True),
            accept_trailers=tuple(string_at(t, f"changeApproval.acceptTrailers[{i}]", required=True)
                                  for i, t in enumerate(trailers)) if "acceptTrailers" in approval
            else ChangeApproval().accept_trailers,
            require_signed_commits=boolean_at(approval.get("requireSignedCommits"),
                                              "changeApproval.requireSignedCommits", False),
        ),
    )


def parse_scope(text: str, file: str, today: datetime.date | None = None) -> Scope:
    """A Scope from the text of a scope file, a relative period resolved on `today` (the run's date); errors name
    the file and key."""
    return parse_config(text, file, "Scope", lambda document: parse_scope_document(document, today), ScopeError)
