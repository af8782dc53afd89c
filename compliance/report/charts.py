"""The zone reachability matrix as a picture (SVG, PNG) and as text, for the report and `segproof zones`.

Rows are source zones and columns destination zones. A cell says whether any path exists and on which
ports; cells with ports no approved flow covers are hatched and marked, and the CDE's columns are framed,
so the picture reads the same in greyscale. Output is deterministic: fixed SVG hash salt, no dates, fixed
PNG resolution, no PNG metadata. matplotlib is imported only when a picture is drawn (Agg, no pyplot).
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Any

from compliance.analysis.system import AssessedSystem
from compliance.netpol.ports import PortSet
from compliance.report.formats import visible
from compliance.report.zone_flows import ZoneFlows, ZonePair, zone_flows
from compliance.wording import counted

if TYPE_CHECKING:  # matplotlib itself is imported only when a picture is drawn
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

PNG_DPI = 150
HATCH = "///"
FONT = "DejaVu Sans"
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#cbd2d9"
CDE_FRAME = "#102a43"
FILLS = {"none": "#ffffff", "same_zone": "#eef1f4", "approved": "#d9e8f5", "unapproved": "#f6d5cc"}
HATCH_COLOUR = "#b4412d"
CELL_WIDTH = 0.86
CELL_HEIGHT = 0.46
CHAR_WIDTH = 0.064
LINE_HEIGHT = 0.135
LEGEND_ROW = 0.26
LEGEND_CHAR = 0.056
RC: dict[RcKeyType, Any] = {"svg.hashsalt": "segproof-zone-matrix", "svg.fonttype": "none", "font.family": FONT,
                            "hatch.linewidth": 0.6, "hatch.color": HATCH_COLOUR, "path.simplify": False}
TEXT_LEGEND = {"none": ".", "same_zone": "~", "approved": "ok", "unapproved": "!!"}


def as_flows(source: ZoneFlows | AssessedSystem) -> ZoneFlows:
    """The zone flows of an analysis, or the flows already computed."""
    return source if isinstance(source, ZoneFlows) else zone_flows(source)


def port_lines(ports: PortSet, width: int = 13, lines: int = 3) -> list[str]:
    """A port set as at most `lines` short lines (`TCP 80,443`, `UDP 53`), ending in `…` when cut."""
    if ports.is_all:
        return ["all ports"]
    found: list[str] = []
    for part in ports.describe().split("; "):
        found += textwrap.wrap(part.replace(",", ", "), width, break_long_words=True) or [part]
    found = [line.replace(", ", ",") for line in found]
    if len(found) > lines:
        found = [*found[:lines - 1], found[lines - 1].rstrip(",") + " …"]
    return found


def cell_text(pair: ZonePair) -> str:
    """What a cell of the picture says."""
    if pair.state == "none":
        return "\u2013"
    text = "\n".join(port_lines(pair.ports, lines=2 if pair.state == "unapproved" else 3))
    if pair.state == "unapproved":
        text += f"\n{pair.unapproved_connections} unapproved"
    return text


def column_heading(label: str) -> list[str]:
    """A column heading wrapped to the cell width, at hyphens and spaces (at most three lines)."""
    lines = textwrap.wrap(label, max(4, int(CELL_WIDTH / CHAR_WIDTH) - 1), break_on_hyphens=True) or [label]
    return lines if len(lines) <= 3 else [*lines[:2], lines[2] + "…"]


def zone_label(flows: ZoneFlows, zone: str) -> str:
    """A zone's axis label, `visible`: CDE zones are marked (address zones are set in italics)."""
    return visible(f"{zone} (CDE)" if zone in flows.cde else zone)


def legend_layout(flows: ZoneFlows, left: float, right: float) -> list[tuple[tuple[float, float], tuple[str, str]]]:
    """Legend entries with their (x, y) offsets, wrapped onto more rows when they do not fit the width."""
    items = [("none", "no path"), ("same_zone", "within a zone"), ("approved", "only approved flows"),
             ("unapproved", "ports without an approved flow")]
    if flows.cde:
        items.append(("cde", "into the CDE"))
    if any(zone in flows.external for zone in flows.zones):
        items.append(("italic", "italic: address ranges"))
    placed = []
    x, y = left, 0.0
    for kind, label in items:
        size = (0.0 if kind == "italic" else 0.28) + LEGEND_CHAR * len(label)
        if x > left and x + size > right:
            x, y = left, y + LEGEND_ROW
        placed.append(((x, y), (kind, label)))
        x += size + 0.22
    return placed


