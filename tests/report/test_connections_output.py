"""Reachability as a terminal table, CSV and JSON: counted words agree, assumptions are words (never Python reprs), the
streamed outputs equal the former whole-text ones, and writing them takes memory independent of the row count."""

from __future__ import annotations

import io
import itertools
import json
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from compliance.model.objects import LEVELS
from compliance.netpol.connections import Connection, connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import NO_PORTS, parse_port_argument
from compliance.netpol.reachability import analyse_snapshot
from compliance.report.connections_output import (
    CSV_HEADER,
    REACHABILITY_FORMAT,
    assumptions_lines,
    connection_json,
    connections_csv,
    connections_json,
    connections_table,
    port_rows,
    ports_text,
    write_connections_csv,
    write_connections_json,
    write_connections_table,
)
from compliance.report.formats import csv_text, json_text, text_table
from tests.report.builders import guarded_snapshot

ONE = [Connection("shop/web[Pod]", "pay/api[Pod]", parse_port_argument("443/TCP"))]


def test_assumptions_are_words_not_reprs() -> None:
    lines = assumptions_lines({"complete": False, "unmodelled_policies": {"CiliumNetworkPolicy": 1, "Other": None},
                               "kinds": ["a", "b"]})
    assert lines == ["complete: no", "unmodelled_policies: CiliumNetworkPolicy (1), Other (count unknown)",
                     "kinds: a, b"]


def test_the_table_counts_in_agreement() -> None:
    assert "\n1 connection. Assumptions:" in connections_table(ONE, {})
    assert "\n0 connections. Assumptions:" in connections_table([], {})


def test_the_csv_neutralises_names() -> None:
    found = [Connection("=cmd|' /C calc'!A0", "pay/api[Pod]", parse_port_argument("443/TCP"), NO_PORTS)]
    assert connections_csv(found).splitlines()[1] == "'=cmd|' /C calc'!A0,pay/api[Pod],TCP,443,443,no"


def former_json(level: str, assumptions: dict, found: list[Connection]) -> str:
    """The former, indented rendering of the JSON contract."""
    return json_text({"format": REACHABILITY_FORMAT, "level": level, "assumptions": assumptions,
                      "connections": [connection_json(c) for c in found]})


def former_csv(found: list[Connection]) -> str:
    """The former CSV: every row through `csv_text`."""
    return csv_text(CSV_HEADER, ((c.source, c.destination, *row) for c in found
                                 for row in port_rows((c.ports, c.ambiguous))))


def former_table(found: list[Connection]) -> str:
    """The former table: whole, through `text_table`."""
    return text_table(("SOURCE", "DESTINATION", "PORTS"), [(c.source, c.destination, ports_text(c.ports, c.ambiguous))
                                                          for c in found])


@pytest.mark.parametrize("level", LEVELS)
def test_streamed_outputs_equal_the_former_ones(level: str) -> None:
    reach = analyse_snapshot(guarded_snapshot(), AnalysisOptions())
    found = connections(reach, level)
    assumptions = {"complete": True, "unmodelled_policies": {"Odd\u202ekind": 2}}
    text = connections_json(level, assumptions, iter(found))
    assert json.loads(text) == json.loads(former_json(level, assumptions, found))
    lines = text.splitlines()
    assert lines[1] == '"connections":[' and lines[-1] == "]}" and len(lines) == len(found) + 3
    assert [json.loads(line.rstrip(",")) for line in lines[2:-1]] == [connection_json(c) for c in found]
    assert connections_csv(iter(found)) == former_csv(found)
    table = connections_table(found, assumptions)
    assert former_table(found) in table and "Odd\\u202ekind" in table


def test_an_empty_result_is_still_the_contract() -> None:
    assert json.loads(connections_json("pod", {}, iter([]))) == json.loads(former_json("pod", {}, []))
    assert connections_csv([]) == former_csv([])


def test_odd_names_are_quoted_and_neutralised_as_the_csv_writer_does() -> None:
    found = [Connection(name, "+x,\"y\"", parse_port_argument("80-90/UDP"), parse_port_argument("85/UDP"))
             for name in ("", "a,b", "'@x", "-1", "q\"u\note")]
    assert connections_csv(iter(found)) == former_csv(found)


def synthetic(rows: int) -> Iterator[Connection]:
    """`rows` pod-level connections, as a dense namespace gives them: every source reaches every other pod."""
    everything = parse_port_argument("1-65535/TCP") | parse_port_argument("53/UDP")
    side = int(rows ** 0.5) + 1
    names = [f"flat/pod-{index:05d}" for index in range(side)]
    produced = (Connection(source, destination, everything) for source in names for destination in names
                if source != destination)
    return itertools.islice(produced, rows)


def peak_while_writing(write: Callable[[io.TextIOBase, Callable[[], Iterator[Connection]]], None], rows: int) -> int:
    """The peak of memory allocated while `write` renders `rows` connections (given by a function, as the table reads
    them twice) to a stream that keeps nothing."""
    class Sink(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    tracemalloc.start()
    try:
        write(Sink(), lambda: synthetic(rows))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("write", [lambda stream, found: write_connections_json(stream, "pod", {}, found()),
                                   lambda stream, found: write_connections_csv(stream, found()),
                                   lambda stream, found: write_connections_table(stream, found, {})],
                         ids=["json", "csv", "table"])
def test_the_writers_memory_does_not_grow_with_the_rows(write: Callable) -> None:
    small, large = peak_while_writing(write, 50_000), peak_while_writing(write, 200_000)
    # A batch of lines and the texts of the distinct names: a few MB whatever the row count (200k rows are ~20 MB).
    assert large < 8_000_000
    assert large - small < 1_000_000
