"""The scope file: parsing the sample, errors that name the key, zones, external ranges, flows, exceptions."""

from __future__ import annotations

import datetime
import fnmatch
import ipaddress
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from compliance.errors import ScopeError
from compliance.scope import UNZONED_EXTERNAL, ChangeApproval, Scope, ScopeException, glob_matches, parse_scope
from compliance.workflows.inputs import read_scope
from tests.netpol.builders import ports
from tests.support.documents import with_value

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "scope.yaml"

# A small valid scope; each error case below breaks one thing in a copy of it.
BASE: dict[str, Any] = {
    "apiVersion": "segproof/v1",
    "kind": "Scope",
    "organization": "ACME Payments Ltd",
    "system": "prod-eu-1",
    "period": {"start": "2026-07-01", "end": "2026-09-30"},
    "defaultZone": "general",
    "zones": [
        {"name": "cde", "namespaceSelector": {"matchLabels": {"pci-zone": "cde"}}},
        {"name": "connected", "namespaceSelector": {"matchLabels": {"pci-zone": "connected"}}},
        {"name": "internet", "cidrs": ["0.0.0.0/0"], "except": ["10.0.0.0/8"]},
    ],
    "approvedFlows": [
        {"from": {"zone": "connected"}, "to": {"zone": "cde"}, "ports": [{"port": 8443}],
         "justification": "Checkout calls the payments API", "approver": "Jane Doe (CISO)"},
    ],
    "exceptions": [
        {"control": "workload.isolated", "target": "payments/*", "justification": "Migration",
         "approver": "Jane Doe (CISO)", "expires": "2026-12-31"},
    ],
}


def scope_text(document: Any) -> str:
    """A document as scope.yaml text."""
    return yaml.safe_dump(document, sort_keys=False)


def parse(document: Any) -> Scope:
    """parse_scope on a document."""
    return parse_scope(scope_text(document), "scope.yaml")


def changed(path: str, value: Any) -> dict[str, Any]:
    """BASE with the value at a dotted path set (`...` deletes it)."""
    return with_value(BASE, path, value)


def scope_error(text: str) -> ScopeError:
    """The ScopeError parsing this text raises."""
    with pytest.raises(ScopeError) as raised:
        parse_scope(text, "scope.yaml")
    return raised.value


def span(cidr: str) -> tuple[int, int, int]:
    """(version, first, last) of a CIDR, as zone_of_range takes it."""
    network = ipaddress.ip_network(cidr)
    return network.version, int(network.network_address), int(network.broadcast_address)


def sample() -> Scope:
    """The sample scope."""
    return parse_scope(SAMPLE.read_text(encoding="utf-8"), str(SAMPLE))


# --- the sample -----------------------------------------------------------------------------------


def test_the_base_document_is_valid() -> None:
    scope = parse(BASE)
    assert (scope.default_zone, [z.name for z in scope.zones]) == ("general", ["cde", "connected", "internet"])


