"""A small cluster's Cilium policies, as a Cilium user writes them: an L3/L4 and L7 CiliumNetworkPolicy with `spec`
and `specs`, a deny CiliumNetworkPolicy, and a CiliumClusterwideNetworkPolicy; `host_policy` and friends add what
segproof does not model."""

from __future__ import annotations

from typing import Any

VERSION = "cilium.io/v2"


def cilium_objects() -> list[dict[str, Any]]:
    """Three modelled policies: payments/api (spec and specs), payments/deny-world, and clusterwide dns."""
    return [
        {"apiVersion": VERSION, "kind": "CiliumNetworkPolicy",
         "metadata": {"name": "api", "namespace": "payments", "uid": "c-1", "labels": {"owner": "payments"}},
         "spec": {"endpointSelector": {"matchLabels": {"app": "api"}},
                  "ingress": [{"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "shop",
                                                                  "app": "checkout"}}],
                               "toPorts": [{"ports": [{"port": "8443", "protocol": "TCP"}],
                                            "rules": {"http": [{"method": "POST", "path": "/charge"}]}}]}]},
         "specs": [{"endpointSelector": {"matchLabels": {"app": "db"}},
                    "egress": [{"toCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}],
                                "toPorts": [{"ports": [{"port": "5432"}]}]}],
                    "enableDefaultDeny": {"ingress": False}}]},
        {"apiVersion": VERSION, "kind": "CiliumNetworkPolicy",
         "metadata": {"name": "deny-world", "namespace": "payments"},
         "spec": {"endpointSelector": {}, "ingressDeny": [{"fromEntities": ["world"]}]}},
        {"apiVersion": VERSION, "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "dns"},
         "spec": {"endpointSelector": {}, "egress": [
             {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                               "k8s-app": "kube-dns"}}],
              "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}], "rules": {"dns": [{"matchPattern": "*"}]}}]},
             {"toFQDNs": [{"matchName": "api.example.com"}]}]}},
    ]


def host_policy(name: str = "nodes") -> dict[str, Any]:
    """A CiliumClusterwideNetworkPolicy for nodes (a host policy) that also uses fromRequires."""
    return {"apiVersion": VERSION, "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": name},
            "spec": {"nodeSelector": {"matchLabels": {"node-role.kubernetes.io/worker": ""}},
                     "ingress": [{"fromEntities": ["cluster"]}]},
            "specs": [{"nodeSelector": {}, "ingress": [{"fromEntities": ["health"]}]},
                      {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}],
                                                            "fromRequires": [{"matchLabels": {"env": "prod"}}]}]}]}


def cidr_group_policy(name: str = "partners") -> dict[str, Any]:
    """A CiliumNetworkPolicy in `shop` allowing a CiliumCIDRGroup, twice."""
    return {"apiVersion": VERSION, "kind": "CiliumNetworkPolicy", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"endpointSelector": {}, "ingress": [{"fromCIDRSet": [{"cidrGroupRef": "partners"}]},
                                                         {"fromCIDRSet": [{"cidrGroupRef": "vendors"}]}]}}
