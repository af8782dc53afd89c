"""Document fingerprints: equal exactly when the documents are, none for what is not plain JSON; and contents that
compare by them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from compliance.model.history import ObjectContent, document_fingerprint

EQUAL = [
    ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}),  # keys in another order
    ({"a": 1}, {"a": True}),
    ({"a": 1}, {"a": 1.0}),
    ({"a": 0}, {"a": -0.0}),
    ({"a": [1.5, "x"]}, {"a": [1.5, "x"]}),
    ({"a": "true", "b": False}, {"b": 0, "a": "true"}),
    (True, 1),
    ({"cidr": "10.0.0.0/8", "port": 8.0}, {"port": 8, "cidr": "10.0.0.0/8"}),
]
DIFFERENT = [
    ({"a": 1}, {"a": "1"}),
    ({"a": [1]}, {"a": [1, 1]}),
    ({"a": "true"}, {"a": True}),
    ({"a": None}, {"a": 0}),
    ({"a": 1.5}, {"a": 1.25}),
    ({"a": {"b": 1}}, {"a": {"b": 1, "c": None}}),
    ({"a": 10**16}, {"a": 1e16 + 2}),
    ({"a": "x:1.0"}, {"a": "x:1"}),
    ({"a": "\ud800"}, {"a": "\ud801"}),  # lone surrogates, as PyYAML reads escapes of them
]


@pytest.mark.parametrize(("first", "second"), EQUAL + DIFFERENT)
def test_fingerprints_are_equal_exactly_when_documents_are(first: Any, second: Any) -> None:
    assert document_fingerprint(first) and document_fingerprint(second)
    assert (document_fingerprint(first) == document_fingerprint(second)) is (first == second)


@pytest.mark.parametrize("document", [{1: "a"}, {True: "a"}, {"a": (1, 2)}, {"a": {1, 2}},
                                      {"a": datetime.date(2026, 1, 5)}, {"a": b"bytes"}])
def test_what_is_not_plain_json_has_no_fingerprint(document: dict[Any, Any]) -> None:
    assert document_fingerprint(document) == b""


def test_contents_without_fingerprints_compare_their_documents() -> None:
    loads = []

    def load() -> tuple[Any, Any]:
        loads.append(1)
        return None, {"a": 1}

    fingerprinted = ObjectContent(load=load, fingerprint=document_fingerprint({"a": 1}))
    assert fingerprinted.same_document(ObjectContent(load=load, fingerprint=document_fingerprint({"a": True})))
    assert not loads  # the fingerprints decide
    assert fingerprinted.same_document(ObjectContent(None, {"a": 1.0}))
    assert loads == [1]
