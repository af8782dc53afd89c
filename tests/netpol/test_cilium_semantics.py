"""Cilium's semantics, rule by rule, each case written from Cilium's documentation (docs.cilium.io, the page and
section named in the case), held against both evaluators: the per-pod reference and the class engine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from compliance.model.cilium_policy import CiliumPolicy, ServiceReference
from compliance.model.objects import Service
from compliance.netpol.options import AnalysisOptions, detected_cni
from tests.netpol.builders import Evaluators, cluster, namespace, pod, ports
from tests.netpol.builders import policy as network_policy
from tests.netpol.cases import BASE
from tests.netpol.cilium_builders import (
    EVERY,
    ccnp,
    cidr,
    cnp,
    expression,
    labels,
    port,
    rule,
    rule_set,
    to_ports,
    with_cilium,
)

WEB = labels(app="web")
CLIENT = labels(**{"k8s:io.kubernetes.pod.namespace": "b", "app": "client"})
ROBOT = pod("b/robot", {"app": "robot"}, ip="10.2.0.3")
ROBOT["spec"]["serviceAccountName"] = "robot"
NODE_AGENT = pod("b/node-agent", {"app": "agent"}, ip="192.168.0.5", host_network=True)
CILIUM = AnalysisOptions()  # ipBlocks follow the detected CNI: under Cilium they match no pod

LANGUAGE = "security/policy/language.rst"
ENDPOINTS = f"{LANGUAGE}, Layer 3 Examples: Endpoints based"
DEFAULT_DENY = f"{ENDPOINTS}, Ingress/Egress Default Deny"
ENTITIES = f"{LANGUAGE}, Entities based"
CIDRS = f"{LANGUAGE}, IP/CIDR based"
DNS = f"{LANGUAGE}, DNS based"
SERVICES = f"{LANGUAGE}, Services based"
LAYER4 = f"{LANGUAGE}, Layer 4 Examples: Limit ingress/egress ports"
LAYER7 = f"{LANGUAGE}, Layer 7 Examples"
DENY = f"{LANGUAGE}, Deny Policies"
KUBERNETES = "security/policy/kubernetes.rst"
NAMESPACES = f"{KUBERNETES}, Namespaces"
INTRO = "security/policy/intro.rst"
MODES = f"{INTRO}, Policy Enforcement Modes"


@dataclass(frozen=True)
class CiliumCase:
    """Cilium policies (and Kubernetes manifests) on the base cluster, with expected (source, destination, ports) and
    the ambiguous ports of some of those pairs (every other pair has none)."""

    name: str
    section: str
    policies: tuple[CiliumPolicy, ...]
    expect: tuple[tuple[str, str, str], ...]
    manifests: tuple[dict, ...] = ()
    options: AnalysisOptions = CILIUM
    ambiguous: tuple[tuple[str, str, str], ...] = ()
    services: tuple[Service, ...] = field(default=())
    filtered: tuple[tuple[str, str, str], ...] = ()


def case(name: str, section: str, *policies: CiliumPolicy, expect: list[tuple[str, str, str]],
         manifests: tuple[dict, ...] = (), options: AnalysisOptions = CILIUM,
         ambiguous: tuple[tuple[str, str, str], ...] = (), services: tuple[Service, ...] = (),
         filtered: tuple[tuple[str, str, str], ...] = ()) -> CiliumCase:
    """A case; `section` names the documentation page and heading it is written from; `filtered` the ports of
    some pairs that only rules with L7 rules allow (every other pair has none)."""
    return CiliumCase(name, section, tuple(policies), tuple(expect), manifests, options, ambiguous, services,
                      filtered)


def web(ref: str = "a/web-policy", **rules) -> CiliumPolicy:
    """A CiliumNetworkPolicy selecting a/web with the given rule lists."""
    return cnp(ref, rule_set(WEB, **rules))


CASES = [
    # Endpoints, selectors and namespaces.
    case("an ingress rule admits only its peers", f"{ENDPOINTS}, Ingress",
         web(ingress=(rule(labels(app="db")),)),
         expect=[("a/db", "a/web", "all"), ("b/client", "a/web", "none"), ("8.8.8.8", "a/web", "none"),
                 ("a/web", "a/db", "all"), ("a/web", "b/client", "all")]),
    case("fromEndpoints of a CiliumNetworkPolicy are limited to its namespace", f"{NAMESPACES}: namespace boundaries",
         web(ingress=(rule(labels(app="client")),)),
         expect=[("b/client", "a/web", "none")]),
    case("an empty fromEndpoints selector is every endpoint of the policy's namespace",
         f"{ENDPOINTS}, Ingress Allow All",
         web(ingress=(rule(EVERY),)),
         expect=[("a/db", "a/web", "all"), ("b/client", "a/web", "none"), ("8.8.8.8", "a/web", "none")]),
    case("a selector naming the namespace label crosses namespaces", f"{NAMESPACES}: allow traffic across namespaces",
         web(ingress=(rule(CLIENT),)),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none"), ("a/db", "a/web", "none")]),
    case("the namespace label without a source (any:) crosses namespaces too", NAMESPACES,
         web(ingress=(rule(labels(**{"io.kubernetes.pod.namespace": "b"})),)),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "all"), ("a/db", "a/web", "none")]),
    case("namespace labels select pods of matching namespaces, not re-scoped", f"{NAMESPACES}: namespace labels",
         web(ingress=(rule(labels(**{"k8s:io.cilium.k8s.namespace.labels.team": "blue"})),)),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "all"), ("a/db", "a/web", "none")]),
    case("a CiliumNetworkPolicy's endpointSelector applies in its own namespace only",
         f"{NAMESPACES}: the endpointSelector always applies to the policy's namespace",
         cnp("b/isolate", rule_set(labels(**{"k8s:io.kubernetes.pod.namespace": "a"}), ingress=(rule(),))),
         expect=[("b/client", "a/web", "all"), ("a/web", "b/client", "none"), ("a/web", "b/batch", "none")]),
    case("a clusterwide policy's empty peer selector is every pod of the cluster",
         f"{KUBERNETES}, CiliumClusterwideNetworkPolicy",
         ccnp("web-from-pods", rule_set(WEB, ingress=(rule(EVERY),))),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "all"), ("8.8.8.8", "a/web", "none")]),
    case("a clusterwide policy's endpointSelector spans namespaces", f"{KUBERNETES}, CiliumClusterwideNetworkPolicy",
         ccnp("isolate-clients", rule_set(labels(app="client"), ingress=(rule(),))),
         expect=[("a/web", "b/client", "none"), ("a/web", "b/batch", "all")]),
    case("the service account label selects pods by service account", f"{KUBERNETES}, ServiceAccounts",
         web(ingress=(rule(labels(**{"io.kubernetes.pod.namespace": "b",
                                     "io.cilium.k8s.policy.serviceaccount": "robot"})),)),
         manifests=(ROBOT,),
         expect=[("b/robot", "a/web", "all"), ("b/client", "a/web", "none")]),
    case("the cluster label holds the cluster's name", f"{KUBERNETES}, Multi-Cluster",
         ccnp("same-cluster", rule_set(WEB, ingress=(rule(labels(**{"k8s:io.cilium.k8s.policy.cluster": "default"})),
                                                         ))),
         expect=[("b/client", "a/web", "all")]),
    case("a selector of another cluster's name matches no pod", f"{KUBERNETES}, Multi-Cluster",
         ccnp("other-cluster", rule_set(WEB, ingress=(rule(labels(**{"io.cilium.k8s.policy.cluster": "east"})),))),
         expect=[("b/client", "a/web", "none")]),
    case("the cluster name is an option", f"{KUBERNETES}, Multi-Cluster",
         ccnp("other-cluster", rule_set(WEB, ingress=(rule(labels(**{"io.cilium.k8s.policy.cluster": "east"})),))),
         options=replace(CILIUM, cluster_name="east"),
         expect=[("b/client", "a/web", "all")]),
    case("matchExpressions select as in Kubernetes (NotIn holds for a missing label)", f"{ENDPOINTS}, Ingress",
         ccnp("not-batch", rule_set(WEB, ingress=(rule(expression("app", "NotIn", "batch")),))),
         expect=[("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("labels of sources pods do not carry match no pod", "concepts/security/identity.rst, Special Identities",
         web(ingress=(rule(labels(**{"reserved:host": ""})),)),
         expect=[("a/db", "a/web", "none"), ("b/client", "a/web", "none")]),
    # Default deny.
    case("ingress: [{}] admits nothing but puts the endpoint in default deny", DEFAULT_DENY,
         web(ingress=(rule(),)),
         expect=[("a/db", "a/web", "none"), ("8.8.8.8", "a/web", "none"), ("a/web", "a/db", "all")]),
    case("egress: [{}] puts the endpoint in default deny for egress", DEFAULT_DENY,
         web(egress=(rule(),)),
         expect=[("a/web", "a/db", "none"), ("a/web", "8.8.8.8", "none"), ("a/db", "a/web", "all")]),
    case("a deny-only rule set switches default deny on", f"{DENY}; {DEFAULT_DENY}",
         web(ingress_deny=(rule(CLIENT),)),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "none"), ("a/db", "a/web", "none")]),
    case("enableDefaultDeny: {ingress: false} keeps other peers allowed",
         f"{LANGUAGE}, Ingress/Egress Default Deny: enableDefaultDeny",
         web(ingress_deny=(rule(CLIENT),), default_deny_ingress=False),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all"), ("a/db", "a/web", "all")]),
    case("allows without default deny allow nothing more than no policy", f"{LANGUAGE}, enableDefaultDeny",
         web(ingress=(rule(labels(app="db")),), default_deny_ingress=False),
         expect=[("a/db", "a/web", "all"), ("b/client", "a/web", "all")]),
    case("allows of a rule set without default deny join another's", f"{LANGUAGE}, enableDefaultDeny",
         web(ingress=(rule(labels(app="db")),)),
         cnp("a/extra", rule_set(WEB, ingress=(rule(CLIENT),), default_deny_ingress=False)),
         expect=[("a/db", "a/web", "all"), ("b/client", "a/web", "all"), ("b/batch", "a/web", "none")]),
    case("default deny of one direction leaves the other open", DEFAULT_DENY,
         web(ingress=(rule(),), default_deny_egress=False),
         expect=[("a/web", "b/client", "all")]),
    # Deny rules.
    case("a deny rule wins over an allow of its own policy", DENY,
         web(ingress=(rule(labels(**{"io.kubernetes.pod.namespace": "b"})),), ingress_deny=(rule(CLIENT),)),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all")]),
    case("a CiliumNetworkPolicy deny wins over a NetworkPolicy allow", DENY,
         web(ingress_deny=(rule(CLIENT),), default_deny_ingress=False),
         manifests=(network_policy("a/np", {"podSelector": {"matchLabels": {"app": "web"}},
                                            "ingress": [{"from": [{"namespaceSelector": {}}]}]}),),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all"), ("8.8.8.8", "a/web", "none")]),
    case("a clusterwide deny wins over a CiliumNetworkPolicy allow", DENY,
         web(ingress=(rule(entities=("all",)),)),
         ccnp("no-clients", rule_set(EVERY, ingress_deny=(rule(labels(app="client")),))),
         expect=[("b/client", "a/web", "none"), ("b/batch", "a/web", "all"), ("8.8.8.8", "a/web", "all"),
                 ("b/client", "b/batch", "none"), ("a/web", "b/batch", "none")]),
    case("a deny on ports denies every peer there and nothing else", f"{DENY}; {LAYER4}",
         web(ingress=(rule(entities=("all",)),), ingress_deny=(rule(ports=to_ports(port(80, "TCP"))),)),
         expect=[("b/client", "a/web", "TCP 1-79,81-65535; UDP all; SCTP all"),
                 ("8.8.8.8", "a/web", "TCP 1-79,81-65535; UDP all; SCTP all")]),
    case("egress deny to a CIDR wins over an allow to world", DENY,
         web(egress=(rule(entities=("world",)),), egress_deny=(rule(cidrs=(cidr("8.8.8.0/24"),)),)),
         expect=[("a/web", "8.8.8.8", "none"), ("a/web", "1.1.1.1", "all"), ("a/web", "a/db", "none")]),
    # Entities.
    case("world is every address outside the cluster, no pod", f"{ENTITIES}: world",
         web(ingress=(rule(entities=("world",)),)),
         expect=[("8.8.8.8", "a/web", "all"), ("2001:db8::1", "a/web", "all"), ("b/client", "a/web", "none")]),
    case("world-ipv4 is the IPv4 part of world", f"{ENTITIES}: world",
         web(egress=(rule(entities=("world-ipv4",)),)),
         expect=[("a/web", "8.8.8.8", "all"), ("a/web", "2001:db8::1", "none"), ("a/web", "a/db", "none")]),
    case("cluster is every endpoint of the cluster, no outside address", f"{ENTITIES}: cluster",
         web(ingress=(rule(entities=("cluster",)),)),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "all"), ("8.8.8.8", "a/web", "none")]),
    case("all is every endpoint and address", f"{ENTITIES}: all",
         web(ingress=(rule(entities=("all",)),)),
         expect=[("b/client", "a/web", "all"), ("8.8.8.8", "a/web", "all")]),
    case("host-network pods carry the host or remote-node identity, inside cluster", f"{ENTITIES}: host, remote-node",
         web(egress=(rule(entities=("remote-node",)),), ingress=(rule(entities=("cluster",)),)),
         manifests=(NODE_AGENT,),
         expect=[("a/web", "b/node-agent", "all"), ("b/node-agent", "a/web", "all"), ("a/web", "a/db", "none"),
                 ("b/client", "a/web", "all")],
         ambiguous=(("a/web", "b/node-agent", "all"),)),  # remote-node alone: the agent may run on web's own node
    case("host alone matches a host-network pod only on the same node, which the objects do not say",
         f"{ENTITIES}: host, remote-node",
         web(egress=(rule(entities=("all",)),), egress_deny=(rule(entities=("host",)),)),
         manifests=(NODE_AGENT,),
         expect=[("a/web", "b/node-agent", "all"), ("a/web", "a/db", "all")],
         ambiguous=(("a/web", "b/node-agent", "all"),)),
    case("host-network pods are no endpoint: selectors and world never match them", f"{ENTITIES}: world",
         web(egress=(rule(labels(**{"io.kubernetes.pod.namespace": "b"}), entities=("world", "kube-apiserver")),)),
         manifests=(NODE_AGENT,),
         expect=[("a/web", "b/node-agent", "none"), ("a/web", "b/client", "all"), ("a/web", "8.8.8.8", "all")]),
    case("host, remote-node, kube-apiserver and the rest match no pod", f"{ENTITIES}: host, remote-node",
         web(ingress=(rule(entities=("host", "remote-node", "kube-apiserver", "health", "ingress", "init",
                                     "unmanaged", "none")),)),
         expect=[("b/client", "a/web", "none"), ("8.8.8.8", "a/web", "none")]),
    # CIDRs.
    case("fromCIDR admits its range", CIDRS,
         web(ingress=(rule(cidrs=(cidr("8.8.8.0/24"),)),)),
         expect=[("8.8.8.8", "a/web", "all"), ("9.9.9.9", "a/web", "none")]),
    case("CIDR rules do not match pods, even inside the range", f"{CIDRS}: Selecting nodes with CIDR / ipBlock",
         web(ingress=(rule(cidrs=(cidr("10.0.0.0/8"),)),)),
         expect=[("b/client", "a/web", "none"), ("10.9.9.9", "a/web", "all")]),
    case("ipblock_selects_pods set explicitly makes CIDR rules match pods inside", CIDRS,
         web(ingress=(rule(cidrs=(cidr("10.0.0.0/8"),)),)),
         options=AnalysisOptions(ipblock_selects_pods=True),
         expect=[("b/client", "a/web", "all"), ("a/db", "a/web", "all")]),
    case("NetworkPolicy ipBlocks match no pod under Cilium either", CIDRS,
         cnp("b/unrelated", rule_set(labels(app="none"), ingress=(rule(),))),
         manifests=(network_policy("a/np", {"podSelector": {"matchLabels": {"app": "web"}},
                                            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}),),
         expect=[("b/client", "a/web", "none"), ("10.9.9.9", "a/web", "all")]),
    case("a CIDRSet entry admits its cidr less its excepts", f"{CIDRS}: toCIDRSet",
         web(egress=(rule(cidrs=(cidr("8.8.0.0/16", "8.8.8.0/24"),)),)),
         expect=[("a/web", "8.8.4.4", "all"), ("a/web", "8.8.8.8", "none"), ("a/web", "9.9.9.9", "none")]),
    case("CIDRSet entries are a union, each less its own excepts", f"{CIDRS}: toCIDRSet",
         web(egress=(rule(cidrs=(cidr("8.8.0.0/16", "8.8.8.0/24"), cidr("8.8.8.8/32"))),)),
         expect=[("a/web", "8.8.8.8", "all"), ("a/web", "8.8.8.9", "none"), ("a/web", "8.8.4.4", "all")]),
    # Ports.
    case("protocol ANY (or none) is TCP, UDP and SCTP", f"{LAYER4}: PortProtocol",
         web(ingress=(rule(EVERY, ports=to_ports(port(53))),)),
         expect=[("a/db", "a/web", "TCP 53; UDP 53; SCTP 53")]),
    case("a port with a protocol admits that protocol only", f"{LAYER4}: Example (L4)",
         web(egress=(rule(ports=to_ports(port(80, "TCP"))),)),
         expect=[("a/web", "a/db", "TCP 80"), ("a/web", "8.8.8.8", "TCP 80")]),
    case("endPort makes a range", f"{LANGUAGE}, Example Port Ranges",
         web(egress=(rule(ports=to_ports(port(80, "TCP", end=444))),)),
         expect=[("a/web", "8.8.8.8", "TCP 80-444")]),
    case("port 0 is every port of the protocol", f"{LAYER4}: PortProtocol",
         web(egress=(rule(ports=to_ports(port(0, "UDP"))),)),
         expect=[("a/web", "8.8.8.8", "UDP all")]),
    case("a named port is resolved on the destination", f"{LAYER4}: PortProtocol (port names)",
         web(egress=(rule(EVERY, ports=to_ports(port("pg"))),)),
         cnp("a/web-in", rule_set(WEB, ingress=(rule(labels(app="db"), ports=to_ports(port("http", "TCP"))),))),
         expect=[("a/web", "a/db", "TCP 5432"), ("a/db", "a/web", "TCP 8080"), ("a/web", "8.8.8.8", "none")]),
    case("a rule with ports and no peer admits every peer on them", f"{LANGUAGE}, Labels-dependent Layer 4 rule",
         web(ingress=(rule(ports=to_ports(port(80, "TCP"))),)),
         expect=[("b/client", "a/web", "TCP 80"), ("8.8.8.8", "a/web", "TCP 80")]),
    case("toPorts narrow every peer field of the rule", f"{LANGUAGE}, Labels-dependent Layer 4 rule",
         web(ingress=(rule(CLIENT, entities=("world",), ports=to_ports(port(443, "TCP"))),)),
         expect=[("b/client", "a/web", "TCP 443"), ("8.8.8.8", "a/web", "TCP 443"), ("b/batch", "a/web", "none")]),
    # Layer 7.
    case("L7 rules filter requests, not the connection", f"{LAYER7}: HTTP",
         web(ingress=(rule(CLIENT, ports=to_ports(port(80, "TCP"), l7=("http",))),)),
         expect=[("b/client", "a/web", "TCP 80"), ("b/batch", "a/web", "none")],
         filtered=(("b/client", "a/web", "TCP 80"),)),
    case("a port an L4 rule also allows is not L7-filtered", f"{LAYER7}; {LAYER4}",
         web(ingress=(rule(CLIENT, ports=to_ports(port(80, "TCP"), l7=("http",))),
                      rule(CLIENT, ports=to_ports(port(80, "TCP"), port(443, "TCP"))))),
         expect=[("b/client", "a/web", "TCP 80,443")]),
    case("L7 rules on egress filter DNS requests to every peer", f"{LAYER7}: DNS",
         web(egress=(rule(ports=to_ports(port(53, "UDP"), l7=("dns",))),)),
         expect=[("a/web", "8.8.8.8", "UDP 53"), ("a/web", "a/db", "UDP 53")],
         filtered=(("a/web", "8.8.8.8", "UDP 53"), ("a/web", "a/db", "UDP 53"))),
    case("an L7 rule from world filters requests from addresses", f"{LAYER7}: HTTP",
         web(ingress=(rule(entities=("world",), ports=to_ports(port(8080, "TCP"), l7=("http",))),)),
         expect=[("8.8.8.8", "a/web", "TCP 8080")],
         filtered=(("8.8.8.8", "a/web", "TCP 8080"),)),
    case("a deny wins over an L7 allow", f"{DENY}; {LAYER7}",
         web(ingress=(rule(CLIENT, ports=to_ports(port(80, "TCP"), l7=("http",))),), ingress_deny=(rule(CLIENT),)),
         expect=[("b/client", "a/web", "none")]),
    # Names that are not resolved statically.
    case("toFQDNs may reach any outside address: ambiguous", DNS,
         web(egress=(rule(fqdns=("api.example.com",), ports=to_ports(port(443, "TCP"))),)),
         expect=[("a/web", "8.8.8.8", "TCP 443"), ("a/web", "a/db", "none")],
         ambiguous=(("a/web", "8.8.8.8", "TCP 443"),)),
    case("toServices of a Service without selector may reach any address: ambiguous", SERVICES,
         web(egress=(rule(services=(ServiceReference("a", "external"),)),)),
         services=(Service("a", "external", ()),),
         expect=[("a/web", "8.8.8.8", "all"), ("a/web", "a/db", "none")],
         ambiguous=(("a/web", "8.8.8.8", "all"),)),
    case("toServices of a Service the snapshot lacks may reach any address: ambiguous", SERVICES,
         web(egress=(rule(services=(ServiceReference("", "elsewhere"),)),)),
         expect=[("a/web", "8.8.8.8", "all")], ambiguous=(("a/web", "8.8.8.8", "all"),)),
    case("toServices by label selects the Services without a selector", SERVICES,
         web(egress=(rule(services=(ServiceReference("a", selector=labels(external="yes")),)),)),
         services=(Service("a", "db", (("app", "db"),), labels=(("external", "no"),)),
                   Service("a", "legacy", (), labels=(("external", "yes"),))),
         expect=[("a/web", "8.8.8.8", "all"), ("a/web", "a/db", "none")], ambiguous=(("a/web", "8.8.8.8", "all"),)),
    case("toServices of a Service with a selector matches nothing", f"{SERVICES} (note: services without a selector)",
         web(egress=(rule(services=(ServiceReference("a", "db"),)),)),
         services=(Service("a", "db", (("app", "db"),)),),
         expect=[("a/web", "8.8.8.8", "none"), ("a/web", "a/db", "none")]),
    # Enforcement modes and host policies.
    case("policyEnforcementMode always denies every pod by default", MODES,
         options=replace(CILIUM, policy_enforcement="always"),
         expect=[("b/client", "a/web", "none"), ("a/web", "8.8.8.8", "none"), ("8.8.8.8", "a/web", "none")]),
    case("policyEnforcementMode always keeps what policies allow", MODES,
         web(ingress=(rule(CLIENT),)),
         options=replace(CILIUM, policy_enforcement="always"),
         expect=[("b/client", "a/web", "none")]),
    case("policyEnforcementMode never enforces no policy", MODES,
         web(ingress=(rule(),), ingress_deny=(rule(CLIENT),)),
         manifests=(network_policy("b/deny-all", {"policyTypes": ["Ingress", "Egress"]}),),
         options=replace(CILIUM, policy_enforcement="never"),
         expect=[("b/client", "a/web", "all"), ("a/web", "b/batch", "all"), ("8.8.8.8", "a/web", "all")]),
    case("a host policy (nodeSelector) does not act on pods", "security/policy/language.rst, Host Policies",
         cnp("a/host", rule_set(None, ingress=(rule(),), node_selector=EVERY)),
         expect=[("b/client", "a/web", "all")]),
]


@pytest.mark.parametrize("found", CASES, ids=[c.name for c in CASES])
def test_cilium_semantics(found: CiliumCase) -> None:
    snapshot = with_cilium(cluster(*BASE, *found.manifests), *found.policies)
    snapshot = replace(snapshot, services=(*snapshot.services, *found.services))
    evaluators = Evaluators(snapshot, found.options)
    ambiguous = {(source, destination): expected for source, destination, expected in found.ambiguous}
    filtered = {(source, destination): expected for source, destination, expected in found.filtered}
    for source, destination, expected in found.expect:
        assert evaluators.reference(source, destination) == ports(expected), ("reference", source, destination)
        assert evaluators.engine(source, destination) == ports(expected), ("engine", source, destination)
        unsure = ports(ambiguous.get((source, destination), "none"))
        assert evaluators.reference_ambiguous(source, destination) == unsure, ("reference", source, destination)
        assert evaluators.engine_ambiguous(source, destination) == unsure, ("engine", source, destination)
        only_l7 = ports(filtered.get((source, destination), "none"))
        assert evaluators.reference_filtered(source, destination) == only_l7, ("reference", source, destination)
        assert evaluators.engine_filtered(source, destination) == only_l7, ("engine", source, destination)


AGENT = pod("kube-system/cilium-x1", {"k8s-app": "cilium"}, host_network=True)
IPBLOCK_POLICY = network_policy("a/np", {"podSelector": {"matchLabels": {"app": "web"}},
                                         "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})


@pytest.mark.parametrize(("objects", "cilium", "detected", "selects_pods"), [
    ((), (), "", True),
    ((AGENT,), (), "Cilium (agent pods k8s-app=cilium run)", False),
    ((), (web(ingress=(rule(),)),), "Cilium (Cilium policies present)", False),
])
def test_ipblocks_follow_the_detected_cni(objects: tuple, cilium: tuple, detected: str, selects_pods: bool) -> None:
    snapshot = with_cilium(cluster(*BASE, namespace("kube-system"), *objects, IPBLOCK_POLICY), *cilium)
    assert detected_cni(snapshot) == detected
    assumptions = AnalysisOptions().of(snapshot)
    assert assumptions["ipblock_selects_pods"] is selects_pods
    assert ("cni" in assumptions) is bool(detected)
    if detected:
        assert assumptions["cni"] == detected
        assert "CIDR rules and ipBlocks never match pods" in str(assumptions["ipblock_selects_pods_basis"])
        assert "cilium_tiers" in assumptions and assumptions["policy_enforcement"] == "default"
    evaluators = Evaluators(snapshot)
    expected = ports("all" if selects_pods else "none")
    assert evaluators.reference("a/db", "a/web") == evaluators.engine("a/db", "a/web") == expected