def test_sample_scope_header_and_zones() -> None:
    scope = sample()
    assert (scope.organization, scope.system) == ("ACME Payments Ltd", "prod-eu-1")
    assert (scope.period_start, scope.period_end) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    assert scope.default_zone == "out-of-scope"
    assert [(z.name, z.external) for z in scope.zones] == [
        ("cde", False), ("connected", False), ("card-network", True), ("hsm", True), ("platform-network", True),
        ("internet", True)]
    assert scope.zone_names[-1] == "out-of-scope"
    internet = scope.zone("internet")
    assert [str(e) for block in internet.cidrs for e in block.excepts] == [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    assert scope.zone("cde").description.startswith("Cardholder data environment")
    assert scope.zone("nowhere") is None


def test_sample_scope_flows() -> None:
    flows = {(f.ticket, f.source.zone, f.destination.zone): f for f in sample().approved_flows}
    assert len(flows) == 6
    assert flows[("CHG-1001", "internet", "connected")].ports == ports("TCP 80,443")
    assert flows[("CHG-1234", "connected", "cde")].ports == ports("TCP 8443")
    assert flows[("CHG-1236", "cde", "hsm")].ports == ports("TCP 8000-8100"), "endPort makes a range"
    assert flows[("CHG-1240", "cde", "connected")].ports == ports("TCP 53; UDP 53")
    payments = flows[("CHG-1234", "connected", "cde")]
    assert payments.destination.describe() == "zone cde, pods app=payments-api"
    assert (payments.approver, payments.label) == ("Jane Doe (CISO)", "connected -> cde (CHG-1234)")
    assert payments.justification.startswith("Checkout and the API gateway")


def test_sample_scope_exceptions_and_change_approval() -> None:
    scope = sample()
    assert [(e.control, e.target, e.expires) for e in scope.exceptions] == [
        ("workload.host_network", "monitoring/node-exporter*", datetime.date(2026, 12, 31)),
        ("pci-dss-4.0.1/1.4.1", "api-gateway/*", datetime.date(2026, 2, 28))]
    assert scope.change_approval == ChangeApproval(True, ("Reviewed-by", "Approved-by"), False)


@pytest.mark.parametrize(("document", "expected"), [
    pytest.param(BASE, ChangeApproval(True, ("Reviewed-by", "Approved-by"), False), id="omitted"),
    pytest.param(changed("changeApproval", {"requirePullRequest": False}),
                 ChangeApproval(False, ("Reviewed-by", "Approved-by"), False), id="one-key"),
    pytest.param(changed("changeApproval", {"acceptTrailers": [], "requireSignedCommits": True}),
                 ChangeApproval(True, (), True), id="no-trailers"),
    pytest.param(changed("changeApproval", {"acceptTrailers": ["Signed-off-by"]}),
                 ChangeApproval(True, ("Signed-off-by",), False), id="own-trailers"),
])
def test_change_approval_defaults(document: dict[str, Any], expected: ChangeApproval) -> None:
    assert parse(document).change_approval == expected


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param([], "all ports", id="empty-is-every-port"),
    pytest.param(..., "all ports", id="omitted-is-every-port"),
    pytest.param([{"port": 8000, "endPort": 8100}, {"protocol": "UDP", "port": 53}], "TCP 8000-8100; UDP 53",
                 id="range-and-udp"),
    pytest.param([{"protocol": "SCTP", "port": 3868}], "SCTP 3868", id="sctp"),
])
def test_flow_ports(value: Any, expected: str) -> None:
    scope = parse(changed("approvedFlows.0.ports", value))
    assert scope.approved_flows[0].ports.describe() == expected


def test_dates_may_be_yaml_dates_or_strings() -> None:
    text = scope_text(BASE).replace("'2026-07-01'", "2026-07-01").replace("expires: '2026-12-31'",
                                                                          "expires: 2026-12-31")
    assert "start: 2026-07-01" in text
    scope = parse_scope(text, "scope.yaml")
    assert (scope.period_start, scope.exceptions[0].expires) == (datetime.date(2026, 7, 1),
                                                                  datetime.date(2026, 12, 31))


def test_a_ticket_number_is_kept_as_written() -> None:
    flow = parse_scope(scope_text(changed("approvedFlows.0.ticket", 1234)), "scope.yaml").approved_flows[0]
    assert flow.ticket == "1234"


@pytest.mark.parametrize(("period", "today", "start", "end"), [
    pytest.param({"quarter": "previous"}, "2026-10-01", "2026-07-01", "2026-09-30", id="quarter-run-on-its-first-day"),
    pytest.param({"quarter": "previous"}, "2026-02-15", "2025-10-01", "2025-12-31", id="quarter-across-new-year"),
    pytest.param({"quarter": "current"}, "2026-12-31", "2026-10-01", "2026-12-31", id="quarter-current"),
    pytest.param({"month": "previous"}, "2026-03-01", "2026-02-01", "2026-02-28", id="month-february"),
    pytest.param({"month": "previous"}, "2028-01-31", "2027-12-01", "2027-12-31", id="month-across-new-year"),
    pytest.param({"month": "current"}, "2028-02-10", "2028-02-01", "2028-02-29", id="month-leap-year"),
])
def test_a_relative_period_is_resolved_on_the_run_date(period: dict[str, str], today: str, start: str,
                                                        end: str) -> None:
    text = scope_text(changed("period", period))
    scope = parse_scope(text, "scope.yaml", datetime.date.fromisoformat(today))
    assert (scope.period_start.isoformat(), scope.period_end.isoformat()) == (start, end)


