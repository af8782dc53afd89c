"""A small cluster's Calico objects, every kind segproof reads, as a Calico user writes them (both API groups)."""

from __future__ import annotations

from typing import Any

V3 = "projectcalico.org/v3"
CRD = "crd.projectcalico.org/v1"


def calico_objects(api_version: str = V3) -> list[dict[str, Any]]:
    """A security tier, a zone guardrail GlobalNetworkPolicy in it, a NetworkPolicy of the default tier, network sets,
    a ServiceAccount and a pod running as it, all in `api_version` (the ServiceAccount and pod in v1)."""
    return [
        {"apiVersion": api_version, "kind": "Tier", "metadata": {"name": "security", "uid": "t-1"},
         "spec": {"order": 100, "defaultAction": "Pass"}},
        {"apiVersion": api_version, "kind": "GlobalNetworkPolicy",
         "metadata": {"name": "security.cde-guard", "labels": {"owner": "secops"}},
         "spec": {"tier": "security", "order": 10, "selector": "pci-zone == 'cde'", "types": ["Ingress"],
                  "ingress": [{"action": "Allow", "protocol": "TCP", "source": {
                      "selector": "app == 'checkout'", "namespaceSelector": "projectcalico.org/name == 'shop'"},
                      "destination": {"ports": [8443, "9000:9100"]}},
                      {"action": "Deny", "source": {"nets": ["0.0.0.0/0"]}}]}},
        {"apiVersion": api_version, "kind": "NetworkPolicy", "metadata": {"name": "api", "namespace": "payments"},
         "spec": {"order": 500, "selector": "app == 'api'",
                  "ingress": [{"action": "Allow", "protocol": "TCP", "source": {
                      "serviceAccounts": {"names": ["checkout"]}}, "destination": {"ports": ["https"]}}],
                  "egress": [{"action": "Allow", "destination": {"selector": "role == 'db'"}}]}},
        {"apiVersion": api_version, "kind": "NetworkSet",
         "metadata": {"name": "partners", "namespace": "payments", "labels": {"role": "partner"}},
         "spec": {"nets": ["198.51.100.0/28"]}},
        {"apiVersion": api_version, "kind": "GlobalNetworkSet", "metadata": {"name": "internet",
                                                                            "labels": {"zone": "internet"}},
         "spec": {"nets": ["0.0.0.0/0", "::/0"]}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": "checkout", "namespace": "shop", "labels": {"team": "web"}},
         "secrets": [{"name": "checkout-token"}]},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "checkout-0", "namespace": "shop",
                                                         "labels": {"app": "checkout"}},
         "spec": {"serviceAccountName": "checkout", "containers": [{"name": "c"}]},
         "status": {"phase": "Running", "podIP": "10.0.0.5"}},
    ]
