"""Flow records: one connection attempt as a CNI's flow or audit log reports it, in one shape for every format.

Readers (`compliance.sources.flows`) turn each log line into a FlowRecord; the corroboration analysis
(`compliance.analysis.flow_corroboration`) joins them to pods and compares them with the model. A record is a
NamedTuple rather than a frozen dataclass: ten million of them are made per run, and a tuple is built several
times faster while being just as immutable.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from compliance.model.values import TextEnum


class FlowVerdict(TextEnum):
    """What the dataplane did with a flow."""

    ALLOWED = "allowed"  # forwarded / accepted / allowed by policy
    DENIED = "denied"  # dropped or rejected by a network policy
    DROPPED = "dropped"  # dropped for a reason other than policy (no route, conntrack, ...): says nothing of policy
    OTHER = "other"  # audited, traced, translated, or a verdict the format does not explain


class FlowEndpoint(NamedTuple):
    """One side of a flow as the log names it; "" where the log does not say (address-only formats)."""

    ip: str
    namespace: str = ""
    pod: str = ""


class FlowRecord(NamedTuple):
    """One observed flow: who to whom, on which destination port, what the dataplane did, and which policies the
    log itself names as the cause (`policies`, as the log spells them, e.g. "ns/name" or a rule reference)."""

    time: datetime.datetime  # UTC
    src: FlowEndpoint
    dst: FlowEndpoint
    protocol: str  # TCP, UDP, SCTP; anything else (ICMP, ...) as the log names it, upper-case
    port: int  # destination port; 0 where the protocol has none
    verdict: FlowVerdict
    reply: bool = False  # a reply packet of a connection (not a connection attempt)
    policies: tuple[str, ...] = ()
    reason: str = ""  # the log's drop or verdict reason, as given
    node: str = ""  # the node that logged it
    origin: str = ""  # "<file>:<line>", for drill-down and errors