def test_a_quarterly_schedule_assesses_a_new_quarter_each_run() -> None:
    text = scope_text(changed("period", {"quarter": "previous"}))
    runs = [datetime.date(2026, month, 1) for month in (1, 4, 7, 10)]
    periods = [(s.period_start, s.period_end) for s in (parse_scope(text, "scope.yaml", day) for day in runs)]
    assert len(set(periods)) == 4
    assert all(end + datetime.timedelta(days=1) == run for (_, end), run in zip(periods, runs, strict=True))


def test_a_relative_period_without_the_run_date_is_an_error() -> None:
    error = scope_error(scope_text(changed("period", {"quarter": "previous"})))
    assert (error.field, error.message) == ("period.quarter", "scope.yaml: period.quarter: a relative period needs "
                                                              "the run's date")


def test_exception_target_defaults_to_everything() -> None:
    exception = parse(changed("exceptions.0.target", ...)).exceptions[0]
    assert exception.target == "*"
    assert exception.covers(("workload.isolated",), "checkout/web[Deployment]")


# --- errors name the key --------------------------------------------------------------------------

ERRORS = [
    ("unknown-top-level-key", changed("owner", "platform"), "owner", "unknown key"),
    ("unknown-period-key", changed("period.timezone", "UTC"), "period.timezone", "unknown key"),
    ("unknown-zone-key", changed("zones.0.colour", "red"), "zones[0].colour", "unknown key"),
    ("unknown-flow-key", changed("approvedFlows.0.owner", "x"), "approvedFlows[0].owner", "unknown key"),
    ("unknown-flow-end-key", changed("approvedFlows.0.to.cidr", "10.0.0.0/8"), "approvedFlows[0].to.cidr",
     "unknown key"),
    ("unknown-exception-key", changed("exceptions.0.reason", "x"), "exceptions[0].reason", "unknown key"),
    ("unknown-change-approval-key", changed("changeApproval.requireTickets", True),
     "changeApproval.requireTickets", "unknown key"),
    ("zone-with-cidrs-and-selectors", changed("zones.2.namespaceSelector", {}), "zones[2].cidrs",
     "cannot also have selectors"),
    ("except-without-cidrs", changed("zones.0.except", ["10.0.0.0/8"]), "zones[0].except",
     "only an external zone"),
    ("zone-with-neither", changed("zones.1", {"name": "connected", "description": "nothing chosen"}),
     "zones[1]", "needs namespaceSelector and/or podSelector, or cidrs"),
    ("zone-without-name", changed("zones.0.name", ...), "zones[0].name", "required field is missing"),
    ("duplicate-zone", changed("zones.1.name", "cde"), "zones", "'cde' is declared twice"),
    ("unknown-zone-in-flow", changed("approvedFlows.0.to.zone", "dmz"), "approvedFlows[0].to.zone",
     "unknown zone 'dmz'"),
    ("flow-without-zone", changed("approvedFlows.0.from", {"podSelector": {}}), "approvedFlows[0].from.zone",
     "required field is missing"),
    ("flow-without-justification", changed("approvedFlows.0.justification", ...),
     "approvedFlows[0].justification", "required field is missing"),
    ("named-port-in-flow", changed("approvedFlows.0.ports", [{"port": "https"}]), "approvedFlows[0].ports[0].port",
     "port numbers, not names"),
    ("bad-selector-in-flow", changed("approvedFlows.0.to.podSelector",
                                     {"matchExpressions": [{"key": "app", "operator": "Is", "values": ["x"]}]}),
     "approvedFlows[0].to.podSelector.matchExpressions[0].operator", "unsupported operator 'Is'"),
    ("period-end-before-start", changed("period.end", "2026-06-30"), "period.end", "before it starts"),
    ("bad-date", changed("period.start", "2026-02-30"), "period.start", "invalid date '2026-02-30'"),
    ("bad-expiry", changed("exceptions.0.expires", "end of year"), "exceptions[0].expires", "invalid date"),
    ("missing-period", changed("period", ...), "period", "required field is missing"),
    ("relative-period-bad-value", changed("period", {"quarter": "last"}), "period.quarter",
     "must be previous or current, not 'last'"),
    ("relative-period-and-dates", changed("period.quarter", "previous"), "period",
     "give start and end, or one of quarter or month alone"),
    ("relative-period-two-units", changed("period", {"quarter": "previous", "month": "previous"}), "period",
     "one of quarter or month alone"),
    ("relative-period-unknown-unit", changed("period", {"year": "previous"}), "period.year", "unknown key"),
    ("wrong-api-version", changed("apiVersion", "segproof/v2"), "apiVersion", "must be segproof/v1"),
    ("wrong-kind", changed("kind", "RunConfig"), "kind", "must be Scope"),
    ("missing-organization", changed("organization", ...), "organization", "required field is missing"),
    ("missing-default-zone", changed("defaultZone", ...), "defaultZone", "required field is missing"),
    ("external-default-zone", changed("defaultZone", "internet"), "defaultZone", "is an external zone"),
    ("non-boolean-require-pull-request", changed("changeApproval.requirePullRequest", "yes"),
     "changeApproval.requirePullRequest", "must be true or false"),
    ("zones-not-a-list", changed("zones", {"name": "cde"}), "zones", "must be a list"),
    ("invalid-cidr", changed("zones.2.cidrs", ["10.0.0.0/33"]), "zones[2].cidrs[0]", "invalid CIDR"),
    ("cidr-without-prefix", changed("zones.2.cidrs", ["10.0.0.1"]), "zones[2].cidrs[0]", "address/prefix-length"),
    ("exception-without-approver", changed("exceptions.0.approver", ...), "exceptions[0].approver",
     "required field is missing"),
    ("ticket-as-a-list", changed("approvedFlows.0.ticket", ["CHG-1", "CHG-2"]), "approvedFlows[0].ticket",
     "must be a string, not a list"),
]


