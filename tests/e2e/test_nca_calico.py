"""Differential test against IBM network-config-analyzer 2.1.0 on random Calico clusters without tiers.

NCA models Calico NetworkPolicies, GlobalNetworkPolicies and Kubernetes NetworkPolicies (not Tier objects, and
never matches `nets` against pods, hence `ipblock_selects_pods=False` here). It is installed from the package
registry into the session's cache directory (about 15 s) and runs once per cluster: several clusters in one NCA
process (a scheme file) leak state from one to the next and give wrong answers. Pod-to-pod connectivity over TCP,
UDP and SCTP must agree pair by pair. The two ways NCA reads Calico otherwise than Calico does are each shown by a
test below; the random clusters avoid them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance.netpol.connections import iter_connections
from compliance.netpol.options import AnalysisOptions
from compliance.netpol.ports import ALL_PORTS, NO_PORTS, PortSet
from compliance.netpol.reachability import analyse_snapshot
from compliance.workflows.inputs import StateSource, load_state
from tests.support.calico_clusters import random_cluster

NCA_VERSION = "2.1.0"
CLUSTERS = 40
NOW = "2026-06-30T12:00:00Z"
LINE = re.compile(r"^(\S+) => (\S+) : (.+)$")
GROUP = re.compile(r"\{protocols:([A-Za-z0-9, ]+?)(?:,dst_ports:([0-9, \-]+))?\}")


@pytest.fixture(scope="session")
def nca() -> Path:
    """The nca executable, installed into its own virtual environment under the user's cache on first use."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "segproof-tests" / f"nca-{NCA_VERSION}"
    executable = venv / "bin" / "nca"
    if not executable.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"network-config-analyzer=={NCA_VERSION}"],
                       check=True, timeout=600)
    return executable


def nca_ports(text: str) -> PortSet:
    """NCA's connection text (`All connections`, `{protocols:TCP,UDP,dst_ports:53,80-90}`, `All but {...}`) as
    TCP/UDP/SCTP ports."""
    text = text.strip()
    if text == "All connections":
        return ALL_PORTS
    if text.startswith("All but "):
        return ALL_PORTS - nca_ports(text.removeprefix("All but "))
    found = NO_PORTS
    for protocols, numbers in GROUP.findall(text):
        spans = tuple((int(low), int(high or low)) for low, _, high in
                      (part.strip().partition("-") for part in numbers.split(","))) if numbers else ((1, 65535),)
        for protocol in map(str.strip, protocols.split(",")):
            if protocol in ("TCP", "UDP", "SCTP"):
                found = found | PortSet(**{protocol.lower(): spans})
    return found


def read_nca(path: Path) -> dict[tuple[str, str], PortSet]:
    """Pod-to-pod connections from NCA's `txt_no_fw_rules` output (address ranges left out)."""
    found: dict[tuple[str, str], PortSet] = {}
    for line in path.read_text().splitlines():
        match = LINE.match(line.strip())
        if match and "/" in match[1] and "/" in match[2] and not match[1][0].isdigit() and not match[2][0].isdigit():
            pair = (match[1], match[2])
            found[pair] = found.get(pair, NO_PORTS) | nca_ports(match[3])
    return {pair: ports for pair, ports in found.items() if ports}


def read_segproof(directory: Path) -> dict[tuple[str, str], PortSet]:
    """segproof's pod-to-pod connections on the same manifests, nets not matching pods as NCA assumes."""
    snapshot = load_state(StateSource(manifests=(str(directory),)), NOW)
    reach = analyse_snapshot(snapshot, AnalysisOptions(ipblock_selects_pods=False))
    pods = {pod.display for pod in snapshot.pods}
    return {(c.source, c.destination): c.ports for c in iter_connections(reach, "pod")
            if c.source in pods and c.destination in pods}


