"""Calico's semantics, rule by rule, each case written from the Calico documentation (tigera/docs, the section named
in the case), held against both evaluators: the per-pod reference and the class engine."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from compliance.model.calico_policy import CalicoPolicy, CalicoTier, NetworkSet, ServiceAccount, ServiceAccountMatch
from compliance.model.policy import PortSpec
from compliance.netpol.options import AnalysisOptions
from tests.netpol.builders import Evaluators, admin, baseline, cluster, ports
from tests.netpol.builders import policy as network_policy
from tests.netpol.calico_builders import (
    ALLOW,
    DENY,
    LOG,
    PASS,
    both,
    calico_policy,
    compare,
    entity,
    negated,
    network_set,
    rule,
    selector,
    with_calico,
)
from tests.netpol.cases import BASE

WEB = "app == 'web'"
CalicoObject = CalicoPolicy | CalicoTier | NetworkSet | ServiceAccount


@dataclass(frozen=True)
class CalicoCase:
    """Calico objects (and Kubernetes manifests) on the base cluster, with expected (source, destination, ports) and
    the ambiguous ports of some of those pairs (every other pair has none)."""

    name: str
    section: str
    objects: tuple[CalicoObject, ...]
    expect: tuple[tuple[str, str, str], ...]
    manifests: tuple[dict, ...] = ()
    accounts: dict[str, str] = field(default_factory=dict)
    ambiguous: tuple[tuple[str, str, str], ...] = ()


def case(name: str, section: str, *objects: CalicoObject, expect: list[tuple[str, str, str]],
         manifests: tuple[dict, ...] = (), accounts: dict[str, str] | None = None,
         ambiguous: tuple[tuple[str, str, str], ...] = ()) -> CalicoCase:
    """A case; `section` names the documentation page and heading it is written from."""
    return CalicoCase(name, section, tuple(objects), tuple(expect), manifests, accounts or {}, ambiguous)


def ingress_to_web(name: str, *rules, order: float | None = None, tier: str = "default", **fields) -> CalicoPolicy:
    """A GlobalNetworkPolicy applying to a/web for ingress."""
    return calico_policy(name, order, ingress=rules, tier=tier, select=WEB, types=("Ingress",), **fields)


def egress_from_web(name: str, *rules, order: float | None = None, tier: str = "default") -> CalicoPolicy:
    """A GlobalNetworkPolicy applying to a/web for egress."""
    return calico_policy(name, order, egress=rules, tier=tier, select=WEB, types=("Egress",))


def tier(name: str, order: float | None, default_action=DENY) -> CalicoTier:
    """A Tier."""
    return CalicoTier(name, order, default_action)


FROM_CLIENT = entity("app == 'client'")
TIER_DOC = "reference/resources/tier.mdx, How policy is evaluated"
TIERED_DOC = "network-policy/policy-tiers/tiered-policy.mdx"
RULE_DOC = "_includes/content/_rule.mdx"
ENTITY_DOC = "_includes/content/_entityrule.mdx"
SELECTORS_DOC = "_includes/content/_selectors.mdx"

CASES = [
    case("tiers are taken by order, smallest first", f"{TIER_DOC}: tiers are sorted by their order",
         tier("late", 100), tier("early", 50, PASS),
         ingress_to_web("allow-all", rule(ALLOW), tier="late"),
         ingress_to_web("deny-b", rule(DENY, entity(namespace_selector="team == 'blue'")), tier="early"),
         expect=[("b/client", "a/web", "none"), ("a/db", "a/web", "all")]),
    case("an Allow ends the evaluation", f"{TIER_DOC}: Allow or Deny, evaluation is done",
         tier("first", 10), tier("second", 20),
         ingress_to_web("allow-client", rule(ALLOW, FROM_CLIENT), tier="first"),
         ingress_to_web("deny-all", rule(DENY), tier="second"),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("a Pass goes on to the next tier that applies", f"{TIER_DOC}: the next Tier containing a Policy that "
         "applies to the endpoint processes the packet",
         tier("first", 10), tier("skipped", 15), tier("second", 20),
         ingress_to_web("pass-b", rule(PASS, entity(namespace_selector="team == 'blue'")), tier="first"),
         calico_policy("db-only", 1, ingress=(rule(DENY),), tier="skipped", select="app == 'db'"),
         ingress_to_web("port-80", rule(ALLOW, destination=entity(ports=[80]), protocol="TCP"), tier="second"),
         expect=[("b/client", "a/web", "TCP 80"), ("a/db", "a/web", "none")]),
    case("a tier that applies and decides nothing drops the packet", f"{TIER_DOC}: takes no action on the packet "
         "the packet is dropped",
         tier("zones", 10), ingress_to_web("client-only", rule(ALLOW, FROM_CLIENT), tier="zones"),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none"), ("a/db", "a/web", "none"),
                 ("a/web", "a/db", "all")]),
    case("defaultAction Pass hands the undecided packet to the next tier", f"{TIER_DOC}: changed by setting the "
         "defaultAction of a tier to Pass",
         tier("zones", 10, PASS), ingress_to_web("client-only", rule(ALLOW, FROM_CLIENT), tier="zones"),
         expect=[("b/batch", "a/web", "all"), ("8.8.8.8", "a/web", "all")]),
    case("a Pass from the last tier reaches the profile, which allows", f"{TIER_DOC}: if the last Tier applying to "
         "the endpoint Passes the packet, that endpoint's Profiles are evaluated",
         tier("zones", 10), ingress_to_web("pass-all", rule(PASS), tier="zones"),
         expect=[("b/batch", "a/web", "all"), ("8.8.8.8", "a/web", "all")]),
    case("a tier whose policies select the endpoint for the other direction only is skipped",
         f"{TIER_DOC}: each tier that contains a policy that applies to the endpoint processes the packet",
         tier("zones", 10), egress_from_web("egress-only", rule(ALLOW, destination=FROM_CLIENT), tier="zones"),
         expect=[("b/batch", "a/web", "all"), ("a/web", "b/client", "all"), ("a/web", "b/batch", "none")]),
    case("a tier without an order comes after every ordered tier", "reference/resources/tier.mdx, Spec: order: no "
         "value indicates highest order (lowest precedence)",
         tier("unordered", None), tier("ordered", 20_000_000, PASS),
         ingress_to_web("allow-all", rule(ALLOW), tier="unordered"),
         ingress_to_web("deny-client", rule(DENY, FROM_CLIENT), tier="ordered"),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all")]),
    case("policies of a tier by order, lowest first", "reference/resources/globalnetworkpolicy.mdx, Spec: order",
         ingress_to_web("p2", rule(ALLOW), order=20), ingress_to_web("p1", rule(DENY, FROM_CLIENT), order=10),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all")]),
    case("a policy without an order comes after the ordered ones", "reference/resources/networkpolicy.mdx, Spec: "
         "order (an unset order sorts last)",
         ingress_to_web("unordered", rule(ALLOW)), ingress_to_web("ordered", rule(DENY, FROM_CLIENT), order=100),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all")]),
    case("policies of one order are taken by name", "reference/resources/tier.mdx: policies in each Tier are then "
         "processed in order (then by name)",
         ingress_to_web("a-allow", rule(ALLOW), order=10), ingress_to_web("b-deny", rule(DENY), order=10),
         expect=[("b/client", "a/web", "all")]),
    case("Kubernetes NetworkPolicies sit at order 1000 of the default tier", f"{TIERED_DOC}, The default tier: "
         "you manage all Kubernetes network policies (converted with order 1000)",
         ingress_to_web("before", rule(DENY, entity("app == 'batch'")), order=500),
         ingress_to_web("after", rule(DENY, FROM_CLIENT), order=2000),
         manifests=(network_policy("a/from-b", {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [
             {"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]}),),
         expect=[("b/batch", "a/web", "none"), ("b/client", "a/web", "all"), ("a/db", "a/web", "none")]),
    case("a security tier above the default one overrides the NetworkPolicies", f"{TIERED_DOC}, Tiers: what and why",
         tier("security", 300),
         calico_policy("cde-guard", 10, ingress=(rule(DENY, entity(namespace_selector="team == 'blue'")),),
                       tier="security", select="app == 'db'", types=("Ingress",)),
         calico_policy("cde-pass", 20, ingress=(rule(PASS),), tier="security", select="app == 'db'"),
         manifests=(network_policy("a/open", {"ingress": [{}]}),),
         expect=[("b/client", "a/db", "none"), ("a/web", "a/db", "all")]),
    case("kube-admin (order 1,000) runs after lower Calico tiers and before higher ones", f"{TIERED_DOC}, kube-admin "
         "tier: order of 1,000 and a default action of Pass",
         tier("early", 500), tier("late", 5000),
         ingress_to_web("allow-client", rule(ALLOW, FROM_CLIENT), tier="early"),
         ingress_to_web("allow-batch", rule(ALLOW, entity("app == 'batch'")), tier="late"),
         manifests=(admin("deny-b", 10, {"ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}),),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("kube-baseline (order 10,000,000) runs after the default tier", f"{TIERED_DOC}, kube-baseline tier: order "
         "of 10,000,000",
         tier("last", 20_000_000),
         ingress_to_web("allow-client", rule(ALLOW, FROM_CLIENT), order=1),
         ingress_to_web("pass-rest", rule(PASS), order=2),
         ingress_to_web("allow-all", rule(ALLOW), tier="last"),
         manifests=(baseline({"ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]}),),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("Log decides nothing: the next rule does", f"{RULE_DOC}: after a Log action, processing continues with the "
         "next rule", ingress_to_web("log-then-80", rule(LOG), rule(ALLOW, destination=entity(ports=[80]),
                                                                        protocol="TCP")),
         expect=[("b/client", "a/web", "TCP 80")]),
    case("rules in order: the first that matches a port decides it", f"{RULE_DOC}: executed in order; Allow and "
         "Deny are immediate and final",
         ingress_to_web("deny-80", rule(DENY, destination=entity(ports=[80]), protocol="TCP"), rule(ALLOW)),
         expect=[("b/client", "a/web", "TCP 1-79,81-65535; UDP all; SCTP all")]),
    case("!= matches endpoints without the label", f"{SELECTORS_DOC}: k != 'v' matches resources without label 'k'",
         ingress_to_web("not-back", rule(ALLOW, entity(compare("tier", "!=", "back")))),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("not in matches endpoints without the label", f"{SELECTORS_DOC}: k not in {{...}} matches resources without "
         "label 'k'", ingress_to_web("not-in", rule(ALLOW, entity(compare("tier", "not in", "back", "x")))),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("has, contains, starts with and ends with need the label", f"{SELECTORS_DOC}: has(k), k contains 's', "
         "k starts with 's', k ends with 's'",
         ingress_to_web("strings", rule(ALLOW, entity(compare("app", "contains", "lie"))),
                        rule(ALLOW, entity(both(compare("tier", "has"), compare("app", "starts with", "ba")))),
                        rule(ALLOW, entity(compare("app", "ends with", "db")))),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "all"), ("a/db", "a/web", "all")]),
    case("! negates a term", f"{SELECTORS_DOC}: !expr",
         ingress_to_web("not-client", rule(ALLOW, entity(negated(compare("app", "==", "client"))))),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all"), ("8.8.8.8", "a/web", "none")]),
    case("notSelector matches anywhere but the selected endpoints", f"{ENTITY_DOC}, Understanding notSelector: "
         "matches packets from/to anywhere (including outside the cluster), except",
         ingress_to_web("not-batch", rule(ALLOW, entity(not_selector="app == 'batch'"))),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none"), ("8.8.8.8", "a/web", "all")]),
    case("a selector matches endpoints and network sets, never other addresses", f"{ENTITY_DOC}: a rule with a "
         "selector all() won't match all packets",
         ingress_to_web("all-endpoints", rule(ALLOW, entity("all()"))),
         expect=[("b/client", "a/web", "all"), ("8.8.8.8", "a/web", "none")]),
    case("a NetworkPolicy's selectors apply to its own namespace", f"{ENTITY_DOC}, namespaceSelector: if not defined "
         "then selectors apply to the NetworkPolicy's namespace",
         calico_policy("a/p", ingress=(rule(ALLOW, FROM_CLIENT), rule(ALLOW, entity("app == 'db'"))), select=WEB),
         expect=[("b/client", "a/web", "none"), ("a/db", "a/web", "all")]),
    case("a namespaceSelector widens a NetworkPolicy's selector", f"{ENTITY_DOC}, namespaceSelector: only workload "
         "endpoints in the selected namespaces",
         calico_policy("a/p", ingress=(rule(ALLOW, entity("app == 'client'", namespace_selector="all()")),),
                       select=WEB),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("a GlobalNetworkPolicy's selectors apply to every namespace",
         "reference/resources/globalnetworkpolicy.mdx, EntityRule",
         ingress_to_web("g", rule(ALLOW, FROM_CLIENT)), expect=[("b/client", "a/web", "all")]),
    case("global() selects GlobalNetworkSets, not pods", f"{ENTITY_DOC}, namespaceSelector: select the non-namespaced "
         "resources like GlobalNetworkSet(s) by using global()",
         network_set("outside", {"role": "partner"}, "203.0.113.0/24"),
         ingress_to_web("g", rule(ALLOW, entity("role == 'partner'", namespace_selector="global()"))),
         expect=[("203.0.113.5", "a/web", "all"), ("8.8.8.8", "a/web", "none"), ("b/client", "a/web", "none")]),
    case("a namespaced NetworkSet is selected by the policies of its namespace",
         "reference/resources/networkset.mdx; _entityrule.mdx: selectors match namespaced network sets",
         network_set("a/partners", {"role": "partner"}, "198.51.100.0/24"),
         network_set("b/elsewhere", {"role": "partner"}, "192.0.2.0/24"),
         calico_policy("a/out", egress=(rule(ALLOW, destination=entity("role == 'partner'")),), select=WEB),
         expect=[("a/web", "198.51.100.1", "all"), ("a/web", "192.0.2.1", "none"), ("a/web", "8.8.8.8", "none")]),
    case("nets match addresses, and pod IPs (the ipBlock assumption)", f"{ENTITY_DOC}, nets: match packets with IP "
         "in any of the listed CIDRs",
         egress_from_web("to-b", rule(ALLOW, destination=entity(nets=["10.2.0.0/24"]))),
         expect=[("a/web", "b/client", "all"), ("a/web", "10.2.0.200", "all"), ("a/web", "8.8.8.8", "none"),
                 ("a/web", "a/db", "none")]),
    case("notNets match every IP outside the listed CIDRs", f"{ENTITY_DOC}, notNets: match packets with IP not in "
         "any of the listed CIDRs",
         egress_from_web("outside", rule(ALLOW, destination=entity(not_nets=["10.0.0.0/8"]))),
         expect=[("a/web", "8.8.8.8", "all"), ("a/web", "b/client", "none")]),
    case("ports: numbers, ranges and named ports of the destination", "_includes/content/_ports.mdx: int, start:end, "
         "named-port",
         ingress_to_web("ports", rule(ALLOW, destination=entity(
             ports=[80, PortSpec("TCP", 6040, 6050), "http"]), protocol="TCP")),
         expect=[("b/client", "a/web", "TCP 80,6040-6050,8080")]),
    case("a named port the destination lacks matches nothing", "_includes/content/_ports.mdx, Named ports",
         calico_policy("pg", ingress=(rule(ALLOW, destination=entity(ports=["pg"]), protocol="TCP"),)),
         expect=[("b/client", "a/db", "TCP 5432"), ("b/client", "a/web", "none")]),
    case("notPorts remove ports", f"{ENTITY_DOC}, notPorts: negative match on the specified ports",
         ingress_to_web("not-22", rule(ALLOW, destination=entity(not_ports=[22]), protocol="TCP")),
         expect=[("b/client", "a/web", "TCP 1-21,23-65535")]),
    case("protocol and notProtocol", f"{RULE_DOC}: protocol, notProtocol",
         ingress_to_web("udp", rule(ALLOW, protocol="UDP"), rule(ALLOW, FROM_CLIENT, not_protocol="TCP")),
         expect=[("b/batch", "a/web", "UDP all"), ("b/client", "a/web", "UDP all; SCTP all")]),
    case("an ICMP rule matches no modelled connection", f"{RULE_DOC}: protocol ICMP",
         ingress_to_web("icmp", rule(DENY, protocol="ICMP"), rule(ALLOW, protocol="1"), rule(ALLOW, FROM_CLIENT)),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("serviceAccounts by name", "_includes/content/_serviceaccountmatch.mdx: names",
         ingress_to_web("sa", rule(ALLOW, entity(service_accounts=ServiceAccountMatch(("api",))))),
         accounts={"b/client": "api"},
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("serviceAccounts by the service account's labels", "_includes/content/_serviceaccountmatch.mdx: selector",
         ServiceAccount("b", "api", (("trust", "high"),)),
         ingress_to_web("sa", rule(ALLOW, entity(service_accounts=ServiceAccountMatch(
             selector=selector("trust == 'high'"))))),
         accounts={"b/client": "api", "b/batch": "batch"},
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("serviceAccountSelector on the policy, by projectcalico.org/name",
         "reference/resources/networkpolicy.mdx, Spec: serviceAccountSelector",
         calico_policy("by-account", ingress=(rule(DENY),), service_account_selector="projectcalico.org/name == 'web'"),
         accounts={"a/web": "web"},
         expect=[("b/client", "a/web", "none"), ("b/client", "a/db", "all")]),
    case("a rule with fields not modelled is ambiguous", f"{RULE_DOC}: http (application layer policy)",
         ingress_to_web("l7", rule(ALLOW, unmodelled=("http",))),
         expect=[("b/client", "a/web", "all")], ambiguous=(("b/client", "a/web", "all"),)),
    case("ipVersion between pods is ambiguous, towards addresses exact", f"{RULE_DOC}: ipVersion",
         egress_from_web("v6", rule(ALLOW, ip_version=6)),
         expect=[("a/web", "b/client", "all"), ("a/web", "8.8.8.8", "none")],
         ambiguous=(("a/web", "b/client", "all"),)),
    case("a policy with doNotTrack may not apply to the pod: ambiguous", "reference/resources/globalnetworkpolicy.mdx, "
         "Spec: doNotTrack", ingress_to_web("untracked", rule(DENY), unmodelled=("doNotTrack",)),
         expect=[("b/client", "a/web", "all"), ("8.8.8.8", "a/web", "all")],
         ambiguous=(("b/client", "a/web", "all"), ("8.8.8.8", "a/web", "all"))),
]


@pytest.mark.parametrize("found", CASES, ids=[c.name for c in CASES])
def test_calico_semantics(found: CalicoCase) -> None:
    snapshot = with_calico(cluster(*BASE, *found.manifests), *found.objects, accounts=found.accounts)
    evaluators = Evaluators(snapshot, AnalysisOptions())
    ambiguous = {(source, destination): expected for source, destination, expected in found.ambiguous}
    for source, destination, expected in found.expect:
        assert evaluators.reference(source, destination) == ports(expected), ("reference", source, destination)
        assert evaluators.engine(source, destination) == ports(expected), ("engine", source, destination)
        unsure = ports(ambiguous.get((source, destination), "none"))
        assert evaluators.reference_ambiguous(source, destination) == unsure, ("reference", source, destination)
        assert evaluators.engine_ambiguous(source, destination) == unsure, ("engine", source, destination)