@pytest.mark.parametrize(("document", "field", "message"), [pytest.param(*case[1:], id=case[0]) for case in ERRORS])
def test_errors_name_the_key(document: dict[str, Any], field: str, message: str) -> None:
    error = scope_error(scope_text(document))
    assert (error.file, error.field) == ("scope.yaml", field)
    assert message in error.message
    assert error.message.startswith(f"scope.yaml: {field}: ")


@pytest.mark.parametrize(("text", "where"), [
    pytest.param("apiVersion: segproof/v1\nzones: [\n  {name: cde\n", "line 4 column 1", id="unclosed-flow"),
    pytest.param("apiVersion: segproof/v1\nkind: Scope\n  organization: x\n", "line 3 column 15",
                 id="bad-indentation"),
])
def test_invalid_yaml_says_where(text: str, where: str) -> None:
    error = scope_error(text)
    assert error.field == ""
    assert error.message.startswith(f"scope.yaml: invalid YAML at {where}: ")


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"),
    pytest.param("- a list\n", id="list"),
    pytest.param("just text\n", id="scalar"),
])
def test_a_scope_must_be_a_mapping(text: str) -> None:
    error = scope_error(text)
    assert error.field == ""
    assert error.message.startswith("scope.yaml: ")


def test_an_unquoted_impossible_date_is_a_scope_error() -> None:
    text = scope_text(BASE).replace("end: '2026-09-30'", "end: 2026-09-31")
    assert "end: 2026-09-31" in text
    assert scope_error(text).message.startswith("scope.yaml: ")


# --- zone assignment ------------------------------------------------------------------------------

ZONING = parse({**BASE, "zones": [
    {"name": "cde-api", "namespaceSelector": {"matchLabels": {"pci-zone": "cde"}},
     "podSelector": {"matchLabels": {"app": "payments-api"}}},
    {"name": "cde", "namespaceSelector": {"matchLabels": {"pci-zone": "cde"}}},
    {"name": "prod", "namespaceSelector": {"matchLabels": {"env": "prod"}}},
    {"name": "tools", "podSelector": {"matchExpressions": [{"key": "tier", "operator": "In",
                                                            "values": ["debug", "tools"]}]}},
    {"name": "internet", "cidrs": ["0.0.0.0/0"]},
], "approvedFlows": []})