def nca_and_segproof(nca: Path, directory: Path, documents: list[dict[str, Any]]
                     ) -> tuple[dict[tuple[str, str], PortSet], dict[tuple[str, str], PortSet]]:
    """NCA's and segproof's pod-to-pod connections on `documents`, written into `directory`."""
    directory.mkdir()
    (directory / "cluster.yaml").write_text(yaml.safe_dump_all(documents, sort_keys=False))
    output = directory.with_suffix(".txt")
    subprocess.run([str(nca), "--connectivity", str(directory), "--resource_list", str(directory), "--output_format",
                    "txt_no_fw_rules", "--output_endpoints", "pods", "--file_out", str(output)],
                   check=False, capture_output=True, timeout=300)
    return read_nca(output), read_segproof(directory)


def test_random_calico_clusters_agree_with_nca(nca: Path, tmp_path: Path) -> None:
    def compare(seed: int) -> str | None:
        theirs, ours = nca_and_segproof(nca, tmp_path / f"c{seed}", random_cluster(seed))
        differing = sorted(pair for pair in theirs.keys() | ours.keys()
                           if theirs.get(pair, NO_PORTS) != ours.get(pair, NO_PORTS))
        if not differing:
            return None
        source, destination = differing[0]
        return (f"seed {seed}: {source} -> {destination}: NCA {theirs.get(differing[0], NO_PORTS).describe()}, "
                f"segproof {ours.get(differing[0], NO_PORTS).describe()}")

    with ThreadPoolExecutor(2) as pool:
        disagreements = [found for found in pool.map(compare, range(CLUSTERS)) if found]
    assert not disagreements


def two_pods(*policies: dict[str, Any]) -> list[dict[str, Any]]:
    """Namespaces `a` and `b` with pod `a/src` (app=src) and pod `b/dst` (app=dst), and `policies`."""
    documents: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in ("a", "b")]
    documents += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace,
                                                                 "labels": {"app": name}},
                   "spec": {"containers": [{"name": "main", "image": "registry.example/app:1"}]}}
                  for namespace, name in (("a", "src"), ("b", "dst"))]
    return documents + list(policies)


def test_nca_reads_an_empty_rule_list_as_rules(nca: Path, tmp_path: Path) -> None:
    # Calico's defaulting of `types` (reference/resources/networkpolicy, "types"; libcalico-go's
    # defaultPolicyTypesField) counts rules: with no egress rule the policy applies to ingress only, whether
    # `egress` is absent or `[]`. NCA 2.1.0 tests whether the key is present, so it isolates src's egress.
    policy = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
              "metadata": {"name": "ingress-only", "namespace": "a"},
              "spec": {"selector": "app == 'src'", "ingress": [{"action": "Allow"}], "egress": []}}
    theirs, ours = nca_and_segproof(nca, tmp_path / "cluster", two_pods(policy))
    assert ("a/src", "b/dst") not in theirs
    assert ours[("a/src", "b/dst")] == ALL_PORTS


def test_nca_applies_a_namespaced_not_selector_beyond_the_namespace(nca: Path, tmp_path: Path) -> None:
    # In a namespaced Calico NetworkPolicy, a rule's selector and notSelector without a namespaceSelector match
    # endpoints of the policy's own namespace only (reference/resources/networkpolicy, "Entity rule": selector,
    # notSelector, namespaceSelector; libcalico-go scopes the rule when either selector is set). NCA 2.1.0 scopes
    # `selector` but not a rule with `notSelector` alone, so it lets src reach dst in another namespace.
    policy = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
              "metadata": {"name": "egress", "namespace": "a"},
              "spec": {"selector": "app == 'src'", "types": ["Egress"],
                       "egress": [{"action": "Allow", "destination": {"notSelector": "app == 'other'"}}]}}
    theirs, ours = nca_and_segproof(nca, tmp_path / "cluster", two_pods(policy))
    assert theirs[("a/src", "b/dst")] == ALL_PORTS
    assert ("a/src", "b/dst") not in ours
