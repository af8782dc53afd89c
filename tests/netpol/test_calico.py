"""Calico's shared semantics: the order of the tiers (tigera/docs tiered-policy.mdx and tier.mdx), a rule's ports."""

from __future__ import annotations

from compliance.model.calico_policy import CalicoTier
from compliance.model.policy import PortSpec
from compliance.netpol.calico import rule_ports, tier_places
from tests.netpol.builders import ports
from tests.netpol.calico_builders import ALLOW, DENY, PASS, calico_policy, entity, rule


def test_tiers_by_order_with_the_built_in_ones_and_unordered_last() -> None:
    # tiered-policy.mdx: kube-admin 1,000, default 1,000,000, kube-baseline 10,000,000 (fixed); tier.mdx: no order
    # is the highest order. A tier that a policy names but no object declares sorts with the unordered ones.
    tiers = [CalicoTier("security", 300), CalicoTier("platform", None, PASS), CalicoTier("late", 20_000_000),
             CalicoTier("default", 5), CalicoTier("early", 10)]
    places = tier_places(tiers, [calico_policy("p", tier="orphan")])
    assert [(place.name, place.order, str(place.default_action)) for place in places] == [
        ("early", 10, "Deny"), ("security", 300, "Deny"), ("kube-admin", 1000, "Pass"),
        ("default", 1_000_000, "Deny"), ("kube-baseline", 10_000_000, "Pass"), ("late", 20_000_000, "Deny"),
        ("orphan", None, "Deny"), ("platform", None, "Pass")]


def test_rule_ports_combine_protocol_ports_and_their_negations() -> None:
    named = (("http", "TCP", 8080),)
    assert rule_ports(rule(ALLOW), None) == ports("all")
    assert rule_ports(rule(ALLOW, protocol="17"), None) == ports("UDP all")
    assert rule_ports(rule(ALLOW, protocol="ICMPv6"), None) == ports("none")
    assert rule_ports(rule(DENY, not_protocol="TCP"), None) == ports("UDP all; SCTP all")
    assert rule_ports(rule(ALLOW, destination=entity(ports=["http", PortSpec("TCP", 1, 100)],
                                                     not_ports=[22]), protocol="TCP"), named) == ports(
        "TCP 1-21,23-100,8080")
    assert rule_ports(rule(ALLOW, destination=entity(ports=["http"]), protocol="TCP"), None) == ports("none")
