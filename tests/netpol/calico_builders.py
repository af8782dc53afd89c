"""Calico objects as model values for engine tests (the engine is tested apart from parsing), and random ones."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import replace
from typing import Any

from compliance.model.calico_policy import (
    CALICO_NETWORK_POLICY,
    GLOBAL_NETWORK_POLICY,
    CalicoPolicy,
    CalicoRule,
    CalicoTier,
    EntityRule,
    NetworkSet,
    ServiceAccount,
    ServiceAccountMatch,
)
from compliance.model.calico_selector import (
    CalicoSelector,
    Conjunction,
    Disjunction,
    Everything,
    LabelTest,
    Negation,
    NonNamespaced,
    Term,
)
from compliance.model.cluster_policy import Action
from compliance.model.policy import PortSpec
from compliance.model.snapshot import Snapshot

ALLOW, DENY, PASS, LOG = Action.ALLOW, Action.DENY, Action.PASS, Action.LOG


def compare(key: str, operator: str, *values: str) -> LabelTest:
    """One label comparison: compare("app", "==", "web"), compare("app", "has")."""
    return LabelTest(key, operator, values)


def selector(term: Term | str) -> CalicoSelector:
    """A selector of a term, or of `all()` / `global()` / `k == 'v'` for the simplest texts."""
    if isinstance(term, str):
        if term == "all()":
            term = Everything()
        elif term == "global()":
            term = NonNamespaced()
        else:
            key, _, value = term.partition(" == ")
            term = LabelTest(key, "==", (value.strip("'"),))
    return CalicoSelector(term.describe(), term)


def both(*terms: Term) -> Conjunction:
    """`a && b`."""
    return Conjunction(terms)


def either(*terms: Term) -> Disjunction:
    """`a || b`."""
    return Disjunction(terms)


def negated(term: Term) -> Negation:
    """`!a`."""
    return Negation(term)


def entity(selector_text: Term | str | None = None, **fields: Any) -> EntityRule:
    """An EntityRule: `selector` from a term or text, the other fields as given (nets as strings)."""
    for name in ("not_selector", "namespace_selector"):
        if name in fields and fields[name] is not None and not isinstance(fields[name], CalicoSelector):
            fields[name] = selector(fields[name])
    for name in ("nets", "not_nets"):
        if name in fields:
            fields[name] = tuple(ipaddress.ip_network(net) for net in fields[name])
    for name in ("ports", "not_ports"):
        if name in fields and fields[name] is not None:
            fields[name] = tuple(port if isinstance(port, PortSpec) else PortSpec("TCP", port) for port in fields[name])
    return EntityRule(selector=None if selector_text is None else selector(selector_text), **fields)


def rule(action: Action, source: EntityRule | None = None, destination: EntityRule | None = None,
         **fields: Any) -> CalicoRule:
    """A CalicoRule."""
    return CalicoRule(action, source=source or EntityRule(), destination=destination or EntityRule(), **fields)


def default_types(ingress: tuple, egress: tuple) -> tuple[str, ...]:
    """Calico's default `types`: Egress alone for egress rules alone, else Ingress (plus Egress with egress rules)."""
    if egress and not ingress:
        return ("Egress",)
    return ("Ingress", "Egress") if egress else ("Ingress",)


def calico_policy(ref: str, order: float | None = None, ingress: tuple = (), egress: tuple = (), tier: str = "default",
                  select: Term | str = "all()", types: tuple[str, ...] | None = None, **fields: Any) -> CalicoPolicy:
    """A Calico NetworkPolicy (`ns/name`) or GlobalNetworkPolicy (`name`)."""
    namespace, _, name = ref.rpartition("/")
    for key in ("namespace_selector", "service_account_selector"):
        if key in fields and fields[key] is not None and not isinstance(fields[key], CalicoSelector):
            fields[key] = selector(fields[key])
    return CalicoPolicy(CALICO_NETWORK_POLICY if namespace else GLOBAL_NETWORK_POLICY, name, namespace, tier, order,
                        types or default_types(ingress, egress), tuple(ingress), tuple(egress), selector(select),
                        **fields)


