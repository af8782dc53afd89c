"""Serialisations shared by every output: JSON and CSV text, deterministic byte for byte, and text made safe to show.

Every CSV segproof writes (the pack's `data/*.csv` and every `-o csv`) goes through `write_csv` (`csv_text` when the
whole text is wanted): RFC 4180 quoting,
`\\n` line ends, and text cells a spreadsheet would run as a formula prefixed with `'` (`neutralised`).
Every string a person reads (terminal tables and text, Markdown, the PDF) goes through `visible`: control and
bidirectional-formatting characters become `\\u202e`-style escapes, so a name cannot reorder or hide what is shown.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

# Rows per write of the streaming writers: few calls into the stream, little held in memory.
BATCH = 4096
# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets (OWASP, ASVS 5.0 1.2.10).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
CELL_GUARDS = frozenset((*FORMULA_STARTS, "'"))
# C0 and C1 controls and DEL, the line and paragraph separators, and the bidirectional marks, embeddings, overrides
# and isolates (ALM, LRM, RLM, LRE..RLO, LRI..PDI); the second form keeps newlines.
INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
INVISIBLE_IN_LINES = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
# One encoder for every compact value: `json.dumps` with options builds a new encoder per call, which costs more
# than encoding a small object (a snapshot has one per pod).
COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def escaped(match: re.Match[str]) -> str:
    """`\\u202e` for one character."""
    return f"\\u{ord(match.group()):04x}"


def visible(text: str, lines: bool = False) -> str:
    """The text with every control or bidirectional-formatting character written as a `\\u202e`-style escape;
    with `lines`, newlines stay (a multi-line document)."""
    return (INVISIBLE_IN_LINES if lines else INVISIBLE).sub(escaped, text)


def neutralised(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with `'`; other values unchanged.

    Quotes already in front of a formula character count as part of it (`'=x` becomes `''=x`), so `restored`
    gives back exactly the original text.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restored(text: str) -> str:
    """A cell as it was before `neutralised`."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text


def json_text(document: Any, flat_below: int | None = None) -> str:
    """Indented JSON with a final newline; key order as built (callers build it sorted).

    With `flat_below`, containers nested that deep are written on one line each: large documents
    (a snapshot's objects) stay readable and diffable line by line, and are written by the fast C encoder.
    """
    if flat_below is None:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return "".join(json_chunks(document, 0, flat_below)) + "\n"


def compact_json(value: Any) -> str:
    """One JSON value on one line, without spaces, by the C encoder."""
    return COMPACT.encode(value)


def json_bytes(document: Any, flat_below: int) -> bytes:
    """`json_text(document, flat_below)` as UTF-8, encoded piece by piece (the text is never held whole)."""
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8", newline="") as stream:
        stream.writelines(json_chunks(document, 0, flat_below))
        stream.write("\n")
        stream.flush()
        return buffer.getvalue()


def json_chunks(value: Any, level: int, flat_below: int) -> Iterator[str]:
    """The text of `json_text(value, flat_below)` at nesting `level`, without the final newline, piece by piece.

    Above `flat_below`, an array may be any iterator (e.g. a `map` building each element as it is read), so a
    large document is written without ever being held whole.
    """
    if level >= flat_below or not isinstance(value, (dict, list, Iterator)):
        yield compact_json(value)
        return
    pad = "  " * (level + 1)
    close = "\n" + "  " * level
    if isinstance(value, dict):
        items: Iterator[tuple[str, Any]] = ((f"{pad}{json.dumps(key, ensure_ascii=False)}: ", item)
                                            for key, item in value.items())
        opening, closing, empty = "{", close + "}", "{}"
    elif level + 1 >= flat_below:  # an array of one-line elements (the pods): a batch of lines per piece
        elements = iter(value)
        between = ",\n" + pad
        separator = "[\n" + pad
        while batch := list(itertools.islice(elements, BATCH)):
            yield separator + between.join(map(compact_json, batch))
            separator = between
        yield "[]" if separator == "[\n" + pad else close + "]"
        return
    else:
        items = ((pad, item) for item in value)
        opening, closing, empty = "[", close + "]", "[]"
    separator = opening + "\n"
    for prefix, item in items:
        yield separator + prefix
        yield from json_chunks(item, level + 1, flat_below)
        separator = ",\n"
    yield empty if separator == opening + "\n" else closing


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a header row, neutralised cells and `\\n` line ends."""
    buffer = io.StringIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue()


def write_csv(stream: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """The CSV of `csv_text` written to `stream` as `rows` come, a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    # The first-character test spares a call per cell: reachability CSVs of large clusters have millions.
    cells = ([neutralised(cell) if isinstance(cell, str) and cell[:1] in CELL_GUARDS else cell for cell in row]
             for row in rows)
    while True:
        writer.writerows(itertools.islice(cells, BATCH))
        if not buffer.tell():
            return
        stream.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()


def csv_cells(cells: Sequence[Any]) -> str:
    """Cells as `write_csv` writes them in a row (neutralised, quoted where needed, comma-separated), without the
    line end: the repeated parts of many rows (a name, a port range) are rendered once and joined."""
    buffer = io.StringIO()
    # A last empty cell: alone in its row, an empty cell would be written as `""`; it adds one comma to take off.
    csv.writer(buffer, lineterminator="\n").writerow([*map(neutralised, cells), ""])
    return buffer.getvalue()[:-2]


def write_lines(stream: IO[str], lines: Iterable[str], start: str = "", end: str = "\n") -> None:
    """Each line between `start` and `end`, written a batch at a time."""
    lines = iter(lines)
    between = end + start
    while batch := list(itertools.islice(lines, BATCH)):
        stream.write(start + between.join(batch) + end)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table for terminals, every cell `visible`."""
    buffer = io.StringIO()
    write_text_table(buffer, header, lambda: rows)
    return buffer.getvalue()


def write_text_table(stream: IO[str], header: Sequence[str], rows: Callable[[], Iterable[Sequence[str]]]) -> None:
    """The table of `text_table` written to `stream`; `rows()` is read twice (the widths, then the lines), so a table
    of millions of rows is never held whole."""
    widths = [len(name) for name in header]
    for row in rows():
        widths = [max(width, len(visible(cell))) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Iterable[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    write_lines(stream, itertools.chain((line(header), line("-" * width for width in widths)),
                                        (line(visible(cell) for cell in row) for row in rows())))