@pytest.mark.parametrize(("namespace", "pod", "zone"), [
    pytest.param({"pci-zone": "cde"}, {"app": "payments-api"}, "cde-api", id="both-selectors-match"),
    pytest.param({"pci-zone": "cde"}, {"app": "tokenizer"}, "cde", id="namespace-only-falls-through"),
    pytest.param({"pci-zone": "connected"}, {"app": "payments-api"}, "general", id="pod-only-is-not-enough"),
    pytest.param({"pci-zone": "cde", "env": "prod"}, {"app": "card-vault"}, "cde", id="first-match-wins"),
    pytest.param({"env": "prod"}, {"tier": "debug"}, "prod", id="earlier-zone-wins-over-pod-zone"),
    pytest.param({"env": "dev"}, {"tier": "debug"}, "tools", id="pod-selector-alone"),
    pytest.param({}, {}, "general", id="default-zone"),
])
def test_zone_of_workload(namespace: dict[str, str], pod: dict[str, str], zone: str) -> None:
    assert ZONING.zone_of_workload(namespace, pod) == zone


def test_an_external_zone_holds_no_workload() -> None:
    everything = parse({**BASE, "zones": [{"name": "internet", "cidrs": ["0.0.0.0/0"]}], "approvedFlows": []})
    assert everything.zone_of_workload({"any": "label"}, {}) == "general"
    assert not everything.zones[0].matches({}, {})


def test_zone_names_add_the_default_zone_once() -> None:
    assert ZONING.zone_names == ("cde-api", "cde", "prod", "tools", "internet", "general")
    declared = parse({**BASE, "defaultZone": "cde"})
    assert declared.zone_names == ("cde", "connected", "internet")


# --- external ranges ------------------------------------------------------------------------------


@pytest.mark.parametrize(("cidr", "zone"), [
    pytest.param("203.0.113.7/32", "card-network", id="declared-before-internet"),
    pytest.param("203.0.113.0/24", "card-network", id="whole-zone"),
    pytest.param("198.51.100.0/28", "hsm", id="hsm"),
    pytest.param("198.51.100.16/28", "internet", id="next-to-hsm"),
    pytest.param("8.8.8.8/32", "internet", id="public-address"),
    pytest.param("203.0.112.0/23", "internet", id="wider-than-card-network"),
    pytest.param("10.20.0.0/16", "platform-network", id="inside-an-except-but-zoned"),
    pytest.param("10.1.0.0/16", UNZONED_EXTERNAL, id="except-range-is-no-zone"),
    pytest.param("192.168.1.0/24", UNZONED_EXTERNAL, id="private-range"),
    pytest.param("8.0.0.0/6", UNZONED_EXTERNAL, id="straddles-an-except"),
    pytest.param("2001:db8::/32", UNZONED_EXTERNAL, id="ipv6-no-zone"),
])
def test_zone_of_range(cidr: str, zone: str) -> None:
    assert sample().zone_of_range(*span(cidr)) == zone


def test_except_ranges_of_another_version_or_outside_the_cidrs_are_errors() -> None:
    error = scope_error(scope_text(changed("zones.2.except", ["10.0.0.0/8", "2001:db8::/32"])))
    assert error.field == "zones[2].except[1]"
    assert "2001:db8::/32 is not inside any of the zone's cidrs" in error.message


def test_the_name_of_addresses_in_no_zone_is_reserved() -> None:
    assert scope_error(scope_text(changed("zones.0.name", "external"))).field == "zones[0].name"


def test_an_empty_file_says_so() -> None:
    assert "the file is empty" in scope_error("").message


