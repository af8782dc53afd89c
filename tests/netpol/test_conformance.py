"""The external np-guard corpora: our workload-level reachability equals their expected connlists.

The corpora (`npguard/` for NetworkPolicy, `npguard-admin/` for AdminNetworkPolicy and
BaselineAdminNetworkPolicy) are found under SEGPROOF_CONFORMANCE_DIR (set by .ci/run); when the variable is
set they must be there. Comparison uses np-guard's assumptions: ipBlocks and `networks` peers never select
pods, hostNetwork pods are isolated like others, and IPv6 ranges are left out (np-guard skips IPv6 CIDRs).
Lines from `{ingress-controller}` (np-guard's model of OpenShift Routes/Ingress) are outside
NetworkPolicy semantics and not compared.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from compliance.errors import ManifestError
from compliance.netpol.connections import connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, PortSet, single_protocol
from compliance.netpol.reachability import analyse_snapshot
from compliance.sources.manifests import load_manifests

VARIABLE = "SEGPROOF_CONFORMANCE_DIR"
ROOT = Path(os.environ[VARIABLE]) if os.environ.get(VARIABLE) else None
CORPUS = ROOT / "npguard" if ROOT else None
ADMIN_CORPUS = ROOT / "npguard-admin" if ROOT else None
NPGUARD_OPTIONS = AnalysisOptions(ipblock_selects_pods=False, host_network_isolated=True)

# Scenarios np-guard expects to fail, with the error we must give.
EXPECTED_ERRORS = {
    "np_bad_path_test_1": ("metadata.name", "NetworkPolicy default/backend-netpol is defined again"),
    "np_bad_path_test_2": ("spec.ingress[1].ports[0].endPort", "may not be used with a named port"),
    "np_test_with_empty_port_range": ("spec.egress[0].ports[1].endPort", "must be greater than or equal to port (10)"),
}
# Scenarios whose input the API server would reject, but np-guard reads: a container port written
# `containerport:` (lower-case p) has no containerPort; a NetworkPolicy named with underscores is not a DNS-1123
# subdomain. We reject them, naming the field; with the input corrected, we agree.
# name: (the field our error names, the text to correct, its correction)
REJECTED_INPUTS = {
    "netpol_named_port_test": (r"containers\[0\]\.ports\[1\]\.containerPort", "containerport: 3535",
                               "containerPort: 3535"),
    "netpol_named_port_test_2": (r"containers\[0\]\.ports\[1\]\.containerPort", "containerport: 3535",
                                 "containerPort: 3535"),
    **dict.fromkeys(("example_pods_w_same_owner_and_labels_gap_with_good_match_expression",
                     "example_pods_w_same_owner_and_labels_gap_with_policy_selector_not_in_gap"),
                    (r"metadata\.name", "name: use_common_labels_same_values", "name: use-common-labels-same-values")),
}


def scenarios(corpus: Path | None) -> list[str]:
    """Names of a corpus's scenarios (none when the corpora are not configured or missing)."""
    if corpus is None or not corpus.is_dir():
        return []
    return sorted(p.name for p in corpus.iterdir() if (p / "input").is_dir())


@pytest.mark.parametrize(("corpus", "least"), [(CORPUS, 30), (ADMIN_CORPUS, 100)], ids=["npguard", "npguard-admin"])
def test_corpus_is_present(corpus: Path | None, least: int) -> None:
    if corpus is None:
        pytest.skip(f"{VARIABLE} is not set")
    assert corpus.is_dir(), f"{VARIABLE}={ROOT} holds no {corpus.name}/"
    assert len(scenarios(corpus)) >= least


def parse_connections(text: str) -> PortSet:
    """np-guard's `All Connections` or `TCP 80,8000-8100,UDP 53`."""
    if text == "All Connections":
        return ALL_PORTS
    result, protocol = NO_PORTS, "TCP"
    for token in text.split(","):
        if " " in token.strip():
            protocol, token = token.strip().split(" ", 1)
        low, _, high = token.strip().partition("-")
        result = result | single_protocol(protocol, ((int(low), int(high or low)),))
    return result


def expected_connlist(scenario: Path) -> dict[tuple[str, str], PortSet] | None:
    """The expected connections of a scenario (the first block of a connlist or exposure output)."""
    outputs = sorted((scenario / "expected").glob("*_connlist_output.txt")) + sorted(
        (scenario / "expected").glob("*_exposure_output.txt"))
    if not outputs:
        return None
    expected = {}
    for line in outputs[0].read_text().split("\n\n")[0].splitlines():
        if not line.strip() or line.startswith("{ingress-controller}"):
            continue
        match = re.fullmatch(r"(\S+) => (\S+) : (.+)", line.strip())
        assert match, line
        expected[(match[1], match[2])] = parse_connections(match[3])
    return expected


def workload_connections(path: Path) -> dict[tuple[str, str], PortSet]:
    """Our workload-level result under np-guard's assumptions (IPv6 ranges left out)."""
    snapshot = load_manifests([str(path)], "2026-01-01T00:00:00Z")
    found = connections(analyse_snapshot(snapshot, NPGUARD_OPTIONS), "workload")
    return {(c.source, c.destination): c.ports for c in found if ":" not in c.source + c.destination}


