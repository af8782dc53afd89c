"""The serialisations shared by every output: the one CSV writer and its formula neutralisation, text made visible."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.report import formats


@pytest.mark.parametrize("value, expected", [("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"),
                                             ("\tx", "'\tx"), ("\rx", "'\rx"), ("\0x", "'\0x"), ("'=x", "''=x"),
                                             ("'x", "'x"), ("a=b", "a=b"), (7, 7), (-1, -1), ("", "")])
def test_neutralised(value: object, expected: object) -> None:
    assert formats.neutralised(value) == expected


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r\0ab"), max_size=6))
def test_restored_gives_back_exactly_what_was_neutralised(text: str) -> None:
    assert formats.restored(formats.neutralised(text)) == text


def test_csv_text_neutralises_every_cell_and_quotes_per_rfc_4180() -> None:
    text = formats.csv_text(("who", "what", "port"), [('=HYPERLINK("http://evil","x")', "a,b", 443),
                                                      ("@SUM(1)", "line\nbreak", -1)])
    assert text == ('who,what,port\n"\'=HYPERLINK(""http://evil"",""x"")","a,b",443\n'
                    "'@SUM(1),\"line\nbreak\",-1\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [formats.restored(cell) for cell in rows[1]] == ['=HYPERLINK("http://evil","x")', "a,b", "443"]


@pytest.mark.parametrize("text, expected", [
    ("web\u202eexe.txt", "web\\u202eexe.txt"),
    ("\u2066system\u2069", "\\u2066system\\u2069"),
    ("a\u200eb\u200fc\u061cd", "a\\u200eb\\u200fc\\u061cd"),
    ("\x1b[31mred", "\\u001b[31mred"),
    ("one\ntwo\tthree\r", "one\\u000atwo\\u0009three\\u000d"),
    ("\x85\x7f\u2028", "\\u0085\\u007f\\u2028"),
    ("ns/web[Deployment] -> 10.0.0.0/8 ✓ ü", "ns/web[Deployment] -> 10.0.0.0/8 ✓ ü"),
])
def test_visible_escapes_controls_and_bidirectional_formatting(text: str, expected: str) -> None:
    assert formats.visible(text) == expected


def test_visible_keeps_the_lines_of_a_document() -> None:
    assert formats.visible("a\u202e\nb\r\n", lines=True) == "a\\u202e\nb\\u000d\n"


def test_text_table_aligns_the_visible_cells() -> None:
    table = formats.text_table(("POD", "ZONE"), [("web\u202eexe.txt", "cde"), ("api", "general")])
    assert table.splitlines() == ["POD               ZONE", "-" * 16 + "  -------", "web\\u202eexe.txt  cde",
                                  "api               general"]


def peak_allocated(make: Callable[[], bytes]) -> tuple[bytes, int]:
    """What `make` returns, and the most memory it held at once (tracemalloc)."""
    tracemalloc.start()
    try:
        produced = make()
        return produced, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_json_bytes_is_json_text_encoded_also_for_lazy_arrays() -> None:
    document = {"format": "x", "objects": {"pods": [{"name": "é", "labels": {"a": "b"}}, {"name": "p"}], "nodes": []},
                "warnings": []}
    expected = formats.json_text(document, flat_below=3).encode("utf-8")
    lazy = {**document, "objects": {"pods": iter(document["objects"]["pods"]), "nodes": iter([])}}
    assert formats.json_bytes(lazy, flat_below=3) == expected


def test_json_bytes_of_a_lazy_document_holds_little_more_than_its_bytes() -> None:
    # 200,000 objects built as they are written: the peak stays near the output's own size, not a multiple of it.
    document = {"objects": {"pods": ({"name": f"pod-{i}", "labels": {"app": "é" * 20}} for i in range(200_000))}}
    produced, peak = peak_allocated(lambda: formats.json_bytes(document, flat_below=3))
    assert produced.count(b"\n") == 200_006
    assert peak < 1.3 * len(produced)


def test_json_text_writes_long_arrays_of_flat_values_a_batch_at_a_time_unchanged() -> None:
    document = {"a": [f"é{i}" for i in range(3 * formats.BATCH + 1)], "b": []}
    expected = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert formats.json_text(document, flat_below=2) == expected
    assert formats.json_bytes({**document, "a": iter(document["a"])}, flat_below=2) == expected.encode("utf-8")
