"""Cases re-expressed from Cilium's connectivity tests (tests/data/cilium-connectivity, each naming its origin in
cilium/cilium's cilium-cli/connectivity): read through the manifest parser, each expected verdict per client/echo
pair and port holds in the per-pod reference of Cilium's documentation and in the engine (both of its evaluators)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import PortSet, single_protocol
from tests.netpol.builders import Evaluators, cluster
from tests.netpol.cilium_reference import CiliumReference, Verdict

DATA = Path(__file__).parents[1] / "data" / "cilium-connectivity"
TOPOLOGY = list(yaml.safe_load_all((DATA / "topology.yaml").read_text()))
SHARED = {document["metadata"]["name"]: document
          for document in yaml.safe_load_all((DATA / "shared-policies.yaml").read_text())}
CASES = sorted(path for path in DATA.glob("*.yaml") if path.name not in ("topology.yaml", "shared-policies.yaml"))
TEST_NAMESPACE = "cilium-test"
VERDICTS = ("allowed", "denied", "allowed l7-filtered", "ambiguous", "ambiguous l7-filtered")
HOST_IDENTITIES = ("the engine gives node addresses and host-network pods no host/remote-node identity (it reads them "
                   "as world and matches no entity but world, all and cluster to them)")
# cases the engine does not yet read as Cilium does, expected to fail there until it does
ENGINE_GAPS = {"allow-all-except-world": HOST_IDENTITIES, "cluster-entity": HOST_IDENTITIES,
               "host-entity-egress": HOST_IDENTITIES, "host-entity-ingress": HOST_IDENTITIES,
               "to-entities-world": HOST_IDENTITIES}
ENGINE_CASES = [pytest.param(path, id=path.stem, marks=[pytest.mark.xfail(strict=True, reason=ENGINE_GAPS[path.stem])]
                             if path.stem in ENGINE_GAPS else []) for path in CASES]


def load(path: Path) -> dict[str, Any]:
    """A case: its policies and those it names from the shared ones."""
    case = yaml.safe_load(path.read_text())
    case["objects"] = [*TOPOLOGY, *(SHARED[name] for name in case.get("with", ())), *case["policies"]]
    return case


def end_name(text: str) -> str:
    """An address as given, else a pod as `namespace/name` (cilium-test unless given)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return text if "/" in text else f"{TEST_NAMESPACE}/{text}"
    return text


def one_port(text: str) -> PortSet:
    """`8080/TCP` as a port set."""
    number, protocol = text.split("/")
    return single_protocol(protocol, [(int(number), int(number))])


def verdict_text(allowed: PortSet, ambiguous: PortSet, l7: PortSet, port: PortSet) -> str:
    """The verdict on one port in the words of the case files."""
    if not allowed.issuperset(port):
        return "denied"
    words = "ambiguous" if ambiguous.issuperset(port) else "allowed"
    return f"{words} l7-filtered" if l7.issuperset(port) else words


def test_there_are_at_least_twenty_cases_each_naming_its_origin() -> None:
    assert len(CASES) >= 20
    for path in CASES:
        case = load(path)
        assert path.read_text().startswith("# Origin: cilium-cli/connectivity/"), path.name
        assert {"test", "builder", "manifests"} <= set(case["origin"]), path.name
        assert all(item["verdict"] in VERDICTS for item in case["expect"]), path.name


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_the_reference_gives_the_expected_verdicts(path: Path) -> None:
    case = load(path)
    reference = CiliumReference(cluster(*case["objects"]))
    for item in case["expect"]:
        verdict: Verdict = reference.verdict(end_name(item["from"]), end_name(item["to"]))
        found = verdict_text(verdict.allowed, verdict.ambiguous, verdict.l7, one_port(item["port"]))
        assert found == item["verdict"], item


@pytest.mark.parametrize("path", ENGINE_CASES)
def test_the_engine_gives_the_expected_verdicts(path: Path) -> None:
    case = load(path)
    evaluators = Evaluators(cluster(*case["objects"]), AnalysisOptions(ipblock_selects_pods=False))
    for item in case["expect"]:
        source, destination = end_name(item["from"]), end_name(item["to"])
        port = one_port(item["port"])
        for allowed, ambiguous, filtered in ((evaluators.engine(source, destination),
                                              evaluators.engine_ambiguous(source, destination),
                                              evaluators.engine_filtered(source, destination)),
                                             (evaluators.reference(source, destination),
                                              evaluators.reference_ambiguous(source, destination),
                                              evaluators.reference_filtered(source, destination))):
            assert verdict_text(allowed, ambiguous, filtered, port) == item["verdict"], item
