"""The assumptions CNIs differ on, as explicit options that every output lists."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from compliance.model.calico_policy import CalicoPolicy
from compliance.model.cilium_policy import CiliumPolicy, CiliumRule
from compliance.model.cluster_policy import ClusterPolicy, NodesPeer
from compliance.model.snapshot import Snapshot
from compliance.netpol.calico import unmodelled_fields

ENFORCEMENT_MODES = ("default", "always", "never")  # Cilium's policyEnforcementMode
NODES_PEERS = "nodes peers of cluster policies (no Node objects in the input)"


@dataclass(frozen=True)
class AnalysisOptions:
    """How to read the parts of NetworkPolicy semantics that implementations disagree on.

    ipblock_selects_pods: whether an ipBlock peer also matches pods whose IPs lie in it. The upstream
    e2e tests expect it and it over-approximates reachability, so a "no path" verdict stays sound; None (the
    default) follows the detected CNI: yes, except under Cilium, whose CIDR rules and ipBlocks never match pods.
    host_network_isolated: whether policies isolate hostNetwork pods as they do other pods. Most CNIs
    leave host-networked pods outside policy control, so by default they are never isolated.
    policy_enforcement: Cilium's `policyEnforcementMode`: `default` (pods are isolated by the policies selecting
    them), `always` (every pod is denied by default both ways) or `never` (no policy is enforced).
    cluster_name: the cluster's name as Cilium's `io.cilium.k8s.policy.cluster` label gives it.
    """

    ipblock_selects_pods: bool | None = None
    host_network_isolated: bool = False
    policy_enforcement: str = "default"
    cluster_name: str = "default"

    def selects_pods(self, cilium: bool) -> bool:
        """Whether ipBlocks (and CIDR rules, networks, nets) match pods' IPs on a cluster whose CNI is Cilium or not."""
        return not cilium if self.ipblock_selects_pods is None else self.ipblock_selects_pods

    def assumptions(self, unmodelled: Mapping[str, int | None] | None = None,
                    cluster_policies: Iterable[ClusterPolicy] = (), nodes_known: bool = False,
                    calico_policies: Iterable[CalicoPolicy] = (), cni: str = "",
                    cilium_policies: Iterable[CiliumPolicy] = ()) -> dict[str, object]:
        """The assumptions behind a result, for every output to list; those of the tiers when cluster policies or
        Calico policies are present, and the Calico fields read as ambiguous; Cilium's when `cni` (detected_cni) names
        it, or its options are set. Nodes peers without the Nodes (`nodes_known`) make the result incomplete like an
        unmodelled kind."""
        cilium = cni.startswith(CILIUM)
        tiered = list(cluster_policies)
        peers = 0 if nodes_known else sum(1 for policy in tiered for rule in policy.egress for peer in rule.peers
                                          if isinstance(peer, NodesPeer))
        unmodelled = {**(unmodelled or {}), **({NODES_PEERS: peers} if peers else {})}
        result: dict[str, object] = {
            "ipblock_selects_pods": self.selects_pods(cilium),
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
        calico = list(calico_policies)
        if cilium:
            result["cni"] = cni
            result["ipblock_selects_pods_basis"] = (
                "set explicitly" if self.ipblock_selects_pods is not None
                else "Cilium's default: CIDR rules and ipBlocks never match pods (policy-cidr-match-mode unset)")
        cilium_set = cilium or (self.policy_enforcement, self.cluster_name) != ("default", "default")
        if tiered or calico:
            result |= TIER_ASSUMPTIONS
        if calico:
            result |= CALICO_ASSUMPTIONS
            fields = Counter(name for policy in calico for direction in ("ingress", "egress")
                             for rule in policy.rules(direction) for name in unmodelled_fields(policy, rule))
            if fields:
                result["calico_unmodelled_fields"] = dict(sorted(fields.items()))
        if cilium_set:
            result |= {"policy_enforcement": self.policy_enforcement, "cluster_name": self.cluster_name,
                       **CILIUM_ASSUMPTIONS}
            fields = Counter(name for policy in cilium_policies for rule_set in policy.rule_sets
                             for direction in ("ingress", "egress") for deny in (False, True)
                             for rule in rule_set.rules(direction, deny) for name in cilium_unsure(rule))
            if fields:
                result["cilium_uncertain_fields"] = dict(sorted(fields.items()))
        return result

    def recorded(self, snapshot: Snapshot) -> dict[str, object]:
        """The options as a pack records them for re-performance on `snapshot`: the ipBlock reading resolved for its
        CNI, and Cilium's options where Cilium is detected or they are set."""
        found: dict[str, object] = {"ipblock_selects_pods": self.selects_pods(bool(detected_cni(snapshot))),
                                    "host_network_isolated": self.host_network_isolated}
        if detected_cni(snapshot) or (self.policy_enforcement, self.cluster_name) != ("default", "default"):
            found |= {"policy_enforcement": self.policy_enforcement, "cluster_name": self.cluster_name}
        return found

    def of(self, snapshot: Snapshot) -> dict[str, object]:
        """The assumptions behind a result on `snapshot`."""
        return self.assumptions(snapshot.unmodelled, snapshot.cluster_policies, bool(snapshot.nodes),
                                snapshot.calico_policies, detected_cni(snapshot), snapshot.cilium_policies)


CILIUM = "Cilium"
CILIUM_AGENT = ("k8s-app", "cilium")


def detected_cni(snapshot: Snapshot) -> str:
    """The CNI the snapshot shows, with the evidence (`Cilium (CiliumNetworkPolicies present)`, `Cilium (agent pods
    k8s-app=cilium run)`), or "" when none is recognised (the defaults for every CNI then apply)."""
    if snapshot.cilium_policies:
        return f"{CILIUM} (Cilium policies present)"
    if any(CILIUM_AGENT in pod.labels for pod in snapshot.pods):
        return f"{CILIUM} (agent pods k8s-app=cilium run)"
    return ""


NODE_ENTITY = "host/remote-node"  # one of the two entities alone: which node a host-network pod runs on is not modelled


def one_node_entity(rule: CiliumRule) -> bool:
    """Whether the rule names `host` or `remote-node` without the other (nor `cluster` or `all`, which hold both):
    whether it matches a host-network pod depends on the node the pod runs on, which the model does not decide."""
    entities = set(rule.entities)
    return len(entities & {"host", "remote-node"}) == 1 and not entities & {"cluster", "all"}


def cilium_unsure(rule: CiliumRule) -> tuple[str, ...]:
    """The fields of a Cilium rule that make its match uncertain (not modelled, or not resolvable statically)."""
    return (*rule.unmodelled, *(("toFQDNs",) if rule.fqdns else ()), *(("toServices",) if rule.services else ()),
            *((NODE_ENTITY,) if one_node_entity(rule) else ()))


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
CALICO_ASSUMPTIONS: dict[str, object] = {
    "calico_tiers": "Calico's tiers by order (unset last, then name): kube-admin at 1,000 (the Admin tier above), the "
                    "default tier at 1,000,000 (Calico policies without a tier, and the NetworkPolicies as allow rules "
                    "of order 1000 that end the tier in Deny where they isolate the pod), kube-baseline at 10,000,000; "
                    "in a tier, policies by order (unset last), then name, rules in order; Pass goes to the next "
                    "tier, Log decides nothing; a tier selecting the pod ends in its defaultAction, one selecting none "
                    "is skipped; after the last tier the profile allows",
    "calico_selectors": "pods carry projectcalico.org/namespace, /orchestrator and /serviceaccount; namespaces and "
                        "service accounts projectcalico.org/name; selectors match pods (never host-network pods) and "
                        "the addresses of the network sets they select",
    "calico_nets": "nets, notNets and network sets match their address ranges, and the pods inside them when "
                   "ipblock_selects_pods",
    "calico_protocols": "TCP, UDP and SCTP are modelled; a rule for ICMP or another protocol matches no modelled "
                        "connection",
    "calico_fields_not_modelled": "a rule setting fields not modelled (icmp, http, source ports, services...), or an "
                                  "ipVersion between pods, or a policy with doNotTrack, preDNAT or applyOnForward, "
                                  "may or may not match: its ports are reported allowed where it may allow, and "
                                  "ambiguous",
}
CILIUM_ASSUMPTIONS: dict[str, object] = {
    "cilium_tiers": "Cilium's policies per direction: every deny rule first (ingressDeny, egressDeny: a deny wins over "
                    "every allow, NetworkPolicies' too), then the allows of rule sets without default deny, then the "
                    "NetworkPolicies and the other allows as one union, denying the rest where a NetworkPolicy or a "
                    "rule set with rules of that direction (and enableDefaultDeny not false, as the agent's default "
                    "enable-non-default-deny-policies honours it) selects the pod; the "
                    "Admin tier before them and the Baseline tier after them as for other CNIs",
    "cilium_selectors": "k8s: and any: label sources match pod labels, other sources (reserved:...) none; "
                        "io.kubernetes.pod.namespace, io.cilium.k8s.namespace.labels.*, "
                        "io.cilium.k8s.policy.serviceaccount and io.cilium.k8s.policy.cluster (cluster_name) read the "
                        "pod's namespace, its namespace's labels, its service account and the cluster; a "
                        "CiliumNetworkPolicy's endpointSelector, and its peer selectors not naming the namespace or a "
                        "namespace label, apply in its namespace",
    "cilium_entities": "all: everything; world, world-ipv4, world-ipv6: addresses outside the cluster, no pod; "
                       "cluster: every pod; host and remote-node: the host-network pods (which carry those identities, "
                       "and are in cluster too; no endpoint selector or CIDR matches them; nodes are not modelled, so "
                       "host or remote-node alone matches them uncertainly: ambiguous); "
                       "kube-apiserver, health, init, ingress, unmanaged and none match no modelled endpoint",
    "cilium_cidrs": "CIDR and CIDRSet entries match their ranges less their excepts, and pods inside them only when "
                    "ipblock_selects_pods",
    "cilium_names": "toFQDNs (DNS answers) and toServices (the endpoints of Services without a selector, which the "
                    "snapshot does not hold) cannot be resolved statically: they may match any address, reported "
                    "allowed and ambiguous; toServices naming a Service with a selector matches nothing",
    "cilium_ports": "toPorts: ANY or no protocol is TCP, UDP and SCTP; port 0 or none every port; names resolve on the "
                    "destination; a rule without peers matches every peer on its toPorts (none without them)",
    "cilium_l7": "L7 rules (http, kafka, dns...) filter requests on an allowed connection: the connection is reachable "
                 "and reported L7-filtered, never denied",
    "cilium_not_modelled": "host policies (nodeSelector) and fromRequires/toRequires are ignored (requires only narrow "
                           "other rules, so reachability is over-approximated); icmps, toNodes, fromNodes, "
                           "cidrGroupRef, toGroups and authentication make a rule's match uncertain",
}