def network_set(ref: str, labels: dict[str, str], *nets: str) -> NetworkSet:
    """A NetworkSet (`ns/name`) or GlobalNetworkSet (`name`)."""
    namespace, _, name = ref.rpartition("/")
    return NetworkSet(name, namespace, tuple(sorted(labels.items())), tuple(ipaddress.ip_network(n) for n in nets))


def with_calico(snapshot: Snapshot, *objects: CalicoPolicy | CalicoTier | NetworkSet | ServiceAccount,
                accounts: dict[str, str] | None = None) -> Snapshot:
    """The snapshot with Calico objects, and pods (`ns/name`) running as the service accounts `accounts` name."""
    pods = tuple(replace(pod, service_account=(accounts or {}).get(pod.display, pod.service_account))
                 for pod in snapshot.pods)
    return replace(snapshot, pods=pods,
                   calico_policies=tuple(o for o in objects if isinstance(o, CalicoPolicy)),
                   calico_tiers=tuple(o for o in objects if isinstance(o, CalicoTier)),
                   network_sets=tuple(o for o in objects if isinstance(o, NetworkSet)),
                   service_accounts=tuple(o for o in objects if isinstance(o, ServiceAccount)))


# Random Calico objects over the vocabularies of random_clusters.
POD_KEYS = {"app": ["web", "db", "api", "batch"], "tier": ["front", "back"], "role": ["x", "y"]}
NAMESPACE_KEYS = {"env": ["prod", "dev"], "team": ["red", "blue"]}
ACCOUNT_KEYS = {"trust": ["high", "low"]}
NETS = ["10.0.0.0/16", "10.0.1.0/24", "0.0.0.0/0", "192.168.0.0/16", "10.0.3.7/32", "fd00::/8", "10.0.2.0/23"]
ACCOUNTS = ["default", "api", "batch"]
TIER_ORDERS = [None, 10.0, 500.0, 1000.0, 2_000_000.0, 20_000_000.0]
POLICY_ORDERS = [None, 1.0, 100.0, 1000.0, 2000.0]


def random_term(rng: random.Random, vocabulary: dict[str, list[str]], depth: int = 0) -> Term:
    """A selector term using every operator, `all()`, `global()`, `!`, `&&` and `||`."""
    roll = rng.random()
    if depth < 2 and roll < 0.25:
        kind = rng.choice([Conjunction, Disjunction])
        return kind((random_term(rng, vocabulary, depth + 1), random_term(rng, vocabulary, depth + 1)))
    if depth < 2 and roll < 0.35:
        return Negation(random_term(rng, vocabulary, depth + 1))
    if roll < 0.42:
        return rng.choice([Everything(), NonNamespaced()])
    key = rng.choice(list(vocabulary))
    value = rng.choice(vocabulary[key])
    operator = rng.choice(["==", "!=", "in", "not in", "has", "contains", "starts with", "ends with"])
    if operator == "has":
        return LabelTest(key, operator)
    if operator in ("in", "not in"):
        return LabelTest(key, operator, tuple(rng.sample(vocabulary[key], rng.randint(1, len(vocabulary[key])))))
    if operator in ("contains", "starts with", "ends with"):
        value = {"contains": value[1:-1] or value, "starts with": value[:2], "ends with": value[-2:]}[operator]
    return LabelTest(key, operator, (value,))


def maybe_selector(rng: random.Random, vocabulary: dict[str, list[str]], chance: float) -> CalicoSelector | None:
    """A random selector, or None."""
    return selector(random_term(rng, vocabulary)) if rng.random() < chance else None


