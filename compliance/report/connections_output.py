"""Reachability results as JSON (the segproof.reachability/v1 contract), CSV and a terminal table.

Each is written to a stream as the connections come (`write_*`): a pod-level result has millions of rows, and its
text is never held whole. Texts of names and port sets are computed once per distinct value.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from compliance.model.objects import PROTOCOLS
from compliance.model.unmodelled import describe_unmodelled
from compliance.netpol.connections import Connection
from compliance.netpol.ports import PortSet
from compliance.report.formats import compact_json, csv_cells, visible, write_lines, write_text_table
from compliance.wording import counted

REACHABILITY_FORMAT = "segproof.reachability/v1"
CSV_HEADER = ("src", "dst", "protocol", "port_from", "port_to", "ambiguous")
L7_COLUMN = "l7_filtered"  # appended (JSON key, CSV column) only when some rule of the result has L7 rules


def connection_json(connection: Connection) -> dict[str, Any]:
    """A connection as in the reachability JSON contract; `ambiguous` are the ports of `ports` that equal
    priorities of cluster policies leave to the implementation; `l7_filtered` (only when some rule has L7 rules)
    those only rules with L7 rules allow."""
    found = {"src": connection.source, "dst": connection.destination, "ports": connection.ports.to_json(),
             "ambiguous": connection.ambiguous.to_json()}
    if connection.filtered is not None:
        found[L7_COLUMN] = connection.filtered.to_json()
    return found


def port_rows(ports: tuple[PortSet, PortSet], filtered: PortSet | None = None) -> list[tuple[str | int, ...]]:
    """(protocol, from, to, ambiguous yes/no) of every range of a connection's (ports, ambiguous ports), in port
    order; with the L7-filtered ports (`filtered`), each range also says whether they are."""
    allowed, ambiguous = ports
    rows: list[tuple[str | int, ...]] = []
    for part, flag in ((allowed - ambiguous, "no"), (ambiguous, "yes")):
        pieces = [(part, ())] if filtered is None else [(part - filtered, ("no",)), (part & filtered, ("yes",))]
        rows += [(protocol, low, high, flag, *l7) for piece, l7 in pieces for protocol, low, high in piece.items()]
    return sorted(rows, key=lambda row: (PROTOCOLS.index(str(row[0])), row[1]))


def connections_list(found: Sequence[Connection] | None) -> list[dict[str, Any]] | None:
    """Connections as JSON, or None when they were not computed."""
    return None if found is None else [connection_json(c) for c in found]


def connections_json(level: str, assumptions: Mapping[str, object], found: Iterable[Connection]) -> str:
    """The JSON contract as one text (see `write_connections_json`)."""
    buffer = io.StringIO()
    write_connections_json(buffer, level, assumptions, found)
    return buffer.getvalue()


def write_connections_json(stream: TextIO, level: str, assumptions: Mapping[str, object],
                           found: Iterable[Connection]) -> None:
    """The JSON contract (format, level, assumptions, connections with their port ranges), compact: the header on the
    first line, then one connection per line."""
    header = compact_json({"format": REACHABILITY_FORMAT, "level": level, "assumptions": dict(assumptions)})
    stream.write(f'{header[:-1]},\n"connections":[')
    lines = json_lines(found)
    first = next(lines, None)
    if first is not None:  # a comma ends every line but the last: it starts the next
        stream.write("\n" + first)
        write_lines(stream, lines, start=",\n", end="")
    stream.write("\n]}\n")


def json_lines(found: Iterable[Connection]) -> Iterator[str]:
    """Each connection as one line of compact JSON; the texts of names and port sets are computed once each."""
    names: dict[str, str] = {}
    port_texts: dict[PortSet, str] = {}
    for c in found:
        # `or` computes a text only when it is not known yet (no text is empty).
        source = names.get(c.source) or names.setdefault(c.source, compact_json(c.source))
        destination = names.get(c.destination) or names.setdefault(c.destination, compact_json(c.destination))
        ports = port_texts.get(c.ports) or port_texts.setdefault(c.ports, compact_json(c.ports.to_json()))
        unsure = port_texts.get(c.ambiguous) or port_texts.setdefault(c.ambiguous, compact_json(c.ambiguous.to_json()))
        if c.filtered is None:
            yield f'{{"src":{source},"dst":{destination},"ports":{ports},"ambiguous":{unsure}}}'
        else:
            l7 = port_texts.get(c.filtered) or port_texts.setdefault(c.filtered, compact_json(c.filtered.to_json()))
            yield f'{{"src":{source},"dst":{destination},"ports":{ports},"ambiguous":{unsure},"{L7_COLUMN}":{l7}}}'


def connections_csv(found: Iterable[Connection]) -> str:
    """One row per connection and port range."""
    buffer = io.StringIO()
    write_connections_csv(buffer, found)
    return buffer.getvalue()


def write_connections_csv(stream: TextIO, found: Iterable[Connection]) -> None:
    """The CSV of `connections_csv` written to `stream` as the connections come (with an `l7_filtered` column when
    some rule of the result has L7 rules)."""
    connections = iter(found)
    first = next(connections, None)
    filtering = first is not None and first.filtered is not None
    stream.write(csv_cells((*CSV_HEADER, *((L7_COLUMN,) if filtering else ()))) + "\n")
    write_lines(stream, csv_blocks(itertools.chain((first,) if first is not None else (), connections)), end="")


def csv_blocks(found: Iterable[Connection]) -> Iterator[str]:
    """The CSV rows of each connection; each name and each set of port rows is rendered once by the CSV writer, and
    the rows of a connection are joined from them."""
    names: dict[str, str] = {}
    port_lines: dict[tuple[PortSet, PortSet, PortSet | None], list[str]] = {}
    for c in found:
        start = ((names.get(c.source) or names.setdefault(c.source, csv_cells([c.source]) + ","))
                 + (names.get(c.destination) or names.setdefault(c.destination, csv_cells([c.destination]) + ",")))
        key = (c.ports, c.ambiguous, c.filtered)
        lines = port_lines.get(key) or port_lines.setdefault(
            key, [csv_cells(row) + "\n" for row in port_rows((c.ports, c.ambiguous), c.filtered)])
        yield "".join(start + line for line in lines)


def assumption_text(value: object) -> str:
    """An assumption's value in words: yes or no, `Kind (3), Kind (count unknown)` for counts by kind, a list
    joined by commas, else the text itself."""
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return describe_unmodelled(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def assumptions_lines(assumptions: Mapping[str, object]) -> list[str]:
    """The assumptions as `name: value` lines."""
    return [f"{key}: {assumption_text(value)}" for key, value in assumptions.items()]


def connections_table(found: Sequence[Connection], assumptions: Mapping[str, object]) -> str:
    """The table of `write_connections_table` as one text."""
    buffer = io.StringIO()
    write_connections_table(buffer, lambda: iter(found), assumptions)
    return buffer.getvalue()


def write_connections_table(stream: TextIO, found: Callable[[], Iterator[Connection]],
                            assumptions: Mapping[str, object]) -> None:
    """An aligned table followed by the assumptions; `found()` gives the connections, and is called twice (the
    widths of the columns, then the rows)."""
    count = 0
    port_texts: dict[tuple[PortSet, PortSet, PortSet | None], str] = {}

    def rows() -> Iterator[tuple[str, str, str]]:
        nonlocal count
        count = 0
        for c in found():
            count += 1
            key = (c.ports, c.ambiguous, c.filtered)
            yield c.source, c.destination, port_texts.get(key) or port_texts.setdefault(key, ports_text(*key))

    stream.write(visible(incomplete_banner(assumptions), lines=True))
    write_text_table(stream, ("SOURCE", "DESTINATION", "PORTS"), rows)
    footer = "\n".join(f"  {line}" for line in assumptions_lines(assumptions))
    stream.write(visible(f"\n{counted(count, 'connection')}. Assumptions:\n{footer}\n", lines=True))


def ports_text(ports: PortSet, ambiguous: PortSet, filtered: PortSet | None = None) -> str:
    """A connection's ports in words, with the ambiguous and the L7-filtered ones named."""
    return (ports.describe() + (f" (ambiguous: {ambiguous.describe()})" if ambiguous else "")
            + (f" (L7-filtered: {filtered.describe()})" if filtered else ""))


def incomplete_banner(assumptions: Mapping[str, object]) -> str:
    """A first line saying the result is incomplete when unmodelled policy kinds exist, else nothing."""
    unmodelled = assumptions.get("unmodelled_policies")
    if not isinstance(unmodelled, Mapping) or not unmodelled:
        return ""
    return ("INCOMPLETE ANALYSIS: these policies also change reachability and are not modelled: "
            f"{describe_unmodelled(unmodelled)}\n\n")
