"""The external np-guard corpus: our workload-level reachability equals its expected connlists.

The corpus is found through SEGPROOF_CONFORMANCE_DIR (set by .ci/run); when the variable is set the
corpus must be there. Comparison uses np-guard's assumptions: ipBlocks never select pods, and
hostNetwork pods are isolated like others. Lines from `{ingress-controller}` (np-guard's model of
OpenShift Routes/Ingress) are outside NetworkPolicy semantics and not compared.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from compliance.errors import ManifestError
from compliance.netpol.connections import connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, PortSet, single_protocol
from compliance.netpol.reachability import analyse_snapshot
from compliance.sources.manifests import load_manifests

VARIABLE = "SEGPROOF_CONFORMANCE_DIR"
CORPUS = Path(os.environ[VARIABLE]) if os.environ.get(VARIABLE) else None
NPGUARD_OPTIONS = AnalysisOptions(ipblock_selects_pods=False, host_network_isolated=True)

# Scenarios np-guard expects to fail, with the error we must give.
EXPECTED_ERRORS = {
    "np_bad_path_test_1": ("metadata.name", "NetworkPolicy default/backend-netpol is defined again"),
    "np_bad_path_test_2": ("spec.ingress[1].ports[0].endPort", "may not be used with a named port"),
    "np_test_with_empty_port_range": ("spec.egress[0].ports[1].endPort", "must be greater than or equal to port (10)"),
}
# Scenarios whose input the API server would reject, but np-guard reads: a container port written
# `containerport:` (lower-case p) has no containerPort. We reject them; with the typo corrected, we agree.
REJECTED_INPUTS = {
    "netpol_named_port_test": "containerport: 3535",
    "netpol_named_port_test_2": "containerport: 3535",
}


def scenarios() -> list[str]:
    """Names of the corpus scenarios (none when the corpus is not configured or missing)."""
    if CORPUS is None or not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if (p / "input").is_dir())


def test_corpus_is_present() -> None:
    if CORPUS is None:
        pytest.skip(f"{VARIABLE} is not set")
    assert CORPUS.is_dir(), f"{VARIABLE}={CORPUS} does not exist"
    assert len(scenarios()) >= 30


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
    """Our workload-level result under np-guard's assumptions."""
    snapshot = load_manifests([str(path)], "2026-01-01T00:00:00Z")
    found = connections(analyse_snapshot(snapshot, NPGUARD_OPTIONS), "workload")
    return {(c.source, c.destination): c.ports for c in found}


@pytest.mark.parametrize("name", scenarios())
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
        with pytest.raises(ManifestError, match=r"containers\[0\]\.ports\[1\]\.containerPort: required field"):
            load_manifests([str(scenario / "input")], "2026-01-01T00:00:00Z")
        corrected = tmp_path / "input"
        shutil.copytree(scenario / "input", corrected)
        for file in corrected.rglob("*.yaml"):
            file.write_text(file.read_text().replace(REJECTED_INPUTS[name], "containerPort: 3535"))
        assert workload_connections(corrected) == expected
        return
    assert workload_connections(scenario / "input") == expected