@pytest.mark.parametrize("name", scenarios(CORPUS))
def test_scenario(name: str, tmp_path: Path) -> None:
    scenario = CORPUS / name
    if name in EXPECTED_ERRORS:
        field, message = EXPECTED_ERRORS[name]
        with pytest.raises(ManifestError) as error:
            load_manifests([str(scenario / "input")], "2026-01-01T00:00:00Z")
        assert (error.value.field, message in error.value.detail) == (field, True)
        return
    expected = expected_connlist(scenario)
    assert expected is not None, f"{name} has neither an expected connlist nor an expected error"
    if name in REJECTED_INPUTS:
        field, wrong, right = REJECTED_INPUTS[name]
        with pytest.raises(ManifestError, match=f"{field}: "):
            load_manifests([str(scenario / "input")], "2026-01-01T00:00:00Z")
        corrected = tmp_path / "input"
        shutil.copytree(scenario / "input", corrected)
        for file in corrected.rglob("*.yaml"):
            file.write_text(file.read_text().replace(wrong, right))
        assert workload_connections(corrected) == expected
        return
    assert workload_connections(scenario / "input") == expected


# --- AdminNetworkPolicy / BaselineAdminNetworkPolicy ----------------------------------------------

# Bad-path scenarios, with the field our error names. `anp_test_with_empty_port_range` (a portRange from 10
# to 1) is accepted by the v1alpha1 schema, which only documents that end must not be below start; we reject
# it as np-guard does. Actions and ports of every rule are checked before peers, so where an input has several
# errors we may name another than np-guard. `example_w_err_...` is refused by np-guard for a limitation of its
# workload model; the API server refuses it too, for its missing subject namespaceSelector.
ADMIN_ERRORS = {
    "anp_bad_path_test_10": "spec.egress[0].to",
    "anp_bad_path_test_12": "spec.egress[0].action",
    "anp_bad_path_test_14": "spec.ingress[0].from",
    "anp_bad_path_test_15": "spec.ingress[0].from",
    "anp_bad_path_test_16": "spec.ingress[0].from[0]",
    "anp_bad_path_test_17": "spec.ingress[3].ports[0]",
    "anp_bad_path_test_18": "spec.ingress[0].action",
    "anp_bad_path_test_19": "spec.egress[0].to[0].networks[0]",
    "anp_bad_path_test_2": "spec.priority",
    "anp_bad_path_test_20": "spec.priority",
    "anp_bad_path_test_3": "metadata.name",
    "anp_bad_path_test_4": "spec.subject",
    "anp_bad_path_test_5": "spec.subject",
    "anp_bad_path_test_6": "spec.egress[0].to",
    "anp_bad_path_test_7": "spec.egress[0].to[0]",
    "anp_bad_path_test_8": "spec.egress[3].ports[0]",
    "anp_bad_path_test_9": "spec.egress[1].action",
    "anp_test_with_empty_port_range": "spec.ingress[0].ports[0].portRange",
    "banp_bad_path_test_1": "metadata.name",
    "banp_bad_path_test_10": "spec.ingress[0].from",
    "banp_bad_path_test_11": "spec.ingress[0].from",
    "banp_bad_path_test_12": "spec.ingress[0].from[0]",
    "banp_bad_path_test_13": "spec.ingress[2].ports[0]",
    "banp_bad_path_test_14": "spec.ingress[0].action",
    "banp_bad_path_test_15": "spec.egress[1].ports[0]",  # its invalid CIDR in egress[0].to is an error too
    "banp_bad_path_test_2": "metadata.name",
    "banp_bad_path_test_3": "spec.subject",
    "banp_bad_path_test_4": "spec.subject",
    "banp_bad_path_test_5": "spec.egress[0].to",
    "banp_bad_path_test_6": "spec.egress[0].to",
    "banp_bad_path_test_7": "spec.egress[0].to[0]",
    "banp_bad_path_test_8": "spec.egress[0].action",
    "banp_bad_path_test_9": "spec.egress[0].ports[0]",
    "example_w_err_pods_w_same_owner_and_labels_gap_anp": "spec.subject.pods.namespaceSelector",
}
# Scenarios with an expected connlist whose input the API server rejects: `pods` peers or subjects without
# podSelector or namespaceSelector (both are required by the CRD schema; np-guard reads a missing one as
# `{}`). We reject them naming the field; with `{}` filled in, we agree.
MISSING_SELECTORS = {
    "anp_demo", "anp_test_10", "anp_test_10_swapping_rules", "anp_test_11", "anp_test_11_swapping_rules",
    "anp_test_12", "anp_test_12_swapping_rules", "anp_test_3_pass_traffic", "anp_test_8",
    "anp_test_8_swapping_rules", "anp_test_9", "anp_test_9_swapping_rules", "anp_test_combining_test_6_and_test_10",
    "anp_test_multiple_anps", "example_pods_w_same_owner_and_labels_gap_anp_good",
    "example_pods_w_same_owner_and_labels_gap_banp_good", "exposure_test_with_anp_12", "exposure_test_with_anp_13",
    "exposure_test_with_anp_14", "exposure_test_with_anp_15", "exposure_test_with_anp_16",
}
# A namedPort in a rule that also has a networks peer: the CRD's CEL rule rejects it (np-guard does not check).
NAMED_PORT_WITH_NETWORKS = {"anp_test_named_ports_multiple_peers": "spec.egress[0].ports"}
# Two AdminNetworkPolicies of one priority (np-guard refuses them; the API accepts them).
EQUAL_PRIORITIES = "anp_bad_path_test_1"