def draw(flows: ZoneFlows) -> Figure:
    """The matrix as a matplotlib Figure."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    zones = flows.zones
    count = len(zones)
    longest = max(len(zone_label(flows, z)) for z in zones)
    label_width = max(0.9, longest * CHAR_WIDTH + 0.2)
    headings = {zone: column_heading(zone_label(flows, zone)) for zone in zones}
    header = 0.16 + max(len(lines) for lines in headings.values()) * LINE_HEIGHT
    width = label_width + count * CELL_WIDTH + 0.1
    legend = legend_layout(flows, label_width, width - 0.1)
    height = header + count * CELL_HEIGHT + 0.3 + max(y for (_, y), _ in legend) + LEGEND_ROW + 0.05
    figure = Figure(figsize=(width, height))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_axis_off()
    top = header
    axes.text(label_width - 0.08, top - 0.06, "from ↓   to →", ha="right", va="bottom", fontsize=7, color=MUTED)
    for column, zone in enumerate(zones):
        x = label_width + column * CELL_WIDTH + CELL_WIDTH / 2
        axes.text(x, top - 0.06, "\n".join(headings[zone]), ha="center", va="bottom", fontsize=7.8, color=INK,
                  linespacing=1.1, fontweight="bold" if zone in flows.cde else "normal",
                  fontstyle="italic" if zone in flows.external else "normal")
    for row, source in enumerate(zones):
        y = top + row * CELL_HEIGHT
        axes.text(label_width - 0.08, y + CELL_HEIGHT / 2, zone_label(flows, source), ha="right", va="center",
                  fontsize=7.8, color=INK, fontweight="bold" if source in flows.cde else "normal",
                  fontstyle="italic" if source in flows.external else "normal")
        for column, destination in enumerate(zones):
            pair = flows.pair(source, destination)
            x = label_width + column * CELL_WIDTH
            axes.add_patch(Rectangle((x, y), CELL_WIDTH, CELL_HEIGHT, facecolor=FILLS[pair.state], edgecolor=GRID,
                                     linewidth=0.5, hatch=HATCH if pair.state == "unapproved" else None))
            text = cell_text(pair)
            style: dict[str, Any] = {"fontsize": 6.2, "ha": "center", "va": "center", "linespacing": 1.1}
            if pair.state == "unapproved":
                axes.text(x + CELL_WIDTH / 2, y + CELL_HEIGHT / 2, text, color="#7a1f10", fontweight="bold",
                          bbox={"boxstyle": "square,pad=0.12", "facecolor": FILLS["unapproved"], "edgecolor": "none"},
                          **style)
            else:
                axes.text(x + CELL_WIDTH / 2, y + CELL_HEIGHT / 2, text,
                          color=MUTED if pair.state in ("none", "same_zone") else INK, **style)
    for column, zone in enumerate(zones):
        if zone in flows.cde:
            axes.add_patch(Rectangle((label_width + column * CELL_WIDTH, top), CELL_WIDTH, count * CELL_HEIGHT,
                                     facecolor="none", edgecolor=CDE_FRAME, linewidth=1.6))
    for (x, y), (kind, label) in legend:
        y += top + count * CELL_HEIGHT + 0.2
        if kind == "italic":
            axes.text(x, y + 0.08, label, fontsize=7, va="center", color=INK, fontstyle="italic")
            continue
        cde = kind == "cde"
        axes.add_patch(Rectangle((x, y), 0.22, 0.16, facecolor="none" if cde else FILLS[kind],
                                 edgecolor=CDE_FRAME if cde else GRID, linewidth=1.6 if cde else 0.5,
                                 hatch=HATCH if kind == "unapproved" else None))
        axes.text(x + 0.28, y + 0.08, label, fontsize=7, va="center", color=INK)
    return figure


def zone_matrix_svg(source: ZoneFlows | AssessedSystem) -> str:
    """The zone matrix as SVG text (deterministic: fixed hash salt, no date)."""
    import matplotlib

    flows = as_flows(source)
    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        figure = draw(flows)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def zone_matrix_png(source: ZoneFlows | AssessedSystem, dpi: int = PNG_DPI) -> bytes:
    """The zone matrix as PNG bytes (fixed resolution, no metadata)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    flows = as_flows(source)
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        figure = draw(flows)
        FigureCanvasAgg(figure)
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def zone_matrix_text(source: ZoneFlows | AssessedSystem) -> str:
    """The zone matrix for a terminal: a grid of symbols, a legend, then every cross-zone path with its ports."""
    flows = as_flows(source)
    zones = flows.zones
    numbers = {zone: str(index + 1) for index, zone in enumerate(zones)}
    label_width = max(len(f"{numbers[z]} {zone_label(flows, z)}") for z in zones)
    width = max(3, *(len(n) + 1 for n in numbers.values()))
    header = " " * (label_width + 2) + "".join(numbers[z].rjust(width) for z in zones)
    lines = ["Zone reachability (rows: from, columns: to)", "", header]
    for source_zone in zones:
        cells = "".join(TEXT_LEGEND[flows.pair(source_zone, d).state].rjust(width) for d in zones)
        lines.append(f"{numbers[source_zone]} {zone_label(flows, source_zone)}".ljust(label_width + 2) + cells)
    lines += ["", "  .  no path    ~  within a zone    ok  only approved flows    !!  ports without an approved flow",
              ""]
    paths = [p for p in flows.pairs if p.path and not p.same_zone]
    if not paths:
        lines.append("No path between different zones.")
    for pair in paths:
        marks = " [into CDE]" if pair.into_cde else ""
        lines.append(f"{pair.source} -> {pair.destination}{marks}: {pair.ports.describe()} "
                     f"({counted(pair.connections, 'connection')})")
        if pair.unapproved:
            lines.append(f"    UNAPPROVED: {pair.unapproved.describe()} in "
                         f"{counted(pair.unapproved_connections, 'connection')}")
    return visible("\n".join(lines) + "\n", lines=True)
