"""The segmentation picture shared by the report: CDE zones, zone pairs, approved flows in use, verdicts."""

from __future__ import annotations

import dataclasses

from compliance.report.inputs import ReportInput
from compliance.report.zone_flows import cde_zones, verdicts, zone_flows
from compliance.scope import Zone
from tests.netpol.builders import ports

from .builders import guarded_snapshot, report_input


def test_cde_is_recognised_by_name_or_description(sample: ReportInput) -> None:
    scope = sample.system.scope
    assert cde_zones(scope) == ("cde",)
    renamed = dataclasses.replace(scope, zones=(Zone("payments", "Holds cardholder data"), Zone("pci-cde-2"),
                                                Zone("decode")))
    assert cde_zones(renamed) == ("payments", "pci-cde-2")


def test_pairs_and_flow_use(sample: ReportInput) -> None:
    flows = zone_flows(sample.system)
    assert flows.zones[0] == "cde" and flows.zones[-1] == "external"
    pair = flows.pair("out-of-scope", "cde")
    assert (pair.state, pair.connections, pair.unapproved_connections, pair.into_cde) == ("unapproved", 4, 4, True)
    connected = flows.pair("connected", "cde")  # checkout and monitoring approved; calico-node via the TEMP rule not
    assert (connected.state, connected.connections, connected.unapproved_connections) == ("unapproved", 7, 2)
    assert flows.pair("cde", "cde").state == "same_zone"
    assert flows.pair("cde", "connected").state == "approved"
    assert flows.pair("cde", "out-of-scope").state == "none"
    assert "out-of-scope" in flows.out_of_scope and "connected" not in flows.out_of_scope
    assert all(use.used for use in flows.flow_uses)
    assert flows.unapproved[0].destination_zone == "cde"


def test_verdicts_in_plain_words(sample: ReportInput) -> None:
    flows = zone_flows(sample.system)
    found = verdicts(flows, ["kube-system/calico-node[DaemonSet]"], [], complete=True)
    texts = [v.text for v in found]
    assert "Out-of-scope systems can reach the CDE: 4 paths" in texts
    assert "Connections into the CDE without an approved flow: 6 of 11" in texts
    assert "Every connection out of the CDE is an approved flow (4 connections)" in texts
    assert "Workloads outside NetworkPolicy control (hostNetwork): 1" in texts
    assert found[0].tone == "bad"


def test_no_path_verdict_is_qualified_when_incomplete(sample: ReportInput) -> None:
    flows = zone_flows(sample.system)
    without = dataclasses.replace(flows, connections=tuple(c for c in flows.connections
                                                           if c.source_zone != "out-of-scope"))
    complete = verdicts(without, [], [], complete=True)
    assert complete[0].text == "No path from out-of-scope zones to the CDE" and complete[0].tone == "good"
    incomplete = verdicts(without, [], [], complete=False)
    assert incomplete[0].text.startswith("No path from out-of-scope zones to the CDE (the analysis is incomplete")


def test_without_a_cde_zone(sample: ReportInput) -> None:
    flows = dataclasses.replace(zone_flows(sample.system), cde=())
    assert verdicts(flows, [], [], True)[0].text == "No zone is marked as the cardholder data environment"


def test_ambiguous_ports_count_as_reachable() -> None:
    # Two Admin policies of one priority disagree on marketing -> analytics TCP 80: the path is in the picture.
    flows = zone_flows(report_input(snapshot=guarded_snapshot()).system)
    tied = [c for c in flows.connections
            if c.source.startswith("marketing/") and c.destination.startswith("analytics/")]
    assert tied and all(c.ambiguous == c.ports == ports("TCP 80") for c in tied)
    assert flows.pair("out-of-scope", "out-of-scope").ports.issuperset(ports("TCP 80"))


def test_a_verdict_names_ambiguous_connections(sample: ReportInput) -> None:
    assert not any("equal priority" in v.text for v in verdicts(zone_flows(sample.system), [], [], True))
    found = verdicts(zone_flows(report_input(snapshot=guarded_snapshot()).system), [], [], True)
    verdict = next(v for v in found if "equal priority" in v.text)
    assert (verdict.tone, verdict.text) == ("bad", "Connections that cluster policies of equal priority decide "
                                                   "differently: 4")
    assert "count as reachable" in verdict.detail and "on TCP 80" in verdict.detail
