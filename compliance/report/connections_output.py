"""Reachability results as JSON (the segproof.reachability/v1 contract), CSV and a terminal table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compliance.model.objects import PROTOCOLS
from compliance.model.unmodelled import describe_unmodelled
from compliance.netpol.connections import Connection
from compliance.report.formats import csv_text, json_text, text_table, visible
from compliance.wording import counted

REACHABILITY_FORMAT = "segproof.reachability/v1"
CSV_HEADER = ("src", "dst", "protocol", "port_from", "port_to", "ambiguous")


def connection_json(connection: Connection) -> dict[str, Any]:
    """A connection as in the reachability JSON contract; `ambiguous` are the ports of `ports` that equal
    priorities of cluster policies leave to the implementation."""
    return {"src": connection.source, "dst": connection.destination, "ports": connection.ports.to_json(),
            "ambiguous": connection.ambiguous.to_json()}


def port_rows(connection: Connection) -> list[tuple[str, int, int, str]]:
    """(protocol, from, to, ambiguous yes/no) of every range of a connection's ports, in port order."""
    rows = [(protocol, low, high, "no") for protocol, low, high in (connection.ports - connection.ambiguous).items()]
    rows += [(protocol, low, high, "yes") for protocol, low, high in connection.ambiguous.items()]
    return sorted(rows, key=lambda row: (PROTOCOLS.index(row[0]), row[1]))


def connections_list(found: Sequence[Connection] | None) -> list[dict[str, Any]] | None:
    """Connections as JSON, or None when they were not computed."""
    return None if found is None else [connection_json(c) for c in found]


def connections_json(level: str, assumptions: Mapping[str, object], found: Sequence[Connection]) -> str:
    """The JSON contract: format, level, assumptions, connections with their port ranges."""
    return json_text({
        "format": REACHABILITY_FORMAT,
        "level": level,
        "assumptions": dict(assumptions),
        "connections": connections_list(found),
    })


def connections_csv(found: Sequence[Connection]) -> str:
    """One row per connection and port range."""
    return csv_text(CSV_HEADER, ((c.source, c.destination, *row) for c in found for row in port_rows(c)))


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
    """An aligned table followed by the assumptions."""
    table = text_table(("SOURCE", "DESTINATION", "PORTS"),
                       [(c.source, c.destination, c.ports.describe()
                         + (f" (ambiguous: {c.ambiguous.describe()})" if c.ambiguous else "")) for c in found])
    footer = "\n".join(f"  {line}" for line in assumptions_lines(assumptions))
    return visible(f"{incomplete_banner(assumptions)}{table}\n{counted(len(found), 'connection')}. Assumptions:\n"
                   f"{footer}\n", lines=True)


def incomplete_banner(assumptions: Mapping[str, object]) -> str:
    """A first line saying the result is incomplete when unmodelled policy kinds exist, else nothing."""
    unmodelled = assumptions.get("unmodelled_policies")
    if not isinstance(unmodelled, Mapping) or not unmodelled:
        return ""
    return ("INCOMPLETE ANALYSIS: these policies also change reachability and are not modelled: "
            f"{describe_unmodelled(unmodelled)}\n\n")