def random_entity(rng: random.Random, peer: bool) -> EntityRule:
    """A source or destination using every field (fewer on the subject's side)."""
    chance = 0.35 if peer else 0.12
    accounts = None
    if rng.random() < chance / 2:
        accounts = ServiceAccountMatch(tuple(rng.sample(ACCOUNTS, rng.randint(0, 2))),
                                       maybe_selector(rng, ACCOUNT_KEYS, 0.5))
    return EntityRule(
        selector=maybe_selector(rng, POD_KEYS, chance), not_selector=maybe_selector(rng, POD_KEYS, chance / 2),
        namespace_selector=maybe_selector(rng, NAMESPACE_KEYS, chance / 1.5), service_accounts=accounts,
        nets=tuple(ipaddress.ip_network(n) for n in rng.sample(NETS, rng.randint(1, 2))) if rng.random() < chance / 2
        else (),
        not_nets=tuple(ipaddress.ip_network(n) for n in rng.sample(NETS, 1)) if rng.random() < chance / 3 else ())


def random_ports(rng: random.Random, protocol: str) -> tuple[PortSpec, ...]:
    """One or two port entries of a protocol: numbers, ranges, named ports."""
    choices = [PortSpec(protocol, 80), PortSpec(protocol, 53), PortSpec(protocol, 8000, 9100),
               PortSpec(protocol, "http"), PortSpec(protocol, "dns"), PortSpec(protocol, 443)]
    return tuple(rng.sample(choices, rng.randint(1, 2)))


def random_calico_rule(rng: random.Random) -> CalicoRule:
    """A rule with a random action, entities, protocol and ports, sometimes an ipVersion or unmodelled fields."""
    action = rng.choice([ALLOW, ALLOW, DENY, DENY, PASS, LOG])
    protocol = rng.choice([None, None, "TCP", "UDP", "SCTP", "ICMP"])
    destination = random_entity(rng, peer=True)
    if protocol in ("TCP", "UDP", "SCTP"):
        if rng.random() < 0.5:
            destination = replace(destination, ports=random_ports(rng, protocol))
        if rng.random() < 0.3:
            destination = replace(destination, not_ports=random_ports(rng, protocol))
    not_protocol = "UDP" if protocol is None and rng.random() < 0.1 else None
    return CalicoRule(action, protocol=protocol, not_protocol=not_protocol,
                      ip_version=rng.choice([4, 6]) if rng.random() < 0.08 else None,
                      source=random_entity(rng, peer=True), destination=destination,
                      unmodelled=("http",) if rng.random() < 0.05 else ())


def random_calico_objects(rng: random.Random, namespaces: list[str], count: int) -> list[Any]:
    """`count` Calico policies in a few tiers, with network sets and service accounts."""
    tiers = [CalicoTier(name, rng.choice(TIER_ORDERS), rng.choice([DENY, PASS])) for name in ("security", "platform")
             if rng.random() < 0.7]
    tier_names = ["default", "default", "kube-admin", *(t.name for t in tiers)]
    objects: list[Any] = list(tiers)
    for number in range(count):
        namespaced = rng.random() < 0.5
        ref = f"{rng.choice(namespaces)}/cp{number}" if namespaced else f"gp{number}"
        ingress = tuple(random_calico_rule(rng) for _ in range(rng.randint(0, 2)))
        egress = tuple(random_calico_rule(rng) for _ in range(rng.randint(0, 2)))
        types = rng.choice([None, ("Ingress",), ("Egress",), ("Ingress", "Egress")])
        objects.append(calico_policy(
            ref, rng.choice(POLICY_ORDERS), ingress, egress, rng.choice(tier_names),
            random_term(rng, POD_KEYS) if rng.random() < 0.6 else "all()", types,
            namespace_selector=maybe_selector(rng, NAMESPACE_KEYS, 0.3) if not namespaced else None,
            service_account_selector=maybe_selector(rng, ACCOUNT_KEYS, 0.1),
            unmodelled=("doNotTrack",) if rng.random() < 0.04 else ()))
    for number in range(rng.randint(0, 3)):
        labels = {key: rng.choice(values) for key, values in POD_KEYS.items() if rng.random() < 0.5}
        ref = f"{rng.choice(namespaces)}/set{number}" if rng.random() < 0.5 else f"gset{number}"
        objects.append(network_set(ref, labels, *rng.sample(NETS, rng.randint(1, 2))))
    objects += [ServiceAccount(namespace, account, (("trust", rng.choice(["high", "low"])),))
                for namespace in namespaces for account in ACCOUNTS if rng.random() < 0.5]
    return objects
