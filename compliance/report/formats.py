"""Serialisations shared by every output: JSON and CSV text, deterministic byte for byte."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any


def json_text(document: Any, flat_below: int | None = None) -> str:
    """Indented JSON with a final newline; key order as built (callers build it sorted).

    With `flat_below`, containers nested that deep are written on one line each: large documents
    (a snapshot's objects) stay readable and diffable line by line, and are written by the fast C encoder.
    """
    if flat_below is None:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return render_json(document, 0, flat_below) + "\n"


def render_json(value: Any, level: int, flat_below: int) -> str:
    """One JSON value, indented down to `flat_below` levels and compact beneath."""
    if level >= flat_below or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(key, ensure_ascii=False)}: {render_json(item, level + 1, flat_below)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    items = [pad + render_json(item, level + 1, flat_below) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a header row and `\\n` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table for terminals."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
             for line in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines) + "\n"
