"""Reachability as a terminal table and CSV: counted words agree, assumptions are words (never Python reprs)."""

from __future__ import annotations

from compliance.netpol.connections import Connection
from compliance.netpol.ports import NO_PORTS, parse_port_argument
from compliance.report.connections_output import assumptions_lines, connections_csv, connections_table

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