def explain_ports(text: str) -> PortSet:
    """np-guard's explain form of ports: `TCP:[1-79,81-65535], UDP, SCTP` (a bare protocol is all its ports)."""
    result = NO_PORTS
    for token in text.split(", "):
        protocol, _, ranges = token.partition(":")
        result = result | (parse_connections(f"{protocol} {ranges.strip('[]')}") if ranges
                           else single_protocol(protocol, ((1, 65535),)))
    return result


def expected_from_explain(scenario: Path) -> dict[tuple[str, str], PortSet]:
    """The allowed connections of a scenario that only has an explain output: each pair's `Allowed ...` lines, and
    the pairs listed as allowing all connections by default."""
    (output,) = (scenario / "expected").glob("*_explain_output.txt")
    expected: dict[tuple[str, str], PortSet] = {}
    pair: tuple[str, str] | None = None
    for line in output.read_text().splitlines():
        if match := re.fullmatch(r"Connections between (\S+) => (\S+):", line):
            pair = (match[1], match[2])
        elif (match := re.fullmatch(r"\tAllowed (.+?) due to .*", line)) and pair:
            expected[pair] = expected.get(pair, NO_PORTS) | explain_ports(match[1])
        elif match := re.fullmatch(r"(\S+) => (\S+)", line):
            expected[(match[1], match[2])] = ALL_PORTS
    return expected


def fill_in_selectors(source: Path, target: Path) -> None:
    """Copy a scenario's input, giving every `pods` subject or peer of a cluster policy the selectors it lacks."""
    target.mkdir()
    for file in sorted(source.glob("*.y*ml")):
        documents = [document for document in yaml.safe_load_all(file.read_text()) if document]
        for document in documents:
            if document.get("kind") in ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy"):
                spec = document["spec"]
                pods = [spec["subject"].get("pods")] + [peer.get("pods") for rule in spec.get("ingress") or ()
                                                         for peer in rule.get("from") or ()] + [
                    peer.get("pods") for rule in spec.get("egress") or () for peer in rule.get("to") or ()]
                for entry in pods:
                    if isinstance(entry, dict):
                        entry.setdefault("namespaceSelector", {})
                        entry.setdefault("podSelector", {})
        (target / file.name).write_text(yaml.safe_dump_all(documents))


def rejected_field(path: Path) -> str:
    """The field named by the error that loading `path` must raise."""
    with pytest.raises(ManifestError) as error:
        load_manifests([str(path)], "2026-01-01T00:00:00Z")
    return error.value.field


@pytest.mark.parametrize("name", scenarios(ADMIN_CORPUS))
def test_admin_scenario(name: str, tmp_path: Path) -> None:
    scenario = ADMIN_CORPUS / name
    if name in ADMIN_ERRORS or name in NAMED_PORT_WITH_NETWORKS:
        assert rejected_field(scenario / "input") == {**ADMIN_ERRORS, **NAMED_PORT_WITH_NETWORKS}[name]
        return
    if name == EQUAL_PRIORITIES:
        return  # test_equal_priorities_that_decide_differently_are_ambiguous
    expected = expected_connlist(scenario) or expected_from_explain(scenario)
    if name in MISSING_SELECTORS:
        assert rejected_field(scenario / "input").endswith(("podSelector", "namespaceSelector"))
        fill_in_selectors(scenario / "input", tmp_path / "input")
        assert workload_connections(tmp_path / "input") == expected
        return
    assert workload_connections(scenario / "input") == expected


def test_equal_priorities_that_decide_differently_are_ambiguous() -> None:
    if ADMIN_CORPUS is None:
        pytest.skip(f"{VARIABLE} is not set")
    # Both policies select gryffindor at priority 50: one denies slytherin both ways, the other passes it
    # (and then nothing else decides, so it is allowed). Which wins is up to the implementation.
    snapshot = load_manifests([str(ADMIN_CORPUS / EQUAL_PRIORITIES / "input")], "2026-01-01T00:00:00Z")
    found = connections(analyse_snapshot(snapshot, NPGUARD_OPTIONS), "workload")
    gryffindor = "network-policy-conformance-gryffindor/harry-potter[StatefulSet]"
    slytherin = "network-policy-conformance-slytherin/draco-malfoy[StatefulSet]"
    ambiguous = {(c.source, c.destination): c.ambiguous for c in found if c.ambiguous}
    assert ambiguous == {(gryffindor, slytherin): ALL_PORTS, (slytherin, gryffindor): ALL_PORTS}
    assert all(c.ports == ALL_PORTS for c in found)  # ambiguity counts as reachable
