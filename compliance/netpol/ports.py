"""Port sets per protocol, and rule ports resolved against a destination pod's named ports."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

from compliance.model.objects import PROTOCOLS
from compliance.model.policy import PortSpec
from compliance.netpol import intervals
from compliance.netpol.intervals import Spans

ALL_PORTS_SPAN: Spans = ((1, 65535),)
NamedPorts = tuple[tuple[str, str, int], ...]


@dataclass(frozen=True)
class PortSet:
    """Ports of TCP, UDP and SCTP, each a set of inclusive ranges."""

    tcp: Spans = ()
    udp: Spans = ()
    sctp: Spans = ()

    def __hash__(self) -> int:
        return self.hashed

    @cached_property
    def hashed(self) -> int:
        """The hash, computed once: port sets key the engine's caches and the outputs' texts, millions of times."""
        return hash((self.tcp, self.udp, self.sctp))

    def spans(self, protocol: str) -> Spans:
        """The ranges of one protocol."""
        return getattr(self, protocol.lower())

    def __bool__(self) -> bool:
        return bool(self.tcp or self.udp or self.sctp)

    def __or__(self, other: PortSet) -> PortSet:
        return port_union(self, other)

    def __and__(self, other: PortSet) -> PortSet:
        return port_intersection(self, other)

    def __sub__(self, other: PortSet) -> PortSet:
        return port_difference(self, other)

    def issuperset(self, other: PortSet) -> bool:
        """Whether every port of `other` is in this set."""
        return not (other - self)

    @property
    def is_all(self) -> bool:
        """True for every port of every protocol."""
        return self == ALL_PORTS

    def items(self) -> list[tuple[str, int, int]]:
        """(protocol, from, to) of every range, in protocol order TCP, UDP, SCTP."""
        return [(protocol, low, high) for protocol in PROTOCOLS for low, high in self.spans(protocol)]

    def to_json(self) -> list[dict[str, object]]:
        """The set in the reachability JSON contract: [{"protocol", "from", "to"}, ...]."""
        return [{"protocol": protocol, "from": low, "to": high} for protocol, low, high in self.items()]

    def describe(self) -> str:
        """`all ports`, or e.g. `TCP 80,8000-8100; UDP 53`."""
        if self.is_all:
            return "all ports"
        if not self:
            return "no ports"
        parts = []
        for protocol in PROTOCOLS:
            spans = self.spans(protocol)
            if spans == ALL_PORTS_SPAN:
                parts.append(f"{protocol} all")
            elif spans:
                parts.append(f"{protocol} " + ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in spans))
        return "; ".join(parts)


NO_PORTS = PortSet()
ALL_PORTS = PortSet(ALL_PORTS_SPAN, ALL_PORTS_SPAN, ALL_PORTS_SPAN)


@lru_cache(maxsize=65536)
def port_union(a: PortSet, b: PortSet) -> PortSet:
    """The union of a and b."""
    if not a:
        return b
    if not b:
        return a
    return PortSet(intervals.union(a.tcp, b.tcp), intervals.union(a.udp, b.udp), intervals.union(a.sctp, b.sctp))


@lru_cache(maxsize=65536)
def port_intersection(a: PortSet, b: PortSet) -> PortSet:
    """The intersection of a and b."""
    if a is ALL_PORTS or not b:
        return b
    if b is ALL_PORTS or not a:
        return a
    return PortSet(intervals.intersection(a.tcp, b.tcp), intervals.intersection(a.udp, b.udp),
                   intervals.intersection(a.sctp, b.sctp))


@lru_cache(maxsize=65536)
def port_difference(a: PortSet, b: PortSet) -> PortSet:
    """The ports of a that are not in b."""
    if not a or not b:
        return a
    return PortSet(intervals.difference(a.tcp, b.tcp), intervals.difference(a.udp, b.udp),
                   intervals.difference(a.sctp, b.sctp))


def single_protocol(protocol: str, spans: list[tuple[int, int]] | Spans) -> PortSet:
    """A port set holding `spans` of one protocol."""
    return PortSet(**{protocol.lower(): intervals.normalise(spans)})


def resolve_port(spec: PortSpec, named_ports: NamedPorts | None) -> PortSet:
    """The ports one rule entry admits towards a destination with `named_ports`.

    A named port matches the destination's container ports of that name and protocol; towards an
    address range (named_ports None) it matches nothing, since no container declares it.
    """
    if spec.port is None:
        return single_protocol(spec.protocol, ALL_PORTS_SPAN)
    if isinstance(spec.port, int):
        return single_protocol(spec.protocol, ((spec.port, spec.end_port or spec.port),))
    if not spec.protocol:  # a cluster policy's named port: the container port of that name, whatever its protocol
        return PortSet(**{protocol.lower(): intervals.normalise([(port, port) for name, kind, port in named_ports or ()
                                                                if name == spec.port and kind == protocol])
                          for protocol in PROTOCOLS})
    numbers = [(port, port) for name, protocol, port in named_ports or ()
               if name == spec.port and protocol == spec.protocol]
    return single_protocol(spec.protocol, numbers)


@lru_cache(maxsize=65536)
def resolve_ports(specs: tuple[PortSpec, ...] | None, named_ports: NamedPorts | None) -> PortSet:
    """The ports a rule's `ports` list admits towards a destination; None (absent) admits every port."""
    if specs is None:
        return ALL_PORTS
    result = NO_PORTS
    for spec in specs:
        result = result | resolve_port(spec, named_ports)
    return result


def has_named_port(specs: tuple[PortSpec, ...] | None) -> bool:
    """Whether a rule's ports depend on the destination's named ports."""
    return specs is not None and any(spec.is_named for spec in specs)


def parse_port_argument(text: str) -> PortSet:
    """A port given on the command line: `443`, `443/TCP`, `8000-8100/UDP`."""
    number, _, protocol = text.partition("/")
    protocol = (protocol or "TCP").upper()
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r} in {text!r} (expected TCP, UDP or SCTP)")
    low_text, _, high_text = number.partition("-")
    try:
        low = int(low_text)
        high = int(high_text) if high_text else low
    except ValueError:
        raise ValueError(f"invalid port {text!r} (expected e.g. 443/TCP or 8000-8100/TCP)") from None
    if not 1 <= low <= high <= 65535:
        raise ValueError(f"invalid port range {text!r} (ports are 1-65535)")
    return single_protocol(protocol, ((low, high),))
