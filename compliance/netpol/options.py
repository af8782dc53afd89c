"""The assumptions CNIs differ on, as explicit options that every output lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisOptions:
    """How to read the parts of NetworkPolicy semantics that implementations disagree on.

    ipblock_selects_pods: whether an ipBlock peer also matches pods whose IPs lie in it. The upstream
    e2e tests expect it and it over-approximates reachability, so a "no path" verdict stays sound.
    host_network_isolated: whether policies isolate hostNetwork pods as they do other pods. Most CNIs
    leave host-networked pods outside policy control, so by default they are never isolated.
    """

    ipblock_selects_pods: bool = True
    host_network_isolated: bool = False

    def assumptions(self, unmodelled: Mapping[str, int | None] | None = None) -> dict[str, object]:
        """The assumptions behind a result, for every output to list."""
        result: dict[str, object] = {
            "ipblock_selects_pods": self.ipblock_selects_pods,
            "host_network_pods": ("isolated by NetworkPolicies like other pods" if self.host_network_isolated
                                  else "never isolated by NetworkPolicies (behaviour is implementation-defined)")
                                 + "; matched by selectors like other pods",
            "self_connections": "a pod always reaches itself; self pairs are omitted",
            "named_ports_to_addresses": "a named port never matches an address range",
            "external_ranges": "disjoint address ranges induced by the ipBlocks of each direction "
                               "(IPv4, plus IPv6 when an ipBlock uses it)",
            "complete": not unmodelled,
        }
        if unmodelled:
            result["unmodelled_policies"] = dict(sorted(unmodelled.items()))
        return result
