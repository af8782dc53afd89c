"""Table of semantic rules of NetworkPolicy and of the cluster policies' tiers: each case a small cluster and the
verdicts it must produce.

Both evaluators (the per-pod reference in verdict.py and the class-based engine in reachability.py)
are held to this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compliance.netpol.options import AnalysisOptions
from tests.netpol.builders import admin, baseline, cluster_policy, namespace, node, pod, policy

DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


@dataclass(frozen=True)
class Case:
    """A cluster and expected (source, destination, ports) verdicts, and the ports of some pairs that equal
    priorities leave ambiguous (every other pair has none)."""

    name: str
    objects: tuple
    expect: tuple[tuple[str, str, str], ...]
    options: AnalysisOptions = field(default_factory=AnalysisOptions)
    ambiguous: tuple[tuple[str, str, str], ...] = ()


BASE = (
    namespace("a", team="red"),
    namespace("b", team="blue"),
    pod("a/web", {"app": "web", "tier": "front"}, ports=(("http", 8080),), ip="10.1.0.1"),
    pod("a/db", {"app": "db"}, ports=(("pg", 5432),), ip="10.1.0.2"),
    pod("b/client", {"app": "client"}, ip="10.2.0.1"),
    pod("b/batch", {"app": "batch", "tier": "back"}, ip="10.2.0.2"),
)


def case(name: str, *objects: dict, expect: list[tuple[str, str, str]], base: tuple = BASE,
         options: AnalysisOptions | None = None, ambiguous: tuple[tuple[str, str, str], ...] = ()) -> Case:
    """A case on the base cluster plus `objects`."""
    return Case(name, (*base, *objects), tuple(expect), options or AnalysisOptions(), ambiguous)


CASES = [
    case("no policy: everything is allowed",
         expect=[("b/client", "a/db", "all"), ("a/db", "b/client", "all"), ("a/web", "8.8.8.8", "all"),
                 ("8.8.8.8", "a/web", "all")]),
    case("ingress isolation denies every peer but leaves egress open",
         policy("a/deny-db", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"]}),
         expect=[("b/client", "a/db", "none"), ("a/web", "a/db", "none"), ("8.8.8.8", "a/db", "none"),
                 ("a/db", "b/client", "all"), ("b/client", "a/web", "all")]),
    case("egress isolation denies every destination but leaves ingress open",
         policy("a/deny-out", {"policyTypes": ["Egress"]}),
         expect=[("a/web", "b/client", "none"), ("a/web", "a/db", "none"), ("a/web", "8.8.8.8", "none"),
                 ("b/client", "a/web", "all")]),
    case("absent policyTypes with ingress rules only isolates ingress",
         policy("a/p", {"ingress": [{"from": [{"podSelector": {}}]}]}),
         expect=[("a/web", "a/db", "all"), ("b/client", "a/db", "none"), ("a/db", "b/client", "all")]),
    case("absent policyTypes with egress rules isolates both directions",
         policy("a/p", {"egress": [{"ports": DNS_PORTS}]}),
         expect=[("a/web", "b/client", "TCP 53; UDP 53"), ("b/client", "a/web", "none"),
                 ("a/web", "8.8.8.8", "TCP 53; UDP 53")]),
    case("absent policyTypes with an empty egress list isolates ingress only",
         policy("a/p", {"egress": []}),
         expect=[("a/web", "b/client", "all"), ("b/client", "a/web", "none")]),
    case("empty policyTypes list is read as absent",
         policy("a/p", {"policyTypes": [], "ingress": [{"from": [{"podSelector": {}}]}]}),
         expect=[("b/client", "a/web", "none"), ("a/db", "a/web", "all"), ("a/web", "b/client", "all")]),
    case("policyTypes Egress alone ignores ingress rules",
         policy("a/p", {"policyTypes": ["Egress"], "ingress": [{"from": [{"podSelector": {}}]}]}),
         expect=[("b/client", "a/web", "all"), ("a/web", "b/client", "none")]),
    case("policyTypes Ingress with no ingress rules denies all ingress",
         policy("a/p", {"policyTypes": ["Ingress"]}),
         expect=[("a/db", "a/web", "none"), ("b/client", "a/web", "none")]),
    case("an empty rule admits everything",
         policy("a/p", {"policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]}),
         expect=[("b/client", "a/web", "all"), ("a/web", "8.8.8.8", "all"), ("8.8.8.8", "a/db", "all")]),
    case("absent from admits every peer, including addresses, on the listed ports",
         policy("a/p", {"ingress": [{"ports": [{"port": 443}]}]}),
         expect=[("b/client", "a/web", "TCP 443"), ("8.8.8.8", "a/web", "TCP 443"), ("a/db", "a/web", "TCP 443")]),
    case("empty from list admits every peer",
         policy("a/p", {"ingress": [{"from": [], "ports": [{"port": 443}]}]}),
         expect=[("b/client", "a/web", "TCP 443"), ("8.8.8.8", "a/web", "TCP 443")]),
    case("absent ports admit every port of every protocol",
         policy("a/p", {"ingress": [{"from": [{"podSelector": {}}]}]}),
         expect=[("a/db", "a/web", "all")]),
    case("podSelector alone selects pods of the policy's namespace only",
         policy("a/p", {"podSelector": {"matchLabels": {"app": "db"}},
                        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}),
         base=(*BASE, pod("b/web", {"app": "web"}, ip="10.2.0.3")),
         expect=[("a/web", "a/db", "all"), ("b/web", "a/db", "none"), ("b/client", "a/db", "none")]),
    case("an empty podSelector peer is every pod of the policy's namespace",
         policy("a/p", {"ingress": [{"from": [{"podSelector": {}}]}]}),
         expect=[("a/db", "a/web", "all"), ("b/client", "a/web", "none"), ("8.8.8.8", "a/web", "none")]),
    case("namespaceSelector alone selects every pod of matching namespaces",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]}),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "all"), ("a/db", "a/web", "none")]),
    case("an empty namespaceSelector is every pod of every namespace, but no address",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {}}]}]}),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "all"), ("8.8.8.8", "a/web", "none")]),
    case("namespaceSelector and podSelector in one peer must both match",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}},
                                               "podSelector": {"matchLabels": {"app": "client"}}}]}]}),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("two peers in one rule are alternatives",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}},
                                              {"podSelector": {"matchLabels": {"app": "client"}}}]}]}),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "all"), ("a/db", "a/web", "none")]),
    case("the namespace name label is always there to select by",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {
             "matchLabels": {"kubernetes.io/metadata.name": "b"}}}]}]}),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "none")]),
    case("a policy isolates pods of its own namespace only",
         policy("b/p", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}),
         expect=[("b/client", "a/web", "all")]),
    case("a policy whose podSelector matches nothing has no effect",
         policy("a/p", {"podSelector": {"matchLabels": {"app": "ghost"}}, "policyTypes": ["Ingress", "Egress"]}),
         expect=[("b/client", "a/web", "all"), ("a/web", "b/client", "all")]),
    case("matchExpressions In",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [
             {"key": "app", "operator": "In", "values": ["client", "db"]}]}}]}]}),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("matchExpressions NotIn matches pods without the key",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [
             {"key": "tier", "operator": "NotIn", "values": ["back"]}]}}]}]}),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("matchExpressions Exists ignores values",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [
             {"key": "tier", "operator": "Exists"}]}}]}]}),
         expect=[("b/batch", "a/web", "all"), ("b/client", "a/web", "none")]),
    case("matchExpressions DoesNotExist matches pods without the key",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchExpressions": [
             {"key": "tier", "operator": "DoesNotExist"}]}}]}]}),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("matchLabels and matchExpressions must both hold",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {
             "matchLabels": {"app": "batch"}, "matchExpressions": [{"key": "tier", "operator": "In",
                                                                    "values": ["front"]}]}}]}]}),
         expect=[("b/batch", "a/web", "none")]),
    case("NotIn on a namespace selector matches namespaces without the key",
         policy("a/p", {"ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [
             {"key": "team", "operator": "NotIn", "values": ["blue"]}]}}]}]}),
         base=(*BASE, namespace("c"), pod("c/x", {"app": "x"}, ip="10.3.0.1")),
         expect=[("c/x", "a/web", "all"), ("a/db", "a/web", "all"), ("b/client", "a/web", "none")]),
    case("ipBlock admits addresses in cidr minus except",
         policy("a/p", {"ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16",
                                                          "except": ["192.168.1.0/24"]}}]}]}),
         expect=[("192.168.2.7", "a/web", "all"), ("192.168.1.7", "a/web", "none"), ("8.8.8.8", "a/web", "none")]),
    case("egress ipBlock with ports",
         policy("a/p", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}]}),
         expect=[("a/web", "203.0.113.9", "TCP 443"), ("a/web", "8.8.8.8", "none"), ("a/web", "a/db", "none")]),
    case("ipBlock matches pods by IP when ipBlock selects pods (default)",
         policy("a/p", {"ingress": [{"from": [{"ipBlock": {"cidr": "10.2.0.0/16", "except": ["10.2.0.2/32"]}}]}]}),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none"), ("10.2.0.9", "a/web", "all")]),
    case("ipBlock never matches pods when ipBlock does not select pods",
         policy("a/p", {"ingress": [{"from": [{"ipBlock": {"cidr": "10.2.0.0/16"}}]}]}),
         options=AnalysisOptions(ipblock_selects_pods=False),
         expect=[("b/client", "a/web", "none"), ("10.2.0.9", "a/web", "all")]),
    case("an excepted range is still admitted by another rule",
         policy("a/p", {"ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}}]},
                                    {"from": [{"ipBlock": {"cidr": "192.168.1.0/24"}}], "ports": [{"port": 22}]}]}),
         expect=[("192.168.1.7", "a/web", "TCP 22"), ("192.168.2.7", "a/web", "all")]),
    case("a named port resolves on the destination pod's container ports",
         policy("a/p", {"ingress": [{"ports": [{"port": "http"}, {"port": "pg"}]}]}),
         expect=[("b/client", "a/web", "TCP 8080"), ("b/client", "a/db", "TCP 5432")]),
    case("a named port in an egress rule resolves on the destination",
         policy("b/p", {"policyTypes": ["Egress"], "egress": [{"ports": [{"port": "http"}]}]}),
         expect=[("b/client", "a/web", "TCP 8080"), ("b/client", "a/db", "none"), ("b/client", "8.8.8.8", "none")]),
    case("a named port must match the protocol too",
         policy("a/p", {"ingress": [{"ports": [{"port": "http", "protocol": "UDP"}]}]}),
         expect=[("b/client", "a/web", "none")]),
    case("the same port name may be different numbers on different pods",
         policy("b/p", {"ingress": [{"ports": [{"port": "metrics"}]}]}),
         base=(*BASE[:4], pod("b/client", {"app": "client"}, ports=(("metrics", 9090),)),
               pod("b/batch", {"app": "batch"}, ports=(("metrics", 9187),))),
         expect=[("a/web", "b/client", "TCP 9090"), ("a/web", "b/batch", "TCP 9187")]),
    case("a named port no container declares admits nothing",
         policy("a/p", {"ingress": [{"ports": [{"port": "web"}]}]}),
         expect=[("b/client", "a/web", "none"), ("8.8.8.8", "a/web", "none")]),
    case("endPort is an inclusive range",
         policy("a/p", {"ingress": [{"ports": [{"port": 8000, "endPort": 8100}]}]}),
         expect=[("b/client", "a/web", "TCP 8000-8100")]),
    case("a protocol without a port is every port of that protocol",
         policy("a/p", {"ingress": [{"ports": [{"protocol": "UDP"}]}]}),
         expect=[("b/client", "a/web", "UDP 1-65535")]),
    case("UDP and SCTP are never read as TCP",
         policy("a/p", {"ingress": [{"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "SCTP", "port": 9}]}]}),
         expect=[("b/client", "a/web", "UDP 53; SCTP 9")]),
    case("1-65535 on all three protocols is all ports",
         policy("a/p", {"ingress": [{"ports": [{"protocol": p, "port": 1, "endPort": 65535}
                                               for p in ("TCP", "UDP", "SCTP")]}]}),
         expect=[("b/client", "a/web", "all")]),
    case("policies selecting the same pod add up",
         policy("a/p1", {"ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 80}]}]}),
         policy("a/p2", {"ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 443}]}]}),
         expect=[("b/client", "a/web", "TCP 80,443")]),
    case("rules of one policy add up",
         policy("a/p", {"ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 80}]},
                                    {"from": [{"namespaceSelector": {}}], "ports": [{"port": 443}]}]}),
         expect=[("a/db", "a/web", "TCP 80,443"), ("b/client", "a/web", "TCP 443")]),
    case("a connection needs egress at the source and ingress at the destination",
         policy("b/out", {"policyTypes": ["Egress"], "egress": [{"ports": [{"port": 80}, {"port": 443}]}]}),
         policy("a/in", {"ingress": [{"ports": [{"port": 443}, {"port": 8443}]}]}),
         expect=[("b/client", "a/web", "TCP 443"), ("a/db", "a/web", "TCP 443,8443"),
                 ("b/client", "8.8.8.8", "TCP 80,443")]),
    case("hostNetwork pods are never isolated by default",
         policy("a/p", {"policyTypes": ["Ingress", "Egress"]}),
         base=(*BASE, pod("a/agent", {"app": "agent"}, host_network=True)),
         expect=[("b/client", "a/agent", "all"), ("a/agent", "b/client", "all"), ("a/agent", "a/web", "none")]),
    case("hostNetwork pods are isolated when asked",
         policy("a/p", {"policyTypes": ["Ingress", "Egress"]}),
         base=(*BASE, pod("a/agent", {"app": "agent"}, host_network=True)),
         options=AnalysisOptions(host_network_isolated=True),
         expect=[("b/client", "a/agent", "none"), ("a/agent", "b/client", "none")]),
    case("replicas of one workload are subject to policy between themselves",
         policy("a/p", {"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                     "ports": [{"port": 7000}]}]}),
         base=(*BASE, pod("a/web-2", {"app": "web", "tier": "front"}, ports=(("http", 8080),))),
         expect=[("a/web", "a/web-2", "TCP 7000"), ("a/web-2", "a/web", "TCP 7000")]),
]


def to_team(team: str) -> list[dict]:
    """Peers: every pod of the namespaces of `team`."""
    return [{"namespaces": {"matchLabels": {"team": team}}}]


RED = {"namespaces": {"matchLabels": {"team": "red"}}}
BLUE = {"namespaces": {"matchLabels": {"team": "blue"}}}
DENY_FROM_BLUE = {"name": "no-blue", "action": "Deny", "from": to_team("blue")}
ISOLATE_A = policy("a/isolate", {"policyTypes": ["Ingress"]})

TIER_CASES = [
    case("an Admin Deny overrides a NetworkPolicy that admits",
         admin("guard", 10, {"subject": RED, "ingress": [DENY_FROM_BLUE]}),
         policy("a/open", {"ingress": [{}]}),
         expect=[("b/client", "a/web", "none"), ("a/db", "a/web", "all"), ("a/web", "b/client", "all")]),
    case("an Admin Allow overrides NetworkPolicy isolation",
         admin("let-blue", 10, {"subject": RED, "ingress": [{"action": "Allow", "from": to_team("blue"),
                                                              "ports": [{"portNumber": {"protocol": "TCP",
                                                                                        "port": 443}}]}]}),
         ISOLATE_A,
         expect=[("b/client", "a/web", "TCP 443"), ("a/db", "a/web", "none")]),
    case("a rule decides only the ports it covers; the rest go on",
         admin("no-80", 10, {"subject": RED, "ingress": [
             {"action": "Deny", "from": to_team("blue"), "ports": [{"portNumber": {"protocol": "TCP", "port": 80}}]}]}),
         expect=[("b/client", "a/web", "TCP 1-79,81-65535; UDP all; SCTP all")]),
    case("lower priority numbers come first",
         admin("late-allow", 20, {"subject": RED, "ingress": [{"action": "Allow", "from": to_team("blue")}]}),
         admin("early-deny", 5, {"subject": RED, "ingress": [DENY_FROM_BLUE]}),
         expect=[("b/client", "a/web", "none")]),
    case("within a policy the first matching rule decides",
         admin("ordered", 10, {"subject": RED, "ingress": [
             {"action": "Allow", "from": to_team("blue"), "ports": [{"portNumber": {"protocol": "TCP", "port": 443}}]},
             DENY_FROM_BLUE]}),
         expect=[("b/client", "a/web", "TCP 443")]),
    case("Pass skips the Admin tier and leaves the ports to NetworkPolicies",
         admin("pass", 5, {"subject": RED, "ingress": [{"action": "Pass", "from": to_team("blue")}]}),
         admin("deny", 10, {"subject": RED, "ingress": [DENY_FROM_BLUE]}),
         policy("a/web-only", {"ingress": [{"ports": [{"port": 8080}]}]}),
         expect=[("b/client", "a/web", "TCP 8080")]),
    case("Pass without a NetworkPolicy goes to the Baseline tier, then to the default",
         admin("pass", 5, {"subject": RED, "ingress": [{"action": "Pass", "from": to_team("blue")}]}),
         baseline({"subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "db"}}}},
                   "ingress": [DENY_FROM_BLUE]}),
         expect=[("b/client", "a/db", "none"), ("b/client", "a/web", "all")]),
    case("the Baseline tier applies only where no NetworkPolicy isolates the pod",
         baseline({"subject": RED, "ingress": [DENY_FROM_BLUE]}),
         policy("a/web-open", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}]}),
         expect=[("b/client", "a/web", "all"), ("b/client", "a/db", "none"), ("a/web", "a/db", "all")]),
    case("a Baseline Allow cannot reach past a NetworkPolicy deny",
         baseline({"subject": RED, "ingress": [{"action": "Allow", "from": to_team("blue")}]}),
         ISOLATE_A,
         expect=[("b/client", "a/web", "none")]),
    case("egress rules act at the source",
         admin("no-red", 10, {"subject": BLUE, "egress": [{"action": "Deny", "to": to_team("red")}]}),
         expect=[("b/client", "a/web", "none"), ("a/web", "b/client", "all"), ("b/client", "b/batch", "all")]),
    case("a namedPort matches the destination's container port of that name in its own protocol",
         admin("named", 10, {"subject": BLUE, "egress": [{"action": "Deny", "to": to_team("red"),
                                                          "ports": [{"namedPort": "dns"}]}]}),
         base=(*BASE, pod("a/dns", {"app": "dns"}, ports=(("dns", 53, "UDP"),))),
         expect=[("b/client", "a/dns", "TCP all; UDP 1-52,54-65535; SCTP all"), ("b/client", "a/web", "all")]),
    case("networks match addresses and the pods inside them",
         admin("no-net", 10, {"subject": BLUE, "egress": [{"action": "Deny", "to": [
             {"networks": ["10.1.0.0/24", "8.8.8.0/24"]}]}]}),
         expect=[("b/client", "8.8.8.8", "none"), ("b/client", "1.1.1.1", "all"), ("b/client", "a/web", "none"),
                 ("b/client", "b/batch", "all")]),
    case("networks match only addresses when ipBlocks do not select pods",
         admin("no-net", 10, {"subject": BLUE, "egress": [{"action": "Deny", "to": [{"networks": ["10.1.0.0/24"]}]}]}),
         options=AnalysisOptions(ipblock_selects_pods=False),
         expect=[("b/client", "a/web", "all"), ("b/client", "10.1.0.9", "none")]),
    case("nodes match the addresses of the nodes they select, and host-network pods on them",
         admin("no-control-plane", 10, {"subject": BLUE, "egress": [{"action": "Deny", "to": [
             {"nodes": {"matchLabels": {"role": "control-plane"}}}]}]}),
         node("cp-1", "10.9.0.1", role="control-plane"), node("worker-1", "10.9.0.2", role="worker"),
         base=(*BASE, pod("a/agent", {"app": "agent"}, ip="10.9.0.1", host_network=True)),
         expect=[("b/client", "10.9.0.1", "none"), ("b/client", "10.9.0.2", "all"), ("b/client", "a/agent", "none"),
                 ("a/web", "10.9.0.1", "all")]),
    case("host-network pods are neither subjects nor pod peers",
         admin("deny-all", 10, {"subject": {"namespaces": {}}, "ingress": [
             {"action": "Deny", "from": [{"namespaces": {}}]}]}),
         base=(*BASE, pod("a/agent", {"app": "agent"}, host_network=True)),
         expect=[("b/client", "a/agent", "all"), ("a/agent", "a/web", "all"), ("b/client", "a/web", "none")]),
    case("ClusterNetworkPolicy: Accept in the Admin tier, Deny in the Baseline tier",
         cluster_policy("ClusterNetworkPolicy", "accept-blue", {"subject": RED, "ingress": [
             {"action": "Accept", "from": to_team("blue"), "protocols": [{"tcp": {"destinationPort": {"number": 443}}}]}
         ]}, 10, "Admin"),
         cluster_policy("ClusterNetworkPolicy", "deny-blue", {"subject": RED, "ingress": [DENY_FROM_BLUE]}, 10,
                        "Baseline"),
         expect=[("b/client", "a/web", "TCP 443"), ("a/db", "a/web", "all")]),
    case("a domainNames Accept admits every address not otherwise denied",
         cluster_policy("ClusterNetworkPolicy", "egress", {"subject": BLUE, "egress": [
             {"action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}]},
             {"action": "Accept", "to": [{"domainNames": ["example.com"]}]}]}, 10, "Admin"),
         policy("b/no-egress", {"policyTypes": ["Egress"]}),
         expect=[("b/client", "93.184.216.34", "all"), ("b/client", "10.9.9.9", "none"),
                 ("b/client", "a/web", "none")]),
    case("equal priorities that disagree are ambiguous, and counted as reachable",
         admin("deny", 10, {"subject": RED, "ingress": [DENY_FROM_BLUE]}),
         admin("allow-443", 10, {"subject": RED, "ingress": [
             {"action": "Allow", "from": to_team("blue"), "ports": [{"portNumber": {"protocol": "TCP", "port": 443}}]}
         ]}),
         expect=[("b/client", "a/web", "TCP 443"), ("a/db", "a/web", "all")],
         ambiguous=(("b/client", "a/web", "TCP 443"),)),
    case("equal priorities that agree are not ambiguous",
         admin("deny-1", 10, {"subject": RED, "ingress": [DENY_FROM_BLUE]}),
         admin("deny-2", 10, {"subject": RED, "ingress": [DENY_FROM_BLUE]}),
         expect=[("b/client", "a/web", "none")]),
]
CASES += TIER_CASES
