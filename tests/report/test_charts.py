"""The zone matrix picture: deterministic SVG and PNG, and the terminal text."""

from __future__ import annotations

import pytest

from compliance.report import charts
from compliance.report.inputs import ReportInput
from compliance.report.zone_flows import ZoneFlows, zone_flows


@pytest.fixture(scope="module")
def flows(sample: ReportInput) -> ZoneFlows:
    return zone_flows(sample.system)


def test_svg_is_deterministic_and_names_every_zone(flows: ZoneFlows, sample: ReportInput) -> None:
    svg = charts.zone_matrix_svg(flows)
    assert svg.startswith("<?xml") and "</svg>" in svg
    assert svg == charts.zone_matrix_svg(sample.system)
    assert "<dc:date>" not in svg
    for zone in flows.zones:
        assert zone in svg
    assert "cde (CDE)" in svg
    assert "4 unapproved" in svg


def test_png_is_deterministic_without_metadata(flows: ZoneFlows) -> None:
    png = charts.zone_matrix_png(flows)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 10_000
    assert png == charts.zone_matrix_png(flows)
    assert b"tEXt" not in png and b"iTXt" not in png and b"matplotlib" not in png.lower()


def test_png_resolution_is_fixed(flows: ZoneFlows) -> None:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(charts.zone_matrix_png(flows, dpi=100)))
    small = Image.open(io.BytesIO(charts.zone_matrix_png(flows, dpi=50)))
    assert image.size[0] == pytest.approx(2 * small.size[0], abs=2)


def test_text_lists_paths_and_unapproved_ports(flows: ZoneFlows) -> None:
    text = charts.zone_matrix_text(flows)
    assert text.startswith("Zone reachability")
    assert "out-of-scope -> cde [into CDE]: TCP 8080 (4 connections)" in text
    assert "    UNAPPROVED: TCP 8080 in 4 connections" in text
    assert "connected -> cde [into CDE]: TCP 8080,8443,9090,9187 (7 connections)" in text
    grid = text.splitlines()[3:3 + len(flows.zones)]
    assert grid[0].startswith("1 cde (CDE)")
    assert text == charts.zone_matrix_text(flows)


@pytest.mark.parametrize("ports, lines", [
    ("all", ["all ports"]),
    ("TCP 53; UDP 53", ["TCP 53", "UDP 53"]),
])
def test_port_lines(flows: ZoneFlows, ports: str, lines: list[str]) -> None:
    pair = next(p for p in flows.pairs if p.ports.describe() == ports or (ports == "all" and p.ports.is_all))
    assert charts.port_lines(pair.ports) == lines