def laughs_in_ticket() -> str:
    """The base scope whose first flow's ticket is a billion laughs."""
    anchors = ['&l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    anchors += [f"&l{level} [{', '.join([f'*l{level - 1}'] * 9)}]" for level in range(1, 10)]
    return scope_text(with_value(BASE, "approvedFlows.0.ticket", "TICKET")).replace(
        "TICKET", f"[{', '.join(anchors)}]")


@pytest.mark.parametrize(("text", "message"), [
    pytest.param(scope_text(with_value(BASE, "approvedFlows.0.ticket", "TICKET")).replace(
        "TICKET", "[" * 100_000 + "]" * 100_000), "nested more than 128 levels deep", id="nested-100k"),
    pytest.param(laughs_in_ticket(), "aliases repeat more than 100,000 nodes in this document", id="alias-bomb"),
    pytest.param(scope_text(BASE) + "system: other\n", "duplicate key 'system'", id="duplicate-key"),
])
def test_a_hostile_scope_is_refused_where_it_breaks_the_limits(text: str, message: str) -> None:
    error = scope_error(text)
    assert (error.field, message in error.message) == ("", True), error.message
    assert error.message.startswith("scope.yaml: invalid YAML at line ")


def test_a_scope_that_is_not_utf8_is_a_scope_error(tmp_path: Path) -> None:
    path = tmp_path / "scope.yaml"
    path.write_bytes(scope_text(BASE).replace("ACME Payments Ltd", "ACME Caf\u00e9").encode("latin-1"))
    with pytest.raises(ScopeError) as raised:
        read_scope(str(path), "2026-01-01T00:00:00Z")
    assert raised.value.message == f"{path}: not UTF-8 text"


# --- approved flows -------------------------------------------------------------------------------

CDE_NS = {"pci-zone": "cde", "kubernetes.io/metadata.name": "payments"}
CONNECTED_NS = {"pci-zone": "connected", "kubernetes.io/metadata.name": "checkout"}
SYSTEM_NS = {"pci-zone": "system", "kubernetes.io/metadata.name": "kube-system"}
INGRESS_NS = {"pci-zone": "system", "kubernetes.io/metadata.name": "ingress-nginx"}


@pytest.mark.parametrize(("source", "destination", "tickets"), [
    pytest.param(("connected", CONNECTED_NS, {"app": "checkout"}), ("cde", CDE_NS, {"app": "payments-api"}),
                 ["CHG-1234"], id="zone-to-selected-pods"),
    pytest.param(("connected", CONNECTED_NS, {"app": "checkout"}), ("cde", CDE_NS, {"app": "tokenizer"}),
                 [], id="pod-selector-does-not-match"),
    pytest.param(("system", CONNECTED_NS, {}), ("cde", CDE_NS, {"app": "payments-api"}), [],
                 id="wrong-source-zone"),
    pytest.param(("internet", None, None),
                 ("connected", INGRESS_NS, {"app.kubernetes.io/name": "ingress-nginx"}), ["CHG-1001"],
                 id="address-to-selected-pods"),
    pytest.param(("cde", CDE_NS, {"app": "payments-api"}), ("card-network", None, None), ["CHG-1235"],
                 id="selected-pods-to-address"),
    pytest.param(("cde", CDE_NS, {"app": "tokenizer"}), ("card-network", None, None), [],
                 id="other-pods-to-address"),
    pytest.param(("cde", CDE_NS, {"app": "tokenizer"}), ("connected", SYSTEM_NS, {"k8s-app": "kube-dns"}),
                 ["CHG-1240"], id="namespace-selector-narrows"),
    pytest.param(("cde", CDE_NS, {"app": "tokenizer"}), ("connected", INGRESS_NS, {}), [],
                 id="namespace-selector-excludes"),
    pytest.param(("internet", None, None), ("system", None, None), [],
                 id="an-address-never-matches-an-end-with-selectors"),
    pytest.param(("connected", {"kubernetes.io/metadata.name": "monitoring"}, {"app": "prometheus"}),
                 ("cde", CDE_NS, {"app": "card-vault"}), ["CHG-1300"], id="monitoring-into-cde"),
])
def test_approving(source: tuple, destination: tuple, tickets: list[str]) -> None:
    assert [flow.ticket for flow in sample().approving(source, destination)] == tickets


def test_approved_ports_are_the_union_of_the_flows() -> None:
    scope = sample()
    both = [f for f in scope.approved_flows if f.ticket in ("CHG-1300", "CHG-1234")]
    assert scope.approved_ports(both) == ports("TCP 8443,9090,9187")
    assert not scope.approved_ports([])


# --- exceptions -----------------------------------------------------------------------------------

HOST_NETWORK = ScopeException("workload.host_network", "monitoring/node-exporter*", "read-only metrics",
                              "Jane Doe (CISO)", datetime.date(2026, 12, 31))


@pytest.mark.parametrize(("today", "active"), [
    pytest.param(datetime.date(2026, 9, 30), True, id="before"),
    pytest.param(datetime.date(2026, 12, 31), True, id="on-the-expiry-date"),
    pytest.param(datetime.date(2027, 1, 1), False, id="the-day-after"),
])
def test_exception_active_until_and_including_expiry(today: datetime.date, active: bool) -> None:
    assert HOST_NETWORK.active(today) is active


def test_exception_without_expiry_never_lapses() -> None:
    forever = ScopeException("workload.host_network", "*", "j", "a")
    assert forever.active(datetime.date(2099, 1, 1))


@pytest.mark.parametrize(("exception", "identifiers", "target", "covered"), [
    pytest.param(HOST_NETWORK, ("pci-dss-4.0.1/1.4.2", "workload.host_network"),
                 "monitoring/node-exporter[DaemonSet]", True, id="check-id-and-glob"),
    pytest.param(HOST_NETWORK, ("pci-dss-4.0.1/1.4.2", "workload.isolated"),
                 "monitoring/node-exporter[DaemonSet]", False, id="other-check"),
    pytest.param(HOST_NETWORK, ("pci-dss-4.0.1/1.4.2", "workload.host_network"),
                 "monitoring/prometheus[StatefulSet]", False, id="glob-does-not-match"),
    pytest.param(HOST_NETWORK, ("workload.host_network",), "kube-system/node-exporter[DaemonSet]", False,
                 id="glob-is-anchored"),
    pytest.param(ScopeException("pci-dss-4.0.1/1.4.1", "api-gateway/*", "j", "a"),
                 ("pci-dss-4.0.1/1.4.1", "segmentation.internet_egress_restricted"),
                 "api-gateway/partner-webhooks[Deployment] -> 0.0.0.0-9.255.255.255[External]", True,
                 id="control-id"),
    pytest.param(ScopeException("pci-dss-4.0.1/1.4.1", "api-gateway/*", "j", "a"),
                 ("pci-dss-4.0.1/1.4.2", "segmentation.internet_egress_restricted"),
                 "api-gateway/partner-webhooks[Deployment]", False, id="other-control"),
    pytest.param(ScopeException("policy.default_deny_egress", "kube-?ystem", "j", "a"),
                 ("policy.default_deny_egress",), "kube-system", True, id="question-mark"),
    pytest.param(ScopeException("policy.default_deny_egress", "Kube-system", "j", "a"),
                 ("policy.default_deny_egress",), "kube-system", False, id="case-sensitive"),
])
def test_exception_covers(exception: ScopeException, identifiers: tuple[str, ...], target: str,
                          covered: bool) -> None:
    assert exception.covers(identifiers, target) is covered


def test_exception_target_copied_from_a_finding_matches_it() -> None:
    finding = "monitoring/node-exporter[DaemonSet]"
    assert ScopeException("workload.host_network", finding, "j", "a").covers(("workload.host_network",), finding)


@pytest.mark.parametrize(("glob", "text", "matches"), [
    ("", "", True), ("", "a", False), ("*", "", True), ("**", "ab", True), ("a*", "a", True), ("*a", "ba", True),
    ("*a", "ab", False), ("a*b*c", "abcbc", True), ("a*b*c", "acb", False), ("ab*ba", "aba", False),
    ("?", "", False), ("??", "ab", True), ("*?*", "", False), ("a?*?c", "abbc", True),
    ("ns/web[Deployment]", "ns/web[Deployment]", True), ("ns/web[D]", "ns/webD", False), (".*", "ab", False),
    ("*\\n", "a\\n", True), ("a*", "a\nb", True), ("?", "\n", True),
])
def test_glob_semantics(glob: str, text: str, matches: bool) -> None:
    assert glob_matches(glob, text) is matches


def as_fnmatch(glob: str) -> str:
    """The same glob for fnmatch, where `[` opens a character class; segproof's globs have none."""
    return glob.replace("[", "[[]")


@given(st.text("ab*?[]\n", max_size=8), st.text("ab[]\n", max_size=10))
def test_glob_matches_as_fnmatch_does_with_only_star_and_question_mark(glob: str, text: str) -> None:
    assert glob_matches(glob, text) is fnmatch.fnmatchcase(text, as_fnmatch(glob))


def test_a_glob_of_many_stars_is_decided_at_once() -> None:
    started = time.perf_counter()
    exception = ScopeException("workload.isolated", "a*" * 14 + "b", "j", "a")
    assert not exception.covers(("workload.isolated",), "a" * 40)
    assert exception.covers(("workload.isolated",), "a" * 40 + "b")
    assert time.perf_counter() - started < 0.1
