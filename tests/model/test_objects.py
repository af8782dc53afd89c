"""Pods compute what the engine asks of every pod once: their named ports, shared by the replicas of a template."""

from __future__ import annotations

from compliance.model.objects import ContainerPort, Pod, WorkloadRef

POD = Pod("shop", "web-0", (("app", "web"),), WorkloadRef("shop", "web", "Deployment"),
          (ContainerPort(9100, "TCP", "metrics", "web"), ContainerPort(8080, "TCP", "http", "web"),
           ContainerPort(8081, "TCP", "", "web")))


def test_named_ports_are_computed_once_per_pod() -> None:
    pod = Pod(**vars(POD))
    assert pod.named_ports == (("http", "TCP", 8080), ("metrics", "TCP", 9100))
    assert pod.named_ports is pod.named_ports


def test_a_replica_differs_only_in_name_and_shares_its_named_ports() -> None:
    replica = POD.renamed("web-1")
    assert replica == Pod(**{**{name: getattr(POD, name) for name in POD.__dataclass_fields__}, "name": "web-1"})
    assert replica.named_ports is POD.named_ports
    assert POD.name == "web-0"
