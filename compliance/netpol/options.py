"""The assumptions CNIs differ on, as explicit options that every output lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance.model.cluster_policy import ClusterPolicy, NodesPeer
from compliance.model.snapshot import Snapshot

NODES_PEERS = "nodes peers of cluster policies (no Node objects in the input)"


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

    def assumptions(self, unmodelled: Mapping[str, int | None] | None = None,
                    cluster_policies: Iterable[ClusterPolicy] = (), nodes_known: bool = False) -> dict[str, object]:
        """The assumptions behind a result, for every output to list; those of the tiers when cluster policies are
        present. Nodes peers without the Nodes (`nodes_known`) make the result incomplete like an unmodelled kind."""
        tiered = list(cluster_policies)
        peers = 0 if nodes_known else sum(1 for policy in tiered for rule in policy.egress for peer in rule.peers
                                          if isinstance(peer, NodesPeer))
        unmodelled = {**(unmodelled or {}), **({NODES_PEERS: peers} if peers else {})}
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
        if tiered:
            result |= TIER_ASSUMPTIONS
        return result

    def of(self, snapshot: Snapshot) -> dict[str, object]:
        """The assumptions behind a result on `snapshot`."""
        return self.assumptions(snapshot.unmodelled, snapshot.cluster_policies, bool(snapshot.nodes))


TIER_ASSUMPTIONS: dict[str, object] = {
    "tiers": "per direction: the Admin tier (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin) by priority then "
             "rule order, the first matching rule deciding each port (Pass hands it on); then the NetworkPolicies "
             "where they isolate the pod; else the Baseline tier; then allow. Host-network pods are neither subjects "
             "nor pod peers of cluster policies",
    "equal_priorities": "policies of one tier with one priority are ordered by the implementation: a port allowed "
                        "under some order is reported allowed, and listed as ambiguous where another order denies it",
    "networks_peers": "match their address ranges, and the pods inside them when ipblock_selects_pods",
    "domain_names": "cannot be resolved statically: a domainNames peer matches every address outside the cluster",
    "nodes_peers": "match the InternalIP and ExternalIP addresses of the Nodes they select, and the pods with those "
                   "IPs (host-network pods) when ipblock_selects_pods",
}
